// Shared by the browser tests (e2e/app.mjs) and the browser benchmark (bench/browser.mjs):
// a static server for dist/ (at "/" and under a sub-path), headless Chromium with this
// machine's flags, a guard that keeps every request on localhost, and the CLI as the oracle.

import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

export const root = resolve(fileURLToPath(import.meta.url), "../..");
export const SUB_PATH = "/some/sub/path/";

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".tar": "application/x-tar",
};

/** Serves `dir` on a free 127.0.0.1 port, at "/" and at SUB_PATH. Resolves to the server. */
export function serve(dir) {
  const server = createServer(async (req, res) => {
    try {
      let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
      if (path.startsWith(SUB_PATH)) path = "/" + path.slice(SUB_PATH.length);
      if (path.endsWith("/")) path += "index.html";
      const file = normalize(join(dir, path));
      if (!file.startsWith(dir + sep)) throw new Error("outside dist");
      if (!(await stat(file)).isFile()) throw new Error("not a file");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

/** Whether a request URL stays on this machine (data: and blob: URLs never leave the tab). */
export function isLocal(url) {
  const u = new URL(url);
  if (u.protocol === "data:" || u.protocol === "blob:") return true;
  return ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
}

/** Flags for Chromium as root in this sandbox (docs/toolchain.md). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Headless Debian Chromium (env CHROMIUM overrides the path). Never downloads a browser. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
}

/**
 * A context (1280×800 unless `viewport` says otherwise, downloads accepted) that records every request of its pages and
 * workers in `requests` and aborts any that would leave localhost.
 */
export async function newContext(browser, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({
    viewport,
    acceptDownloads: true,
  });
  const requests = [];
  context.on("request", (req) => requests.push(req.url()));
  await context.route("**/*", (route) =>
    isLocal(route.request().url()) ? route.continue() : route.abort("blockedbyclient"),
  );
  return { context, requests };
}

const execFileP = promisify(execFile);

/** Runs a program; resolves to { stdout, stderr, code } (never rejects on a non-zero exit). */
export async function run(cmd, args, opts = {}) {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, {
      maxBuffer: 512 << 20,
      encoding: opts.encoding ?? "utf8",
      ...opts,
    });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    if (typeof err.code !== "number") throw err; // not started at all (ENOENT)
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

/** The CLI the browser tests take as the oracle (`LAYERLENS` overrides the debug build). */
export const cli = process.env.LAYERLENS ?? join(root, "target", "debug", "layerlens");

/** `layerlens ARGS…` parsed as JSON; an exit status outside `ok` is an error with its stderr. */
export async function cliJson(args, ok = [0]) {
  const r = await run(cli, args);
  if (!ok.includes(r.code)) throw new Error(`layerlens ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * The named checks of one test file: `test(name, fn)` runs `fn(problems)` (it pushes messages
 * or throws) unless `E2E_ONLY` is set and not in the name; `check(name, problems)` records
 * problems gathered elsewhere; `summary()` prints `N passed, N failed` and returns the exit
 * status.
 */
export function checks() {
  const tally = { passed: 0, failed: 0 };
  const check = (name, problems, ms) => {
    const took = ms === undefined ? "" : ` (${ms} ms)`;
    if (problems.length === 0) {
      tally.passed++;
      console.log(`ok   ${name}${took}`);
    } else {
      tally.failed++;
      console.log(`FAIL ${name}${took}`);
      for (const p of problems) console.log(`     ${p}`);
    }
    return problems.length === 0;
  };
  const test = async (name, fn) => {
    if (process.env.E2E_ONLY && !name.includes(process.env.E2E_ONLY)) return false;
    const started = Date.now();
    const problems = [];
    try {
      await fn(problems);
    } catch (err) {
      problems.push(String(err?.message ?? err).split("\n").slice(0, 6).join("\n     "));
    }
    return check(name, problems, Date.now() - started);
  };
  const summary = () => {
    console.log(`${tally.passed} passed, ${tally.failed} failed`);
    return tally.failed ? 1 : 0;
  };
  return { test, check, summary, tally };
}

/** Pushes a message unless `actual` equals `expected` (compared as JSON). */
export function expectEq(problems, what, actual, expected) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    problems.push(`${what}: page shows ${JSON.stringify(actual).slice(0, 600)}, expected ${JSON.stringify(expected).slice(0, 600)}`);
  }
}

/** A tar header for a regular file (ustar, checksummed). */
export function tarHeader(name, size) {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(size.toString(8).padStart(11, "0") + "\0", 124);
  h.write("00000000000\0", 136);
  h.write("0", 156);
  h.write("ustar\0" + "00", 257);
  h.fill(" ", 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return h;
}

/** `b` padded with zeros to a whole number of 512-byte tar blocks. */
export const tarPad = (b) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
