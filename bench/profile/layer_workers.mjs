// CPU time of the layer workers while the app opens an image, by function: V8's sampling
// profiler recorded through a Chromium trace (category disabled-by-default-v8.cpu_profiler),
// which keeps the samples of workers that are gone by the end (an open terminates its layer
// workers once the image is assembled, so a DevTools session on them cannot stop its
// profiler). Only samples inside a layer job count (between the begin and end of a thread's
// "layerlens index blob" measure): "(idle)" there is time the job waited for its reads. Use a build whose worker
// wasm keeps its names (`data-wasm-opt="0" data-keep-debug` on the worker's link in
// index.html) to see Rust functions. Figures, no assertions.
//
// Usage: node bench/profile/layer_workers.mjs IMAGE [--dist DIR] [--callers PATTERN]
// --callers: also the call stacks (innermost first) under which the functions whose names
// contain PATTERN spent their own time.

import { join, resolve } from "node:path";
import { launch, newContext, root, serve } from "../../e2e/lib.mjs";
import { cpuProfiles, frameName, traced } from "./trace.mjs";

const args = process.argv.slice(2);
const distAt = args.indexOf("--dist");
const dist = resolve(distAt >= 0 ? args.splice(distAt, 2)[1] : join(root, "dist"));
const callersAt = args.indexOf("--callers");
const callersOf = callersAt >= 0 ? args.splice(callersAt, 2)[1] : null;
const image = resolve(args[0] ?? "");

const server = await serve(dist);
const browser = await launch();
const { context } = await newContext(browser);
const page = await context.newPage();
await page.goto(`http://127.0.0.1:${server.address().port}/`, { waitUntil: "load" });
await page.waitForSelector("#worker-status.ready", { timeout: 30_000 });
// The layer workers started ahead are ready by then.
await page.waitForTimeout(2000);
const { events } = await traced(context, page, "disabled-by-default-v8.cpu_profiler,blink.user_timing", async () => {
  await page.setInputFiles("#file-input", image);
  await page.waitForSelector("#layer-table", { timeout: 600_000 });
});
await browser.close();
server.close();

// Each thread's job intervals (trace µs), from its measures' begin and end events.
const jobs = new Map();
const open = new Map();
for (const e of events.filter((e) => e.name?.startsWith("layerlens index blob"))) {
  const key = `${e.tid}:${e.name}:${e.id2?.local ?? e.id ?? ""}`;
  if (e.ph === "b") open.set(key, e.ts);
  else if (e.ph === "e" && open.has(key)) {
    if (!jobs.has(e.tid)) jobs.set(e.tid, []);
    jobs.get(e.tid).push([open.get(key), e.ts]);
    open.delete(key);
  }
}
const self = new Map();
const stacks = new Map();
let all = 0;
let threads = 0;
let jobMs = 0;
for (const [, spans] of jobs) for (const [b, e] of spans) jobMs += (e - b) / 1000;
for (const p of cpuProfiles(events)) {
  const spans = jobs.get(p.tid);
  if (!spans) continue;
  threads += 1;
  const name = (id) => frameName(p, id);
  for (const [t, id, delta] of p.timed) {
    if (!spans.some(([b, e]) => b <= t && t <= e)) continue;
    const ms = delta / 1000;
    self.set(name(id), (self.get(name(id)) ?? 0) + ms);
    all += ms;
    if (callersOf && name(id).includes(callersOf)) {
      const chain = [];
      for (let n = p.nodes.get(id)?.parent; n !== undefined && chain.length < 6; n = p.nodes.get(n)?.parent) chain.push(name(n));
      const k = chain.join(" ← ");
      stacks.set(k, (stacks.get(k) ?? 0) + ms);
    }
  }
}
console.log(`# ${image.split("/").pop()} (${dist}): ${threads} layer worker(s), jobs ${jobMs.toFixed(0)} ms in all, ${all.toFixed(0)} ms of samples inside them`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(`${v.toFixed(0).padStart(7)} ms ${((100 * v) / all).toFixed(1).padStart(5)} %  ${k}`);
}
if (callersOf) {
  console.log(`\n# where functions matching "${callersOf}" spent their own time, by caller`);
  for (const [k, v] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${v.toFixed(0).padStart(7)} ms  ${k}`);
}
