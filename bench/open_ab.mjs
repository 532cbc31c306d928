// Open → layer table and open → waste shown, in the page, for two builds of the app side by
// side: runs alternate between them (A, B, A, B, …) in fresh browsers on the same file, so a
// change in the machine's load touches both; prints every run and the medians. Nothing else
// (no build, no native runs): for comparing a change to the opening path quickly.
//
// Usage: node bench/open_ab.mjs IMAGE DIST_A DIST_B [--runs N]   (default 3 runs of each)

import { basename, resolve } from "node:path";
import { launch, newContext, serve } from "../e2e/lib.mjs";

const args = process.argv.slice(2);
const runsAt = args.indexOf("--runs");
const RUNS = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 3;
const [image, ...dists] = args.map((a) => resolve(a));
if (!image || dists.length !== 2) {
  console.log("usage: node bench/open_ab.mjs IMAGE DIST_A DIST_B [--runs N]");
  process.exit(2);
}

async function once(origin) {
  const browser = await launch();
  try {
    const { context } = await newContext(browser);
    const page = await context.newPage();
    await page.addInitScript(() => {
      window.__t = {};
      document.addEventListener("change", () => { window.__t.change ??= performance.now(); }, true);
      const seen = { table: "#layer-table", waste: "#dive-efficiency" };
      new MutationObserver(() => {
        for (const [k, sel] of Object.entries(seen)) {
          if (window.__t[k] === undefined && document.querySelector(sel)) window.__t[k] = performance.now();
        }
      }).observe(document, { subtree: true, childList: true });
    });
    await page.goto(`${origin}/`, { waitUntil: "load" });
    await page.waitForSelector("#worker-status.ready", { timeout: 30_000 });
    await page.setInputFiles("#file-input", image);
    await page.waitForSelector("#dive-efficiency, #error", { timeout: 600_000 });
    if (await page.$("#error")) throw new Error(await page.textContent("#error"));
    const t = await page.evaluate(() => window.__t);
    const workers = await page.evaluate(() => document.querySelector("#worker-status")?.dataset.layerWorkers ?? "–");
    return { table: t.table - t.change, waste: t.waste - t.change, workers };
  } finally {
    await browser.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const servers = await Promise.all(dists.map((d) => serve(d)));
const origins = servers.map((s) => `http://127.0.0.1:${s.address().port}`);
const results = dists.map(() => []);
for (let i = 0; i < RUNS; i++) {
  for (const [k, origin] of origins.entries()) {
    const r = await once(origin);
    results[k].push(r);
    console.log(`run ${i + 1} ${"AB"[k]}: layer table ${r.table.toFixed(0)} ms, waste ${r.waste.toFixed(0)} ms (layer workers: ${r.workers})`);
  }
}
for (const s of servers) s.close();
console.log(`\n${basename(image)}, medians of ${RUNS} runs:`);
for (const [k, d] of dists.entries()) {
  console.log(`${"AB"[k]} ${d}: layer table ${median(results[k].map((r) => r.table)).toFixed(0)} ms, waste ${median(results[k].map((r) => r.waste)).toFixed(0)} ms`);
}
