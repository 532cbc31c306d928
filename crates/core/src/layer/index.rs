//! The index of one layer: every entry's metadata and byte span, and what was odd about it.
//! Plain data; [`index_layer`](super::index_layer) builds it from the layer's tar.

use alloc::boxed::Box;
use alloc::vec::Vec;

use serde::Serialize;

use super::entry::Entry;
use crate::limits::Limits;
use crate::stream::Compression;

/// Something odd about an entry that does not stop indexing: the entry is kept out of the
/// filesystem model (or kept, for duplicates) and reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Raw path of the entry, as written in the tar.
    #[serde(serialize_with = "crate::json::bytes_as_lossy")]
    pub path: Box<[u8]>,
    /// What is odd.
    pub kind: NoticeKind,
}

/// Kinds of [`Notice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum NoticeKind {
    /// The path contains `..`; the entry is ignored, never followed.
    EscapingPath,
    /// A hardlink's target contains `..`; the entry is ignored.
    EscapingLink,
    /// A tar type a filesystem cannot hold (the flag byte); ignored.
    UnsupportedType {
        /// The tar type flag.
        flag: u8,
    },
    /// The same path appears again in this layer; the later entry wins.
    Duplicate,
    /// A GNU sparse file; its size is the expanded size.
    Sparse,
}

/// The index of one layer.
#[derive(Debug, Clone, Serialize)]
pub struct LayerIndex {
    /// Entries in tar order (root entry included; ignored entries excluded).
    pub entries: Vec<Entry>,
    /// How the blob is encoded.
    pub compression: Compression,
    /// Size of the blob as stored in the archive.
    pub blob_size: u64,
    /// Size of the decompressed tar stream (equal to `blob_size` when uncompressed).
    pub tar_size: u64,
    /// Entries that were ignored or are odd.
    pub notices: Vec<Notice>,
}

impl LayerIndex {
    /// Sum of regular file sizes.
    pub fn content_size(&self) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.is_file())
            .map(|e| e.size)
            .sum()
    }
}

/// Options for indexing.
#[derive(Debug, Clone, Copy, Default)]
pub struct IndexOptions {
    /// Caps on entries, path length and decompressed size.
    pub limits: Limits,
}
