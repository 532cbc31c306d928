// What each long main-thread task is made of while the app opens an image and the findings and
// the size map are visited: a Chromium trace (categories toplevel and devtools.timeline) gives
// every task over 50 ms on the page's main thread with its time split by kind (script run for a
// worker message or a timer, style, layout, paint, garbage collection), placed against the first
// appearance of the page's milestones (the layer table, the file list's rows, the waste figures,
// the size map, each deferred section mounting). Figures, no assertions.
//
// Usage: node bench/profile/long_tasks.mjs IMAGE [--dist DIR]
// Environment: LONG_MS, DETAIL, CATEGORIES, SCRIPT (below).

import { join, resolve } from "node:path";
import { launch, newContext, root, serve } from "../../e2e/lib.mjs";
import { cpuProfiles, frameName, markTrace, traceMark, traced } from "./trace.mjs";

const args = process.argv.slice(2);
const distAt = args.indexOf("--dist");
const dist = resolve(distAt >= 0 ? args.splice(distAt, 2)[1] : join(root, "dist"));
const image = resolve(args[0] ?? "");
const TIMEOUT = 10 * 60_000;
/** Tasks longer than this count (µs); LONG_MS=N in the environment lowers it to see the tasks just under 50 ms. */
const LONG_US = Number(process.env.LONG_MS ?? 50) * 1000;
/** Events a task's time is split into (the outermost of each kind counts). */
/** DETAIL=N in the environment also prints each long task's N longest events of any kind, and
 * CATEGORIES=… adds trace categories (say `blink,fonts,disabled-by-default-devtools.timeline`). */
const DETAIL = Number(process.env.DETAIL ?? 0);
/** SCRIPT=N: also V8's samples inside each long task, its N functions with the most time
 * (self, and in them and their callees: the app's own, `layerlens` in the name). Function
 * names need an app wasm built with `data-wasm-opt="0" data-keep-debug` on its link. */
const SCRIPT = Number(process.env.SCRIPT ?? 0);
const CATEGORIES = ["toplevel,devtools.timeline", process.env.CATEGORIES, SCRIPT > 0 && "disabled-by-default-v8.cpu_profiler"].filter(Boolean).join(",");
const KINDS = ["HandlePostMessage", "TimerFire", "FireIdleCallback", "FireAnimationFrame", "EventDispatch", "UpdateLayoutTree", "Layout", "PrePaint", "Paint", "Layerize", "Commit", "MajorGC", "MinorGC", "ParseHTML", "EvaluateScript"];

async function main() {
  const server = await serve(dist);
  const browser = await launch();
  const { context } = await newContext(browser);
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__marks = [];
    const sels = { "layer table": "#layer-table", "file list rows": "#files .tree-row", "waste figures": "#dive-efficiency", "size map drawn": "#size-map-svg svg", "squash plan": "#plan-archive-size" };
    const seen = new Set();
    new MutationObserver(() => {
      const t = performance.timeOrigin + performance.now();
      for (const [k, s] of Object.entries(sels)) if (!seen.has(k) && document.querySelector(s)) seen.add(k) && window.__marks.push([t, k]);
      for (const el of document.querySelectorAll("[data-deferred]")) seen.add(`wait:${el.id}`);
      for (const k of [...seen].filter((k) => k.startsWith("wait:"))) {
        const id = k.slice(5);
        // Mounted: the placeholder has gone (its content may not carry its id).
        if (!document.getElementById(id)?.hasAttribute("data-deferred") && !seen.has(`mount:${id}`)) seen.add(`mount:${id}`) && window.__marks.push([t, `mounted #${id}`]);
      }
    }).observe(document, { subtree: true, childList: true });
  });
  await page.goto(`http://127.0.0.1:${server.address().port}/`, { waitUntil: "load" });
  await page.waitForSelector("#worker-status.ready", { timeout: 30_000 });
  let chosen = 0;
  let moving = 0;
  const { events, result: marks } = await traced(context, page, CATEGORIES, async () => {
    chosen = await markTrace(page, "long_tasks:start");
    await page.setInputFiles("#file-input", image);
    await page.waitForSelector("#dive-efficiency", { timeout: TIMEOUT });
    await page.waitForSelector("#files .tree-row", { timeout: TIMEOUT });
    await page.waitForFunction(() => !document.querySelector('[data-deferred="waiting"]'), null, { timeout: TIMEOUT });
    await page.waitForTimeout(3000);
    moving = await page.evaluate(() => performance.timeOrigin + performance.now());
    await page.click('nav.sections a[href="#findings"]');
    await page.waitForTimeout(1500);
    await page.click('nav.sections a[href="#size-map"]');
    await page.waitForSelector("#size-map svg", { timeout: TIMEOUT }).catch(() => {});
    await page.waitForTimeout(2000);
    return page.evaluate(() => window.__marks);
  });
  await browser.close();
  server.close();

  const profiles = SCRIPT > 0 ? cpuProfiles(events) : [];
  const mains = new Set(events.filter((e) => e.ph === "M" && e.name === "thread_name" && e.args?.name === "CrRendererMain").map((e) => `${e.pid}:${e.tid}`));
  const main = events.filter((e) => mains.has(`${e.pid}:${e.tid}`));
  const stamp = traceMark(main, "long_tasks:start");
  // Page ms since the file was chosen, from trace µs (the marker is within a round trip of it).
  const at = (ts) => (ts - stamp.ts) / 1000;
  const rows = marks.map(([t, what]) => [t - chosen, what]);
  for (const task of main.filter((e) => e.ph === "X" && e.name === "ThreadControllerImpl::RunTask" && e.dur > LONG_US && e.ts >= stamp.ts)) {
    const inside = main.filter((e) => e.ph === "X" && e !== task && e.ts >= task.ts && e.ts + e.dur <= task.ts + task.dur && KINDS.includes(e.name));
    // Outermost of each kind only (nested events of the same kind are not counted twice).
    const split = new Map();
    for (const e of inside) {
      const nested = inside.some((o) => o !== e && o.name === e.name && o.ts <= e.ts && o.ts + o.dur >= e.ts + e.dur && (o.ts < e.ts || o.dur > e.dur));
      if (!nested) split.set(e.name, (split.get(e.name) ?? 0) + e.dur / 1000);
    }
    const parts = [...split.entries()].filter(([, ms]) => ms >= 1).sort((a, b) => b[1] - a[1]).map(([k, ms]) => `${k} ${ms.toFixed(0)}`);
    rows.push([at(task.ts), `TASK ${(task.dur / 1000).toFixed(0)} ms: ${parts.join(", ")}`]);
    if (SCRIPT > 0) {
      const profile = profiles.find((p) => p.pid === task.pid && p.tid === task.tid);
      const self = new Map();
      const within = new Map();
      for (const [t, id, delta] of profile?.timed ?? []) {
        if (t < task.ts || t > task.ts + task.dur) continue;
        const ms = delta / 1000;
        const own = frameName(profile, id);
        self.set(own, (self.get(own) ?? 0) + ms);
        const seen = new Set();
        for (let n = id; n !== undefined; n = profile.nodes.get(n)?.parent) {
          const name = frameName(profile, n);
          if (!seen.has(name) && name.includes("layerlens")) within.set(name, (within.get(name) ?? 0) + ms);
          seen.add(name);
        }
      }
      const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, SCRIPT).map(([k, v]) => `${v.toFixed(1)} ${k.slice(0, 110)}`);
      for (const line of top(self)) rows.push([at(task.ts), `    self ${line}`]);
      for (const line of top(within)) rows.push([at(task.ts), `    in   ${line}`]);
    }
    if (DETAIL > 0) {
      const all = main.filter((e) => e.ph === "X" && e !== task && e.ts >= task.ts && e.ts + e.dur <= task.ts + task.dur && e.dur >= 1000);
      for (const e of all.sort((a, b) => b.dur - a.dur).slice(0, DETAIL)) {
        const arg = JSON.stringify(e.args?.data ?? e.args ?? {}).slice(0, 100);
        rows.push([at(e.ts), `    ${(e.dur / 1000).toFixed(1)} ms ${e.cat} ${e.name} ${arg}`]);
      }
    }
  }
  rows.push([moving - chosen, "-- moving: the findings and the size map visited --"]);
  rows.sort((a, b) => a[0] - b[0]);
  console.log(`# ${image.split("/").pop()} (${dist}): ms after the file is chosen`);
  for (const [t, what] of rows) console.log(`${t.toFixed(0).padStart(8)}  ${what}`);
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exit(1);
});
