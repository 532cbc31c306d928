//! The digests that name an image and its layers, with the formula each comes from: the blob
//! digest (sha256 of the layer as stored), the diff_id (sha256 of the uncompressed tar), the
//! chain ID (the diff_ids below folded in) and the image ID (sha256 of the config bytes).
//! These are the declared values; `image::verify` recomputes them from the bytes.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::image::Image;

/// How each digest is computed, in words the page and the CLI print.
pub const BLOB_FORMULA: &str = "sha256(layer blob as stored)";
/// See [`BLOB_FORMULA`].
pub const DIFF_ID_FORMULA: &str = "sha256(uncompressed layer tar)";
/// See [`BLOB_FORMULA`].
pub const CHAIN_ID_FORMULA: &str =
    "chain_id[0] = diff_id[0]; chain_id[n] = sha256(chain_id[n-1] + \" \" + diff_id[n])";
/// See [`BLOB_FORMULA`].
pub const IMAGE_ID_FORMULA: &str = "sha256(config JSON bytes)";

/// Every digest of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digests {
    /// sha256 of the config bytes.
    pub image_id: Digest,
    /// Size of the config bytes.
    pub config_size: u64,
    /// The config's archive member (or blob path).
    pub config_member: String,
    /// The config digest the archive declares: its descriptor's, or the 64 hex digits a
    /// `docker save` config member is named by (`<hex>.json`); none if neither.
    pub config_declared: Option<Digest>,
    /// Per layer, base first.
    pub layers: Vec<LayerDigest>,
}

/// One layer's digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerDigest {
    /// Position (0 = base).
    pub position: usize,
    /// The blob's digest as its descriptor declares it (none where the layout names the
    /// blob only by path, as `docker save` before 25 does).
    pub blob_digest: Option<Digest>,
    /// Bytes of the blob as stored.
    pub blob_size: u64,
    /// Its encoding.
    pub compression: crate::stream::Compression,
    /// The config's diff_id.
    pub diff_id: Digest,
    /// The chain ID.
    pub chain_id: Digest,
    /// The chain ID's input: `chain_id[n-1] + " " + diff_id[n]` (none for the base, whose
    /// chain ID is its diff_id).
    pub chain_input: Option<String>,
    /// The archive member holding the blob.
    pub member: String,
}

impl Digests {
    /// The declared digests of `image`.
    pub fn of(image: &Image) -> Self {
        let mut layers: Vec<LayerDigest> = Vec::with_capacity(image.layers.len());
        for l in &image.layers {
            let chain_input = layers
                .last()
                .map(|below| alloc::format!("{} {}", below.chain_id, l.diff_id));
            layers.push(LayerDigest {
                position: l.position,
                blob_digest: l.blob.digest,
                blob_size: l.blob.blob.size,
                compression: l.index.compression,
                diff_id: l.diff_id,
                chain_id: l.chain_id,
                chain_input,
                member: l.blob.blob.member.clone(),
            });
        }
        let member = &image.reference.config.member;
        let stem = member.rsplit('/').next().unwrap_or(member);
        let stem = stem.strip_suffix(".json").unwrap_or(stem);
        let config_declared = image
            .reference
            .config_digest
            .or_else(|| Digest::from_hex(stem).ok());
        Digests {
            image_id: image.id,
            config_declared,
            config_size: image.config_bytes.len() as u64,
            config_member: image.reference.config.member.clone(),
            layers,
        }
    }
}
