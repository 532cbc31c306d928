// End-to-end tests of the built browser app (dist/) against the CLI as the oracle.
//
// Serves dist/ from this process on a free localhost port (at "/" and under a sub-path: the
// build uses relative URLs) and drives headless Debian Chromium (1280×800) through the app:
// - the shell starts (worker ready) with no CSP violation, console error or page error;
// - the bundled sample loads from a sub-path deployment;
// - each fixture (Docker < 25, buildah, Docker 25, gzipped OCI archive, zstd OCI archive) loaded
//   with the file input shows the figures `layerlens analyze --json` gives (layer count, total
//   stored size, per-layer tar size, entries, added / modified / removed);
// - some are dropped on the page as well (a DragEvent carrying a File), with the same figures;
// - image folders (skopeo copies of fixtures into oci: and dir:), picked with the folder input
//   and dropped as folders, show the archive's figures and squash to the archive's bytes; a
//   folder that is no image shows what is missing;
// - squash (all layers, and from the middle layer) downloads a file byte-identical to
//   `layerlens squash`, as large as the plan said, that `skopeo inspect` accepts with the
//   expected layer count;
// - malformed files (random bytes, truncated archives) show an error, and a good file then works;
// - Cancel stops an analysis; a file opened while another is analysed shows only its own figures;
// - a squash whose download fails (2 GiB of decompressed layer in an off-the-record context)
//   is not reported as built;
// - a squash whose input file changed on disk (before the build, after it) or vanished is
//   reported as failed with the browser's reason, and nothing is downloaded;
// - a two-image archive offers both images and shows the second one's figures when picked;
// - the file tree marks a layer's added / modified / removed paths and filters by path;
// - names with U+202E and U+200B (an archive e2e/names_archive.py writes) show escaped as the
//   CLI prints them, in the overview, layer steps, findings, file tree, history and error
//   banner, and never raw anywhere in the page;
// - "see inside": files opened at a layer (text, binary, deleted later, hardlinked, from a gzip
//   layer) show and download the bytes `layerlens cat` gives; a subtree downloads as the bytes
//   `layerlens extract` writes; a deep link reopens a file; the range diff lists what
//   `layerlens diff` lists; the content diff and the Dockerfile history agree with the CLI;
// - every request of every page and worker stays on localhost.
// Screenshots of each view and the downloads go to target/e2e/. The last line is
// `N passed, N failed`; the exit status is 1 if anything failed.
//
// Usage: node e2e/app.mjs [DIST_DIR]   (E2E_ONLY=TEXT runs only the checks whose name has TEXT)
//   Needs the CLI (cargo build -p layerlens-cli; env LAYERLENS overrides target/debug/layerlens),
//   skopeo, and Chromium (env CHROMIUM overrides /usr/bin/chromium).

import { randomBytes } from "node:crypto";
import { appendFile, copyFile, mkdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { SUB_PATH, checks, cli, expectEq, isLocal, launch, newContext, root, run, serve, tarHeader, tarPad } from "./lib.mjs";

const dist = resolve(process.argv[2] ?? join(root, "dist"));
const artefacts = join(root, "target", "e2e");
const downloads = join(artefacts, "downloads");
const scratch = join(artefacts, "scratch");
const fixtures = join(root, "tests", "fixtures");
const TIMEOUT_MS = 60_000; // generous: CI machines can be several times slower than this one

const F = {
  dockerLegacy: join(fixtures, "real/dive/test-docker-image.tar"),
  buildah: join(fixtures, "built/whiteouts.docker.tar"),
  secrets: join(fixtures, "built/secrets.docker.tar"),
  docker25: join(fixtures, "real/ggcr/tarball__hello-world-v25.tar"),
  ociGzip: join(fixtures, "built/whiteouts.oci.tar"),
  ociZstd: join(fixtures, "real/dive/test-oci-zstd-image.tar"),
  bundle: join(fixtures, "real/ggcr/tarball__test_bundle.tar"),
};

// ---------------------------------------------------------------------------------------------
// Reporting

const { test, summary } = checks();

// ---------------------------------------------------------------------------------------------
// The oracle: the CLI and skopeo

const analyses = new Map();

/** `layerlens analyze FILE --json [--image N]`, parsed (cached). */
async function analyze(file, image) {
  const key = `${file}#${image ?? ""}`;
  if (!analyses.has(key)) {
    const args = ["analyze", file, "--json", ...(image === undefined ? [] : ["--image", String(image)])];
    const r = await run(cli, args);
    if (r.code !== 0) throw new Error(`layerlens ${args.join(" ")} failed: ${r.stderr}`);
    analyses.set(key, JSON.parse(r.stdout));
  }
  return analyses.get(key);
}

/** What the page should show for an image, from the CLI's analysis. */
async function expectedFigures(file, image) {
  const img = (await analyze(file, image)).image;
  return {
    tags: img.tags.length ? img.tags.join(", ") : "<none>",
    id: img.id,
    layerCount: img.layers.length,
    totalSize: img.layers.reduce((s, l) => s + l.blob_size, 0),
    rows: img.layers.map((l) => ({
      layer: l.position,
      tarSize: l.tar_size,
      entries: l.entry_count,
      added: l.counts.added,
      modified: l.counts.modified,
      removed: l.counts.removed,
    })),
  };
}

/** Writes `layerlens squash FILE -o OUT [--from N] [--tag T]`; returns OUT. */
async function cliSquash(file, from, tag, image) {
  const variant = `${image === undefined ? "" : `-image${image}`}-from${from}${tag ? "-tagged" : ""}`;
  const out = join(scratch, `${basename(file, ".tar")}-cli${variant}.tar`);
  const imageArgs = image === undefined ? [] : ["--image", String(image)];
  const args = ["squash", file, ...imageArgs, "-o", out, "--from", String(from), ...(tag ? ["--tag", tag] : [])];
  const r = await run(cli, args);
  if (r.code !== 0) throw new Error(`layerlens ${args.join(" ")} failed: ${r.stderr}`);
  return out;
}

/** Number of layers skopeo sees in a docker-archive, or a problem. */
async function skopeoLayers(file) {
  const r = await run("skopeo", ["inspect", `docker-archive:${file}`]);
  if (r.code !== 0) return { error: `skopeo inspect docker-archive:${file} failed: ${r.stderr.trim()}` };
  return { layers: JSON.parse(r.stdout).Layers.length };
}

// ---------------------------------------------------------------------------------------------
// Driving the page

const pages = [];

/** Opens the app at `url` and waits for the worker; problems on the page are collected. */
async function openApp(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
  page.on("requestfailed", (req) => {
    if (isLocal(req.url()) && !req.url().startsWith("blob:")) {
      errors.push(`request failed: ${req.url()} (${req.failure()?.errorText})`);
    }
  });
  page.on("response", (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`),
    );
  });
  await page.goto(url, { waitUntil: "load", timeout: TIMEOUT_MS });
  await page.waitForSelector("#worker-status.ready", { timeout: TIMEOUT_MS });
  const entry = { page, errors, url };
  pages.push(entry);
  return entry;
}

/** Problems the page reported so far (console errors, CSP violations); clears them. */
async function pageProblems(app) {
  const out = app.errors.splice(0);
  const csp = await app.page.evaluate(() => window.__csp.splice(0)).catch(() => []);
  for (const v of csp) out.push(`CSP violation: ${v}`);
  return out;
}

/** Marks what is on screen now, so `settle` can tell the next result from the last one. */
async function markStale(page) {
  await page.evaluate(() => {
    for (const sel of ["#overview", "#error"]) document.querySelector(sel)?.setAttribute("data-e2e-stale", "");
  });
}

/**
 * Waits until the page shows a fresh analysis of `name` or a fresh error; returns
 * { ok: true } or { error: text }.
 */
async function settle(page, name) {
  await page.waitForFunction(
    (name) => {
      if (document.querySelector("#progress")) return false;
      if (document.querySelector("#error:not([data-e2e-stale])")) return true;
      const o = document.querySelector("#overview:not([data-e2e-stale])");
      return !!o && o.querySelector("dl.facts dd")?.textContent === name && !!document.querySelector("#layer-table");
    },
    name,
    { timeout: TIMEOUT_MS },
  );
  const error = await page.evaluate(() => document.querySelector("#error:not([data-e2e-stale]) .error-text")?.textContent);
  return error === undefined ? { ok: true } : { error };
}

async function loadByInput(page, file) {
  await markStale(page);
  await page.setInputFiles("#file-input", file);
  return settle(page, basename(file));
}

/**
 * Drops `file` on the page: a DataTransfer holding the File goes through dragenter, dragover
 * and drop on an element inside <main class="app"> (the page takes drops anywhere). The File is
 * made by a throwaway hidden input outside the app. Returns whether the drop overlay showed.
 */
async function loadByDrop(page, file, target = ".app") {
  await markStale(page);
  await page.evaluate(() => {
    const input = document.createElement("input");
    input.type = "file";
    input.id = "e2e-drop-source";
    input.style.display = "none";
    document.documentElement.appendChild(input);
  });
  await page.setInputFiles("#e2e-drop-source", file);
  const overlay = await page.evaluate(async (target) => {
    const input = document.getElementById("e2e-drop-source");
    const dt = new DataTransfer();
    dt.items.add(input.files[0]);
    input.remove();
    const el = document.querySelector(target);
    const fire = (type) =>
      el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    fire("dragenter");
    fire("dragover");
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const shown = !!document.querySelector(".drop-overlay") && document.querySelector(".app").classList.contains("dragging");
    fire("drop");
    return shown;
  }, target);
  const result = await settle(page, basename(file));
  return { ...result, overlay };
}

/**
 * Drops the folder `dir` on the page the way a person does: Chromium's own drag and drop (CDP
 * Input.dispatchDragEvent with the folder's path), so the page gets a real directory entry to
 * read recursively. A script cannot put a folder in a DataTransfer.
 */
async function loadFolderByDrop(page, dir) {
  await markStale(page);
  const cdp = await page.context().newCDPSession(page);
  // CDP takes viewport coordinates: drop on the part of the page in view.
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = await page.locator(".app").boundingBox();
  const at = { x: Math.round(box.x + box.width / 2), y: Math.round(box.y + Math.min(box.height, 600) / 2) };
  const data = { items: [], files: [dir], dragOperationsMask: 1 };
  for (const type of ["dragEnter", "dragOver", "drop"]) {
    await cdp.send("Input.dispatchDragEvent", { type, ...at, data });
  }
  await cdp.detach();
  return settle(page, basename(dir));
}

/** The figures the page shows. */
function readFigures(page) {
  return page.evaluate(() => {
    const num = (s) => Number(String(s).replace(/[^\d]/g, ""));
    return {
      tags: document.querySelector("#overview h1")?.textContent,
      id: document.querySelector("#overview dd.mono")?.title,
      layerCount: num(document.querySelector("#layer-count")?.textContent),
      totalSize: Number(document.querySelector("#total-size")?.dataset.bytes),
      rows: [...document.querySelectorAll("#layer-table tr.layer-row")].map((tr) => {
        const td = tr.querySelectorAll("td");
        return {
          layer: Number(tr.dataset.layer),
          tarSize: Number(td[1].dataset.bytes),
          entries: num(td[2].textContent),
          added: num(td[3].textContent),
          modified: num(td[4].textContent),
          removed: num(td[5].textContent),
        };
      }),
    };
  });
}

/** Compares what the page shows with the CLI, figure by figure. */
async function checkFigures(problems, page, file, image) {
  const shown = await readFigures(page);
  const want = await expectedFigures(file, image);
  expectEq(problems, "tags", shown.tags, want.tags);
  expectEq(problems, "image ID", shown.id, want.id);
  expectEq(problems, "layer count", shown.layerCount, want.layerCount);
  expectEq(problems, "total size (bytes)", shown.totalSize, want.totalSize);
  expectEq(problems, "layer rows", shown.rows.length, want.rows.length);
  for (const w of want.rows) {
    const s = shown.rows.find((r) => r.layer === w.layer);
    if (!s) {
      problems.push(`layer ${w.layer}: no row`);
      continue;
    }
    for (const k of ["tarSize", "entries", "added", "modified", "removed"]) {
      expectEq(problems, `layer ${w.layer} ${k}`, s[k], w[k]);
    }
  }
  return want;
}

async function shot(page, name) {
  await page.screenshot({ path: join(artefacts, name), fullPage: true });
}

/**
 * The download's name: the output's first tag (the one given, else the input's first), else
 * the input's name, with the first squashed layer; `app:1` from layer 2 is
 * `app-1-squashed-from-2.tar`.
 */
async function downloadName(file, image, tag, from) {
  const tags = tag ? [tag] : (await analyze(file, image)).image.tags;
  // A tag without its `:tag` part means `:latest`, which the output carries.
  const first = tags[0] && !/:[^/]*$|@/.test(tags[0]) ? `${tags[0]}:latest` : tags[0];
  const stem = first ?? basename(file).replace(/\.tar(\.gz)?$/, "");
  let safe = [...stem].map((c) => (/[\p{L}\p{N}._-]/u.test(c) ? c : "-")).join("");
  if (!safe.replace(/[-.]/g, "")) safe = "image";
  return from === 0 ? `${safe}-squashed.tar` : `${safe}-squashed-from-${from}.tar`;
}

/**
 * Squashes from layer `from` in the page (optionally with a tag), saves the download, and
 * checks it against the plan shown, the CLI's output and skopeo.
 */
async function checkSquash(problems, page, file, { from, layerCount, tag, image, viaRow }) {
  if (viaRow) {
    // The layer table's "squash from here" sets the squash panel's first layer.
    await page.click(`#layer-table tr.layer-row[data-layer="${from}"] button:has-text("squash from here")`);
  } else {
    await page.selectOption("#squash-from", String(from));
  }
  await page.waitForFunction(
    (from) =>
      document.querySelector("#squash-from")?.value === String(from) &&
      document.querySelector("#plan-archive-size") &&
      !document.querySelector("#build").disabled,
    from,
    { timeout: TIMEOUT_MS },
  );
  const planned = Number(await page.getAttribute("#plan-archive-size", "data-bytes"));
  await page.fill("#squash-tag", tag ?? "");
  const stem = basename(file, ".tar");
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: TIMEOUT_MS }),
    page.click("#build"),
  ]);
  const variant = `${image === undefined ? "" : `-image${image}`}-from${from}${tag ? "-tagged" : ""}`;
  const saved = join(downloads, `${stem}${variant}.tar`);
  await download.saveAs(saved);
  const name = await downloadName(file, image, tag, from);
  expectEq(problems, "download name", download.suggestedFilename(), name);
  await page.waitForSelector("#download-link", { timeout: TIMEOUT_MS });
  expectEq(problems, "#download-link name", await page.getAttribute("#download-link", "download"), name);
  expectEq(problems, "docker load hint", (await page.textContent("#docker-load"))?.trim(), `docker load -i ${name}`);

  const got = await readFile(saved);
  expectEq(problems, "download size vs #plan-archive-size", got.length, planned);
  const imageArgs = image === undefined ? [] : ["--image", String(image)];
  const dry = await run(cli, ["squash", file, ...imageArgs, "-o", join(scratch, "unused.tar"), "--from", String(from), "--dry-run", "--json"]);
  if (dry.code === 0) expectEq(problems, "#plan-archive-size vs CLI --dry-run", planned, JSON.parse(dry.stdout).archive_size);
  else problems.push(`layerlens squash --dry-run failed: ${dry.stderr}`);
  const want = await readFile(await cliSquash(file, from, tag, image));
  if (!got.equals(want)) {
    let i = 0;
    while (i < got.length && i < want.length && got[i] === want[i]) i++;
    problems.push(`download differs from \`layerlens squash ${[...imageArgs, "--from", from, ...(tag ? ["--tag", tag] : [])].join(" ")}\`: ${got.length} vs ${want.length} bytes, first difference at byte ${i} (saved as ${saved})`);
  }
  const sk = await skopeoLayers(saved);
  if (sk.error) problems.push(sk.error);
  else expectEq(problems, "layers skopeo sees in the download", sk.layers, from === 0 ? 1 : from + 1);
  if (layerCount <= from) problems.push(`from ${from} is not below the layer count ${layerCount}`);
}

// ---------------------------------------------------------------------------------------------
// The suite

async function main() {
  await stat(join(dist, "index.html")).catch(() => {
    throw new Error(`${dist}/index.html not found: build the app first (trunk build index.html --release --offline)`);
  });
  await stat(cli).catch(() => {
    throw new Error(`${cli} not found: build the CLI first (cargo build -p layerlens-cli)`);
  });
  if ((await run("skopeo", ["--version"]).catch(() => ({ code: -1 }))).code !== 0) {
    throw new Error("skopeo not found: apt-get install -y skopeo (scripts/setup test installs it)");
  }
  await rm(artefacts, { recursive: true, force: true });
  await mkdir(downloads, { recursive: true });
  await mkdir(scratch, { recursive: true });

  const server = await serve(dist);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await launch();
  const { context, requests } = await newContext(browser);
  const atRoot = `${origin}/`;
  const atSub = `${origin}${SUB_PATH}`;

  // The shell, at the root and under a sub-path; the bundled sample from the sub-path.
  await test("app shell at / (ready, no CSP violation or error)", async (p) => {
    const app = await openApp(context, atRoot);
    // Plain words in the header, not the app's plumbing ("worker ready").
    expectEq(p, "status", (await app.page.textContent("#worker-status"))?.trim(), "Ready — files stay in this tab");
    const h1 = (await app.page.textContent("h1"))?.trim();
    expectEq(p, "heading", h1, "Drop a docker save tarball anywhere on this page");
    await shot(app.page, "start.png");
    p.push(...(await pageProblems(app)));
    await app.page.close();
  });

  await test("app at a sub-path: the bundled sample (#try-sample) shows the CLI's figures", async (p) => {
    const app = await openApp(context, atSub);
    await markStale(app.page);
    await app.page.click("#try-sample");
    const r = await settle(app.page, "sample.tar");
    if (r.error) throw new Error(`#error: ${r.error}`);
    await checkFigures(p, app.page, join(dist, "sample.tar"));
    await shot(app.page, "sample.png");
    p.push(...(await pageProblems(app)));
    await app.page.close();
  });

  await ciBridgeChecks(context, atSub);
  await secretsMaskedChecks(context, atRoot);

  // Each fixture: file input → figures → squash all (and from the middle layer).
  const cases = [
    ["Docker < 25 (dive test image)", F.dockerLegacy, atRoot, { drop: true, viaRow: true }],
    ["buildah docker-archive (whiteouts)", F.buildah, atSub, { drop: true, tree: true }],
    ["Docker 25 (ggcr hello-world)", F.docker25, atRoot, {}],
    ["OCI archive, gzip layers (whiteouts)", F.ociGzip, atSub, { tag: "e2e/squashed:1" }],
    ["OCI archive, zstd layer (dive)", F.ociZstd, atRoot, { drop: true }],
  ];
  for (const [label, file, url, opts] of cases) {
    const stem = basename(file, ".tar");
    const app = await openApp(context, url).catch((err) => ({ err }));
    if (app.err) {
      await test(`${label}: app opens`, () => Promise.reject(app.err));
      continue;
    }
    const page = app.page;
    let layerCount = 0;
    const loaded = await test(`${label}: file input shows the CLI's figures`, async (p) => {
      const r = await loadByInput(page, file);
      if (r.error) throw new Error(`#error: ${r.error}`);
      layerCount = (await checkFigures(p, page, file)).layerCount;
      await shot(page, `${stem}-analysis.png`);
    });
    if (loaded) {
      await test(`${label}: squash all layers${opts.tag ? ` tagged ${opts.tag}` : ""} = CLI bytes, planned size, skopeo OK`, (p) =>
        checkSquash(p, page, file, { from: 0, layerCount, tag: opts.tag }),
      );
      await shot(page, `${stem}-built.png`);
      if (layerCount > 1) {
        const mid = Math.floor(layerCount / 2);
        const how = opts.viaRow ? ` (its "squash from here" button)` : "";
        await test(`${label}: squash from layer ${mid}${how} of ${layerCount} = CLI bytes, planned size, skopeo OK`, (p) =>
          checkSquash(p, page, file, { from: mid, layerCount, viaRow: opts.viaRow }),
        );
      }
    }
    if (opts.drop) {
      // Dropped on the layer table of the image already shown: "anywhere on the page".
      await test(`${label}: dropped on the page, shows the CLI's figures`, async (p) => {
        const target = (await page.$("#layer-table")) ? "#layer-table" : ".app";
        const r = await loadByDrop(page, file, target);
        if (r.error) throw new Error(`#error: ${r.error}`);
        if (!r.overlay) p.push("dragging over the page did not show the drop overlay");
        if (await page.$(".drop-overlay")) p.push("the drop overlay stayed after the drop");
        await checkFigures(p, page, file);
      });
    }
    if (opts.tree) await treeChecks(page, file, stem);
    await test(`${label}: no console error, page error or CSP violation`, async (p) => {
      p.push(...(await pageProblems(app)));
    });
    await page.close();
  }

  // Image folders: skopeo's oci: and dir: copies of archives, picked with the folder input and
  // dropped on the page as folders. The page must show the CLI's figures for the folder, which
  // are those of the equivalent archive, and squash to the CLI's bytes for the folder, which
  // are the equivalent archive's.
  const folderCases = [
    ["OCI layout folder (skopeo copy of the buildah whiteouts archive)", F.buildah, "oci", atRoot, { drop: true }],
    ["dir: folder (Docker < 25 dive image)", F.dockerLegacy, "dir", atSub, { drop: true }],
    ["OCI layout folder, gzip layers (whiteouts)", F.ociGzip, "oci", atRoot, {}],
  ];
  for (const [label, fixture, transport, url, opts] of folderCases) {
    const dir = join(scratch, `${basename(fixture, ".tar")}-${transport}`);
    const source = `${fixture === F.ociGzip ? "oci-archive" : "docker-archive"}:${fixture}`;
    // The archive the folder is equivalent to: `dir:` keeps the fixture's blobs and manifest;
    // `oci:` converts (skopeo gzips plain layers), so its equivalent is skopeo's oci-archive.
    const archive = transport === "dir" ? fixture : `${dir}-archive.tar`;
    const copy = async (to) => {
      const r = await run("skopeo", ["copy", "--quiet", "--insecure-policy", source, to]);
      if (r.code !== 0) throw new Error(`skopeo copy ${source} ${to} failed: ${r.stderr}`);
    };
    const copied = await copy(`${transport}:${dir}`)
      .then(() => (transport === "dir" ? null : copy(`oci-archive:${archive}`)))
      .catch((err) => ({ err }));
    const app = copied?.err ? copied : await openApp(context, url).catch((err) => ({ err }));
    if (app.err) {
      await test(`${label}: app opens on a skopeo copy`, () => Promise.reject(app.err));
      continue;
    }
    const page = app.page;
    const stem = basename(dir);
    const sameAsArchive = async (p) => {
      const [shown, whole] = [await readFigures(page), await expectedFigures(archive)];
      const what = `page vs the CLI on ${basename(archive)}`;
      expectEq(p, `${what}: layer rows`, shown.rows, whole.rows);
      expectEq(p, `${what}: image ID`, shown.id, whole.id);
      expectEq(p, `${what}: total size`, shown.totalSize, whole.totalSize);
    };
    let layerCount = 0;
    const loaded = await test(`${label}: folder input shows the archive's figures`, async (p) => {
      await markStale(page);
      await page.setInputFiles("#folder-input", dir);
      const r = await settle(page, stem);
      if (r.error) throw new Error(`#error: ${r.error}`);
      layerCount = (await checkFigures(p, page, dir)).layerCount;
      await sameAsArchive(p);
      const format = await page.evaluate(() => [...document.querySelectorAll("#overview dt")].find((dt) => dt.textContent === "Format")?.nextElementSibling?.textContent);
      const want = transport === "dir" ? "containers/image `dir:` layout (skopeo, podman)" : "OCI image layout";
      expectEq(p, "format shown", format, want);
      await shot(page, `${stem}-analysis.png`);
    });
    if (loaded) {
      const tag = "e2e/folder:1";
      await test(`${label}: squash all tagged ${tag} = CLI bytes for the folder and for the archive`, async (p) => {
        await checkSquash(p, page, dir, { from: 0, layerCount, tag });
        const got = await readFile(join(downloads, `${stem}-from0-tagged.tar`));
        const fromArchive = await readFile(await cliSquash(archive, 0, tag));
        if (!got.equals(fromArchive)) p.push(`the download differs from \`layerlens squash ${basename(archive)} --tag ${tag}\` (${got.length} vs ${fromArchive.length} bytes)`);
      });
      if (layerCount > 1) {
        const mid = Math.floor(layerCount / 2);
        await test(`${label}: squash from layer ${mid} of ${layerCount} = CLI bytes, planned size, skopeo OK`, (p) =>
          checkSquash(p, page, dir, { from: mid, layerCount }),
        );
      }
    }
    if (opts.drop) {
      await test(`${label}: dropped on the page as a folder, shows the archive's figures`, async (p) => {
        const r = await loadFolderByDrop(page, dir);
        if (r.error) throw new Error(`#error: ${r.error}`);
        await checkFigures(p, page, dir);
        await sameAsArchive(p);
      });
    }
    await test(`${label}: no console error, page error or CSP violation`, async (p) => {
      p.push(...(await pageProblems(app)));
    });
    await page.close();
  }

  await test("a folder that is no image shows what is missing; a good folder then works", async (p) => {
    const app = await openApp(context, atRoot);
    const bad = join(scratch, "not-an-image");
    await mkdir(join(bad, "sub"), { recursive: true });
    await writeFile(join(bad, "notes.txt"), "hello");
    await writeFile(join(bad, "sub", "photo.jpg"), "jpeg");
    await markStale(app.page);
    await app.page.setInputFiles("#folder-input", bad);
    const r = await settle(app.page, "");
    if (!r.error) p.push("no error for a folder without oci-layout, index.json or manifest.json");
    else if (!/no `oci-layout`, `index.json` or `manifest.json`/.test(r.error)) p.push(`unexpected error: ${r.error}`);
    const good = join(scratch, `${basename(F.buildah, ".tar")}-oci`);
    await markStale(app.page);
    await app.page.setInputFiles("#folder-input", good);
    const ok = await settle(app.page, basename(good));
    if (ok.error) p.push(`the good folder after the bad one: ${ok.error}`);
    else await checkFigures(p, app.page, good);
    p.push(...(await pageProblems(app)));
    await app.page.close();
  });

  // Malformed files, then a good one on the same page.
  await test("malformed files show an error (dismissable); a good file then works", async (p) => {
    const random = join(scratch, "random-bytes.tar");
    await writeFile(random, randomBytes(10 * 1024));
    const cut = async (src, bytes, name) => {
      const out = join(scratch, name);
      await writeFile(out, (await readFile(src)).subarray(0, bytes));
      return out;
    };
    // One file per category of the hostile-input suite that a page can meet (tests/hostile.rs
    // covers them all through the CLI): not a tar, empty, truncated (docker and gzip OCI), a
    // damaged header checksum, no manifest, a `null` manifest, a gzip bomb within the limit's
    // reach is covered by the slow archive below.
    const empty = join(scratch, "empty.tar");
    await writeFile(empty, Buffer.alloc(0));
    const badsum = join(scratch, "bad-checksum.tar");
    {
      const b = Buffer.from(await readFile(F.docker25));
      b[10] ^= 0x55;
      await writeFile(badsum, b);
    }
    const bad = [
      random,
      empty,
      await cut(F.dockerLegacy, 700_000, "truncated-docker.tar"),
      await cut(F.ociGzip, 555_000, "truncated-oci-gzip.tar"),
      badsum,
      join(fixtures, "real/ggcr/tarball__no_manifest.tar"),
      join(fixtures, "real/ggcr/tarball__null_manifest.tar"),
    ];
    const app = await openApp(context, atRoot);
    for (const [i, file] of bad.entries()) {
      const r = await loadByInput(app.page, file);
      if (!r.error) {
        p.push(`${basename(file)}: no #error shown`);
        continue;
      }
      if (!r.error.trim()) p.push(`${basename(file)}: #error has an empty .error-text`);
      if (/stopped unexpectedly/.test(r.error)) p.push(`${basename(file)}: the worker crashed instead of reporting an error: ${r.error}`);
      if (await app.page.$("#overview")) p.push(`${basename(file)}: an overview is shown next to the error`);
      if (i === 0) {
        await shot(app.page, "error.png");
        await app.page.click("#error button:has-text('Dismiss')");
        if (await app.page.$("#error")) p.push("Dismiss did not close the error");
      }
      console.log(`     (${basename(file)}: "${r.error.slice(0, 110)}")`);
    }
    const r = await loadByInput(app.page, F.docker25);
    if (r.error) throw new Error(`good file after bad ones: #error: ${r.error}`);
    if (await app.page.$("#error")) p.push("the error is still shown after a good file loaded");
    await checkFigures(p, app.page, F.docker25);
    await checkSquash(p, app.page, F.docker25, { from: 0, layerCount: 1 });
    // Errors the app logs for bad input are not failures; CSP violations still are.
    const probs = await pageProblems(app);
    p.push(...probs.filter((x) => !x.startsWith("console error")));
    await app.page.close();
  });

  // A crash in the worker (a bug, or out of memory) must not take the page down.
  await test("a crashed worker is restarted: the page says so and the next file works", async (p) => {
    const app = await openApp(context, atRoot);
    const page = app.page;
    await page.evaluate(() => window.dispatchEvent(new Event("layerlens-test-crash")));
    await page.waitForSelector("#error .error-text", { timeout: TIMEOUT_MS });
    const msg = await page.locator("#error .error-text").innerText();
    if (!/stopped unexpectedly/.test(msg)) p.push(`unexpected message after a crash: ${msg}`);
    const r = await loadByInput(page, F.docker25);
    if (r.error) throw new Error(`after the crash: #error: ${r.error}`);
    await checkFigures(p, page, F.docker25);
    p.push(...(await pageProblems(app)).filter((x) => !/console error|page error/.test(x)));
    await page.close();
  });

  // Long work: a slow archive (a 2 GiB layer of zeros, gzipped to 9 MB) keeps the worker busy
  // for a second or two, long enough to cancel it or to open another file meanwhile.
  const slow = join(scratch, "slow-zeros.tar");
  await makeSlowArchive(slow, 2048);
  await test("Cancel during an analysis stops it; the next file then works", async (p) => {
    const app = await openApp(context, atRoot);
    const page = app.page;
    await markStale(page);
    await page.setInputFiles("#file-input", slow);
    await page.waitForSelector("#progress", { timeout: TIMEOUT_MS });
    await page.click("#progress button:has-text('Cancel')");
    // Watch for 3 s: the analysis must not come back (it takes ~2 s here).
    const seen = new Set();
    for (let t = 0; t < 3000; t += 100) {
      const s = await page.evaluate(() =>
        [
          document.querySelector("#progress") ? `progress "${document.querySelector("#progress .progress-head span")?.textContent}"` : null,
          document.querySelector("#overview") ? `overview of ${document.querySelector("#overview dl.facts dd")?.textContent}` : null,
        ].filter(Boolean).join(", "),
      );
      if (s && t >= 300) seen.add(s);
      await page.waitForTimeout(100);
    }
    if (seen.size) p.push(`after Cancel the analysis started again and finished: the page showed ${[...seen].join("; ")} (web/src/hooks/use_image_worker.rs: cancel() re-opens the current file)`);
    await shot(page, "cancelled.png");
    const r = await loadByInput(page, F.docker25);
    if (r.error) throw new Error(`good file after Cancel: #error: ${r.error}`);
    await checkFigures(p, page, F.docker25);
    p.push(...(await pageProblems(app)));
    await page.close();
  });

  await test("opening a file while another is analysed never shows the first one's figures", async (p) => {
    const app = await openApp(context, atRoot);
    const page = app.page;
    // Log every state of the overview and the progress bar.
    await page.evaluate(() => {
      window.__states = [];
      const snap = () => {
        const o = document.querySelector("#overview");
        const s = JSON.stringify({
          file: o?.querySelector("dl.facts dd")?.textContent ?? null,
          bytes: o ? Number(o.querySelector("#total-size")?.dataset.bytes) : null,
          busy: document.querySelector("#progress .progress-head span")?.textContent ?? null,
        });
        if (window.__states.at(-1) !== s) window.__states.push(s);
      };
      new MutationObserver(snap).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.setInputFiles("#file-input", slow);
    await page.waitForSelector("#progress", { timeout: TIMEOUT_MS });
    await markStale(page);
    await page.setInputFiles("#file-input", F.docker25);
    const r = await settle(page, basename(F.docker25));
    if (r.error) throw new Error(`#error: ${r.error}`);
    await checkFigures(p, page, F.docker25);
    const want = (await expectedFigures(F.docker25)).totalSize;
    const states = (await page.evaluate(() => window.__states)).map((s) => JSON.parse(s));
    for (const s of states) {
      if (s.file === basename(F.docker25) && s.bytes !== want) {
        p.push(`the overview showed ${s.file} with ${s.bytes} stored bytes (the slow archive's figures; expected ${want})${s.busy ? "" : " and no progress bar"}: the first file's late result is not discarded`);
        break;
      }
    }
    p.push(...(await pageProblems(app)));
    await page.close();
  });

  await changedInputChecks(context, atRoot);

  await test("squash of a 2 GiB gzipped layer: the download completes, or the page says it failed", async (p) => {
    // The new layer's bytes are not in the input file (it is compressed), so the app gathers
    // them in the Blob; in an off-the-record context (this one, like an Incognito window)
    // Chromium keeps blobs in memory only and cancels a download it cannot serve.
    const app = await openApp(context, atRoot);
    const page = app.page;
    const r = await loadByInput(page, slow);
    if (r.error) throw new Error(`#error: ${r.error}`);
    await page.waitForSelector("#plan-archive-size", { timeout: TIMEOUT_MS });
    // Either a download starts, or the app says up front that the browser cannot keep it.
    const downloadOrError = Promise.race([
      page.waitForEvent("download", { timeout: 120_000 }),
      page.waitForSelector("#error .error-text", { timeout: 120_000 }).then(() => null),
    ]);
    await page.click("#build");
    const download = await downloadOrError;
    const failure = download ? await download.failure() : "refused by the app before downloading";
    const { shown, error } = await page.evaluate(() => ({
      shown: document.querySelector("#built")?.textContent.replace(/\s+/g, " "),
      error: document.querySelector("#error .error-text")?.textContent,
    }));
    if (failure && !error) {
      p.push(`the download failed (${failure}) but the page reports success and no error: "${shown?.slice(0, 100)}"`);
    }
    if (download && !failure) await download.delete();
    await shot(page, "big-gzip-build.png");
    p.push(...(await pageProblems(app)));
    await page.close();
  });

  // Two images in one archive.
  await test("two-image archive: #image-picker lists both; the second one's figures and squash", async (p) => {
    const app = await openApp(context, atSub);
    const page = app.page;
    const r = await loadByInput(page, F.bundle);
    if (r.error) throw new Error(`#error: ${r.error}`);
    const options = await page.$$eval("#image-picker option", (os) => os.map((o) => ({ value: o.value, text: o.textContent })));
    expectEq(p, "picker options", options.length, 2);
    await checkFigures(p, page, F.bundle, 0);
    await markStale(page);
    await page.selectOption("#image-picker", options[1]?.value ?? "1");
    const r2 = await settle(page, basename(F.bundle));
    if (r2.error) throw new Error(`#error after picking: ${r2.error}`);
    await checkFigures(p, page, F.bundle, 1);
    expectEq(p, "picker selection", await page.$eval("#image-picker", (s) => s.value), options[1]?.value);
    await shot(page, "image-picker.png");
    // The build squashes the picked image, not the archive's first.
    await checkSquash(p, page, F.bundle, { from: 0, layerCount: 1, image: 1 });
    p.push(...(await pageProblems(app)));
    await page.close();
  });

  await test("names with U+202E and U+200B show escaped, as the CLI prints them, and never raw", (p) =>
    checkHostileNames(p, context, atRoot),
  );

  await seeInsideChecks(context, atRoot);
  await productChecks(browser, context, atRoot, slow);

  await test("every request went to localhost (pages and workers)", async (p) => {
    const foreign = requests.filter((u) => !isLocal(u));
    for (const u of foreign) p.push(`left localhost: ${u}`);
    for (const must of ["worker.js", "worker_bg.wasm", "sample.tar"]) {
      if (!requests.some((u) => new URL(u).pathname.endsWith(must))) p.push(`no request for ${must} was recorded (are worker requests seen?)`);
    }
    if (!requests.some((u) => u.includes(SUB_PATH))) p.push("no request under the sub-path was recorded");
    console.log(`     (${requests.length} requests recorded)`);
  });

  await browser.close();
  server.close();
  return summary();
}

/** File tree of whiteouts.docker.tar at layer 3: marks equal the CLI's changes; the filter works. */
async function treeChecks(page, file, stem) {
  const layer = 3;
  await test(`file tree: layer ${layer} marks the CLI's added / modified / removed paths`, async (p) => {
    // Load afresh by the file input so the tree starts from its defaults.
    const r = await loadByInput(page, file);
    if (r.error) throw new Error(`#error: ${r.error}`);
    await page.waitForSelector("#tree-layer", { timeout: TIMEOUT_MS });
    await page.selectOption("#tree-layer", String(layer));
    await page.waitForFunction(
      (layer) => document.querySelector("#files h3")?.textContent.startsWith(`Files after layer ${layer}`) && document.querySelector("#files .tree-row"),
      layer,
      { timeout: TIMEOUT_MS },
    );
    await page.check("#tree-changed");
    await page.locator("#files").getByRole("button", { name: "Expand all" }).click();
    await page.waitForTimeout(100);
    const rows = await page.$$eval("#files .tree-row", (rs) =>
      rs.map((r) => ({ path: r.dataset.path, mark: ["added", "modified", "removed", "unchanged"].find((c) => r.classList.contains(c)) })),
    );
    const changes = (await analyze(file)).image.layers[layer].changes;
    const want = { added: new Set(), modified: new Set(), removed: new Set() };
    for (const c of changes) {
      const kind = typeof c.kind === "string" ? c.kind : Object.keys(c.kind)[0];
      if (want[kind]) want[kind].add(c.path);
    }
    for (const mark of ["added", "modified", "removed"]) {
      const got = rows.filter((r) => r.mark === mark).map((r) => r.path).sort();
      expectEq(p, `rows marked ${mark}`, got, [...want[mark]].sort());
    }
    if (want.removed.size === 0) p.push("fixture has no removed path in this layer: pick another layer");
    // Removed rows name the layer that removed them, and are struck through.
    const removed = await page.$$eval("#files .tree-row.removed", (rs) =>
      rs.map((r) => ({ path: r.dataset.path, from: r.querySelector(".from").textContent, line: getComputedStyle(r.querySelector(".name button.path")).textDecorationLine })),
    );
    for (const r of removed) {
      if (r.from !== `L${layer}`) p.push(`removed row ${r.path} shows ${r.from}, not the layer that removed it (L${layer})`);
      if (!r.line.includes("line-through")) p.push(`removed row ${r.path} is not struck through (text-decoration-line: ${r.line})`);
    }
    const stats = await page.textContent("#tree-stats");
    const shown = Number(/(\d+) rows shown/.exec(stats)?.[1]);
    expectEq(p, "#tree-stats rows shown = rendered rows", shown, rows.length);
    await shot(page, `${stem}-tree-layer${layer}.png`);
  });

  await test("file tree: the path filter keeps matching paths and their parents", async (p) => {
    await page.uncheck("#tree-changed");
    await page.fill("#tree-filter", "overwrite");
    await page.locator("#files").getByRole("button", { name: "Expand all" }).click();
    await page.waitForFunction(
      () => [...document.querySelectorAll("#files .tree-row")].every((r) => "data/overwrite.txt".startsWith(r.dataset.path)),
      null,
      { timeout: TIMEOUT_MS },
    ).catch(() => {});
    const paths = await page.$$eval("#files .tree-row", (rs) => rs.map((r) => r.dataset.path));
    expectEq(p, "rows for filter 'overwrite'", paths, ["data", "data/overwrite.txt"]);
    const stats = await page.textContent("#tree-stats");
    if (!/ 2 rows shown/.test(stats)) p.push(`#tree-stats: ${stats}`);
    await shot(page, `${stem}-tree-filter.png`);
    await page.fill("#tree-filter", "");
    await page.waitForFunction(() => document.querySelectorAll("#files .tree-row").length > 2, null, { timeout: TIMEOUT_MS });
  });
}

// ---------------------------------------------------------------------------------------------
// Issue 19: layout, keyboard, screen readers, phone, and the bugs found trying the app

const axeSource = readFile(join(root, "node_modules", "axe-core", "axe.min.js"), "utf8");

/** WCAG 2.1 A/AA violations axe-core (from npm, evaluated in the page) finds, one line each. */
async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(await axeSource);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      resultTypes: ["violations"],
    });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help}; ${v.nodes.length} element(s), e.g. ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
  });
}

/** What has the keyboard focus. */
async function focused(page) {
  // The file list's keys are answered by the worker: wait until the page has its answer.
  await page.waitForFunction(() => !document.querySelector("#files [data-pending]"), null, { timeout: TIMEOUT_MS }).catch(() => {});
  return page.evaluate(() => {
    const a = document.activeElement;
    return {
      tag: a?.tagName,
      id: a?.id,
      role: a?.getAttribute("role"),
      layer: a?.dataset?.layer,
      node: a?.dataset?.node,
      path: a?.dataset?.path,
      expanded: a?.getAttribute("aria-expanded"),
      selected: a?.getAttribute("aria-selected"),
      text: a?.textContent?.trim().slice(0, 100),
    };
  });
}

/** Presses Tab (Shift+Tab with `back`) until `pred(document.activeElement, arg)` holds. */
async function tabTo(page, pred, arg, { back = false, max = 250 } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
    if (await page.evaluate(([src, arg]) => new Function("a", "arg", `return (${src})(a, arg)`)(document.activeElement, arg), [pred.toString(), arg])) return;
  }
  throw new Error(`${max} presses of ${back ? "Shift+Tab" : "Tab"} never reached ${pred.toString().slice(0, 120)}`);
}

/** Chooses `value` in the <select> `#id` by keyboard: Tab to it, then arrow keys (each fires `change`). */
async function chooseByKeyboard(page, id, value) {
  if ((await focused(page)).id !== id) {
    await page.evaluate(() => document.activeElement?.blur());
    await tabTo(page, (a, id) => a?.id === id, id);
  }
  const options = await page.$eval(`#${id}`, (s) => [...s.options].map((o) => o.value));
  const want = options.indexOf(value);
  if (want < 0) throw new Error(`#${id} has no option ${value}`);
  for (let i = 0; i < options.length * 2; i++) {
    const at = options.indexOf(await page.$eval(`#${id}`, (s) => s.value));
    if (at === want) return;
    await page.keyboard.press(at < want ? "ArrowDown" : "ArrowUp");
  }
  throw new Error(`arrow keys did not reach ${value} in #${id}`);
}

/** Loads a file by the keyboard: the file input, reached with Tab, gets the file (a file chooser is the OS's). */
async function loadByKeyboard(page, file) {
  await markStale(page);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.evaluate(() => document.activeElement?.blur());
  await tabTo(page, (a) => a?.id === "file-input");
  // Space (or Enter) on the focused input opens the chooser; a press right after the page
  // settles is sometimes not taken as one, so it is tried again.
  for (const key of ["Space", "Enter", "Space"]) {
    const chooser = page.waitForEvent("filechooser", { timeout: 4000 }).catch(() => null);
    await page.keyboard.press(key);
    const c = await chooser;
    if (c) {
      await c.setFiles(file);
      return settle(page, basename(file));
    }
  }
  throw new Error("Space and Enter on #file-input opened no file chooser");
}

/** Rows of the file tree as shown: path, node, depth, whether listed open, the toggle's glyph. */
function treeRows(page) {
  return page.$$eval("#files .tree-row", (rs) =>
    rs
      .map((r) => ({
        path: r.dataset.path,
        top: parseFloat(r.style.top),
        level: Number(r.getAttribute("aria-level")),
        expanded: r.getAttribute("aria-expanded"),
        toggle: r.querySelector(".toggle")?.textContent ?? null,
        from: r.querySelector(".from")?.textContent,
        name: r.querySelector(".name button.path")?.textContent,
      }))
      .sort((a, b) => a.top - b.top),
  );
}

/** Elements wider than a 390 px viewport (outside a scroll box that fits), and small touch targets. */
function phoneProblems(page) {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const out = { wide: [], small: [], pageWidth: document.documentElement.scrollWidth, vw };
    const name = (el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""}`;
    const scroller = (el) => {
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(a).overflowX)) return a;
      }
      return null;
    };
    for (const el of document.querySelectorAll("body *")) {
      const r = el.getBoundingClientRect();
      if (r.width <= 1 || r.height === 0) continue;
      if (r.right > vw + 0.5 || r.left < -0.5) {
        const box = scroller(el);
        const b = box?.getBoundingClientRect();
        if (b && b.left >= -0.5 && b.right <= vw + 0.5) continue;
        out.wide.push(`${name(el)} spans ${Math.round(r.left)}..${Math.round(r.right)} px`);
      }
    }
    for (const el of document.querySelectorAll("button, a[href], select, input, summary, [role=treeitem], tr[tabindex]")) {
      const r = el.getBoundingClientRect();
      if (r.width <= 1 || r.height <= 1) continue; // visually hidden (a file input inside its label)
      if (el.type === "checkbox") continue; // its label is the target
      const target = el.type === "checkbox" ? el.closest("label") : el;
      const t = target.getBoundingClientRect();
      if (t.height < 44 || t.width < 44) out.small.push(`${name(el)} "${el.textContent.trim().slice(0, 30)}" ${Math.round(t.width)}×${Math.round(t.height)}`);
    }
    return out;
  });
}

/** Checks the app as a product: keyboard, screen-reader structure, phone layout, the issue-19 bugs. */
async function productChecks(browser, context, url, slow) {
  const many = join(scratch, "many-layers.tar");
  const odd = join(scratch, "odd-names.tar");
  const made = await run("python3", [join(root, "e2e", "odd_archive.py"), many, odd]);
  if (made.code !== 0) throw new Error(`e2e/odd_archive.py: ${made.stderr}`);

  await test("keyboard only: the see-inside panel (open a file, its layer) and the CI bridge (paste and check a .dive-ci)", async (p) => {
    const app = await openApp(context, url);
    const page = app.page;
    await tabTo(page, (a) => a?.id === "try-sample");
    await markStale(page);
    await page.keyboard.press("Enter");
    const r = await settle(page, "sample.tar");
    if (r.error) throw new Error(`#error: ${r.error}`);
    const sample = join(dist, "sample.tar");
    // See inside: type a path, pick "after layer 3" with the arrows, Open with Enter.
    await page.evaluate(() => document.activeElement?.blur());
    await tabTo(page, (a) => a?.id === "see-path");
    await page.keyboard.type("/app/hello.sh");
    await chooseByKeyboard(page, "see-layer", "3");
    await tabTo(page, (a) => a?.id === "see-open");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector("#meta-path")?.textContent === "/app/hello.sh", null, { timeout: TIMEOUT_MS });
    const cat = await run(cli, ["cat", sample, "/app/hello.sh", "--layer", "3"]);
    expectEq(p, "the file after layer 3, opened by keyboard", await page.textContent("#viewer-text"), cat.stdout);
    // The CI bridge: type a .dive-ci into its field, check it with Enter on the button.
    await tabTo(page, (a) => a?.id === "dive-ci-text");
    await page.keyboard.press("Control+a");
    await page.keyboard.type("rules:\n  lowestEfficiency: 0.99\n");
    await tabTo(page, (a) => a?.id === "dive-ci-check");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#ci-results tr", { timeout: TIMEOUT_MS });
    const rows = await page.$$eval("#ci-results tr", (rs) => rs.length);
    if (rows < 2) p.push(`the CI check shows ${rows} rows`);
    p.push(...(await pageProblems(app)));
    await page.close();
  });

  await test("keyboard only: skip link, sample, layer grid, file tree, history (Esc returns focus), squash from here, build", async (p) => {
    const app = await openApp(context, url);
    const page = app.page;
    await page.keyboard.press("Tab");
    const skip = await focused(page);
    if (!/Skip to/.test(skip.text ?? "")) p.push(`the first Tab does not reach a skip link: ${JSON.stringify(skip)}`);
    await tabTo(page, (a) => a?.id === "try-sample");
    await markStale(page);
    await page.keyboard.press("Enter");
    const r = await settle(page, "sample.tar");
    if (r.error) throw new Error(`#error: ${r.error}`);
    expectEq(p, "h1 once an image is shown", (await page.$$eval("h1", (h) => h.map((x) => x.id))), ["image-title"]);
    // The layer table: one tab stop; arrows move focus and selection together.
    await tabTo(page, (a) => a?.matches?.("#layer-table tr.layer-row"));
    const n = (await analyze(join(dist, "sample.tar"))).image.layers.length;
    let f = await focused(page);
    expectEq(p, "the table's tab stop is the selected (top) layer", [f.layer, f.selected], [String(n - 1), "true"]);
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("ArrowUp");
    // The focus moves at once; the selection follows with the next render.
    await page.waitForFunction(() => document.activeElement?.getAttribute("aria-selected") === "true", null, { timeout: 2000 }).catch(() => {});
    f = await focused(page);
    expectEq(p, "ArrowUp twice: focus and selection", [f.layer, f.selected], [String(n - 3), "true"]);
    expectEq(p, "rows selected", await page.$$eval("#layer-table tr[aria-selected=true]", (r) => r.map((x) => x.dataset.layer)), [String(n - 3)]);
    await page.keyboard.press("Home");
    expectEq(p, "Home", (await focused(page)).layer, "0");
    await page.keyboard.press("End");
    expectEq(p, "End", (await focused(page)).layer, String(n - 1));
    await page.keyboard.press("ArrowUp");
    // The files of the selected layer follow.
    await page.waitForFunction((l) => document.querySelector("#files-title")?.textContent.startsWith(`Files after layer ${l}`), n - 2, { timeout: TIMEOUT_MS });
    // The file tree: one tab stop, arrows, Right opens a directory, Home/End, type-ahead.
    await tabTo(page, (a) => a?.getAttribute?.("role") === "treeitem");
    const first = await focused(page);
    expectEq(p, "tree tab stop", first.selected, "true");
    await page.keyboard.press("End");
    const end = await focused(page);
    await page.keyboard.press("Home");
    const home = await focused(page);
    if (end.node === home.node) p.push("End and Home land on the same row");
    const rows0 = await treeRows(page);
    expectEq(p, "Home is the first row", home.path, rows0[0]?.path);
    // Find a directory (the top level is open), close it with ArrowLeft, open it with ArrowRight.
    let opened = false;
    for (let i = 0; i < 40 && !opened; i++) {
      let a = await focused(page);
      if (a.expanded === "true") {
        await page.keyboard.press("ArrowLeft");
        a = await focused(page);
        expectEq(p, `ArrowLeft closes the open ${a.path}`, a.expanded, "false");
      }
      if (a.expanded === "false") {
        await page.keyboard.press("ArrowRight");
        const b = await focused(page);
        if (b.expanded !== "true" || b.node !== a.node) p.push(`ArrowRight on ${a.path} did not open it: ${JSON.stringify(b)}`);
        await page.keyboard.press("ArrowRight");
        const c = await focused(page);
        if (!c.path?.startsWith(`${a.path}/`)) p.push(`ArrowRight on the open ${a.path} did not move to its first child: ${c.path}`);
        await page.keyboard.press("ArrowLeft");
        expectEq(p, "ArrowLeft goes back to the parent", (await focused(page)).path, a.path);
        await page.keyboard.press("ArrowLeft");
        expectEq(p, "ArrowLeft closes it", (await focused(page)).expanded, "false");
        opened = true;
      } else {
        await page.keyboard.press("ArrowDown");
      }
    }
    if (!opened) p.push("no closed directory reached with ArrowDown");
    // Type-ahead: the first letter of a top-level name.
    await page.keyboard.press("Home");
    const names = rows0.filter((r) => r.level === 1).map((r) => r.path);
    const targetName = names.find((x) => x !== home.path) ?? names[0];
    await page.keyboard.type(targetName.slice(0, 2), { delay: 50 });
    expectEq(p, `type-ahead "${targetName.slice(0, 2)}"`, (await focused(page)).path, targetName);
    // Rows far below the view: End scrolls there and the row has the focus (virtualised rows).
    await page.keyboard.press("End");
    const last = await focused(page);
    expectEq(p, "End reaches the last row", last.role, "treeitem");
    // Enter: the path's history, focused; Esc closes it and gives the focus back.
    await page.keyboard.press("Enter");
    await page.waitForSelector("#timeline ol.timeline li, #timeline p.muted", { timeout: TIMEOUT_MS });
    expectEq(p, "focus after Enter on a path", (await focused(page)).id, "timeline-title");
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => !document.querySelector("#timeline"), null, { timeout: TIMEOUT_MS });
    const back = await focused(page);
    expectEq(p, "focus after Esc", [back.role, back.path], ["treeitem", last.path]);
    // "squash from here" of the selected layer: Tab from the row reaches it; it focuses the squash choice.
    await tabTo(page, (a) => a?.matches?.("#layer-table tr.layer-row[aria-selected=true]"), null, { back: true });
    const sel = (await focused(page)).layer;
    await tabTo(page, (a) => a?.textContent?.startsWith("squash from here"));
    await page.keyboard.press("Enter");
    await page.waitForFunction((l) => document.activeElement?.id === "squash-from" && document.activeElement.value === l, sel, { timeout: TIMEOUT_MS }).catch(() => {});
    const sq = await focused(page);
    expectEq(p, "focus after squash from here", sq.id, "squash-from");
    expectEq(p, "squash choice", await page.$eval("#squash-from", (s) => s.value), sel);
    // Build by keyboard: the download link gets the focus, with the docker load hint.
    await page.waitForFunction(() => document.querySelector("#plan-archive-size") && !document.querySelector("#build").disabled, null, { timeout: TIMEOUT_MS });
    await tabTo(page, (a) => a?.id === "build");
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: TIMEOUT_MS }), page.keyboard.press("Enter")]);
    await download.delete();
    await page.waitForFunction(() => document.activeElement?.id === "download-link", null, { timeout: TIMEOUT_MS }).catch(() => {});
    expectEq(p, "focus after the build", (await focused(page)).id, "download-link");
    if (!/^docker load -i \S+-squashed-from-\d+\.tar$/.test((await page.textContent("#docker-load")) ?? "")) p.push(`docker load hint: ${await page.textContent("#docker-load")}`);
    await shot(page, "keyboard-sample.png");
    p.push(...(await pageProblems(app)));
    await page.close();
  });

  await test("progress is announced politely and throttled (stage and tenths, not every update)", async (p) => {
    const app = await openApp(context, url);
    const page = app.page;
    await page.evaluate(() => {
      window.__spoken = [];
      window.__shown = 0;
      new MutationObserver(() => {
        const live = document.querySelector("#progress-announce");
        if (live && window.__spoken.at(-1) !== live.textContent) window.__spoken.push(live.textContent);
        const bar = document.querySelector("#progress progress");
        if (bar && bar.value !== window.__last) (window.__shown++, (window.__last = bar.value));
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    const r = await loadByInput(page, slow);
    if (r.error) throw new Error(`#error: ${r.error}`);
    const { spoken, shown } = await page.evaluate(() => ({ spoken: window.__spoken, shown: window.__shown }));
    if (spoken.length === 0) p.push("nothing was announced");
    if (spoken.length > 25) p.push(`${spoken.length} announcements for one analysis`);
    if (spoken.length >= shown && shown > 5) p.push(`as many announcements (${spoken.length}) as progress updates (${shown})`);
    console.log(`     (${shown} progress updates, ${spoken.length} announcements: ${spoken.slice(0, 4).join(" | ")} …)`);
    await page.close();
  });

  await test("accessibility (axe-core, WCAG 2.1 A/AA): start page, sample, 66-layer image, history open, error shown", async (p) => {
    const app = await openApp(context, url);
    const page = app.page;
    for (const v of await axeViolations(page)) p.push(`start page: ${v}`);
    const r = await loadByKeyboard(page, join(dist, "sample.tar"));
    if (r.error) throw new Error(`#error: ${r.error}`);
    await page.waitForSelector("#findings-summary, #no-findings", { timeout: TIMEOUT_MS });
    await page.waitForSelector("#files .tree-row", { timeout: TIMEOUT_MS });
    for (const v of await axeViolations(page)) p.push(`sample: ${v}`);
    const m = await loadByKeyboard(page, many);
    if (m.error) throw new Error(`#error: ${m.error}`);
    await page.waitForSelector("#findings-summary", { timeout: TIMEOUT_MS });
    await page.waitForSelector("#files .tree-row", { timeout: TIMEOUT_MS });
    for (const v of await axeViolations(page)) p.push(`66 layers: ${v}`);
    await tabTo(page, (a) => a?.getAttribute?.("role") === "treeitem");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#timeline", { timeout: TIMEOUT_MS });
    for (const v of await axeViolations(page)) p.push(`66 layers, history open: ${v}`);
    await markStale(page);
    await page.setInputFiles("#file-input", join(fixtures, "real/ggcr/tarball__no_manifest.tar"));
    await page.waitForSelector("#error:not([data-e2e-stale])", { timeout: TIMEOUT_MS });
    for (const v of await axeViolations(page)) p.push(`error shown: ${v}`);
    p.push(...(await pageProblems(app)).filter((x) => !x.startsWith("console error")));
    await page.close();
  });

  await test("66 layers: the cake fits a screen, follows the table's order, hatches waste on tiny layers, hidden from AT", async (p) => {
    const app = await openApp(context, url);
    const page = app.page;
    const r = await loadByInput(page, many);
    if (r.error) throw new Error(`#error: ${r.error}`);
    const cake = await page.$eval(".cake", (c) => {
      const svg = c.querySelector("svg").getBoundingClientRect();
      const slabs = [...c.querySelectorAll("g.slab")].map((g) => {
        const [live, wasted] = g.querySelectorAll("rect");
        return { y: Number(live.getAttribute("y")), wasted: Number(wasted.getAttribute("width")) };
      });
      return { hidden: c.getAttribute("aria-hidden"), height: svg.height, slabs, caption: c.querySelector(".cake-caption").textContent };
    });
    expectEq(p, "cake aria-hidden", cake.hidden, "true");
    if (cake.height > 400) p.push(`the cake is ${cake.height} px tall for 66 layers`);
    expectEq(p, "slabs", cake.slabs.length, 66);
    if (!cake.slabs.every((s, i) => i === 0 || s.y > cake.slabs[i - 1].y)) p.push("slabs are not in the table's order (base at the top)");
    if (!/base \(layer 0\) at the top/.test(cake.caption) || !/√size/.test(cake.caption)) p.push(`the cake does not state its order and scale: ${cake.caption}`);
    // The table carries the same figures (the cake is hidden from assistive technology).
    const superseded = await page.$$eval("#layer-table tr.layer-row", (rs) => rs.map((r) => Number(r.querySelectorAll("td")[6].dataset.bytes)));
    if (!superseded.some((x) => x > 0)) p.push("the table carries no superseded bytes");
    for (const [i, bytes] of superseded.entries()) {
      const hatch = cake.slabs[i]?.wasted ?? 0;
      if (bytes > 0 && hatch < 2) p.push(`layer ${i}: ${bytes} superseded bytes, hatch ${hatch} px wide`);
      if (bytes === 0 && hatch > 0) p.push(`layer ${i}: no superseded bytes, hatch ${hatch} px wide`);
    }
    // Findings: grouped by kind, summary line, filters, badges on layers.
    const groups = await page.$$eval("#findings .finding-group", (g) => g.map((x) => x.dataset.kind));
    if (new Set(groups).size !== groups.length) p.push(`a kind has several groups: ${groups}`);
    const total = (await analyze(many)).waste.findings.length;
    const summary = await page.textContent("#findings-summary");
    if (!/^\d+ findings? of \d+ kinds? across \d+ layers?: /.test(summary)) p.push(`summary line: ${summary}`);
    if (!summary.startsWith(`${total} finding`)) p.push(`summary says "${summary}", the CLI has ${total} findings`);
    // The filters, by keyboard.
    const all = await page.$$eval("#findings li.finding", (l) => l.length);
    await chooseByKeyboard(page, "findings-severity", "low");
    const low = await page.$$eval("#findings li.finding", (l) => l.length);
    await chooseByKeyboard(page, "findings-severity", "security");
    const sec = await page.$$eval("#findings li.finding", (l) => l.length);
    if (!(low <= all && sec < all)) p.push(`severity filter: ${all} all, ${low} low, ${sec} security`);
    await chooseByKeyboard(page, "findings-severity", "");
    const kinds = await page.$$eval("#findings-kind option", (o) => o.map((x) => x.value).filter(Boolean));
    await chooseByKeyboard(page, "findings-kind", kinds[0]);
    expectEq(p, "kind filter keeps one group", await page.$$eval("#findings .finding-group", (g) => g.map((x) => x.dataset.kind)), [kinds[0]]);
    await chooseByKeyboard(page, "findings-kind", "");
    // A finding's "layer N" link moves the focus to that layer's row (its group opened by keyboard).
    await tabTo(page, (a) => a?.matches?.(".finding-group > details > summary"));
    if (!(await page.evaluate(() => document.activeElement.parentElement.open))) await page.keyboard.press("Enter");
    await tabTo(page, (a) => a?.matches?.("li.finding button.link") && /^layer \d+$/.test(a.textContent));
    const link = (await focused(page)).text.replace("layer ", "");
    await page.keyboard.press("Enter");
    await page.waitForFunction((l) => document.activeElement?.dataset?.layer === l, link, { timeout: 3000 }).catch(() => {});
    const row = await focused(page);
    expectEq(p, "focus after a finding's layer link", [row.layer, row.selected], [link, "true"]);
    // A layer's badge shows that layer's findings.
    await tabTo(page, (a) => a?.matches?.("#layer-table .badge"));
    await page.keyboard.press("Enter");
    const badgeLayer = await page.evaluate(() => document.querySelector("#layer-table tr[aria-selected=true]")?.dataset.layer);
    await page.waitForSelector("#findings-all-layers", { timeout: 3000 }).catch(() => p.push("a badge does not filter the findings by its layer"));
    const layersShown = await page.$$eval("#findings li.finding", (l) => l.map((x) => x.textContent));
    if (!layersShown.every((t) => t.includes(`layer ${badgeLayer}`))) p.push(`the badge of layer ${badgeLayer} shows other layers' findings`);
    const badges = await page.$$eval("#layer-table tr.layer-row td:nth-child(8) .badge", (b) => b.length);
    if (badges === 0) p.push("no layer has a findings badge");
    await shot(page, "many-layers.png");
    p.push(...(await pageProblems(app)));
    await page.close();
  });

  await test("bug: re-clicking a finding's path after clearing the filter shows it again", async (p) => {
    const app = await openApp(context, url);
    const page = app.page;
    const r = await loadByKeyboard(page, join(dist, "sample.tar"));
    if (r.error) throw new Error(`#error: ${r.error}`);
    await page.waitForSelector("#findings .evidence button", { state: "attached", timeout: TIMEOUT_MS });
    // Open the first finding's paths and activate its first path, by keyboard.
    await tabTo(page, (a) => a?.tagName === "SUMMARY" && a.closest("li.finding"));
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    const ev = await focused(page);
    await page.keyboard.press("Enter");
    await page.waitForFunction((t) => document.querySelector("#tree-filter")?.value === t, ev.text, { timeout: TIMEOUT_MS }).catch(() => {});
    expectEq(p, "filter after the first click", await page.$eval("#tree-filter", (i) => i.value), ev.text);
    await tabTo(page, (a) => a?.id === "tree-filter", null, { back: true });
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Backspace");
    expectEq(p, "filter cleared", await page.$eval("#tree-filter", (i) => i.value), "");
    await tabTo(page, (a, t) => a?.matches?.(".evidence button") && a.textContent === t, ev.text);
    await page.keyboard.press("Enter");
    await page.waitForFunction((t) => document.querySelector("#tree-filter")?.value === t, ev.text, { timeout: 3000 }).catch(() => {});
    expectEq(p, "filter after clicking the same path again", await page.$eval("#tree-filter", (i) => i.value), ev.text);
    await page.close();
  });

  await test("bug: history of names with a newline and with non-UTF-8 bytes (the CLI's `why` finds them)", async (p) => {
    const app = await openApp(context, url);
    const page = app.page;
    const r = await loadByKeyboard(page, odd);
    if (r.error) throw new Error(`#error: ${r.error}`);
    await page.waitForSelector("#files .tree-row", { timeout: TIMEOUT_MS });
    for (const [typed, shown, raw] of [["li", "odd/line\\nbreak.txt", "$'/odd/line\\nbreak.txt'"], ["ca", "odd/caf\ufffd.txt", null]]) {
      await page.evaluate(() => document.activeElement?.blur());
      await tabTo(page, (a) => a?.getAttribute?.("role") === "treeitem");
      // Letters typed within 0.8 s make one prefix: let the last name's prefix expire.
      await page.waitForTimeout(1000);
      await page.keyboard.type(typed, { delay: 50 });
      expectEq(p, `type-ahead ${typed}`, (await focused(page)).path, shown);
      await page.keyboard.press("Enter");
      await page.waitForSelector("#timeline ol.timeline li, #timeline p.muted", { timeout: TIMEOUT_MS });
      const events = await page.$$eval("#timeline ol.timeline li", (l) => l.map((x) => x.textContent));
      if (events.length === 0) p.push(`${shown}: ${await page.textContent("#timeline")}`);
      // The CLI gets the name's exact bytes from bash (a JS string would become UTF-8); its
      // arguments must be UTF-8, so only the newline name has an oracle there.
      const why = raw ? await run("bash", ["-c", `"$0" why "$1" ${raw}`, cli, odd]) : null;
      const cliEvents = why?.stdout.split("\n")[1] ?? "";
      if (why && why.code !== 0) p.push(`CLI why ${shown}: ${why.stderr}`);
      if (why && !cliEvents.includes("added in L0")) p.push(`CLI why ${shown}: ${cliEvents}`);
      if (!events[0]?.includes("added")) p.push(`${shown}: first event ${events[0]} (CLI: ${cliEvents})`);
      // The see-inside panel opens the same name (its bytes found from the name as shown).
      await page.waitForFunction((want) => document.querySelector("#meta-path")?.textContent === want || document.querySelector("#error"), `/${shown}`, { timeout: TIMEOUT_MS }).catch(() => {});
      const meta = await page.evaluate(() => document.querySelector("#meta-path")?.textContent);
      if (meta !== `/${shown}`) p.push(`${shown}: the viewer shows ${meta} (#error: ${await page.evaluate(() => document.querySelector("#error")?.textContent)})`);
      if (raw) {
        const cat = await run("bash", ["-c", `"$0" cat "$1" ${raw}`, cli, odd]);
        expectEq(p, `${shown} in the viewer`, await page.textContent("#viewer-text"), cat.stdout);
      }
      await page.keyboard.press("Escape");
    }
    await page.close();
  });

  await test("bug: opening a broken file keeps the image already shown (and it still answers)", async (p) => {
    const app = await openApp(context, url);
    const page = app.page;
    const r = await loadByInput(page, odd);
    if (r.error) throw new Error(`#error: ${r.error}`);
    const bad = join(scratch, "broken-after-good.tar");
    await writeFile(bad, randomBytes(4096));
    const e = await loadByInput(page, bad);
    if (!e.error) p.push("no error for random bytes");
    expectEq(p, "file still shown", await page.evaluate(() => document.querySelector("#overview dl.facts dd")?.textContent), basename(odd));
    await checkFigures(p, page, odd);
    expectEq(p, "focus on the error", (await focused(page)).id, "error");
    // The worker still has the image: another layer's files come.
    await tabTo(page, (a) => a?.matches?.("#layer-table tr.layer-row"));
    await page.keyboard.press("Home");
    await page.waitForFunction(() => document.querySelector("#files-title")?.textContent.startsWith("Files after layer 0") && document.querySelector("#files .tree-row"), null, { timeout: TIMEOUT_MS })
      .catch(() => p.push("the tree of layer 0 did not come after the failed open"));
    p.push(...(await pageProblems(app)).filter((x) => !x.startsWith("console error")));
    await page.close();
  });

  await test("bug: the path filter takes a leading / and globs; directories listed open show ▾", async (p) => {
    const app = await openApp(context, url);
    const page = app.page;
    const r = await loadByInput(page, many);
    if (r.error) throw new Error(`#error: ${r.error}`);
    await page.waitForSelector("#files .tree-row", { timeout: TIMEOUT_MS });
    for (const [text, re] of [["/app/step6", /^app\/step6/], ["/bin/base.bin", /^bin\/base\.bin$/], ["*6?.txt", /6.\.txt$/], ["/app/*5.txt", /^app\/.*5\.txt$/]]) {
      await page.fill("#tree-filter", text);
      await page.waitForTimeout(100);
      const rows = await treeRows(page);
      const files = rows.filter((x) => x.expanded === null).map((x) => x.path);
      if (files.length === 0) p.push(`filter "${text}" shows no file`);
      for (const f of files) if (!re.test(f)) p.push(`filter "${text}" shows ${f}`);
      for (const [i, row] of rows.entries()) {
        const listedOpen = rows[i + 1] && rows[i + 1].level > row.level;
        if (row.expanded !== null && (row.expanded === "true") !== !!listedOpen) p.push(`filter "${text}": ${row.path} aria-expanded=${row.expanded} but its children are ${listedOpen ? "" : "not "}listed`);
        if (row.toggle !== null && (row.toggle === "▾") !== !!listedOpen) p.push(`filter "${text}": ${row.path} shows ${row.toggle} but its children are ${listedOpen ? "" : "not "}listed`);
      }
    }
    await page.fill("#tree-filter", "");
    await page.close();
  });

  await test("savings: one set of figures (headline, reclaim card, squash panel) whose parts add up (dive's test image)", async (p) => {
    const app = await openApp(context, url);
    const page = app.page;
    const r = await loadByInput(page, F.dockerLegacy);
    if (r.error) throw new Error(`#error: ${r.error}`);
    await page.waitForSelector("#squash-figures", { timeout: TIMEOUT_MS });
    await page.waitForSelector("#reclaim-parts", { timeout: TIMEOUT_MS });
    const figs = await page.evaluate(() => {
      const parts = (sel) => Object.fromEntries([...document.querySelectorAll(`${sel} [data-part]`)].map((e) => [e.dataset.part, Number(e.dataset.bytes)]));
      return {
        headline: Number(document.querySelector("#headline strong").dataset.bytes),
        headlineText: document.querySelector("#headline").textContent,
        card: Number(document.querySelector("#reclaim .headline-num").dataset.bytes),
        cardParts: parts("#reclaim-parts"),
        panel: Number(document.querySelector("#plan-saved").dataset.bytes),
        panelParts: parts("#squash-figures"),
      };
    });
    const reclaim = (await analyze(F.dockerLegacy)).waste.reclaim;
    expectEq(p, "headline = card = panel", [figs.headline, figs.card], [figs.panel, figs.panel]);
    const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
    expectEq(p, "card parts add up", sum(figs.cardParts), figs.card);
    expectEq(p, "panel parts add up", sum(figs.panelParts), figs.panel);
    for (const k of ["deleted", "overwritten", "metadata_only", "opaque"]) {
      expectEq(p, `${k}: card vs panel`, figs.cardParts[k], figs.panelParts[k]);
    }
    if (figs.panelParts.metadata_only > 0 && !/re-shipped for a mode or owner change/.test(figs.headlineText)) p.push(`the headline does not name the metadata-only part: ${figs.headlineText}`);
    if (!/tar overhead/.test(figs.headlineText)) p.push(`the headline leaves out the tar overhead: ${figs.headlineText}`);
    expectEq(p, "card vs the CLI's reclaim", figs.card, reclaim.total);
    for (const k of ["deleted", "overwritten", "metadata_only", "opaque"]) expectEq(p, `${k}: card vs the CLI`, figs.cardParts[k], reclaim[k]);
    await page.close();
  });

  // Phone: 390×844, nothing wider than the screen, 44 px targets, long and blank names.
  const phone = await newContext(browser, { width: 390, height: 844 });
  await test("phone (390×844): no element wider than the viewport, 44 px touch targets, odd names wrap or ellipsize", async (p) => {
    const app = await openApp(phone.context, url);
    const page = app.page;
    for (const file of [join(dist, "sample.tar"), odd, many]) {
      const r = await loadByInput(page, file);
      if (r.error) throw new Error(`${basename(file)}: #error: ${r.error}`);
      await page.waitForSelector("#files .tree-row", { timeout: TIMEOUT_MS });
      await page.waitForSelector("#findings-summary, #no-findings", { timeout: TIMEOUT_MS });
      const out = await phoneProblems(page);
      if (out.pageWidth > out.vw) p.push(`${basename(file)}: the page is ${out.pageWidth} px wide at ${out.vw} px`);
      for (const w of out.wide.slice(0, 8)) p.push(`${basename(file)}: wider than the viewport: ${w}`);
      if (out.small.length) p.push(`${basename(file)}: ${out.small.length} touch targets under 44 px, e.g. ${out.small.slice(0, 6).join("; ")}`);
      await shot(page, `phone-${basename(file, ".tar")}.png`);
    }
    // The odd names in the tree: the 255-byte one is cut with an ellipsis (its full name in the
    // title), the one-space name shows as such.
    await loadByInput(page, odd);
    await page.selectOption("#tree-layer", "0");
    await page.waitForFunction(() => document.querySelector("#files-title")?.textContent.startsWith("Files after layer 0"), null, { timeout: TIMEOUT_MS });
    await page.waitForSelector("#files .tree-row", { timeout: TIMEOUT_MS });
    const rows = await treeRows(page);
    const long = rows.find((r) => r.path.endsWith(".txt") && r.path.length > 200);
    const space = rows.find((r) => r.path === "odd/ ");
    if (!long || !long.name.startsWith("nnnn")) p.push(`the 255-byte name shows as ${JSON.stringify(long?.name)}`);
    if (!space || !/“ ” \(1 space\)/.test(space.name)) p.push(`the one-space name shows as ${JSON.stringify(space?.name)}`);
    const out = await phoneProblems(page);
    if (out.pageWidth > out.vw) p.push(`odd names, layer 0: the page is ${out.pageWidth} px wide`);
    await shot(page, "phone-odd-names-layer0.png");
    p.push(...(await pageProblems(app)));
    await page.close();
  });
  await phone.context.close();
}

/** The characters that make a name read as another, as "U+…" for each one in `text`. */
function rawInvisibles(text) {
  return ["\u202e", "\u200b"].filter((c) => text.includes(c)).map((c) => `U+${c.codePointAt(0).toString(16).toUpperCase()}`);
}

/** Pushes a problem for each raw U+202E / U+200B anywhere in the page's markup (text and attributes). */
async function checkNoRawInvisibles(problems, page, when) {
  const html = await page.evaluate(() => document.documentElement.outerHTML);
  for (const c of rawInvisibles(html)) problems.push(`${when}: ${c} raw in the page`);
}

/**
 * An archive whose names, tag and steps carry U+202E and U+200B (e2e/names_archive.py): each
 * place the page shows a name has them escaped, with the CLI's text as the oracle (`analyze`,
 * `why`, the error message); then an archive naming a missing layer member with U+202E.
 */
async function checkHostileNames(p, context, url) {
  const good = join(scratch, "names.tar");
  const broken = join(scratch, "names-missing-layer.tar");
  const made = await run("python3", [join(root, "e2e", "names_archive.py"), good, broken]);
  if (made.code !== 0) throw new Error(`e2e/names_archive.py: ${made.stderr}`);
  const evil = "app/evil\\u{202e}gnp.exe";
  const zero = "tmp/zero\\u{200b}width.txt";
  const text = await run(cli, ["analyze", good]);
  const why = await run(cli, ["why", good, `/${evil}`]);
  const refused = await run(cli, ["analyze", broken]);
  for (const [what, r] of [["analyze", text], ["why", why], ["analyze (missing layer)", refused]]) {
    for (const c of rawInvisibles(r.stdout + r.stderr)) p.push(`CLI ${what}: ${c} raw`);
  }
  if (text.code !== 0 || why.code !== 0) throw new Error(`CLI: ${text.stderr}${why.stderr}`);

  const app = await openApp(context, url);
  const page = app.page;
  const r = await loadByInput(page, good);
  if (r.error) throw new Error(`#error: ${r.error}`);
  // Overview and layer table: the CLI's `Image` line and STEP column.
  expectEq(p, "tags", await page.textContent("#overview h1"), /^Image\s+(.*)$/m.exec(text.stdout)?.[1]);
  const steps = await page.$$eval("#layer-table td.step .mono", (s) => s.map((x) => x.textContent));
  expectEq(p, "steps", steps, ["COPY app/evil\\u{202e}gnp.exe /app/", "RUN rm /tmp/zero\\u{200b}width.txt"]);
  for (const s of steps) if (!text.stdout.includes(`  ${s}\n`)) p.push(`step ${JSON.stringify(s)} is not the CLI's`);
  // Findings: the deleted file's path, as the CLI lists it (in a closed <details>).
  await page.waitForSelector("#findings .evidence button", { state: "attached", timeout: TIMEOUT_MS });
  const evidence = await page.$$eval("#findings .evidence button", (b) => b.map((x) => x.textContent));
  expectEq(p, "finding evidence", evidence, [zero]);
  if (!text.stdout.includes(`paths: /${zero} `)) p.push(`the CLI's findings lack /${zero}`);
  // File tree (final layer): names and the symlink target.
  await page.waitForSelector("#files .tree-row", { timeout: TIMEOUT_MS });
  await page.locator("#files").getByRole("button", { name: "Expand all" }).click();
  // JSON quoting keeps the backslash a backslash in the CSS attribute selector.
  const evilRow = `#files .tree-row[data-path=${JSON.stringify(evil)}]`;
  await page.waitForSelector(evilRow, { timeout: TIMEOUT_MS });
  const rows = await page.$$eval("#files .tree-row", (rs) => rs.map((r) => [r.dataset.path, r.querySelector(".name").textContent]));
  const row = (path) => rows.find(([p]) => p === path)?.[1];
  expectEq(p, "tree row of the file", row(evil), "evil\\u{202e}gnp.exe");
  expectEq(p, "tree row of the symlink", row("app/li\\u{200b}nk"), "li\\u{200b}nk → evil\\u{202e}gnp.exe");
  expectEq(p, "tree row of the removed file", row(zero), "zero\\u{200b}width.txt");
  await shot(page, "names-tree.png");
  // History: clicking the name finds its timeline (by the name as shown), like `why`.
  await page.locator(`${evilRow} .name button.link`).click();
  await page.waitForSelector("#timeline ol.timeline li", { timeout: TIMEOUT_MS });
  expectEq(p, "history title", await page.textContent("#timeline h3"), `History of ${evil}`);
  if (!why.stdout.startsWith(`/${evil}\n`)) p.push(`CLI why: ${why.stdout.split("\n")[0]}`);
  const event = await page.textContent("#timeline ol.timeline li");
  if (!event.includes("added") || !event.includes("COPY app/evil\\u{202e}gnp.exe /app/")) p.push(`history event: ${event}`);
  await shot(page, "names-history.png");
  await checkNoRawInvisibles(p, page, "after the analysis");
  // Error banner: the missing member, as the CLI names it.
  const e = await loadByInput(page, broken);
  if (!e.error) {
    p.push(`${basename(broken)}: no #error shown`);
  } else {
    const member = "`l\\u{202e}9/layer.tar`";
    if (!e.error.includes(member)) p.push(`#error lacks ${member}: ${e.error}`);
    if (refused.code !== 2 || !refused.stderr.includes(member)) p.push(`CLI: ${refused.stderr}`);
  }
  await checkNoRawInvisibles(p, page, "after the error");
  await shot(page, "names-error.png");
  p.push(...(await pageProblems(app)).filter((x) => !x.startsWith("console error")));
  await page.close();
}

/**
 * The squashed download is made of slices of the input File, read again when it is saved. A
 * file changed or deleted on disk after it was opened can no longer be read: the page must say
 * the build failed and why, withdraw the download link, and start no download.
 */
async function changedInputChecks(context, url) {
  const file = join(scratch, "changing.tar");
  const failedAsExpected = async (p, page, what, downloads) => {
    const before = downloads.length;
    const text = await page
      .waitForSelector("#error:not([data-e2e-stale]) .error-text", { timeout: TIMEOUT_MS })
      .then((e) => e.textContent())
      .catch(() => null);
    if (text === null) p.push(`${what}: no error shown`);
    else if (!/changed or vanished on disk.*\((NotReadableError|NotFoundError)/.test(text)) p.push(`${what}: the error does not give the cause: "${text}"`);
    if (await page.$("#download-link")) p.push(`${what}: the download link is still offered`);
    await page.waitForTimeout(1000);
    if (downloads.length !== before) p.push(`${what}: a download started anyway`);
    await shot(page, `changed-input-${what.replace(/\W+/g, "-")}.png`);
    await markStale(page);
  };
  const fresh = async (page) => {
    await copyFile(F.buildah, file);
    const r = await loadByInput(page, file);
    if (r.error) throw new Error(`#error: ${r.error}`);
  };
  const build = async (page, from) => {
    await page.selectOption("#squash-from", String(from));
    await page.waitForFunction(
      (from) => document.querySelector("#squash-from")?.value === String(from) && document.querySelector("#plan-archive-size") && !document.querySelector("#build").disabled,
      from,
      { timeout: TIMEOUT_MS },
    );
    // Listen before clicking: a small build's download can start before the click returns.
    const download = page.waitForEvent("download", { timeout: TIMEOUT_MS });
    download.catch(() => {});
    await page.click("#build");
    return { download }; // wrapped: an async function returning a bare promise would await it
  };
  const builtAndDownloaded = async (p, page, { download }) => {
    const first = await download;
    const failure = await first.failure();
    if (failure) p.push(`the download before any change failed: ${failure}`);
    await first.delete();
    await page.waitForSelector("#download-link", { timeout: TIMEOUT_MS });
  };

  await test("input changed or vanished on disk: the build and the download link say so, nothing is downloaded", async (p) => {
    const app = await openApp(context, url);
    const page = app.page;
    const downloads = [];
    page.on("download", (d) => downloads.push(d));

    // Changed after the build: the link checks before saving.
    await fresh(page);
    await builtAndDownloaded(p, page, await build(page, 0));
    await truncate(file, 4096);
    await page.click("#download-link");
    await failedAsExpected(p, page, "truncated after the build", downloads);

    // Deleted after the build.
    await fresh(page);
    await builtAndDownloaded(p, page, await build(page, 0));
    await rm(file);
    await page.click("#download-link");
    await failedAsExpected(p, page, "deleted after the build", downloads);

    // Changed between the analysis and the build, for a full squash (the new layer is read
    // while hashing) and a partial one (kept layers are slices never read before saving).
    for (const from of [0, 2]) {
      await fresh(page);
      await appendFile(file, Buffer.alloc(512));
      await build(page, from);
      await failedAsExpected(p, page, `grown before a build from layer ${from}`, downloads);
    }
    p.push(...(await pageProblems(app)));
    await page.close();
  });
}

/**
 * Writes a docker-archive whose one layer is a gzipped tar of `mib` MiB of zeros: a few MB on
 * disk that take the worker a second or two to inflate. Its diff_id is a dummy (nothing here
 * verifies it).
 */
async function makeSlowArchive(path, mib) {
  const { createGzip } = await import("node:zlib");
  const { createHash } = await import("node:crypto");
  const [header, pad] = [tarHeader, tarPad];
  const size = mib * 2 ** 20;
  const gz = createGzip({ level: 1 });
  const chunks = [];
  gz.on("data", (d) => chunks.push(d));
  const ended = new Promise((ok) => gz.on("end", ok));
  gz.write(header("zeros.bin", size));
  const zeros = Buffer.alloc(16 << 20);
  for (let done = 0; done < size; done += zeros.length) gz.write(zeros);
  gz.end(Buffer.alloc(1024));
  await ended;
  const layer = Buffer.concat(chunks);
  const config = Buffer.from(JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: {},
    rootfs: { type: "layers", diff_ids: [`sha256:${"0".repeat(64)}`] },
    history: [{ created_by: "zeros" }],
  }));
  const configName = `${createHash("sha256").update(config).digest("hex")}.json`;
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: ["slow:latest"], Layers: ["layer.tar"] }]));
  await writeFile(path, Buffer.concat([
    header(configName, config.length), pad(config),
    header("layer.tar", layer.length), pad(layer),
    header("manifest.json", manifest.length), pad(manifest),
    Buffer.alloc(1024),
  ]));
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.log(`FAIL the e2e suite could not run: ${err?.stack ?? err}`);
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  },
);

// ---------------------------------------------------------------------------------------------
// See inside: the file viewer, downloads, diffs and history against the CLI

/** `layerlens ARGS` as bytes (a Buffer); throws unless it exits with one of `codes`. */
async function cliBytes(args, codes = [0]) {
  const r = await run(cli, args, { encoding: "buffer" });
  if (!codes.includes(r.code)) throw new Error(`layerlens ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The hex dump the viewer shows for `bytes` (the first `rows` rows). */
function hexRows(bytes, rows) {
  const out = [];
  for (let i = 0; i < Math.min(rows * 16, bytes.length); i += 16) {
    const row = bytes.subarray(i, i + 16);
    let hex = "";
    for (let j = 0; j < 16; j++) {
      hex += j < row.length ? row[j].toString(16).padStart(2, "0") + " " : "   ";
      if (j === 7) hex += " ";
    }
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    out.push(`${i.toString(16).padStart(8, "0")}  ${hex} ${ascii}`);
  }
  return out;
}

/** Opens `path` after `layer` in the viewer and waits for it (the next page to arrive). */
async function openInViewer(page, path, layer) {
  await page.click("#see-tab-file");
  await page.fill("#see-path", path);
  await page.selectOption("#see-layer", layer === undefined ? "last" : String(layer));
  const pages = await page.evaluate(() => Number(document.querySelector("#file-meta")?.dataset.pages ?? 0));
  await page.click("#see-open");
  await page
    .waitForFunction((n) => Number(document.querySelector("#file-meta")?.dataset.pages ?? 0) > n || document.querySelector("#error"), pages, { timeout: TIMEOUT_MS })
    .catch(() => {});
  const error = await page.evaluate(() => document.querySelector("#error .error-text")?.textContent);
  if (error !== undefined) {
    await page.evaluate(() => document.querySelector("#error button")?.click());
    throw new Error(`opening ${path} after layer ${layer}: #error: ${error}`);
  }
  const now = await page.evaluate(() => Number(document.querySelector("#file-meta")?.dataset.pages ?? 0));
  if (!(now > pages)) throw new Error(`opening ${path} after layer ${layer}: nothing arrived`);
}

async function savedDownload(page, button, name) {
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: TIMEOUT_MS }),
    page.click(button),
  ]);
  const saved = join(downloads, name);
  await download.saveAs(saved);
  return { bytes: await readFile(saved), name: download.suggestedFilename() };
}

async function seeInsideChecks(context, url) {
  const file = F.ociGzip;
  const app = await openApp(context, url);
  const page = app.page;
  const loaded = await loadByInput(page, file);
  if (loaded.error) throw new Error(`#error: ${loaded.error}`);
  await page.waitForSelector("#see-panel", { timeout: TIMEOUT_MS });

  await test("see inside: files at a layer show and download the bytes `layerlens cat` gives (gzip layers)", async (p) => {
    const cases = [
      { path: "/data/overwrite.txt", layer: 3, text: true, what: "text" },
      { path: "/data/overwrite.txt", text: true, what: "text, final filesystem" },
      { path: "/data/delfile", layer: 2, text: true, what: "deleted by layer 3" },
      { path: "/data/hl_victim", layer: 4, text: true, what: "hardlink" },
      { path: "/data/symlink_rel", layer: 2, text: true, what: "symlink" },
      { path: "/bin/busybox", layer: 0, text: false, what: "binary" },
    ];
    for (const c of cases) {
      const want = await cliBytes(["cat", file, c.path, ...(c.layer === undefined ? [] : ["--layer", String(c.layer)])]);
      await openInViewer(page, c.path, c.layer);
      const size = await page.textContent("#meta-size");
      if (!size.includes(`(${want.length} bytes)`)) p.push(`${c.what} ${c.path}: #meta-size says ${size}, cat gives ${want.length} bytes`);
      if (c.text) {
        const shown = await page.textContent("#viewer-text");
        expectEq(p, `${c.what} ${c.path} text`, shown, want.toString("utf8"));
      } else {
        const shown = (await page.textContent("#viewer-hex")).split("\n").slice(0, 64);
        expectEq(p, `${c.what} ${c.path} hex (first 64 rows)`, shown, hexRows(want, 64));
        const more = await page.$("#see-more");
        if (want.length > (1 << 20) && !more) p.push(`${c.path}: no "Show more" for a file over 1 MiB`);
      }
      const got = await savedDownload(page, "#see-download", `see-${c.what.replace(/\W+/g, "-")}.bin`);
      if (Buffer.compare(got.bytes, want) !== 0) p.push(`${c.what} ${c.path}: download (${got.bytes.length} bytes) differs from cat (${want.length} bytes)`);
    }
    await shot(page, "see-file.png");
    p.push(...(await pageProblems(app)));
  });

  await test("see inside: a subtree downloads as the bytes `layerlens extract` writes", async (p) => {
    await openInViewer(page, "/data/overwrite.txt", 2);
    await page.fill("#see-path", "/data");
    const got = await savedDownload(page, "#see-download-tar", "see-data.tar");
    const out = join(scratch, "see-extract.tar");
    await cliBytes(["extract", file, "/data", "--layer", "2", "-o", out]);
    const want = await readFile(out);
    expectEq(p, "download name", got.name, "data-layer2.tar");
    if (Buffer.compare(got.bytes, want) !== 0) p.push(`subtree download (${got.bytes.length} bytes) differs from layerlens extract (${want.length} bytes)`);
  });

  await test("see inside: the range diff lists what `layerlens diff` lists", async (p) => {
    await page.click("#see-tab-range");
    await page.selectOption("#see-from", "1");
    await page.selectOption("#see-to", "4");
    await page.click("#see-range-go");
    await page.waitForSelector("#range-diff", { timeout: TIMEOUT_MS });
    const rows = await page.$$eval("#range-diff tr", (rs) => rs.map((r) => `${r.cells[0].textContent} ${r.cells[1].textContent}`));
    const want = (await cliBytes(["diff", file, "--from", "1", "--to", "4"], [1])).toString("utf8").trim().split("\n").map((l) => l.split("\t")[0]);
    expectEq(p, "range diff rows", rows, want);
  });

  await test("see inside: the content diff shows the hunks `layerlens diff PATH` prints", async (p) => {
    await page.click("#see-tab-diff");
    await page.fill("#see-path-diff", "/data/overwrite.txt");
    await page.selectOption("#see-from", "2");
    await page.selectOption("#see-to", "4");
    await page.click("#see-diff-go");
    await page.waitForSelector("#diff-unified", { timeout: TIMEOUT_MS });
    const shown = await page.$$eval("#diff-unified .hunk, #diff-unified .line", (ls) => ls.map((l) => l.textContent));
    const cli_ = (await cliBytes(["diff", file, "--from", "2", "--to", "4", "/data/overwrite.txt"], [1])).toString("utf8");
    expectEq(p, "unified hunks", shown, cli_.trimEnd().split("\n").slice(2));
    await page.click("#see-diff-layout");
    await page.waitForSelector("#diff-side", { timeout: TIMEOUT_MS });
    await shot(page, "see-diff.png");
  });

  await test("see inside: a rewrite in a path's history links to its content diff", async (p) => {
    const layers = await page.$$eval("#layer-table tr.layer-row", (rs) => rs.length);
    await page.click(`#layer-table tr.layer-row[data-layer="${layers - 1}"]`);
    if (await page.isChecked("#tree-changed")) await page.uncheck("#tree-changed");
    await page.fill("#tree-filter", "overwrite");
    await page.locator("#files").getByRole("button", { name: "Expand all" }).click();
    await page.locator('#files .tree-row[data-path="data/overwrite.txt"] .name button.link').click();
    await page.waitForSelector("#timeline a.diff-link", { timeout: TIMEOUT_MS });
    const links = await page.$$eval("#timeline a.diff-link", (as) => as.map((a) => a.getAttribute("href")));
    const href = links[links.length - 1];
    const m = /from=(\d+)&to=(\d+)/.exec(href);
    if (!m) throw new Error(`diff link without layers: ${href}`);
    await page.click(`#timeline a.diff-link[href="${href}"]`);
    await page.waitForSelector("#diff-unified, #diff-side", { timeout: TIMEOUT_MS });
    expectEq(p, "focus after the diff link", (await focused(page)).id, "see-panel");
    // The panel keeps the layout chosen before (side by side after the previous check).
    if (await page.$("#diff-side")) await page.click("#see-diff-layout");
    await page.waitForSelector("#diff-unified", { timeout: TIMEOUT_MS });
    const shown = await page.$$eval("#diff-unified .hunk, #diff-unified .line", (ls) => ls.map((l) => l.textContent));
    const cli_ = await run(cli, ["diff", file, "--from", m[1], "--to", m[2], "/data/overwrite.txt"], { encoding: "buffer" });
    expectEq(p, "unified hunks from the history's link", shown, cli_.stdout.toString("utf8").trimEnd().split("\n").slice(2));
  });

  await test("see inside: the Dockerfile history is the CLI's, each step linked to its layer", async (p) => {
    await page.click("#see-tab-history");
    await page.waitForSelector("#dockerfile li", { timeout: TIMEOUT_MS });
    const shown = await page.$$eval("#dockerfile li", (ls) => ls.map((l) => [l.querySelector("button, span").textContent, l.querySelector("pre").textContent]));
    const steps = JSON.parse((await cliBytes(["history", file, "--json"])).toString("utf8")).steps;
    expectEq(p, "history", shown, steps.map((s) => [s.layer === null ? "empty layer" : `layer ${s.layer}`, s.dockerfile]));
  });

  await test("see inside: images preview as <img> from Blob URLs (SVG never inline), JSON pretty, invalid UTF-8 marked, big text paged", async (p) => {
    const kinds = join(scratch, "see-kinds.tar");
    const made = await run("python3", [join(root, "e2e", "see_archive.py"), kinds]);
    if (made.code !== 0) throw new Error(`e2e/see_archive.py failed: ${made.stderr}`);
    const r = await loadByInput(page, kinds);
    if (r.error) throw new Error(`#error: ${r.error}`);
    await page.waitForSelector("#see-panel", { timeout: TIMEOUT_MS });
    for (const [path, mime] of [["/srv/pixel.png", "image/png"], ["/srv/dot.gif", "image/gif"], ["/srv/logo.svg", "image/svg+xml"]]) {
      await openInViewer(page, path);
      await page.waitForFunction(() => document.querySelector("#viewer-image")?.complete, null, { timeout: TIMEOUT_MS });
      const img = await page.$eval("#viewer-image", (i) => ({ src: i.src, w: i.naturalWidth }));
      if (!img.src.startsWith("blob:")) p.push(`${path}: the preview is not from a Blob URL (${img.src})`);
      if (!(img.w > 0)) p.push(`${path}: the browser could not decode the preview`);
      const bytes = await page.evaluate(async (src) => [...new Uint8Array(await (await fetch(src)).arrayBuffer())], img.src);
      const want = await cliBytes(["cat", kinds, path]);
      if (Buffer.compare(Buffer.from(bytes), want) !== 0) p.push(`${path}: previewed bytes differ from cat (${mime})`);
      const got = await savedDownload(page, "#see-download", `see-${basename(path)}`);
      if (Buffer.compare(got.bytes, want) !== 0) p.push(`${path}: download differs from cat`);
    }
    if (await page.$("#see-panel svg")) p.push("SVG markup was put in the page");
    if (await page.evaluate(() => window.__svgRan)) p.push("the SVG's script ran");
    await openInViewer(page, "/srv/config.json");
    const json = await page.textContent("#viewer-json");
    expectEq(p, "pretty JSON", json, JSON.stringify(JSON.parse((await cliBytes(["cat", kinds, "/srv/config.json"])).toString("utf8")), null, 2));
    await openInViewer(page, "/srv/latin1.txt");
    expectEq(p, "invalid UTF-8 marked", await page.textContent("#viewer-text mark.bad-utf8"), "\\xE9");
    expectEq(p, "text around it", await page.textContent("#viewer-text"), "caf\\xE9 au lait\nsecond line\n");
    await openInViewer(page, "/srv/big.txt");
    const big = await cliBytes(["cat", kinds, "/srv/big.txt"]);
    let shown = await page.textContent("#viewer-text");
    expectEq(p, "first page of big.txt", shown, big.subarray(0, 1 << 20).toString("utf8"));
    for (let i = 0; i < 3 && (await page.$("#see-more")); i++) {
      const before = shown.length;
      await page.click("#see-more");
      await page.waitForFunction((n) => document.querySelector("#viewer-text").textContent.length > n, before, { timeout: TIMEOUT_MS });
      shown = await page.textContent("#viewer-text");
    }
    expectEq(p, "big.txt after Show more", shown.length, big.length);
    if (shown !== big.toString("utf8")) p.push("big.txt after Show more differs from cat");
    await shot(page, "see-kinds.png");
    p.push(...(await pageProblems(app)));
  });

  await test("see inside: a deep link (#see=file&layer=2&path=…) reopens the file after a reload", async (p) => {
    const link = `${url}#see=file&layer=2&path=${encodeURIComponent("/data/delfile")}`;
    await page.goto(link, { waitUntil: "load", timeout: TIMEOUT_MS });
    await page.waitForSelector("#worker-status.ready", { timeout: TIMEOUT_MS });
    const r = await loadByInput(page, file);
    if (r.error) throw new Error(`#error: ${r.error}`);
    await page.waitForSelector("#meta-path", { timeout: TIMEOUT_MS });
    expectEq(p, "#meta-path", await page.textContent("#meta-path"), "/data/delfile");
    expectEq(p, "text", await page.textContent("#viewer-text"), (await cliBytes(["cat", file, "/data/delfile", "--layer", "2"])).toString("utf8"));
    p.push(...(await pageProblems(app)));
  });
  await page.close();
}

/**
 * The CI bridge on the bundled sample: "Export analysis (JSON)" downloads exactly what
 * `layerlens analyze --json sample.tar` prints, the commands shown are the CLI's, a pasted
 * .dive-ci gives `layerlens ci --config`'s pass/fail for every rule (and names whose figure each
 * rule uses), and the version shown is `layerlens --version`'s.
 */
async function ciBridgeChecks(context, url) {
  const sample = join(dist, "sample.tar");
  const app = await openApp(context, url).catch((err) => ({ err }));
  if (app.err) {
    await test("CI bridge: app opens", () => Promise.reject(app.err));
    return;
  }
  const page = app.page;
  const loaded = await test("CI bridge: the sample opens with the CI bridge shown", async (p) => {
    await markStale(page);
    await page.click("#try-sample");
    const r = await settle(page, "sample.tar");
    if (r.error) throw new Error(`#error: ${r.error}`);
    await page.waitForSelector("#ci-bridge", { timeout: TIMEOUT_MS });
    await page.waitForSelector("#findings", { timeout: TIMEOUT_MS });
  });
  if (!loaded) return;
  await test("CI bridge: the exported JSON is byte for byte `layerlens analyze --json sample.tar`", async (p) => {
    const cliOut = await run(cli, ["analyze", "--json", "sample.tar"], { cwd: dist, encoding: "buffer" });
    if (cliOut.code !== 0) throw new Error(`layerlens analyze failed: ${cliOut.stderr}`);
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: TIMEOUT_MS }),
      page.click("#export-json"),
    ]);
    expectEq(p, "export name", download.suggestedFilename(), "sample.analysis.json");
    const saved = join(downloads, "sample.analysis.json");
    await download.saveAs(saved);
    const got = await readFile(saved);
    // The CLI ends its output with a newline; the document is the rest.
    const want = cliOut.stdout.subarray(0, cliOut.stdout.length - 1);
    if (!got.equals(want)) {
      let i = 0;
      while (i < got.length && got[i] === want[i]) i++;
      p.push(`the export differs from the CLI's JSON (${got.length} vs ${want.length} bytes), first at byte ${i}: …${got.subarray(Math.max(0, i - 40), i + 40)}… vs …${want.subarray(Math.max(0, i - 40), i + 40)}…`);
    }
    expectEq(p, "#cli-analyze", (await page.textContent("#cli-analyze"))?.trim(), "layerlens analyze --json sample.tar");
    expectEq(p, "#cli-ci", (await page.textContent("#cli-ci"))?.trim(), "layerlens ci --config .dive-ci sample.tar");
    const version = (await run(cli, ["--version"])).stdout.trim();
    expectEq(p, "#app-version", (await page.textContent("#app-version"))?.trim(), version);
  });
  const configs = [
    ["rules that pass and fail, dive's and layerlens'", "rules:\n  lowestEfficiency: 0.99\n  highestWastedBytes: 1KB\n  highestUserWastedPercent: disabled\nlayerlens:\n  maxReclaimableBytes: 1MB\n  failAboveSize: 1GB\n"],
    ["dive's defaults", "rules:\n  lowestEfficiency: 0.9\n"],
    ["a misconfigured rule", "rules:\n  lowestEfficiency: 1.5\n"],
  ];
  for (const [what, text] of configs) {
    await test(`CI bridge: a pasted .dive-ci (${what}) gives \`layerlens ci\`'s verdict per rule`, async (p) => {
      const file = join(scratch, "dive-ci.yaml");
      await writeFile(file, text);
      const r = await run(cli, ["ci", "--json", "--config", file, "sample.tar"], { cwd: dist });
      if (r.code === 2 && !r.stdout) throw new Error(`layerlens ci failed: ${r.stderr}`);
      const doc = JSON.parse(r.stdout);
      const want = {
        outcome: doc.outcome,
        rules: [...doc.verdict.dive.results, ...doc.verdict.layerlens.results].map((x) => [x.key, x.status]),
      };
      await page.fill("#dive-ci-text", text);
      await page.click("#dive-ci-check");
      const shown = () =>
        page.evaluate(() => ({
          outcome: document.querySelector("#ci-outcome")?.dataset.outcome,
          rules: [...document.querySelectorAll("#ci-results tbody tr")].map((tr) => [tr.dataset.key, tr.dataset.status]),
        }));
      await page
        .waitForFunction((want) => {
          const rows = [...document.querySelectorAll("#ci-results tbody tr")].map((tr) => [tr.dataset.key, tr.dataset.status]);
          return document.querySelector("#ci-outcome")?.dataset.outcome === want.outcome && JSON.stringify(rows) === JSON.stringify(want.rules);
        }, want, { timeout: TIMEOUT_MS })
        .catch(() => {});
      expectEq(p, "verdict per rule", await shown(), want);
      // Each rule names whose figure it compares.
      const sources = await page.evaluate(() =>
        [...document.querySelectorAll("#ci-results tbody tr")].map((tr) => [tr.dataset.key, tr.querySelector(".ci-source")?.textContent]),
      );
      for (const [key, source] of sources) {
        expectEq(p, `figure source of ${key}`, source, key.startsWith("layerlens.") ? "layerlens" : "dive-compatible");
      }
    });
  }
  await shot(page, "ci-bridge.png");
  const problems = await pageProblems(app);
  if (problems.length) await test("CI bridge: no page errors", (p) => p.push(...problems));
  await page.close();
}

/** Every fake secret `built/secrets` plants (tests/fixtures/recipes/secrets.Containerfile). */
const RAW_SECRETS = [
  "ghp_FAKEfixture0123456789abcdefghijklmno",
  "npm_FAKEfixture0123456789abcdefghijklmno",
  "ZmFrZTpmYWtlLXBhc3N3b3Jk",
  "ZmFrZSBrZXkgZm9yIGxheWVybGVucyB0ZXN0cyBvbmx5",
  "Tr0ub4dor-fixture",
  "AKIAIOSFODNN7EXAMPLE",
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  "dpl-FAKE-fixture-0123456789",
];

/**
 * Secrets by value on the page: the image with fake keys and tokens in contents, a RUN, ENV and
 * a build argument shows its secret findings, masked, before and after the deep scan; no raw
 * value is anywhere in the page (the layer table's steps, findings, history pane) nor in the
 * exported JSON, which equals `layerlens analyze --json --deep`.
 */
async function secretsMaskedChecks(context, url) {
  const app = await openApp(context, url).catch((err) => ({ err }));
  if (app.err) {
    await test("secrets: app opens", () => Promise.reject(app.err));
    return;
  }
  const page = app.page;
  const rawOnPage = async () => {
    const html = await page.evaluate(() => document.documentElement.outerHTML + document.body.innerText);
    return RAW_SECRETS.filter((s) => html.includes(s) || html.includes(s.replaceAll("/", "&#x2F;")));
  };
  await test("secrets: build steps and Env secrets are found and shown masked, never raw", async (p) => {
    const r = await loadByInput(page, F.secrets);
    if (r.error) throw new Error(`#error: ${r.error}`);
    await page.waitForSelector("#findings", { timeout: TIMEOUT_MS });
    const notes = await page.$$eval(".secret-notes li", (els) => els.map((e) => e.textContent));
    if (!notes.some((n) => n.includes("AKIA…(20 chars)"))) p.push(`no masked AWS key id among the secret notes: ${JSON.stringify(notes)}`);
    const leaked = await rawOnPage();
    if (leaked.length) p.push(`the page shows raw secrets: ${leaked.join(", ")}`);
  });
  await test("secrets: after the deep scan, content secrets are shown masked and the export equals `analyze --json --deep`", async (p) => {
    await page.click("#deep-scan");
    await page.waitForFunction(() => !document.querySelector("#deep-scan") && !document.querySelector("#progress"), null, { timeout: TIMEOUT_MS });
    const titles = await page.$$eval(".finding strong", (els) => els.map((e) => e.textContent));
    if (!titles.some((t) => t.includes("L3 overwrites it, but it still ships in L2"))) p.push(`no finding for the overwritten token: ${JSON.stringify(titles)}`);
    // Open a path's history (its steps are shown) before looking for raw values.
    await page.evaluate(() => [...document.querySelectorAll(".evidence button")].find((b) => b.textContent.includes("app/config.ini"))?.click());
    await page.waitForSelector("#timeline, .timeline", { timeout: TIMEOUT_MS }).catch(() => {});
    const leaked = await rawOnPage();
    if (leaked.length) p.push(`the page shows raw secrets: ${leaked.join(", ")}`);
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: TIMEOUT_MS }),
      page.click("#export-json"),
    ]);
    const saved = join(downloads, "secrets.docker.analysis.json");
    await download.saveAs(saved);
    const got = await readFile(saved);
    const cliOut = await run(cli, ["analyze", "--json", "--deep", "secrets.docker.tar"], { cwd: join(fixtures, "built"), encoding: "buffer" });
    if (cliOut.code !== 0) throw new Error(`layerlens analyze failed: ${cliOut.stderr}`);
    if (!got.equals(cliOut.stdout.subarray(0, cliOut.stdout.length - 1))) p.push(`the export differs from \`layerlens analyze --json --deep\` (${got.length} vs ${cliOut.stdout.length - 1} bytes)`);
    const text = got.toString();
    const inExport = RAW_SECRETS.filter((s) => text.includes(s) || text.includes(s.replaceAll("/", "\\/")));
    if (inExport.length) p.push(`the export holds raw secrets: ${inExport.join(", ")}`);
    expectEq(p, "#cli-analyze", (await page.textContent("#cli-analyze"))?.trim(), "layerlens analyze --json --deep secrets.docker.tar");
    await shot(page, "secrets.png");
  });
  const problems = await pageProblems(app);
  if (problems.length) await test("secrets: no page errors", (p) => p.push(...problems));
  await page.close();
}
