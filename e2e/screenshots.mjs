// The screenshot tour in docs/screenshots/: the app's layout on a desktop (1366×900) and a
// phone (390×844), on the bundled sample and on a generated 66-layer image.
//
// Usage: node e2e/screenshots.mjs [DIST_DIR]   (after `trunk build index.html --release --offline --locked`)
// Writes docs/screenshots/*.png (described in docs/screenshots/README.md).

import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { launch, newContext, root, run, serve } from "./lib.mjs";

const dist = resolve(process.argv[2] ?? join(root, "dist"));
const out = join(root, "docs", "screenshots");
const scratch = join(root, "target", "e2e", "screenshots");
const TIMEOUT_MS = 20_000;

async function load(page, file, name) {
  await page.setInputFiles("#file-input", file);
  await page.waitForFunction(
    (name) => !document.querySelector("#progress") && document.querySelector("#overview dl.facts dd")?.textContent === name,
    name,
    { timeout: TIMEOUT_MS },
  );
  await page.waitForSelector("#files .tree-row", { timeout: TIMEOUT_MS });
  await page.waitForSelector("#findings-summary, #no-findings", { timeout: TIMEOUT_MS });
}

/** A screenshot of the viewport after scrolling `selector` to the top (under the sticky navigation). */
async function at(page, selector, file) {
  await page.evaluate((sel) => {
    const el = document.querySelector(sel);
    window.scrollTo(0, el ? el.getBoundingClientRect().top + window.scrollY - 50 : 0);
  }, selector);
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(out, file) });
  console.log(`wrote docs/screenshots/${file}`);
}

async function main() {
  await mkdir(out, { recursive: true });
  await mkdir(scratch, { recursive: true });
  const many = join(scratch, "many-layers.tar");
  const odd = join(scratch, "odd-names.tar");
  const made = await run("python3", [join(root, "e2e", "odd_archive.py"), many, odd]);
  if (made.code !== 0) throw new Error(`e2e/odd_archive.py: ${made.stderr}`);
  const server = await serve(dist);
  const url = `http://127.0.0.1:${server.address().port}/`;
  const browser = await launch();
  for (const [device, viewport] of [["desktop", { width: 1366, height: 900 }], ["phone", { width: 390, height: 844 }]]) {
    const { context } = await newContext(browser, viewport);
    const page = await context.newPage();
    await page.goto(url, { waitUntil: "load" });
    await page.waitForSelector("#worker-status.ready", { timeout: TIMEOUT_MS });
    await at(page, "body", `${device}-1-start.png`);
    await load(page, join(dist, "sample.tar"), "sample.tar");
    await at(page, "body", `${device}-2-overview.png`);
    await at(page, "#layers-files", `${device}-3-layers-and-files.png`);
    // A path's history, opened by keyboard from the file tree.
    await page.focus("#files [role=treeitem][tabindex='0']");
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#timeline ol.timeline li", { timeout: TIMEOUT_MS });
    await at(page, device === "phone" ? "#history" : "#layers-files", `${device}-4-history.png`);
    await at(page, "#findings", `${device}-5-findings.png`);
    await at(page, "#squash", `${device}-6-squash.png`);
    await load(page, many, "many-layers.tar");
    await at(page, "#layers-files", `${device}-7-66-layers.png`);
    await context.close();
  }
  await browser.close();
  server.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
