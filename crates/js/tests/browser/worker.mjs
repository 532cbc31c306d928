// The browser test's worker: opens a fixture as a Blob (read with FileReaderSync at offsets),
// answers with the package's results and the squashed Blob's size and sha256.
import { open } from "/pkg/browser.js";
import { results } from "/test/results.mjs";

async function sha256(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

self.onmessage = async ({ data: { fixture, paths } }) => {
  try {
    const blob = await (await fetch(`/fixtures/${fixture}`)).blob();
    const image = await open(blob);
    try {
      const got = results(image, paths);
      const squashed = image.squash();
      got.squash = { size: squashed.size, sha256: await sha256(squashed) };
      got.type = squashed.type;
      self.postMessage({ got });
    } finally {
      image.close();
    }
  } catch (e) {
    self.postMessage({ error: String(e?.stack ?? e) });
  }
};
