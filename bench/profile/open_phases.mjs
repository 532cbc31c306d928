// Where an open's time goes in the real app: the workers record their phases as User Timing
// measures (web/src/worker/phases.rs: the listing, each layer blob's indexing and wire
// encoding in its layer worker, each decode, assemble, union, summary, the waste report, the
// squash figures, each post to the page), and a Chromium trace (category blink.user_timing)
// collects them from every worker on one clock. Printed against the page's milestones (the
// layer table, the waste figures), in ms after the file is chosen, for each run. Figures, no
// assertions.
//
// Each run is a fresh browser that opens the file as soon as the page says it is ready, as
// bench/browser.mjs does; `--settle MS` waits that long first (the layer workers started
// ahead are ready by then, and a person takes longer than that to pick a file).
//
// Usage: node bench/profile/open_phases.mjs IMAGE [--dist DIR] [--runs N] [--settle MS]

import { join, resolve } from "node:path";
import { launch, newContext, root, serve } from "../../e2e/lib.mjs";
import { markTrace, traceMark, traced } from "./trace.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : fallback;
};
const dist = resolve(option("--dist", join(root, "dist")));
const runs = Number(option("--runs", "1"));
const settle = Number(option("--settle", "0"));
const image = resolve(args[0] ?? "");
const TIMEOUT = 10 * 60_000;

async function once(server) {
  const browser = await launch();
  const { context } = await newContext(browser);
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__marks = [];
    document.addEventListener("change", () => window.__marks.push([performance.timeOrigin + performance.now(), "PAGE: the file input's change event"]), { capture: true, once: true });
    const sels = { "PAGE: layer table shown": "#layer-table", "PAGE: waste figures shown": "#dive-efficiency" };
    const seen = new Set();
    new MutationObserver(() => {
      const t = performance.timeOrigin + performance.now();
      for (const [k, s] of Object.entries(sels)) if (!seen.has(k) && document.querySelector(s)) seen.add(k) && window.__marks.push([t, k]);
    }).observe(document, { subtree: true, childList: true });
  });
  await page.goto(`http://127.0.0.1:${server.address().port}/`, { waitUntil: "load" });
  await page.waitForSelector("#worker-status.ready", { timeout: 30_000 });
  if (settle > 0) await page.waitForTimeout(settle);
  let chosen = 0;
  const { events, result: marks } = await traced(context, page, "devtools.timeline,blink.user_timing", async () => {
    chosen = await markTrace(page, "open_phases:start");
    await page.setInputFiles("#file-input", image);
    await page.waitForSelector("#dive-efficiency", { timeout: TIMEOUT });
    await page.waitForTimeout(500);
    return page.evaluate(() => window.__marks);
  });
  await browser.close();

  const stamp = traceMark(events, "open_phases:start");
  const at = (ts) => (ts - stamp.ts) / 1000;
  // Worker threads by first appearance: the analysis worker lists first.
  const names = new Map(events.filter((e) => e.ph === "M" && e.name === "thread_name").map((e) => [`${e.pid}:${e.tid}`, e.args?.name]));
  const begins = new Map();
  const rows = marks.map(([t, what]) => ({ start: t - chosen, dur: null, what, thread: "page" }));
  const threads = new Map();
  for (const e of events.filter((e) => e.cat?.includes("blink.user_timing") && e.name.startsWith("layerlens "))) {
    const key = `${e.pid}:${e.tid}:${e.name}:${e.id2?.local ?? e.id ?? ""}`;
    if (e.ph === "b") begins.set(key, e);
    else if (e.ph === "e" && begins.has(key)) {
      const b = begins.get(key);
      begins.delete(key);
      const thread = `${e.pid}:${e.tid}`;
      if (!threads.has(thread)) threads.set(thread, `${names.get(thread) ?? "thread"} #${threads.size + 1}`);
      rows.push({ start: at(b.ts), dur: (e.ts - b.ts) / 1000, what: e.name.slice("layerlens ".length), thread: threads.get(thread) });
    }
  }
  rows.sort((a, b) => a.start - b.start);
  return rows;
}

async function main() {
  const server = await serve(dist);
  for (let r = 1; r <= runs; r++) {
    const rows = await once(server);
    console.log(`# ${image.split("/").pop()} (${dist}), run ${r}: ms after the file is chosen`);
    console.log(`${"start".padStart(8)} ${"ms".padStart(7)}  phase (thread)`);
    for (const { start, dur, what, thread } of rows) {
      console.log(`${start.toFixed(0).padStart(8)} ${dur === null ? "".padStart(7) : dur.toFixed(0).padStart(7)}  ${what} (${thread})`);
    }
  }
  server.close();
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exit(1);
});
