//! The opt-in deep scan: content hashes of the files whose bytes matter to the waste
//! analysis, so that "re-added with identical content" and "only the metadata changed" can be
//! told from a real content change. Headers say a file was written again; only its bytes say
//! whether it was the same file.
//!
//! Only *candidates* are hashed: each copy a later layer replaces and the copy replacing it.
//! An uncompressed layer is read at those files' offsets only; a compressed one is decoded
//! once, front to back, skipping the rest. Progress goes to [`Stage::Hashing`].

#[cfg(feature = "std")]
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
#[cfg(feature = "std")]
use std::io::{self, Read};

#[cfg(feature = "std")]
use crate::digest::Hasher;
#[cfg(feature = "std")]
use crate::error::{Error, ErrorKind, Result};
use crate::fs::ChangeKind;
use crate::image::Image;
use crate::layer::EntryRef;
use crate::model::Model;
#[cfg(feature = "std")]
use crate::model::{ContentHashes, Hashed};
#[cfg(feature = "std")]
use crate::progress::{Progress, Stage};
#[cfg(feature = "std")]
use crate::source::{RangeReader, Source};
#[cfg(feature = "std")]
use crate::stream::decode;
#[cfg(feature = "std")]
use crate::stream::Compression;

/// The entries the deep scan hashes: both sides of every file a later layer writes again.
pub fn candidates(m: Model<'_>) -> Vec<EntryRef> {
    let (image, changes) = (m.image, m.changes);
    let mut out = Vec::new();
    for cs in changes {
        for c in &cs.changes {
            if !matches!(c.kind, ChangeKind::Modified(_) | ChangeKind::Readded) {
                continue;
            }
            let (Some(before), Some(entry)) = (c.before, c.entry) else {
                continue;
            };
            let after = EntryRef {
                layer: cs.layer,
                entry,
            };
            if is_file(image, before) && is_file(image, after) {
                out.push(before);
                out.push(after);
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn is_file(image: &Image, r: EntryRef) -> bool {
    image
        .layers
        .get(r.layer as usize)
        .and_then(|l| l.index.entries.get(r.entry as usize))
        .is_some_and(|e| e.is_file())
}

#[cfg(feature = "std")]
/// Hashes the candidate entries of `image`, reading its layers from `source` (the archive
/// the image was loaded from).
///
/// # Errors
/// A read or decoder failure (with the layer), or [`ErrorKind::Cancelled`] when `progress`
/// asks to stop.
pub fn deep_scan<S: Source>(
    source: &mut S,
    m: Model<'_>,
    progress: &mut dyn Progress,
) -> Result<ContentHashes> {
    // Long on purpose: sizing the work (for progress), then one forward pass per layer that
    // seeks (plain) or decodes once (compressed); both share the per-layer bookkeeping.
    let image = m.image;
    let wanted = candidates(m);
    let mut by_layer: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for r in &wanted {
        by_layer.entry(r.layer).or_default().push(r.entry);
    }
    // Work in decompressed bytes: candidates' sizes for plain layers, up to the last
    // candidate's end for compressed ones.
    let mut total = 0u64;
    for (&layer, entries) in &by_layer {
        let Some(l) = image.layers.get(layer as usize) else {
            continue;
        };
        let ents = entries
            .iter()
            .filter_map(|&i| l.index.entries.get(i as usize));
        total += if l.index.compression == Compression::None {
            ents.map(|e| e.size).sum::<u64>()
        } else {
            ents.map(|e| e.span.data + e.size).max().unwrap_or(0)
        };
    }
    let mut out = ContentHashes::default();
    let mut done = 0u64;
    for (&layer, entries) in &by_layer {
        let Some(l) = image.layers.get(layer as usize) else {
            continue;
        };
        let blob = &l.blob.blob;
        let at = |e: Error| e.in_layer(layer as usize).in_member(&blob.member);
        let mut items: Vec<(u64, u64, u32)> = entries
            .iter()
            .filter_map(|&i| {
                l.index
                    .entries
                    .get(i as usize)
                    .map(|e| (e.span.data, e.size, i))
            })
            .collect();
        items.sort_unstable();
        let mut reader: alloc::boxed::Box<dyn Read + '_> =
            if l.index.compression == Compression::None {
                alloc::boxed::Box::new(RangeReader::new(&mut *source, blob.offset, blob.size))
            } else {
                decode::decoder(
                    RangeReader::new(&mut *source, blob.offset, blob.size),
                    l.index.compression,
                )
                .map_err(|e| at(e.into()))?
            };
        let plain = l.index.compression == Compression::None;
        let mut pos = 0u64;
        for (data, size, entry) in items {
            if data < pos {
                continue; // overlapping spans cannot happen in a tar; be safe
            }
            // Skip to the entry's contents (a plain layer could seek, but a RangeReader's
            // read-ahead makes skipping by reading as cheap for the small gaps, and the large
            // ones are skipped in one `io::copy` to a sink).
            let gap = data - pos;
            if plain && gap > 0 {
                skip_plain(&mut reader, gap).map_err(|e| at(e.into()))?;
            } else if gap > 0 {
                io::copy(&mut (&mut reader).take(gap), &mut io::sink())
                    .map_err(|e| at(e.into()))?;
                done += gap;
            }
            let mut h = Hasher::new();
            let mut left = size;
            let mut buf = alloc::vec![0u8; 1 << 16];
            while left > 0 {
                let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
                let chunk = buf.get_mut(..want).unwrap_or_default();
                reader.read_exact(chunk).map_err(|e| at(e.into()))?;
                h.update(chunk);
                left -= want as u64;
                done += want as u64;
                if !progress.update(Stage::Hashing, done, total) {
                    return Err(ErrorKind::Cancelled.into());
                }
            }
            out.hashes.push(Hashed {
                layer,
                entry,
                sha256: h.finish(),
            });
            out.bytes_hashed += size;
            pos = data + size;
        }
    }
    progress.update(Stage::Hashing, total, total);
    out.hashes.sort_unstable_by_key(|h| (h.layer, h.entry));
    Ok(out)
}

/// Skips `n` bytes of a plain layer without counting them as work.
#[cfg(feature = "std")]
fn skip_plain(r: &mut dyn Read, n: u64) -> io::Result<()> {
    io::copy(&mut r.take(n), &mut io::sink()).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::fs::UnionFs;
    use crate::model::Model;
    use crate::progress::NoProgress;
    use crate::testing::{docker_archive, load, LayerBuilder as L};

    #[test]
    fn hashes_both_sides_of_rewritten_files_only() {
        let l0 = L::new()
            .file("same", b"identical bytes")
            .file("changed", b"old")
            .file("untouched", &[7u8; 5000])
            .build();
        let l1 = L::new()
            .file("same", b"identical bytes")
            .file("changed", b"new")
            .build();
        let bytes = docker_archive(&[l0, l1]);
        let (mut archive, image) = load(&bytes);
        let (fs, changes) = UnionFs::build(image.indexes());
        let h = deep_scan(
            archive.source_mut(),
            Model::new(&image, &fs, &changes),
            &mut NoProgress,
        )
        .unwrap();
        assert_eq!(h.len(), 4);
        let r = |layer: u32, entry: u32| EntryRef { layer, entry };
        assert_eq!(h.same(r(0, 0), r(1, 0)), Some(true));
        assert_eq!(h.same(r(0, 1), r(1, 1)), Some(false));
        assert_eq!(h.get(r(0, 2)), None);
        assert_eq!(h.get(r(0, 0)), Some(&Digest::of(b"identical bytes")));
    }
}
