//! dive's tally ([`DiveTally`]) as compact bytes (postcard), like [`crate::wire`]'s layer
//! indexes: the browser computes it in a layer worker while the analysis worker builds the
//! union, and it comes back in a transferred buffer. Its report's JSON form writes the NaN of
//! an image without user bytes as `null`, which a format without field names cannot read
//! back; the mirror here keeps the float as it is.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::{DiveFile, DiveReport, DiveTally};
use crate::error::{Error, Result};

/// Format version, first in every buffer: a page and a worker of different builds (a cached
/// script) must not misread each other.
const VERSION: u8 = 1;

#[derive(Serialize, Deserialize)]
struct TallyWire<'a> {
    efficiency: f64,
    wasted_bytes: u64,
    user_wasted_ratio: f64,
    size_bytes: u64,
    user_size_bytes: u64,
    layer_sizes: Vec<u64>,
    #[serde(borrow)]
    files: Vec<FileWire<'a>>,
    abandoned_layers: Vec<usize>,
}

#[derive(Serialize, Deserialize)]
struct FileWire<'a> {
    path: &'a str,
    count: u32,
    wasted_bytes: u64,
    kept_bytes: u64,
}

/// Encodes a tally.
///
/// # Errors
/// Only if the serializer fails, which an in-memory buffer does not.
pub(super) fn encode(tally: &DiveTally) -> Result<Vec<u8>> {
    let r = &tally.0;
    let wire = TallyWire {
        efficiency: r.efficiency,
        wasted_bytes: r.wasted_bytes,
        user_wasted_ratio: r.user_wasted_ratio,
        size_bytes: r.size_bytes,
        user_size_bytes: r.user_size_bytes,
        layer_sizes: r.layer_sizes.clone(),
        files: r
            .inefficient_files
            .iter()
            .map(|f| FileWire {
                path: &f.path,
                count: f.count,
                wasted_bytes: f.wasted_bytes,
                kept_bytes: f.kept_bytes,
            })
            .collect(),
        abandoned_layers: r.abandoned_layers.clone(),
    };
    postcard::to_allocvec(&(VERSION, wire))
        .map_err(|e| Error::archive(alloc::format!("cannot encode dive's tally: {e}")))
}

/// Decodes what [`encode`] wrote.
///
/// # Errors
/// An archive error if the bytes are not a valid encoding of this version.
pub(super) fn decode(bytes: &[u8]) -> Result<DiveTally> {
    let bad = |what: &dyn core::fmt::Display| {
        Error::archive(alloc::format!("dive's tally came back unreadable: {what}"))
    };
    let (version, w): (u8, TallyWire<'_>) = postcard::from_bytes(bytes).map_err(|e| bad(&e))?;
    if version != VERSION {
        return Err(bad(&alloc::format!("format {version}, expected {VERSION}")));
    }
    Ok(DiveTally(DiveReport {
        efficiency: w.efficiency,
        wasted_bytes: w.wasted_bytes,
        user_wasted_ratio: w.user_wasted_ratio,
        size_bytes: w.size_bytes,
        user_size_bytes: w.user_size_bytes,
        layer_sizes: w.layer_sizes,
        inefficient_files: w
            .files
            .into_iter()
            .map(|f| DiveFile {
                path: String::from(f.path),
                count: f.count,
                wasted_bytes: f.wasted_bytes,
                kept_bytes: f.kept_bytes,
            })
            .collect(),
        abandoned_layers: w.abandoned_layers,
    }))
}
