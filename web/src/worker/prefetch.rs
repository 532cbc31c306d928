//! A layer indexed while its next bytes are read (uncompressed, and gzip: [`index_gzip`]): `FileReaderSync` reads one
//! window at a time and the parse waits for each (on `large`'s 154 MB, 101,102-entry layer,
//! reads were 60–75 % of the time), while `Blob.arrayBuffer()` reads run in the browser's own
//! process with several in flight. The parse cannot wait for a promise, so it is resumable
//! ([`Resumable`]): it runs over the pieces that have arrived and stops where one has not;
//! this loop keeps reads in flight ahead of it and starts it again when the piece is there.
//!
//! Where the parse jumps (seeking past a large file), reads made ahead are wasted: the read
//! ahead starts small after a jump and doubles while the parse keeps reading on, as the
//! core's read-ahead window does for `FileReaderSync`.

use std::collections::VecDeque;
use std::io;

use js_sys::Uint8Array;
use layerlens_core::layer::{
    index_layer, Gunzipping, IndexOptions, LayerIndex, Resumable, Resumed,
};
use layerlens_core::{Compression, Error, ErrorKind, Progress, ReadFailed, Source, Stage};
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

use super::BlobSource;

/// How reads are made.
#[derive(Debug, Clone, Copy)]
struct ReadPlan {
    /// Largest read.
    piece: u64,
    /// Reads in flight at most.
    in_flight: usize,
    /// Bytes read ahead after a jump (doubling up to `piece × in_flight`).
    first_ahead: u64,
}

/// 16 MiB reads, 3 in flight: the browser's fastest (docs/browser-io.md).
const BROWSER: ReadPlan = ReadPlan {
    piece: 16 << 20,
    in_flight: 3,
    first_ahead: 1 << 20,
};

/// How the reads went, for tests: that the parse was resumed and reads overlapped it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    pub reads: u32,
    pub resumes: u32,
    /// Bytes read.
    pub bytes: u64,
    /// Bytes asked for ahead and not used: the parse jumped past them.
    pub wasted: u64,
}

/// Indexes the layer blob at `[offset, offset + len)` of `file`: uncompressed and gzip ones
/// with reads in flight while they are parsed, zstd ones through `FileReaderSync` one read at
/// a time (the zstd decoder cannot stop where its input runs out).
///
/// # Errors
/// As [`layerlens_core::layer::index_layer`], and a failed read.
pub async fn index_blob(
    file: &Blob,
    offset: u64,
    len: u64,
    options: &IndexOptions,
    progress: &mut dyn Progress,
    stage: Stage,
    total: u64,
) -> Result<LayerIndex, Error> {
    let mut source = BlobSource::new(file.clone())?;
    let mut magic = [0u8; 4];
    let got = source.read_at(offset, &mut magic[..(len.min(4) as usize)])?;
    match Compression::detect(&magic[..got]) {
        Compression::None => index_uncompressed(file, offset, len, options, progress, stage, total)
            .await
            .map(|(index, _)| index),
        Compression::Gzip => index_gzip(file, offset, len, options, progress, stage, total).await,
        Compression::Zstd => index_layer(source, offset, len, options, progress, stage, total),
    }
}

/// Indexes the uncompressed layer at `[offset, offset + len)` of `file`.
///
/// # Errors
/// As [`layerlens_core::layer::index_layer`], and a failed read.
pub async fn index_uncompressed(
    file: &Blob,
    offset: u64,
    len: u64,
    options: &IndexOptions,
    progress: &mut dyn Progress,
    stage: Stage,
    total: u64,
) -> Result<(LayerIndex, Reads), Error> {
    index_with(file, offset, len, options, progress, stage, total, BROWSER).await
}

#[allow(clippy::too_many_arguments)]
async fn index_with(
    file: &Blob,
    offset: u64,
    len: u64,
    options: &IndexOptions,
    progress: &mut dyn Progress,
    stage: Stage,
    total: u64,
    plan: ReadPlan,
) -> Result<(LayerIndex, Reads), Error> {
    let max_ahead = plan.piece * plan.in_flight as u64;
    let end = offset + len;
    let mut reads = Reads::default();
    let mut pieces = Pieces::default();
    let mut in_flight: VecDeque<(u64, u64, JsFuture)> = VecDeque::new();
    let mut next = offset;
    let mut ahead = plan.first_ahead;
    let mut need = offset;
    let mut state = Resumable::new(offset, len, options);
    loop {
        // Reads cover `ahead` bytes past what the parse needs.
        while in_flight.len() < plan.in_flight && next < end && next < need + ahead {
            let stop = (next + plan.piece.min(ahead)).min(end);
            let slice = file
                .slice_with_f64_and_f64(next as f64, stop as f64)
                .map_err(|e| read_failed(format!("Blob.slice failed: {e:?}")))?;
            in_flight.push_back((next, stop, JsFuture::from(slice.array_buffer())));
            reads.reads += 1;
            reads.bytes += stop - next;
            next = stop;
        }
        while !pieces.has(need) {
            let Some((start, stop, read)) = in_flight.pop_front() else {
                return Err(read_failed(format!(
                    "indexing stopped at byte {need}, which was never read"
                )));
            };
            let bytes = read
                .await
                .map_err(|e| read_failed(format!("reading the file failed: {e:?}")))?;
            let bytes = Uint8Array::new(&bytes);
            if u64::from(bytes.length()) != stop - start {
                return Err(read_failed(format!(
                    "reading the file failed: asked for {} bytes, got {}",
                    stop - start,
                    bytes.length()
                )));
            }
            pieces.push(start, bytes);
        }
        match state.resume(&mut pieces, progress, stage, total)? {
            Resumed::Done(index) => {
                reads.wasted += in_flight.iter().map(|(s, e, _)| e - s).sum::<u64>();
                return Ok((index, reads));
            }
            Resumed::Needs(resumable, at) => {
                reads.resumes += 1;
                let keep_from = resumable.keep_from();
                pieces.drop_before(keep_from);
                // The parse starts again at `keep_from` and reads on to `at`: the pieces hold
                // what is between, unless it jumped there from a header just read.
                let from = if keep_from == at || pieces.has(keep_from) {
                    at
                } else {
                    keep_from
                };
                let asked = in_flight.iter().any(|(s, e, _)| *s <= from && from < *e);
                if pieces.has(from) || asked {
                    ahead = (ahead * 2).min(max_ahead);
                } else {
                    // Past (or before) everything read or asked for: what is in flight is
                    // wasted; the read ahead keeps growing only over a short skip.
                    reads.wasted += in_flight.iter().map(|(s, e, _)| e - s).sum::<u64>();
                    in_flight.clear();
                    ahead = if from >= next && from - next < ahead {
                        (ahead * 2).min(max_ahead)
                    } else {
                        plan.first_ahead
                    };
                    next = from;
                }
                need = from;
                state = resumable;
            }
        }
    }
}

/// Indexes the gzip layer at `[offset, offset + len)` of `file`: its bytes are read front to
/// back with reads in flight ahead of the inflate and parse ([`Gunzipping`]), instead of one
/// `FileReaderSync` read at a time (which left `large.oci`'s 943 MB layer waiting for its
/// reads most of its time).
///
/// # Errors
/// As [`layerlens_core::layer::index_layer`], a failed read, and a cancel.
pub async fn index_gzip(
    file: &Blob,
    offset: u64,
    len: u64,
    options: &IndexOptions,
    progress: &mut dyn Progress,
    stage: Stage,
    total: u64,
) -> Result<LayerIndex, Error> {
    index_gzip_with(file, offset, len, options, progress, stage, total, BROWSER).await
}

#[allow(clippy::too_many_arguments)]
async fn index_gzip_with(
    file: &Blob,
    offset: u64,
    len: u64,
    options: &IndexOptions,
    progress: &mut dyn Progress,
    stage: Stage,
    total: u64,
    plan: ReadPlan,
) -> Result<LayerIndex, Error> {
    let end = offset + len;
    let mut state = Gunzipping::new(len, options);
    let mut in_flight: VecDeque<(u64, u64, JsFuture)> = VecDeque::new();
    let mut next = offset;
    loop {
        while in_flight.len() < plan.in_flight && next < end {
            let stop = (next + plan.piece).min(end);
            let slice = file
                .slice_with_f64_and_f64(next as f64, stop as f64)
                .map_err(|e| read_failed(format!("Blob.slice failed: {e:?}")))?;
            in_flight.push_back((next, stop, JsFuture::from(slice.array_buffer())));
            next = stop;
        }
        let Some((start, stop, read)) = in_flight.pop_front() else {
            // Nothing left to read (an empty blob): the stream ends here.
            state.end_input();
            return state.advance()?.ok_or_else(|| {
                read_failed("the gzip stream needs bytes past the layer's end".into())
            });
        };
        let bytes = read
            .await
            .map_err(|e| read_failed(format!("reading the file failed: {e:?}")))?;
        let bytes = Uint8Array::new(&bytes);
        if u64::from(bytes.length()) != stop - start {
            return Err(read_failed(format!(
                "reading the file failed: asked for {} bytes, got {}",
                stop - start,
                bytes.length()
            )));
        }
        state.push(bytes.to_vec());
        if stop == end {
            state.end_input();
        }
        if !progress.update(stage, stop, total) {
            return Err(ErrorKind::Cancelled.into());
        }
        if let Some(index) = state.advance()? {
            return Ok(index);
        }
    }
}

fn read_failed(message: String) -> Error {
    Error::from(io::Error::other(ReadFailed(message)))
}

/// Consecutive pieces of the file that have arrived.
#[derive(Default)]
struct Pieces {
    list: VecDeque<(u64, Uint8Array)>,
}

impl Pieces {
    fn end_of(start: u64, bytes: &Uint8Array) -> u64 {
        start + u64::from(bytes.length())
    }

    fn has(&self, at: u64) -> bool {
        self.list
            .iter()
            .any(|(s, b)| *s <= at && at < Self::end_of(*s, b))
    }

    /// Adds the piece that follows the last (a piece after a gap replaces them all).
    fn push(&mut self, start: u64, bytes: Uint8Array) {
        if self
            .list
            .back()
            .is_some_and(|(s, b)| Self::end_of(*s, b) != start)
        {
            self.list.clear();
        }
        self.list.push_back((start, bytes));
    }

    fn drop_before(&mut self, at: u64) {
        while self
            .list
            .front()
            .is_some_and(|(s, b)| Self::end_of(*s, b) <= at)
        {
            self.list.pop_front();
        }
    }
}

impl Source for Pieces {
    fn size(&mut self) -> io::Result<u64> {
        Ok(self.list.back().map_or(0, |(s, b)| Self::end_of(*s, b)))
    }

    /// Copies from the piece holding `offset` (a short read at its end; the caller reads on
    /// into the next); bytes not there yet are [`io::ErrorKind::WouldBlock`].
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let Some((start, bytes)) = self
            .list
            .iter()
            .find(|(s, b)| *s <= offset && offset < Self::end_of(*s, b))
        else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        let from = (offset - start) as u32;
        let n = (bytes.length() - from).min(buf.len() as u32);
        bytes
            .subarray(from, from + n)
            .copy_to(&mut buf[..n as usize]);
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::{index_gzip_with, index_with, ReadPlan, Reads};
    use js_sys::{Array, Uint8Array};
    use layerlens_core::layer::{index_layer, IndexOptions};
    use layerlens_core::{NoProgress, Stage};
    use std::io::Write;
    use wasm_bindgen_test::wasm_bindgen_test;
    use web_sys::Blob;

    fn append(b: &mut tar::Builder<Vec<u8>>, path: &str, size: usize) {
        let mut h = tar::Header::new_gnu();
        h.set_size(size as u64);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1);
        h.set_cksum();
        b.append_data(&mut h, path, &vec![1u8; size][..]).unwrap();
    }

    /// A layer of small files, then a large one, then small ones again, behind 1,000 bytes of
    /// something else in the Blob, read in small pieces: the index equals `index_layer`'s over
    /// the same bytes; the parse was resumed as pieces arrived, several reads were in flight
    /// through the small files, and most of the large file was never read.
    #[wasm_bindgen_test]
    async fn an_uncompressed_layer_indexes_as_its_pieces_arrive() {
        let plan = ReadPlan {
            piece: 64 << 10,
            in_flight: 3,
            first_ahead: 8 << 10,
        };
        let mut b = tar::Builder::new(Vec::new());
        for i in 0..2_000 {
            append(&mut b, &format!("small/{i}"), 1500);
        }
        let large = 40 * plan.piece;
        append(&mut b, "large", large as usize);
        for i in 0..100 {
            append(&mut b, &format!("after/{i}"), 10);
        }
        let layer = b.into_inner().unwrap();
        let mut all = vec![0u8; 1000];
        all.extend_from_slice(&layer);
        let parts = Array::new();
        parts.push(&Uint8Array::from(&all[..]));
        let blob = Blob::new_with_u8_array_sequence(&parts).unwrap();
        let len = layer.len() as u64;
        let options = IndexOptions::default();
        let stage = Stage::Indexing(0);
        let (index, reads) =
            index_with(&blob, 1000, len, &options, &mut NoProgress, stage, 0, plan)
                .await
                .unwrap();
        let whole = index_layer(
            all.as_slice(),
            1000,
            len,
            &options,
            &mut NoProgress,
            stage,
            0,
        )
        .unwrap();
        assert_eq!(format!("{index:?}"), format!("{whole:?}"));
        assert_eq!(index.entries.len(), 2_101);
        let Reads {
            reads,
            resumes,
            bytes,
            wasted,
        } = reads;
        assert!(resumes >= 10, "resumed {resumes} times");
        assert!(
            reads > resumes,
            "{reads} reads for {resumes} resumes: none ahead"
        );
        assert!(bytes < len - large / 2, "read {bytes} of {len} bytes");
        assert!(
            wasted <= plan.piece * 3,
            "{wasted} bytes read ahead for nothing"
        );
    }

    /// A gzip layer (two members, small files around a large one) behind 1,000 bytes of
    /// something else in the Blob, read 64 KiB at a time: the index equals `index_layer`'s.
    #[wasm_bindgen_test]
    async fn a_gzip_layer_indexes_as_its_pieces_arrive() {
        let plan = ReadPlan {
            piece: 64 << 10,
            in_flight: 3,
            first_ahead: 8 << 10,
        };
        let mut b = tar::Builder::new(Vec::new());
        for i in 0..2_000 {
            append(&mut b, &format!("small/{i}"), 1500);
        }
        // Bytes that do not compress, so the layer takes many reads.
        let mut x = 1u32;
        let noise: Vec<u8> = (0..3 << 20)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 24) as u8
            })
            .collect();
        let mut h = tar::Header::new_gnu();
        h.set_size(noise.len() as u64);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1);
        h.set_cksum();
        b.append_data(&mut h, "large", &noise[..]).unwrap();
        for i in 0..100 {
            append(&mut b, &format!("after/{i}"), 10);
        }
        let tar = b.into_inner().unwrap();
        let gzip = |bytes: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        };
        let mut layer = gzip(&tar[..tar.len() / 2]);
        layer.extend_from_slice(&gzip(&tar[tar.len() / 2..]));
        let mut all = vec![0u8; 1000];
        all.extend_from_slice(&layer);
        let parts = Array::new();
        parts.push(&Uint8Array::from(&all[..]));
        let blob = Blob::new_with_u8_array_sequence(&parts).unwrap();
        let len = layer.len() as u64;
        assert!(len > 4 * plan.piece, "{len} bytes: too few reads");
        let options = IndexOptions::default();
        let stage = Stage::Indexing(0);
        let index = index_gzip_with(&blob, 1000, len, &options, &mut NoProgress, stage, 0, plan)
            .await
            .unwrap();
        let whole = index_layer(
            all.as_slice(),
            1000,
            len,
            &options,
            &mut NoProgress,
            stage,
            0,
        )
        .unwrap();
        assert_eq!(format!("{index:?}"), format!("{whole:?}"));
        assert_eq!(index.entries.len(), 2_101);
    }
}
