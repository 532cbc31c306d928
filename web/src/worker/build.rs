//! Builds the squashed image as a `Blob` without copying unchanged data: the core walks the
//! plan ([`Analysis::emit_squash`]) into a [`BlobSink`], which keeps kept layers and
//! unchanged runs of the squashed layer as `File.slice`s of the input; only new headers, the
//! config and the manifest are new bytes. The new layer must still be hashed (its diff_id), so
//! its bytes are read once: when they are all slices and new headers (an uncompressed
//! archive), by the sink from the assembled layer `Blob` with several asynchronous reads in
//! flight, so the browser reads while this thread hashes; otherwise (compressed layers'
//! contents, a gzipped archive) by the core through its decoders, the sink collecting them
//! into the Blob and yielding to the event loop every 64 MiB so the browser can collect the
//! read buffers (see docs/browser-io.md).
//!
//! Each Blob part costs about a millisecond (building, hashing and saving the Blob), so the
//! sink asks the core to coalesce ([`CostModel::CHROMIUM`]): runs of small unchanged entries
//! between new headers are read in a few large reads and become literal chunks, while large
//! files stay slices. A squashed layer of a million small files is then a few hundred parts
//! instead of tens of thousands (docs/performance.md).
//!
//! [`Analysis::emit_squash`]: layerlens_core::Analysis::emit_squash

use std::collections::VecDeque;

use js_sys::{Array, Promise, Uint8Array};
use layerlens_core::digest::{Digest, Hasher};
use layerlens_core::squash::{CostModel, Part, Parts, SquashSink};
use layerlens_core::Compression;
use layerlens_core::{Error, ErrorKind};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag};

use super::{plan, post, scope, PostProgress, Session};
use crate::protocol::{Event, Failure};

const CHUNK: usize = 16 << 20;

async fn yield_now() {
    let p = Promise::new(&mut |resolve, _| {
        let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
    });
    let _ = JsFuture::from(p).await;
}

fn sink_error(message: String) -> Error {
    Error::new(ErrorKind::Write(std::io::Error::other(message)))
}

/// Blob parts being gathered: literal bytes are batched into chunks.
struct Gather {
    parts: Array,
    pending: Vec<u8>,
    /// Parts of the Blob, counting those of a nested Blob.
    count: u32,
}

impl Gather {
    fn new() -> Self {
        Gather {
            parts: Array::new(),
            pending: Vec::new(),
            count: 0,
        }
    }
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
            self.count += 1;
        }
    }
    /// Appends a Blob of `count` parts.
    fn blob(&mut self, blob: &Blob, count: u32) {
        self.flush();
        self.parts.push(blob);
        self.count += count;
    }
    fn slice(&mut self, blob: &Blob, offset: u64, len: u64) -> Result<(), Error> {
        self.flush();
        let s = blob
            .slice_with_f64_and_f64(offset as f64, (offset + len) as f64)
            .map_err(|e| sink_error(format!("Blob.slice failed: {e:?}")))?;
        self.parts.push(&s);
        self.count += 1;
        Ok(())
    }
}

/// The output as Blob parts: archive ranges as slices of the input `File` when archive
/// offsets are file offsets (an uncompressed archive), everything else as bytes.
pub(super) struct BlobSink {
    file: Blob,
    sliceable: bool,
    out: Gather,
    /// The new layer, gathered apart while the sink hashes it itself.
    layer: Option<Gather>,
    progress: PostProgress,
    layer_size: u64,
}

impl BlobSink {
    /// A sink for one plain output (a file's bytes, a subtree's tar): no layer to hash.
    pub(super) fn plain(file: Blob, sliceable: bool) -> Self {
        BlobSink {
            file,
            sliceable,
            out: Gather::new(),
            layer: None,
            progress: PostProgress::new(),
            layer_size: 0,
        }
    }

    /// The gathered output as one `Blob` of type `mime`.
    pub(super) fn into_blob(self, mime: &str) -> Result<Blob, String> {
        let mut out = self.out;
        out.flush();
        let options = BlobPropertyBag::new();
        options.set_type(mime);
        Blob::new_with_blob_sequence_and_options(&out.parts, &options)
            .map_err(|e| format!("cannot assemble the download: {e:?}"))
    }
}

impl SquashSink for BlobSink {
    fn bytes(&mut self, bytes: &[u8]) -> layerlens_core::Result<()> {
        self.layer.as_mut().unwrap_or(&mut self.out).bytes(bytes);
        Ok(())
    }

    fn range(&mut self, offset: u64, len: u64) -> layerlens_core::Result<bool> {
        if !self.sliceable {
            return Ok(false);
        }
        let to = self.layer.as_mut().unwrap_or(&mut self.out);
        to.slice(&self.file, offset, len)?;
        Ok(true)
    }

    fn begin_layer(&mut self, parts: &Parts) -> bool {
        // Every byte a File slice or a new header: assemble the layer as a Blob and hash it
        // with reads the browser serves while the previous chunk is hashed.
        let from_file_only = self.sliceable
            && parts
                .as_slice()
                .iter()
                .all(|p| !matches!(p, Part::Decoded { .. }));
        if from_file_only {
            self.layer = Some(Gather::new());
        }
        from_file_only
    }

    async fn end_layer(&mut self) -> layerlens_core::Result<Option<Digest>> {
        let Some(mut layer) = self.layer.take() else {
            return Ok(None);
        };
        layer.flush();
        let count = layer.count;
        let layer = Blob::new_with_blob_sequence(&layer.parts)
            .map_err(|e| sink_error(format!("cannot assemble the new layer: {e:?}")))?;
        let digest = hash_blob(&layer, &mut self.progress, self.layer_size)
            .await
            .map_err(sink_error)?;
        self.out.blob(&layer, count);
        Ok(Some(digest))
    }

    async fn pause(&mut self) {
        yield_now().await;
    }

    fn coalesce(&self) -> Option<CostModel> {
        // Only slices cost parts; bytes that are not slices are literals anyway.
        self.sliceable.then_some(CostModel::CHROMIUM)
    }
}

/// Builds and posts the squashed image. A build that fails because the input file changed or
/// vanished on disk says so, whatever read noticed it first.
pub(crate) async fn build(s: &mut Session, from: usize, tags: Vec<String>) -> Result<(), Failure> {
    let file: Blob = s.file.clone().into();
    let name = s.file.name();
    let result = assemble(s, from, tags).await;
    if result.is_err() {
        if let Err(reason) = crate::input_check::still_readable(&file).await {
            return Err(crate::input_check::failure(&name, &reason).into());
        }
    }
    result
}

async fn assemble(s: &mut Session, from: usize, tags: Vec<String>) -> Result<(), Failure> {
    let started = js_sys::Date::now();
    let plan = plan(s, from, tags)?;
    let mut sink = BlobSink {
        file: s.file.clone().into(),
        sliceable: s.analysis.archive().compression() == Compression::None,
        out: Gather::new(),
        layer: None,
        progress: PostProgress::new(),
        layer_size: plan.layer_size,
    };
    let mut progress = PostProgress::new();
    let written = s
        .analysis
        .emit_squash(&plan, &mut sink, &mut progress)
        .await?;
    let mut out = sink.out;
    out.flush();
    let parts = out.count;
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
    // A compressed layer's size was an estimate until written.
    let planned = if plan.archive_size_exact {
        plan.archive_size
    } else {
        written.size
    };
    if size as u64 != planned || written.size != planned {
        return Err(format!(
            "internal error: planned {} bytes, assembled {}",
            plan.archive_size, size
        )
        .into());
    }
    // The download reads the input file again: refuse to offer one that cannot complete
    // (`build` turns this into the message).
    crate::input_check::still_readable(&sink.file).await?;
    progress.send("Writing", written.size, written.size, true);
    super::squash_options::written(&plan, &written);
    let name = download_name(plan.tags.first(), &s.file.name(), from);
    post(
        &Event::Built {
            name,
            size,
            image_id: written.image_id.to_string(),
            diff_id: written.diff_id.to_string(),
            millis: js_sys::Date::now() - started,
            parts,
        },
        Some(&blob),
    );
    Ok(())
}

/// The download's file name: the output's first tag (else the input's name) with the layer
/// the squash starts at, e.g. `app-latest-squashed.tar`, `app-latest-squashed-from-3.tar`.
/// Characters a file name should not carry (`/`, `:`, `@`, controls) become `-`.
pub(crate) fn download_name(tag: Option<&String>, input: &str, from: usize) -> String {
    let stem = match tag {
        Some(t) => t.as_str(),
        None => input
            .strip_suffix(".tar")
            .or_else(|| input.strip_suffix(".tar.gz"))
            .unwrap_or(input),
    };
    let mut safe: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if safe.trim_matches(['-', '.']).is_empty() {
        safe = "image".into();
    }
    match from {
        0 => format!("{safe}-squashed.tar"),
        n => format!("{safe}-squashed-from-{n}.tar"),
    }
}

/// Bytes of one asynchronous read of the new layer while it is hashed. Each read costs a
/// `Blob.slice` and an `arrayBuffer()` call whatever its size, and large reads keep the browser
/// ahead of the hashing: 16 MiB reads of `large` came at twice the rate of 4 MiB ones
/// (docs/performance.md, "The Build in the browser (session 8)").
const HASH_READ: usize = 16 << 20;
/// Reads in flight while one is hashed: the browser fetches them in its own process.
const HASH_AHEAD: usize = 3;
/// Bytes handed to the hasher at a time: copied out of the read's `ArrayBuffer` into wasm
/// memory just before they are hashed (still in cache), and small enough that V8, which swaps
/// in its optimised code for the SHA-256 compression only between calls, is not stuck in its
/// baseline code (~10× slower) for a whole read on the first call.
const HASH_PIECE: usize = 256 << 10;

/// What hashing a Blob took: for tests that keep the reads large and the hasher's calls small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HashCalls {
    reads: u32,
    updates: u32,
    largest_update: usize,
}

/// SHA-256 of a Blob, read in `HASH_READ`-sized chunks with `HASH_AHEAD` reads in flight: the
/// browser fetches the next chunks (in its own process) while this thread hashes, which the
/// synchronous `FileReaderSync` cannot do. Each await also lets the browser collect the read
/// buffers.
async fn hash_blob(blob: &Blob, progress: &mut PostProgress, total: u64) -> Result<Digest, String> {
    let (digest, _) = hash_blob_with(blob, |done| {
        progress.send("Hashing the new layer", done, total, false)
    })
    .await?;
    Ok(digest)
}

async fn hash_blob_with(
    blob: &Blob,
    mut hashed: impl FnMut(u64),
) -> Result<(Digest, HashCalls), String> {
    let size = blob.size() as u64;
    let mut hasher = Hasher::new();
    let mut calls = HashCalls {
        reads: 0,
        updates: 0,
        largest_update: 0,
    };
    let mut piece = vec![0u8; HASH_PIECE];
    let mut in_flight: VecDeque<(JsFuture, usize)> = VecDeque::with_capacity(HASH_AHEAD);
    let mut next = 0u64;
    let mut done = 0u64;
    loop {
        while in_flight.len() < HASH_AHEAD && next < size {
            let end = (next + HASH_READ as u64).min(size);
            let chunk = blob
                .slice_with_f64_and_f64(next as f64, end as f64)
                .map_err(|e| format!("Blob.slice failed: {e:?}"))?;
            in_flight.push_back((JsFuture::from(chunk.array_buffer()), (end - next) as usize));
            calls.reads += 1;
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
        let mut at = 0;
        while at < len {
            let n = HASH_PIECE.min(len - at);
            let piece = &mut piece[..n];
            bytes.subarray(at as u32, (at + n) as u32).copy_to(piece);
            hasher.update(piece);
            calls.updates += 1;
            calls.largest_update = calls.largest_update.max(n);
            at += n;
        }
        done += len as u64;
        hashed(done);
    }
    Ok((hasher.finish(), calls))
}

#[cfg(test)]
mod tests {
    use super::{download_name, hash_blob_with, HashCalls, HASH_PIECE, HASH_READ};
    use js_sys::{Array, Uint8Array};
    use layerlens_core::digest::Digest;
    use wasm_bindgen_test::wasm_bindgen_test;
    use web_sys::Blob;

    /// The new layer is hashed in large reads (few `slice` + `arrayBuffer` calls) handed to
    /// the hasher in small pieces (V8 swaps in optimised code only between calls), and the
    /// digest is that of every byte in order, across reads and the Blob's own parts.
    #[wasm_bindgen_test]
    async fn the_new_layer_is_hashed_in_large_reads_and_small_pieces() {
        const { assert!(HASH_READ >= 16 << 20, "reads of at least 16 MiB") };
        let size = 2 * HASH_READ + 12_345;
        let mut x = 0x9e37_79b9u32;
        let bytes: Vec<u8> = (0..size)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        // Parts that do not line up with the reads, like headers between File slices.
        let parts = Array::new();
        for range in [0..1_000_003, 1_000_003..HASH_READ + 7, HASH_READ + 7..size] {
            parts.push(&Uint8Array::from(&bytes[range]));
        }
        let blob = Blob::new_with_u8_array_sequence(&parts).unwrap();
        let mut reported = Vec::new();
        let (digest, calls) = hash_blob_with(&blob, |done| reported.push(done))
            .await
            .unwrap();
        assert_eq!(digest, Digest::of(&bytes));
        let per_read = HASH_READ.div_ceil(HASH_PIECE) as u32;
        assert_eq!(
            calls,
            HashCalls {
                reads: 3,
                updates: 2 * per_read + 1,
                largest_update: HASH_PIECE,
            }
        );
        const { assert!(HASH_PIECE <= 1 << 20, "pieces of at most 1 MiB") };
        let read = HASH_READ as u64;
        assert_eq!(reported, [read, 2 * read, size as u64]);
    }

    #[wasm_bindgen_test]
    fn download_names_come_from_the_tag_and_the_first_layer() {
        let tag = String::from("registry.example/app:latest");
        assert_eq!(
            download_name(Some(&tag), "x.tar", 3),
            "registry.example-app-latest-squashed-from-3.tar"
        );
        assert_eq!(
            download_name(None, "my image.tar", 0),
            "my-image-squashed.tar"
        );
        assert_eq!(download_name(None, "..", 0), "image-squashed.tar");
    }
}
