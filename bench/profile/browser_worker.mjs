// CPU profile of the web app's worker while it opens an image (V8's sampling profiler over the
// DevTools protocol), to explain where the browser's time to the layer table goes.
// Prints the top functions by self time and by total time; writes the .cpuprofile (loadable in
// Chrome DevTools) next to OUT.
//
// Usage: [DIST=dir] [PHASE=build|waste] node bench/profile/browser_worker.mjs IMAGE OUT.cpuprofile
// PHASE=build profiles the squash instead: from the click on Build to the download;
// PHASE=waste the open up to the waste report shown (`#dive-efficiency`) instead of the table.
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { launch, newContext, root, serve } from "../../e2e/lib.mjs";

const image = resolve(process.argv[2] ?? join(root, "target", "bench-images", "out", "large.docker.tar"));
const outPath = resolve(process.argv[3] ?? "worker.cpuprofile");

// DIST: another build of the app (e.g. one whose wasm keeps its function names).
const server = await serve(resolve(process.env.DIST ?? join(root, "dist")));
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await launch();
const { context } = await newContext(browser);
const page = await context.newPage();
await page.goto(`${origin}/`, { waitUntil: "load" });
await page.waitForSelector("#worker-status.ready", { timeout: 30_000 });

// Attach to the worker through a browser-level session (non-flat: messages are wrapped).
const bs = await browser.newBrowserCDPSession();
const { targetInfos } = await bs.send("Target.getTargets");
// The analysis worker (its layer workers, started ahead, are workers too, titled by their name).
const worker = targetInfos.find((t) => t.type === "worker" && t.title !== "layerlens-layer");
if (!worker) throw new Error("no worker target: " + JSON.stringify(targetInfos.map((t) => t.type)));
const { sessionId } = await bs.send("Target.attachToTarget", { targetId: worker.targetId, flatten: false });
let nextId = 1;
const pending = new Map();
bs.on("Target.receivedMessageFromTarget", (e) => {
  if (e.sessionId !== sessionId) return;
  const msg = JSON.parse(e.message);
  if (msg.id && pending.has(msg.id)) {
    pending.get(msg.id)(msg);
    pending.delete(msg.id);
  }
});
const send = (method, params = {}) =>
  new Promise((ok, fail) => {
    const id = nextId++;
    pending.set(id, (m) => (m.error ? fail(new Error(JSON.stringify(m.error))) : ok(m.result)));
    bs.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method, params }) });
  });

const BUILD = process.env.PHASE === "build";
const WASTE = process.env.PHASE === "waste";
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: BUILD ? 1000 : 200 });
if (BUILD) {
  await page.setInputFiles("#file-input", image);
  await page.waitForFunction(() => document.querySelector("#plan-archive-size") && !document.querySelector("#build")?.disabled, null, { timeout: 600_000 });
}
await send("Profiler.start");
const t = performance.now();
if (BUILD) {
  await Promise.all([page.waitForEvent("download", { timeout: 900_000 }), page.click("#build")]);
} else {
  await page.setInputFiles("#file-input", image);
  await page.waitForSelector(WASTE ? "#dive-efficiency" : "#layer-table", { timeout: 600_000 });
}
const tableMs = performance.now() - t;
const { profile } = await send("Profiler.stop");
await writeFile(outPath, JSON.stringify(profile));
await browser.close();
server.close();

// Self and total time per function name.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
for (const id of profile.samples) self.set(id, (self.get(id) ?? 0) + 1);
const total = new Map();
const selfByName = new Map();
const name = (n) => `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url ? n.callFrame.url.split("/").pop() : ""}`.trim();
for (const [id, k] of self) {
  const n = byId.get(id);
  selfByName.set(name(n), (selfByName.get(name(n)) ?? 0) + k);
  const seen = new Set();
  for (let p = id; p !== undefined; p = parent.get(p)) {
    const nm = name(byId.get(p));
    if (seen.has(nm)) continue;
    seen.add(nm);
    total.set(nm, (total.get(nm) ?? 0) + k);
  }
}
const N = profile.samples.length;
const ms = (k) => ((k / N) * (profile.endTime - profile.startTime)) / 1000;
console.log(`${BUILD ? "Build → download" : WASTE ? "open → waste shown" : "open → layer table"} ${tableMs.toFixed(0)} ms; ${N} samples over ${(ms(N)).toFixed(0)} ms of the worker`);
console.log("\nself time:");
for (const [k, v] of [...selfByName].sort((a, b) => b[1] - a[1]).slice(0, 25))
  console.log(`${ms(v).toFixed(0).padStart(7)} ms ${((100 * v) / N).toFixed(1).padStart(5)} %  ${k}`);
console.log("\ntotal time:");
for (const [k, v] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 40))
  console.log(`${ms(v).toFixed(0).padStart(7)} ms ${((100 * v) / N).toFixed(1).padStart(5)} %  ${k}`);
