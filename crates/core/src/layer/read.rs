//! Indexes one layer: every entry's metadata and byte span, from tar headers alone (std:
//! the tar crate reads through `std::io`).
//!
//! An uncompressed layer is read header by header, seeking past contents, so the cost grows
//! with the number of entries, not bytes. A compressed layer streams through its decoder once
//! (a gzip one pushed through [`Gunzipping`](super::Gunzipping), as the browser does).
//! Memory is O(entries) either way.

use alloc::boxed::Box;
use alloc::vec::Vec;
use std::io::{self, Read, Seek};

use super::entry::{Entry, EntryKind, Rare, Span, Xattr};
use super::index::{IndexOptions, LayerIndex, Notice, NoticeKind};
use super::path::EntryPath;
use crate::error::{Error, Result};
use crate::hashing::{HashKeyedMap, PathHashing, PathSet};
use crate::limits::{LimitKind, Limits};
use crate::progress::{Progress, Stage};
use crate::source::{RangeReader, Source, READ_AHEAD};
use crate::stream::decode::{self, Counted};
use crate::stream::guard::HeaderGuard;
use crate::stream::Compression;

const TICK_EVERY: usize = 2048;

/// Most bytes accepted after a layer's end-of-archive blocks.
pub(super) const MAX_TRAILING: u64 = 16 << 20;

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
        // The same path as the browser's: inflated in large steps, contents sought past
        // dropped a chunk at a time (faster than the tar crate skipping them 8 KiB a read).
        Compression::Gzip => {
            out = gunzip_pushed(&mut reader, len, options)?;
            if !report(len) {
                return Err(crate::error::ErrorKind::Cancelled.into());
            }
        }
        Compression::Zstd => {
            let dec = decode::decoder(reader, compression)?;
            index_decoded(dec, &mut out, &options.limits)?;
            if !report(len) {
                return Err(crate::error::ErrorKind::Cancelled.into());
            }
        }
    }
    check_complete(&out)?;
    Ok(out)
}

/// Bytes of a gzip blob read per push.
const GZIP_PIECE: usize = 1 << 20;

/// Indexes a gzip layer blob by pushing it, a piece at a time, into [`Gunzipping`].
fn gunzip_pushed(reader: &mut impl Read, len: u64, options: &IndexOptions) -> Result<LayerIndex> {
    let mut state = super::Gunzipping::new(len, options);
    loop {
        let mut piece = state.spare();
        piece.resize(GZIP_PIECE, 0);
        let got = read_up_to(reader, &mut piece)?;
        piece.truncate(got);
        if got == 0 {
            state.end_input();
        } else {
            state.push(piece);
        }
        if let Some(index) = state.advance()? {
            return Ok(index);
        }
        if got == 0 {
            return Err(Error::tar(
                "the gzip stream needs bytes past the layer's end",
            ));
        }
    }
}

/// Indexes a layer blob of `len` bytes read once, front to back, from `reader` (a member of
/// an archive arriving through a pipe). The index equals [`index_layer`]'s for the same bytes;
/// `reader` is left wherever the layer's tar ended (the caller drains the rest).
///
/// # Errors
/// As [`index_layer`].
pub fn index_layer_stream<R: Read>(
    mut reader: R,
    len: u64,
    options: &IndexOptions,
) -> Result<LayerIndex> {
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut reader, &mut magic)?;
    let compression = Compression::detect(&magic[..got]);
    let mut reader = io::Cursor::new(magic).take(got as u64).chain(reader);
    let mut out = LayerIndex {
        entries: Vec::new(),
        compression,
        blob_size: len,
        tar_size: 0,
        notices: Vec::new(),
    };
    match compression {
        Compression::None => {
            let mut archive = tar::Archive::new(HeaderGuard::new(&mut reader));
            collect(archive.entries()?, &mut out, &options.limits, &mut |_| true)?;
            out.tar_size = len;
        }
        _ => {
            let dec = decode::decoder_for_reader(reader, compression)?;
            index_decoded(dec, &mut out, &options.limits)?;
        }
    }
    check_complete(&out)?;
    Ok(out)
}

/// Indexes a decompressed layer stream into `out`, setting its tar size.
fn index_decoded(dec: Box<dyn Read + '_>, out: &mut LayerIndex, limits: &Limits) -> Result<()> {
    let mut counted = Counted {
        inner: dec,
        count: 0,
        limit: limits.max_decompressed,
    };
    {
        let mut archive = tar::Archive::new(HeaderGuard::new(&mut counted));
        let entries = archive.entries()?;
        // Progress is in decompressed bytes here; the caller reports the blob as a whole.
        collect(entries, out, limits, &mut |_| true)?;
    }
    // Drain what follows the end-of-archive blocks so the size covers the whole
    // stream. Writers pad to a record (10 KiB); endless zeros there are a
    // decompression bomb, caught here without inflating them all.
    let tar_end = counted.count;
    let trailing = io::copy(&mut (&mut counted).take(MAX_TRAILING + 1), &mut io::sink())?;
    if trailing > MAX_TRAILING {
        return Err(Error::limit(
            LimitKind::TrailingPadding { tar_end },
            MAX_TRAILING,
        ));
    }
    out.tar_size = counted.count;
    Ok(())
}

/// Fails when the last entry's contents run past the layer's end.
pub(super) fn check_complete(out: &LayerIndex) -> Result<()> {
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
    Ok(())
}

/// Reads until `buf` is full or the input ends; the count read.
pub(crate) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match r.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

fn collect<R: Read>(
    entries: tar::Entries<'_, R>,
    out: &mut LayerIndex,
    limits: &Limits,
    report: &mut dyn FnMut(u64) -> bool,
) -> Result<()> {
    Collector::default().collect(entries, 0, out, limits, report)?;
    shrink(out);
    Ok(())
}

/// The list grew by doubling: up to half of it would be spare room for the life of the
/// analysis (a 300,001-entry layer had room for 524,288).
pub(super) fn shrink(out: &mut LayerIndex) {
    out.entries.shrink_to_fit();
    out.notices.shrink_to_fit();
}

/// Where indexing stands between two entries: all a parse started again at the next header
/// needs to go on as if it had never stopped.
#[derive(Default)]
pub(super) struct Collector {
    /// Where the last entry taken ended (its header chain and padded contents), relative to
    /// the layer: the next header starts here.
    prev_end: u64,
    seen: SeenPaths,
    /// Tar entries taken so far (filesystem entries and skipped ones).
    taken: usize,
}

impl Collector {
    /// Where the next header starts, relative to the layer.
    pub(super) fn next_header(&self) -> u64 {
        self.prev_end
    }

    /// Takes `entries` (a tar parse that started at layer offset `base`, which is
    /// [`Collector::next_header`]) into `out`.
    pub(super) fn collect<R: Read>(
        &mut self,
        entries: tar::Entries<'_, R>,
        base: u64,
        out: &mut LayerIndex,
        limits: &Limits,
        report: &mut dyn FnMut(u64) -> bool,
    ) -> Result<()> {
        debug_assert_eq!(base, self.prev_end);
        for item in entries {
            let prev_end = self.prev_end;
            let mut te = item.map_err(|e| with_offset(Error::from(e), prev_end))?;
            let result = convert(&mut te, base, prev_end, limits);
            // The raw name is copied only for an error or a notice.
            let raw_path = || -> Box<[u8]> { te.path_bytes().into_owned().into_boxed_slice() };
            let converted = result.map_err(|e| e.in_entry(&raw_path()))?;
            match converted {
                Converted::Entry(mut entry, rare, notice) => {
                    entry.set_rare(rare, out.entries.last().and_then(Entry::rare));
                    if let Some(kind) = notice {
                        out.notices.push(Notice {
                            path: raw_path(),
                            kind,
                        });
                    }
                    if (out.entries.len() as u64) >= limits.max_entries {
                        return Err(Error::limit(LimitKind::LayerEntries, limits.max_entries));
                    }
                    if !entry.path.is_root() && self.seen.repeated(&entry.path, &out.entries) {
                        out.notices.push(Notice {
                            path: raw_path(),
                            kind: NoticeKind::Duplicate,
                        });
                    }
                    self.prev_end = entry.span.end;
                    out.entries.push(entry);
                }
                Converted::Skip(end, notice) => {
                    if let Some(kind) = notice {
                        out.notices.push(Notice {
                            path: raw_path(),
                            kind,
                        });
                    }
                    self.prev_end = end;
                }
            }
            let i = self.taken;
            self.taken += 1;
            if i % TICK_EVERY == 0 && !report(self.prev_end) {
                return Err(crate::error::ErrorKind::Cancelled.into());
            }
        }
        Ok(())
    }
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
    /// An entry (its rare attributes not yet set: they may be shared with the previous one).
    Entry(Entry, Rare, Option<NoticeKind>),
    /// Not a filesystem entry; its span ends here.
    Skip(u64, Option<NoticeKind>),
}

/// `base`: where in the layer the tar parse that read `te` started; `start`: where `te`'s
/// header chain starts in the layer.
fn convert<R: Read>(
    te: &mut tar::Entry<'_, R>,
    base: u64,
    start: u64,
    limits: &Limits,
) -> Result<Converted> {
    // Long on purpose: one tar header to one entry, field by field (type, path, link, mode,
    // owner, times from PAX or the header, xattrs, span), each with its own edge cases.
    let header = te.header();
    let flag = header.entry_type().as_byte();
    let data = base + te.raw_file_position();
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
        return Err(Error::limit(LimitKind::PathLen, limits.max_path_len as u64));
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
        size,
        mtime,
        link,
        span: Span { start, data, end },
        rooted,
        rare: None,
    };
    let rare = Rare {
        uname,
        gname,
        device,
        xattrs,
    };
    Ok(Converted::Entry(entry, rare, notice))
}

/// Names the position of a header the tar parser rejected (there is no entry name to give).
fn with_offset(e: Error, at: u64) -> Error {
    match e.kind() {
        crate::error::ErrorKind::Tar(msg) => Error::tar(alloc::format!(
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
pub(crate) fn parse_pax_time(v: &[u8]) -> Option<i64> {
    let s = core::str::from_utf8(v).ok()?;
    let int = s.split('.').next()?;
    if int == "-" {
        return Some(0);
    }
    int.parse().ok()
}
