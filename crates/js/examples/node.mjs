// Analyses an image archive with the `layerlens` package under Node: prints the summary and
// the top findings, then writes the squashed image.
// Usage (from the repository, after scripts/build-js):
//   node crates/js/examples/node.mjs [IMAGE.tar] [SQUASHED.tar]
// In a project that installed the package: import { open } from "layerlens".

import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "../../../..");
const pkg = resolve(root, process.env.LAYERLENS_PKG ?? "target/js/pkg");
const { open } = await import(join(pkg, "node.js"));

const input = process.argv[2] ?? join(root, "tests/fixtures/built/whiteouts.docker.tar");
const output = process.argv[3] ?? "squashed.tar";

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
const image = open(input);
try {
  const s = image.summary();
  console.log(`${s.tags.join(", ") || "<none>"}  ${s.id.slice(0, 19)}  ${s.platform}`);
  console.log(`${s.layers.length} layers, ${mb(s.size)} stored; final filesystem ${mb(s.final_size)} in ${s.final_entries} paths`);
  for (const l of image.layers()) {
    const c = l.counts;
    console.log(`  ${l.position}  ${mb(l.tar_size).padStart(9)}  +${c.added} ~${c.modified} -${c.removed}  ${l.created_by.slice(0, 60)}`);
  }
  const waste = image.waste();
  console.log(`wasted: ${mb(waste.figures.dead_bytes)}; a squash reclaims ${mb(waste.reclaim.total)}`);
  for (const f of image.findings().slice(0, 5)) {
    console.log(`  [${f.severity}] ${f.title}`);
  }
  const plan = image.squashPlan();
  const written = image.squash(output);
  console.log(`wrote ${output}: ${written.size} bytes (planned ${plan.archive_size}), image ${written.image_id}`);
} finally {
  image.close();
}
