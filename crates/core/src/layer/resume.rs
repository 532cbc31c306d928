//! Indexing an uncompressed layer whose bytes arrive in pieces. A browser worker reads a
//! `File` fastest with several asynchronous reads in flight, but a synchronous parse cannot
//! wait for them; so the parse runs over the bytes that have arrived, stops at the first
//! one that has not (the source says [`io::ErrorKind::WouldBlock`]), and is started again at
//! the header it stopped in once more bytes are there. The index equals [`index_layer`]'s.
//!
//! [`index_layer`]: super::index_layer

use std::io::{self, Seek};

use super::index::{IndexOptions, LayerIndex};
use super::read::{check_complete, shrink, Collector};
use crate::error::{ErrorKind, Result};
use crate::limits::Limits;
use crate::progress::{Progress, Stage};
use crate::source::{RangeReader, Source, READ_AHEAD};
use crate::stream::guard::HeaderGuard;
use crate::stream::Compression;

/// An uncompressed layer being indexed: the entries so far and where the next header is.
pub struct Resumable {
    offset: u64,
    len: u64,
    limits: Limits,
    out: LayerIndex,
    collector: Collector,
    /// The read-ahead window, kept from one call to the next: a parse resumed after every
    /// piece would otherwise allocate (and zero) a fresh window each time.
    window: alloc::vec::Vec<u8>,
}

/// What [`Resumable::resume`] got to.
// A parse is resumed once per piece read (MiBs), so moving its state is nothing to save.
#[allow(clippy::large_enum_variant)]
pub enum Resumed {
    /// The layer is indexed.
    Done(LayerIndex),
    /// The source lacks the bytes at this offset (of the source, not the layer); the
    /// indexing goes on from [`Resumable::keep_from`] when they are there.
    Needs(Resumable, u64),
}

impl Resumable {
    /// Starts indexing the uncompressed layer blob at `[offset, offset + len)` of a source.
    pub fn new(offset: u64, len: u64, options: &IndexOptions) -> Self {
        Resumable {
            offset,
            len,
            limits: options.limits,
            out: LayerIndex {
                entries: alloc::vec::Vec::new(),
                compression: Compression::None,
                blob_size: len,
                tar_size: len,
                notices: alloc::vec::Vec::new(),
            },
            collector: Collector::default(),
            window: alloc::vec::Vec::new(),
        }
    }

    /// Starts indexing a decompressed stream whose length is not known yet (a compressed
    /// layer as it is inflated); [`Resumable::set_len`] bounds it once the stream has ended.
    pub(super) fn unbounded(options: &IndexOptions) -> Self {
        Self::new(0, u64::MAX, options)
    }

    /// The stream's length, now that it is known: a parse that reaches it ends there, as one
    /// over a reader at its end does.
    pub(super) fn set_len(&mut self, len: u64) {
        self.len = len;
        self.out.tar_size = len;
    }

    /// The first source offset a resumed parse reads: bytes before it are no longer needed.
    pub fn keep_from(&self) -> u64 {
        self.offset + self.collector.next_header()
    }

    /// Parses on over the bytes `source` has. Where it has not got them yet it must fail with
    /// [`io::ErrorKind::WouldBlock`]; a read that needs them then ends this call with
    /// [`Resumed::Needs`].
    ///
    /// `progress` receives absolute source offsets out of `total`.
    ///
    /// # Errors
    /// As [`index_layer`](super::index_layer) for the bytes read (a malformed or truncated
    /// tar, a limit, a cancel), and the source's other read errors.
    pub fn resume<S: Source>(
        self,
        source: S,
        progress: &mut dyn Progress,
        stage: Stage,
        total: u64,
    ) -> Result<Resumed> {
        Ok(match self.parse_on(source, progress, stage, total)? {
            Parsed::Done(index, _) => Resumed::Done(index),
            Parsed::Needs(resumable, at) => Resumed::Needs(resumable, at),
        })
    }

    /// [`Resumable::resume`], telling also where the tar's last header chain ended.
    pub(super) fn parse_on<S: Source>(
        mut self,
        source: S,
        progress: &mut dyn Progress,
        stage: Stage,
        total: u64,
    ) -> Result<Parsed> {
        let base = self.collector.next_header();
        let mut gate = Gate {
            source,
            blocked: None,
        };
        let offset = self.offset;
        let mut report = |done: u64| progress.update(stage, offset + done, total);
        let parsed = {
            let max = gate.max_read_ahead();
            let mut reader = RangeReader::with_windows(
                &mut gate,
                offset + base,
                self.len - base,
                READ_AHEAD,
                max,
            )
            .reusing(core::mem::take(&mut self.window));
            let parsed = reader
                .seek(io::SeekFrom::Start(0))
                .map_err(Into::into)
                .and_then(|_| {
                    let mut archive = tar::Archive::new(HeaderGuard::new(&mut reader));
                    archive
                        .entries_with_seek()
                        .map_err(Into::into)
                        .and_then(|entries| {
                            self.collector.collect(
                                entries,
                                base,
                                &mut self.out,
                                &self.limits,
                                &mut report,
                            )
                        })
                });
            self.window = reader.take_window();
            parsed
        };
        match (parsed, gate.blocked) {
            (Ok(()), _) => {
                shrink(&mut self.out);
                check_complete(&self.out)?;
                Ok(Parsed::Done(self.out, self.collector.next_header()))
            }
            // A cancel is a cancel whatever was missing.
            (Err(e), _) if matches!(e.kind(), ErrorKind::Cancelled) => Err(e),
            // Whatever failed after a read found no bytes may have failed for want of them.
            (Err(_), Some(at)) => Ok(Parsed::Needs(self, at)),
            (Err(e), None) => Err(e),
        }
    }
}

/// What [`Resumable::parse_on`] got to.
pub(super) enum Parsed {
    /// The layer is indexed; the last entry's header chain and contents end at this offset
    /// of the layer (where the end-of-archive blocks start).
    Done(LayerIndex, u64),
    /// As [`Resumed::Needs`].
    Needs(Resumable, u64),
}

/// A source that remembers where it last lacked bytes.
struct Gate<S> {
    source: S,
    blocked: Option<u64>,
}

impl<S: Source> Source for Gate<S> {
    fn size(&mut self) -> io::Result<u64> {
        self.source.size()
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.source.read_at(offset, buf);
        if matches!(&read, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.blocked = Some(offset);
        }
        read
    }

    fn max_read_ahead(&self) -> usize {
        self.source.max_read_ahead()
    }
}

#[cfg(test)]
mod tests {
    use alloc::format;
    use alloc::string::String;
    use alloc::vec::Vec;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::layer::index_layer;
    use crate::NoProgress;

    /// The bytes of `all` in `[lo, hi)`; elsewhere "not there yet". Records the lowest offset
    /// read, to check that nothing before `keep_from` is asked for again.
    struct Frontier<'a> {
        all: &'a [u8],
        lo: u64,
        hi: u64,
        lowest: u64,
    }

    impl Source for Frontier<'_> {
        fn size(&mut self) -> io::Result<u64> {
            Ok(self.all.len() as u64)
        }
        fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
            if offset < self.lo || offset >= self.hi {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            self.lowest = self.lowest.min(offset);
            let end = (offset + buf.len() as u64).min(self.hi);
            let n = (end - offset) as usize;
            buf[..n].copy_from_slice(&self.all[offset as usize..end as usize]);
            Ok(n)
        }
    }

    /// Indexes `[offset, offset + len)` of `all` with bytes arriving `steps` at a time (cycled),
    /// each piece starting where the last resume needed, earlier bytes dropped; the outcome
    /// (as text, errors included) and how many resumes it took.
    fn in_pieces(all: &[u8], offset: u64, len: u64, steps: &[u64]) -> (String, usize) {
        let mut state = Resumable::new(offset, len, &IndexOptions::default());
        let (mut lo, mut hi) = (offset, offset);
        let mut resumes = 0;
        loop {
            let mut source = Frontier {
                all,
                lo,
                hi,
                lowest: u64::MAX,
            };
            let resumed = state.resume(&mut source, &mut NoProgress, Stage::Indexing(0), 0);
            assert!(source.lowest >= lo, "read before the bytes kept");
            match resumed {
                Ok(Resumed::Done(index)) => return (format!("{index:?}"), resumes),
                Err(e) => return (format!("{e}"), resumes),
                Ok(Resumed::Needs(next, at)) => {
                    assert!(at >= hi && at < offset + len, "needs {at}, had {lo}..{hi}");
                    resumes += 1;
                    lo = next.keep_from();
                    assert!(lo <= at);
                    hi = at + steps[resumes % steps.len()];
                    state = next;
                }
            }
        }
    }

    /// Every uncompressed layer of every fixture (and the sample), in pieces of very different
    /// sizes, gives exactly `index_layer`'s index. (Files: not on wasm32.)
    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn pieces_index_as_a_whole() {
        let (mut layers, mut most_resumes) = (0, 0);
        for file in crate::testing::fixture_archives() {
            let all = std::fs::read(&file).unwrap();
            let Ok(listed) = crate::Indexed::list(
                all.as_slice(),
                &crate::ImagePick::default(),
                Limits::default(),
                &mut NoProgress,
            ) else {
                continue;
            };
            for blob in listed.blobs() {
                let bytes = &all[blob.offset as usize..(blob.offset + blob.size) as usize];
                if Compression::detect(&bytes[..bytes.len().min(4)]) != Compression::None {
                    continue;
                }
                let whole = index_layer(
                    all.as_slice(),
                    blob.offset,
                    blob.size,
                    &IndexOptions::default(),
                    &mut NoProgress,
                    Stage::Indexing(0),
                    0,
                );
                let whole = match whole {
                    Ok(index) => format!("{index:?}"),
                    Err(e) => format!("{e}"),
                };
                for steps in [&[1 << 30][..], &[512, 1, 4096, 1500, 20_000, 700]] {
                    let (pieces, resumes) = in_pieces(&all, blob.offset, blob.size, steps);
                    assert_eq!(pieces, whole, "{} {}", file.display(), blob.member);
                    most_resumes = most_resumes.max(resumes);
                }
                layers += 1;
            }
        }
        assert!(layers >= 20, "only {layers} uncompressed layers found");
        assert!(
            most_resumes >= 20,
            "the pieces hardly split: {most_resumes}"
        );
    }

    /// A layer cut short fails as it does whole, and a cancel is not mistaken for missing bytes.
    #[test]
    fn truncation_and_cancel() {
        let mut b = tar::Builder::new(Vec::new());
        for i in 0..200 {
            let mut h = tar::Header::new_gnu();
            h.set_size(1000);
            h.set_mode(0o644);
            h.set_uid(0);
            h.set_gid(0);
            h.set_mtime(0);
            h.set_cksum();
            b.append_data(&mut h, format!("dir/file-{i}"), &[7u8; 1000][..])
                .unwrap();
        }
        let all = b.into_inner().unwrap();
        let cut = &all[..all.len() / 2 + 100];
        let whole = index_layer(
            cut,
            0,
            cut.len() as u64,
            &IndexOptions::default(),
            &mut NoProgress,
            Stage::Indexing(0),
            0,
        )
        .unwrap_err();
        let (pieces, _) = in_pieces(cut, 0, cut.len() as u64, &[700, 3000]);
        assert_eq!(pieces, format!("{whole}"));

        struct Cancel;
        impl Progress for Cancel {
            fn update(&mut self, _: Stage, _: u64, _: u64) -> bool {
                false
            }
        }
        let mut source = Frontier {
            all: &all,
            lo: 0,
            hi: 600,
            lowest: u64::MAX,
        };
        let r = Resumable::new(0, all.len() as u64, &IndexOptions::default()).resume(
            &mut source,
            &mut Cancel,
            Stage::Indexing(0),
            0,
        );
        assert!(
            matches!(&r, Err(e) if matches!(e.kind(), ErrorKind::Cancelled)),
            "{:?}",
            r.as_ref()
                .map(|r| match r {
                    Resumed::Done(_) => None,
                    Resumed::Needs(_, at) => Some(*at),
                })
                .map_err(|e| format!("{e}"))
        );
    }
}
