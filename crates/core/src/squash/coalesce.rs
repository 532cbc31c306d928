//! Fewer, larger parts for a host where every part costs: a browser `Blob` pays about a
//! millisecond for each part (building it, reading it back to hash the layer, saving it),
//! so a squashed layer of a million small files, whose unchanged runs are cut short by every
//! overwritten or deleted entry, made a Blob of 87,000 parts. Here a run of small archive
//! ranges, with the new headers between them, becomes one literal when copying its bytes
//! costs less than the parts it saves: the ranges are read in a few large reads (a read call
//! costs too) and copied into literal chunks handed on as they fill. Large ranges stay
//! references, so big contents are never copied and memory stays bounded by one read window
//! and one chunk. The bytes are the same either way; only their packaging changes.
//!
//! Pure policy over a [`Source`] the host supplies; the constants are the host's
//! ([`CostModel::CHROMIUM`], measured by `bench/blob_costs.mjs`, docs/browser-io.md).

use alloc::vec::Vec;
use std::io;

use super::part::Part;
use crate::error::{Error, Result};
use crate::source::Source;

/// What a host pays for parts, copied bytes and reads, from which [`Coalesce`] decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostModel {
    /// One more part in the output, in ns.
    pub part_ns: u64,
    /// One byte copied into a literal (copied, stored, read back), in ps.
    pub copy_byte_ps: u64,
    /// One read call on the source, in ns.
    pub read_call_ns: u64,
    /// One byte read from the source, in ps (the bytes between the copied ranges, which a
    /// read brings in too, included).
    pub read_byte_ps: u64,
    /// Most bytes one read brings in; no longer range is ever copied.
    pub window: usize,
    /// A literal is handed on once it holds this many bytes.
    pub chunk: usize,
    /// Most bytes copied in all: past it every range stays a reference. Copied bytes are
    /// held by the host (a browser keeps a Blob's bytes in memory, and a private window
    /// refuses Blobs past its limit), slices are not.
    pub max_copied: u64,
}

impl CostModel {
    /// Chromium's costs for the app's worker: a Blob part ~1 ms (build and read back), a
    /// copied byte ~20 ns, a `FileReaderSync` call ~1 ms and ~7 ns a byte (bench/blob_costs.mjs;
    /// figures in docs/browser-io.md). Reads of 4 MiB, literal chunks of 4 MiB, at most
    /// 1 GiB copied (e1m copies 390 MB).
    pub const CHROMIUM: CostModel = CostModel {
        part_ns: 1_000_000,
        copy_byte_ps: 20_000,
        read_call_ns: 1_000_000,
        read_byte_ps: 7_000,
        window: 4 << 20,
        chunk: 4 << 20,
        max_copied: 1 << 30,
    };

    /// What keeping a range of `len` bytes as a reference costs against copying it, reads
    /// aside, in ns (positive: copying is cheaper). A reference is a part of its own and
    /// splits the literal around it in two.
    fn saving_ns(&self, len: u64) -> i128 {
        2 * i128::from(self.part_ns) - i128::from(len) * i128::from(self.copy_byte_ps) / 1000
    }

    /// Whether a range of `len` bytes is worth copying once its bytes are at hand.
    fn worth_copying(&self, len: u64) -> bool {
        len <= self.window as u64 && self.saving_ns(len) > 0
    }

    /// The cost of one read of `len` bytes, in ns.
    fn read_ns(&self, len: u64) -> i128 {
        i128::from(self.read_call_ns) + i128::from(len) * i128::from(self.read_byte_ps) / 1000
    }
}

/// The parts of a sequence coalesced under a [`CostModel`], one at a time: literals (the
/// original ones with the ranges copied between them, at most about one chunk each),
/// archive ranges kept as references, and decoded ranges as they were.
pub struct Coalesce<'p, S> {
    parts: &'p [Part],
    next: usize,
    source: S,
    model: CostModel,
    literal: Vec<u8>,
    /// The bytes of the last read, from archive offset `window_at`.
    window: Vec<u8>,
    window_at: u64,
    /// A part to hand on after the literal before it.
    held: Option<Part>,
    reads: u64,
    bytes_read: u64,
    copied: u64,
}

impl<'p, S: Source> Coalesce<'p, S> {
    /// Coalesces `parts`, whose archive ranges are read from `source`.
    pub fn new(parts: &'p [Part], source: S, model: CostModel) -> Self {
        Coalesce {
            parts,
            next: 0,
            source,
            model,
            literal: Vec::new(),
            window: Vec::new(),
            window_at: 0,
            held: None,
            reads: 0,
            bytes_read: 0,
            copied: 0,
        }
    }

    /// Read calls made so far, and the bytes they brought in.
    pub fn reads(&self) -> (u64, u64) {
        (self.reads, self.bytes_read)
    }

    /// Whether `[offset, offset + len)` is in the last read's bytes.
    fn in_window(&self, offset: u64, len: u64) -> bool {
        offset >= self.window_at && offset + len <= self.window_at + self.window.len() as u64
    }

    /// The end of the read worth making at `offset` for the range there and the ranges worth
    /// copying after it within one window, or `None` when the read costs more than the parts
    /// it saves. Looks ahead from part `from` (the range at `offset`).
    fn plan_read(&self, from: usize, offset: u64) -> Option<u64> {
        let limit = offset + self.model.window as u64;
        let mut end = offset;
        let mut saved = 0i128;
        for part in self.parts.get(from..).unwrap_or_default() {
            let Part::Archive { offset: o, len } = *part else {
                continue; // literals join the copy; decoded ranges do not touch the file
            };
            if o < offset || o + len > limit {
                break;
            }
            if self.model.worth_copying(len) {
                saved += self.model.saving_ns(len);
                end = end.max(o + len);
            }
        }
        (end > offset && saved > self.model.read_ns(end - offset)).then_some(end)
    }

    /// Reads `[offset, end)` into the window.
    fn read(&mut self, offset: u64, end: u64) -> io::Result<()> {
        let len = usize::try_from(end - offset).map_err(io::Error::other)?;
        self.window.resize(len, 0);
        let mut done = 0;
        while done < len {
            let n = self
                .source
                .read_at(offset + done as u64, &mut self.window[done..])?;
            if n == 0 {
                self.window.clear();
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    alloc::format!(
                        "the input ends at byte {}, inside a range to copy",
                        offset + done as u64
                    ),
                ));
            }
            done += n;
        }
        self.reads += 1;
        self.bytes_read += len as u64;
        self.window_at = offset;
        Ok(())
    }

    /// Copies the archive range of part `index` into the literal when that is cheaper than
    /// referencing it; `Ok(false)` leaves it a reference.
    fn copy(&mut self, index: usize, offset: u64, len: u64) -> io::Result<bool> {
        if !self.model.worth_copying(len) || self.copied + len > self.model.max_copied {
            return Ok(false);
        }
        if !self.in_window(offset, len) {
            let Some(end) = self.plan_read(index, offset) else {
                return Ok(false);
            };
            self.read(offset, end)?;
        }
        let from = (offset - self.window_at) as usize;
        let bytes = self
            .window
            .get(from..from + len as usize)
            .ok_or_else(|| io::Error::other("a range to copy lies outside the bytes read"))?;
        self.literal.extend_from_slice(bytes);
        self.copied += len;
        Ok(true)
    }

    fn take_literal(&mut self) -> Part {
        Part::literal(core::mem::take(&mut self.literal))
    }
}

impl<S: Source> Iterator for Coalesce<'_, S> {
    type Item = Result<Part>;

    fn next(&mut self) -> Option<Result<Part>> {
        if let Some(p) = self.held.take() {
            return Some(Ok(p));
        }
        while let Some(part) = self.parts.get(self.next) {
            let index = self.next;
            self.next += 1;
            match part {
                Part::Literal { bytes, .. } => self.literal.extend_from_slice(bytes),
                Part::Archive { offset, len } => match self.copy(index, *offset, *len) {
                    Ok(true) => {}
                    Ok(false) => return Some(Ok(self.hand_on(part))),
                    Err(e) => {
                        self.next = self.parts.len();
                        return Some(Err(Error::from(e)));
                    }
                },
                Part::Decoded { .. } => return Some(Ok(self.hand_on(part))),
            }
            if self.literal.len() >= self.model.chunk {
                return Some(Ok(self.take_literal()));
            }
        }
        (!self.literal.is_empty()).then(|| Ok(self.take_literal()))
    }
}

impl<S: Source> Coalesce<'_, S> {
    /// `part` as it is, after the literal gathered before it.
    fn hand_on(&mut self, part: &Part) -> Part {
        if self.literal.is_empty() {
            return part.clone();
        }
        self.held = Some(part.clone());
        self.take_literal()
    }
}

/// All of `parts` coalesced ([`Coalesce`] collected).
///
/// # Errors
/// Reading a range to copy failed.
pub fn coalesce<S: Source>(parts: &[Part], source: S, model: CostModel) -> Result<Vec<Part>> {
    Coalesce::new(parts, source, model).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::squash::Parts;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Counts read calls.
    struct Counting<'a>(&'a [u8], u64);
    impl Source for Counting<'_> {
        fn size(&mut self) -> io::Result<u64> {
            Ok(self.0.len() as u64)
        }
        fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
            self.1 += 1;
            // At most 1000 bytes a call, to catch code assuming full reads.
            let n = buf.len().min(1000);
            let mut s = self.0;
            s.read_at(offset, &mut buf[..n])
        }
    }

    fn bytes_of(parts: &[Part], input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in parts {
            match p {
                Part::Literal { bytes, len } => {
                    assert_eq!(bytes.len() as u64, *len);
                    out.extend_from_slice(bytes);
                }
                Part::Archive { offset, len } => {
                    out.extend_from_slice(&input[*offset as usize..(*offset + *len) as usize])
                }
                Part::Decoded { layer, offset, len } => out.extend(core::iter::repeat_n(
                    *layer as u8 ^ *offset as u8,
                    *len as usize,
                )),
            }
        }
        out
    }

    fn input(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    const SMALL: CostModel = CostModel {
        part_ns: 1_000_000,
        copy_byte_ps: 20_000,
        read_call_ns: 1_000_000,
        read_byte_ps: 7_000,
        window: 64 << 10,
        chunk: 16 << 10,
        max_copied: u64::MAX,
    };

    /// A squashed layer's shape: kept runs of a few hundred bytes, each followed by a new
    /// header, with dropped bytes between them; now and then a big file.
    fn layer_like(input_len: usize) -> Parts {
        let mut p = Parts::new();
        let mut at = 0u64;
        let mut i = 0u64;
        while at + 300_000 < input_len as u64 {
            p.push_archive(at, 300 + i % 700);
            p.push_literal(&[i as u8; 512]);
            at += 3000;
            if i % 97 == 0 {
                p.push_archive(at, 200_000); // big: stays a reference
                at += 201_000;
            }
            i += 1;
        }
        p
    }

    #[test]
    fn small_ranges_become_literals_and_big_ones_stay_references() {
        let data = input(8 << 20);
        let parts = layer_like(data.len());
        let mut src = Counting(&data, 0);
        let out = coalesce(parts.as_slice(), &mut src, SMALL).unwrap();
        assert_eq!(bytes_of(&out, &data), bytes_of(parts.as_slice(), &data));
        let bigs = parts
            .as_slice()
            .iter()
            .filter(|p| matches!(p, Part::Archive { len: 200_000, .. }))
            .count();
        // Each big range stays a reference with at most a literal on either side, plus the
        // literals cut at the chunk size.
        let copied: u64 = out
            .iter()
            .filter(|p| matches!(p, Part::Literal { .. }))
            .map(Part::len)
            .sum();
        assert!(
            out.len() <= 2 * bigs + 1 + (copied / SMALL.chunk as u64) as usize + 1,
            "{} parts from {} ({bigs} big)",
            out.len(),
            parts.count()
        );
        assert!(
            out.len() * 20 < parts.count(),
            "{} of {}",
            out.len(),
            parts.count()
        );
        for p in &out {
            match p {
                Part::Archive { len, .. } => assert_eq!(*len, 200_000),
                Part::Literal { len, .. } => {
                    assert!(
                        *len < (SMALL.chunk + SMALL.window) as u64,
                        "literal of {len}"
                    )
                }
                Part::Decoded { .. } => unreachable!(),
            }
        }
    }

    #[test]
    fn ranges_are_read_in_few_large_reads() {
        let data = input(8 << 20);
        let parts = layer_like(data.len());
        let mut c = Coalesce::new(parts.as_slice(), Counting(&data, 0), SMALL);
        let out: Vec<Part> = c.by_ref().collect::<Result<_>>().unwrap();
        let (reads, bytes) = c.reads();
        let small = parts.count()
            - out
                .iter()
                .filter(|p| matches!(p, Part::Archive { .. }))
                .count();
        // One read per window of about 64 KiB (3,000 bytes a run): ~20 runs each.
        assert!(reads * 10 < small as u64, "{reads} reads for {small} parts");
        assert!(bytes <= data.len() as u64);
        // The source gives at most 1000 bytes a call: the calls fill each read.
        assert!(c.source.1 >= bytes / 1000);
    }

    #[test]
    fn a_lone_small_range_far_from_others_stays_a_reference() {
        let data = input(1 << 20);
        let mut p = Parts::new();
        p.push_literal(b"head");
        p.push_archive(100, 400_000);
        p.push_archive(500_000, 10); // alone in its window
        p.push_literal(b"tail");
        let model = CostModel {
            read_call_ns: 10_000_000, // a read costs more than two parts
            ..SMALL
        };
        let out = coalesce(p.as_slice(), &mut data.as_slice(), model).unwrap();
        assert_eq!(bytes_of(&out, &data), bytes_of(p.as_slice(), &data));
        assert_eq!(out.len(), 4, "{out:?}");
        // With reads as cheap as measured, it is copied into the tail.
        let out = coalesce(p.as_slice(), &mut data.as_slice(), SMALL).unwrap();
        assert_eq!(out.len(), 3, "{out:?}");
        assert_eq!(out[2].len(), 14);
    }

    #[test]
    fn decoded_ranges_pass_through_between_literals() {
        let data = input(1 << 16);
        let mut p = Parts::new();
        p.push_literal(b"a");
        p.push_archive(10, 20);
        p.push_decoded(1, 0, 100);
        p.push_archive(40, 20);
        p.push_literal(b"b");
        let out = coalesce(p.as_slice(), &mut data.as_slice(), SMALL).unwrap();
        assert_eq!(bytes_of(&out, &data), bytes_of(p.as_slice(), &data));
        assert_eq!(out.len(), 3);
        assert!(matches!(
            out[1],
            Part::Decoded {
                layer: 1,
                len: 100,
                ..
            }
        ));
    }

    #[test]
    fn literals_are_cut_at_the_chunk_size() {
        let data = input(4 << 20);
        let mut p = Parts::new();
        for i in 0..2000u64 {
            p.push_archive(i * 1024, 512);
            p.push_literal(&[1; 512]);
        }
        let out = coalesce(p.as_slice(), &mut data.as_slice(), SMALL).unwrap();
        assert_eq!(bytes_of(&out, &data), bytes_of(p.as_slice(), &data));
        // 2 MB of output in 16 KiB chunks.
        assert_eq!(out.len() as u64, p.len().div_ceil(SMALL.chunk as u64));
        assert!(out.iter().all(|p| p.len() <= SMALL.chunk as u64 + 512));
    }

    #[test]
    fn a_short_input_is_an_error_not_a_short_output() {
        let data = input(1000);
        let mut p = Parts::new();
        p.push_archive(900, 200);
        p.push_literal(b"x");
        let err = coalesce(p.as_slice(), &mut data.as_slice(), SMALL).unwrap_err();
        assert!(alloc::format!("{err}").contains("ends too early"), "{err}");
    }
    /// A sink that takes every range by reference and coalesces under `model`, recording
    /// the bytes it stands for and the parts it would make.
    struct Recorder<'a> {
        input: &'a [u8],
        out: Vec<u8>,
        parts: usize,
        last_was_bytes: bool,
        model: Option<CostModel>,
    }

    impl crate::squash::SquashSink for Recorder<'_> {
        fn bytes(&mut self, bytes: &[u8]) -> Result<()> {
            self.out.extend_from_slice(bytes);
            // The Blob sink gathers consecutive bytes into one part.
            self.parts += usize::from(!self.last_was_bytes);
            self.last_was_bytes = true;
            Ok(())
        }
        fn range(&mut self, offset: u64, len: u64) -> Result<bool> {
            self.out
                .extend_from_slice(&self.input[offset as usize..(offset + len) as usize]);
            self.parts += 1;
            self.last_was_bytes = false;
            Ok(true)
        }
        fn coalesce(&self) -> Option<CostModel> {
            self.model
        }
    }

    fn block_on<F: core::future::Future>(f: F) -> F::Output {
        let mut f = core::pin::pin!(f);
        let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
        loop {
            if let core::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    /// Squashes `archive` (every layer) three ways: written to a file, emitted as parts,
    /// emitted as coalesced parts. Returns the part counts (as planned, coalesced).
    fn squash_three_ways(archive: &[u8], model: CostModel) -> (usize, usize) {
        use crate::fs::UnionFs;
        use crate::model::Model;
        use crate::progress::NoProgress;
        use crate::squash::{emit_squash, write_squash, SquashOptions, SquashPlan};
        let (mut a, image) = crate::testing::load(archive);
        let (fs, cs) = UnionFs::build(image.indexes());
        let plan = SquashPlan::new(
            Model::new(&image, &fs, &cs),
            a.len(),
            &SquashOptions::default(),
        )
        .unwrap();
        let mut file = Vec::new();
        let w = write_squash(a.source_mut(), &image, &plan, &mut file, &mut NoProgress).unwrap();
        let mut counts = [0usize; 2];
        for (i, m) in [None, Some(model)].into_iter().enumerate() {
            let mut sink = Recorder {
                input: archive,
                out: Vec::new(),
                parts: 0,
                last_was_bytes: false,
                model: m,
            };
            let got = block_on(emit_squash(
                a.source_mut(),
                &image,
                &plan,
                &mut sink,
                &mut NoProgress,
            ))
            .unwrap();
            assert_eq!(got, w, "what the squash wrote, {m:?}");
            assert!(sink.out == file, "bytes differ from the file's, {m:?}");
            counts[i] = sink.parts;
        }
        (counts[0], counts[1])
    }

    #[test]
    fn coalesced_squashes_have_the_bytes_of_written_ones_in_fewer_parts() {
        use crate::testing::{docker_archive, LayerBuilder as L};
        // Many small files, then every third overwritten or deleted: runs of two files.
        let mut base = L::new();
        for i in 0..3000 {
            base = base.file(&alloc::format!("d{}/f{i}", i / 100), &[i as u8; 700]);
        }
        base = base.file("big", &input(3 << 20));
        let mut top = L::new();
        for i in (0..3000).step_by(3) {
            top = if i % 2 == 0 {
                top.file(&alloc::format!("d{}/f{i}", i / 100), b"new")
            } else {
                top.whiteout(&alloc::format!("d{}/f{i}", i / 100))
            };
        }
        let archive = docker_archive(&[base.build(), top.build()]);
        let (planned, coalesced) = squash_three_ways(&archive, SMALL);
        assert!(planned > 1000, "{planned}");
        assert!(coalesced * 20 < planned, "{coalesced} parts of {planned}");
    }

    /// The built fixtures (buildah images with whiteouts, opaque directories, hardlinks and
    /// a secret deleted later), compiled in so the test also runs on wasm32 (no files there).
    #[test]
    fn real_fixtures_squash_to_the_same_bytes_coalesced() {
        macro_rules! built {
            ($name:literal) => {
                (
                    $name,
                    &include_bytes!(concat!("../../../../tests/fixtures/built/", $name))[..],
                )
            };
        }
        for (name, bytes) in [
            built!("whiteouts.docker.tar"),
            built!("whiteouts_vfs.docker.tar"),
            built!("secrets.docker.tar"),
            built!("tiny.docker.tar"),
        ] {
            for model in [SMALL, CostModel::CHROMIUM] {
                let (planned, coalesced) = squash_three_ways(bytes, model);
                assert!(
                    coalesced <= planned,
                    "{name}: {coalesced} parts of {planned}"
                );
            }
        }
    }

    #[test]
    fn copies_stop_at_the_budget() {
        let data = input(4 << 20);
        let mut p = Parts::new();
        for i in 0..2000u64 {
            p.push_archive(i * 1024, 512);
        }
        let model = CostModel {
            max_copied: 100 * 512,
            ..SMALL
        };
        let out = coalesce(p.as_slice(), &mut data.as_slice(), model).unwrap();
        assert_eq!(bytes_of(&out, &data), bytes_of(p.as_slice(), &data));
        let copied: u64 = out
            .iter()
            .filter(|p| matches!(p, Part::Literal { .. }))
            .map(Part::len)
            .sum();
        assert_eq!(copied, 100 * 512);
        // The copies in 16 KiB chunks, then the rest as references.
        assert_eq!(out.len() as u64, copied.div_ceil(SMALL.chunk as u64) + 1900);
    }
}
