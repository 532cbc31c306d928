// What the trace-based profile scripts share (long_tasks, open_phases, layer_workers): a
// Chromium trace of the page and its workers around some steps, and a marker that puts the
// trace's clock against the page's.

/** Runs `during()` while Chromium traces `categories`; resolves to the trace's events and
 * what `during` returned. */
export async function traced(context, page, categories, during) {
  const cdp = await context.newCDPSession(page);
  const events = [];
  cdp.on("Tracing.dataCollected", (d) => events.push(...d.value));
  const complete = new Promise((r) => cdp.once("Tracing.tracingComplete", r));
  await cdp.send("Tracing.start", { categories, transferMode: "ReportEvents" });
  const result = await during();
  await cdp.send("Tracing.end");
  await complete;
  return { events, result };
}

/** Puts a `console.timeStamp(label)` event in the trace (category devtools.timeline) and
 * resolves to the page's time for it (`performance.timeOrigin + performance.now()`, ms). */
export async function markTrace(page, label) {
  const at = await page.evaluate(() => performance.timeOrigin + performance.now());
  await page.evaluate((l) => console.timeStamp(l), label);
  return at;
}

/** The marker event `label` in `events` (its `ts` is in trace µs). */
export function traceMark(events, label) {
  const stamp = events.find((e) => e.name === "TimeStamp" && e.args?.data?.message === label);
  if (!stamp) throw new Error(`no marker event "${label}" in the trace`);
  return stamp;
}

/** V8's CPU profiles in a trace (category `disabled-by-default-v8.cpu_profiler`), one per
 * thread: `{ pid, tid, nodes, timed }`, where `nodes` maps a node id to its node (callFrame,
 * parent) and `timed` lists the samples as `[trace µs, node id, µs since the previous]`. */
export function cpuProfiles(events) {
  const profiles = new Map();
  for (const e of events) {
    const key = `${e.pid}:${e.id}`;
    if (e.name === "Profile") profiles.set(key, { pid: e.pid, tid: e.tid, start: e.args?.data?.startTime ?? e.ts, nodes: new Map(), samples: [], deltas: [] });
    const p = profiles.get(key);
    if (e.name !== "ProfileChunk" || !p) continue;
    const chunk = e.args?.data?.cpuProfile ?? {};
    for (const n of chunk.nodes ?? []) p.nodes.set(n.id, n);
    p.samples.push(...(chunk.samples ?? []));
    p.deltas.push(...(e.args?.data?.timeDeltas ?? []));
  }
  return [...profiles.values()].map(({ pid, tid, start, nodes, samples, deltas }) => {
    let t = start;
    const timed = samples.map((id, i) => {
      t += deltas[i] ?? 0;
      return [t, id, deltas[i] ?? 0];
    });
    return { pid, tid, nodes, timed };
  });
}

/** A profile node's function, as `name file` (Rust hashes dropped). */
export function frameName(profile, id) {
  const f = profile.nodes.get(id)?.callFrame;
  return f ? `${f.functionName || "(anonymous)"} ${(f.url || "").split("/").pop()}`.replace(/::h[0-9a-f]{16}/g, "").trim() : "?";
}
