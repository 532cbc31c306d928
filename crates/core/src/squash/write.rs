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

/// The bytes of a sequence of parts as one `Read`: literals, archive ranges, and ranges of
/// decompressed layers (re-streamed through their decoder, which is kept while the parts
/// move forward through one layer). The browser worker reads it in chunks and yields between
/// them; [`write_parts`] copies it into a `Write`.
pub struct PartsReader<'a, S: Source> {
    source: &'a RefCell<S>,
    image: &'a Image,
    parts: &'a [Part],
    /// Current part and the offset inside it.
    index: usize,
    offset: u64,
    /// The live decoder: (layer, position in its decompressed stream, reader).
    decoder: Option<(u32, u64, Box<dyn Read + 'a>)>,
}

impl<'a, S: Source> PartsReader<'a, S> {
    /// A reader over `parts` of `image`, whose archive bytes come from `source`.
    pub fn new(source: &'a RefCell<S>, image: &'a Image, parts: &'a Parts) -> Self {
        PartsReader {
            source,
            image,
            parts: parts.as_slice(),
            index: 0,
            offset: 0,
            decoder: None,
        }
    }

    fn decoded(&mut self, layer: u32, start: u64, buf: &mut [u8]) -> io::Result<usize> {
        let reuse = matches!(&self.decoder, Some((l, pos, _)) if *l == layer && *pos <= start);
        if !reuse {
            let l = self
                .image
                .layers
                .get(layer as usize)
                .ok_or_else(|| io::Error::other("plan names a missing layer"))?;
            let r = RangeReader::new(Shared(self.source), l.blob.blob.offset, l.blob.blob.size);
            self.decoder = Some((layer, 0, decode::decoder(r, l.index.compression)?));
        }
        let Some((_, pos, dec)) = self.decoder.as_mut() else {
            return Ok(0);
        };
        if *pos < start {
            let skip = start - *pos;
            let skipped = io::copy(&mut dec.by_ref().take(skip), &mut io::sink())?;
            if skipped != skip {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    alloc::format!("layer {layer} ended early while re-reading it"),
                ));
            }
            *pos = start;
        }
        let n = dec.read(buf)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                alloc::format!("layer {layer} ended early while re-reading it"),
            ));
        }
        *pos += n as u64;
        Ok(n)
    }
}

impl<S: Source> Read for PartsReader<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(part) = self.parts.get(self.index) else {
                return Ok(0);
            };
            let left = part.len() - self.offset;
            if left == 0 {
                self.index += 1;
                self.offset = 0;
                continue;
            }
            let want = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
            let Some(chunk) = buf.get_mut(..want) else {
                return Ok(0);
            };
            let n = match part {
                Part::Literal { bytes, .. } => {
                    let from = usize::try_from(self.offset).unwrap_or(usize::MAX);
                    let src = bytes
                        .get(from..from.saturating_add(want))
                        .unwrap_or_default();
                    chunk[..src.len()].copy_from_slice(src);
                    src.len()
                }
                Part::Archive { offset, .. } => {
                    let mut r = RangeReader::with_window(
                        Shared(self.source),
                        offset + self.offset,
                        left,
                        0,
                    );
                    r.read(chunk)?
                }
                Part::Decoded { layer, offset, .. } => {
                    let (layer, start) = (*layer, offset + self.offset);
                    self.decoded(layer, start, chunk)?
                }
            };
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "input ended early",
                ));
            }
            self.offset += n as u64;
            return Ok(n);
        }
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
    let (mut written, total) = at;
    let cell = RefCell::new(source);
    let mut reader = PartsReader::new(&cell, image, parts);
    let mut buf = vec![0u8; COPY_BUF];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        let chunk = buf.get(..n).unwrap_or_default();
        out.write_all(chunk)
            .map_err(|e| Error::new(ErrorKind::Write(e)))?;
        if let Some(h) = hasher.as_deref_mut() {
            h.update(chunk);
        }
        written += n as u64;
        if !progress.update(Stage::Writing, written, total) {
            return Err(ErrorKind::Cancelled.into());
        }
    }
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
