// Browser tests of the size map, the report and the squash before/after (issue 15, part A),
// with the CLI as the oracle:
// - the size map of every file shipped, and of each layer, shows the tiles `layerlens report
//   --json [--layer N]` lays out (index, path, bytes, dead bytes, layer) and its totals;
// - clicking a tile opens its path in the file view (its history pane names it); the arrow
//   keys move the focus between tiles and Enter opens the focused one;
// - the report downloaded from the page is byte for byte what `layerlens report -o` writes,
//   and opened in Chromium with the network cut (every request aborted, the context offline)
//   it makes no request and shows the figures `layerlens analyze --json` prints;
// - squash before/after: the stack before is `analyze --json`'s (sizes, diff_ids, chain IDs,
//   image ID); after, the kept layers are unchanged and the new layer's size is the plan's;
//   once built, the whole after stack and its image ID are what `layerlens analyze --json`
//   reads from `layerlens squash --from N`'s output; each squashed layer's carried + dropped
//   bytes are its content;
// - every request of the app stays on localhost.
// The last line is `N passed, N failed`; the exit status is 1 if anything failed.
//
// Usage: node e2e/teach_a.mjs [DIST_DIR]   (E2E_ONLY=TEXT runs only the images whose name
//   has TEXT). Needs the CLI (target/debug/layerlens; env LAYERLENS overrides).

import { mkdir, readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { SUB_PATH, checks, cli, cliJson, isLocal, launch, newContext, root, run, serve } from "./lib.mjs";

const dist = resolve(process.argv[2] ?? join(root, "dist"));
const artefacts = join(root, "target", "e2e", "teach_a");
const fixtures = join(root, "tests", "fixtures");
const TIMEOUT_MS = 60_000; // generous: CI machines can be several times slower than this one

const IMAGES = [
  join(root, "web/assets/sample.tar"),
  join(fixtures, "real/dive/test-docker-image.tar"),
  join(fixtures, "built/whiteouts.oci.tar"),
].filter((f) => !process.env.E2E_ONLY || basename(f).includes(process.env.E2E_ONLY));

const { check, summary } = checks();


/** The leaf tiles of a `report --json` map, as the page's SVG carries them. */
function leaves(map) {
  return map.tiles
    .map((t, i) => ({ ...t, i }))
    .filter((t) => !t.open)
    .map((t) => ({
      tile: String(t.i),
      path: t.path,
      size: String(t.size),
      dead: String(t.dead),
      layer: t.layer === null ? "" : String(t.layer),
    }));
}

async function pageTiles(page) {
  return page.$$eval("#size-map-svg [data-tile]", (els) =>
    els.map((e) => ({
      tile: e.getAttribute("data-tile"),
      path: e.getAttribute("data-path"),
      size: e.getAttribute("data-size"),
      dead: e.getAttribute("data-dead"),
      layer: e.getAttribute("data-layer"),
    })),
  );
}

function compareTiles(problems, what, got, want) {
  if (got.length !== want.length) problems.push(`${what}: ${got.length} tiles, the CLI lays out ${want.length}`);
  for (let i = 0; i < Math.min(got.length, want.length); i++) {
    const g = JSON.stringify(got[i]);
    const w = JSON.stringify(want[i]);
    if (g !== w) {
      problems.push(`${what}: tile ${i} is ${g}, the CLI's ${w}`);
      break;
    }
  }
}

/** Waits until the size map shows `total` and `dead` bytes and the CLI's tiles (all of their
 * attributes: two layers' maps can share their figures and tile count, so the figures alone
 * would match the map still shown while the next one is on its way). */
async function waitForMap(page, map) {
  await page.waitForFunction(
    ({ total, dead, tiles }) =>
      document.querySelector("#size-map-total")?.getAttribute("data-v") === total &&
      document.querySelector("#size-map-dead")?.getAttribute("data-v") === dead &&
      JSON.stringify(
        [...document.querySelectorAll("#size-map-svg [data-tile]")].map((e) => ({
          tile: e.getAttribute("data-tile"),
          path: e.getAttribute("data-path"),
          size: e.getAttribute("data-size"),
          dead: e.getAttribute("data-dead"),
          layer: e.getAttribute("data-layer"),
        })),
      ) === tiles,
    { total: String(map.total), dead: String(map.dead), tiles: JSON.stringify(leaves(map)) },
    { timeout: TIMEOUT_MS },
  );
}

async function openImage(page, file) {
  await page.evaluate(() => document.querySelector("#overview")?.setAttribute("data-e2e-stale", ""));
  await page.setInputFiles("#file-input", file);
  await page.waitForFunction(
    (name) => {
      const o = document.querySelector("#overview:not([data-e2e-stale])");
      return !!o && o.querySelector("dl.facts dd")?.textContent === name && !!document.querySelector("#size-map");
    },
    basename(file),
    { timeout: TIMEOUT_MS },
  );
}

async function historyPath(page) {
  await page.waitForSelector("#timeline-title .path", { timeout: TIMEOUT_MS });
  return page.$eval("#timeline-title .path", (e) => e.textContent);
}

async function checkSizeMap(page, file) {
  const name = basename(file);
  const problems = [];
  const final = (await cliJson(["report", "--json", file])).map;
  const doc = await cliJson(["analyze", "--json", file]);
  await waitForMap(page, final).catch((e) => problems.push(`the final map never matched: ${e.message.split("\n")[0]}`));
  compareTiles(problems, "final map", await pageTiles(page), leaves(final));
  if (final.total !== doc.waste.figures.shipped_bytes) problems.push(`the map's total ${final.total} is not the shipped bytes ${doc.waste.figures.shipped_bytes}`);
  check(`${name}: the size map of every file shipped is the CLI's`, problems);

  const layerProblems = [];
  for (let l = 0; l < doc.image.layers.length; l++) {
    const want = (await cliJson(["report", "--json", "--layer", String(l), file])).map;
    await page.selectOption("#size-map-scope", String(l));
    await waitForMap(page, want).catch((e) => layerProblems.push(`layer ${l}: never matched: ${e.message.split("\n")[0]}`));
    compareTiles(layerProblems, `layer ${l}`, await pageTiles(page), leaves(want));
    if (want.total !== doc.image.layers[l].content_size) layerProblems.push(`layer ${l}: total ${want.total}, content ${doc.image.layers[l].content_size}`);
  }
  await page.selectOption("#size-map-scope", "final");
  await waitForMap(page, final).catch(() => {});
  check(`${name}: each layer's size map is the CLI's`, layerProblems);

  // Clicking the largest file opens it in the file view.
  const openProblems = [];
  const files = leaves(final).filter((t) => t.layer !== "");
  if (files.length > 0) {
    const big = files.reduce((a, b) => (Number(b.size) > Number(a.size) ? b : a));
    await page.click(`#size-map-svg [data-tile="${big.tile}"]`);
    const shown = await historyPath(page).catch(() => null);
    if (shown !== big.path) openProblems.push(`clicking ${big.path} shows the history of ${shown}`);
    // The keyboard: the tile Tab reaches, an arrow to another, Enter opens that one.
    const first = await page.$eval("#size-map-svg [tabindex='0']", (e) => e.getAttribute("data-tile"));
    await page.focus(`#size-map-svg [data-tile="${first}"]`);
    let moved = null;
    for (const key of ["ArrowRight", "ArrowDown", "ArrowLeft", "ArrowUp"]) {
      await page.keyboard.press(key);
      moved = await page.evaluate(() => document.activeElement?.getAttribute("data-tile"));
      if (moved !== first) break;
    }
    if (leaves(final).length > 1) {
      if (!moved || moved === first) openProblems.push("no arrow key moved the focus off the first tile");
      const tabs = await page.$$eval("#size-map-svg [tabindex='0']", (els) => els.map((e) => e.getAttribute("data-tile")));
      if (tabs.length !== 1 || tabs[0] !== moved) openProblems.push(`tabindex 0 on ${tabs}, focus on ${moved}`);
      const path = await page.evaluate(() => document.activeElement?.getAttribute("data-path"));
      const label = await page.evaluate(() => document.activeElement?.getAttribute("aria-label"));
      if (!label?.includes(path)) openProblems.push(`the focused tile's label ${label} does not name ${path}`);
      await page.keyboard.press("Enter");
      await page.waitForFunction((p) => document.querySelector("#timeline-title .path")?.textContent === p, path, { timeout: TIMEOUT_MS })
        .catch(() => openProblems.push(`Enter on ${path} did not open it`));
    }
  }
  check(`${name}: a tile opens its path (click, arrows and Enter)`, openProblems);
}

/** The report's figures: { key: [values] } from its data-k / data-v attributes. */
async function reportFigures(page) {
  return page.$$eval("[data-k]", (els) => {
    const out = {};
    for (const e of els) {
      const k = e.getAttribute("data-k");
      (out[k] ??= []).push(e.hasAttribute("data-v") ? e.getAttribute("data-v") : e.textContent);
    }
    return out;
  });
}

async function checkReport(browser, page, file) {
  const name = basename(file);
  const problems = [];
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: TIMEOUT_MS }),
    page.click("#report-download"),
  ]);
  await mkdir(artefacts, { recursive: true });
  const saved = join(artefacts, `${name}.page.html`);
  await download.saveAs(saved);
  const cliOut = join(artefacts, `${name}.cli.html`);
  const r = await run(cli, ["report", file, "-o", cliOut]);
  if (r.code !== 0) problems.push(`layerlens report: ${r.stderr}`);
  const [got, want] = [await readFile(saved), await readFile(cliOut)];
  if (!got.equals(want)) problems.push(`the page's report (${got.length} bytes) differs from the CLI's (${want.length} bytes)`);
  if (download.suggestedFilename() !== name.replace(/\.tar$/, "") + ".report.html") problems.push(`suggested name ${download.suggestedFilename()}`);
  check(`${name}: the report downloaded from the page is the CLI's, byte for byte`, problems);

  // Opened with the network cut.
  const offline = [];
  const context = await browser.newContext();
  const requests = [];
  context.on("request", (req) => {
    if (!req.url().startsWith("file:")) requests.push(req.url());
  });
  await context.route("**/*", (route) => (route.request().url().startsWith("file:") ? route.continue() : route.abort("internetdisconnected")));
  await context.setOffline(true);
  const rp = await context.newPage();
  const errors = [];
  rp.on("pageerror", (e) => errors.push(e.message));
  rp.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await rp.goto(pathToFileURL(saved).href, { waitUntil: "load", timeout: TIMEOUT_MS });
  await rp.waitForTimeout(300);
  if (requests.length) offline.push(`the report made requests: ${requests.join(", ")}`);
  if (errors.length) offline.push(`errors: ${errors.join("; ")}`);
  const f = await reportFigures(rp);
  const doc = await cliJson(["analyze", "--json", file]);
  const img = doc.image;
  const eq = (what, got, want) => {
    if (String(got) !== String(want)) offline.push(`${what}: the report shows ${got}, analyze says ${want}`);
  };
  eq("image ID", f.id?.[0], img.id);
  eq("stored size", f.size?.[0], img.size);
  eq("tar size", f.tar_size?.[0], img.tar_size);
  eq("final size", f["filesystem.size"]?.[0], img.filesystem.size);
  eq("final paths", f["filesystem.entries"]?.[0], img.filesystem.entries);
  eq("layers", f.layers?.[0], img.layers.length);
  eq("diff_ids", f.diff_id?.join(" "), img.layers.map((l) => l.diff_id).join(" "));
  eq("layer blob sizes", f.blob_size?.join(" "), img.layers.map((l) => l.blob_size).join(" "));
  eq("shipped", f["waste.figures.shipped_bytes"]?.[0], doc.waste.figures.shipped_bytes);
  eq("dead", f["waste.figures.dead_bytes"]?.[0], doc.waste.figures.dead_bytes);
  eq("reclaim", f["waste.reclaim.total"]?.[0], doc.waste.reclaim.total);
  eq("findings", f["waste.findings.length"]?.[0], doc.waste.findings.length);
  const tiles = await rp.$$eval("svg.treemap [data-tile]", (els) => els.length);
  const map = (await cliJson(["report", "--json", file])).map;
  eq("map total", f["map.total"]?.[0], map.total);
  eq("map dead", f["map.dead"]?.[0], map.dead);
  eq("size map tiles", tiles, leaves(map).length);
  const visible = await rp.evaluate(() => {
    const svg = document.querySelector("svg.treemap");
    const r = svg?.getBoundingClientRect();
    return !!r && r.width > 300 && r.height > 100;
  });
  if (!visible) offline.push("the size map is not drawn");
  await rp.screenshot({ path: join(artefacts, `${name}.report.png`), fullPage: true });
  await context.close();
  check(`${name}: the report opens with the network cut and shows analyze's figures`, offline);
}

async function stackOf(page, side) {
  return page.$$eval(`#squash-compare [data-side="${side}"] tbody tr`, (rows) =>
    rows.map((r) => {
      const v = (k) => r.querySelector(`[data-k="${k}"]`)?.getAttribute("data-v");
      return { tar_size: v("tar_size"), entry_count: v("entries"), diff_id: v("diff_id"), chain_id: v("chain_id") };
    }),
  );
}

function stackOfDoc(doc) {
  return doc.image.layers.map((l) => ({
    tar_size: String(l.tar_size),
    entry_count: String(l.entry_count),
    diff_id: l.diff_id,
    chain_id: l.chain_id,
  }));
}

async function checkBeforeAfter(page, file) {
  const name = basename(file);
  const problems = [];
  const doc = await cliJson(["analyze", "--json", file]);
  const n = doc.image.layers.length;
  if (n < 2) return;
  const from = 1;
  await page.selectOption("#squash-from", String(from));
  await page.waitForSelector(`#squash-compare[data-from="${from}"][data-built="false"] [data-side="after"]`, { timeout: TIMEOUT_MS });
  const before = await stackOf(page, "before");
  const want = stackOfDoc(doc);
  if (JSON.stringify(before) !== JSON.stringify(want)) problems.push(`before: ${JSON.stringify(before)}, analyze: ${JSON.stringify(want)}`);
  const beforeId = await page.getAttribute(`#squash-compare [data-side="before"] [data-k="image_id"]`, "data-v");
  if (beforeId !== doc.image.id) problems.push(`before image ID ${beforeId}, analyze ${doc.image.id}`);
  const out = join(artefacts, `${name}.from${from}.tar`);
  const dry = await cliJson(["squash", file, "--from", String(from), "-o", out, "--dry-run", "--json"]);
  let after = await stackOf(page, "after");
  if (JSON.stringify(after.slice(0, from)) !== JSON.stringify(want.slice(0, from))) problems.push(`kept layers changed: ${JSON.stringify(after.slice(0, from))}`);
  if (after.length !== from + 1) problems.push(`after has ${after.length} layers, not ${from + 1}`);
  if (after[from]?.tar_size !== String(dry.layer_size)) problems.push(`new layer ${after[from]?.tar_size} bytes, the plan ${dry.layer_size}`);
  if (after[from]?.diff_id !== "") problems.push("the new diff_id shows before the build");
  const archiveAfter = await page.getAttribute(`#squash-compare [data-k="archive_after"]`, "data-v");
  if (archiveAfter !== String(dry.archive_size)) problems.push(`archive after ${archiveAfter}, plan ${dry.archive_size}`);
  const moved = await page.$$eval("#squash-compare table.moved tbody tr", (rows) =>
    rows.map((r) => [r.getAttribute("data-layer"), Number(r.querySelector('[data-k="carried_bytes"]').getAttribute("data-v")) + Number(r.querySelector('[data-k="dropped_bytes"]').getAttribute("data-v"))]),
  );
  const wantMoved = doc.image.layers.slice(from).map((l) => [String(l.position), l.content_size]);
  if (JSON.stringify(moved) !== JSON.stringify(wantMoved)) problems.push(`moved ${JSON.stringify(moved)}, content ${JSON.stringify(wantMoved)}`);
  check(`${name}: squash before/after from layer ${from} (planned) is the CLI's`, problems);

  const builtProblems = [];
  await page.fill("#squash-tag", "");
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: TIMEOUT_MS }), page.click("#build")]);
  await download.saveAs(join(artefacts, `${name}.page-squash.tar`));
  await page.waitForSelector(`#squash-compare[data-from="${from}"][data-built="true"]`, { timeout: TIMEOUT_MS });
  const r = await run(cli, ["squash", file, "--from", String(from), "-o", out]);
  if (r.code !== 0) builtProblems.push(`layerlens squash: ${r.stderr}`);
  const squashed = await cliJson(["analyze", "--json", out]);
  after = await stackOf(page, "after");
  const wantAfter = stackOfDoc(squashed);
  if (JSON.stringify(after) !== JSON.stringify(wantAfter)) builtProblems.push(`after: ${JSON.stringify(after)}, analyze of the squash: ${JSON.stringify(wantAfter)}`);
  const afterId = await page.getAttribute(`#squash-compare [data-side="after"] [data-k="image_id"]`, "data-v");
  if (afterId !== squashed.image.id) builtProblems.push(`after image ID ${afterId}, the squash's ${squashed.image.id}`);
  check(`${name}: squash before/after once built: the new IDs are those of \`layerlens squash\`'s output`, builtProblems);
  await page.selectOption("#squash-from", "0");
}

async function main() {
  const server = await serve(dist);
  const base = `http://127.0.0.1:${server.address().port}${SUB_PATH}`;
  const browser = await launch();
  try {
    const { context, requests } = await newContext(browser);
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && errors.push(`console error: ${m.text()}`));
    await page.goto(base, { waitUntil: "load", timeout: TIMEOUT_MS });
    await page.waitForSelector("#worker-status.ready", { timeout: TIMEOUT_MS });
    for (const file of IMAGES) {
      await openImage(page, file);
      await checkSizeMap(page, file);
      await checkReport(browser, page, file);
      await checkBeforeAfter(page, file);
    }
    await mkdir(artefacts, { recursive: true });
    await page.screenshot({ path: join(artefacts, "size-map.png"), fullPage: true });
    check("no page errors", errors);
    check("every request stays on localhost", requests.filter((u) => !isLocal(u)));
  } finally {
    await browser.close();
    server.close();
  }
  process.exit(summary());
}

await main();
