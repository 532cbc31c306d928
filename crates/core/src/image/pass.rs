//! Reading chosen entries' contents in one forward pass per layer: a plain layer is read at
//! their offsets only, a compressed one is decoded once, front to back, skipping the rest. The
//! deep scan, the audit and the comparison of two images all read file contents this way; a
//! [`ContentSink`] says what to do with the bytes.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use std::io::{self, Read};

use crate::error::{Error, ErrorKind, Result};
use crate::image::Image;
use crate::layer::EntryRef;
use crate::progress::{Progress, Stage};
use crate::source::{RangeReader, Source};
use crate::stream::{decode, Compression};

/// One entry's contents to read: up to `len` bytes from where its data starts in the layer's
/// tar stream, and what the caller keeps about it.
pub struct Wanted<T> {
    /// The entry.
    pub at: EntryRef,
    /// Where its contents start in the layer's (decompressed) tar stream.
    pub data: u64,
    /// Bytes to read at most (never more than the entry holds).
    pub len: u64,
    /// The caller's note on the entry (what to do with its bytes).
    pub what: T,
}

/// Where the bytes of a [`Pass`] go.
pub trait ContentSink<T> {
    /// Entry `w` starts.
    fn start(&mut self, w: &Wanted<T>);
    /// The next bytes of `w`, in order; `false` once no more are needed (the rest is
    /// skipped).
    fn bytes(&mut self, w: &Wanted<T>, chunk: &[u8]) -> bool;
    /// `w` ended after `read` bytes.
    fn end(&mut self, w: &Wanted<T>, read: u64);
}

/// The entries to read, by layer, each layer's in stream order, with where its blob is (so a
/// pass needs only the source, not the image, once planned).
pub struct Pass<T> {
    by_layer: BTreeMap<u32, LayerPart<T>>,
}

/// One layer's part of a [`Pass`].
struct LayerPart<T> {
    offset: u64,
    size: u64,
    member: String,
    compression: Compression,
    items: Vec<Wanted<T>>,
}

impl<T> Pass<T> {
    /// Plans reading `wanted` — (entry, bytes at most, note) — of `image`. Entries that are not
    /// regular files with contents are left out.
    pub fn new(image: &Image, wanted: impl IntoIterator<Item = (EntryRef, u64, T)>) -> Self {
        let mut by_layer: BTreeMap<u32, LayerPart<T>> = BTreeMap::new();
        for (at, len, what) in wanted {
            let Some(l) = image.layers.get(at.layer as usize) else {
                continue;
            };
            let Some(e) = image.entry(at).filter(|e| e.is_file() && e.size > 0) else {
                continue;
            };
            let part = by_layer.entry(at.layer).or_insert_with(|| LayerPart {
                offset: l.blob.blob.offset,
                size: l.blob.blob.size,
                member: l.blob.blob.member.clone(),
                compression: l.index.compression,
                items: Vec::new(),
            });
            part.items.push(Wanted {
                at,
                data: e.span.data,
                len: len.min(e.size),
                what,
            });
        }
        for part in by_layer.values_mut() {
            part.items.sort_by_key(|w| w.data);
        }
        Pass { by_layer }
    }

    /// The work of [`Pass::read`] in decompressed bytes, for progress: what is read of plain
    /// layers, up to the last entry's end of compressed ones.
    pub fn work(&self) -> u64 {
        self.by_layer
            .values()
            .map(|part| {
                if part.compression == Compression::None {
                    part.items.iter().map(|w| w.len).sum::<u64>()
                } else {
                    part.items.iter().map(|w| w.data + w.len).max().unwrap_or(0)
                }
            })
            .sum()
    }

    /// Reads the planned entries from `source` (the archive the image was loaded from) into
    /// `sink`. `done` counts [`Pass::work`] as it goes, reported to `progress` out of `total`
    /// (so one figure can span several passes).
    ///
    /// # Errors
    /// A read or decoder failure (with the layer and member), or [`ErrorKind::Cancelled`]
    /// when `progress` asks to stop.
    pub fn read<S: Source>(
        &self,
        source: &mut S,
        done: &mut u64,
        total: u64,
        progress: &mut dyn Progress,
        sink: &mut impl ContentSink<T>,
    ) -> Result<()> {
        let mut buf = alloc::vec![0u8; 1 << 16];
        for (&layer, part) in &self.by_layer {
            let at = |e: Error| e.in_layer(layer as usize).in_member(&part.member);
            let plain = part.compression == Compression::None;
            let raw = RangeReader::new(&mut *source, part.offset, part.size);
            let mut reader: alloc::boxed::Box<dyn Read + '_> = if plain {
                alloc::boxed::Box::new(raw)
            } else {
                decode::decoder(raw, part.compression).map_err(|e| at(e.into()))?
            };
            let mut pos = 0u64;
            for w in &part.items {
                if w.data < pos {
                    continue; // overlapping spans cannot happen in a tar; be safe
                }
                // Skip to the entry's contents (a RangeReader's read-ahead makes skipping by
                // reading as cheap as a seek for small gaps). Gaps count as work only where
                // they are decoded.
                let gap = w.data - pos;
                io::copy(&mut (&mut reader).take(gap), &mut io::sink())
                    .map_err(|e| at(e.into()))?;
                if !plain {
                    *done += gap;
                }
                sink.start(w);
                let mut read = 0u64;
                while read < w.len {
                    let n =
                        usize::try_from((w.len - read).min(buf.len() as u64)).unwrap_or(buf.len());
                    let chunk = buf.get_mut(..n).unwrap_or_default();
                    reader.read_exact(chunk).map_err(|e| at(e.into()))?;
                    read += n as u64;
                    *done += n as u64;
                    if !progress.update(Stage::Hashing, (*done).min(total), total) {
                        return Err(ErrorKind::Cancelled.into());
                    }
                    if !sink.bytes(w, chunk) {
                        break;
                    }
                }
                // What a plain layer skips of a stopped entry counts as done.
                if plain {
                    *done += w.len - read;
                }
                sink.end(w, read);
                pos = w.data + read;
            }
        }
        Ok(())
    }
}
