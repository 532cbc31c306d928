// Browser tests of the Audit section and the CI bridge's path rules, with the CLI as the oracle.
//
// Serves dist/ from this process and drives headless Debian Chromium:
// - an archive e2e/audit_archive.py writes (dpkg and apk databases, duplicates, setuid, keys;
//   one plain and one gzip layer), the `built/whiteouts` fixture and, when they have been
//   built, the Debian image of tests/audit.rs (target/audit-images) and bench/make-images'
//   `realistic` (target/bench-images/out): the Audit panel's figures
//   (packages by layer with counts and installed bytes, final package count, duplicate groups
//   with copies, savings and paths, special paths and modes, shells, package managers, users,
//   groups, keys) equal `layerlens audit --json`'s;
// - a path link opens the path's history, a layer link selects the layer;
// - the CI bridge, given a .dive-ci with ignorePaths, forbiddenPaths and maxLayerSize, shows
//   the verdict per rule, the forbidden paths, the layers over budget and the figures without
//   the ignored paths that `layerlens ci --json` gives.
// The last line is `N passed, N failed`; the exit status is 1 if anything failed.
//
// Usage: node e2e/audit.mjs [DIST_DIR]   (E2E_ONLY=TEXT runs only the checks whose name has TEXT)

import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { checks, cliJson, expectEq, launch, newContext, root, run, serve } from "./lib.mjs";

const dist = resolve(process.argv[2] ?? join(root, "dist"));
const scratch = join(root, "target", "e2e", "audit");
const TIMEOUT_MS = 60_000; // generous: CI machines can be several times slower than this one
const SLOW_MS = 180_000;

const { test, summary } = checks();

/** `layerlens … --json`; `ci` exits 1 when a rule fails, which is an answer too. */
const layerlens = (args) => cliJson(args, args[0] === "ci" ? [0, 1] : [0]);

/** What the panel must show, from `layerlens audit --json`. */
function expected(a) {
  return {
    layers: a.layers.map((l) => [l.layer, l.manager, l.installed.length, l.installed_bytes, l.removed.length]),
    packages: a.packages.length,
    duplicates: [a.duplicates.length, a.duplicate_bytes],
    groups: a.duplicates.slice(0, 50).map((d) => [d.copies, d.saving, d.paths.map((p) => p.path)]),
    special: a.special.map((s) => [s.path, s.mode]),
    shells: a.shells.map((t) => t.path),
    managers: a.package_managers.map((t) => t.path),
    users: [a.users.length, a.groups.length, a.users.filter((u) => u.login).length],
    keys: [a.keys.length, a.keys.filter((k) => k.private_keys > 0).length],
  };
}

/** What the panel shows. */
function shown(page) {
  return page.evaluate(() => {
    const q = (s) => document.querySelector(s);
    const all = (s) => [...document.querySelectorAll(s)];
    return {
      layers: all("#audit-layers tr.audit-layer-row").map((r) => [
        Number(r.dataset.layer), r.dataset.manager, Number(r.dataset.installed), Number(r.dataset.installedBytes), Number(r.dataset.removed),
      ]),
      packages: Number(q("#audit-final-packages")?.dataset.count),
      duplicates: [Number(q("#audit-duplicates-title")?.dataset.groups), Number(q("#audit-duplicates-title")?.dataset.bytes)],
      groups: all("#audit-duplicates li.audit-duplicate").map((li) => [
        Number(li.dataset.copies), Number(li.dataset.saving), [...li.querySelectorAll(".audit-path")].map((b) => b.dataset.path),
      ]),
      special: all("#audit-special tr.audit-special-row").map((r) => [r.dataset.path, r.dataset.mode]),
      shells: all("#audit-shells li").map((li) => li.dataset.path),
      managers: all("#audit-package-managers li").map((li) => li.dataset.path),
      users: ["users", "groups", "login"].map((k) => Number(q("#audit-users-title")?.dataset[k])),
      keys: [Number(q("#audit-keys-title")?.dataset.count), Number(q("#audit-keys-title")?.dataset.private)],
    };
  });
}

async function openApp(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on("console", (msg) => msg.type() === "error" && errors.push(`console error: ${msg.text()}`));
  page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
  await page.goto(url, { waitUntil: "load", timeout: TIMEOUT_MS });
  await page.waitForSelector("#worker-status.ready", { timeout: TIMEOUT_MS });
  return { page, errors };
}

async function load(page, file, timeout) {
  await page.evaluate(() => document.querySelector("#overview")?.setAttribute("data-e2e-stale", ""));
  await page.setInputFiles("#file-input", file);
  await page.waitForFunction(
    (name) => {
      if (document.querySelector("#progress")) return false;
      const o = document.querySelector("#overview:not([data-e2e-stale])");
      return !!o && o.querySelector("dl.facts dd")?.textContent === name && !!document.querySelector("#layer-table");
    },
    basename(file),
    { timeout },
  );
}

async function runAudit(page, timeout) {
  await page.evaluate(() => document.querySelector("#audit-result")?.setAttribute("data-e2e-stale", ""));
  await page.waitForSelector("#audit-run:not([disabled])", { timeout });
  await page.click("#audit-run");
  await page.waitForSelector("#audit-result:not([data-e2e-stale])", { timeout });
}

async function main() {
  await mkdir(scratch, { recursive: true });
  const made = join(scratch, "audit.tar");
  const py = await run("python3", [join(root, "e2e", "audit_archive.py"), made]);
  if (py.code !== 0) throw new Error(`e2e/audit_archive.py failed: ${py.stderr}`);
  const images = [
    [made, TIMEOUT_MS],
    [join(root, "tests", "fixtures", "built", "whiteouts.docker.tar"), TIMEOUT_MS],
  ];
  for (const [built, how] of [
    [join(root, "target", "audit-images", "dpkg.docker.tar"), "cargo test -p layerlens-tests --test tests audit::"],
    [join(root, "target", "bench-images", "out", "realistic.docker.tar"), "bench/make-images realistic"],
  ]) {
    if (existsSync(built)) images.push([built, SLOW_MS]);
    else console.log(`note: ${built} is missing (${how} builds it); not checked`);
  }

  const server = await serve(dist);
  const url = `http://127.0.0.1:${server.address().port}/`;
  const browser = await launch();
  const { context } = await newContext(browser);
  try {
    const app = await openApp(context, url);
    const { page } = app;
    for (const [file, timeout] of images) {
      await test(`Audit panel of ${basename(file)} equals layerlens audit --json`, async (p) => {
        const want = expected(await layerlens(["audit", file, "--json"]));
        await load(page, file, timeout);
        await runAudit(page, timeout);
        const got = await shown(page);
        for (const k of Object.keys(want)) expectEq(p, k, got[k], want[k]);
      });
    }

    await test("Audit panel: a path opens its history, a layer link selects the layer", async (p) => {
      await load(page, made, TIMEOUT_MS);
      await runAudit(page, TIMEOUT_MS);
      await page.click('#audit-special .audit-path[data-path="/usr/bin/passwd"]');
      await page.waitForFunction(() => document.querySelector("#history")?.textContent.includes("usr/bin/passwd"), null, { timeout: TIMEOUT_MS });
      await page.click('#audit-layers tr.audit-layer-row[data-layer="1"] .audit-layer');
      const selected = await page
        .waitForFunction(() => document.querySelector('#layer-table tr.layer-row[data-layer="1"]')?.getAttribute("aria-selected") === "true", null, { timeout: TIMEOUT_MS })
        .then(() => true)
        .catch(() => false);
      expectEq(p, "layer 1 selected", selected, true);
    });

    await test("CI bridge: path rules give layerlens ci --json's verdict, forbidden paths and budget", async (p) => {
      const config = "rules:\n  lowestEfficiency: 0.5\nlayerlens:\n  ignorePaths:\n    - /srv/**\n  forbiddenPaths:\n    - /etc/ssl/private\n    - \"**/*.bin\"\n  maxLayerSize: 20kB\n";
      const cfgFile = join(scratch, "paths.dive-ci");
      await writeFile(cfgFile, config);
      const doc = await layerlens(["ci", made, "--json", "--config", cfgFile]);
      await load(page, made, TIMEOUT_MS);
      await page.fill("#dive-ci-text", config);
      await page.click("#dive-ci-check");
      await page.waitForSelector("#ci-outcome", { timeout: TIMEOUT_MS });
      const got = await page.evaluate(() => ({
        outcome: document.querySelector("#ci-outcome")?.dataset.outcome,
        rules: [...document.querySelectorAll("#ci-results tbody tr")].map((tr) => [tr.dataset.key, tr.dataset.status]),
        forbidden: [...document.querySelectorAll("#ci-forbidden li")].map((li) => [li.dataset.path, Number(li.dataset.layer)]),
        over: [...document.querySelectorAll("#ci-over-budget li")].map((li) => [Number(li.dataset.layer), Number(li.dataset.size)]),
        wasted: Number(document.querySelector("#ci-ignored")?.dataset.wasted),
        reclaimable: Number(document.querySelector("#ci-ignored")?.dataset.reclaimable),
      }));
      expectEq(p, "outcome", got.outcome, doc.outcome);
      expectEq(p, "rules", got.rules, [...doc.verdict.dive.results, ...doc.verdict.layerlens.results].map((x) => [x.key, x.status]));
      expectEq(p, "forbidden", got.forbidden, doc.paths.forbidden.map((f) => [f.path, f.layer]));
      expectEq(p, "over budget", got.over, doc.paths.over_budget);
      expectEq(p, "wasted without ignored", got.wasted, doc.paths.ignored.wasted_bytes);
      expectEq(p, "reclaimable without ignored", got.reclaimable, doc.paths.ignored.reclaimable_bytes);
      if (!doc.paths.forbidden.length || !doc.paths.over_budget.length) p.push("the check's config should find forbidden paths and a layer over budget");
    });

    if (app.errors.length) await test("Audit: no page errors", (p) => p.push(...app.errors));
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
