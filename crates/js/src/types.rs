//! TypeScript types of the plain objects the package hands out, added to the generated
//! `.d.ts` (the methods name them through `unchecked_return_type`). Field names and meanings
//! are those of the CLI's JSON (docs/json.md, docs/waste.md); docs/js.md lists them.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** `open`'s options: which image of an archive with several. */
export interface OpenOptions {
  /** A tag or a position (0, 1, …); default: the first image. */
  image?: number | string;
  /** `os/arch` for multi-platform images; default: the only one, else linux/amd64. */
  platform?: string;
}

/** A squash's options. */
export interface SquashOptions {
  /** The first layer squashed: a position or a diff_id / chain ID / blob digest (prefix); default 0. */
  from?: number | string;
  /** Tags of the output image; default: the input's. */
  tag?: string | string[];
}

/** What `changes`, `layers` and the summary count. */
export interface ChangeCounts { added: number; modified: number; removed: number; readded: number }

/** One image of the archive. */
export interface ImageChoice { index: number; label: string; platform: string | null; layers: number }

/** One layer as the layer table shows it. */
export interface LayerSummary {
  position: number;
  diff_id: string;
  blob_digest: string | null;
  /** The build step ("" when the history has none). */
  created_by: string;
  created: string | null;
  comment: string | null;
  /** "tar", "gzip" or "zstd". */
  compression: string;
  /** Stored size. */
  blob_size: number;
  /** Decompressed tar size. */
  tar_size: number;
  /** Regular-file content bytes. */
  content_size: number;
  /** Entries in the tar. */
  entries: number;
  counts: ChangeCounts;
  /** Content bytes of lower layers this layer removes or replaces. */
  hidden_size: number;
  /** Content bytes of this layer that later layers delete or overwrite (still shipped). */
  superseded_size: number;
}

/** The overview: the image, its sizes, the final filesystem, the layer table. */
export interface Summary {
  images: ImageChoice[];
  /** Position of this image among `images`. */
  index: number;
  tags: string[];
  id: string;
  platform: string;
  /** The archive's layout, described. */
  format: string;
  created: string | null;
  /** Sum of stored layer sizes. */
  size: number;
  /** Sum of decompressed layer sizes. */
  tar_size: number;
  /** Paths in the final filesystem. */
  final_entries: number;
  /** Content bytes of the final filesystem. */
  final_size: number;
  layers: LayerSummary[];
}

/** A position in the image: layer and entry index. */
export interface EntryRef { layer: number; entry: number }

/** One changed path of a layer (as `layers[].changes` in `analyze --json`). */
export interface Change {
  path: string;
  /** A modification carries a bit set of what differs (docs/json.md); a removal, `removal`. */
  kind: "added" | "removed" | "readded" | { modified: number };
  removal?: "whiteout" | "opaque" | "replaced";
  /** The entry of this layer that wrote it (null for removals). */
  entry: number | null;
  /** The inode it had below this layer. */
  before: EntryRef | null;
  /** Content bytes of the state below that this layer hides. */
  hidden_size: number;
}

/** dive 0.13.1's figures, as dive computes them (docs/waste.md). */
export interface DiveReport {
  efficiency: number;
  wasted_bytes: number;
  /** NaN when there is nothing to divide (null in the CLI's JSON). */
  user_wasted_ratio: number;
  size_bytes: number;
  user_size_bytes: number;
  layer_sizes: number[];
  inefficient_files: { path: string; count: number; wasted_bytes: number; kept_bytes: number }[];
  abandoned_layers: unknown[];
}

/** layerlens' waste figures. */
export interface WasteFigures {
  shipped_bytes: number;
  dead_bytes: number;
  efficiency: number;
  user_bytes: number;
  user_dead_bytes: number;
  /** NaN when there is nothing to divide (null in the CLI's JSON). */
  user_wasted_ratio: number;
}

/** What squashing from layer `from` reclaims, by cause. */
export interface Reclaim {
  from: number;
  total: number;
  input_size: number;
  deleted: number;
  overwritten: number;
  metadata_only: number;
  identical: number;
  opaque: number;
  overhead: number;
  deep: boolean;
}

/** One piece of advice. */
export interface Finding {
  kind:
    | "secret_deleted_later" | "secret_in_image" | "added_then_removed" | "overwritten_later"
    | "metadata_only" | "identical_rewrite" | "package_cache" | "build_tools" | "large_base"
    | "build_context_junk" | "large_data_file";
  severity: "security" | "high" | "medium" | "low";
  title: string;
  layer: number;
  step: string;
  related_layer: number | null;
  bytes: number;
  evidence: { path: string; size: number; layer: number }[];
  evidence_count: number;
  fix: string;
}

/** The waste report (the `waste` field of `analyze --json`). */
export interface WasteReport {
  dive: DiveReport;
  figures: WasteFigures;
  reclaim: Reclaim;
  /** Most important first. */
  findings: Finding[];
  /** Whether the deep scan's content hashes were used. */
  deep: boolean;
}

/** One layer's doing to a path. */
export interface TimelineEvent {
  layer: number;
  step: string;
  kind: { type: "added" | "modified" | "removed" | "readded"; [detail: string]: unknown };
  via?: string | null;
  entry_kind: string | null;
  size: number;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  /** Whether this is the state the final image has. */
  current: boolean;
  /** After the deep scan: whether a rewrite kept the bytes. */
  same_content: boolean | null;
}

/** A path's history (`layerlens why --json`). */
export interface Timeline {
  path: string;
  events: TimelineEvent[];
  present: boolean;
  is_dir: boolean;
  shipped_bytes: number;
  dead_bytes: number;
  final_bytes: number;
}

/** Bytes saved by cause (uncompressed tar). */
export interface Savings {
  deleted: number;
  overwritten: number;
  opaque: number;
  whiteout_markers: number;
  tar_overhead: number;
  trailers: number;
  rewritten: number;
  added: number;
}

/** A planned squash (`layerlens squash --dry-run --json`). */
export interface SquashPlan {
  layer: {
    from: number;
    /** How the new layer is assembled: new bytes and ranges of the input. */
    parts: unknown;
    entries: number;
    whiteouts: number;
    links_materialised: number;
    input_size: number;
    savings: Savings;
  };
  kept: number;
  squashed: number;
  layer_size: number;
  archive_size: number;
  input_archive_size: number;
  tags: string[];
  created: string | null;
  savings: Savings;
}

/** What a squash wrote. */
export interface Written { diff_id: string; image_id: string; size: number }
"#;
