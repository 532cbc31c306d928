// Browser tests of "How layers work" (issue 15, part B) against the CLI as the oracle:
// - the guided tour walked end to end on the bundled sample (from a sub-path), with the
//   keyboard: every step's title, text and figures equal `layerlens tour --json`, and the
//   figures equal what `layerlens analyze --json` says for the same quantity; each step points
//   at its part of the page; the whiteout step marks the marker's row in the raw view; Esc
//   leaves, and after a reload the tour resumes at the step it was left at;
// - the raw layer view: every layer's member count, and the rows on screen (first rows, then
//   scrolled to the end of the virtualised table), equal `layerlens layer N --json`; a
//   marker's removed paths equal the CLI's;
// - the digests equal `layerlens digests --json` and "verify" shows a match for each;
// - offline: after one visit, with the network cut (context.setOffline), the app reloads from
//   a sub-path and analyses the sample and a dropped file, with the CLI's figures.
// The last line is `N passed, N failed`; the exit status is 1 if anything failed.
//
// Usage: node e2e/teach_b.mjs [DIST_DIR]   (E2E_ONLY=TEXT runs only the checks whose name has TEXT)

import { join, resolve } from "node:path";
import { SUB_PATH, checks, cliJson, expectEq, launch, newContext, root, serve } from "./lib.mjs";

const dist = resolve(process.argv[2] ?? join(root, "dist"));
const sample = join(dist, "sample.tar");
const TIMEOUT_MS = 60_000; // generous: CI machines can be several times slower than this one

const { test, summary } = checks();


async function openApp(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(`console error: ${m.text()}`));
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  await page.goto(url, { waitUntil: "load", timeout: TIMEOUT_MS });
  await page.waitForSelector("#worker-status.ready", { timeout: TIMEOUT_MS });
  return { page, errors };
}

/** Opens the sample and waits until its tour and digests have arrived. */
async function openSample(page) {
  await page.click("#try-sample");
  await page.waitForSelector("#layer-table", { timeout: TIMEOUT_MS });
  await page.waitForSelector("#tour-start:not([disabled])", { timeout: TIMEOUT_MS });
  await page.waitForSelector("#image-id", { timeout: TIMEOUT_MS });
}

async function shownStep(page) {
  return page.evaluate(() => {
    const box = document.querySelector("#tour");
    if (!box) return null;
    return {
      id: box.dataset.step,
      found: box.dataset.found === "true",
      title: document.querySelector("#tour-title").textContent,
      text: document.querySelector("#tour-text").textContent,
      figures: [...box.querySelectorAll("[data-figure]")].map((li) => ({
        name: li.dataset.figure,
        value: Number(li.dataset.value),
      })),
      pointedAt: [...document.querySelectorAll("[data-tour-target]")].map((e) => e.id),
      focusInBox: box.contains(document.activeElement),
    };
  });
}

/** The rows of the raw view on screen now, as the CLI's JSON names their fields. */
async function rawRows(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("#raw-layer tr.raw-row")].map((tr) => ({
      index: Number(tr.dataset.index),
      offset: Number(tr.dataset.offset),
      flag: tr.dataset.flag,
      mode: parseInt(tr.dataset.mode, 8),
      uid: Number(tr.dataset.uid),
      gid: Number(tr.dataset.gid),
      size: Number(tr.dataset.size),
      mtime: Number(tr.dataset.mtime),
      name: tr.querySelector(".raw-name").textContent,
      pax: tr.querySelector(".raw-pax").textContent,
    })),
  );
}

function cliRow(m) {
  const name =
    m.link && m.kind === "symlink" ? `${m.name} -> ${m.link}` : m.link && m.kind === "hardlink" ? `${m.name} link to ${m.link}` : m.name;
  return {
    index: m.index,
    offset: m.offset,
    flag: m.flag,
    mode: m.mode,
    uid: m.uid,
    gid: m.gid,
    size: m.size,
    mtime: m.mtime,
    name,
    pax: (m.pax ?? []).map((r) => `${r.key}=${r.value}`).join("; "),
  };
}

/** What `layerlens analyze --json` says each tour figure is (the same quantity, computed by
 *  another path of the CLI). */
function analyzeFigure(analysis, stepId, name, layers) {
  const img = analysis.image;
  const r = analysis.waste.reclaim;
  const table = {
    stack: {
      layers: img.layers.length,
      stored_bytes: img.size,
      tar_bytes: img.tar_size,
      final_paths: img.filesystem.entries,
      final_bytes: img.filesystem.size,
    },
    deleted: { deleted_bytes: r.deleted },
    squash: {
      saved_bytes: Math.max(r.total, 0),
      input_bytes: r.input_size,
      deleted_bytes: r.deleted,
      overwritten_bytes: r.overwritten + r.identical,
      metadata_only_bytes: r.metadata_only,
      opaque_bytes: r.opaque,
      final_bytes: img.filesystem.size,
    },
    digests: { layers: img.layers.length },
  };
  if (stepId === "tar") {
    const l = img.layers[layers.tar];
    return { tar_bytes: l.tar_size, entries: l.entry_count, content_bytes: l.content_size, layer: l.position }[name];
  }
  return table[stepId]?.[name];
}

async function main() {
  const server = await serve(dist);
  const base = `http://127.0.0.1:${server.address().port}`;
  const atSub = base + SUB_PATH;
  const browser = await launch();
  const tour = (await cliJson(["tour", sample, "--json"])).tour;
  const analysis = await cliJson(["analyze", sample, "--json"]);
  const digests = await cliJson(["digests", sample, "--json"]);
  const layers = [];
  for (let n = 0; n < analysis.image.layers.length; n++) layers.push((await cliJson(["layer", sample, String(n), "--json"])).layer);

  try {
    const { context } = await newContext(browser);

    await test("tour: walked with the keyboard on the sample, every step as `layerlens tour` tells it", async (p) => {
      const { page, errors } = await openApp(context, atSub);
      await page.evaluate(() => sessionStorage.clear());
      await openSample(page);
      await page.click("#tour-start");
      for (let i = 0; i < tour.steps.length; i++) {
        const want = tour.steps[i];
        await page.waitForSelector(`#tour[data-step="${want.id}"]`, { timeout: TIMEOUT_MS });
        if (want.target === "raw-layer" && want.layer !== undefined) {
          await page.waitForSelector(`#raw-layer .raw-view[data-layer="${want.layer}"]`, { timeout: TIMEOUT_MS });
        }
        await page.waitForSelector(`#${want.target}[data-tour-target]`, { timeout: TIMEOUT_MS });
        await page.waitForFunction(() => document.querySelector("#tour")?.contains(document.activeElement), null, { timeout: TIMEOUT_MS });
        if (want.id === "whiteout" || want.id === "opaque") {
          await page.waitForSelector("#raw-layer tr.tour-marked", { timeout: TIMEOUT_MS });
        }
        const got = await shownStep(page);
        expectEq(p, `step ${i + 1} title`, got.title, want.title);
        expectEq(p, `step ${i + 1} text`, got.text, want.text);
        expectEq(p, `step ${i + 1} found`, got.found, want.found);
        expectEq(p, `step ${i + 1} figures`, got.figures, want.figures);
        expectEq(p, `step ${i + 1} points at`, got.pointedAt, [want.target]);
        if (!got.focusInBox) p.push(`step ${i + 1}: the focus is not in the tour box`);
        const tarLayer = tour.steps.find((s) => s.id === "tar").layer;
        for (const f of got.figures) {
          const other = analyzeFigure(analysis, want.id, f.name, { tar: tarLayer });
          if (other !== undefined) expectEq(p, `step ${want.id} figure ${f.name} vs analyze --json`, f.value, other);
        }
        if (want.layer !== undefined) {
          const selected = await page.getAttribute("#layer-table tr.layer-row[aria-selected=true], #layer-table tr.layer-row.selected", "data-layer").catch(() => null);
          if (selected !== null) expectEq(p, `step ${want.id} selects its layer`, Number(selected), want.layer);
        }
        if (want.id === "whiteout" || want.id === "opaque") {
          if (!want.found) p.push(`the sample has no ${want.id} example`);
          const marked = await page.evaluate(() => {
            const tr = document.querySelector("#raw-layer tr.tour-marked");
            return tr && { index: Number(tr.dataset.index), name: tr.querySelector(".raw-name").textContent };
          });
          const m = layers[want.layer].members.find((m) => m.marker && m.marker.target === want.path);
          expectEq(p, `step ${want.id}: the marker row marked in the raw view`, marked, m && { index: m.index, name: m.name });
          // The marker's removals, as the CLI lists them.
          await page.click("#raw-layer tr.tour-marked button.marker");
          const removes = await page.$$eval("#raw-marker li button", (bs) => bs.map((b) => b.textContent));
          expectEq(p, `step ${want.id}: what the marker removes`, removes, m.marker.removes.map((r) => `${r.kind} ${r.path}`));
          await page.focus("#tour-title");
        }
        if (i + 1 < tour.steps.length) await page.keyboard.press(i % 2 ? "ArrowRight" : "Enter");
      }
      // Back with ←, leave with Esc, resume after a reload.
      await page.keyboard.press("ArrowLeft");
      await page.waitForSelector(`#tour[data-step="${tour.steps[tour.steps.length - 2].id}"]`, { timeout: TIMEOUT_MS });
      await page.keyboard.press("ArrowLeft");
      await page.keyboard.press("ArrowLeft");
      const leftAt = tour.steps.length - 4;
      await page.waitForSelector(`#tour[data-step="${tour.steps[leftAt].id}"]`, { timeout: TIMEOUT_MS });
      await page.keyboard.press("Escape");
      await page.waitForSelector("#tour", { state: "detached", timeout: TIMEOUT_MS });
      expectEq(p, "the focus after Esc", await page.evaluate(() => document.activeElement?.id), "tour-start");
      if ((await page.$$("[data-tour-target]")).length) p.push("a part of the page is still marked after Esc");
      await page.reload({ waitUntil: "load" });
      await page.waitForSelector("#worker-status.ready", { timeout: TIMEOUT_MS });
      await openSample(page);
      expectEq(p, "the resume button", (await page.textContent("#tour-start")).trim(), `Resume the tour (step ${leftAt + 1})`);
      await page.click("#tour-start");
      await page.waitForSelector(`#tour[data-step="${tour.steps[leftAt].id}"]`, { timeout: TIMEOUT_MS });
      await page.click("#tour-leave");
      p.push(...errors);
      await page.close();
    });

    await test("raw layer view: members of every layer as `layerlens layer N --json` lists them", async (p) => {
      const { page, errors } = await openApp(context, atSub);
      await openSample(page);
      const last = layers.length - 1;
      await page.click("#raw-show");
      for (let n = last; n >= 0; n--) {
        if (n !== last) await page.click(`#layer-table tr.layer-row[data-layer="${n}"]`);
        await page.waitForSelector(`#raw-layer .raw-view[data-layer="${n}"]`, { timeout: TIMEOUT_MS });
        const want = layers[n].members;
        expectEq(p, `layer ${n} member count`, Number(await page.getAttribute("#raw-count", "data-value")), want.length);
        const atTop = await page.$eval("#raw-layer .raw-scroll", (el) => el.scrollTop);
        expectEq(p, `layer ${n}: the view starts at its first member`, atTop, 0);
        const top = await rawRows(page);
        expectEq(p, `layer ${n} first rows`, top, want.slice(0, top.length).map(cliRow));
        if (top.length === 0 && want.length) p.push(`layer ${n}: no rows shown`);
        await page.$eval("#raw-layer .raw-scroll", (el) => (el.scrollTop = el.scrollHeight));
        await page.waitForFunction(
          (count) => [...document.querySelectorAll("#raw-layer tr.raw-row")].some((tr) => Number(tr.dataset.index) === count - 1),
          want.length,
          { timeout: TIMEOUT_MS },
        );
        const bottom = await rawRows(page);
        expectEq(p, `layer ${n} last rows`, bottom, bottom.map((r) => cliRow(want[r.index])));
        const rendered = (await page.$$("#raw-layer tr.raw-row")).length;
        if (want.length > 60 && rendered > 60) p.push(`layer ${n}: ${rendered} rows in the DOM for ${want.length} members (not virtualised)`);
      }
      p.push(...errors);
      await page.close();
    });

    await test("digests: as `layerlens digests --json` gives them; verify recomputes and matches", async (p) => {
      const { page, errors } = await openApp(context, atSub);
      await openSample(page);
      const d = digests.digests;
      expectEq(p, "image ID", await page.textContent("#image-id"), d.image_id);
      expectEq(p, "image ID vs analyze", d.image_id, analysis.image.id);
      const rows = await page.$$eval("#digests tbody tr", (trs) =>
        trs.map((tr) => ({
          layer: Number(tr.dataset.layer),
          diff_id: tr.querySelector('[data-digest="diff_id"]').firstChild.textContent,
          chain_id: tr.querySelector('[data-digest="chain_id"]').textContent,
        })),
      );
      expectEq(p, "layer digests", rows, d.layers.map((l) => ({ layer: l.position, diff_id: l.diff_id, chain_id: l.chain_id })));
      await page.click("#verify");
      await page.waitForSelector("#verify-result", { timeout: TIMEOUT_MS });
      expectEq(p, "verify", await page.getAttribute("#verify-result", "data-verify"), "match");
      const marks = await page.$$eval('#digests tbody [data-digest="diff_id"] [data-verify]', (s) => s.map((x) => x.dataset.verify));
      expectEq(p, "each diff_id verified", marks, d.layers.map(() => "match"));
      // The recomputed blob digests (the sample's docker-archive declares none) are the CLI's.
      const verified = await cliJson(["digests", sample, "--verify", "--json"]);
      const blobs = await page.$$eval('#digests tbody [data-digest="blob"]', (s) => s.map((x) => x.firstChild.textContent));
      expectEq(p, "recomputed blob digests", blobs, verified.verify.layers.map((l) => l.blob_digest));
      p.push(...errors);
      await page.close();
    });

    await test("offline: after one visit the app loads and analyses from a sub-path with the network cut", async (p) => {
      const { context: fresh } = await newContext(browser);
      const { page } = await openApp(fresh, atSub);
      // The service worker has cached the app once it is active.
      await page.evaluate(async () => {
        const reg = await navigator.serviceWorker.ready;
        return reg.active?.state;
      });
      await page.waitForFunction(
        async () => {
          const keys = await caches.keys();
          if (!keys.length) return false;
          const c = await caches.open(keys[0]);
          const urls = (await c.keys()).map((r) => r.url);
          return urls.some((u) => u.endsWith("worker_loader.js")) && urls.some((u) => u.endsWith(".wasm")) && urls.some((u) => u.endsWith("sample.tar"));
        },
        null,
        { timeout: TIMEOUT_MS, polling: 250 },
      );
      await fresh.setOffline(true);
      const offline = await page.evaluate(() => fetch("https://example.invalid/").then(() => false, () => true)).catch(() => true);
      if (!offline) p.push("the network is not cut");
      await page.reload({ waitUntil: "load", timeout: TIMEOUT_MS });
      await page.waitForSelector("#worker-status.ready", { timeout: TIMEOUT_MS });
      await page.click("#try-sample");
      await page.waitForSelector("#layer-table", { timeout: TIMEOUT_MS });
      const rows = await page.$$eval("#layer-table tr.layer-row", (r) => r.length);
      expectEq(p, "offline: the sample's layers", rows, analysis.image.layers.length);
      // A file from disk, too.
      const file = join(root, "tests/fixtures/built/whiteouts.docker.tar");
      const other = await cliJson(["analyze", file, "--json"]);
      await page.setInputFiles("#file-input", file);
      await page.waitForFunction(
        (n) => document.querySelectorAll("#layer-table tr.layer-row").length === n && document.querySelector("#image-title")?.textContent,
        other.image.layers.length,
        { timeout: TIMEOUT_MS },
      );
      const tarSizes = await page.$$eval("#layer-table tr.layer-row", (rs) => rs.map((r) => r.dataset.layer));
      expectEq(p, "offline: a dropped file's layers", tarSizes.length, other.image.layers.length);
      await fresh.setOffline(false);
      await fresh.close();
    });
  } finally {
    await browser.close();
    server.close();
  }
  process.exit(summary());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
