// Browser tests of the compare view (dist/) against `layerlens compare --json` as the oracle.
//
// Serves dist/ on a free localhost port, drives headless Debian Chromium and checks that:
// - "Compare with…" (the file input) compares the shown image with a second archive: the
//   verdict, every listed path (change, what differs, sizes, delta), the directories, the
//   config differences, the layer alignment and the size and waste figures are the CLI's;
// - the strictness switches compare again under the CLI's `--strict-*` rules;
// - an archive dropped on the compare panel becomes image B (the image shown stays A);
// - another image of a multi-image archive can be image B;
// - a modified text file's "diff" button (reached and pressed with the keyboard) shows a
//   diff whose removed lines are A's file and added lines B's (`layerlens cat` of each);
// - nothing leaves localhost, and no console error or page error happens.
// The last line is `N passed, N failed`; the exit status is 1 if anything failed.
//
// Usage: node e2e/compare.mjs [DIST_DIR]   (E2E_ONLY=TEXT runs only the checks whose name has TEXT)

import { basename, join, resolve } from "node:path";
import { checks, cli, expectEq, isLocal, launch, newContext, root, run, serve } from "./lib.mjs";

const dist = resolve(process.argv[2] ?? join(root, "dist"));
const fixtures = join(root, "tests", "fixtures");
const TIMEOUT_MS = 60_000; // generous: CI machines can be several times slower than this one
const F = {
  whiteouts: join(fixtures, "built/whiteouts.docker.tar"),
  whiteoutsOci: join(fixtures, "built/whiteouts.oci.tar"),
  secrets: join(fixtures, "built/secrets.docker.tar"),
  tiny: join(fixtures, "built/tiny.docker.tar"),
  tinyUmoci: join(fixtures, "built/tiny_umoci.docker.tar"),
  bundle: join(fixtures, "real/ggcr/tarball__test_bundle.tar"),
};

const { test, summary } = checks();

/** `layerlens compare A B --json [flags]`, parsed, with its exit code. */
async function cliCompare(a, b, flags = []) {
  const args = ["compare", a, b, "--json", ...flags];
  const r = await run(cli, args);
  if (r.code !== 0 && r.code !== 1) throw new Error(`layerlens ${args.join(" ")} failed: ${r.stderr}`);
  return { doc: JSON.parse(r.stdout), code: r.code };
}

async function cliCat(file, path) {
  const r = await run(cli, ["cat", file, path]);
  if (r.code !== 0) throw new Error(`layerlens cat ${file} ${path} failed: ${r.stderr}`);
  return r.stdout;
}

/** Opens the app and loads `file` as image A with the file input. */
async function openWith(context, url, file) {
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(`console error: ${m.text()}`));
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  await page.goto(url, { waitUntil: "load", timeout: TIMEOUT_MS });
  await page.waitForSelector("#worker-status.ready", { timeout: TIMEOUT_MS });
  await page.setInputFiles("#file-input", file);
  await page.waitForFunction(
    (name) =>
      !document.querySelector("#progress") &&
      document.querySelector("#overview dl.facts dd")?.textContent === name &&
      !!document.querySelector("#compare"),
    basename(file),
    { timeout: TIMEOUT_MS },
  );
  return { page, errors };
}

/** Runs `act` and waits for the next comparison (the verdict's `data-seq` changes) or an error. */
async function compared(page, act) {
  const before = await page.evaluate(() => document.querySelector("#compare-verdict")?.dataset.seq ?? "0");
  await act();
  await page.waitForFunction(
    (before) =>
      !document.querySelector("#progress") &&
      ((document.querySelector("#compare-verdict")?.dataset.seq ?? "0") !== before || !!document.querySelector("#error")),
    before,
    { timeout: TIMEOUT_MS },
  );
  const error = await page.evaluate(() => document.querySelector("#error .error-text")?.textContent);
  if (error !== undefined) throw new Error(`the page shows an error: ${error}`);
}

/** Everything the compare panel shows, as data. */
function shown(page) {
  return page.evaluate(() => {
    const q = (s) => [...document.querySelectorAll(s)];
    const bytes = (el) => (el && el.dataset.bytes !== "" ? Number(el.dataset.bytes) : null);
    return {
      verdict: document.querySelector("#compare-verdict")?.textContent,
      equal: document.querySelector("#compare-verdict")?.dataset.equal === "true",
      paths: q("#compare-paths tbody tr").map((tr) => ({
        path: tr.dataset.path,
        change: tr.dataset.change,
        attrs: tr.dataset.attrs ? tr.dataset.attrs.split(",") : [],
        a: bytes(tr.querySelector("td.a")),
        b: bytes(tr.querySelector("td.b")),
        delta: bytes(tr.querySelector("td.delta")),
      })),
      dirs: q("#compare-dirs tbody tr").map((tr) => ({
        path: tr.dataset.path,
        delta: bytes(tr.querySelector("td.delta")),
        added: Number(tr.querySelector("td.added").textContent),
        removed: Number(tr.querySelector("td.removed").textContent),
        modified: Number(tr.querySelector("td.modified").textContent),
      })),
      config: q("#compare-config tbody tr").map((tr) => tr.dataset.field),
      layers: {
        shared: q("#compare-layers ol.shared li").map((li) => li.dataset.diffId),
        a: q("#compare-layers ol.side-a li").map((li) => [li.dataset.diffId, Number(li.dataset.bytes)]),
        b: q("#compare-layers ol.side-b li").map((li) => [li.dataset.diffId, Number(li.dataset.bytes)]),
      },
      layerDeltas: q("#compare-layer-deltas tbody tr").map((tr) => [Number(tr.dataset.position), bytes(tr.querySelector("td.delta"))]),
      sizes: Object.fromEntries(
        q("#compare-sizes tbody tr").map((tr) => {
          const v = (td) =>
            td.dataset.bytes !== undefined ? Number(td.dataset.bytes) : td.dataset.value === "null" ? null : Number(td.dataset.value);
          return [tr.dataset.key, [v(tr.querySelector("td.a")), v(tr.querySelector("td.b"))]];
        }),
      ),
      historyDiffer: document.querySelector("#compare-history")?.dataset.differ === "true",
    };
  });
}

/** What the page should show, from the CLI's document. */
function expected(doc) {
  const verdict = doc.equal
    ? "equal"
    : `different: ${doc.paths.length} paths, ${doc.config.length} config` +
      (doc.strict.history && doc.history.differ ? ", history" : "") +
      (doc.strict.layers && (doc.layers.a.length || doc.layers.b.length) ? ", layers" : "");
  const side = (s) => ({
    final_bytes: s.final_bytes,
    shipped_bytes: s.figures.shipped_bytes,
    dead_bytes: s.figures.dead_bytes,
    efficiency: s.figures.efficiency,
    dive_wasted_bytes: s.dive_wasted_bytes,
    dive_efficiency: s.dive_efficiency,
    dive_user_wasted_ratio: s.dive_user_wasted_ratio,
  });
  const [a, b] = [side(doc.a), side(doc.b)];
  return {
    verdict,
    equal: doc.equal,
    paths: doc.paths.slice(0, 2000).map((p) => ({
      path: p.path,
      change: p.change,
      attrs: p.attrs ?? [],
      a: p.size_a ?? null,
      b: p.size_b ?? null,
      delta: (p.size_b ?? 0) - (p.size_a ?? 0),
    })),
    dirs: doc.dirs.slice(0, 50).map((d) => ({
      path: d.path,
      delta: d.bytes_b - d.bytes_a,
      added: d.added,
      removed: d.removed,
      modified: d.modified,
    })),
    config: doc.config.map((c) => (c.key === undefined ? c.field : `${c.field}.${c.key}`)),
    layers: {
      shared: doc.layers.shared.map((l) => l.diff_id),
      a: doc.layers.a.map((l) => [l.diff_id, l.size]),
      b: doc.layers.b.map((l) => [l.diff_id, l.size]),
    },
    layerDeltas: Array.from({ length: Math.max(doc.layers.a.length, doc.layers.b.length) }, (_, i) => {
      const [x, y] = [doc.layers.a[i], doc.layers.b[i]];
      return [(x ?? y).position, (y?.size ?? 0) - (x?.size ?? 0)];
    }),
    sizes: Object.fromEntries(Object.keys(a).map((k) => [k, [a[k], b[k]]])),
    historyDiffer: doc.history.differ,
  };
}

async function agrees(problems, page, a, b, flags = []) {
  const { doc, code } = await cliCompare(a, b, flags);
  const got = await shown(page);
  const want = expected(doc);
  expectEq(problems, "exit code and verdict", code === 0, want.equal);
  for (const k of Object.keys(want)) expectEq(problems, `${basename(a)} vs ${basename(b)} ${flags.join(" ")}: ${k}`, got[k], want[k]);
  return doc;
}

const server = await serve(dist);
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
const { context, requests } = await newContext(browser);
const errors = [];

try {
  await test("compare with… a second archive (file input)", async (problems) => {
    const { page, errors: e } = await openWith(context, url, F.whiteouts);
    errors.push(e);
    await compared(page, () => page.setInputFiles("#compare-input", F.secrets));
    await agrees(problems, page, F.whiteouts, F.secrets);
    // The strictness switches: each compares again under the CLI's rule.
    await compared(page, () => page.check("#strict-history"));
    await agrees(problems, page, F.whiteouts, F.secrets, ["--strict-history"]);
    await compared(page, () => page.check("#strict-mtime"));
    await compared(page, () => page.check("#strict-layers"));
    await agrees(problems, page, F.whiteouts, F.secrets, ["--strict"]);
    await page.close();
  });

  await test("an archive dropped on the compare panel is image B", async (problems) => {
    const { page, errors: e } = await openWith(context, url, F.whiteouts);
    errors.push(e);
    // The compare panel mounts in its turn after the image shows (components/deferred.rs).
    await page.waitForSelector("#compare-drop");
    await page.evaluate(() => {
      const input = document.createElement("input");
      input.type = "file";
      input.id = "e2e-drop-source";
      input.style.display = "none";
      document.documentElement.appendChild(input);
    });
    await page.setInputFiles("#e2e-drop-source", F.whiteoutsOci);
    await compared(page, () =>
      page.evaluate(() => {
        const input = document.getElementById("e2e-drop-source");
        const dt = new DataTransfer();
        dt.items.add(input.files[0]);
        input.remove();
        const el = document.querySelector("#compare-drop");
        for (const type of ["dragenter", "dragover", "drop"]) {
          el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
        }
      }),
    );
    await agrees(problems, page, F.whiteouts, F.whiteoutsOci);
    const a = await page.evaluate(() => document.querySelector("#overview dl.facts dd")?.textContent);
    expectEq(problems, "image A after the drop", a, basename(F.whiteouts));
    await page.close();
  });

  await test("two images of one archive", async (problems) => {
    const { page, errors: e } = await openWith(context, url, F.bundle);
    errors.push(e);
    await compared(page, () => page.selectOption("#compare-image", "1"));
    const { doc } = await cliCompare(F.bundle, F.bundle, ["--image-a", "0", "--image-b", "1"]);
    const got = await shown(page);
    const want = expected(doc);
    for (const k of Object.keys(want)) expectEq(problems, `bundle 0 vs 1: ${k}`, got[k], want[k]);
    await page.close();
  });

  await test("a modified file's content diff, by keyboard", async (problems) => {
    const { page, errors: e } = await openWith(context, url, F.tiny);
    errors.push(e);
    await compared(page, () => page.setInputFiles("#compare-input", F.tinyUmoci));
    await agrees(problems, page, F.tiny, F.tinyUmoci);
    const button = page.locator('#compare-paths tr[data-path="/hello.txt"] button.diff');
    await button.focus();
    await page.keyboard.press("Enter");
    await page.waitForSelector("#compare-diff #diff-unified", { timeout: TIMEOUT_MS });
    const lines = await page.$$eval("#compare-diff .line", (ls) =>
      ls.map((l) => [l.querySelector(".mark").textContent, l.textContent.slice(1).replace(/ ⏎ \(no newline at end\)$/, "")]),
    );
    const [old, neu] = [await cliCat(F.tiny, "/hello.txt"), await cliCat(F.tinyUmoci, "/hello.txt")];
    const removed = lines.filter(([m]) => m === "-").map(([, t]) => t);
    const added = lines.filter(([m]) => m === "+").map(([, t]) => t);
    expectEq(problems, "removed lines (A's /hello.txt)", removed, old.replace(/\n$/, "").split("\n"));
    expectEq(problems, "added lines (B's /hello.txt)", added, neu.replace(/\n$/, "").split("\n"));
    await page.close();
  });

  await test("no page errors, nothing leaves localhost", async (problems) => {
    for (const e of errors.flat()) problems.push(e);
    for (const r of requests) if (!isLocal(r)) problems.push(`request left localhost: ${r}`);
  });
} finally {
  await browser.close();
  server.close();
}

process.exit(summary());
