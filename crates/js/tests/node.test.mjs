// The package under Node (`node --test crates/js/tests/node.test.mjs`, after scripts/build-js
// and `cargo build -p layerlens-cli`): on every fixture its results equal the CLI's JSON and
// its squashed image is byte-identical to `layerlens squash -o`; a path and a Uint8Array give
// the same results; bad input is a clear error.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync,
  rmSync, statSync, writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { compare, expected, fixtures, fixturesDir, invalidFixtures, pkg, root, sha256 } from "./oracle.mjs";
import { results } from "./results.mjs";

const { open } = await import(join(pkg, "node.js"));
// The instance node.js started (initSync returns it when there is one).
const { initSync } = await import(join(pkg, "layerlens_core.js"));
const wasmExports = () => initSync({ module: new Uint8Array() });
const work = mkdtempSync(join(tmpdir(), "layerlens-js-node-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

for (const fixture of fixtures()) {
  test(`${fixture}: equals the CLI`, () => {
    const want = expected(fixture);
    const file = join(fixturesDir, fixture);
    const image = open(file);
    try {
      const got = results(image, Object.keys(want.history));
      const out = join(work, fixture.replaceAll("/", "_"));
      const written = image.squash(out);
      const bytes = readFileSync(out);
      got.squash = { size: bytes.length, sha256: sha256(bytes) };
      assert.deepEqual(compare(got, want), []);
      assert.ok(bytes.equals(want.bytes), "squashed bytes differ from `layerlens squash -o`");
      assert.equal(written.size, bytes.length);
      assert.match(written.diff_id, /^sha256:[0-9a-f]{64}$/);

      // The same archive as a Uint8Array (a Buffer) gives the same answers.
      const fromBytes = open(new Uint8Array(readFileSync(file)));
      try {
        assert.deepEqual(results(fromBytes, Object.keys(want.history)), results(image, Object.keys(want.history)));
      } finally {
        fromBytes.close();
      }
    } finally {
      image.close();
    }
  });
}

test("the Node example prints the summary and findings and writes the squash", () => {
  const fixture = "built/whiteouts.docker.tar";
  const want = expected(fixture);
  const out = join(work, "example.tar");
  const printed = execFileSync(process.execPath, [join(root, "crates/js/examples/node.mjs"), join(fixturesDir, fixture), out], {
    encoding: "utf8",
    env: { ...process.env, LAYERLENS_PKG: pkg },
  });
  assert.match(printed, new RegExp(`${want.doc.image.layers.length} layers`));
  assert.ok(printed.includes(want.doc.waste.findings[0].title), printed);
  assert.ok(readFileSync(out).equals(want.bytes));
});

// A 192 MiB layer is indexed from its headers and squashed as a stream: wasm memory stays a
// fraction of the file (no whole-file copy on the way in or out).
test("a big image is read and squashed without copying it whole", () => {
  const dir = join(work, "big");
  const size = 192 << 20;
  mkdirSync(join(dir, "rootfs/data"), { recursive: true });
  const big = openSync(join(dir, "rootfs/data/big.bin"), "w");
  ftruncateSync(big, size);
  closeSync(big);
  writeFileSync(join(dir, "rootfs/data/small.txt"), "small\n");
  execFileSync("tar", ["--format=gnu", "--owner=0", "--group=0", "--mtime=@0", "-C", join(dir, "rootfs"), "-cf", join(dir, "layer.tar"), "data"]);
  const diffId = `sha256:${createHash("sha256").update(readFileSync(join(dir, "layer.tar"))).digest("hex")}`;
  const config = JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: {},
    rootfs: { type: "layers", diff_ids: [diffId, diffId] },
    history: [{ created_by: "ADD big.bin" }, { created_by: "ADD big.bin again" }],
  });
  const configName = `${createHash("sha256").update(config).digest("hex")}.json`;
  writeFileSync(join(dir, configName), config);
  mkdirSync(join(dir, "again"));
  execFileSync("cp", [join(dir, "layer.tar"), join(dir, "again/layer.tar")]);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify([{ Config: configName, RepoTags: ["big:1"], Layers: ["layer.tar", "again/layer.tar"] }]));
  const archive = join(work, "big.tar");
  execFileSync("tar", ["--format=gnu", "-C", dir, "-cf", archive, "manifest.json", configName, "layer.tar", "again/layer.tar"]);
  rmSync(dir, { recursive: true });

  const memory = () => wasmExports().memory.buffer.byteLength;
  const image = open(archive);
  try {
    const s = image.summary();
    assert.equal(s.layers.length, 2);
    assert.equal(s.final_size, size + 6);
    assert.ok(image.findings().length > 0);
    const out = join(work, "big-squashed.tar");
    const written = image.squash(out);
    assert.equal(statSync(out).size, written.size);
    assert.ok(written.size > size && written.size < 2 * size);
    console.log(`wasm memory ${memory()} bytes, archive ${statSync(archive).size} bytes`);
    // Wasm memory never shrinks: its size now bounds the peak of every test so far.
    assert.ok(memory() < 96 << 20, `wasm memory grew to ${memory()} bytes for a ${statSync(archive).size}-byte archive`);
    rmSync(out);
  } finally {
    image.close();
    rmSync(archive);
  }
});

test("squash writes the file whole or not at all", () => {
  const image = open(join(fixturesDir, "built/tiny.docker.tar"));
  try {
    const out = join(work, "missing-dir", "out.tar");
    assert.throws(() => image.squash(out), /ENOENT/);
    assert.ok(!existsSync(out));
    const bad = join(work, "bad-from.tar");
    assert.throws(() => image.squash(bad, { from: 99 }), /from 99: the image has layers 0 to 2/);
    assert.ok(!existsSync(bad));
    assert.deepEqual(readdirSync(work).filter((n) => n.endsWith(".partial")), []);
  } finally {
    image.close();
  }
});

test("options pick the image and the squash", () => {
  const file = join(fixturesDir, "built/whiteouts.docker.tar");
  const image = open(file, { image: 0 });
  try {
    const plan = image.squashPlan({ from: 2, tag: "example/squashed:1" });
    assert.equal(plan.kept, 2);
    assert.deepEqual(plan.tags, ["example/squashed:1"]);
    const layer = image.layers()[1];
    assert.deepEqual(image.changes(layer.diff_id), image.changes(1));
    assert.equal(image.history("no/such/path"), null);
    assert.throws(() => image.changes(42), /layer 42/);
    assert.throws(() => image.squashPlan({ tag: 5 }), /tag: expected a string/);
  } finally {
    image.close();
  }
  assert.throws(() => open(file, { image: "no-such:tag" }), /no-such:tag/);
});

test("bad input is a clear error", () => {
  const junk = join(work, "junk.tar");
  writeFileSync(junk, "this is not an image archive, not even a tar file".repeat(20));
  assert.throws(() => open(junk), (e) => e instanceof Error && e.message.length > 10 && !/panic|unreachable/i.test(e.message));
  assert.throws(() => open(join(work, "absent.tar")), /ENOENT/);
  assert.throws(() => open(work), /not a regular file/);
  assert.throws(() => open(new Blob([readFileSync(join(fixturesDir, "built/tiny.docker.tar"))])), /Worker/);
  assert.throws(() => open(42), /expected a File, Blob or Uint8Array/);
  for (const f of invalidFixtures()) {
    assert.throws(() => open(join(fixturesDir, f)), (e) => e instanceof Error && !/panic|unreachable/i.test(e.message), f);
  }
});
