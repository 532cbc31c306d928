//! The bytes of one file of one layer, by reference into the layer index: an uncompressed
//! layer is read at the entry's offset (nothing else is touched); a compressed one is decoded
//! from its start up to the entry, in a fixed-size buffer, with progress and cancel, and only
//! the entry's bytes come out. Memory stays bounded whatever the sizes.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use std::io::{self, Read};

use super::Image;
use crate::error::{Error, ErrorKind, Result};
use crate::layer::{EntryPath, EntryRef, NoticeKind};
use crate::progress::{Cancelled, Progress, Stage};
use crate::source::{RangeReader, Source};
use crate::stream::{decode, Compression};

/// Decoded bytes skipped between two progress reports.
const TICK: usize = 1 << 20;

/// A reader over bytes `[offset, offset + len)` of the contents of the regular file `r` (cut
/// at the file's end). `source` is the archive the image was loaded from.
///
/// # Errors
/// Not a regular file, a sparse file, a read or decoder failure, cancelled while decoding
/// up to the entry.
pub fn open_content<'a, S: Source + 'a>(
    source: S,
    image: &Image,
    r: EntryRef,
    offset: u64,
    len: u64,
    progress: &mut dyn Progress,
) -> Result<Box<dyn Read + 'a>> {
    let layer = image
        .layers
        .get(r.layer as usize)
        .ok_or_else(|| Error::request(alloc::format!("no layer {}", r.layer)))?;
    let e = image
        .entry(r)
        .ok_or_else(|| Error::request("no such entry"))?;
    let at = |err: Error| err.in_layer(r.layer as usize).in_entry(e.path.as_bytes());
    if !e.is_file() {
        return Err(at(Error::request(alloc::format!(
            "not a regular file (a {})",
            kind_name(e.kind)
        ))));
    }
    if is_sparse(&layer.index.notices, &e.path) {
        return Err(at(Error::request(
            "a GNU sparse file: its stored bytes are not its contents, which layerlens cannot \
             rebuild yet",
        )));
    }
    let start = offset.min(e.size);
    let len = len.min(e.size - start);
    let blob = &layer.blob.blob;
    if layer.index.compression == Compression::None {
        let at_file = blob.offset + e.span.data + start;
        return Ok(Box::new(RangeReader::new(source, at_file, len)));
    }
    let raw = RangeReader::new(source, blob.offset, blob.size);
    let mut dec = decode::decoder(raw, layer.index.compression).map_err(|e| at(e.into()))?;
    let skip = e.span.data + start;
    skip_decoded(&mut dec, skip, r.layer as usize, progress).map_err(at)?;
    Ok(Box::new(dec.take(len)))
}

/// Reads `[offset, offset + len)` of file `r` into memory (a page of a viewer).
///
/// # Errors
/// As [`open_content`]; the layer ending before the entry does.
pub fn read_content<S: Source>(
    source: S,
    image: &Image,
    r: EntryRef,
    offset: u64,
    len: u64,
    progress: &mut dyn Progress,
) -> Result<Vec<u8>> {
    let mut reader = open_content(source, image, r, offset, len, progress)?;
    let mut out = Vec::new();
    reader.read_to_end(&mut out).map_err(Error::from)?;
    let want = image
        .entry(r)
        .map_or(0, |e| len.min(e.size.saturating_sub(offset)));
    if (out.len() as u64) < want {
        return Err(Error::from(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the layer ended inside the file",
        ))
        .in_layer(r.layer as usize));
    }
    Ok(out)
}

fn skip_decoded(
    dec: &mut dyn Read,
    mut left: u64,
    layer: usize,
    progress: &mut dyn Progress,
) -> Result<()> {
    let total = left;
    let mut buf = vec![0u8; TICK];
    while left > 0 {
        let want = usize::try_from(left).map_or(TICK, |l| l.min(TICK));
        let n = match dec.read(&mut buf[..want]) {
            Ok(0) => {
                return Err(Error::from(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the layer ended before the file",
                )))
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        left -= n as u64;
        if !progress.update(Stage::Reading(layer), total - left, total) {
            return Err(Error::new(ErrorKind::Cancelled));
        }
    }
    Ok(())
}

/// A reader that asks `progress` after every read whether to go on: for copying a big file
/// out with a cancel button.
pub struct WithProgress<'p, R> {
    inner: R,
    done: u64,
    total: u64,
    layer: usize,
    progress: &'p mut dyn Progress,
}

impl<'p, R: Read> WithProgress<'p, R> {
    /// Wraps `inner`, which yields `total` bytes of layer `layer`.
    pub fn new(inner: R, total: u64, layer: usize, progress: &'p mut dyn Progress) -> Self {
        WithProgress {
            inner,
            done: 0,
            total,
            layer,
            progress,
        }
    }
}

impl<R: Read> Read for WithProgress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if !self
            .progress
            .update(Stage::Reading(self.layer), self.done, self.total)
        {
            return Err(io::Error::other(Cancelled));
        }
        Ok(n)
    }
}

fn is_sparse(notices: &[crate::layer::Notice], path: &EntryPath) -> bool {
    notices.iter().any(|n| {
        n.kind == NoticeKind::Sparse && EntryPath::parse(&n.path).is_ok_and(|p| p == *path)
    })
}

fn kind_name(k: crate::layer::EntryKind) -> &'static str {
    use crate::layer::EntryKind as K;
    match k {
        K::File => "file",
        K::Dir => "directory",
        K::Symlink => "symlink",
        K::Hardlink => "hardlink",
        K::CharDevice => "character device",
        K::BlockDevice => "block device",
        K::Fifo => "FIFO",
    }
}
