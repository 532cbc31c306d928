// Types of the browser entry of `layerlens` (the generated layerlens_core.d.ts has the rest).
import type { Image, OpenOptions, SquashOptions } from "./layerlens_core.js";

export { Image } from "./layerlens_core.js";
export type {
  Change, ChangeCounts, DiveReport, EntryRef, Finding, ImageChoice, LayerSummary, OpenOptions,
  Reclaim, Savings, SquashOptions, SquashPlan, Summary, Timeline, TimelineEvent, WasteFigures,
  WasteReport, Written,
} from "./layerlens_core.js";

declare module "./layerlens_core.js" {
  interface Image {
    /**
     * The squashed image (a docker-archive) as a Blob of type application/x-tar. Opened from
     * an uncompressed File, its unchanged runs are slices of that File (no copies).
     */
    squash(options?: SquashOptions): Blob;
  }
}

/** Loads the wasm (fetched beside this module unless given); `open` calls it. */
export function load(wasm?: string | URL | Request | Response | BufferSource | WebAssembly.Module): Promise<unknown>;

/**
 * Opens and analyses an image archive. A File or Blob is read at offsets with FileReaderSync,
 * which only dedicated Web Workers have: call this in a Worker. A Uint8Array works anywhere.
 * @throws Error when the input is not an image archive, has no such image, or cannot be read.
 */
export function open(input: File | Blob | Uint8Array, options?: OpenOptions): Promise<Image>;
