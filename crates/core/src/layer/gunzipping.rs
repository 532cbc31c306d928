//! Indexing a gzip layer whose compressed bytes are pushed in as they arrive. A browser worker
//! reads a `File` fastest with several asynchronous reads in flight, and a synchronous read at
//! a time left `large.oci`'s 943 MB layer waiting for its reads most of its 3 s; but the pull
//! parse ([`index_layer`]) cannot wait for a promise. Here the caller pushes each piece as it
//! arrives and calls [`Gunzipping::advance`], which inflates and parses as far as the bytes go
//! and keeps every state in between: the decoder's (flate2's gzip decoder stops cleanly where
//! its input runs out) and the tar parse's ([`Resumable`], over the inflated bytes, started
//! again at the header it stopped in). The index equals the pull parse's
//! ([`index_layer_stream`]) for the same blob; [`index_layer`] pushes gzip blobs through it
//! too, so the CLI indexes them as the browser does.
//!
//! Memory stays bounded: the contents of an entry the parse seeks past are inflated and
//! dropped, never kept; what is kept is the stretch from the header the parse would start
//! again at, and a parse pauses after inflating [`ROUND`] bytes so that stretch is dropped
//! between rounds.
//!
//! [`index_layer`]: super::index_layer
//! [`index_layer_stream`]: super::index_layer_stream

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use std::io::{self, BufRead, Read};

use flate2::bufread::MultiGzDecoder;

use super::index::{IndexOptions, LayerIndex};
use super::read::check_complete;
use super::resume::{Parsed, Resumable};
use crate::error::{Error, Result};
use crate::limits::{DecompressedLimit, LimitKind};
use crate::progress::{NoProgress, Stage};
use crate::source::Source;
use crate::stream::Compression;

/// Most bytes accepted after a layer's end-of-archive blocks (as [`index_layer`]).
///
/// [`index_layer`]: super::index_layer
const MAX_TRAILING: u64 = super::read::MAX_TRAILING;

/// Inflated bytes kept per parse round before it pauses (its parsed part is then dropped).
const ROUND: u64 = 8 << 20;

/// Bytes inflated per decoder call.
const CHUNK: usize = 256 << 10;

/// Dropped runs kept for reuse: a round keeps at most [`ROUND`] bytes, in runs of up to two
/// chunks.
const SPARE_RUNS: usize = (ROUND as usize) / CHUNK;

/// A gzip layer blob being indexed from pushed bytes.
pub struct Gunzipping {
    inflated: Inflated,
    stage: Step,
    blob_size: u64,
}

enum Step {
    /// Parsing the tar; `sized` once the stream's length has been given to the parse.
    Parsing { parse: Resumable, sized: bool },
    /// The tar has ended (its last entry's end, and the index); inflating what follows.
    Draining { last_end: u64, index: LayerIndex },
    /// Done or failed: nothing more to do.
    Over,
}

impl Gunzipping {
    /// Starts indexing a gzip layer blob of `blob_size` compressed bytes.
    pub fn new(blob_size: u64, options: &IndexOptions) -> Self {
        Gunzipping {
            inflated: Inflated::new(options.limits.max_decompressed),
            stage: Step::Parsing {
                parse: Resumable::unbounded(options),
                sized: false,
            },
            blob_size,
        }
    }

    /// Hands over the blob's next compressed bytes.
    pub fn push(&mut self, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            self.inflated.decoder.get_mut().pieces.push_back(bytes);
        }
    }

    /// A buffer to read the next piece into: a piece the decoder has used up, its bytes
    /// stale (its length is kept, so resizing it writes nothing), or a new one. Reusing them
    /// keeps a reader that pushes a piece at a time from asking the allocator for fresh,
    /// page-faulting memory for every piece (natively, 1.3 GB of pages on `large.oci`).
    pub fn spare(&mut self) -> Vec<u8> {
        self.inflated
            .decoder
            .get_mut()
            .spent
            .take()
            .unwrap_or_default()
    }

    /// Says that every byte of the blob has been pushed.
    pub fn end_input(&mut self) {
        self.inflated.decoder.get_mut().ended = true;
    }

    /// Compressed bytes pushed and not inflated yet.
    pub fn pending(&self) -> u64 {
        let feed = self.inflated.decoder.get_ref();
        let held: usize = feed.pieces.iter().map(Vec::len).sum();
        (held - feed.at) as u64
    }

    /// Inflates and parses as far as the bytes pushed go: `None` while it needs more (push
    /// them, or end the input), the index once the layer is indexed.
    ///
    /// # Errors
    /// As [`index_layer`](super::index_layer) for the same bytes: a malformed or truncated
    /// tar or gzip stream, a limit. After an error or the index, it stays over.
    pub fn advance(&mut self) -> Result<Option<LayerIndex>> {
        let result = self.run();
        if !matches!(result, Ok(None)) {
            self.stage = Step::Over;
        }
        result
    }

    fn run(&mut self) -> Result<Option<LayerIndex>> {
        loop {
            match core::mem::replace(&mut self.stage, Step::Over) {
                Step::Parsing {
                    mut parse,
                    mut sized,
                } => {
                    if let (false, Some(len)) = (sized, self.inflated.len()) {
                        parse.set_len(len);
                        self.inflated.told_len = true;
                        sized = true;
                    }
                    self.inflated.round_starts();
                    let step = parse.parse_on(
                        &mut self.inflated,
                        &mut NoProgress,
                        Stage::Indexing(0),
                        0,
                    )?;
                    match step {
                        Parsed::Done(index, last_end) => {
                            self.stage = Step::Draining { last_end, index }
                        }
                        Parsed::Needs(parse, _) => {
                            self.inflated.drop_before(parse.keep_from());
                            let starved = self.inflated.starved;
                            self.stage = Step::Parsing { parse, sized };
                            if starved {
                                return Ok(None);
                            }
                        }
                    }
                }
                Step::Draining {
                    last_end,
                    mut index,
                } => {
                    // Where the pull parse stopped reading: after the first zero block.
                    let tar_end = last_end + 512;
                    match self.inflated.drain(tar_end + MAX_TRAILING + 1)? {
                        None => {
                            self.stage = Step::Draining { last_end, index };
                            return Ok(None);
                        }
                        Some(total) if total > tar_end + MAX_TRAILING => {
                            return Err(Error::limit(
                                LimitKind::TrailingPadding { tar_end },
                                MAX_TRAILING,
                            ));
                        }
                        Some(total) => {
                            index.compression = Compression::Gzip;
                            index.blob_size = self.blob_size;
                            index.tar_size = total;
                            check_complete(&index)?;
                            return Ok(Some(index));
                        }
                    }
                }
                Step::Over => {
                    return Err(Error::from(io::Error::other(
                        "this layer's indexing is over: advanced after its index or error",
                    )))
                }
            }
        }
    }
}

/// The compressed bytes pushed so far, read by the decoder as a [`BufRead`]: where they run
/// out before the end it fails with [`io::ErrorKind::WouldBlock`], which flate2's decoders
/// stop at without losing their place.
#[derive(Default)]
struct Feed {
    pieces: VecDeque<Vec<u8>>,
    /// Bytes of the first piece already read.
    at: usize,
    ended: bool,
    /// The last piece used up, for [`Gunzipping::spare`].
    spent: Option<Vec<u8>>,
}

impl Read for Feed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let have = self.fill_buf()?;
            let n = have.len().min(buf.len());
            buf[..n].copy_from_slice(&have[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Feed {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pieces.front().is_some_and(|p| self.at >= p.len()) {
            self.spent = self.pieces.pop_front();
            self.at = 0;
        }
        match self.pieces.front() {
            Some(piece) => Ok(&piece[self.at..]),
            None if self.ended => Ok(&[]),
            None => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn consume(&mut self, amount: usize) {
        self.at += amount;
    }
}

/// The inflated stream as a [`Source`] for the tar parse, at stream offsets: inflated on
/// demand, contents the parse seeks past dropped as they come, and
/// [`io::ErrorKind::WouldBlock`] where the compressed bytes ran out, the round's bytes are
/// used up, or the stream just ended (the parse is then told its length).
struct Inflated {
    decoder: MultiGzDecoder<Feed>,
    /// Inflated bytes kept, each run at its stream offset, in order (gaps where dropped).
    kept: VecDeque<(u64, Vec<u8>)>,
    /// Bytes inflated so far.
    total: u64,
    /// The stream has ended at `total`.
    ended: bool,
    /// The parse has been told the stream's length.
    told_len: bool,
    /// The decoder failed: every later read fails the same way.
    failed: Option<Failure>,
    /// The last read lacked compressed bytes.
    starved: bool,
    /// Bytes kept in this round.
    round: u64,
    /// Bytes kept now, and the most kept at once (for the memory bound's test).
    kept_bytes: u64,
    peak_kept: u64,
    limit: u64,
    /// The buffer contents sought past are inflated into.
    scratch: Vec<u8>,
    /// Runs dropped by the parse, reused for the next kept chunks (fresh 256 KiB buffers
    /// cost a page fault every 4 KiB natively).
    spare_runs: Vec<Vec<u8>>,
}

/// A decoder failure, kept to be told again (the decoder itself reports it once).
#[derive(Clone)]
enum Failure {
    Limit(u64),
    Io(io::ErrorKind, String),
}

impl Failure {
    fn error(&self) -> io::Error {
        match self {
            Failure::Limit(limit) => io::Error::other(DecompressedLimit(*limit)),
            Failure::Io(kind, message) => io::Error::new(*kind, message.clone()),
        }
    }
}

impl Inflated {
    fn new(limit: u64) -> Self {
        Inflated {
            decoder: MultiGzDecoder::new(Feed::default()),
            kept: VecDeque::new(),
            total: 0,
            ended: false,
            told_len: false,
            failed: None,
            starved: false,
            round: 0,
            kept_bytes: 0,
            peak_kept: 0,
            limit,
            scratch: Vec::new(),
            spare_runs: Vec::new(),
        }
    }

    /// The stream's length, once it has ended.
    fn len(&self) -> Option<u64> {
        self.ended.then_some(self.total)
    }

    fn round_starts(&mut self) {
        self.round = 0;
        self.starved = false;
    }

    /// Forgets the bytes before `at`.
    fn drop_before(&mut self, at: u64) {
        while let Some((start, run)) = self.kept.front_mut() {
            let end = *start + run.len() as u64;
            if end <= at {
                self.kept_bytes -= run.len() as u64;
                if let Some((_, run)) = self.kept.pop_front() {
                    if self.spare_runs.len() < SPARE_RUNS {
                        self.spare_runs.push(run);
                    }
                }
            } else {
                if *start < at {
                    let n = (at - *start) as usize;
                    run.drain(..n);
                    self.kept_bytes -= n as u64;
                    *start = at;
                }
                break;
            }
        }
    }

    /// Inflates on, dropping everything, until the stream ends or reaches `stop` bytes: its
    /// length then, `None` where the compressed bytes ran out first.
    fn drain(&mut self, stop: u64) -> Result<Option<u64>> {
        self.kept.clear();
        self.kept_bytes = 0;
        while !self.ended && self.total < stop {
            match self.inflate(true) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Some(self.total))
    }

    /// Inflates the next chunk: kept, or dropped when `drop` (contents being sought past).
    fn inflate(&mut self, drop: bool) -> io::Result<()> {
        if let Some(failure) = &self.failed {
            return Err(failure.error());
        }
        let mut run = if drop {
            core::mem::take(&mut self.scratch)
        } else {
            self.spare_runs.pop().unwrap_or_default()
        };
        run.resize(CHUNK, 0);
        let read = read_retrying(&mut self.decoder, &mut run);
        let n = match read {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.starved = true;
                if drop {
                    self.scratch = run;
                }
                return Err(e);
            }
            Err(e) => {
                let failure = Failure::Io(e.kind(), alloc::format!("{e}"));
                self.failed = Some(failure);
                return Err(e);
            }
        };
        if n == 0 {
            self.ended = true;
        } else {
            let start = self.total;
            self.total += n as u64;
            if self.total > self.limit {
                self.failed = Some(Failure::Limit(self.limit));
                return Err(io::Error::other(DecompressedLimit(self.limit)));
            }
            if drop {
                self.scratch = run;
            } else {
                run.truncate(n);
                self.round += n as u64;
                self.kept_bytes += n as u64;
                self.peak_kept = self.peak_kept.max(self.kept_bytes);
                match self.kept.back_mut() {
                    Some((s, last)) if *s + last.len() as u64 == start && last.len() < CHUNK => {
                        last.extend_from_slice(&run);
                        if self.spare_runs.len() < SPARE_RUNS {
                            self.spare_runs.push(run);
                        }
                    }
                    _ => self.kept.push_back((start, run)),
                }
            }
        }
        Ok(())
    }
}

/// A read that retries when interrupted.
fn read_retrying(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

impl Source for Inflated {
    fn size(&mut self) -> io::Result<u64> {
        Ok(self.total)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some((start, run)) = self
                .kept
                .iter()
                .find(|(s, r)| *s <= offset && offset < *s + r.len() as u64)
            {
                let from = (offset - start) as usize;
                let n = (run.len() - from).min(buf.len());
                buf[..n].copy_from_slice(&run[from..from + n]);
                return Ok(n);
            }
            if offset < self.total {
                // Dropped: the parse never goes back past the header it would start again at.
                return Err(io::Error::other(alloc::format!(
                    "the inflated bytes at {offset} were dropped before the tar parse read them"
                )));
            }
            if self.ended {
                // The parse is stopped to learn the stream's length, then reads to it only.
                return match self.told_len {
                    false => Err(io::ErrorKind::WouldBlock.into()),
                    true => Ok(0),
                };
            }
            if self.round >= ROUND {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            // Contents sought past (everything before `offset`) are inflated and dropped.
            let seeking = self.total + CHUNK as u64 <= offset;
            self.inflate(seeking)?;
        }
    }

    fn max_read_ahead(&self) -> usize {
        crate::source::READ_AHEAD
    }
}

#[cfg(test)]
mod tests {
    use alloc::format;
    use alloc::string::String;
    use alloc::vec::Vec;
    use std::io::Write;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::layer::{index_layer, index_layer_stream};
    use crate::testing::LayerBuilder;
    use crate::NoProgress;

    /// Indexes `blob` pushed `steps` bytes at a time (cycled), advancing after each push: the
    /// outcome as text (errors included), the advances that needed more, and the most
    /// inflated bytes kept at once.
    fn pushed(blob: &[u8], steps: &[usize], options: &IndexOptions) -> (String, usize, u64) {
        let mut g = Gunzipping::new(blob.len() as u64, options);
        let (mut at, mut waits, mut i) = (0, 0, 0);
        let outcome = loop {
            if at < blob.len() {
                let n = steps[i % steps.len()].min(blob.len() - at);
                g.push(blob[at..at + n].to_vec());
                at += n;
                i += 1;
            } else {
                g.end_input();
            }
            match g.advance() {
                Ok(Some(index)) => break format!("{index:?}"),
                Ok(None) if at == blob.len() && g.inflated.decoder.get_ref().ended => {
                    panic!("needs more after the input ended")
                }
                Ok(None) => waits += 1,
                Err(e) => break format!("{e}"),
            }
        };
        (outcome, waits, g.inflated.peak_kept)
    }

    /// The pull parse's outcome (the tar crate reading through flate2's decoder), as text.
    fn whole(blob: &[u8], options: &IndexOptions) -> String {
        match index_layer_stream(blob, blob.len() as u64, options) {
            Ok(index) => format!("{index:?}"),
            Err(e) => format!("{e}"),
        }
    }

    /// `index_layer` (which pushes a gzip blob through `Gunzipping` a MiB at a time) agrees.
    fn by_offset(blob: &[u8], options: &IndexOptions) -> String {
        match index_layer(
            blob,
            0,
            blob.len() as u64,
            options,
            &mut NoProgress,
            Stage::Indexing(0),
            0,
        ) {
            Ok(index) => format!("{index:?}"),
            Err(e) => format!("{e}"),
        }
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    const STEPS: [&[usize]; 3] = [&[usize::MAX], &[1, 7, 512, 3000, 65_536], &[16 << 20]];

    /// Every gzip layer of every fixture archive, pushed in pieces of very different sizes,
    /// gives exactly `index_layer`'s index.
    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn pushes_index_as_a_whole() {
        let mut layers = 0;
        for file in crate::testing::fixture_archives() {
            let all = std::fs::read(&file).unwrap();
            let Ok(listed) = crate::Indexed::list(
                all.as_slice(),
                &crate::ImagePick::default(),
                crate::Limits::default(),
                &mut NoProgress,
            ) else {
                continue;
            };
            for blob in listed.blobs() {
                let bytes = &all[blob.offset as usize..(blob.offset + blob.size) as usize];
                if Compression::detect(&bytes[..bytes.len().min(4)]) != Compression::Gzip {
                    continue;
                }
                let expected = whole(bytes, &IndexOptions::default());
                assert_eq!(by_offset(bytes, &IndexOptions::default()), expected);
                for steps in STEPS {
                    let (got, _, _) = pushed(bytes, steps, &IndexOptions::default());
                    assert_eq!(got, expected, "{} {}", file.display(), blob.member);
                }
                layers += 1;
            }
        }
        assert!(layers >= 10, "only {layers} gzip layers found");
    }

    /// Many entries, several gzip members (as eStargz writes), a big file sought past and
    /// long names: the same index, parsed over many rounds, with a big file's contents
    /// never held.
    #[test]
    fn many_entries_members_and_a_big_file() {
        let mut first = LayerBuilder::new().file("big/zeros", &alloc::vec![0u8; 24 << 20]);
        for i in 0..3000 {
            first.file_mode(
                &format!("d{}/{}/f-{i}", i % 7, "x".repeat(i % 150)),
                b"abc",
                0o640,
            );
        }
        let tar = first.build();
        // Cut the tar between two headers' worth of bytes into two gzip members.
        let cut = tar.len() / 3;
        let mut blob = gzip(&tar[..cut]);
        blob.extend_from_slice(&gzip(&tar[cut..]));
        let expected = whole(&blob, &IndexOptions::default());
        assert!(expected.contains("f-2999"), "{}", &expected[..200]);
        assert_eq!(by_offset(&blob, &IndexOptions::default()), expected);
        for steps in STEPS {
            let (got, waits, peak) = pushed(&blob, steps, &IndexOptions::default());
            assert_eq!(got, expected);
            assert!(peak <= 2 * ROUND, "kept {peak} inflated bytes at once");
            if steps[0] == 1 {
                assert!(waits > 20, "the pushes hardly split: {waits}");
            }
        }
    }

    /// A reader that reads each piece into [`Gunzipping::spare`] gets the same index with a
    /// couple of new buffers in all (natively a fresh buffer per piece page-faulted 1.3 GB of
    /// pages into being on `large.oci`).
    #[test]
    fn pieces_read_into_spares_reuse_their_buffers() {
        let mut layer = LayerBuilder::new().file("big/zeros", &alloc::vec![0u8; 3 << 20]);
        for i in 0..2000 {
            layer.file_mode(&format!("d{}/f-{i}", i % 9), b"abc", 0o600);
        }
        let blob = gzip(&layer.build());
        let expected = whole(&blob, &IndexOptions::default());
        let mut g = Gunzipping::new(blob.len() as u64, &IndexOptions::default());
        // Buffers `spare` handed out new (empty) rather than used up.
        let mut fresh = 0;
        let piece = 256;
        let got = 'index: {
            for chunk in blob.chunks(piece) {
                let mut buf = g.spare();
                if buf.capacity() == 0 {
                    fresh += 1;
                }
                buf.resize(piece, 0);
                buf.truncate(chunk.len());
                buf.copy_from_slice(chunk);
                g.push(buf);
                if let Some(index) = g.advance().unwrap() {
                    break 'index format!("{index:?}");
                }
            }
            g.end_input();
            format!("{:?}", g.advance().unwrap().expect("indexed at the end"))
        };
        assert_eq!(got, expected);
        assert!(blob.len() > 20 * piece);
        assert!(fresh <= 2, "{fresh} new buffers");
    }

    /// Broken and hostile streams fail as they do whole: cut short, a bad checksum, a
    /// decompression bomb past the limit, endless padding after the tar, not gzip inside.
    #[test]
    fn broken_streams_fail_as_whole() {
        let tar = LayerBuilder::new()
            .file("a", &[1u8; 5000])
            .file("b", b"bee")
            .build();
        let good = gzip(&tar);
        let mut cases: Vec<(&str, Vec<u8>, IndexOptions)> = Vec::new();
        let defaults = IndexOptions::default();
        cases.push(("cut short", good[..good.len() / 2].to_vec(), defaults));
        cases.push((
            "cut in the trailer",
            good[..good.len() - 3].to_vec(),
            defaults,
        ));
        let mut crc = good.clone();
        let at = crc.len() - 8;
        crc[at] ^= 0xff;
        cases.push(("bad crc", crc, defaults));
        let mut tight = IndexOptions::default();
        tight.limits.max_decompressed = 4096;
        cases.push(("over the limit", good.clone(), tight));
        let mut padded = tar.clone();
        padded.extend_from_slice(&alloc::vec![0u8; (MAX_TRAILING + (1 << 20)) as usize]);
        cases.push(("endless padding", gzip(&padded), defaults));
        cases.push(("not a tar", gzip(&[7u8; 3000]), defaults));
        cases.push(("empty stream", gzip(&[]), defaults));
        let mut garbage = good.clone();
        garbage.extend_from_slice(b"not gzip at all");
        cases.push(("garbage after", garbage, defaults));
        for (what, blob, options) in cases {
            let expected = whole(&blob, &options);
            assert_eq!(by_offset(&blob, &options), expected, "{what}");
            for steps in STEPS {
                let (got, _, _) = pushed(&blob, steps, &options);
                assert_eq!(got, expected, "{what}");
            }
        }
    }

    /// Advancing after the end is an error, not a second index.
    #[test]
    fn over_after_the_index() {
        let blob = gzip(&LayerBuilder::new().file("a", b"x").build());
        let mut g = Gunzipping::new(blob.len() as u64, &IndexOptions::default());
        g.push(blob);
        g.end_input();
        assert!(g.advance().unwrap().is_some());
        assert!(g.advance().is_err());
    }
}
