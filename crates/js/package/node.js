// The Node entry of `layerlens`: loads the wasm synchronously, opens files by path (read with
// fs.readSync at offsets, never whole) and writes squashed images to files.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { initSync, openFd, openInput, Image } from "./layerlens_core.js";

initSync({ module: fs.readFileSync(new URL("./layerlens_core_bg.wasm", import.meta.url)) });

export { Image };

/**
 * Opens and analyses an image archive: a file path (string or file: URL), or a Uint8Array
 * (a Buffer) already in memory.
 */
export function open(input, options) {
  if (typeof input === "string" || input instanceof URL) {
    const fd = fs.openSync(input, "r");
    // openFd owns the descriptor from here: it closes it on failure and on close().
    return openFd(fs, fd, options);
  }
  return openInput(input, options);
}

/**
 * Writes the squashed image to `file`: to a temporary file beside it first, renamed into
 * place once complete, so the file appears whole or not at all. Returns what was written.
 */
Image.prototype.squash = function squash(file, options) {
  if (typeof file !== "string" && !(file instanceof URL)) {
    throw new TypeError("squash: expected the output file's path (under Node)");
  }
  const target = file instanceof URL ? fileURLToPath(file) : file;
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.partial`);
  const fd = fs.openSync(temp, "wx");
  let written;
  try {
    written = this.squashInto((chunk) => {
      for (let done = 0; done < chunk.length; ) {
        done += fs.writeSync(fd, chunk, done, chunk.length - done);
      }
    }, options);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(temp, target);
  return written;
};
