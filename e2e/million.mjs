// Browser check at scale: an image of 200,000 generated entries (bench/gen_image.py) opened in
// the app, the file list scrolled, searched, expanded whole, the waste view, the size map and
// the findings visited, and the squash built, while the page records its main-thread long
// tasks (PerformanceObserver 'longtask') and every message it receives from the worker.
// - The figures shown (layers, sizes, entries and changes per layer, the waste figures, the
//   file list's path and change counts) equal `layerlens analyze --json`'s; the download has
//   the bytes `layerlens squash` writes.
// - Structure, not time: the file list renders a bounded number of rows however many paths it
//   has, and no message the page receives grows with the number of entries (the list stays in
//   the worker, which sends windows of it).
// - Long tasks are printed as figures per phase (count, longest); nothing asserts a time.
// The last line is `N passed, N failed`; the exit status is 1 if anything failed.
//
// Usage: node e2e/million.mjs [DIST_DIR]   (E2E_ONLY=TEXT runs only matching checks;
//        MILLION_ENTRIES=N another size, default 200000)

import { createHash } from "node:crypto";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { checks, cli, cliJson, expectEq, isLocal, launch, newContext, root, run, serve } from "./lib.mjs";

const dist = resolve(process.argv[2] ?? join(root, "dist"));
const ENTRIES = Number(process.env.MILLION_ENTRIES ?? 200_000);
const work = join(root, "target", "e2e-million");
const prefix = join(work, `e${ENTRIES}`);
const image = `${prefix}.docker.tar`;
const TIMEOUT_MS = 120_000;
/** Rows the file list may render at once (a screenful, its margins and the active row). */
const MAX_RENDERED = 100;
/** Largest message the page may receive, in bytes (the whole list would be megabytes). */
const MAX_MESSAGE = 256 << 10;

const { test, check, summary } = checks();

/** The generated image (made once; the same arguments give the same bytes). */
async function generate() {
  if (await stat(image).catch(() => null)) return;
  await mkdir(work, { recursive: true });
  const r = await run("python3", [join(root, "bench", "gen_image.py"), "entries", String(ENTRIES), prefix]);
  if (r.code !== 0) throw new Error(`gen_image.py failed: ${r.stderr}`);
}

/** Records long tasks, timing phases and the sizes of the worker's messages to the page. */
function instrument() {
  window.__long = [];
  window.__phase = "load";
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__long.push({ phase: window.__phase, start: e.startTime, ms: e.duration });
  }).observe({ type: "longtask", buffered: true });
  // The DOM when the image first shows: the sections below the first screen are empty
  // placeholders then (web/src/components/deferred.rs), mounted in later tasks.
  window.__firstShown = null;
  // DOM changes outside the progress bar, per phase (the build's progress reports reach the
  // bar alone, not the whole page).
  window.__outside = {};
  new MutationObserver((list) => {
    if (!window.__firstShown && document.querySelector("#layer-table")) {
      const waiting = [...document.querySelectorAll('[data-deferred="waiting"]')];
      window.__firstShown = {
        waiting: waiting.map((w) => w.id),
        inside: waiting.reduce((n, w) => n + w.querySelectorAll("*").length, 0),
        // The first screen's right-hand side (file list, history, see inside) comes later too.
        rightSide: ["#files", "#history", "#see-panel"].filter((s) => document.querySelector(s)),
      };
    }
    const bar = document.querySelector("#progress");
    const n = list.filter((m) => !(bar && bar.contains(m.target)) && !(m.target.id === "progress" || m.removedNodes[0]?.id === "progress" || m.addedNodes[0]?.id === "progress")).length;
    window.__outside[window.__phase] = (window.__outside[window.__phase] ?? 0) + n;
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  window.__messages = { count: 0, largest: 0, largestType: "" };
  const size = (x) => {
    if (typeof x === "string") return x.length;
    if (x instanceof ArrayBuffer) return x.byteLength;
    if (ArrayBuffer.isView(x)) return x.byteLength;
    return 0; // a File or Blob: a handle, not its bytes
  };
  const Native = window.Worker;
  window.Worker = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => {
        const parts = Array.isArray(e.data) ? e.data : [e.data];
        const bytes = parts.reduce((s, x) => s + size(x), 0);
        const m = window.__messages;
        m.count++;
        if (bytes > m.largest) {
          m.largest = bytes;
          m.largestType = String(parts[0]).slice(0, 40);
        }
      });
    }
  };
}

async function phase(page, name) {
  await page.evaluate((n) => (window.__phase = n), name);
}

/** The font strikes (first family, size, weight, style) of the page's rendered text, each with
 * an element that uses it: Chromium looks each up, cold, the first time it is laid out. */
function strikes(page) {
  return page.evaluate(() => {
    const found = {};
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const el = walker.currentNode.parentElement;
      if (!walker.currentNode.textContent.trim() || !el.checkVisibility()) continue;
      const cs = getComputedStyle(el);
      const key = `${cs.fontFamily.split(",")[0]} ${cs.fontSize} ${cs.fontWeight} ${cs.fontStyle}`;
      found[key] ??= `${el.tagName.toLowerCase()}${[...el.classList].map((c) => `.${c}`).join("")} in #${el.closest("[id]")?.id ?? ""}`;
    }
    return found;
  });
}

/** Rows rendered in the file list, and the tree's stats line. */
async function treeState(page) {
  return page.evaluate(() => ({
    rendered: document.querySelectorAll("#files .tree-row").length,
    stats: document.querySelector("#tree-stats")?.textContent ?? "",
  }));
}

/** Scrolls the file list to `fraction` of its height and waits for rows there. */
async function scrollTree(page, fraction) {
  await page.evaluate((f) => {
    const el = document.querySelector("#files .tree-scroll");
    el.scrollTop = (el.scrollHeight - el.clientHeight) * f;
    el.dispatchEvent(new Event("scroll"));
  }, fraction);
  await page.waitForFunction(
    () => {
      const el = document.querySelector("#files .tree-scroll");
      const top = el.scrollTop;
      return [...document.querySelectorAll("#files .tree-row")].some((r) => {
        const y = parseFloat(r.style.top);
        return y >= top && y < top + el.clientHeight;
      });
    },
    null,
    { timeout: TIMEOUT_MS },
  );
}

const sha256 = (b) => createHash("sha256").update(b).digest("hex");

async function main() {
  await generate();
  const want = await cliJson(["analyze", "--json", image]);
  const layers = want.image.layers;
  const top = layers[layers.length - 1];
  const server = await serve(dist);
  const url = `http://127.0.0.1:${server.address().port}/`;
  const browser = await launch();
  const { context } = await newContext(browser);
  const page = await context.newPage();
  const errors = [];
  page.on("console", (msg) => msg.type() === "error" && errors.push(`console error: ${msg.text()}`));
  page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
  page.on("request", (req) => !isLocal(req.url()) && errors.push(`left localhost: ${req.url()}`));
  await page.addInitScript(instrument);
  await page.goto(url, { waitUntil: "load" });
  await page.waitForSelector("#worker-status.ready", { timeout: TIMEOUT_MS });

  // The landing page warms the image view's fonts in its first idle period
  // (web/src/components/font_warmup.rs).
  await page.waitForSelector("#font-warmup", { state: "attached", timeout: TIMEOUT_MS });
  const landingStrikes = await strikes(page);

  await phase(page, "open");
  await page.setInputFiles("#file-input", image);
  await page.waitForSelector("#dive-efficiency", { timeout: TIMEOUT_MS });
  await page.waitForSelector("#files .tree-row", { timeout: TIMEOUT_MS });
  await page.waitForSelector("#plan-archive-size", { timeout: TIMEOUT_MS });

  await test("the file list's side and the sections below the first screen are empty placeholders when the image shows, all mounted later", async (p) => {
    const first = await page.evaluate(() => window.__firstShown);
    const want = ["files-pane", "findings", "size-map", "teach", "squash", "squash-compare", "audit", "ci", "compare"];
    expectEq(p, "placeholders when #layer-table appears", first?.waiting, want);
    expectEq(p, "elements inside them", first?.inside, 0);
    expectEq(p, "the file list, history and see inside when #layer-table appears", first?.rightSide, []);
    await page
      .waitForFunction(() => !document.querySelector('[data-deferred="waiting"]'), null, { timeout: TIMEOUT_MS })
      .catch(() => p.push("some sections never mounted"));
  });

  await test("every font strike the image view lays out was laid out on the landing page (components/font_warmup.rs)", async (p) => {
    const shown = await strikes(page);
    const cold = Object.entries(shown).filter(([k]) => !(k in landingStrikes));
    for (const [k, where] of cold) p.push(`${k} (${where}) is not warmed: add it to STRIKES`);
    if (await page.$("#font-warmup")) p.push("#font-warmup is still there with an image shown");
  });

  await test(`${ENTRIES} entries: the overview, layer table and waste figures are the CLI's`, async (p) => {
    expectEq(p, "#layer-count", Number(await page.textContent("#layer-count")), layers.length);
    expectEq(p, "#total-size", Number(await page.getAttribute("#total-size", "data-bytes")), want.image.size);
    const rows = await page.$$eval("#layer-table tr.layer-row", (rs) =>
      rs.map((r) => {
        const td = r.querySelectorAll("td");
        return [Number(td[1].dataset.bytes), Number(td[2].textContent), td[3].textContent, td[4].textContent, td[5].textContent];
      }),
    );
    expectEq(
      p,
      "layer rows (tar size, entries, +added, ~modified, −removed)",
      rows,
      layers.map((l) => [l.tar_size, l.entry_count, `+${l.counts.added}`, `~${l.counts.modified}`, `−${l.counts.removed}`]),
    );
    expectEq(p, "#dive-wasted", Number(await page.getAttribute("#dive-wasted", "data-bytes")), want.waste.dive.wasted_bytes);
  });

  await test("the file list: the CLI's counts, a bounded number of rows while scrolled, searched and expanded", async (p) => {
    await phase(page, "scroll");
    const first = await treeState(page);
    const m = /^(\d+) paths, (\d+) changed in this layer; (\d+) rows shown/.exec(first.stats);
    if (!m) throw new Error(`#tree-stats: ${first.stats}`);
    expectEq(
      p,
      "paths and changes of the final layer",
      [Number(m[1]), Number(m[2])],
      [want.image.filesystem.entries + top.counts.removed, top.counts.added + top.counts.modified + top.counts.removed],
    );
    const rendered = [first.rendered];
    for (const f of [0.5, 1, 0.25]) {
      await scrollTree(page, f);
      rendered.push((await treeState(page)).rendered);
    }
    await phase(page, "expand");
    await page.click("#tree-expand-all");
    await page.waitForFunction((n) => {
      const s = /; (\d+) rows shown/.exec(document.querySelector("#tree-stats")?.textContent ?? "");
      return s && Number(s[1]) > n;
    }, Number(m[3]), { timeout: TIMEOUT_MS });
    const expanded = /; (\d+) rows shown/.exec((await treeState(page)).stats);
    console.log(`     expanded: ${expanded[1]} rows shown`);
    if (Number(expanded[1]) < ENTRIES / 10) p.push(`Expand all shows only ${expanded[1]} rows`);
    for (const f of [0.7, 1, 0]) {
      await scrollTree(page, f);
      rendered.push((await treeState(page)).rendered);
    }
    await phase(page, "search");
    // Matches and the directories holding them (opened to show them).
    await page.fill("#tree-filter", "d00042/");
    await page
      .waitForFunction(
        () => {
          const rows = [...document.querySelectorAll("#files .tree-row")];
          return rows.some((r) => r.dataset.path.includes("d00042/")) && rows.every((r) => r.dataset.path.includes("d00042/") || r.querySelector("button.toggle"));
        },
        null,
        { timeout: TIMEOUT_MS },
      )
      .catch(() => p.push("the filter did not leave only matches and their directories"));
    rendered.push((await treeState(page)).rendered);
    await page.fill("#tree-filter", "");
    await page.waitForFunction(() => document.querySelectorAll("#files .tree-row").length > 0, null, { timeout: TIMEOUT_MS });
    console.log(`     rows rendered after each step: ${rendered.join(", ")}`);
    if (Math.max(...rendered) > MAX_RENDERED) p.push(`up to ${Math.max(...rendered)} rows rendered (bound ${MAX_RENDERED})`);
  });

  await test("the waste view, the size map and the findings open", async (p) => {
    await phase(page, "views");
    await page.click('nav.sections a[href="#findings"]');
    await page.waitForSelector("#findings", { timeout: TIMEOUT_MS });
    await page.click('nav.sections a[href="#size-map"]');
    await page.waitForSelector("#size-map svg", { timeout: TIMEOUT_MS }).catch(() => p.push("no size map"));
    await page.click('nav.sections a[href="#layers-files"]');
  });

  await test("Build gives the bytes `layerlens squash` writes", async (p) => {
    await phase(page, "build");
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: TIMEOUT_MS }),
      page.click("#build"),
    ]);
    const got = await readFile(await download.path());
    const out = join(work, "squashed-cli.tar");
    const r = await run(cli, ["squash", image, "-o", out]);
    if (r.code !== 0) throw new Error(`layerlens squash: ${r.stderr}`);
    const cliBytes = await readFile(out);
    if (sha256(got) !== sha256(cliBytes)) p.push(`the download (${got.length} bytes) differs from layerlens squash (${cliBytes.length} bytes)`);
    await rm(out, { force: true });
    await download.delete();
    // Moving around after the build.
    await phase(page, "after");
    await scrollTree(page, 0.6);
  });

  const tasks = await page.evaluate(() => window.__long);
  const messages = await page.evaluate(() => window.__messages);
  const outside = await page.evaluate(() => window.__outside);
  console.log(`     DOM changes outside the progress bar by phase: ${JSON.stringify(outside)}`);
  const byPhase = new Map();
  for (const t of tasks) byPhase.set(t.phase, [...(byPhase.get(t.phase) ?? []), t.ms]);
  console.log(`     main-thread long tasks (> 50 ms) by phase (figures, not checked):`);
  for (const ph of ["load", "open", "scroll", "expand", "search", "views", "build", "after"]) {
    const xs = byPhase.get(ph) ?? [];
    console.log(`       ${ph.padEnd(7)} ${xs.length} task(s)${xs.length ? `, longest ${Math.max(...xs).toFixed(0)} ms` : ""}`);
  }
  console.log(`     messages from the worker: ${messages.count}, largest ${messages.largest} bytes (${messages.largestType}…)`);
  const big = messages.largest > MAX_MESSAGE ? [`a message of ${messages.largest} bytes (bound ${MAX_MESSAGE}): ${messages.largestType}`] : [];
  check("no message to the page grows with the number of entries", big);
  check("no errors, nothing left localhost", errors);
  await browser.close();
  server.close();
  process.exit(summary());
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exit(1);
});
