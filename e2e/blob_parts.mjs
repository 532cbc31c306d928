// Browser checks of the squashed image's Blob parts (issue 17): on an image of many small
// files (bench/gen_image.py entries 20000: four layers whose later ones overwrite and delete
// files of the first, so the squashed layer's unchanged runs are short), the page coalesces
// the runs into a few literal chunks instead of one Blob part per run, and the download is
// still byte-identical to `layerlens squash`:
// - squash all layers, and from layer 1 as an oci-archive: the download equals the CLI's
//   file; the Blob's part count (#download-link's data-parts, the worker's own count) is far
//   below the entry count, and (all layers, where later layers cut the first one's runs
//   short) far below the plan's parts (`squash --dry-run --json`).
// The last line is `N passed, N failed`; the exit status is 1 if anything failed.
//
// Usage: node e2e/blob_parts.mjs [DIST_DIR]   (E2E_ONLY=TEXT runs only matching checks)

import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { checks, cli, expectEq, isLocal, launch, newContext, root, run, serve } from "./lib.mjs";

const dist = resolve(process.argv[2] ?? join(root, "dist"));
const work = join(root, "target", "e2e-blob-parts");
const TIMEOUT_MS = 120_000;
const ENTRIES = 20000;

const { test, summary } = checks();

async function openWith(context, url, file) {
  const page = await context.newPage();
  const errors = [];
  page.on("console", (msg) => msg.type() === "error" && errors.push(`console error: ${msg.text()}`));
  page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
  page.on("request", (req) => !isLocal(req.url()) && errors.push(`left localhost: ${req.url()}`));
  await page.goto(url, { waitUntil: "load", timeout: TIMEOUT_MS });
  await page.waitForSelector("#worker-status.ready", { timeout: TIMEOUT_MS });
  await page.setInputFiles("#file-input", file);
  await page.waitForFunction(
    () => !document.querySelector("#progress") && document.querySelector("#build") && !document.querySelector("#build").disabled,
    null,
    { timeout: TIMEOUT_MS },
  );
  return { page, errors };
}

/** The planned new layer's parts, from `layerlens squash --dry-run --json`. */
async function plannedParts(file, args) {
  const r = await run(cli, ["squash", file, ...args, "-o", join(work, "unused.tar"), "--dry-run", "--json"]);
  if (r.code !== 0) throw new Error(`layerlens squash --dry-run: ${r.stderr}`);
  return JSON.parse(r.stdout).layer.parts.parts.length;
}

async function squashCase(context, url, file, { from, format, runs }, p) {
  const args = ["--from", String(from), "--format", format];
  const { page, errors } = await openWith(context, url, file);
  await page.selectOption("#squash-from", String(from));
  await page.selectOption("#squash-format", format);
  await page.waitForFunction(
    ([from, format]) =>
      document.querySelector("#squash-from")?.value === String(from) &&
      document.querySelector("#squash-format")?.value === format &&
      document.querySelector("#plan-archive-size") &&
      !document.querySelector("#build").disabled,
    [from, format],
    { timeout: TIMEOUT_MS },
  );
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: TIMEOUT_MS }), page.click("#build")]);
  const saved = join(work, `page-from${from}-${format}.tar`);
  await download.saveAs(saved);
  await page.waitForSelector("#download-link", { timeout: TIMEOUT_MS });
  const parts = Number(await page.getAttribute("#download-link", "data-parts"));
  const out = join(work, `cli-from${from}-${format}.tar`);
  const r = await run(cli, ["squash", file, ...args, "-o", out]);
  if (r.code !== 0) throw new Error(`layerlens squash ${args.join(" ")}: ${r.stderr}`);
  const [got, want] = [await readFile(saved), await readFile(out)];
  if (!got.equals(want)) {
    let i = 0;
    while (i < got.length && i < want.length && got[i] === want[i]) i++;
    p.push(`download differs from \`layerlens squash ${args.join(" ")}\`: ${got.length} vs ${want.length} bytes, first difference at ${i}`);
  }
  const planned = await plannedParts(file, args);
  console.log(`     ${ENTRIES} entries, from ${from}, ${format}: the plan's new layer has ${planned} parts, the download's Blob ${parts}`);
  if (!(parts >= 1)) p.push(`#download-link data-parts is ${parts}, not a count`);
  // Far below the entries and the plan's runs: a few literal chunks (4 MiB each) plus the
  // kept layers and the archive's own members.
  if (!(parts * 100 < ENTRIES)) p.push(`${parts} Blob parts for ${ENTRIES} entries (want < ${ENTRIES / 100})`);
  if (runs && !(parts * 10 < planned)) p.push(`${parts} Blob parts for a plan of ${planned} parts (want < ${planned / 10})`);
  expectEq(p, "errors on the page", errors, []);
  await page.close();
}

async function main() {
  await stat(join(dist, "index.html"));
  await stat(cli);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const made = await run("python3", [join(root, "bench", "gen_image.py"), "entries", String(ENTRIES), join(work, "e20k")]);
  if (made.code !== 0) throw new Error(`bench/gen_image.py failed: ${made.stderr}`);
  const file = join(work, "e20k.docker.tar");
  const server = await serve(dist);
  const url = `http://127.0.0.1:${server.address().port}/`;
  const browser = await launch();
  const { context } = await newContext(browser);
  try {
    await test(`${ENTRIES} small files: squash all = CLI bytes, Blob parts far below the entries`, (p) =>
      squashCase(context, url, file, { from: 0, format: "docker", runs: true }, p),
    );
    await test(`${ENTRIES} small files: squash from layer 1 as oci-archive = CLI bytes, Blob parts far below the entries`, (p) =>
      squashCase(context, url, file, { from: 1, format: "oci" }, p),
    );
  } finally {
    await browser.close();
    server.close();
    await rm(work, { recursive: true, force: true });
  }
  process.exit(summary());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
