//! Hashing a set of files of one image: each layer read once, front to back, at those files'
//! offsets (a compressed layer decoded once), so settling many pairs costs one pass.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use std::io::{self, Read};

use crate::digest::{Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::image::Image;
use crate::layer::EntryRef;
use crate::progress::{Progress, Stage};
use crate::source::{RangeReader, Source};
use crate::stream::{decode, Compression};

/// One layer's part of the work: where its blob is and the files to hash, by offset.
pub struct LayerWork {
    layer: u32,
    offset: u64,
    size: u64,
    member: String,
    compression: Compression,
    /// (entry, data offset in the layer stream, content size), sorted by offset.
    files: Vec<(EntryRef, u64, u64)>,
}

/// Plans hashing `files` of `image`, grouped by layer (owned, so the image's source can be
/// borrowed mutably to carry it out).
pub fn plan(image: &Image, files: &[EntryRef]) -> Vec<LayerWork> {
    let mut by_layer: BTreeMap<u32, Vec<(EntryRef, u64, u64)>> = BTreeMap::new();
    for &r in files {
        if let Some(e) = image.entry(r) {
            by_layer
                .entry(r.layer)
                .or_default()
                .push((r, e.span.data, e.size));
        }
    }
    by_layer
        .into_iter()
        .filter_map(|(layer, mut files)| {
            let l = image.layers.get(layer as usize)?;
            files.sort_unstable_by_key(|f| f.1);
            files.dedup();
            Some(LayerWork {
                layer,
                offset: l.blob.blob.offset,
                size: l.blob.blob.size,
                member: l.blob.blob.member.clone(),
                compression: l.index.compression,
                files,
            })
        })
        .collect()
}

/// Bytes the plan hashes.
pub fn planned_bytes(plan: &[LayerWork]) -> u64 {
    plan.iter().flat_map(|l| l.files.iter().map(|f| f.2)).sum()
}

/// Carries out `plan` on `source`: the sha256 of every planned file. `done`/`total` count
/// the bytes of both sides' hashing, for one progress figure.
///
/// # Errors
/// A read or decoder failure (with the layer and member), or cancelled through `progress`.
pub fn hash_files<S: Source>(
    source: &mut S,
    plan: &[LayerWork],
    done: &mut u64,
    total: u64,
    progress: &mut dyn Progress,
) -> Result<BTreeMap<EntryRef, Digest>> {
    let mut out = BTreeMap::new();
    let mut buf = alloc::vec![0u8; 1 << 16];
    for l in plan {
        let at = |e: Error| e.in_layer(l.layer as usize).in_member(&l.member);
        let range = RangeReader::new(&mut *source, l.offset, l.size);
        let mut reader = decode::decoder(range, l.compression).map_err(|e| at(e.into()))?;
        let mut pos = 0u64;
        for &(r, data, size) in &l.files {
            if data < pos {
                continue;
            }
            io::copy(&mut (&mut reader).take(data - pos), &mut io::sink())
                .map_err(|e| at(e.into()))?;
            let mut h = Hasher::new();
            let mut read = 0u64;
            while read < size {
                let want = usize::try_from((size - read).min(buf.len() as u64)).unwrap_or(0);
                let chunk = buf.get_mut(..want).unwrap_or_default();
                reader.read_exact(chunk).map_err(|e| at(e.into()))?;
                h.update(chunk);
                read += want as u64;
                *done += want as u64;
                if !progress.update(Stage::Hashing, (*done).min(total), total) {
                    return Err(ErrorKind::Cancelled.into());
                }
            }
            pos = data + size;
            out.insert(r, h.finish());
        }
    }
    Ok(out)
}
