// Browser benchmark of the file viewer ("see inside"): the built app (dist/) opens the largest
// file of an image in headless Chromium and shows its first 1 MiB page, then three more pages.
// Prints figures (time to the first page, to each further page, Chromium's RSS before and its
// peak while the pages load); asserts nothing about time. A file of an uncompressed layer is
// read at its offset; one of a compressed layer is decoded up to it, so its first page costs
// a pass over the layer before it while memory stays flat.
//
// Usage: node bench/viewer.mjs IMAGE...   (e.g. the b1g images bench/gen_image.py writes:
//        python3 bench/gen_image.py bytes 1G target/bench-images/b1g)
// Needs: dist/ built (trunk build index.html --release --offline) and the CLI built
// (target/release/layerlens, or LAYERLENS).

import { readFileSync, readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { launch, newContext, root, run, serve } from "../e2e/lib.mjs";

const cli = process.env.LAYERLENS ?? join(root, "target", "release", "layerlens");
const TIMEOUT_MS = 10 * 60_000;

/** Summed RSS (bytes) of every process below this one (the browser's tree). */
function treeRss() {
  const kids = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  const todo = [...(kids.get(process.pid) ?? [])];
  while (todo.length) {
    const p = todo.pop();
    todo.push(...(kids.get(p) ?? []));
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      total += m ? Number(m[1]) * 1024 : 0;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

const mb = (b) => `${(b / 1e6).toFixed(0)} MB`;

/** The largest regular file of the image and the layer that wrote it, from `layerlens diff`. */
async function largest(image) {
  const r = await run(cli, ["diff", image, "--from", "empty"]);
  let best = { size: -1 };
  for (const line of r.stdout.split("\n")) {
    const m = /^\+ (.*)\t- (\d+)$/.exec(line);
    if (m && Number(m[2]) > best.size) best = { path: m[1], size: Number(m[2]) };
  }
  return best;
}

async function main() {
  const images = process.argv.slice(2).map((p) => resolve(p));
  if (images.length === 0) throw new Error("usage: node bench/viewer.mjs IMAGE...");
  const server = await serve(join(root, "dist"));
  const url = `http://127.0.0.1:${server.address().port}/`;
  console.log("| image | file | size | first page | next 3 pages | RSS before | peak RSS while reading |");
  console.log("|---|---|---|---|---|---|---|");
  for (const image of images) {
    const file = await largest(image);
    const browser = await launch();
    const { context } = await newContext(browser);
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector("#worker-status.ready", { timeout: TIMEOUT_MS });
    await page.setInputFiles("#file-input", image);
    await page.waitForSelector("#see-panel", { timeout: TIMEOUT_MS });
    await page.waitForSelector("#waste, .waste-card", { timeout: TIMEOUT_MS }).catch(() => {});
    await page.waitForFunction(() => !document.querySelector("#progress"), null, { timeout: TIMEOUT_MS });
    await page.fill("#see-path", file.path);
    const before = treeRss();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, treeRss())), 100);
    const pages = () => page.evaluate(() => Number(document.querySelector("#file-meta")?.dataset.pages ?? 0));
    const next = async (button) => {
      const n = await pages();
      const t0 = Date.now();
      await page.click(button);
      await page.waitForFunction((n) => Number(document.querySelector("#file-meta")?.dataset.pages ?? 0) > n, n, { timeout: TIMEOUT_MS });
      return Date.now() - t0;
    };
    const first = await next("#see-open");
    const more = [];
    for (let i = 0; i < 3 && (await page.$("#see-more")); i++) more.push(await next("#see-more"));
    clearInterval(sampler);
    console.log(`| ${basename(image)} | ${file.path} | ${mb(file.size)} | ${first} ms | ${more.map((m) => `${m} ms`).join(", ")} | ${mb(before)} | ${mb(peak)} |`);
    await browser.close();
  }
  server.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
