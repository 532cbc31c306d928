// Browser benchmark: the built app (dist/) on a big image in headless Chromium, next to the
// native CLI on the same file. Prints figures (medians of several runs, as a Markdown table);
// asserts nothing about time.
//
// Per run, in a fresh browser (1280×800), timed inside the page (from the file input's change
// event, and from the click on #build): the layer table, the waste analysis and the file tree
// appearing, and the download starting; also as Playwright sees them from Node (with protocol
// round trips) and until the file is saved; main-thread long tasks (PerformanceObserver 'longtask': count and longest, split
// into those before and after the click on #build); peak memory of Chromium, sampled every
// 100 ms as the summed RSS of the browser's process tree (the children of this Node process, see
// docs/browser-io.md) and, every 500 ms, the summed PSS (RSS counts pages shared between
// Chromium's processes once per process; PSS splits them).
// Natively (release build): `layerlens analyze` and `layerlens squash` on the same file, with
// their peak RSS from /usr/bin/time. The first run also checks that the download has the same
// bytes as the native output (sha256).
//
// Between opening and building, each run moves around the page as a person would (the file
// list scrolled, expanded whole, scrolled again and searched; the findings and the size map
// visited): its long tasks are counted apart ("moving"). Memory is also broken down per
// Chromium process type (browser, renderer, GPU, utility) at the peak, and a baseline run
// (the app loaded, no file) gives what Chromium itself takes with the same flags.
//
// Usage: node bench/browser.mjs [IMAGE] [--runs N] [--json FILE] [--dist DIR] [--open-only]   (default IMAGE:
//        the 1.64 GB `large` image at target/bench-images/out/large.docker.tar; default 3
//        runs; --json also writes every run's figures and the medians to FILE, for bench/run;
//        --dist serves another build of the app, e.g. an older one to compare;
//        --browser-only skips the native CLI, its build and the download's comparison;
//        --open-only times opening only: no Build, no native squash)
// Needs: dist/ built (trunk build index.html --release --offline); builds the release CLI.

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, readFileSync, readdirSync } from "node:fs";
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { launch, newContext, root, serve } from "../e2e/lib.mjs";

const args = process.argv.slice(2);
const runsAt = args.indexOf("--runs");
const RUNS = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 3;
const jsonAt = args.indexOf("--json");
const JSON_OUT = jsonAt >= 0 ? resolve(args.splice(jsonAt, 2)[1]) : null;
// --open-only: time opening only (no Build, no native squash), e.g. for a gzip oci-archive whose
// squashed download would collect gigabytes of decompressed bytes into a Blob.
const openOnlyAt = args.indexOf("--open-only");
const OPEN_ONLY = openOnlyAt >= 0 && Boolean(args.splice(openOnlyAt, 1));
const browserOnlyAt = args.indexOf("--browser-only");
const BROWSER_ONLY = browserOnlyAt >= 0 && Boolean(args.splice(browserOnlyAt, 1));
const distAt = args.indexOf("--dist");
const dist = distAt >= 0 ? resolve(args.splice(distAt, 2)[1]) : join(root, "dist");
const image = resolve(args[0] ?? join(root, "target", "bench-images", "out", "large.docker.tar"));
const out = join(root, "target", "bench");
const cli = join(root, "target", "release", "layerlens");
const TIMEOUT_MS = 10 * 60_000;
const PAGE = 4096;

// ---------------------------------------------------------------------------------------------
// Memory of the browser: its process tree under this Node process

/** pid → ppid for every process. */
function parents() {
  const map = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, "utf8");
      // Fields after the command (which may hold spaces) : state ppid ...
      map.set(Number(d), Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  return map;
}

/** Every descendant of `pid`. */
function descendants(pid) {
  const byParent = new Map();
  for (const [p, pp] of parents()) {
    if (!byParent.has(pp)) byParent.set(pp, []);
    byParent.get(pp).push(p);
  }
  const found = [];
  const todo = [pid];
  while (todo.length) {
    for (const k of byParent.get(todo.pop()) ?? []) {
      found.push(k);
      todo.push(k);
    }
  }
  return found;
}

function rss(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * PAGE;
  } catch {
    return 0;
  }
}

function pss(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Chromium's process type from its command line (`--type=renderer`…; none: the browser). */
function kind(pid) {
  try {
    // Chromium rewrites its children's command lines as one string (setproctitle).
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split(/[\0 ]/);
    if (/crashpad/.test(argv[0] ?? "")) return "crashpad";
    if (!/chrom/.test(argv[0] ?? "")) return "other";
    const t = argv.find((a) => a.startsWith("--type="))?.slice(7) ?? "browser";
    const sub = argv.find((a) => a.startsWith("--utility-sub-type="))?.slice(19).split(".").pop();
    return sub ? `${t} (${sub})` : t;
  } catch {
    return "gone";
  }
}

/** RSS and PSS summed per process type. */
function breakdown(pids) {
  const by = {};
  for (const p of pids) {
    const k = kind(p);
    by[k] ??= { n: 0, rss: 0, pss: 0 };
    by[k].n++;
    by[k].rss += rss(p);
    by[k].pss += pss(p);
  }
  return by;
}

/** Samples the summed RSS (every 100 ms) and PSS (every 500 ms) of this process's children,
 *  and the per-type breakdown at the highest RSS seen (at most every 500 ms). */
function memorySampler() {
  const peak = { rss: 0, pss: 0, processes: 0, byType: {} };
  let tick = 0;
  const sample = () => {
    const pids = descendants(process.pid);
    const total = pids.reduce((s, p) => s + rss(p), 0);
    const slow = tick++ % 5 === 0;
    if (total > peak.rss && slow) peak.byType = breakdown(pids);
    peak.rss = Math.max(peak.rss, total);
    if (slow) peak.pss = Math.max(peak.pss, pids.reduce((s, p) => s + pss(p), 0));
    peak.processes = Math.max(peak.processes, pids.length);
  };
  const timer = setInterval(sample, 100);
  sample();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Runs a command with inherited output; resolves to its exit code. */
function runInherit(cmd, argv) {
  return new Promise((ok) => spawn(cmd, argv, { stdio: "inherit" }).on("exit", (code) => ok(code)));
}

/** Runs a command under /usr/bin/time -v; resolves to { ms, maxRss, code }. */
function timed(cmd, argv) {
  return new Promise((ok) => {
    const started = process.hrtime.bigint();
    const child = spawn("/usr/bin/time", ["-v", cmd, ...argv], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      if (code !== 0) process.stderr.write(err);
      ok({ ms, maxRss: kb ? Number(kb[1]) * 1024 : NaN, code });
    });
  });
}

function sha256(file) {
  return new Promise((ok, fail) => {
    const h = createHash("sha256");
    createReadStream(file, { highWaterMark: 8 << 20 })
      .on("data", (d) => h.update(d))
      .on("end", () => ok(h.digest("hex")))
      .on("error", fail);
  });
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const secs = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "–");
const gb = (b) => (Number.isFinite(b) ? (b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : `${(b / 1e6).toFixed(0)} MB`) : "–");
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(1)}×` : "–");

// ---------------------------------------------------------------------------------------------
// One browser run

/** Waits until `fn` holds in the page (or 60 s pass: a figure, not a failure). */
const until = (page, fn, arg) => page.waitForFunction(fn, arg, { timeout: 60_000 }).catch(() => {});

/** Moves around the page as a person would after opening: the file list scrolled, expanded
 *  whole, scrolled and searched; the findings and the size map visited. */
async function moveAround(page) {
  const scrollTo = async (f) => {
    await page.evaluate((f) => {
      const el = document.querySelector("#files .tree-scroll");
      el.scrollTop = (el.scrollHeight - el.clientHeight) * f;
    }, f);
    await page.waitForTimeout(300);
  };
  const shown = () => page.evaluate(() => Number(/; (\d+) rows shown/.exec(document.querySelector("#tree-stats")?.textContent ?? "")?.[1]));
  for (const f of [0.5, 1, 0]) await scrollTo(f);
  const before = await shown();
  // By id, not by accessible name (getByRole's name computation made long tasks of its
  // own); by text in builds before the id.
  await page.evaluate(() => (document.querySelector("#tree-expand-all") ?? [...document.querySelectorAll("#files button")].find((b) => b.textContent === "Expand all")).click());
  await until(page, (n) => Number(/; (\d+) rows shown/.exec(document.querySelector("#tree-stats")?.textContent ?? "")?.[1]) > n, before);
  for (const f of [0.3, 0.9, 0]) await scrollTo(f);
  await page.fill("#tree-filter", "conf");
  await until(page, (n) => Number(/; (\d+) rows shown/.exec(document.querySelector("#tree-stats")?.textContent ?? "")?.[1]) !== n, await shown());
  await page.fill("#tree-filter", "");
  await page.waitForTimeout(300);
  await page.click('nav.sections a[href="#findings"]');
  await page.waitForTimeout(300);
  await page.click('nav.sections a[href="#size-map"]');
  await until(page, () => document.querySelector("#size-map svg"));
  await page.click('nav.sections a[href="#squash"]');
  await page.waitForTimeout(300);
}

/** Chromium with the app loaded and no file, sampled for 3 s: what the browser itself takes. */
async function baselineRun(origin) {
  const memory = memorySampler();
  const browser = await launch();
  const { context } = await newContext(browser);
  const page = await context.newPage();
  await page.goto(`${origin}/`, { waitUntil: "load" });
  await page.waitForSelector("#worker-status.ready", { timeout: 30_000 });
  await page.waitForTimeout(3000);
  const peak = memory.stop();
  await browser.close();
  return peak;
}

/** "renderer ×2: RSS 300 MB, PSS 200 MB; …" */
const types = (byType) =>
  Object.entries(byType)
    .sort((a, b) => b[1].rss - a[1].rss)
    .map(([k, v]) => `${k} ×${v.n}: RSS ${gb(v.rss)}, PSS ${gb(v.pss)}`)
    .join("; ");

async function browserRun(origin, keepDownloadAt) {
  const memory = memorySampler();
  const browser = await launch();
  const { context } = await newContext(browser);
  const page = await context.newPage();
  await page.addInitScript(() => {
    // In-page timestamps (what a user sees, without Playwright's protocol round trips): the
    // file input's change event, the first appearance of each view, the download's click.
    window.__t = {};
    document.addEventListener("change", () => { window.__t.change ??= performance.now(); }, true);
    const seen = { table: "#layer-table", waste: "#dive-efficiency", tree: "#files .tree-row" };
    new MutationObserver(() => {
      for (const [k, sel] of Object.entries(seen)) {
        if (window.__t[k] === undefined && document.querySelector(sel)) window.__t[k] = performance.now();
      }
    }).observe(document, { subtree: true, childList: true });
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function () {
      if (this.download) window.__t.download ??= performance.now();
      return click.call(this);
    };
    window.__long = [];
    window.__phase = "open";
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__long.push([e.startTime, e.duration, window.__phase]);
    }).observe({ type: "longtask", buffered: true });
  });
  await page.goto(`${origin}/`, { waitUntil: "load" });
  await page.waitForSelector("#worker-status.ready", { timeout: 30_000 });

  let t = performance.now();
  await page.setInputFiles("#file-input", image);
  await page.waitForSelector("#layer-table", { timeout: TIMEOUT_MS });
  const table = performance.now() - t;
  const error = await page.$("#error");
  if (error) throw new Error(`the app failed: ${await error.textContent()}`);
  const layers = Number(await page.textContent("#layer-count"));
  const workerMs = Number(/([\d.]+) ms/.exec(await page.textContent("#overview"))?.[1]);
  // The waste analysis follows the table (the worker sends it second).
  await page.waitForSelector("#dive-efficiency", { timeout: TIMEOUT_MS });
  const waste = performance.now() - t;
  // The file tree (all paths of the top layer) arrives after the table; wait for it so its
  // main-thread work counts as opening, not building.
  // (Not every build shows a tree at a million entries: after BENCH_TREE_MS, default the
  // whole timeout, the run goes on without it.)
  const treeShown = await page
    .waitForSelector("#files .tree-row", { timeout: Number(process.env.BENCH_TREE_MS ?? TIMEOUT_MS) })
    .then(() => true, () => false);
  const tree = treeShown ? performance.now() - t : NaN;
  await page.waitForSelector("#plan-archive-size", { timeout: TIMEOUT_MS });
  const planned = Number(await page.getAttribute("#plan-archive-size", "data-bytes"));

  await page.evaluate(() => (window.__phase = "moving"));
  await moveAround(page);
  await page.evaluate(() => (window.__phase = "build"));

  const clickedAt = await page.evaluate(() => performance.now());
  if (OPEN_ONLY) {
    const inPage = await page.evaluate(() => {
      const t = window.__t;
      return { table: t.table - t.change, waste: t.waste - t.change, tree: t.tree - t.change, build: NaN };
    });
    const tasks = await page.evaluate(() => window.__long);
    const summary = (xs) => ({ count: xs.length, max: Math.max(0, ...xs.map((x) => x[1])) });
    const long = {
      ...summary(tasks),
      open: summary(tasks.filter((x) => x[2] === "open")),
      moving: summary(tasks.filter((x) => x[2] === "moving")),
      build: { count: 0, max: 0 },
    };
    await browser.close();
    const peak = memory.stop();
    return { inPage, table, waste, tree, workerMs, build: NaN, saved: NaN, size: NaN, planned, layers, long, peak };
  }
  t = performance.now();
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: TIMEOUT_MS }),
    page.click("#build"),
  ]);
  const build = performance.now() - t;
  // Parts of the download's Blob (the app's own count; absent in builds before it).
  const blobParts = Number((await page.getAttribute("#download-link", "data-parts").catch(() => null)) ?? NaN);
  const inPage = await page.evaluate(({ clickedAt }) => {
    const t = window.__t;
    return { table: t.table - t.change, waste: t.waste - t.change, tree: t.tree - t.change, build: t.download - clickedAt };
  }, { clickedAt });
  let saved = NaN;
  let size = NaN;
  let digest;
  const path = await download.path();
  if (path) {
    saved = performance.now() - t;
    size = (await stat(path)).size;
    if (keepDownloadAt) digest = await sha256(path);
  }
  const tasks = await page.evaluate(() => window.__long);
  const summary = (xs) => ({ count: xs.length, max: Math.max(0, ...xs.map((x) => x[1])) });
  const long = {
    ...summary(tasks),
    open: summary(tasks.filter((x) => x[2] === "open")),
    moving: summary(tasks.filter((x) => x[2] === "moving")),
    build: summary(tasks.filter((x) => x[2] === "build")),
  };
  await download.delete();
  await browser.close();
  const peak = memory.stop();
  return { inPage, table, waste, tree, workerMs, build, saved, size, planned, layers, long, peak, digest, blobParts };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (!(await stat(image).catch(() => null))) {
    console.log(`${image} not found.`);
    if (image.endsWith("/large.docker.tar")) {
      console.log("Build the 1.64 GB `large` image (a few minutes) from the repository root with:");
      console.log("  bench/make-images large");
    }
    process.exit(2);
  }
  if (!(await stat(join(dist, "index.html")).catch(() => null))) {
    console.log("dist/index.html not found: build the app first:");
    console.log('  PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH" TRUNK_SKIP_VERSION_CHECK=true trunk build index.html --release --offline');
    process.exit(2);
  }
  if (!BROWSER_ONLY) {
    console.log("building the release CLI (cargo build --release -p layerlens-cli)…");
    if ((await runInherit("cargo", ["build", "--release", "-p", "layerlens-cli", "--locked"])) !== 0) process.exit(2);
  }
  await mkdir(out, { recursive: true });
  const nativeOut = join(out, `${basename(image, ".tar")}-native-squashed.tar`);

  const size = (await stat(image)).size;
  console.log(`\nimage: ${image} (${gb(size)}); ${RUNS} runs; warming the page cache…`);
  await sha256(image);

  const server = await serve(dist);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const base = await baselineRun(origin);
  console.log(`baseline (the app loaded, no file): summed RSS ${gb(base.rss)}, PSS ${gb(base.pss)} in ${base.processes} processes: ${types(base.byType)}`);
  const rows = [];
  for (let i = 1; i <= RUNS; i++) {
    const b = await browserRun(origin, i === 1 && !BROWSER_ONLY);
    const skipped = { ms: NaN, maxRss: NaN, code: 0 };
    const native = (argv) => (BROWSER_ONLY ? skipped : timed(cli, argv));
    const n = await native(["analyze", "--no-waste", image]);
    const a = await native(["analyze", image]);
    const s = OPEN_ONLY ? skipped : await native(["squash", image, "-o", nativeOut]);
    rows.push({ b, n, a, s });
    console.log(
      `run ${i}: browser table ${secs(b.inPage.table)} in page, ${secs(b.table)} via Playwright (worker ${secs(b.workerMs)}), waste ${secs(b.inPage.waste)}, ` +
        `tree ${secs(b.inPage.tree)}, build ${secs(b.inPage.build)} in page (${b.blobParts} Blob parts), ${secs(b.build)} via Playwright, saved ${secs(b.saved)}, ` +
        `long tasks ${b.long.count} (max ${b.long.max.toFixed(0)} ms; opening ${b.long.open.count}/${b.long.open.max.toFixed(0)} ms, ` +
        `moving ${b.long.moving.count}/${b.long.moving.max.toFixed(0)} ms, building ${b.long.build.count}/${b.long.build.max.toFixed(0)} ms), peak RSS ${gb(b.peak.rss)} / PSS ${gb(b.peak.pss)} ` +
        `in ≤${b.peak.processes} processes; native analyze --no-waste ${secs(n.ms)}, analyze ${secs(a.ms)} (${gb(a.maxRss)}), squash ${secs(s.ms)} (${gb(s.maxRss)})`,
    );
    console.log(`       at the peak: ${types(b.peak.byType)}`);
    if (i === 1 && !BROWSER_ONLY && !OPEN_ONLY) {
      const native = (await stat(nativeOut).catch(() => null))?.size;
      const same = b.digest && s.code === 0 && b.digest === (await sha256(nativeOut));
      rows.sameBytes = Boolean(same);
      console.log(
        `       ${b.layers} layers; download ${b.size} bytes (planned ${b.planned}), native ${native} bytes: ` +
          (same ? "same bytes (sha256)" : "DIFFERENT bytes"),
      );
    }
  }
  server.close();
  await rm(nativeOut, { force: true });

  const m = (f) => median(rows.map(f));
  const table = [
    ["open → layer table (native: `analyze --no-waste`)", secs(m((r) => r.b.inPage.table)), secs(m((r) => r.n.ms)), ratio(m((r) => r.b.inPage.table), m((r) => r.n.ms))],
    ["open → waste analysis shown (native: `analyze`)", secs(m((r) => r.b.inPage.waste)), secs(m((r) => r.a.ms)), ratio(m((r) => r.b.inPage.waste), m((r) => r.a.ms))],
    ["open → layer table, as Playwright sees it (+ protocol round trips)", secs(m((r) => r.b.table)), "", ""],
    ["… of which the worker's analysis (app's own figure)", secs(m((r) => r.b.workerMs)), "", ""],
    ["open → file tree shown", secs(m((r) => r.b.inPage.tree)), "", ""],
    ["Build → download starts (native: `squash -o`)", secs(m((r) => r.b.inPage.build)), secs(m((r) => r.s.ms)), ratio(m((r) => r.b.inPage.build), m((r) => r.s.ms))],
    ["… Blob parts of the download", `${m((r) => r.b.blobParts)}`, "", ""],
    ["Build → download event, as Playwright sees it", secs(m((r) => r.b.build)), "", ""],
    ["Build → file saved", secs(m((r) => r.b.saved)), "", ""],
    ["main-thread long tasks: count (opening + moving around + building)", `${m((r) => r.b.long.count)} (${m((r) => r.b.long.open.count)} + ${m((r) => r.b.long.moving.count)} + ${m((r) => r.b.long.build.count)})`, "", ""],
    ["longest main-thread task (opening / moving around / building)", `${m((r) => r.b.long.max).toFixed(0)} ms (${m((r) => r.b.long.open.max).toFixed(0)} / ${m((r) => r.b.long.moving.max).toFixed(0)} / ${m((r) => r.b.long.build.max).toFixed(0)} ms)`, "", ""],
    ["peak memory, summed RSS (native: max RSS of squash)", gb(m((r) => r.b.peak.rss)), gb(m((r) => r.s.maxRss)), ratio(m((r) => r.b.peak.rss), m((r) => r.s.maxRss))],
    ["peak memory, summed PSS", gb(m((r) => r.b.peak.pss)), "", ""],
    ["Chromium alone (the app loaded, no file): summed RSS / PSS", `${gb(base.rss)} / ${gb(base.pss)}`, "", ""],
    ["peak above that baseline: RSS / PSS", `${gb(m((r) => r.b.peak.rss) - base.rss)} / ${gb(m((r) => r.b.peak.pss) - base.pss)}`, "", ""],
  ];
  console.log(`\nMedians of ${RUNS} runs, ${basename(image)} (${gb(size)}), ${new Date().toISOString().slice(0, 10)}:\n`);
  console.log("| measure | browser (Chromium) | native CLI | browser/native |");
  console.log("|---|---|---|---|");
  for (const r of table) console.log(`| ${r.join(" | ")} |`);
  if (JSON_OUT) {
    const medians = {
      tableMs: m((r) => r.b.inPage.table),
      wasteMs: m((r) => r.b.inPage.waste),
      playwrightTableMs: m((r) => r.b.table),
      playwrightBuildMs: m((r) => r.b.build),
      nativeAnalyzeNoWasteMs: m((r) => r.n.ms),
      workerMs: m((r) => r.b.workerMs),
      treeMs: m((r) => r.b.inPage.tree),
      buildMs: m((r) => r.b.inPage.build),
      savedMs: m((r) => r.b.saved),
      blobParts: m((r) => r.b.blobParts),
      longTasks: m((r) => r.b.long.count),
      longTasksOpen: m((r) => r.b.long.open.count),
      longTasksMoving: m((r) => r.b.long.moving.count),
      longTasksBuild: m((r) => r.b.long.build.count),
      longestTaskMovingMs: m((r) => r.b.long.moving.max),
      longestTaskMs: m((r) => r.b.long.max),
      longestTaskOpenMs: m((r) => r.b.long.open.max),
      longestTaskBuildMs: m((r) => r.b.long.build.max),
      peakRss: m((r) => r.b.peak.rss),
      peakPss: m((r) => r.b.peak.pss),
      baselineRss: base.rss,
      baselinePss: base.pss,
      nativeAnalyzeMs: m((r) => r.a.ms),
      nativeAnalyzeRss: m((r) => r.a.maxRss),
      nativeSquashMs: m((r) => r.s.ms),
      nativeSquashRss: m((r) => r.s.maxRss),
      // Ratios per run (the browser run and the native runs right after it), then the median.
      tableRatio: m((r) => r.b.inPage.table / r.n.ms),
      wasteRatio: m((r) => r.b.inPage.waste / r.a.ms),
      buildRatio: m((r) => r.b.inPage.build / r.s.ms),
    };
    const git = (a) => spawnSync("git", ["-C", root, ...a], { encoding: "utf8" }).stdout.trim();
    const doc = {
      commit: git(["rev-parse", "--short", "HEAD"]),
      dirty: git(["status", "--porcelain", "--", "crates", "web"]) !== "",
      image,
      bytes: size,
      runs: RUNS,
      date: new Date().toISOString(),
      sameBytesAsNative: rows.sameBytes ?? null,
      medians,
      baseline: base,
      rows: rows.map(({ b, n, a, s }) => ({ browser: { ...b, digest: undefined }, analyzeNoWaste: n, analyze: a, squash: s })),
    };
    await writeFile(JSON_OUT, JSON.stringify(doc, null, 1));
    console.log(`\nwrote ${JSON_OUT}`);
  }
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exit(1);
});
