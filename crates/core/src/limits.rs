//! Caps that protect memory and time on hostile input. Every parser checks them; the defaults
//! let a real 10 GB image through with room to spare.

use serde::{Deserialize, Serialize};

/// Configurable limits. Exceeding one is an [`ErrorKind::Limit`](crate::error::ErrorKind::Limit) error
/// naming the limit, never a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Entries across all layers of one image (memory is proportional to this).
    pub max_entries: u64,
    /// Bytes of one entry path after PAX / GNU long names.
    pub max_path_len: usize,
    /// Decompressed bytes of one compressed layer (or a gzipped outer archive): stops
    /// decompression bombs.
    pub max_decompressed: u64,
    /// Bytes of one JSON document (manifest, index, config).
    pub max_json: u64,
    /// Members of the outer archive.
    pub max_members: u64,
    /// Layers in one image.
    pub max_layers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 5_000_000,
            max_path_len: 16 * 1024,
            max_decompressed: 64 << 30,
            max_json: 64 << 20,
            max_members: 1_000_000,
            max_layers: 1000,
        }
    }
}

/// Which cap an input exceeded (with what the message needs beyond the cap itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// [`Limits::max_entries`] across the image.
    ImageEntries,
    /// [`Limits::max_entries`] in one layer.
    LayerEntries,
    /// [`Limits::max_path_len`].
    PathLen,
    /// [`Limits::max_decompressed`].
    Decompressed,
    /// Bytes after a layer's end-of-archive marker (a fixed cap).
    TrailingPadding {
        /// Where the layer's tar ends.
        tar_end: u64,
    },
    /// [`Limits::max_json`].
    Json {
        /// The document's size.
        size: u64,
    },
    /// [`Limits::max_members`].
    Members,
    /// [`Limits::max_layers`].
    Layers,
    /// [`Limits::max_members`], counting an image directory's files.
    FolderFiles,
    /// [`Limits::max_path_len`], for a file's path in an image directory.
    FolderPathLen,
}

impl LimitKind {
    /// The message for exceeding `max`.
    pub fn describe(self, max: u64) -> alloc::string::String {
        use alloc::format;
        match self {
            LimitKind::ImageEntries => format!("more than {max} entries in the image"),
            LimitKind::LayerEntries => format!("more than {max} entries in one layer"),
            LimitKind::PathLen => format!("entry path longer than {max} bytes"),
            LimitKind::Decompressed => format!(
                "decompressed size exceeds the limit of {max} bytes (a decompression bomb?)"
            ),
            LimitKind::TrailingPadding { tar_end } => format!(
                "the layer's tar ends at byte {tar_end} but its compressed stream goes on (more than {} MiB of padding; a decompression bomb?)",
                max >> 20
            ),
            LimitKind::Json { size } => format!("{size} bytes of JSON exceeds the limit of {max}"),
            LimitKind::Members => format!("more than {max} members in the archive"),
            LimitKind::Layers => format!("more than {max} layers"),
            LimitKind::FolderFiles => format!("more than {max} files in the directory"),
            LimitKind::FolderPathLen => {
                format!("a path in the directory is longer than {max} bytes")
            }
        }
    }
}

/// Carried through `io::Error` by a reader that hit [`Limits::max_decompressed`], so the
/// error arrives as [`ErrorKind::Limit`](crate::error::ErrorKind::Limit), found by its type.
#[cfg(feature = "std")]
#[derive(Debug)]
pub(crate) struct DecompressedLimit(pub u64);

#[cfg(feature = "std")]
impl core::fmt::Display for DecompressedLimit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&LimitKind::Decompressed.describe(self.0))
    }
}

#[cfg(feature = "std")]
impl core::error::Error for DecompressedLimit {}
