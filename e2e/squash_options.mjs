// Browser checks of the squash options against the CLI (the oracle):
// - for an uncompressed docker-archive and an OCI archive with gzip layers, every
//   `--format docker|oci` × `--compress none|gzip|zstd` chosen in the squash panel (with
//   SOURCE_DATE_EPOCH and a typed --drop glob) builds a Blob byte-identical to
//   `layerlens squash … --format F --compress C --source-date-epoch N --drop G`;
// - the panel's sizes are the CLI's: the new layer's blob size is the dry run's estimate,
//   labelled as one, before the build and the written size, exact, after it; the dropped
//   bytes are the plan's;
// - the "drop these" checkboxes offered from the findings (a package cache and a `.git`
//   directory, in an archive e2e/drop_archive.py writes) feed the same plan: ticking them gives
//   the CLI's figures and bytes for `--drop` of those paths.
// The last line is `N passed, N failed`; the exit status is 1 if anything failed.
//
// Usage: node e2e/squash_options.mjs [DIST_DIR]   (E2E_ONLY=TEXT runs only matching checks)

import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { checks, cli, expectEq, isLocal, launch, newContext, root, run, serve } from "./lib.mjs";

const dist = resolve(process.argv[2] ?? join(root, "dist"));
const work = join(root, "target", "e2e-squash-options");
const fixtures = join(root, "tests", "fixtures");
const TIMEOUT_MS = 60_000; // generous: CI machines can be several times slower than this one
const EPOCH = "1000000000";
const DROP = "/etc/**";

const { test, summary } = checks();

/** `layerlens squash FILE ARGS --dry-run --json`, parsed. */
async function cliPlan(file, args) {
  const r = await run(cli, ["squash", file, ...args, "--dry-run", "--json"]);
  if (r.code !== 0) throw new Error(`layerlens squash ${args.join(" ")} --dry-run: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** `layerlens squash FILE ARGS -o OUT`: the bytes and the blob size it reports. */
async function cliSquash(file, args, label) {
  const out = join(work, `${label}-cli.tar`);
  const r = await run(cli, ["squash", file, ...args, "-o", out]);
  if (r.code !== 0) throw new Error(`layerlens squash ${args.join(" ")}: ${r.stderr}`);
  const m = /new layer: .* \((\d+) bytes, blob/.exec(r.stderr);
  return { bytes: await readFile(out), blob: m ? Number(m[1]) : undefined };
}

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
    (name) =>
      !document.querySelector("#progress") &&
      document.querySelector("#overview dl.facts dd")?.textContent === name &&
      document.querySelector("#squash-options") &&
      document.querySelector("#build") &&
      !document.querySelector("#build").disabled,
    basename(file),
    { timeout: TIMEOUT_MS },
  );
  return { page, errors };
}

/** Waits until the element's data-bytes is `want` (the worker answers each change). */
async function waitBytes(page, sel, want) {
  await page
    .waitForFunction(
      ([sel, want]) => document.querySelector(sel)?.getAttribute("data-bytes") === String(want),
      [sel, want],
      { timeout: TIMEOUT_MS },
    )
    .catch(() => {});
  return Number(await page.getAttribute(sel, "data-bytes").catch(() => NaN));
}

/** Builds in the page and returns the downloaded bytes. */
async function build(page, label) {
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: TIMEOUT_MS }),
    page.click("#build"),
  ]);
  const saved = join(work, `${label}-page.tar`);
  await download.saveAs(saved);
  return readFile(saved);
}

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

async function formatsAndCompressions(context, url, file) {
  const stem = basename(file, ".tar");
  const { page, errors } = await openWith(context, url, file);
  await page.fill("#squash-epoch", EPOCH);
  await page.dispatchEvent("#squash-epoch", "change");
  await page.fill("#squash-drop", DROP);
  await page.dispatchEvent("#squash-drop", "change");
  for (const format of ["docker", "oci"]) {
    for (const compress of ["none", "gzip", "zstd"]) {
      const label = `${stem}-${format}-${compress}`;
      await test(`${stem}: --format ${format} --compress ${compress} (epoch, --drop ${DROP}) = CLI bytes and sizes`, async (p) => {
        const args = ["--format", format, "--compress", compress, "--source-date-epoch", EPOCH, "--drop", DROP];
        const plan = await cliPlan(file, args);
        await page.selectOption("#squash-format", format);
        await page.selectOption("#squash-compress", compress);
        const before = await waitBytes(page, "#opt-blob-size", plan.layer_blob_size);
        expectEq(p, "#opt-blob-size before the build vs the CLI's plan", before, plan.layer_blob_size);
        expectEq(p, "labelled exact/estimate", await page.getAttribute("#opt-blob-size", "data-exact"), String(plan.archive_size_exact));
        expectEq(p, "#opt-layer-size", Number(await page.getAttribute("#opt-layer-size", "data-bytes")), plan.layer_size);
        expectEq(p, "#opt-dropped", Number(await page.getAttribute("#opt-dropped", "data-bytes")), plan.savings.dropped);
        expectEq(p, "#opt-created", (await page.textContent("#opt-created"))?.trim(), plan.created);
        const got = await build(page, label);
        const want = await cliSquash(file, args, label);
        if (!got.equals(want.bytes)) {
          p.push(`Blob differs from the CLI's file: ${got.length} vs ${want.bytes.length} bytes, first difference at ${firstDifference(got, want.bytes)}`);
        }
        const blob = want.blob ?? plan.layer_blob_size;
        const after = await waitBytes(page, "#opt-blob-size", blob);
        expectEq(p, "#opt-blob-size after the build (exact)", after, blob);
        expectEq(p, "labelled exact after the build", await page.getAttribute("#opt-blob-size", "data-exact"), "true");
        expectEq(p, "#opt-archive-size after the build", Number(await page.getAttribute("#opt-archive-size", "data-bytes")), want.bytes.length);
        p.push(...errors.splice(0));
      });
    }
  }
  await page.close();
}

async function dropCheckboxes(context, url) {
  // An image with a package cache and a `.git` directory (e2e/drop_archive.py).
  const file = join(work, "drop.tar");
  const made = await run("python3", [join(root, "e2e", "drop_archive.py"), file]);
  if (made.code !== 0) throw new Error(`e2e/drop_archive.py failed: ${made.stderr}`);
  await test("drop.tar: the findings' \"drop these\" checkboxes feed the plan and the build (= CLI --drop)", async (p) => {
    const { page, errors } = await openWith(context, url, file);
    await page.waitForSelector("#drop-suggestions input[type=checkbox]", { timeout: TIMEOUT_MS });
    const boxes = await page.$$eval("#drop-suggestions input[type=checkbox]", (els) => els.map((e) => e.value));
    expectEq(p, "offered drops", [...boxes].sort(), ["/app/.git", "/var/cache/apt/archives/tool_1.0_amd64.deb"]);
    for (const i of [0, 1]) await page.check(`#drop-suggestions input[type=checkbox] >> nth=${i}`);
    const args = [...boxes].sort().flatMap((g) => ["--drop", g]);
    const plan = await cliPlan(file, args);
    if (!(plan.savings.dropped > 1_000_000)) p.push(`the CLI drops only ${plan.savings.dropped} bytes for ${args.join(" ")}`);
    expectEq(p, "#opt-dropped", await waitBytes(page, "#opt-dropped", plan.savings.dropped), plan.savings.dropped);
    expectEq(p, "#plan-archive-size", await waitBytes(page, "#plan-archive-size", plan.archive_size), plan.archive_size);
    const got = await build(page, "drop");
    const want = await cliSquash(file, args, "drop");
    if (!got.equals(want.bytes)) {
      p.push(`Blob differs from \`layerlens squash ${args.join(" ")}\`: ${got.length} vs ${want.bytes.length} bytes, first difference at ${firstDifference(got, want.bytes)}`);
    }
    p.push(...errors.splice(0));
    await page.close();
  });
}

async function main() {
  await stat(join(dist, "index.html"));
  await stat(cli);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const server = await serve(dist);
  const url = `http://127.0.0.1:${server.address().port}/`;
  const browser = await launch();
  const { context } = await newContext(browser);
  try {
    await formatsAndCompressions(context, url, join(fixtures, "built/whiteouts.docker.tar"));
    await formatsAndCompressions(context, url, join(fixtures, "built/whiteouts.oci.tar"));
    await dropCheckboxes(context, url);
  } finally {
    await browser.close();
    server.close();
  }
  process.exit(summary());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
