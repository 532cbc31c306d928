// Browser tests of parallel layer indexing: the analysis worker indexes an image's layer blobs
// in several layer workers (nested dedicated workers reading the same File), and assembles them
// in the core exactly as the CLI does from its threads.
// - a multi-layer gzip oci-archive and a docker-archive from tests/fixtures: the page used
//   several layer workers (`#worker-status[data-layer-workers]`), dive's tally was computed in
//   one of them beside the union (`data-tally="beside"`; after it in the analysis worker when
//   there are no layer workers), and its exported analysis and waste figures are
//   byte for byte `layerlens analyze --json`;
// - a corrupt layer (a damaged gzip stream, a damaged tar header) shows the CLI's error, with
//   the layer and archive member it names;
// - Cancel while the layer workers run leaves no worker of that analysis running, and the next
//   file opens with the right figures;
// - the layer workers are started ahead of the file (at start-up, and again after each open),
//   so an open does not wait for their wasm to load: the target list shows them before any
//   file, and `#worker-status[data-layer-workers-ahead]` says every worker used was a spare.
//
// Usage: node e2e/layer_workers.mjs [DIST_DIR]   (E2E_ONLY=TEXT runs only the checks whose name
//   has TEXT). Needs the CLI (target/debug/layerlens, env LAYERLENS overrides) and Chromium.

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createGzip } from "node:zlib";
import { createHash } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { checks, cli, expectEq, launch, newContext, root, run, serve, tarHeader as header, tarPad as pad } from "./lib.mjs";

const dist = resolve(process.argv[2] ?? join(root, "dist"));
const artefacts = join(root, "target", "e2e", "layer_workers");
const fixtures = join(root, "tests", "fixtures");
const TIMEOUT_MS = 30_000;
const F = {
  ociGzip: join(fixtures, "built/whiteouts.oci.tar"),
  docker: join(fixtures, "built/whiteouts.docker.tar"),
  zstd: join(fixtures, "real/dive/test-oci-zstd-image.tar"),
};

const { test, summary } = checks();

// ---------------------------------------------------------------------------------------------
// Archives: members of an outer tar, damaged copies, a slow many-layer archive

/** The regular-file members of a tar held in `buf`: { name, offset (of the data), size }. */
function members(buf) {
  const out = [];
  for (let at = 0; at + 512 <= buf.length; ) {
    const h = buf.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.subarray(0, 100).toString("latin1").replace(/\0.*$/s, "");
    const prefix = h.subarray(345, 500).toString("latin1").replace(/\0.*$/s, "");
    const size = parseInt(h.subarray(124, 136).toString("latin1").replace(/\0.*$/s, "").trim() || "0", 8);
    const type = String.fromCharCode(h[156] || 48);
    if (type === "0") out.push({ name: prefix ? `${prefix}/${name}` : name, offset: at + 512, size });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}


/** The layer members of a fixture (docker-archive by manifest.json, oci-archive by index.json
 * and its manifest), distinct, smallest first. */
async function layerMembers(file) {
  const buf = await readFile(file);
  const all = members(buf);
  const json = (name) => {
    const m = all.find((x) => x.name === name);
    return m && JSON.parse(buf.subarray(m.offset, m.offset + m.size).toString());
  };
  const docker = json("manifest.json");
  const names = docker
    ? docker[0].Layers
    : json(`blobs/sha256/${json("index.json").manifests[0].digest.slice(7)}`).layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`);
  const layers = [...new Set(names)].map((n) => all.find((m) => m.name === n));
  return { buf, layers: layers.sort((a, b) => a.size - b.size) };
}

/** A copy of `file` whose largest layer is damaged by `damage(buf, member)`. */
async function damaged(file, name, damage) {
  const { buf, layers } = await layerMembers(file);
  const copy = Buffer.from(buf);
  damage(copy, layers.at(-1));
  const out = join(artefacts, name);
  await writeFile(out, copy);
  return out;
}

/** A docker-archive of `count` gzip layers of `mib` MiB of zeros each: slow to index. */
async function slowArchive(path, count, mib) {
  const layer = async (i) => {
    const gz = createGzip({ level: 1 });
    const chunks = [];
    gz.on("data", (d) => chunks.push(d));
    const ended = new Promise((ok) => gz.on("end", ok));
    const size = mib * 2 ** 20;
    gz.write(header(`zeros-${i}.bin`, size));
    const zeros = Buffer.alloc(16 << 20);
    for (let done = 0; done < size; done += zeros.length) gz.write(zeros);
    gz.end(Buffer.alloc(1024));
    await ended;
    return Buffer.concat(chunks);
  };
  const layers = [];
  for (let i = 0; i < count; i++) layers.push(await layer(i));
  const config = Buffer.from(JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: {},
    rootfs: { type: "layers", diff_ids: layers.map((_, i) => `sha256:${String(i).repeat(64)}`) },
    history: layers.map((_, i) => ({ created_by: `zeros ${i}` })),
  }));
  const configName = `${createHash("sha256").update(config).digest("hex")}.json`;
  const names = layers.map((_, i) => `layer${i}.tar`);
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: ["slow:layers"], Layers: names }]));
  await writeFile(path, Buffer.concat([
    header(configName, config.length), pad(config),
    ...layers.flatMap((l, i) => [header(names[i], l.length), pad(l)]),
    header("manifest.json", manifest.length), pad(manifest),
    Buffer.alloc(1024),
  ]));
}

// ---------------------------------------------------------------------------------------------
// The page

async function openApp(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
  await page.goto(url, { waitUntil: "load", timeout: TIMEOUT_MS });
  await page.waitForSelector("#worker-status.ready", { timeout: TIMEOUT_MS });
  return { page, errors };
}

/** Opens `file` with the file input; resolves to { error } or { ok } once the page settled. */
async function load(page, file) {
  await page.evaluate(() => {
    for (const sel of ["#overview", "#error"]) document.querySelector(sel)?.setAttribute("data-e2e-stale", "");
  });
  await page.setInputFiles("#file-input", file);
  await page.waitForFunction(
    (name) => {
      if (document.querySelector("#progress")) return false;
      if (document.querySelector("#error:not([data-e2e-stale])")) return true;
      const o = document.querySelector("#overview:not([data-e2e-stale])");
      return !!o && o.querySelector("dl.facts dd")?.textContent === name && !!document.querySelector("#findings dl, #findings table, #findings .findings-list, #ci-bridge");
    },
    basename(file),
    { timeout: TIMEOUT_MS },
  );
  const error = await page.evaluate(() => document.querySelector("#error:not([data-e2e-stale]) .error-text")?.textContent);
  return error === undefined ? { ok: true } : { error };
}

/** `data-layer-workers`, `data-layer-workers-ahead`, `data-layer-blobs` and `data-tally` of the last file opened. */
function layerWorkers(page) {
  return page.evaluate(() => {
    const s = document.querySelector("#worker-status");
    return { workers: Number(s?.dataset.layerWorkers), ahead: Number(s?.dataset.layerWorkersAhead), blobs: Number(s?.dataset.layerBlobs), tally: s?.dataset.tally };
  });
}

/** The page's exported analysis equals `layerlens analyze --json FILE`, byte for byte. */
async function checkExport(p, page, file) {
  await page.waitForSelector("#export-json", { timeout: TIMEOUT_MS });
  const cliOut = await run(cli, ["analyze", "--json", basename(file)], { cwd: dirname(file), encoding: "buffer" });
  if (cliOut.code !== 0) throw new Error(`layerlens analyze failed: ${cliOut.stderr}`);
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: TIMEOUT_MS }),
    page.click("#export-json"),
  ]);
  const saved = join(artefacts, `${basename(file)}.analysis.json`);
  await download.saveAs(saved);
  const got = await readFile(saved);
  const want = cliOut.stdout.subarray(0, cliOut.stdout.length - 1);
  // The figures shown came from the tally made beside the union; the export makes its own.
  const shown = Number(await page.getAttribute("#dive-wasted", "data-bytes"));
  expectEq(p, `${basename(file)}: #dive-wasted`, shown, JSON.parse(want.toString()).waste.dive.wasted_bytes);
  if (!got.equals(want)) {
    let i = 0;
    while (i < got.length && got[i] === want[i]) i++;
    p.push(`${basename(file)}: the export differs from \`layerlens analyze --json\` (${got.length} vs ${want.length} bytes), first at byte ${i}: …${got.subarray(Math.max(0, i - 60), i + 60)}… vs …${want.subarray(Math.max(0, i - 60), i + 60)}…`);
  }
}

/** The CLI's error for `file` (the first line of its stderr, without `layerlens: error: `). */
async function cliError(file) {
  const r = await run(cli, ["analyze", basename(file)], { cwd: dirname(file) });
  if (r.code === 0) throw new Error(`layerlens analyze ${basename(file)} succeeded`);
  return r.stderr.trim().split("\n")[0].replace(/^layerlens: error: /, "");
}

/** Dedicated workers the page's target tree has (the analysis worker and its layer workers). */
async function workerCount(cdp) {
  return (await workerIds(cdp)).length;
}

/** Their target ids. */
async function workerIds(cdp) {
  const { targetInfos } = await cdp.send("Target.getTargets");
  return targetInfos.filter((t) => t.type === "worker").map((t) => t.targetId);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  await mkdir(artefacts, { recursive: true });
  const server = await serve(dist);
  const url = `http://127.0.0.1:${server.address().port}/`;
  const browser = await launch();
  const { context } = await newContext(browser);
  const cores = await (async () => {
    const page = await context.newPage();
    const n = await page.evaluate(() => navigator.hardwareConcurrency);
    await page.close();
    return n;
  })();
  try {
    await test("layer workers are started ahead of a file, while the page is idle", async (p) => {
      const cdp = await browser.newBrowserCDPSession();
      const before = await workerCount(cdp);
      const { page, errors } = await openApp(context, url);
      const want = Math.min(cores, 8);
      let count = (await workerCount(cdp)) - before;
      for (let t = 0; t < 5000 && count < 1 + want; t += 100) {
        await page.waitForTimeout(100);
        count = (await workerCount(cdp)) - before;
      }
      if (want >= 2) expectEq(p, "workers before any file (the analysis worker and its spares)", count, 1 + want);
      p.push(...errors);
      await cdp.detach();
      await page.close();
    });

    const inputs = [
      ["gzip oci-archive, indexed in layer workers", F.ociGzip],
      ["docker-archive, indexed in layer workers", F.docker],
      ["one zstd layer blob, indexed in the analysis worker", F.zstd],
    ];
    for (const [what, file] of inputs) {
      await test(`${what} (${basename(file)}): the analysis is the CLI's`, async (p) => {
        const { page, errors } = await openApp(context, url);
        const r = await load(page, file);
        if (r.error) throw new Error(`#error: ${r.error}`);
        const blobs = (await layerMembers(file)).layers.length;
        const want = Math.min(blobs, cores, 8);
        const got = await layerWorkers(page);
        expectEq(p, "distinct layer blobs", got.blobs, blobs);
        expectEq(p, "layer workers", got.workers, want >= 2 ? want : 0);
        // They were started before the file came (the spares), not after it was listed.
        expectEq(p, "layer workers started ahead of the file", got.ahead, want >= 2 ? want : 0);
        if (want >= 2 && got.workers < 2) p.push(`only ${got.workers} layer workers for ${blobs} blobs on ${cores} cores`);
        // The waste figures (dive's among them) are shown once the tally is in.
        await page.waitForSelector("#dive-efficiency", { state: "attached", timeout: TIMEOUT_MS });
        const tally = (await layerWorkers(page)).tally;
        expectEq(p, "where dive's tally was computed", tally, want >= 2 ? "beside" : "after");
        await checkExport(p, page, file);
        p.push(...errors);
        await page.close();
      });
    }

    const corrupt = [
      // Deflate data overwritten in the middle of the largest gzip layer.
      ["a damaged gzip layer", await damaged(F.ociGzip, "damaged-gzip.oci.tar", (b, m) => b.fill(0x5a, m.offset + (m.size >> 1), m.offset + (m.size >> 1) + 64))],
      // The second tar header of the largest plain layer, its checksum broken.
      ["a damaged tar header", await damaged(F.docker, "damaged-header.docker.tar", (b, m) => {
        const first = members(b.subarray(m.offset, m.offset + m.size))[0];
        const second = m.offset + first.offset + Math.ceil(first.size / 512) * 512;
        b[second + 148] ^= 0x07;
      })],
    ];
    for (const [what, file] of corrupt) {
      await test(`${what}: the page shows the CLI's error, with its layer and member`, async (p) => {
        const { page } = await openApp(context, url);
        const r = await load(page, file);
        if (!r.error) throw new Error("no #error shown");
        const want = await cliError(file);
        expectEq(p, "error", r.error.trim(), want);
        if (!/layer \d+/.test(r.error) || !/archive member/.test(r.error)) p.push(`the error names no layer or member: ${r.error}`);
        if (/stopped unexpectedly/.test(r.error)) p.push(`a worker crashed: ${r.error}`);
        const workers = await layerWorkers(page);
        if (cores >= 2 && workers.workers < 2) p.push(`indexed in ${workers.workers} layer workers`);
        // The next file still opens.
        const ok = await load(page, F.ociGzip);
        if (ok.error) throw new Error(`good file after the error: #error: ${ok.error}`);
        // The second file's layer workers were started after the first one's open, ahead of it.
        const again = await layerWorkers(page);
        if (cores >= 2) expectEq(p, "layer workers started ahead of the second file", again.ahead, again.workers);
        await checkExport(p, page, F.ociGzip);
        await page.close();
      });
    }

    const slow = join(artefacts, "slow-layers.tar");
    await slowArchive(slow, 4, 1024);
    await test("Cancel while layer workers run: none is left running, the next file works", async (p) => {
      const { page, errors } = await openApp(context, url);
      const cdp = await browser.newBrowserCDPSession();
      await page.setInputFiles("#file-input", slow);
      await page.waitForFunction(() => Number(document.querySelector("#worker-status")?.dataset.layerWorkers) >= 2, null, { timeout: TIMEOUT_MS });
      // The analysis worker and its layer workers (no other page is open).
      const during = await workerIds(cdp);
      if (during.length < 3) p.push(`while indexing, ${during.length} workers: the layer workers do not show`);
      if (!(await page.$("#progress"))) p.push("the slow archive finished before Cancel could be clicked");
      await page.click("#progress button:has-text('Cancel')");
      // The page replaces the analysis worker (which starts spares of its own); the layer
      // workers go with the old one.
      const left = async () => (await workerIds(cdp)).filter((id) => during.includes(id));
      let still = await left();
      for (let t = 0; t < 5000 && still.length > 0; t += 100) {
        await page.waitForTimeout(100);
        still = await left();
      }
      if (still.length > 0) p.push(`after Cancel ${still.length} of the ${during.length} workers of that analysis are running`);
      const r = await load(page, F.ociGzip);
      if (r.error) throw new Error(`good file after Cancel: #error: ${r.error}`);
      await checkExport(p, page, F.ociGzip);
      p.push(...errors);
      await cdp.detach();
      await page.close();
    });
  } finally {
    await browser.close();
    server.close();
  }
  return summary();
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.log(`FAIL the layer worker tests could not run: ${err?.stack ?? err}`);
    process.exit(1);
  },
);
