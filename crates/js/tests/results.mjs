// What the package says about an opened image, in the shape oracle.mjs's `compare` takes;
// shared by the Node test and the browser test's worker (no Node imports here).

/** The package's results for an opened image, in the shape `compare` takes (no squash). */
export function results(image, paths) {
  const layers = image.layers();
  return {
    summary: image.summary(),
    layers,
    changes: layers.map((l) => image.changes(l.position)),
    waste: image.waste(),
    findings: image.findings(),
    plan: image.squashPlan(),
    history: Object.fromEntries(paths.map((p) => [p, image.history(p)])),
  };
}
