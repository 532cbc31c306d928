//! Carries out a plan: copies its parts into any `Write`, reading the input once and hashing
//! what it writes when asked. Memory stays bounded (one copy buffer and at most one layer
//! decoder) however large the layers are.

use alloc::boxed::Box;
use alloc::vec;
use core::cell::RefCell;
use std::io::{self, Read, Write};

use super::part::{Part, Parts};
use crate::digest::Hasher;
use crate::error::{Error, ErrorKind, Result};
use crate::image::Image;
use crate::layer::decode;
use crate::progress::{Progress, Stage};
use crate::source::{RangeReader, Source};

const COPY_BUF: usize = 1 << 20;

/// A source shared between a live decoder and direct range reads.
struct Shared<'a, S>(&'a RefCell<S>);

impl<S: Source> Source for Shared<'_, S> {
    fn size(&mut self) -> io::Result<u64> {
        self.0.borrow_mut().size()
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.0.borrow_mut().read_at(offset, buf)
    }
}

/// Writes `parts` to `out`, feeding every written byte to `hasher` when given.
///
/// Progress positions start at `at.0` (bytes already written by the caller) out of `at.1`.
///
/// # Errors
/// Reading the input or writing the output failed; a decoder failed; cancelled.
pub fn write_parts<S: Source, W: Write + ?Sized>(
    source: &mut S,
    image: &Image,
    parts: &Parts,
    out: &mut W,
    mut hasher: Option<&mut Hasher>,
    progress: &mut dyn Progress,
    at: (u64, u64),
) -> Result<()> {
    let (done, total) = at;
    let cell = RefCell::new(source);
    let mut buf = vec![0u8; COPY_BUF];
    let mut written = done;
    // The live decoder: (layer, position in its decompressed stream, reader).
    let mut decoder: Option<(u32, u64, Box<dyn Read + '_>)> = None;
    let mut emit = |bytes: &[u8], written: &mut u64| -> Result<()> {
        out.write_all(bytes)
            .map_err(|e| Error::new(ErrorKind::Write(e)))?;
        if let Some(h) = hasher.as_deref_mut() {
            h.update(bytes);
        }
        *written += bytes.len() as u64;
        Ok(())
    };
    for part in parts.as_slice() {
        match part {
            Part::Literal { bytes, .. } => emit(bytes, &mut written)?,
            Part::Archive { offset, len } => {
                let mut r = RangeReader::with_window(Shared(&cell), *offset, *len, 0);
                let mut left = *len;
                while left > 0 {
                    let n = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
                    let chunk = buf.get_mut(..n).ok_or_else(|| Error::archive("buffer"))?;
                    r.read_exact(chunk)?;
                    emit(chunk, &mut written)?;
                    left -= n as u64;
                    if !progress.update(Stage::Writing, written, total) {
                        return Err(ErrorKind::Cancelled.into());
                    }
                }
            }
            Part::Decoded { layer, offset, len } => {
                let reuse =
                    matches!(&decoder, Some((l, pos, _)) if *l == *layer && *pos <= *offset);
                if !reuse {
                    let l = image
                        .layers
                        .get(*layer as usize)
                        .ok_or_else(|| Error::archive("plan names a missing layer"))?;
                    let r = RangeReader::new(Shared(&cell), l.blob.blob.offset, l.blob.blob.size);
                    decoder = Some((*layer, 0, decode::decoder(r, l.index.compression)?));
                }
                let Some((_, pos, dec)) = decoder.as_mut() else {
                    continue;
                };
                if *pos < *offset {
                    let skip = *offset - *pos;
                    let skipped = io::copy(&mut dec.by_ref().take(skip), &mut io::sink())?;
                    if skipped != skip {
                        return Err(Error::archive("layer ended early while re-reading it")
                            .in_layer(*layer as usize));
                    }
                    *pos = *offset;
                }
                let mut left = *len;
                while left > 0 {
                    let n = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
                    let chunk = buf.get_mut(..n).ok_or_else(|| Error::archive("buffer"))?;
                    dec.read_exact(chunk)
                        .map_err(|e| Error::from(e).in_layer(*layer as usize))?;
                    emit(chunk, &mut written)?;
                    left -= n as u64;
                    *pos += n as u64;
                    if !progress.update(Stage::Writing, written, total) {
                        return Err(ErrorKind::Cancelled.into());
                    }
                }
            }
        }
    }
    Ok(())
}

/// What a squash wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Written {
    /// diff_id of the new layer (sha256 of its bytes).
    pub diff_id: crate::digest::Digest,
    /// New image ID (sha256 of the written config).
    pub image_id: crate::digest::Digest,
    /// Bytes written.
    pub size: u64,
}

/// Writes the planned squash to `out`, hashing the new layer as it streams past (each input
/// byte is read once).
///
/// # Errors
/// Reading the input, decoding a layer, or writing failed; cancelled.
pub fn write_squash<S: Source, W: Write + ?Sized>(
    source: &mut S,
    image: &Image,
    plan: &super::plan::SquashPlan,
    out: &mut W,
    progress: &mut dyn Progress,
) -> Result<Written> {
    let total = plan.archive_size;
    write_parts(source, image, plan.head(), out, None, progress, (0, total))?;
    let mut hasher = Hasher::new();
    write_parts(
        source,
        image,
        &plan.layer.parts,
        out,
        Some(&mut hasher),
        progress,
        (plan.head().len(), total),
    )?;
    let diff_id = hasher.finish();
    let (image_id, tail) = plan.tail(diff_id);
    out.write_all(&tail)
        .map_err(|e| Error::new(ErrorKind::Write(e)))?;
    out.flush().map_err(|e| Error::new(ErrorKind::Write(e)))?;
    let size = plan.head().len() + plan.layer.parts.len() + tail.len() as u64;
    Ok(Written {
        diff_id,
        image_id,
        size,
    })
}
