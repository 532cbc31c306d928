// Types of the Node entry of `layerlens` (the generated layerlens_core.d.ts has the rest).
import type { Image, OpenOptions, SquashOptions, Written } from "./layerlens_core.js";

export { Image } from "./layerlens_core.js";
export type {
  Change, ChangeCounts, DiveReport, EntryRef, Finding, ImageChoice, LayerSummary, OpenOptions,
  Reclaim, Savings, SquashOptions, SquashPlan, Summary, Timeline, TimelineEvent, WasteFigures,
  WasteReport, Written,
} from "./layerlens_core.js";

declare module "./layerlens_core.js" {
  interface Image {
    /**
     * Writes the squashed image (a docker-archive) to `file`: to a temporary file beside it,
     * renamed into place once complete, so it appears whole or not at all.
     */
    squash(file: string | URL, options?: SquashOptions): Written;
  }
}

/**
 * Opens and analyses an image archive: a file path (read with fs.readSync at offsets, never
 * whole) or a Uint8Array / Buffer. Close the image when done (it holds the file open).
 * @throws Error when the file is not an image archive, has no such image, or cannot be read.
 */
export function open(input: string | URL | Uint8Array, options?: OpenOptions): Image;
