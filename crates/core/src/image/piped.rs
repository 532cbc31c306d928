//! An image archive read once, front to back, from a pipe (`docker save app | layerlens ci -`).
//!
//! A pipe cannot seek, and the parts arrive in any order (`docker save` writes
//! `manifest.json` last; an oci-archive may put `index.json` anywhere). So everything is taken
//! in one pass: the outer tar's header blocks and its small metadata members (JSON, `oci-layout`,
//! `repositories`) are kept in memory at their offsets, and every member that reads as a layer
//! (a tar, gzip or zstd stream) is indexed from its tar headers as it streams by and then
//! dropped. Afterwards the kept bytes form a [`Recorded`] source from which [`Archive`] reads
//! its member table and metadata exactly as from a file, and the layer indexes are matched to
//! the manifests by where each blob's bytes start ([`super::BlobIndexes`]). Memory is the headers,
//! the metadata and the indexes, never layer contents.
//!
//! What this cannot do is read a layer's contents again (export, squash, a deep scan,
//! `--verify`): a [`Recorded`] read outside what was kept fails with [`NotKept`], and the
//! CLI spools the pipe to a file for those commands instead.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use std::io::{self, Read};

use super::BlobIndexes;
use crate::archive::{check_tar_start, is_tar_header, Archive, ArchiveSource};
use crate::error::{Error, Result};
use crate::layer::{index_layer_stream, read_up_to, IndexOptions};
use crate::limits::LimitKind;
use crate::progress::{Progress, Stage};
use crate::source::{NotKept, Source};
use crate::stream::decode::Counted;
use crate::stream::Compression;

/// Most bytes accepted after the outer tar's end-of-archive blocks (GNU tar pads to a 10 KiB
/// record; endless data there is refused rather than read forever).
const MAX_TRAILING: u64 = 16 << 20;

/// The bytes of the outer tar kept while it streamed by: header blocks and metadata members
/// at their offsets in the (decompressed) tar.
pub struct Recorded {
    chunks: BTreeMap<u64, Vec<u8>>,
    len: u64,
    /// Where the tail known to be zeros begins (the padding after the end-of-archive blocks).
    zeros_from: u64,
}

impl Source for Recorded {
    fn size(&mut self) -> io::Result<u64> {
        Ok(self.len)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.len || buf.is_empty() {
            return Ok(0);
        }
        if offset >= self.zeros_from {
            let n = buf.len().min((self.len - offset) as usize);
            buf[..n].fill(0);
            return Ok(n);
        }
        if let Some((&start, bytes)) = self.chunks.range(..=offset).next_back() {
            let at = (offset - start) as usize;
            if at < bytes.len() {
                let n = buf.len().min(bytes.len() - at);
                buf[..n].copy_from_slice(&bytes[at..at + n]);
                return Ok(n);
            }
        }
        Err(io::Error::other(NotKept { offset }))
    }
}

/// An archive taken from a pipe: opened over its kept bytes, and its layers' indexes.
pub struct Piped<S: Source> {
    /// The opened archive over the kept bytes (as the host holds them).
    pub archive: Archive<S>,
    /// The layer indexes, for [`super::Image::load_indexed`].
    pub indexes: BlobIndexes,
}

/// What the bytes of a member look like from their first block.
enum Looks {
    /// A tar, or a gzip or zstd stream: indexed as a layer.
    Layer,
    /// Anything else: kept if small enough (metadata), else passed over.
    Other,
}

fn looks(first: &[u8]) -> Looks {
    if Compression::detect(first) != Compression::None {
        return Looks::Layer;
    }
    match <&[u8; 512]>::try_from(first) {
        Ok(block) if block.iter().all(|&b| b == 0) || is_tar_header(block) => Looks::Layer,
        _ => Looks::Other,
    }
}

/// The recorder behind [`Tee`]: what was kept, and whether bytes read now are kept.
struct Record {
    keeping: bool,
    chunks: BTreeMap<u64, Vec<u8>>,
    /// Start of the chunk being extended.
    open: Option<u64>,
}

impl Record {
    fn keep(&mut self, at: u64, bytes: &[u8]) {
        if let Some(start) = self.open {
            if let Some(chunk) = self.chunks.get_mut(&start) {
                if start + chunk.len() as u64 == at {
                    chunk.extend_from_slice(bytes);
                    return;
                }
            }
        }
        self.chunks.insert(at, bytes.to_vec());
        self.open = Some(at);
    }
}

/// The outer tar's bytes as the tar parser reads them, kept while [`Record::keeping`].
struct Tee<R> {
    inner: R,
    pos: Rc<RefCell<u64>>,
    record: Rc<RefCell<Record>>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut pos = self.pos.borrow_mut();
        let mut record = self.record.borrow_mut();
        if record.keeping && n > 0 {
            record.keep(*pos, &buf[..n]);
        }
        *pos += n as u64;
        Ok(n)
    }
}

impl<S: Source> Archive<S> {
    /// Reads an archive from `input` in one pass (see the module docs), indexing its layers
    /// with `options` as they stream by. `hold` turns the kept bytes into the host's source
    /// type (a host whose inputs are one enum wraps them in it).
    ///
    /// # Errors
    /// As [`Archive::open`] and [`super::Image::load`]; a read failure of the pipe;
    /// metadata over [`crate::Limits::max_json`] in all.
    pub fn read_piped(
        input: impl Read,
        options: &IndexOptions,
        progress: &mut dyn Progress,
        hold: impl FnOnce(Recorded) -> S,
    ) -> Result<Piped<S>> {
        // Long on purpose: one pass over a stream that cannot be read again, so the sniffing,
        // the member loop and the trailing drain share the recorder's state in one place.
        let limits = options.limits;
        let mut input = input;
        let mut magic = [0u8; 4];
        let got = read_up_to(&mut input, &mut magic)?;
        if got == 0 {
            return Err(Error::archive("the input is empty"));
        }
        let compression = Compression::detect(&magic[..got]);
        let raw = io::Cursor::new(magic).take(got as u64).chain(input);
        let plain: Box<dyn Read> = match compression {
            Compression::None => Box::new(raw),
            Compression::Gzip => Box::new(Counted {
                inner: flate2::read::MultiGzDecoder::new(raw),
                count: 0,
                limit: limits.max_decompressed,
            }),
            Compression::Zstd => {
                return Err(Error::archive("the input is zstd-compressed; decompress it first (`zstd -d`) or save it as a plain or gzipped tar"));
            }
        };
        // The first block says whether this is a tar at all, before the parser guesses.
        let mut plain = plain;
        let mut first = [0u8; 512];
        let got = read_up_to(&mut plain, &mut first).map_err(|e| match compression {
            Compression::Gzip => Error::from(e).in_member("(gzip stream)"),
            _ => Error::from(e),
        })?;
        check_tar_start(&first[..got])?;
        let plain = io::Cursor::new(first).take(got as u64).chain(plain);
        let pos = Rc::new(RefCell::new(0u64));
        let record = Rc::new(RefCell::new(Record {
            keeping: true,
            chunks: BTreeMap::new(),
            open: None,
        }));
        let tee = Tee {
            inner: plain,
            pos: Rc::clone(&pos),
            record: Rc::clone(&record),
        };
        let mut indexes = BlobIndexes::default();
        let mut outer = tar::Archive::new(crate::stream::guard::HeaderGuard::new(tee));
        let mut entries_total = 0u64;
        let mut metadata = 0u64;
        for (i, item) in outer.entries()?.enumerate() {
            let mut entry = item.map_err(|e| {
                Error::from(e).in_member(&alloc::format!("(the header at byte {})", pos.borrow()))
            })?;
            if i as u64 >= limits.max_members {
                return Err(Error::limit(LimitKind::Members, limits.max_members));
            }
            let is_file = matches!(entry.header().entry_type().as_byte(), b'0' | b'\0' | b'7');
            let size = entry.size();
            let at = entry.raw_file_position();
            if !progress.update(Stage::Opening, *pos.borrow(), 0) {
                return Err(crate::error::ErrorKind::Cancelled.into());
            }
            if !is_file || size == 0 {
                continue;
            }
            let name = || String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let name = name();
            record.borrow_mut().keeping = false;
            let mut first = alloc::vec![0u8; size.min(512) as usize];
            let n = read_up_to(&mut entry, &mut first)?;
            first.truncate(n);
            match looks(&first) {
                Looks::Layer => {
                    let body = io::Cursor::new(first).chain(&mut entry);
                    let idx = index_layer_stream(body, size, options);
                    if let Ok(idx) = &idx {
                        entries_total += idx.entries.len() as u64;
                        // Every layer of every image is held until the manifests are read.
                        if entries_total > limits.max_entries {
                            return Err(Error::limit(LimitKind::ImageEntries, limits.max_entries));
                        }
                    }
                    indexes.insert(at, idx.map_err(|e| e.in_member(&name)));
                }
                Looks::Other if size <= limits.max_json => {
                    metadata += size;
                    if metadata > limits.max_json {
                        return Err(Error::limit(
                            LimitKind::Json { size: metadata },
                            limits.max_json,
                        ));
                    }
                    let mut r = record.borrow_mut();
                    r.keep(at, &first);
                    r.keeping = true;
                }
                Looks::Other => {}
            }
            // The rest of the member: kept for metadata, passed over otherwise.
            io::copy(&mut entry, &mut io::sink()).map_err(|e| Error::from(e).in_member(&name))?;
            let end = *pos.borrow();
            if end < at + size {
                return Err(Error::archive(alloc::format!(
                    "the input ends at byte {end}, {} bytes into this member's {size} (truncated?)",
                    end - at
                ))
                .in_member(&name));
            }
            record.borrow_mut().keeping = true;
        }
        // What follows the end-of-archive blocks: counted (it is part of the archive's
        // size), and served as zeros if it is zeros.
        let mut tee = outer.into_inner().into_inner();
        record.borrow_mut().keeping = false;
        let tar_end = *pos.borrow();
        let mut zeros = true;
        let mut buf = alloc::vec![0u8; 64 * 1024];
        loop {
            let n = tee.read(&mut buf)?;
            if n == 0 {
                break;
            }
            zeros &= buf[..n].iter().all(|&b| b == 0);
            if *pos.borrow() - tar_end > MAX_TRAILING {
                return Err(Error::limit(
                    LimitKind::TrailingPadding { tar_end },
                    MAX_TRAILING,
                ));
            }
        }
        let len = *pos.borrow();
        drop(tee);
        let record = Rc::try_unwrap(record)
            .map_err(|_| Error::archive("internal: recorder still shared"))?
            .into_inner();
        let recorded = Recorded {
            chunks: record.chunks,
            len,
            zeros_from: if zeros { tar_end } else { len },
        };
        let archive = Archive::from_tar(
            ArchiveSource::Plain(hold(recorded)),
            len,
            compression,
            limits,
            progress,
        )?;
        Ok(Piped { archive, indexes })
    }
}
