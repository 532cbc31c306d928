//! Builds the squashed image as a `Blob` without copying unchanged data: kept layers and
//! unchanged runs of the squashed layer are `File.slice`s of the input; only new headers, the
//! config and the manifest are new bytes. The new layer must still be hashed (its diff_id), so
//! its bytes are read once: when they are all slices and new headers (an uncompressed
//! archive), from the assembled layer `Blob` with several asynchronous reads in flight, so the
//! browser reads while this thread hashes; otherwise (compressed layers' contents, a gzipped
//! archive) through the core's decoders in 4 MiB reads, collected into the Blob, yielding to
//! the event loop every 64 MiB so the browser can collect the read buffers (see docs/browser-io.md).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Read;

use js_sys::{Array, Promise, Uint8Array};
use layerlens_core::digest::{Digest, Hasher};
use layerlens_core::layer::Compression;
use layerlens_core::squash::{Part, PartsReader};
use layerlens_core::RangeReader;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag};

use super::{plan, post, scope, PostProgress, Session};
use crate::protocol::Event;

const READ: usize = 4 << 20;
const YIELD_EVERY: u64 = 64 << 20;
const CHUNK: usize = 16 << 20;

async fn yield_now() {
    let p = Promise::new(&mut |resolve, _| {
        let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
    });
    let _ = JsFuture::from(p).await;
}

/// Blob parts being gathered: literal bytes are batched into chunks.
struct Gather {
    parts: Array,
    pending: Vec<u8>,
}

impl Gather {
    fn bytes(&mut self, b: &[u8]) {
        self.pending.extend_from_slice(b);
        if self.pending.len() >= CHUNK {
            self.flush();
        }
    }
    fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.parts.push(&Uint8Array::from(self.pending.as_slice()));
            self.pending.clear();
        }
    }
    fn blob(&mut self, blob: &Blob) {
        self.flush();
        self.parts.push(blob);
    }
    fn slice(&mut self, blob: &Blob, offset: u64, len: u64) -> Result<(), String> {
        self.flush();
        let s = blob
            .slice_with_f64_and_f64(offset as f64, (offset + len) as f64)
            .map_err(|e| format!("Blob.slice failed: {e:?}"))?;
        self.parts.push(&s);
        Ok(())
    }
}

/// Builds and posts the squashed image. A build that fails because the input file changed or
/// vanished on disk says so, whatever read noticed it first.
pub(crate) async fn build(s: &mut Session, from: usize, tags: Vec<String>) -> Result<(), String> {
    let file: Blob = s.file.clone().into();
    let name = s.file.name();
    let result = assemble(s, from, tags).await;
    if result.is_err() {
        if let Err(reason) = crate::input_check::still_readable(&file).await {
            return Err(crate::input_check::failure(&name, &reason));
        }
    }
    result
}

async fn assemble(s: &mut Session, from: usize, tags: Vec<String>) -> Result<(), String> {
    let started = js_sys::Date::now();
    let plan = plan(s, from, tags)?;
    // File slices are only possible when archive offsets are file offsets.
    let sliceable = s.archive.compression() == Compression::None;
    let file: Blob = s.file.clone().into();
    let mut out = Gather {
        parts: Array::new(),
        pending: Vec::new(),
    };
    let mut progress = PostProgress::new();
    let total = plan.layer_size;

    let cell = RefCell::new(s.archive.source_mut());
    // Head: kept layers (byte-identical) and the new layer's member header.
    for part in plan.head().as_slice() {
        match part {
            Part::Literal { bytes, .. } => out.bytes(bytes),
            Part::Archive { offset, len } if sliceable => out.slice(&file, *offset, *len)?,
            Part::Archive { offset, len } => {
                let mut source = cell.borrow_mut();
                let mut r = RangeReader::with_window(&mut **source, *offset, *len, 0);
                let mut buf = vec![0u8; READ];
                copy_part(&mut r, *len, &mut buf, &mut |b| out.bytes(b))?;
            }
            Part::Decoded { .. } => {
                return Err("internal error: a kept layer must be copied, not decoded".into())
            }
        }
    }
    // The new layer: hashed whole, assembled from slices and gathered bytes.
    let from_file_only = sliceable
        && plan
            .layer
            .parts
            .as_slice()
            .iter()
            .all(|p| !matches!(p, Part::Decoded { .. }));
    let diff_id = if from_file_only {
        // Every byte is a File slice or a new header: assemble the layer as a Blob and hash
        // it with reads that the browser serves while the previous chunk is hashed.
        let mut layer = Gather {
            parts: Array::new(),
            pending: Vec::new(),
        };
        for part in plan.layer.parts.as_slice() {
            match part {
                Part::Literal { bytes, .. } => layer.bytes(bytes),
                Part::Archive { offset, len } => layer.slice(&file, *offset, *len)?,
                Part::Decoded { .. } => {
                    return Err("internal error: a decoded part in an uncompressed archive".into())
                }
            }
        }
        layer.flush();
        let layer = Blob::new_with_blob_sequence(&layer.parts)
            .map_err(|e| format!("cannot assemble the new layer: {e:?}"))?;
        let digest = hash_blob(&layer, &mut progress, total).await?;
        out.blob(&layer);
        digest
    } else {
        let mut hasher = Hasher::new();
        {
            let mut reader = PartsReader::new(&cell, &s.image, &plan.layer.parts);
            let mut buf = vec![0u8; READ];
            let mut done = 0u64;
            let mut since_yield = 0u64;
            for part in plan.layer.parts.as_slice() {
                let slice = matches!(part, Part::Archive { .. }) && sliceable;
                if let Part::Archive { offset, len } = part {
                    if slice {
                        out.slice(&file, *offset, *len)?;
                    }
                }
                let mut left = part.len();
                while left > 0 {
                    let want = left.min(READ as u64) as usize;
                    reader
                        .read_exact(&mut buf[..want])
                        .map_err(|e| format!("reading the image failed: {e}"))?;
                    let chunk = &buf[..want];
                    hasher.update(chunk);
                    if !slice {
                        out.bytes(chunk);
                    }
                    left -= want as u64;
                    done += want as u64;
                    since_yield += want as u64;
                    progress.send("Hashing the new layer", done, total, false);
                    if since_yield >= YIELD_EVERY {
                        since_yield = 0;
                        yield_now().await;
                    }
                }
            }
        }
        hasher.finish()
    };
    let (image_id, tail) = plan.tail(diff_id);
    out.bytes(&tail);
    out.flush();
    let options = BlobPropertyBag::new();
    options.set_type("application/x-tar");
    let blob = Blob::new_with_blob_sequence_and_options(&out.parts, &options)
        .map_err(|e| format!("cannot assemble the download: {e:?}"))?;
    // The browser may be unable to keep the data (a private window keeps Blobs in memory
    // and drops large ones): read the last byte back so a download that cannot happen is an
    // error here, not a "Built" that silently fails.
    if blob.size() > 0.0 {
        let last = blob
            .slice_with_f64_and_f64(blob.size() - 1.0, blob.size())
            .map_err(|e| format!("Blob.slice failed: {e:?}"))?;
        web_sys::FileReaderSync::new()
            .and_then(|r| r.read_as_array_buffer(&last))
            .map_err(|_| "the browser could not keep the squashed image for download (a private window keeps downloads in memory and refuses large ones; try a normal window or the CLI)".to_string())?;
    }
    let size = blob.size();
    if size as u64 != plan.archive_size {
        return Err(format!(
            "internal error: planned {} bytes, assembled {}",
            plan.archive_size, size
        ));
    }
    // The download reads the input file again: refuse to offer one that cannot complete
    // (`build` turns this into the message).
    crate::input_check::still_readable(&file).await?;
    progress.send("Hashing the new layer", total, total, true);
    let base = s.file.name();
    let stem = base.strip_suffix(".tar").unwrap_or(&base);
    let name = format!("{stem}-squashed.tar");
    post(
        &Event::Built {
            name,
            size,
            image_id: image_id.to_string(),
            diff_id: diff_id.to_string(),
            millis: js_sys::Date::now() - started,
        },
        Some(&blob),
    );
    Ok(())
}

/// SHA-256 of a Blob, read in `READ`-sized chunks with `AHEAD` reads in flight: the browser
/// fetches the next chunks (in its own process) while this thread hashes, which the
/// synchronous `FileReaderSync` cannot do. Each await also lets the browser collect the read
/// buffers.
async fn hash_blob(blob: &Blob, progress: &mut PostProgress, total: u64) -> Result<Digest, String> {
    const AHEAD: usize = 4;
    let size = blob.size() as u64;
    let mut hasher = Hasher::new();
    let mut buf = vec![0u8; READ];
    let mut in_flight: VecDeque<(JsFuture, usize)> = VecDeque::with_capacity(AHEAD);
    let mut next = 0u64;
    let mut done = 0u64;
    loop {
        while in_flight.len() < AHEAD && next < size {
            let end = (next + READ as u64).min(size);
            let chunk = blob
                .slice_with_f64_and_f64(next as f64, end as f64)
                .map_err(|e| format!("Blob.slice failed: {e:?}"))?;
            in_flight.push_back((JsFuture::from(chunk.array_buffer()), (end - next) as usize));
            next = end;
        }
        let Some((read, len)) = in_flight.pop_front() else {
            break;
        };
        let bytes = read
            .await
            .map_err(|e| format!("reading the image failed: {e:?}"))?;
        let bytes = Uint8Array::new(&bytes);
        if bytes.length() as usize != len {
            return Err(format!(
                "reading the image failed: asked for {len} bytes, got {}",
                bytes.length()
            ));
        }
        bytes.copy_to(&mut buf[..len]);
        hasher.update(&buf[..len]);
        done += len as u64;
        progress.send("Hashing the new layer", done, total, false);
    }
    Ok(hasher.finish())
}

fn copy_part<R: Read>(
    reader: &mut R,
    len: u64,
    buf: &mut [u8],
    sink: &mut dyn FnMut(&[u8]),
) -> Result<(), String> {
    let mut left = len;
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        reader
            .read_exact(&mut buf[..want])
            .map_err(|e| format!("reading the image failed: {e}"))?;
        sink(&buf[..want]);
        left -= want as u64;
    }
    Ok(())
}
