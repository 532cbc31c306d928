// The package in headless Chromium (Debian's, through playwright-core; never a downloaded
// browser), served from a local static server: on every fixture, opened as a Blob in a module
// Worker, its results equal the CLI's JSON and its squashed Blob is byte-identical (size and
// sha256) to `layerlens squash -o`; on the page, a Uint8Array gives the same results and a
// Blob is refused with a message that names the Worker. Exits non-zero on any failure.
// Usage: node crates/js/tests/chromium.mjs (after scripts/build-js and cargo build -p layerlens-cli)

import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

import { CHROMIUM_ARGS, isLocal } from "../../../e2e/lib.mjs";
import { chromium } from "playwright-core";
import { compare, expected, fixtures, fixturesDir, pkg, root } from "./oracle.mjs";

const MOUNTS = {
  "/pkg/": pkg,
  // The browser example imports the package from where scripts/build-js writes it.
  "/target/js/pkg/": pkg,
  "/crates/js/examples/": join(root, "crates/js/examples"),
  "/fixtures/": fixturesDir,
  "/test/": join(root, "crates/js/tests"),
};
const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".tar": "application/x-tar",
};

function serve() {
  const server = createServer(async (req, res) => {
    try {
      let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
      if (path.endsWith("/")) path += "index.html";
      const mount = Object.keys(MOUNTS).find((m) => path.startsWith(m));
      const dir = MOUNTS[mount];
      const file = normalize(join(dir, path.slice(mount.length)));
      if (!file.startsWith(dir + sep) || !(await stat(file)).isFile()) throw new Error("no");
      res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream" });
      res.end(await readFile(file));
    } catch {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

const server = await serve();
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: CHROMIUM_ARGS,
});
let failures = 0;
const fail = (what, lines) => {
  failures++;
  console.log(`not ok  ${what}\n${lines.map((l) => `        ${l}`).join("\n")}`);
};
try {
  const context = await browser.newContext();
  const offsite = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    offsite.push(url);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${base}/test/browser/page.html`);
  await page.evaluate(() => {
    window.worker = new Worker("/test/browser/worker.mjs", { type: "module" });
    window.ask = (request) =>
      new Promise((ok) => {
        window.worker.onmessage = ({ data }) => ok(data);
        window.worker.onerror = (e) => ok({ error: `worker error: ${e.message}` });
        window.worker.postMessage(request);
      });
  });

  for (const fixture of fixtures()) {
    const want = expected(fixture);
    const paths = Object.keys(want.history);
    const answer = await page.evaluate((request) => window.ask(request), { fixture, paths });
    if (answer.error) {
      fail(`${fixture} (Blob in a Worker)`, [answer.error]);
      continue;
    }
    const lines = compare(answer.got, want);
    if (answer.got.type !== "application/x-tar") lines.push(`Blob type ${answer.got.type}`);
    if (lines.length) fail(`${fixture} (Blob in a Worker)`, lines);
    else console.log(`ok      ${fixture} (Blob in a Worker)`);

    // On the page: the same archive as a Uint8Array gives the same results.
    const onPage = await page.evaluate(
      async ({ fixture, paths }) => {
        const { open } = await import("/pkg/browser.js");
        const { results } = await import("/test/results.mjs");
        const bytes = new Uint8Array(await (await fetch(`/fixtures/${fixture}`)).arrayBuffer());
        const image = await open(bytes);
        try {
          const got = results(image, paths);
          const squashed = image.squash();
          const digest = await crypto.subtle.digest("SHA-256", await squashed.arrayBuffer());
          const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
          got.squash = { size: squashed.size, sha256: hex };
          return got;
        } finally {
          image.close();
        }
      },
      { fixture, paths },
    );
    const pageLines = compare(onPage, want);
    if (pageLines.length) fail(`${fixture} (Uint8Array on the page)`, pageLines);
    else console.log(`ok      ${fixture} (Uint8Array on the page)`);
  }

  // A Blob on the page (no FileReaderSync) is refused with the way out.
  const refused = await page.evaluate(async () => {
    const { open } = await import("/pkg/browser.js");
    try {
      await open(new Blob([new Uint8Array(1024)]));
      return "opened";
    } catch (e) {
      return String(e.message);
    }
  });
  if (/Worker/.test(refused)) console.log("ok      a Blob on the page is refused: " + refused);
  else fail("a Blob on the page", [refused]);

  // The browser example: choose a file, see the summary and findings, download the squash.
  const example = await context.newPage();
  example.on("pageerror", (e) => errors.push(String(e)));
  await example.goto(`${base}/crates/js/examples/browser/`);
  const fixture = "built/whiteouts.docker.tar";
  const want = expected(fixture);
  await example.setInputFiles("#file", join(fixturesDir, fixture));
  await example.waitForFunction(() => /layers,/.test(document.getElementById("out").textContent), null, { timeout: 20000 });
  const shown = await example.textContent("#out");
  const firstFinding = want.doc.waste.findings[0].title;
  await example.click("#squash");
  await example.waitForSelector("#download:not([hidden])", { timeout: 20000 });
  const link = await example.textContent("#download");
  const size = await example.evaluate(async () => (await (await fetch(document.getElementById("download").href)).blob()).size);
  if (shown.includes(want.doc.image.id) && shown.includes(firstFinding) && size === want.squash.size && link.includes(String(size))) {
    console.log(`ok      browser example: summary, findings and a ${size}-byte squashed.tar`);
  } else {
    fail("browser example", [shown, link, `squash ${size} bytes, CLI ${want.squash.size}`]);
  }

  if (errors.length) fail("page errors", errors);
  if (offsite.length) fail("requests off this machine", offsite);
} finally {
  await browser.close();
  server.close();
}
if (failures) {
  console.log(`${failures} failed`);
  process.exit(1);
}
console.log("all passed");
