//! Carries out a plan: walks its parts (kept layers, the new layer, config and manifest) once,
//! in order, and hands the output to a [`SquashSink`] the host implements: natively a
//! `Write` ([`write_squash`], [`write_parts`]); in the browser a `Blob` made of slices of the
//! input file, which hashes the new layer itself with asynchronous reads. The input is read
//! at most once and memory stays bounded (one copy buffer and at most one layer decoder)
//! however large the layers are.

use alloc::boxed::Box;
use alloc::vec;
use core::cell::RefCell;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::io::{self, Read, Write};

use super::part::{Part, Parts};
use crate::digest::{Digest, Hasher};
use crate::error::{Error, ErrorKind, Result};
use crate::image::Image;
use crate::progress::{Progress, Stage};
use crate::source::{RangeReader, Source};
use crate::stream::decode;

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
/// move forward through one layer). [`emit_parts`] reads through it.
struct PartsReader<'a, S: Source> {
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
    fn new(source: &'a RefCell<S>, image: &'a Image, parts: &'a Parts) -> Self {
        PartsReader {
            source,
            image,
            parts: parts.as_slice(),
            index: 0,
            offset: 0,
            decoder: None,
        }
    }

    /// Moves to the start of part `index` without reading what lies before it (a live
    /// decoder is kept: it serves any later part of its layer).
    fn seek_part(&mut self, index: usize) {
        self.index = index;
        self.offset = 0;
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

/// Where a squash's (or an export's) bytes go. The core decides what comes in which order;
/// the sink decides how to hold it.
///
/// The methods are `async` so that a browser sink can wait for the page's event loop
/// (asynchronous reads, collecting buffers); a native sink never waits, and
/// [`write_squash`] runs the walk to completion in one poll.
#[allow(async_fn_in_trait)] // Sinks are used on one thread; no `Send` bound is wanted.
pub trait SquashSink {
    /// Appends bytes to the output.
    ///
    /// # Errors
    /// The output cannot take them.
    fn bytes(&mut self, bytes: &[u8]) -> Result<()>;

    /// Offers `len` bytes of the input archive from `offset` to be appended by reference
    /// (a slice of the input file). `Ok(false)` declines: the bytes then come through
    /// [`SquashSink::bytes`].
    ///
    /// # Errors
    /// The output cannot take them.
    fn range(&mut self, offset: u64, len: u64) -> Result<bool> {
        let _ = (offset, len);
        Ok(false)
    }

    /// The new layer starts; `parts` are what will follow. `true` means the sink computes
    /// the layer's digest itself from what it is given ([`SquashSink::end_layer`]), so the
    /// core need not read the ranges the sink takes by reference.
    fn begin_layer(&mut self, parts: &Parts) -> bool {
        let _ = parts;
        false
    }

    /// The new layer is complete: its sha256 when [`SquashSink::begin_layer`] said the sink
    /// computes it, `None` otherwise.
    ///
    /// # Errors
    /// Reading back what the sink holds failed.
    async fn end_layer(&mut self) -> Result<Option<Digest>> {
        Ok(None)
    }

    /// Called after every [`PAUSE_EVERY`] bytes read from the input.
    async fn pause(&mut self) {}
}

/// Bytes read from the input between two calls to [`SquashSink::pause`].
pub const PAUSE_EVERY: u64 = 64 << 20;

/// A [`SquashSink`] over any `Write`.
pub struct WriteSink<'w, W: Write + ?Sized>(pub &'w mut W);

impl<W: Write + ?Sized> SquashSink for WriteSink<'_, W> {
    fn bytes(&mut self, bytes: &[u8]) -> Result<()> {
        self.0
            .write_all(bytes)
            .map_err(|e| Error::new(ErrorKind::Write(e)))
    }
}

/// Progress of a walk: bytes emitted so far out of the total, and bytes read since the
/// last pause.
struct Walk<'p> {
    emitted: u64,
    total: u64,
    since_pause: u64,
    progress: &'p mut dyn Progress,
}

impl Walk<'_> {
    fn advance(&mut self, n: u64) -> Result<()> {
        self.emitted += n;
        if self
            .progress
            .update(Stage::Writing, self.emitted, self.total)
        {
            Ok(())
        } else {
            Err(ErrorKind::Cancelled.into())
        }
    }
}

/// Emits `parts` into `sink`, feeding every byte to `hasher` when given. Ranges the sink
/// takes by reference are read only when they must be hashed.
async fn emit_parts<S: Source, K: SquashSink + ?Sized>(
    source: &RefCell<&mut S>,
    image: &Image,
    parts: &Parts,
    sink: &mut K,
    mut hasher: Option<&mut Hasher>,
    walk: &mut Walk<'_>,
) -> Result<()> {
    let mut reader = PartsReader::new(source, image, parts);
    let mut buf = vec![0u8; COPY_BUF];
    for (i, part) in parts.as_slice().iter().enumerate() {
        let by_reference = match part {
            Part::Literal { bytes, .. } => {
                sink.bytes(bytes)?;
                if let Some(h) = hasher.as_deref_mut() {
                    h.update(bytes);
                }
                walk.advance(part.len())?;
                continue;
            }
            Part::Archive { offset, len } => sink.range(*offset, *len)?,
            Part::Decoded { .. } => false,
        };
        if by_reference && hasher.is_none() {
            walk.advance(part.len())?;
            continue;
        }
        reader.seek_part(i);
        let mut left = part.len();
        while left > 0 {
            let want = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
            let n = reader.read(buf.get_mut(..want).unwrap_or_default())?;
            let chunk = buf.get(..n).unwrap_or_default();
            if n == 0 {
                return Err(Error::from(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "input ended early",
                )));
            }
            if !by_reference {
                sink.bytes(chunk)?;
            }
            if let Some(h) = hasher.as_deref_mut() {
                h.update(chunk);
            }
            left -= n as u64;
            walk.advance(n as u64)?;
            walk.since_pause += n as u64;
            if walk.since_pause >= PAUSE_EVERY {
                walk.since_pause = 0;
                sink.pause().await;
            }
        }
    }
    Ok(())
}

/// What a squash wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Written {
    /// diff_id of the new layer (sha256 of its bytes).
    pub diff_id: Digest,
    /// New image ID (sha256 of the written config).
    pub image_id: Digest,
    /// Bytes written.
    pub size: u64,
}

/// Emits the planned squash into `sink`: the kept layers, the new layer (hashed as it
/// streams past, unless the sink hashes it), then the config and manifest that name it.
///
/// # Errors
/// Reading the input or decoding a layer failed; the sink failed; cancelled.
pub async fn emit_squash<S: Source, K: SquashSink + ?Sized>(
    source: &mut S,
    image: &Image,
    plan: &super::plan::SquashPlan,
    sink: &mut K,
    progress: &mut dyn Progress,
) -> Result<Written> {
    let cell = RefCell::new(source);
    let mut walk = Walk {
        emitted: 0,
        total: plan.archive_size,
        since_pause: 0,
        progress,
    };
    emit_parts(&cell, image, plan.head(), sink, None, &mut walk).await?;
    let sink_hashes = sink.begin_layer(&plan.layer.parts);
    let mut hasher = Hasher::new();
    let hasher_ref = (!sink_hashes).then_some(&mut hasher);
    emit_parts(&cell, image, &plan.layer.parts, sink, hasher_ref, &mut walk).await?;
    let diff_id = match sink.end_layer().await? {
        Some(d) if sink_hashes => d,
        _ if sink_hashes => {
            return Err(Error::new(ErrorKind::Write(io::Error::other(
                "the output did not hash the new layer it said it would",
            ))))
        }
        _ => hasher.finish(),
    };
    let (image_id, tail) = plan.tail(diff_id);
    sink.bytes(&tail)?;
    let size = plan.head().len() + plan.layer.parts.len() + tail.len() as u64;
    Ok(Written {
        diff_id,
        image_id,
        size,
    })
}

/// Runs a walk whose sink never waits (a `Write`) to completion.
fn complete<F: Future>(walk: F) -> F::Output {
    let mut walk = pin!(walk);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        // A `WriteSink` never returns `Pending`; the loop only guards the contract.
        if let Poll::Ready(out) = walk.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Emits `parts` (an export, an extract, one file's bytes) into `sink`.
///
/// # Errors
/// Reading the input or decoding a layer failed; the sink failed; cancelled.
pub async fn emit_parts_into<S: Source, K: SquashSink + ?Sized>(
    source: &mut S,
    image: &Image,
    parts: &Parts,
    sink: &mut K,
    progress: &mut dyn Progress,
) -> Result<()> {
    let cell = RefCell::new(source);
    let mut walk = Walk {
        emitted: 0,
        total: parts.len(),
        since_pause: 0,
        progress,
    };
    emit_parts(&cell, image, parts, sink, None, &mut walk).await
}

/// Writes `parts` to `out` (an export's single layer).
///
/// # Errors
/// Reading the input or writing the output failed; a decoder failed; cancelled.
pub fn write_parts<S: Source, W: Write + ?Sized>(
    source: &mut S,
    image: &Image,
    parts: &Parts,
    out: &mut W,
    progress: &mut dyn Progress,
) -> Result<()> {
    let mut sink = WriteSink(out);
    complete(emit_parts_into(source, image, parts, &mut sink, progress))?;
    sink.0.flush().map_err(|e| Error::new(ErrorKind::Write(e)))
}

/// Writes the planned squash to `out` ([`emit_squash`] into a [`WriteSink`]).
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
    let mut sink = WriteSink(out);
    let written = complete(emit_squash(source, image, plan, &mut sink, progress))?;
    sink.0
        .flush()
        .map_err(|e| Error::new(ErrorKind::Write(e)))?;
    Ok(written)
}
