// How fast headless Chromium can read a whole dropped file in dedicated workers, as the layer
// workers read a gzip layer (web/src/worker/prefetch.rs: 16 MiB `Blob.slice().arrayBuffer()`
// reads, 3 in flight, each copied into the worker's memory once): the floor under opening an
// image whose layers are compressed, which must read every byte. One worker reads the whole
// file; then two workers read a half each at the same time (the app's two layer workers on
// two cores). Prints figures; asserts nothing.
//
// Usage: node bench/profile/read_rate.mjs FILE [--runs N]

import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { launch, newContext, serve } from "../../e2e/lib.mjs";

const args = process.argv.slice(2);
const at = args.indexOf("--runs");
const runs = at >= 0 ? Number(args.splice(at, 2)[1]) : 3;
const file = resolve(args[0] ?? "");

const WORKER = String.raw`
onmessage = async (ev) => {
  const { file, from, to } = ev.data;
  const PIECE = 16 << 20, AHEAD = 3;
  const t = performance.now();
  const q = [];
  let next = from, sum = 0;
  const into = new Uint8Array(PIECE);
  while (next < to || q.length) {
    while (q.length < AHEAD && next < to) {
      const end = Math.min(to, next + PIECE);
      q.push(file.slice(next, end).arrayBuffer());
      next = end;
    }
    const b = new Uint8Array(await q.shift());
    into.set(b); // the copy into wasm memory the app makes
    sum = (sum + into[0]) | 0;
  }
  postMessage({ ms: performance.now() - t, bytes: to - from, sum });
};
`;

const PAGE = `<!doctype html><input type=file id=f><pre id=out></pre><script>
const read = (file, parts) => Promise.all(parts.map(([from, to]) => new Promise((ok, bad) => {
  const w = new Worker("worker.js");
  w.onmessage = (m) => { w.terminate(); ok(m.data); };
  w.onerror = (m) => bad(new Error(m.message));
  w.postMessage({ file, from, to });
})));
document.getElementById("f").addEventListener("change", async (e) => {
  const file = e.target.files[0], n = file.size, half = Math.floor(n / 2);
  const out = [];
  for (const [name, parts] of [["one worker, the whole file", [[0, n]]], ["two workers, a half each", [[0, half], [half, n]]]]) {
    const t = performance.now();
    const each = await read(file, parts);
    out.push({ name, ms: performance.now() - t, each });
  }
  document.getElementById("out").textContent = JSON.stringify(out);
});
</script>`;

const dir = await mkdtemp(join(tmpdir(), "read-rate-"));
await writeFile(join(dir, "index.html"), PAGE);
await writeFile(join(dir, "worker.js"), WORKER);
const server = await serve(dir);
try {
  for (let run = 1; run <= runs; run++) {
    const browser = await launch();
    try {
      const { context } = await newContext(browser);
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      await page.setInputFiles("#f", file);
      await page.waitForFunction(() => document.getElementById("out").textContent, null, { timeout: 600_000 });
      for (const r of JSON.parse(await page.textContent("#out"))) {
        const bytes = r.each.reduce((s, e) => s + e.bytes, 0);
        const each = r.each.map((e) => `${e.ms.toFixed(0)} ms`).join(", ");
        console.log(`run ${run}: ${r.name}: ${(bytes / 1e6).toFixed(0)} MB in ${r.ms.toFixed(0)} ms = ${(bytes / r.ms / 1e3).toFixed(0)} MB/s (${each})`);
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  server.close();
}
