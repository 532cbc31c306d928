//! A layer exactly as stored: every tar member in order, with its type flag, its name as
//! written (`.wh.` markers and `.wh..wh..opq` included, `./` prefixes kept), size, mode,
//! owner, PAX records and offset; each whiteout marker linked to what it removes below.
//!
//! The layer index keeps normalised paths and drops what a filesystem does not need, so the
//! members are read again from the layer's tar (seeking past contents when it is stored
//! plain); the markers are linked through the layer's change set, which already knows what
//! each removal hid.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::fs::whiteout::{classify, Role};
use crate::fs::{ChangeKind, ChangeSet, Removal};
use crate::image::Image;
use crate::layer::EntryPath;
use crate::stream::Compression;

/// Removed paths listed per marker (the count and bytes cover them all).
pub const MAX_LISTED: usize = 200;

/// One layer's members as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawLayer {
    /// Layer position (0 = base).
    pub layer: usize,
    /// How the blob is encoded (`none`, `gzip`, `zstd`).
    pub compression: Compression,
    /// Bytes of the blob as stored.
    pub blob_size: u64,
    /// Bytes of the (decompressed) tar.
    pub tar_size: u64,
    /// Every member in tar order.
    pub members: Vec<RawMember>,
}

/// One tar member: the headers that describe one file (a PAX or GNU long-name header is part
/// of the member it precedes, as `tar tvf` and Python's `tarfile` count them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawMember {
    /// Position among the members.
    pub index: u32,
    /// Offset in the tar of the member's first header (its PAX header, if it has one).
    pub offset: u64,
    /// Offset of its contents.
    pub data: u64,
    /// The type flag byte as written (`0`, `5`, `2`, `1`, …; a NUL flag shows as `0`).
    pub flag: char,
    /// What the flag means (`file`, `dir`, `symlink`, `hardlink`, `char`, `block`, `fifo`,
    /// `contiguous`, `sparse`, or `other`).
    pub kind: Cow<'static, str>,
    /// The name as written (after PAX `path` / GNU long name), escaped for display.
    pub name: String,
    /// The exact name bytes (to link a marker; not serialised).
    #[serde(skip)]
    pub name_bytes: Vec<u8>,
    /// Link target as written, for links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The size field (bytes of contents stored).
    pub size: u64,
    /// Permission bits with setuid, setgid and sticky.
    pub mode: u32,
    /// Owner id.
    pub uid: u64,
    /// Group id.
    pub gid: u64,
    /// Owner name (may be empty).
    pub uname: String,
    /// Group name (may be empty).
    pub gname: String,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// The PAX records of its extended header, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pax: Vec<PaxRecord>,
    /// For a whiteout or opaque marker: what it removes from the layers below.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<Marker>,
}

/// One PAX record (`key=value`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaxRecord {
    /// The key (`path`, `mtime`, `SCHILY.xattr.user.x`, …).
    pub key: String,
    /// The value, escaped for display.
    pub value: String,
}

/// What a whiteout marker does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkerKind {
    /// `.wh.NAME`: deletes `NAME` and everything under it.
    Whiteout,
    /// `.wh..wh..opq`: hides everything the layers below had in its directory.
    Opaque,
}

/// A marker linked to the paths it removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// Whiteout or opaque.
    pub kind: MarkerKind,
    /// The path deleted, or the directory made opaque (`/`-rooted, escaped).
    pub target: String,
    /// The removed paths (the first [`MAX_LISTED`]), by path.
    pub removes: Vec<Removed>,
    /// How many paths it removes in all.
    pub removed_count: u64,
    /// Content bytes of the files it removes, which the layers below still ship.
    pub removed_bytes: u64,
}

/// A path a marker removes, and the layer below that had it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// The path (`/`-rooted, escaped).
    pub path: String,
    /// The layer whose entry it was.
    pub layer: u32,
    /// Its type as `ls -l` shows it.
    pub kind: char,
    /// Its content bytes (0 for anything but a regular file).
    pub size: u64,
}

/// Where a layer's blob is and how to read it: all [`raw_layer`] needs of the image.
#[derive(Debug, Clone)]
pub struct LayerPlace {
    /// Layer position.
    pub layer: usize,
    /// The blob in the archive.
    pub blob: crate::archive::BlobRef,
    /// Its encoding.
    pub compression: Compression,
    /// Bytes of its tar.
    pub tar_size: u64,
}

impl LayerPlace {
    /// Layer `layer` of `image`, if it has one.
    pub fn of(image: &Image, layer: usize) -> Option<Self> {
        let l = image.layers.get(layer)?;
        Some(LayerPlace {
            layer,
            blob: l.blob.blob.clone(),
            compression: l.index.compression,
            tar_size: l.index.tar_size,
        })
    }
}

impl RawLayer {
    /// Links every marker to what it removes: `changes` is this layer's change set in the
    /// image the members were read from.
    pub fn link(&mut self, image: &Image, changes: &ChangeSet) {
        for m in &mut self.members {
            m.marker = marker_for(&m.name_bytes, image, changes);
        }
    }
}

/// The name `kind` gives a type flag.
pub fn kind_name(flag: u8) -> &'static str {
    match flag {
        b'0' | b'\0' => "file",
        b'1' => "hardlink",
        b'2' => "symlink",
        b'3' => "char",
        b'4' => "block",
        b'5' => "dir",
        b'6' => "fifo",
        b'7' => "contiguous",
        b'S' => "sparse",
        _ => "other",
    }
}

/// The marker a member's written name makes, linked to the removals of its layer's change
/// set; `None` for an ordinary name.
pub fn marker_for(raw_name: &[u8], image: &Image, changes: &ChangeSet) -> Option<Marker> {
    let path = EntryPath::parse(raw_name).ok()?;
    let (kind, target, removal) = match classify(&path) {
        Role::Whiteout(t) => (MarkerKind::Whiteout, t, Removal::Whiteout),
        Role::Opaque(d) => (MarkerKind::Opaque, d, Removal::Opaque),
        Role::Plain | Role::AufsMeta => return None,
    };
    let mut marker = Marker {
        kind,
        target: alloc::format!("/{}", target.display()),
        removes: Vec::new(),
        removed_count: 0,
        removed_bytes: 0,
    };
    // Changes are sorted by path: the target itself, then its subtree in one range.
    let mut linked = |c: &crate::fs::Change| {
        if c.kind != ChangeKind::Removed(removal) {
            return;
        }
        let Some(before) = c.before else { return };
        let Some(e) = image.entry(before) else { return };
        marker.removed_count += 1;
        marker.removed_bytes += c.hidden_size;
        if marker.removes.len() < MAX_LISTED {
            marker.removes.push(Removed {
                path: alloc::format!("/{}", c.path.display()),
                layer: before.layer,
                kind: e.kind.letter(),
                size: c.hidden_size,
            });
        }
    };
    if kind == MarkerKind::Whiteout {
        if let Ok(i) = changes
            .changes
            .binary_search_by(|c| c.path.as_bytes().cmp(target.as_bytes()))
        {
            linked(&changes.changes[i]);
        }
    }
    let mut prefix = target.as_bytes().to_vec();
    if !prefix.is_empty() {
        prefix.push(b'/');
    }
    let below = |p: &[u8]| !p.is_empty() && p.starts_with(&prefix);
    let lo = changes
        .changes
        .partition_point(|c| c.path.as_bytes() < prefix.as_slice());
    for c in changes.changes[lo..]
        .iter()
        .take_while(|c| below(c.path.as_bytes()) || c.path.as_bytes() == target.as_bytes())
        .filter(|c| below(c.path.as_bytes()))
    {
        linked(c);
    }
    Some(marker)
}

#[cfg(feature = "std")]
pub use self::reading::raw_layer;

#[cfg(feature = "std")]
mod reading {
    use alloc::borrow::Cow;
    use alloc::vec::Vec;
    use std::io::Read;

    use super::{kind_name, LayerPlace, PaxRecord, RawLayer, RawMember};
    use crate::error::{Error, ErrorKind, Result};
    use crate::layer::parse_pax_time;
    use crate::limits::{LimitKind, Limits};
    use crate::progress::{Progress, Stage};
    use crate::sanitize::display_bytes as shown;
    use crate::source::{RangeReader, Source};
    use crate::stream::decode::{self, Counted};
    use crate::stream::guard::HeaderGuard;
    use crate::stream::Compression;

    const TICK_EVERY: usize = 2048;

    /// Reads the layer at `place` of the archive `source` member by member. The markers are
    /// linked afterwards by [`RawLayer::link`] (the image need not stay borrowed while the
    /// source is read).
    ///
    /// # Errors
    /// A read or decoder failure, a malformed tar, a limit, cancelled.
    pub fn raw_layer<S: Source>(
        source: S,
        place: &LayerPlace,
        limits: &Limits,
        progress: &mut dyn Progress,
    ) -> Result<RawLayer> {
        let LayerPlace {
            layer,
            ref blob,
            compression,
            tar_size,
        } = *place;
        let at = |e: Error| e.in_layer(layer).in_member(&blob.member);
        let reader = RangeReader::new(source, blob.offset, blob.size);
        let mut report = |done: u64| progress.update(Stage::Reading(layer), done, tar_size);
        let mut members = Vec::new();
        if compression == Compression::None {
            let mut archive = tar::Archive::new(HeaderGuard::new(reader));
            let entries = archive.entries_with_seek().map_err(|e| at(e.into()))?;
            collect(entries, &mut members, limits, &mut report).map_err(at)?;
        } else {
            let dec = decode::decoder(reader, compression).map_err(|e| at(e.into()))?;
            let counted = Counted {
                inner: dec,
                count: 0,
                limit: limits.max_decompressed,
            };
            let mut archive = tar::Archive::new(HeaderGuard::new(counted));
            let entries = archive.entries().map_err(|e| at(e.into()))?;
            collect(entries, &mut members, limits, &mut report).map_err(at)?;
        }
        Ok(RawLayer {
            layer,
            compression,
            blob_size: blob.size,
            tar_size,
            members,
        })
    }

    /// Reads every member: its written name bytes (to link markers) and the member.
    fn collect<R: Read>(
        entries: tar::Entries<'_, R>,
        out: &mut Vec<RawMember>,
        limits: &Limits,
        report: &mut dyn FnMut(u64) -> bool,
    ) -> Result<()> {
        let mut prev_end = 0u64;
        for (i, item) in entries.enumerate() {
            let mut te = item.map_err(Error::from)?;
            let data = te.raw_file_position();
            let size = te.size();
            let end = size
                .checked_add(511)
                .map(|s| s & !511)
                .and_then(|s| data.checked_add(s))
                .ok_or_else(|| Error::tar("entry size overflows"))?;
            let start = prev_end;
            prev_end = end;
            let flag = te.header().entry_type().as_byte();
            // A PAX global header ('g') holds defaults for the archive, not a file: tar tvf
            // and Python's tarfile do not list it either.
            if flag == b'g' {
                continue;
            }
            if out.len() as u64 >= limits.max_entries {
                return Err(Error::limit(LimitKind::LayerEntries, limits.max_entries));
            }
            let name = te.path_bytes().into_owned();
            if name.len() > limits.max_path_len {
                return Err(Error::limit(LimitKind::PathLen, limits.max_path_len as u64));
            }
            let link = te.link_name_bytes().map(|l| shown(&l));
            let h = te.header();
            let mode = h.mode().map_err(Error::from)? & 0o7777;
            let mut uid = h.uid().map_err(Error::from)?;
            let mut gid = h.gid().map_err(Error::from)?;
            let mut mtime = i64::try_from(h.mtime().map_err(Error::from)?).unwrap_or(i64::MAX);
            let mut uname = h.username_bytes().map(shown).unwrap_or_default();
            let mut gname = h.groupname_bytes().map(shown).unwrap_or_default();
            let mut pax = Vec::new();
            if let Some(exts) = te.pax_extensions().map_err(Error::from)? {
                for ext in exts {
                    let ext = ext.map_err(Error::from)?;
                    let key = shown(ext.key_bytes());
                    let value = ext.value_bytes();
                    let number = || core::str::from_utf8(value).ok()?.parse::<u64>().ok();
                    match key.as_str() {
                        "uid" => uid = number().unwrap_or(uid),
                        "gid" => gid = number().unwrap_or(gid),
                        "uname" => uname = shown(value),
                        "gname" => gname = shown(value),
                        "mtime" => mtime = parse_pax_time(value).unwrap_or(mtime),
                        _ => {}
                    }
                    pax.push(PaxRecord {
                        key,
                        value: shown(value),
                    });
                }
            }
            let member = RawMember {
                index: out.len() as u32,
                offset: start,
                data,
                flag: if flag == 0 { '0' } else { flag as char },
                kind: Cow::Borrowed(kind_name(flag)),
                name: shown(&name),
                name_bytes: name,
                link,
                size,
                mode,
                uid,
                gid,
                uname,
                gname,
                mtime,
                pax,
                marker: None,
            };
            out.push(member);
            if i % TICK_EVERY == 0 && !report(end) {
                return Err(ErrorKind::Cancelled.into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The page receives members as JSON: what the worker writes must read back whole,
    /// fields left out when empty included.
    #[test]
    fn members_round_trip_through_json() {
        let m = RawMember {
            index: 0,
            offset: 0,
            data: 512,
            flag: '0',
            kind: Cow::Borrowed("file"),
            name: "a/.wh.b".into(),
            name_bytes: b"a/.wh.b".to_vec(),
            link: None,
            size: 0,
            mode: 0o644,
            uid: 0,
            gid: 0,
            uname: String::new(),
            gname: String::new(),
            mtime: 1,
            pax: Vec::new(),
            marker: None,
        };
        let layer = RawLayer {
            layer: 1,
            compression: Compression::None,
            blob_size: 1024,
            tar_size: 1024,
            members: alloc::vec![m],
        };
        let json = serde_json::to_string(&layer).unwrap();
        let back: RawLayer = serde_json::from_str(&json).unwrap();
        let mut expected = layer;
        expected.members[0].name_bytes.clear();
        assert_eq!(back, expected);
    }
}
