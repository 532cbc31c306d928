//! Blob encodings, told apart by magic bytes (declared media types lie: skopeo labels
//! uncompressed layers as gzip).

use serde::{Deserialize, Serialize};

/// How a blob is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip (one or more members: eStargz concatenates one per file).
    Gzip,
    /// Zstandard (one or more frames).
    Zstd,
}

impl Compression {
    /// Identifies the encoding from the first bytes of a blob.
    pub fn detect(magic: &[u8]) -> Self {
        if magic.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// Name as shown to people.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "tar",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}
