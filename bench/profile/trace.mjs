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
