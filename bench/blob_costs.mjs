// Measures, in headless Chromium, what the squash's cost model (crates/core/src/squash/coalesce.rs)
// weighs: the cost of one more Blob part, of one byte copied into a literal part, and of one
// `FileReaderSync` call. Prints figures; asserts nothing. Results: docs/browser-io.md.
//
// Usage: node bench/blob_costs.mjs [FILE]   (default: the `large` bench image; any file of
//        ≥ 256 MB will do: only its bytes are read)
//
// In a dedicated worker, over the dropped File:
// - reads: N FileReaderSync calls of 4 KiB at scattered offsets (per-call cost), and 64 MiB in
//   4 MiB calls (per-byte cost of reading);
// - one output of N ranges of S bytes each (S = 1 KiB, 4 KiB, 16 KiB), built two ways and read
//   back in 4 MiB asynchronous reads (as the app hashes the new layer, and as a download
//   reads it): as N `File.slice` parts with a 512-byte literal between two slices (the
//   squashed layer before coalescing), and as literals (the same bytes read in 4 MiB windows,
//   copied into 4 MiB chunks). The difference per part and per byte gives the constants.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { launch, newContext, root, serve } from "../e2e/lib.mjs";

const file = resolve(process.argv[2] ?? join(root, "target", "bench-images", "out", "large.docker.tar"));

const WORKER = String.raw`
const now = () => performance.now();
async function readBack(blob) {
  const READ = 4 << 20, AHEAD = 4;
  const q = [];
  let next = 0, sum = 0;
  while (next < blob.size || q.length) {
    while (q.length < AHEAD && next < blob.size) {
      const end = Math.min(blob.size, next + READ);
      q.push(blob.slice(next, end).arrayBuffer());
      next = end;
    }
    const b = new Uint8Array(await q.shift());
    sum = (sum + b[0] + b[b.length - 1]) | 0;
  }
  return sum;
}
const pause = () => new Promise((ok) => setTimeout(ok, 0));
onmessage = async (ev) => {
  const { file, n } = ev.data;
  const r = new FileReaderSync();
  const out = {};
  // Per call: 4 KiB reads at scattered offsets.
  let t = now();
  const calls = 2000;
  for (let i = 0; i < calls; i++) {
    const o = ((i * 7919) % 60000) * 4096;
    r.readAsArrayBuffer(file.slice(o, o + 4096));
  }
  out.readCallUs = ((now() - t) / calls) * 1000;
  // Per byte: 64 MiB in 4 MiB reads.
  t = now();
  for (let i = 0; i < 16; i++) r.readAsArrayBuffer(file.slice(i << 22, (i + 1) << 22));
  const big = now() - t;
  out.readBytePs = ((big - 16 * out.readCallUs / 1000) / (64 << 20)) * 1e9;
  await pause();
  out.sizes = [];
  for (const size of [1024, 4096, 16384]) {
    const stride = size + 8192; // a dropped entry between two kept ranges
    const lit = new Uint8Array(512).fill(7);
    // As slices.
    t = now();
    const parts = [];
    for (let i = 0; i < n; i++) {
      parts.push(file.slice(i * stride, i * stride + size));
      parts.push(lit);
    }
    const sliced = new Blob(parts);
    const buildSliced = now() - t;
    t = now();
    await readBack(sliced);
    const readSliced = now() - t;
    await pause();
    // As literals: read in 4 MiB windows, copied into 4 MiB chunks.
    t = now();
    const chunks = [];
    const CHUNK = 4 << 20;
    let chunk = new Uint8Array(CHUNK), fill = 0;
    let win = null, winAt = 0;
    for (let i = 0; i < n; i++) {
      const o = i * stride;
      if (!win || o + size > winAt + win.length) {
        winAt = o;
        win = new Uint8Array(r.readAsArrayBuffer(file.slice(o, o + CHUNK)));
      }
      for (const piece of [win.subarray(o - winAt, o - winAt + size), lit]) {
        if (fill + piece.length > CHUNK) {
          chunks.push(chunk.slice(0, fill));
          fill = 0;
        }
        chunk.set(piece, fill);
        fill += piece.length;
      }
    }
    chunks.push(chunk.slice(0, fill));
    const copied = new Blob(chunks);
    const buildCopied = now() - t;
    t = now();
    await readBack(copied);
    const readCopied = now() - t;
    if (copied.size !== sliced.size) throw new Error("sizes differ");
    out.sizes.push({ size, parts: parts.length, bytes: sliced.size, buildSliced, readSliced, buildCopied, readCopied });
    await pause();
  }
  postMessage(out);
};
`;

const PAGE = `<!doctype html><input type=file id=f><pre id=out></pre><script>
document.getElementById("f").addEventListener("change", (e) => {
  const w = new Worker("worker.js");
  w.onmessage = (m) => { document.getElementById("out").textContent = JSON.stringify(m.data); };
  w.onerror = (m) => { document.getElementById("out").textContent = "error " + m.message; };
  w.postMessage({ file: e.target.files[0], n: Number(location.hash.slice(1)) });
});
</script>`;

const dir = await mkdtemp(join(tmpdir(), "blob-costs-"));
await writeFile(join(dir, "index.html"), PAGE);
await writeFile(join(dir, "worker.js"), WORKER);
const server = await serve(dir);
const browser = await launch();
try {
  const { context } = await newContext(browser);
  const page = await context.newPage();
  const n = 10000;
  await page.goto(`http://127.0.0.1:${server.address().port}/#${n}`);
  await page.setInputFiles("#f", file);
  await page.waitForFunction(() => document.getElementById("out").textContent, null, { timeout: 300_000 });
  const text = await page.textContent("#out");
  if (text.startsWith("error")) throw new Error(text);
  const m = JSON.parse(text);
  console.log(`FileReaderSync: ${m.readCallUs.toFixed(0)} µs a call (4 KiB), ${m.readBytePs.toFixed(0)} ps a byte (4 MiB reads)`);
  console.log("| range | parts (slices) | bytes | slices: build + read back | literals: read, copy, build + read back | per part saved | per byte copied |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|");
  for (const s of m.sizes) {
    const sliced = s.buildSliced + s.readSliced;
    const copied = s.buildCopied + s.readCopied;
    // Slices cost a + b·parts; literals c·bytes: per part (literals ≈ free) and per byte.
    console.log(
      `| ${s.size} | ${s.parts} | ${s.bytes} | ${sliced.toFixed(0)} ms (${s.buildSliced.toFixed(0)} + ${s.readSliced.toFixed(0)}) | ` +
        `${copied.toFixed(0)} ms (${s.buildCopied.toFixed(0)} + ${s.readCopied.toFixed(0)}) | ${((sliced / s.parts) * 1000).toFixed(1)} µs | ` +
        `${((copied / s.bytes) * 1e9).toFixed(0)} ps |`,
    );
  }
} finally {
  await browser.close();
  server.close();
  await rm(dir, { recursive: true, force: true });
}
