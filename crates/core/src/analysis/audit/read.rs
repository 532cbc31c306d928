//! Reads what [`wanted`](super::wanted) lists, the deep scan's way: one forward pass per
//! layer, seeking in a plain layer, decoding a compressed one once and skipping what is not
//! wanted.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use std::io::{self, Read};

use super::{Contents, Want};
use crate::digest::Hasher;
use crate::error::{Error, ErrorKind, Result};
use crate::image::Image;
use crate::progress::{Progress, Stage};
use crate::source::{RangeReader, Source};
use crate::stream::{decode, Compression};

/// Reads `wants` (as [`wanted`](super::wanted) returns them for `image`) from `source`, the
/// archive the image was loaded from.
///
/// # Errors
/// A read or decoder failure (with the layer and member), or [`ErrorKind::Cancelled`] when
/// `progress` asks to stop.
pub fn read_contents<S: Source>(
    source: &mut S,
    image: &Image,
    wants: &[Want],
    progress: &mut dyn Progress,
) -> Result<Contents> {
    let mut by_layer: BTreeMap<u32, Vec<(u64, Want)>> = BTreeMap::new();
    for w in wants {
        if let Some(e) = image.entry(w.at).filter(|e| e.is_file() && e.size > 0) {
            by_layer
                .entry(w.at.layer)
                .or_default()
                .push((e.span.data, *w));
        }
    }
    let reads = |w: &Want| if w.hash { w.size } else { w.keep };
    let mut total = 0u64;
    for (layer, items) in by_layer.iter_mut() {
        items.sort_unstable_by_key(|(data, _)| *data);
        let plain = image
            .layers
            .get(*layer as usize)
            .is_some_and(|l| l.index.compression == Compression::None);
        total += if plain {
            items.iter().map(|(_, w)| reads(w)).sum::<u64>()
        } else {
            items.iter().map(|(d, w)| d + reads(w)).max().unwrap_or(0)
        };
    }
    let mut out = Contents::default();
    let mut done = 0u64;
    let mut buf = alloc::vec![0u8; 1 << 16];
    for (&layer, items) in &by_layer {
        let Some(l) = image.layers.get(layer as usize) else {
            continue;
        };
        let blob = &l.blob.blob;
        let at = |e: Error| e.in_layer(layer as usize).in_member(&blob.member);
        let plain = l.index.compression == Compression::None;
        let raw = RangeReader::new(&mut *source, blob.offset, blob.size);
        let mut reader: alloc::boxed::Box<dyn Read + '_> = if plain {
            alloc::boxed::Box::new(raw)
        } else {
            decode::decoder(raw, l.index.compression).map_err(|e| at(e.into()))?
        };
        let mut pos = 0u64;
        for (data, w) in items {
            if *data < pos {
                continue; // overlapping spans cannot happen in a tar
            }
            let gap = data - pos;
            io::copy(&mut (&mut reader).take(gap), &mut io::sink()).map_err(|e| at(e.into()))?;
            if !plain {
                done += gap;
            }
            let want = reads(w);
            let mut h = w.hash.then(Hasher::new);
            let mut kept = Vec::new();
            let mut read = 0u64;
            while read < want {
                let n = usize::try_from((want - read).min(buf.len() as u64)).unwrap_or(buf.len());
                let chunk = buf.get_mut(..n).unwrap_or_default();
                reader.read_exact(chunk).map_err(|e| at(e.into()))?;
                if let Some(h) = h.as_mut() {
                    h.update(chunk);
                }
                let keep = usize::try_from(w.keep.saturating_sub(read)).unwrap_or(usize::MAX);
                kept.extend_from_slice(chunk.get(..keep.min(n)).unwrap_or_default());
                read += n as u64;
                done += n as u64;
                if !progress.update(Stage::Hashing, done.min(total), total) {
                    return Err(ErrorKind::Cancelled.into());
                }
            }
            out.bytes_read += read;
            if let Some(h) = h {
                out.hashes.insert(w.at, h.finish());
            }
            if w.keep > 0 {
                out.kept.insert(w.at, kept);
            }
            pos = data + read;
        }
    }
    progress.update(Stage::Hashing, total, total);
    Ok(out)
}
