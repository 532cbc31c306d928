//! Caps that protect memory and time on hostile input. Every parser checks them; the defaults
//! let a real 10 GB image through with room to spare.

use serde::Serialize;

/// Configurable limits. Exceeding one is an [`ErrorKind::Limit`](crate::ErrorKind::Limit) error
/// naming the limit, never a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
