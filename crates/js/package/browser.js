// The browser entry of `layerlens`: loads the wasm (fetched beside this module) once, opens
// a File, Blob or Uint8Array, and builds squashed images as Blobs.
import init, { openInput, Image } from "./layerlens_core.js";

export { Image };

let ready;

/** Loads the wasm; `open` calls it. Pass a URL, Response or bytes to load it from elsewhere. */
export function load(wasm) {
  // A failed load (offline, a wrong URL) is not remembered: the next call tries again.
  ready ??= init(wasm === undefined ? undefined : { module_or_path: wasm }).catch((e) => {
    ready = undefined;
    throw e;
  });
  return ready;
}

/**
 * Opens and analyses an image archive. A File or Blob is read at offsets with
 * FileReaderSync, which only dedicated Web Workers have: call this in a Worker (a Uint8Array
 * works anywhere).
 */
export async function open(input, options) {
  await load();
  return openInput(input, options);
}

/** The squashed image (a docker-archive) as a Blob of type application/x-tar. */
Image.prototype.squash = function squash(options) {
  return this.squashBlob(options);
};
