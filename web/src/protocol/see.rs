//! Messages of the "see inside" views (file viewer, content diff, range diff, Dockerfile
//! history). They travel inside [`Request::See`](super::Request::See) and
//! [`Event::See`](super::Event::See) so the page routes them to the viewer on their own.

use layerlens_core::analysis::content_diff::ContentDiff;
use layerlens_core::analysis::dockerfile::Instruction;
use layerlens_core::view::FileInfo;
use serde::{Deserialize, Serialize};

/// The first page of a file the viewer shows; more comes on demand.
pub const PAGE: u64 = 1 << 20;

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "see")]
pub enum SeeRequest {
    /// Bytes `[offset, offset + len)` of the file at `path` after `layer` (default: the
    /// last), symlinks followed inside the image; carried back as a `Uint8Array`.
    Read {
        /// Layer position.
        layer: Option<usize>,
        /// The path.
        path: String,
        /// First byte.
        offset: u64,
        /// Bytes wanted.
        len: u64,
    },
    /// The file's whole bytes as a `Blob` (slices of the input where they are stored plain).
    DownloadFile {
        /// Layer position.
        layer: Option<usize>,
        /// The path.
        path: String,
    },
    /// A tar of `path` (a file or a subtree) after `layer`, built like the squash output.
    DownloadTree {
        /// Layer position.
        layer: Option<usize>,
        /// The path.
        path: String,
    },
    /// How the file at `path` differs between the states after `from` and after `to`
    /// (`None`: the empty filesystem).
    ContentDiff {
        /// The path.
        path: String,
        /// Old state.
        from: Option<usize>,
        /// New state.
        to: Option<usize>,
    },
    /// Every path that differs between the states after `from` and after `to`.
    RangeDiff {
        /// Old state (`None`: empty).
        from: Option<usize>,
        /// New state.
        to: Option<usize>,
    },
    /// The history as Dockerfile instructions.
    History,
}

/// One differing path of a range diff, as the page lists it (the CLI's `diff` line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeRow {
    /// `+`, `~` or `-`.
    pub mark: char,
    /// The path, `/`-rooted and escaped.
    pub path: String,
    /// Type letter before and after.
    pub kind_before: Option<char>,
    /// Type letter after.
    pub kind_after: Option<char>,
    /// Size before.
    pub size_before: u64,
    /// Size after.
    pub size_after: u64,
    /// The attributes that changed (for `~`).
    pub changed: Vec<String>,
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "see")]
pub enum SeeEvent {
    /// A page of a file; its bytes are carried as a `Uint8Array`.
    Page {
        /// The path asked for.
        asked: String,
        /// The layer asked for.
        layer: Option<usize>,
        /// Its metadata.
        info: Box<FileInfo>,
        /// First byte of the page.
        offset: u64,
    },
    /// A download, carried as a `Blob`.
    Download {
        /// Suggested file name.
        name: String,
        /// Bytes.
        size: f64,
    },
    /// A content diff.
    ContentDiff {
        /// The path.
        path: String,
        /// Old state.
        from: Option<usize>,
        /// New state.
        to: Option<usize>,
        /// The diff.
        diff: Box<ContentDiff>,
    },
    /// A range diff.
    RangeDiff {
        /// Old state.
        from: Option<usize>,
        /// New state.
        to: Option<usize>,
        /// The differing paths, sorted.
        rows: Vec<RangeRow>,
    },
    /// The history as instructions.
    History {
        /// Every step, empty layers included.
        steps: Vec<Instruction>,
    },
}
