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

use alloc::vec::Vec;

#[cfg(feature = "std")]
use crate::digest::Hasher;
#[cfg(feature = "std")]
use crate::error::Result;
use crate::fs::ChangeKind;
use crate::image::Image;
#[cfg(feature = "std")]
use crate::image::{ContentSink, Pass, Wanted};
use crate::layer::EntryRef;
use crate::model::Model;
#[cfg(feature = "std")]
use crate::model::{ContentHashes, ContentSecret, Hashed};
#[cfg(feature = "std")]
use crate::progress::{Progress, Stage};
#[cfg(feature = "std")]
use crate::secrets::{ContentScanner, Rules, SCAN_LIMIT};
#[cfg(feature = "std")]
use crate::source::Source;

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

/// What the deep scan does with one file: hash it (a candidate), scan it for secrets, or both.
#[cfg(feature = "std")]
struct Item {
    size: u64,
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

/// What the pass reads: the candidates to hash and every regular file worth scanning for
/// secrets (all layers: a file later overwritten or deleted still ships).
#[cfg(feature = "std")]
fn plan(m: Model<'_>) -> Pass<Item> {
    let wanted = candidates(m);
    let mut items = Vec::new();
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
                let item = Item {
                    size: e.size,
                    hash,
                    scan,
                };
                items.push((r, item.reads(), item));
            }
        }
    }
    Pass::new(m.image, items)
}

/// The deep scan's [`ContentSink`]: the file being read's hasher and scanner, and the results.
#[cfg(feature = "std")]
#[derive(Default)]
struct Scan {
    hasher: Option<Hasher>,
    scanner: Option<ContentScanner>,
    out: ContentHashes,
}

#[cfg(feature = "std")]
impl ContentSink<Item> for Scan {
    fn start(&mut self, w: &Wanted<Item>) {
        self.hasher = w.what.hash.then(Hasher::new);
        self.scanner = w.what.scan.map(ContentScanner::new);
    }

    fn bytes(&mut self, _: &Wanted<Item>, chunk: &[u8]) -> bool {
        if let Some(h) = self.hasher.as_mut() {
            h.update(chunk);
        }
        if let Some(s) = self.scanner.as_mut().filter(|s| s.wants_more()) {
            s.feed(chunk);
            self.out.bytes_scanned += chunk.len() as u64;
        }
        // A binary file, or past the scan limit: the rest is not needed.
        self.hasher.is_some()
            || self
                .scanner
                .as_ref()
                .is_some_and(ContentScanner::wants_more)
    }

    fn end(&mut self, w: &Wanted<Item>, _: u64) {
        let (layer, entry) = (w.at.layer, w.at.entry);
        if let Some(h) = self.hasher.take() {
            self.out.hashes.push(Hashed {
                layer,
                entry,
                sha256: h.finish(),
            });
            self.out.bytes_hashed += w.what.size;
        }
        if let Some(s) = self.scanner.take() {
            let found = s.finish().found.into_iter();
            self.out
                .secrets
                .extend(found.map(|(line, secret)| ContentSecret {
                    layer,
                    entry,
                    line,
                    secret,
                }));
        }
    }
}

#[cfg(feature = "std")]
/// Reads the image's files once, layer by layer, from `source` (the archive the image was
/// loaded from): hashes the candidate entries and scans every text file for secrets.
///
/// # Errors
/// A read or decoder failure (with the layer), or [`crate::ErrorKind::Cancelled`] when `progress`
/// asks to stop.
pub fn deep_scan<S: Source>(
    source: &mut S,
    m: Model<'_>,
    progress: &mut dyn Progress,
) -> Result<ContentHashes> {
    let pass = plan(m);
    let total = pass.work();
    let mut scan = Scan::default();
    pass.read(source, &mut 0, total, progress, &mut scan)?;
    progress.update(Stage::Hashing, total, total);
    let mut out = scan.out;
    out.hashes.sort_unstable_by_key(|h| (h.layer, h.entry));
    out.secrets.sort_by_key(|s| (s.layer, s.entry, s.line));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::fs::UnionFs;
    use crate::model::Model;
    use crate::progress::NoProgress;
    use crate::testing::{docker_archive, load, LayerBuilder as L};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

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
