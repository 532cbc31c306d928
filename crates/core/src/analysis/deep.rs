//! The opt-in deep scan, the one pass that reads file contents: content hashes of the files
//! whose bytes matter to the waste analysis, so that "re-added with identical content" and
//! "only the metadata changed" can be told from a real content change (headers say a file was
//! written again; only its bytes say whether it was the same file), and the secrets in every
//! file's contents ([`crate::secrets`]).
//!
//! Only *candidates* are hashed: each copy a later layer replaces and the copy replacing it.
//! Every other regular file of every layer is read for secrets up to
//! [`crate::secrets::SCAN_LIMIT`], and not past its first 8 KiB if it is binary; files that
//! are binary by their extension (archives, images, shared libraries) are not read. An
//! uncompressed layer is read at those files' offsets only; a compressed one is decoded once,
//! front to back, skipping the rest. Progress goes to [`Stage::Hashing`].

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
use crate::model::{ContentHashes, ContentSecret, Hashed};
#[cfg(feature = "std")]
use crate::progress::{Progress, Stage};
#[cfg(feature = "std")]
use crate::secrets::{ContentScanner, Rules, SCAN_LIMIT};
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

/// One file the deep scan reads: hashed (a candidate), scanned for secrets, or both.
#[cfg(feature = "std")]
struct Item {
    data: u64,
    size: u64,
    entry: u32,
    hash: bool,
    scan: Option<Rules>,
}

#[cfg(feature = "std")]
impl Item {
    /// Bytes read at most: all of a hashed file, the scanned prefix of another.
    fn reads(&self) -> u64 {
        if self.hash {
            self.size
        } else {
            self.size.min(SCAN_LIMIT)
        }
    }
}

/// What each layer's pass reads, by layer: the candidates to hash and every regular file
/// worth scanning for secrets (all layers: a file later overwritten or deleted still ships).
#[cfg(feature = "std")]
fn plan(m: Model<'_>) -> BTreeMap<u32, Vec<Item>> {
    let wanted = candidates(m);
    let mut by_layer: BTreeMap<u32, Vec<Item>> = BTreeMap::new();
    for (li, layer) in m.image.layers.iter().enumerate() {
        for (ei, e) in layer.index.entries.iter().enumerate() {
            if !e.is_file() || e.size == 0 {
                continue;
            }
            let r = EntryRef {
                layer: li as u32,
                entry: ei as u32,
            };
            let hash = wanted.binary_search(&r).is_ok();
            let scan = Rules::for_path(e.path.as_bytes());
            if hash || scan.is_some() {
                by_layer.entry(r.layer).or_default().push(Item {
                    data: e.span.data,
                    size: e.size,
                    entry: r.entry,
                    hash,
                    scan,
                });
            }
        }
    }
    for items in by_layer.values_mut() {
        items.sort_unstable_by_key(|i| i.data);
    }
    by_layer
}

#[cfg(feature = "std")]
/// Reads the image's files once, layer by layer, from `source` (the archive the image was
/// loaded from): hashes the candidate entries and scans every text file for secrets.
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
    let by_layer = plan(m);
    // Work in decompressed bytes: what is read of plain layers, up to the last item's end
    // for compressed ones.
    let mut total = 0u64;
    for (&layer, items) in &by_layer {
        let Some(l) = image.layers.get(layer as usize) else {
            continue;
        };
        total += if l.index.compression == Compression::None {
            items.iter().map(Item::reads).sum::<u64>()
        } else {
            items.iter().map(|i| i.data + i.reads()).max().unwrap_or(0)
        };
    }
    let mut out = ContentHashes::default();
    let mut done = 0u64;
    let mut buf = alloc::vec![0u8; 1 << 16];
    for (&layer, items) in &by_layer {
        let Some(l) = image.layers.get(layer as usize) else {
            continue;
        };
        let blob = &l.blob.blob;
        let at = |e: Error| e.in_layer(layer as usize).in_member(&blob.member);
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
        for item in items {
            if item.data < pos {
                continue; // overlapping spans cannot happen in a tar; be safe
            }
            // Skip to the entry's contents (a plain layer could seek, but a RangeReader's
            // read-ahead makes skipping by reading as cheap for the small gaps, and the large
            // ones are skipped in one `io::copy` to a sink).
            let gap = item.data - pos;
            if plain && gap > 0 {
                skip_plain(&mut reader, gap).map_err(|e| at(e.into()))?;
            } else if gap > 0 {
                io::copy(&mut (&mut reader).take(gap), &mut io::sink())
                    .map_err(|e| at(e.into()))?;
                done += gap;
            }
            let mut h = item.hash.then(Hasher::new);
            let mut scanner = item.scan.map(ContentScanner::new);
            let mut read = 0u64;
            while read < item.size {
                let scanning = scanner.as_ref().is_some_and(ContentScanner::wants_more);
                if h.is_none() && !scanning {
                    break; // a binary file, or past the scan limit: the rest is not needed
                }
                let want =
                    usize::try_from((item.size - read).min(buf.len() as u64)).unwrap_or(buf.len());
                let chunk = buf.get_mut(..want).unwrap_or_default();
                reader.read_exact(chunk).map_err(|e| at(e.into()))?;
                if let Some(h) = h.as_mut() {
                    h.update(chunk);
                }
                if let Some(s) = scanner.as_mut().filter(|_| scanning) {
                    s.feed(chunk);
                    out.bytes_scanned += want as u64;
                }
                read += want as u64;
                done += want as u64;
                if !progress.update(Stage::Hashing, done.min(total), total) {
                    return Err(ErrorKind::Cancelled.into());
                }
            }
            // What a stopped scan did not read counts as done (plain layers skip it).
            if plain {
                done += item.reads().saturating_sub(read);
            }
            if let Some(h) = h {
                out.hashes.push(Hashed {
                    layer,
                    entry: item.entry,
                    sha256: h.finish(),
                });
                out.bytes_hashed += item.size;
            }
            if let Some(s) = scanner {
                out.secrets
                    .extend(
                        s.finish()
                            .found
                            .into_iter()
                            .map(|(line, secret)| ContentSecret {
                                layer,
                                entry: item.entry,
                                line,
                                secret,
                            }),
                    );
            }
            pos = item.data + read;
        }
    }
    progress.update(Stage::Hashing, total, total);
    out.hashes.sort_unstable_by_key(|h| (h.layer, h.entry));
    out.secrets.sort_by_key(|s| (s.layer, s.entry, s.line));
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
