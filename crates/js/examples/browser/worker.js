// The worker: opens the File with the `layerlens` package (FileReaderSync on File.slice, which
// only workers have) and answers with plain objects and the squashed image as a Blob.
// Served from the repository root, the package is at /target/js/pkg/ (scripts/build-js);
// with a bundler and the package installed: import { open } from "layerlens".
import { open } from "/target/js/pkg/browser.js";

let image;

self.onmessage = async ({ data }) => {
  try {
    if (data.open) {
      image?.close();
      image = undefined;
      image = await open(data.open);
      self.postMessage({ summary: image.summary(), waste: image.waste() });
    } else if (data.squash && image) {
      self.postMessage({ squashed: image.squash() });
    }
  } catch (e) {
    self.postMessage({ error: e.message ?? String(e) });
  }
};
