//! Messages of the squash options (`--drop`, `--source-date-epoch`, `--format`,
//! `--compress`). They travel inside [`Request::SquashOptions`](super::Request::SquashOptions)
//! and [`Event::SquashOptions`](super::Event::SquashOptions): the worker keeps the options for
//! the next plans and builds and answers with what they change.

use serde::{Deserialize, Serialize};

/// The options, as the CLI's flags spell them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SquashOptionsRequest {
    /// First squashed layer of the plan to answer with.
    pub from: usize,
    /// `--drop` globs.
    pub drop: Vec<String>,
    /// `--source-date-epoch`.
    pub source_date_epoch: Option<i64>,
    /// `--format`: `docker` or `oci`.
    pub format: String,
    /// `--compress`: `none`, `gzip[:L]`, `zstd`.
    pub compress: String,
}

/// One pattern's share of what was dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropLine {
    /// The glob.
    pub pattern: String,
    /// Entries left out of the new layer.
    pub paths: u64,
    /// Their bytes of tar.
    pub bytes: u64,
    /// Paths of kept layers hidden by a whiteout.
    pub hidden: u64,
}

/// What the options give, as the CLI's plan prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionsPlan {
    /// The new layer's uncompressed tar.
    pub layer_size: u64,
    /// Its blob: exact when uncompressed, else the CLI's estimate.
    pub layer_blob_size: u64,
    /// Whether the sizes are exact.
    pub exact: bool,
    /// The output archive.
    pub archive_size: u64,
    /// Bytes `--drop` removes from the new layer.
    pub dropped_bytes: u64,
    /// Per glob.
    pub drops: Vec<DropLine>,
    /// Hardlinks re-pointed or turned into files because their target was dropped.
    pub links_rewritten: u64,
    /// `created` of the output.
    pub created: Option<String>,
    /// mtimes clamped to the epoch.
    pub mtimes_clamped: u64,
}

/// The answer: the plan, or why the options are refused (the CLI's message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SquashOptionsEvent {
    /// The plan for the options, or the error.
    pub result: Result<OptionsPlan, String>,
}
