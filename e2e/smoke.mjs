// Browser smoke test for the built app (dist/).
//
// Serves dist/ from this process on a free localhost port, both at the root and under a
// sub-path (the build uses relative URLs), opens it in headless Chromium and checks that:
// - the placeholder text is visible;
// - the worker answered (the page shows "worker ready" after a ping/echo round trip);
// - nothing broke the Content-Security-Policy, threw, or logged an error;
// - every request stayed on localhost (requests elsewhere are recorded and aborted).
// Screenshots go to target/e2e/. The last line is `N passed, N failed`.
//
// Usage: node e2e/smoke.mjs [DIST_DIR]     (env CHROMIUM overrides /usr/bin/chromium)

import { createServer } from "node:http";
import { mkdir, readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = resolve(fileURLToPath(import.meta.url), "../..");
const dist = resolve(process.argv[2] ?? join(root, "dist"));
const artefacts = join(root, "target", "e2e");
const PLACEHOLDER = "layerlens — drop a docker save tarball here";
const TIMEOUT_MS = 20_000;

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

// A static server for dist/, reachable at "/" and at SUB_PATH.
const SUB_PATH = "/some/sub/path/";
function serve(dir) {
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

function isLocal(url) {
  const u = new URL(url);
  if (u.protocol === "data:" || u.protocol === "blob:") return true;
  return ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
}

async function check(context, url, shot) {
  const problems = [];
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("requestfailed", (req) => {
    if (isLocal(req.url())) problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`);
  });
  page.on("response", (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`),
    );
  });

  await page.goto(url, { waitUntil: "load", timeout: TIMEOUT_MS });
  const heading = page.getByRole("heading", { name: PLACEHOLDER });
  await heading.waitFor({ state: "visible", timeout: TIMEOUT_MS });
  const status = page.locator("#worker-status");
  try {
    await page.waitForSelector("#worker-status.ready", { timeout: TIMEOUT_MS });
  } catch {
    problems.push(`worker did not answer; status: ${JSON.stringify(await status.textContent())}`);
  }
  const statusText = (await status.textContent())?.trim();
  if (statusText !== "worker ready") problems.push(`worker status is ${JSON.stringify(statusText)}`);
  for (const v of await page.evaluate(() => window.__csp)) problems.push(`CSP violation: ${v}`);
  await page.screenshot({ path: join(artefacts, shot), fullPage: true });
  await page.close();
  return problems;
}

async function main() {
  await stat(join(dist, "index.html")).catch(() => {
    throw new Error(`${dist}/index.html not found: build the app first (trunk build)`);
  });
  await mkdir(artefacts, { recursive: true });
  const server = await serve(dist);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1024, height: 640 } });
  // Record every request of every page and worker; abort any that would leave localhost.
  const requests = [];
  context.on("request", (req) => requests.push(req.url()));
  await context.route("**/*", (route) =>
    isLocal(route.request().url()) ? route.continue() : route.abort("blockedbyclient"),
  );

  const cases = [
    ["app at /", `${origin}/`, "root.png"],
    ["app at a sub-path", `${origin}${SUB_PATH}`, "sub-path.png"],
  ];
  let passed = 0;
  let failed = 0;
  for (const [name, url, shot] of cases) {
    const started = Date.now();
    let problems;
    try {
      problems = await check(context, url, shot);
    } catch (err) {
      problems = [String(err?.message ?? err)];
    }
    const ms = Date.now() - started;
    if (problems.length === 0) {
      passed++;
      console.log(`ok   ${name} (${ms} ms, screenshot target/e2e/${shot})`);
    } else {
      failed++;
      console.log(`FAIL ${name} (${ms} ms)`);
      for (const p of problems) console.log(`     ${p}`);
    }
  }

  const foreign = requests.filter((u) => !isLocal(u));
  if (foreign.length === 0 && requests.length > 0) {
    passed++;
    console.log(`ok   all ${requests.length} requests went to localhost`);
  } else {
    failed++;
    console.log(`FAIL requests left localhost (or none were recorded: ${requests.length})`);
    for (const u of foreign) console.log(`     ${u}`);
  }

  await browser.close();
  server.close();
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.log(`FAIL smoke test could not run: ${err?.stack ?? err}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  },
);
