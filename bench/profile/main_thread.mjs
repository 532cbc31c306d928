// Where the page's main thread spends its long tasks: V8's sampling profiler (CDP `Profiler`)
// on the page while the app opens an image, moves around it (the file list scrolled, expanded
// and searched; the findings and size map visited) and builds the squash. Prints, per phase,
// the long tasks (PerformanceObserver 'longtask') and the functions with the most self time
// (wasm functions by index unless the build keeps names: build with `data-wasm-opt="0"
// data-keep-debug` on the app's <link> in index.html to see them). Figures, no assertions.
//
// Usage: node bench/profile/main_thread.mjs IMAGE [--dist DIR] [--top N]

import { resolve, join } from "node:path";
import { launch, newContext, root, serve } from "../../e2e/lib.mjs";

const args = process.argv.slice(2);
const take = (flag, dflt) => {
  const at = args.indexOf(flag);
  return at >= 0 ? args.splice(at, 2)[1] : dflt;
};
const dist = resolve(take("--dist", join(root, "dist")));
const TOP = Number(take("--top", 12));
const image = resolve(args[0] ?? "");
const TIMEOUT = 10 * 60_000;

/** Self time per function (ms), from a CDP profile. */
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]);
    const f = n.callFrame;
    const name = `${f.functionName || "(anonymous)"} ${f.url ? f.url.split("/").pop() : ""}${f.lineNumber >= 0 && f.url ? `:${f.lineNumber + 1}` : ""}`;
    self.set(name, (self.get(name) ?? 0) + (dt[i] ?? 0) / 1000);
  }
  return [...self.entries()].sort((a, b) => b[1] - a[1]);
}

async function main() {
  const server = await serve(dist);
  const browser = await launch();
  const { context } = await newContext(browser);
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__long = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) window.__long.push(e.duration);
    }).observe({ type: "longtask", buffered: true });
  });
  await page.goto(`http://127.0.0.1:${server.address().port}/`, { waitUntil: "load" });
  await page.waitForSelector("#worker-status.ready", { timeout: 30_000 });
  const cdp = await context.newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });

  const phase = async (name, fn) => {
    await page.evaluate(() => (window.__long = []));
    await cdp.send("Profiler.start");
    const t = Date.now();
    await fn();
    const { profile } = await cdp.send("Profiler.stop");
    const long = await page.evaluate(() => window.__long);
    console.log(`\n## ${name} (${((Date.now() - t) / 1000).toFixed(1)} s): ${long.length} long task(s)${long.length ? `, longest ${Math.max(...long).toFixed(0)} ms, sum ${long.reduce((a, b) => a + b, 0).toFixed(0)} ms` : ""}`);
    for (const [f, ms] of selfTimes(profile).filter(([f]) => !f.startsWith("(idle)")).slice(0, TOP)) {
      console.log(`  ${ms.toFixed(1).padStart(8)} ms  ${f}`);
    }
  };
  const rowsShown = () => page.evaluate(() => Number(/; (\d+) rows shown/.exec(document.querySelector("#tree-stats")?.textContent ?? "")?.[1]));
  const scrollTo = async (f) => {
    await page.evaluate((f) => {
      const el = document.querySelector("#files .tree-scroll");
      el.scrollTop = (el.scrollHeight - el.clientHeight) * f;
    }, f);
    await page.waitForTimeout(300);
  };

  await phase("open", async () => {
    await page.setInputFiles("#file-input", image);
    await page.waitForSelector("#files .tree-row", { timeout: TIMEOUT });
    await page.waitForSelector("#plan-archive-size", { timeout: TIMEOUT });
  });
  await phase("scroll the file list", async () => {
    for (const f of [0.5, 1, 0]) await scrollTo(f);
  });
  await phase("expand all, scroll", async () => {
    const n = await rowsShown();
    // By id, not by accessible name (getByRole's name computation made long tasks of its
    // own); by text in builds before the id.
    await page.evaluate(() => (document.querySelector("#tree-expand-all") ?? [...document.querySelectorAll("#files button")].find((b) => b.textContent === "Expand all")).click());
    await page.waitForFunction((n) => Number(/; (\d+) rows shown/.exec(document.querySelector("#tree-stats")?.textContent ?? "")?.[1]) > n, n, { timeout: TIMEOUT });
    for (const f of [0.3, 0.9, 0]) await scrollTo(f);
  });
  await phase("search", async () => {
    await page.fill("#tree-filter", "conf");
    await page.waitForTimeout(1500);
    await page.fill("#tree-filter", "");
    await page.waitForTimeout(1500);
  });
  await phase("findings, size map", async () => {
    await page.click('nav.sections a[href="#findings"]');
    await page.waitForTimeout(300);
    await page.click('nav.sections a[href="#size-map"]');
    await page.waitForSelector("#size-map svg", { timeout: TIMEOUT }).catch(() => {});
    await page.waitForTimeout(300);
  });
  await phase("build", async () => {
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: TIMEOUT }), page.click("#build")]);
    await download.delete();
  });
  await browser.close();
  server.close();
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exit(1);
});
