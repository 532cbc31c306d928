//! Indexes one layer: every entry's metadata and byte span, from tar headers alone.
//!
//! An uncompressed layer is read header by header, seeking past contents, so the cost grows
//! with the number of entries, not bytes. A compressed layer streams through its decoder once.
//! Memory is O(entries) either way.

use alloc::boxed::Box;
use alloc::vec::Vec;
use std::io::{self, Read, Seek};

use serde::Serialize;

use super::decode::{self, Compression, Counted};
use super::entry::{Entry, EntryKind, Span, Xattr};
use super::guard::HeaderGuard;
use super::path::EntryPath;
use crate::digest::{Digest, Hasher};
use crate::error::{Error, Result};
use crate::hashing::{HashKeyedMap, PathHashing, PathSet};
use crate::limits::Limits;
use crate::progress::{Progress, Stage};
use crate::source::{RangeReader, Source, READ_AHEAD};

/// Something odd about an entry that does not stop indexing: the entry is kept out of the
/// filesystem model (or kept, for duplicates) and reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Raw path of the entry, as written in the tar.
    #[serde(serialize_with = "crate::json::bytes_as_lossy")]
    pub path: Box<[u8]>,
    /// What is odd.
    pub kind: NoticeKind,
}

/// Kinds of [`Notice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum NoticeKind {
    /// The path contains `..`; the entry is ignored, never followed.
    EscapingPath,
    /// A hardlink's target contains `..`; the entry is ignored.
    EscapingLink,
    /// A tar type a filesystem cannot hold (the flag byte); ignored.
    UnsupportedType {
        /// The tar type flag.
        flag: u8,
    },
    /// The same path appears again in this layer; the later entry wins.
    Duplicate,
    /// A GNU sparse file; its size is the expanded size.
    Sparse,
}

/// The index of one layer.
#[derive(Debug, Clone, Serialize)]
pub struct LayerIndex {
    /// Entries in tar order (root entry included; ignored entries excluded).
    pub entries: Vec<Entry>,
    /// How the blob is encoded.
    pub compression: Compression,
    /// Size of the blob as stored in the archive.
    pub blob_size: u64,
    /// Size of the decompressed tar stream (equal to `blob_size` when uncompressed).
    pub tar_size: u64,
    /// sha256 of the decompressed tar stream, when it was computed (compressed layers with
    /// hashing on: the bytes stream past anyway).
    pub diff_id: Option<Digest>,
    /// Entries that were ignored or are odd.
    pub notices: Vec<Notice>,
}

impl LayerIndex {
    /// Sum of regular file sizes.
    pub fn content_size(&self) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.is_file())
            .map(|e| e.size)
            .sum()
    }
}

/// Options for indexing.
#[derive(Debug, Clone, Copy, Default)]
pub struct IndexOptions {
    /// Caps on entries, path length and decompressed size.
    pub limits: Limits,
    /// Hash the decompressed stream of compressed layers (their bytes are read anyway).
    pub hash_compressed: bool,
}

const TICK_EVERY: usize = 2048;

/// Most bytes accepted after a layer's end-of-archive blocks.
const MAX_TRAILING: u64 = 16 << 20;

/// Indexes the layer blob at `[offset, offset + len)` of `source`.
///
/// `progress` receives absolute archive offsets (`base_done + …`) out of `total`.
///
/// # Errors
/// A malformed tar, a truncated blob, a decoder error or a limit, with the entry at fault.
pub fn index_layer<S: Source>(
    source: S,
    offset: u64,
    len: u64,
    options: &IndexOptions,
    progress: &mut dyn Progress,
    stage: Stage,
    total: u64,
) -> Result<LayerIndex> {
    let max = source.max_read_ahead();
    let mut reader = RangeReader::with_windows(source, offset, len, READ_AHEAD, max);
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut reader, &mut magic)?;
    reader.seek(io::SeekFrom::Start(0))?;
    let compression = Compression::detect(&magic[..got]);
    let mut out = LayerIndex {
        entries: Vec::new(),
        compression,
        blob_size: len,
        tar_size: 0,
        diff_id: None,
        notices: Vec::new(),
    };
    let mut report = |done: u64| progress.update(stage, offset + done, total);
    match compression {
        Compression::None => {
            let mut archive = tar::Archive::new(HeaderGuard::new(&mut reader));
            let entries = archive.entries_with_seek()?;
            collect(entries, &mut out, &options.limits, &mut report)?;
            out.tar_size = len;
        }
        _ => {
            let dec = decode::decoder(reader, compression)?;
            let limit = options.limits.max_decompressed;
            let mut counted = Counted {
                inner: Hashing {
                    inner: dec,
                    hasher: options.hash_compressed.then(Hasher::new),
                },
                count: 0,
                limit,
            };
            {
                let mut archive = tar::Archive::new(HeaderGuard::new(&mut counted));
                let entries = archive.entries()?;
                // Progress is in decompressed bytes here; map it onto the blob's share.
                collect(entries, &mut out, &options.limits, &mut |_| true)?;
            }
            // Drain what follows the end-of-archive blocks so the size and hash cover the
            // whole stream. Writers pad to a record (10 KiB); endless zeros there are a
            // decompression bomb, caught here without inflating them all.
            let tar_end = counted.count;
            let trailing = io::copy(&mut (&mut counted).take(MAX_TRAILING + 1), &mut io::sink())?;
            if trailing > MAX_TRAILING {
                return Err(Error::limit(alloc::format!(
                    "the layer's tar ends at byte {tar_end} but its compressed stream goes on (more than {} MiB of padding; a decompression bomb?)",
                    MAX_TRAILING >> 20
                )));
            }
            out.tar_size = counted.count;
            out.diff_id = counted.inner.hasher.take().map(Hasher::finish);
            if !report(len) {
                return Err(crate::ErrorKind::Cancelled.into());
            }
        }
    }
    // The tar parser takes a short read at the end for the end of the archive; an entry whose
    // contents run past the end of the layer means the layer was cut short.
    if let Some(last) = out.entries.last() {
        let needed = last.span.data + last.size;
        if needed > out.tar_size {
            return Err(Error::tar(alloc::format!(
                "the layer ends at byte {} but this entry's contents need {needed} bytes (truncated layer)",
                out.tar_size
            ))
            .in_entry(last.path.as_bytes()));
        }
    }
    Ok(out)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match r.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Hashes what passes through, when asked to.
struct Hashing<R> {
    inner: R,
    hasher: Option<Hasher>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

fn collect<R: Read>(
    entries: tar::Entries<'_, R>,
    out: &mut LayerIndex,
    limits: &Limits,
    report: &mut dyn FnMut(u64) -> bool,
) -> Result<()> {
    let mut prev_end = 0u64;
    let mut seen = SeenPaths::default();
    for (i, item) in entries.enumerate() {
        let mut te = item.map_err(|e| with_offset(Error::from(e), prev_end))?;
        let result = convert(&mut te, prev_end, limits);
        // The raw name is copied only for an error or a notice.
        let raw_path = || -> Box<[u8]> { te.path_bytes().into_owned().into_boxed_slice() };
        let converted = result.map_err(|e| e.in_entry(&raw_path()))?;
        match converted {
            Converted::Entry(entry, notice) => {
                prev_end = entry.span.end;
                if let Some(kind) = notice {
                    out.notices.push(Notice {
                        path: raw_path(),
                        kind,
                    });
                }
                if (out.entries.len() as u64) >= limits.max_entries {
                    return Err(Error::limit(alloc::format!(
                        "more than {} entries in one layer",
                        limits.max_entries
                    )));
                }
                if !entry.path.is_root() && seen.repeated(&entry.path, &out.entries) {
                    out.notices.push(Notice {
                        path: raw_path(),
                        kind: NoticeKind::Duplicate,
                    });
                }
                out.entries.push(entry);
            }
            Converted::Skip(end, notice) => {
                prev_end = end;
                if let Some(kind) = notice {
                    out.notices.push(Notice {
                        path: raw_path(),
                        kind,
                    });
                }
            }
        }
        if i % TICK_EVERY == 0 && !report(prev_end) {
            return Err(crate::ErrorKind::Cancelled.into());
        }
    }
    Ok(())
}

/// The paths already indexed in a layer, for duplicate detection without copying every path:
/// a keyed 64-bit hash maps to the first entry with that hash; paths whose hash collides with
/// a different path (vanishingly rare, and unpredictable from outside) go to an exact set.
#[derive(Default)]
struct SeenPaths {
    hasher: PathHashing,
    first: HashKeyedMap<u32>,
    collided: PathSet<EntryPath>,
}

impl SeenPaths {
    /// Whether `path` is already among `entries` (records it if not).
    fn repeated(&mut self, path: &EntryPath, entries: &[Entry]) -> bool {
        use std::hash::BuildHasher;
        let h = self.hasher.hash_one(path.as_bytes());
        match self.first.entry(h) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(entries.len() as u32);
                false
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                let same = entries
                    .get(*o.get() as usize)
                    .is_some_and(|e| e.path == *path);
                same || !self.collided.insert(path.clone())
            }
        }
    }
}

enum Converted {
    Entry(Entry, Option<NoticeKind>),
    /// Not a filesystem entry; its span ends here.
    Skip(u64, Option<NoticeKind>),
}

fn convert<R: Read>(te: &mut tar::Entry<'_, R>, start: u64, limits: &Limits) -> Result<Converted> {
    let header = te.header();
    let flag = header.entry_type().as_byte();
    let data = te.raw_file_position();
    let archived = te.size();
    let end = archived
        .checked_add(511)
        .map(|s| s & !511)
        .and_then(|s| data.checked_add(s))
        .ok_or_else(|| Error::tar("entry size overflows"))?;
    // PAX global headers ('g') carry defaults for the archive, not a file.
    if flag == b'g' {
        return Ok(Converted::Skip(end, None));
    }
    let (kind, mut notice) = match (EntryKind::from_tar(flag), flag) {
        (Some(k), _) => (k, None),
        (None, b'S') => (EntryKind::File, Some(NoticeKind::Sparse)),
        (None, f) => {
            return Ok(Converted::Skip(
                end,
                Some(NoticeKind::UnsupportedType { flag: f }),
            ))
        }
    };
    let raw_path = te.path_bytes();
    let mut rooted = raw_path.first() == Some(&b'/');
    if raw_path.len() > limits.max_path_len {
        return Err(Error::limit(alloc::format!(
            "entry path longer than {} bytes",
            limits.max_path_len
        )));
    }
    let Ok(path) = EntryPath::parse(&raw_path) else {
        return Ok(Converted::Skip(end, Some(NoticeKind::EscapingPath)));
    };
    // Only links have a target: some writers leave junk in the link field of other entries
    // (containers/storage writes whiteouts with a stale link name), which tar ignores.
    let link: Option<Box<[u8]>> = match kind {
        EntryKind::Symlink | EntryKind::Hardlink => te
            .link_name_bytes()
            .map(|l| l.into_owned().into_boxed_slice()),
        _ => None,
    };
    if kind == EntryKind::Hardlink {
        match link.as_deref().map(EntryPath::parse) {
            Some(Ok(_)) => {}
            _ => return Ok(Converted::Skip(end, Some(NoticeKind::EscapingLink))),
        }
        rooted |= link.as_deref().is_some_and(|l| l.first() == Some(&b'/'));
    }
    let header = te.header();
    let mode = header.mode().map_err(Error::from)? & 0o7777;
    let uid = header.uid().map_err(Error::from)?;
    let gid = header.gid().map_err(Error::from)?;
    let mut mtime = i64::try_from(header.mtime().map_err(Error::from)?).unwrap_or(i64::MAX);
    let mut uname = header
        .username_bytes()
        .filter(|u| !u.is_empty())
        .map(lossy_box);
    let mut gname = header
        .groupname_bytes()
        .filter(|g| !g.is_empty())
        .map(lossy_box);
    let device = match kind {
        EntryKind::CharDevice | EntryKind::BlockDevice => {
            let major = header.device_major().ok().flatten().unwrap_or(0);
            let minor = header.device_minor().ok().flatten().unwrap_or(0);
            Some((major, minor))
        }
        _ => None,
    };
    let mut size = if kind == EntryKind::File { archived } else { 0 };
    if notice == Some(NoticeKind::Sparse) {
        size = header
            .as_gnu()
            .and_then(|g| g.real_size().ok())
            .unwrap_or(archived);
    }
    let mut xattrs = Vec::new();
    if let Some(pax) = te.pax_extensions().map_err(Error::from)? {
        for ext in pax {
            let ext = ext.map_err(Error::from)?;
            let Ok(key) = ext.key() else { continue };
            let value = ext.value_bytes();
            if let Some(name) = key.strip_prefix("SCHILY.xattr.") {
                xattrs.push(Xattr {
                    name: name.into(),
                    value: value.into(),
                });
            } else {
                match key {
                    "uname" => uname = Some(lossy_box(value)),
                    "gname" => gname = Some(lossy_box(value)),
                    "mtime" => {
                        if let Some(secs) = parse_pax_time(value) {
                            mtime = secs;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    if path.is_root() && kind != EntryKind::Dir {
        notice = Some(NoticeKind::EscapingPath);
        return Ok(Converted::Skip(end, notice));
    }
    let entry = Entry {
        path,
        kind,
        mode,
        uid,
        gid,
        uname,
        gname,
        size,
        mtime,
        link,
        device,
        xattrs,
        span: Span { start, data, end },
        rooted,
    };
    Ok(Converted::Entry(entry, notice))
}

/// Names the position of a header the tar parser rejected (there is no entry name to give).
fn with_offset(e: Error, at: u64) -> Error {
    match e.kind() {
        crate::ErrorKind::Tar(msg) => Error::tar(alloc::format!(
            "{msg} (the header at byte {at} of the layer)"
        )),
        _ => e,
    }
}

fn lossy_box(b: &[u8]) -> Box<str> {
    alloc::string::String::from_utf8_lossy(b)
        .into_owned()
        .into_boxed_str()
}

/// PAX times are decimal seconds with an optional fraction, negative before 1970.
fn parse_pax_time(v: &[u8]) -> Option<i64> {
    let s = core::str::from_utf8(v).ok()?;
    let int = s.split('.').next()?;
    if int == "-" {
        return Some(0);
    }
    int.parse().ok()
}
