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

use super::coalesce::{Coalesce, CostModel};
use super::output::Compress;
use super::part::{Part, Parts};
use super::plan::{NewLayer, SquashPlan};
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

impl<'a, S: Source> PartsReader<'a, S> {
    /// Reads bytes of `part` from `at` (inside it) into `buf`: literal bytes, an archive
    /// range, or a decoded range through the live decoder.
    fn read_part(&mut self, part: &Part, at: u64, buf: &mut [u8]) -> io::Result<usize> {
        let left = part.len() - at;
        let want = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        let Some(chunk) = buf.get_mut(..want) else {
            return Ok(0);
        };
        let n = match part {
            Part::Literal { bytes, .. } => {
                let from = usize::try_from(at).unwrap_or(usize::MAX);
                let src = bytes
                    .get(from..from.saturating_add(want))
                    .unwrap_or_default();
                chunk[..src.len()].copy_from_slice(src);
                src.len()
            }
            Part::Archive { offset, .. } => {
                let mut r = RangeReader::with_window(Shared(self.source), offset + at, left, 0);
                r.read(chunk)?
            }
            Part::Decoded { layer, offset, .. } => self.decoded(*layer, offset + at, chunk)?,
        };
        if n == 0 && want > 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "input ended early",
            ));
        }
        Ok(n)
    }
}

impl<S: Source> Read for PartsReader<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let parts = self.parts;
            let Some(part) = parts.get(self.index) else {
                return Ok(0);
            };
            if part.len() == self.offset {
                self.index += 1;
                self.offset = 0;
                continue;
            }
            let n = self.read_part(part, self.offset, buf)?;
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

    /// What parts cost this sink, when they cost more than their bytes: the parts are then
    /// coalesced under it (small ranges read and copied into literals, see [`Coalesce`]).
    /// `None` (a file) takes them as planned.
    fn coalesce(&self) -> Option<CostModel> {
        None
    }
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
/// takes by reference are read only when they must be hashed. When the sink has a
/// [`CostModel`], the parts are first coalesced under it ([`Coalesce`]).
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
    let Some(model) = sink.coalesce() else {
        for part in parts.as_slice() {
            emit_part(
                part,
                &mut reader,
                &mut buf,
                sink,
                hasher.as_deref_mut(),
                walk,
            )
            .await?;
        }
        return Ok(());
    };
    let mut coalesced = Coalesce::new(parts.as_slice(), Shared(source), model);
    let mut read = 0;
    while let Some(part) = coalesced.next() {
        let part = part?;
        emit_part(
            &part,
            &mut reader,
            &mut buf,
            sink,
            hasher.as_deref_mut(),
            walk,
        )
        .await?;
        // The reads behind the literals count towards the next pause as well.
        let (_, bytes) = coalesced.reads();
        walk.since_pause += bytes - read;
        read = bytes;
        if walk.since_pause >= PAUSE_EVERY {
            walk.since_pause = 0;
            sink.pause().await;
        }
    }
    Ok(())
}

/// Emits one part (see [`emit_parts`]).
async fn emit_part<S: Source, K: SquashSink + ?Sized>(
    part: &Part,
    reader: &mut PartsReader<'_, S>,
    buf: &mut [u8],
    sink: &mut K,
    mut hasher: Option<&mut Hasher>,
    walk: &mut Walk<'_>,
) -> Result<()> {
    let by_reference = match part {
        Part::Literal { bytes, .. } => {
            sink.bytes(bytes)?;
            if let Some(h) = hasher.as_deref_mut() {
                h.update(bytes);
            }
            walk.advance(part.len())?;
            return Ok(());
        }
        Part::Archive { offset, len } => sink.range(*offset, *len)?,
        Part::Decoded { .. } => false,
    };
    if by_reference && hasher.is_none() {
        return walk.advance(part.len());
    }
    let mut at = 0;
    while at < part.len() {
        let n = reader.read_part(part, at, buf)?;
        let chunk = buf.get(..n).unwrap_or_default();
        if !by_reference {
            sink.bytes(chunk)?;
        }
        if let Some(h) = hasher.as_deref_mut() {
            h.update(chunk);
        }
        at += n as u64;
        walk.advance(n as u64)?;
        walk.since_pause += n as u64;
        if walk.since_pause >= PAUSE_EVERY {
            walk.since_pause = 0;
            sink.pause().await;
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
    /// The new layer's blob as written (= diff_id and the tar's size when uncompressed).
    pub layer: NewLayer,
}

/// A sink that keeps nothing: the measuring pass only hashes and counts.
struct Discard;

impl SquashSink for Discard {
    fn bytes(&mut self, _: &[u8]) -> Result<()> {
        Ok(())
    }
}

/// Emits the planned squash into `sink`: the kept layers, the new layer (hashed as it
/// streams past, unless the sink hashes it), then the config and manifest that name it.
///
/// An oci-archive or a compressed layer needs the layer's digest and size before its bytes
/// (a blob's member name is its digest; a tar header holds the size), so the new layer is
/// first streamed once through the encoder only to measure it, then again into the sink.
/// The encoders are deterministic, so the second pass gives the bytes the first measured
/// (checked: a difference is an error, never a wrong manifest).
///
/// # Errors
/// Reading the input or decoding a layer failed; the sink failed; cancelled.
pub async fn emit_squash<S: Source, K: SquashSink + ?Sized>(
    source: &mut S,
    image: &Image,
    plan: &SquashPlan,
    sink: &mut K,
    progress: &mut dyn Progress,
) -> Result<Written> {
    let cell = RefCell::new(source);
    let single = plan.single_pass();
    let mut walk = Walk {
        emitted: 0,
        total: plan.archive_size + if single { 0 } else { plan.layer_size },
        since_pause: 0,
        progress,
    };
    let layer = &plan.layer.parts;
    if single {
        let guess = NewLayer {
            diff_id: Digest::of(b""),
            digest: Digest::of(b""),
            size: plan.layer_size,
        };
        let kept = plan.kept_digests(&[]);
        let (head, _, _) = plan.layout(&guess, &kept);
        emit_parts(&cell, image, &head, sink, None, &mut walk).await?;
        let sink_hashes = sink.begin_layer(layer);
        let mut hasher = Hasher::new();
        let hasher_ref = (!sink_hashes).then_some(&mut hasher);
        emit_parts(&cell, image, layer, sink, hasher_ref, &mut walk).await?;
        let diff_id = match sink.end_layer().await? {
            Some(d) if sink_hashes => d,
            _ if sink_hashes => {
                return Err(Error::new(ErrorKind::Write(io::Error::other(
                    "the output did not hash the new layer it said it would",
                ))))
            }
            _ => hasher.finish(),
        };
        let new = NewLayer {
            diff_id,
            digest: diff_id,
            size: plan.layer_size,
        };
        let (_, image_id, tail) = plan.layout(&new, &kept);
        sink.bytes(&tail)?;
        return Ok(Written {
            diff_id,
            image_id,
            size: head.len() + layer.len() + tail.len() as u64,
            layer: new,
        });
    }

    // First pass: the kept blobs an oci-archive must name and have no recorded digest, and
    // the new layer as it will be written.
    let mut hashed = alloc::vec::Vec::new();
    for (i, offset, len) in plan.kept_to_hash() {
        let mut one = Parts::new();
        one.push_archive(offset, len);
        let mut h = Hasher::new();
        let mut quiet = Walk {
            emitted: 0,
            total: len,
            since_pause: 0,
            progress: &mut crate::progress::NoProgress,
        };
        emit_parts(&cell, image, &one, &mut Discard, Some(&mut h), &mut quiet).await?;
        hashed.push((i, h.finish()));
    }
    let measured =
        encode_layer(&cell, image, layer, plan.compress, &mut Discard, &mut walk).await?;
    let kept = plan.kept_digests(&hashed);
    let (head, image_id, tail) = plan.layout(&measured, &kept);
    // The estimate the walk started with is replaced by the exact size.
    walk.total = walk.emitted + head.len() + measured.size + tail.len() as u64;
    emit_parts(&cell, image, &head, sink, None, &mut walk).await?;
    let again = encode_layer(&cell, image, layer, plan.compress, sink, &mut walk).await?;
    if again != measured {
        return Err(Error::new(ErrorKind::Write(io::Error::other(
            "the new layer came out different the second time it was encoded",
        ))));
    }
    sink.bytes(&tail)?;
    Ok(Written {
        diff_id: measured.diff_id,
        image_id,
        size: head.len() + measured.size + tail.len() as u64,
        layer: measured,
    })
}

/// Counts and hashes what an encoder writes, and passes it on to the sink.
struct Out<'k, K: SquashSink + ?Sized> {
    sink: &'k mut K,
    hasher: Hasher,
    size: u64,
    error: Option<Error>,
}

impl<K: SquashSink + ?Sized> Out<'_, K> {
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.hasher.update(bytes);
        self.size += bytes.len() as u64;
        self.sink.bytes(bytes)
    }
}

impl<K: SquashSink + ?Sized> Write for Out<'_, K> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // ruzstd unwraps write errors: keep the first, report it after the frame.
        if self.error.is_none() {
            if let Err(e) = self.put(buf) {
                self.error = Some(e);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The new layer's tar as ruzstd pulls it: hashed for the diff_id, read errors kept (ruzstd
/// unwraps them) and reported after the frame, the input then seen as ended.
struct In<'w, 'p, R: Read> {
    reader: R,
    hasher: Hasher,
    walk: &'w mut Walk<'p>,
    error: Option<Error>,
}

impl<R: Read> Read for In<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.error.is_some() {
            return Ok(0);
        }
        match self.reader.read(buf) {
            Ok(n) => {
                let chunk = buf.get(..n).unwrap_or_default();
                self.hasher.update(chunk);
                if let Err(e) = self.walk.advance(n as u64) {
                    self.error = Some(e);
                    return Ok(0);
                }
                Ok(n)
            }
            Err(e) => {
                self.error = Some(Error::from(e));
                Ok(0)
            }
        }
    }
}

/// Streams the new layer's `parts` through the encoder for `compress` into `sink`; returns
/// the layer as written (diff_id of the tar, digest and size of the blob).
async fn encode_layer<S: Source, K: SquashSink + ?Sized>(
    cell: &RefCell<&mut S>,
    image: &Image,
    parts: &Parts,
    compress: Compress,
    sink: &mut K,
    walk: &mut Walk<'_>,
) -> Result<NewLayer> {
    match compress {
        Compress::None => {
            let mut h = Hasher::new();
            emit_parts(cell, image, parts, sink, Some(&mut h), walk).await?;
            let d = h.finish();
            Ok(NewLayer {
                diff_id: d,
                digest: d,
                size: parts.len(),
            })
        }
        Compress::Gzip(level) => {
            let mut reader = PartsReader::new(cell, image, parts);
            let mut raw = Hasher::new();
            let mut out = Out {
                sink,
                hasher: Hasher::new(),
                size: 0,
                error: None,
            };
            let mut enc = flate2::write::GzEncoder::new(
                alloc::vec::Vec::new(),
                flate2::Compression::new(level),
            );
            let mut buf = vec![0u8; COPY_BUF];
            loop {
                let n = reader.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                let chunk = buf.get(..n).unwrap_or_default();
                raw.update(chunk);
                enc.write_all(chunk)?;
                out.put(enc.get_ref())?;
                enc.get_mut().clear();
                walk.advance(n as u64)?;
                walk.since_pause += n as u64;
                if walk.since_pause >= PAUSE_EVERY {
                    walk.since_pause = 0;
                    out.sink.pause().await;
                }
            }
            let rest = enc.finish()?;
            out.put(&rest)?;
            Ok(NewLayer {
                diff_id: raw.finish(),
                digest: out.hasher.finish(),
                size: out.size,
            })
        }
        Compress::Zstd(_) => {
            use ruzstd::encoding::{CompressionLevel, FrameCompressor};
            let input = In {
                reader: PartsReader::new(cell, image, parts),
                hasher: Hasher::new(),
                walk,
                error: None,
            };
            let out = Out {
                sink,
                hasher: Hasher::new(),
                size: 0,
                error: None,
            };
            let mut enc = FrameCompressor::new(CompressionLevel::Fastest);
            enc.set_source(input);
            enc.set_drain(out);
            enc.compress();
            let (Some(input), Some(out)) = (enc.take_source(), enc.take_drain()) else {
                return Err(Error::new(ErrorKind::Write(io::Error::other(
                    "the zstd encoder lost its input or output",
                ))));
            };
            if let Some(e) = input.error.or(out.error) {
                return Err(e);
            }
            Ok(NewLayer {
                diff_id: input.hasher.finish(),
                digest: out.hasher.finish(),
                size: out.size,
            })
        }
    }
}

/// Estimates the new layer's compressed size by compressing its first `sample` bytes (the
/// plan is pure; this reads). Exact for a layer no larger than the sample.
///
/// # Errors
/// Reading the input or decoding a layer failed.
pub fn estimate_blob_size<S: Source>(
    source: &mut S,
    image: &Image,
    plan: &SquashPlan,
    sample: u64,
) -> Result<u64> {
    if plan.compress == Compress::None {
        return Ok(plan.layer_size);
    }
    let cell = RefCell::new(source);
    let mut head = Parts::new();
    let mut left = sample.min(plan.layer_size);
    for p in plan.layer.parts.as_slice() {
        let take = p.len().min(left);
        if take == 0 {
            break;
        }
        match p {
            Part::Literal { bytes, .. } => {
                head.push_literal(bytes.get(..take as usize).unwrap_or_default())
            }
            Part::Archive { offset, .. } => head.push_archive(*offset, take),
            Part::Decoded { layer, offset, .. } => head.push_decoded(*layer, *offset, take),
        }
        left -= take;
    }
    let mut walk = Walk {
        emitted: 0,
        total: head.len(),
        since_pause: 0,
        progress: &mut crate::progress::NoProgress,
    };
    let m = complete(encode_layer(
        &cell,
        image,
        &head,
        plan.compress,
        &mut Discard,
        &mut walk,
    ))?;
    if head.len() >= plan.layer_size {
        return Ok(m.size);
    }
    let ratio = m.size as f64 / head.len().max(1) as f64;
    Ok((plan.layer_size as f64 * ratio) as u64)
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
    plan: &SquashPlan,
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
