// The CLI as the oracle for the package's tests (node.test.mjs, chromium.mjs): the fixture
// list from tests/macros.rs, what `layerlens analyze --json`, `squash --dry-run --json`,
// `why --json` and `squash -o` say about a fixture, and the comparison of the package's
// results with them.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";

export const root = resolve(fileURLToPath(import.meta.url), "../../../..");
/** The built package: target/js/pkg (scripts/build-js), or $LAYERLENS_PKG. */
export const pkg = resolve(root, process.env.LAYERLENS_PKG ?? "target/js/pkg");
export const fixturesDir = join(root, "tests/fixtures");
const cli = process.env.LAYERLENS ?? join(root, "target/debug/layerlens");

/** Every archive a reader must accept, as tests/macros.rs lists them (paths below fixtures/). */
export function fixtures() {
  const text = readFileSync(join(root, "tests/macros.rs"), "utf8");
  const body = text.slice(text.indexOf("macro_rules! valid_fixtures"));
  const list = [...body.slice(0, body.indexOf("};")).matchAll(/=> "([^"]+)"/g)].map((m) => m[1]);
  if (list.length < 20) throw new Error(`tests/macros.rs: found only ${list.length} fixtures`);
  return list;
}

/** The archives every reader must reject (tests/macros.rs). */
export function invalidFixtures() {
  const text = readFileSync(join(root, "tests/macros.rs"), "utf8");
  const body = text.slice(text.indexOf("INVALID_FIXTURES"));
  return [...body.slice(0, body.indexOf("];")).matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

function run(args) {
  return execFileSync(cli, args, { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "pipe"] });
}

/** The paths whose history the tests compare: one change of each layer. */
export function historyPaths(doc) {
  return [...new Set(doc.image.layers.map((l) => l.changes[0]?.path).filter(Boolean))];
}

/** What the CLI says about `fixture`. */
export function expected(fixture) {
  const file = join(fixturesDir, fixture);
  const doc = JSON.parse(run(["analyze", "--json", file]));
  const plan = JSON.parse(run(["squash", "--dry-run", "--json", file]));
  const history = Object.fromEntries(
    historyPaths(doc).map((p) => [p, JSON.parse(run(["why", "--json", file, p]))]),
  );
  const dir = mkdtempSync(join(tmpdir(), "layerlens-js-"));
  try {
    run(["squash", file, "-o", join(dir, "out.tar")]);
    const bytes = readFileSync(join(dir, "out.tar"));
    return { doc, plan, history, squash: { size: bytes.length, sha256: sha256(bytes) }, bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Where two values first differ: [path, a there, b there]. */
function firstDifference(a, b, at) {
  if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!isDeepStrictEqual(a[k], b[k])) return firstDifference(a[k], b[k], `${at}.${k}`);
    }
  }
  return [at, a, b];
}

/**
 * Differences between the package's results for a fixture (`got`: {summary, layers,
 * changes[], waste, findings, plan, history{path: timeline}, squash{size, sha256}}) and the
 * CLI's (`want` from `expected`), one line each; empty when they agree.
 */
export function compare(got, want) {
  // A ratio with nothing to divide is NaN in JavaScript and null in the CLI's JSON, which
  // cannot hold NaN; JSON.stringify maps it the same way serde_json does.
  got = JSON.parse(JSON.stringify(got));
  const out = [];
  const eq = (what, a, b) => {
    if (!isDeepStrictEqual(a, b)) {
      const [at, x, y] = firstDifference(a, b, "");
      out.push(`${what}${at}: package ${JSON.stringify(x)?.slice(0, 300)} ≠ CLI ${JSON.stringify(y)?.slice(0, 300)}`);
    }
  };
  const img = want.doc.image;
  const s = got.summary;
  eq("summary.index", s.index, img.index);
  eq("summary.tags", s.tags, img.tags);
  eq("summary.id", s.id, img.id);
  eq("summary.platform", s.platform, img.platform);
  eq("summary.created", s.created, img.created);
  eq("summary.size", s.size, img.size);
  eq("summary.tar_size", s.tar_size, img.tar_size);
  eq("summary.final_entries", s.final_entries, img.filesystem.entries);
  eq("summary.final_size", s.final_size, img.filesystem.size);
  eq("summary.images", s.images.length, want.doc.archive.images.length);
  eq("layers = summary.layers", got.layers, s.layers);
  eq("layer count", got.layers.length, img.layers.length);
  img.layers.forEach((w, i) => {
    const g = got.layers[i] ?? {};
    for (const k of ["position", "diff_id", "blob_digest", "blob_size", "tar_size", "content_size", "counts", "hidden_size", "created", "comment"]) {
      eq(`layer ${i} ${k}`, g[k], w[k]);
    }
    eq(`layer ${i} entries`, g.entries, w.entry_count);
    eq(`layer ${i} created_by`, g.created_by, w.created_by ?? "");
    eq(`layer ${i} changes`, got.changes[i], w.changes);
  });
  eq("waste", got.waste, want.doc.waste);
  eq("findings", got.findings, want.doc.waste.findings);
  eq("squash plan", got.plan, want.plan);
  for (const [path, timeline] of Object.entries(want.history)) {
    eq(`history of ${path}`, got.history[path], timeline);
  }
  eq("squashed image (size, sha256)", got.squash, want.squash);
  return out;
}
