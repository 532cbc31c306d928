//! One entry of a layer tar, as indexed: metadata and where its bytes are.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

use super::path::EntryPath;

/// The tar entry type, reduced to what a filesystem can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Regular file (`0`, `\0`, or contiguous `7`).
    File,
    /// Directory (`5`).
    Dir,
    /// Symbolic link (`2`).
    Symlink,
    /// Hard link to an earlier entry (`1`).
    Hardlink,
    /// Character device (`3`).
    CharDevice,
    /// Block device (`4`).
    BlockDevice,
    /// Named pipe (`6`).
    Fifo,
}

impl EntryKind {
    /// From a tar type flag; `None` for types a filesystem cannot hold (extension headers
    /// that reached us, sparse files, vendor types).
    pub fn from_tar(flag: u8) -> Option<Self> {
        Some(match flag {
            b'0' | b'\0' | b'7' => EntryKind::File,
            b'1' => EntryKind::Hardlink,
            b'2' => EntryKind::Symlink,
            b'3' => EntryKind::CharDevice,
            b'4' => EntryKind::BlockDevice,
            b'5' => EntryKind::Dir,
            b'6' => EntryKind::Fifo,
            _ => return None,
        })
    }

    /// A one-letter code as `ls -l` shows it.
    pub fn letter(self) -> char {
        match self {
            EntryKind::File => '-',
            EntryKind::Dir => 'd',
            EntryKind::Symlink => 'l',
            EntryKind::Hardlink => 'h',
            EntryKind::CharDevice => 'c',
            EntryKind::BlockDevice => 'b',
            EntryKind::Fifo => 'p',
        }
    }
}

/// Where an entry's bytes lie in its layer's (decompressed) tar stream, half-open offsets:
/// `[start, data)` is every header of the entry (PAX / GNU long-name headers included),
/// `[data, data + size)` its contents and `[data + size, end)` the padding to 512 bytes.
/// For an uncompressed layer add the layer's offset in the archive to get file offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Span {
    /// First byte of the first header.
    pub start: u64,
    /// First byte of the contents.
    pub data: u64,
    /// One past the padding.
    pub end: u64,
}

/// An extended attribute from a PAX `SCHILY.xattr.*` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Xattr {
    /// Attribute name (`security.capability`, `user.foo`).
    pub name: Box<str>,
    /// Exact value bytes.
    #[serde(serialize_with = "crate::json::bytes_as_lossy")]
    pub value: Box<[u8]>,
}

/// The attributes few entries have: owner names, device numbers, extended attributes.
/// Behind one shared pointer, so an entry without them pays 8 bytes instead of 68, and
/// neighbours with the same owner names (`root`/`root` across a whole layer) share one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rare {
    /// Owner name, if recorded.
    pub uname: Option<Box<str>>,
    /// Group name, if recorded.
    pub gname: Option<Box<str>>,
    /// Device major/minor for character and block devices.
    pub device: Option<(u32, u32)>,
    /// Extended attributes.
    pub xattrs: Vec<Xattr>,
}

impl Rare {
    /// Whether there is nothing in it (an entry then holds no `Rare` at all).
    pub fn is_empty(&self) -> bool {
        self.uname.is_none()
            && self.gname.is_none()
            && self.device.is_none()
            && self.xattrs.is_empty()
    }
}

/// One indexed entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Normalised path.
    pub path: EntryPath,
    /// Entry type.
    pub kind: EntryKind,
    /// Permission bits including setuid, setgid and sticky (`0o7777`).
    pub mode: u32,
    /// Owner, from the header or a PAX `uid` record.
    pub uid: u64,
    /// Group, from the header or a PAX `gid` record.
    pub gid: u64,
    /// Content size in bytes (0 for everything but regular files).
    pub size: u64,
    /// Modification time, seconds since the epoch (negative before 1970, from PAX).
    pub mtime: i64,
    /// Link target, exact bytes: verbatim for a symlink, the raw tar path for a hardlink.
    pub link: Option<Box<[u8]>>,
    /// Where its bytes are in the layer stream.
    pub span: Span,
    /// The raw path (or a hardlink's raw target) was absolute. Extractors strip the `/`, but a
    /// careful one refuses it, so outputs rewrite such headers instead of copying them.
    pub rooted: bool,
    /// Owner names, device numbers and xattrs; `None` when the entry has none of them (never
    /// an empty `Rare`, so equal entries compare equal).
    pub(crate) rare: Option<Arc<Rare>>,
}

impl Entry {
    /// Sets the owner names, device numbers and xattrs, sharing `previous` (the last entry's)
    /// when they are the same (the tar reader, and [`crate::wire`] decoding another worker's index).
    pub(crate) fn set_rare(&mut self, rare: Rare, previous: Option<&Arc<Rare>>) {
        self.rare = if rare.is_empty() {
            None
        } else if let Some(p) = previous.filter(|p| ***p == rare) {
            Some(Arc::clone(p))
        } else {
            Some(Arc::new(rare))
        };
    }

    /// The shared owner names, device numbers and xattrs, if any.
    pub(crate) fn rare(&self) -> Option<&Arc<Rare>> {
        self.rare.as_ref()
    }

    /// Owner name, if recorded.
    pub fn uname(&self) -> Option<&str> {
        self.rare.as_ref().and_then(|r| r.uname.as_deref())
    }

    /// Group name, if recorded.
    pub fn gname(&self) -> Option<&str> {
        self.rare.as_ref().and_then(|r| r.gname.as_deref())
    }

    /// Device major/minor for character and block devices.
    pub fn device(&self) -> Option<(u32, u32)> {
        self.rare.as_ref().and_then(|r| r.device)
    }

    /// Extended attributes.
    pub fn xattrs(&self) -> &[Xattr] {
        self.rare.as_ref().map_or(&[], |r| &r.xattrs)
    }

    /// Whether the content of this entry lives in its own data (a regular file).
    pub fn is_file(&self) -> bool {
        self.kind == EntryKind::File
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Dir
    }

    /// Bytes this entry occupies in the tar stream (headers, contents, padding).
    pub fn tar_size(&self) -> u64 {
        self.span.end - self.span.start
    }
}

/// Serialised as the struct it was before [`Rare`] moved out: `path`, `kind`, `mode`, `uid`,
/// `gid`, `uname`?, `gname`?, `size`, `mtime`, `link`?, `device`?, `xattrs` (unless empty),
/// `span`, `rooted` (when true); `?` fields only when present.
impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Lossy<'a>(&'a [u8]);
        impl Serialize for Lossy<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                crate::json::bytes_as_lossy(self.0, s)
            }
        }
        let xattrs = self.xattrs();
        let fields = 8
            + usize::from(self.uname().is_some())
            + usize::from(self.gname().is_some())
            + usize::from(self.link.is_some())
            + usize::from(self.device().is_some())
            + usize::from(!xattrs.is_empty())
            + usize::from(self.rooted);
        let mut st = s.serialize_struct("Entry", fields)?;
        st.serialize_field("path", &self.path)?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("mode", &self.mode)?;
        st.serialize_field("uid", &self.uid)?;
        st.serialize_field("gid", &self.gid)?;
        match self.uname() {
            Some(u) => st.serialize_field("uname", &Some(u))?,
            None => st.skip_field("uname")?,
        }
        match self.gname() {
            Some(g) => st.serialize_field("gname", &Some(g))?,
            None => st.skip_field("gname")?,
        }
        st.serialize_field("size", &self.size)?;
        st.serialize_field("mtime", &self.mtime)?;
        match self.link.as_deref() {
            Some(l) => st.serialize_field("link", &Some(Lossy(l)))?,
            None => st.skip_field("link")?,
        }
        match self.device() {
            Some(d) => st.serialize_field("device", &Some(d))?,
            None => st.skip_field("device")?,
        }
        if xattrs.is_empty() {
            st.skip_field("xattrs")?;
        } else {
            st.serialize_field("xattrs", xattrs)?;
        }
        st.serialize_field("span", &self.span)?;
        if self.rooted {
            st.serialize_field("rooted", &self.rooted)?;
        } else {
            st.skip_field("rooted")?;
        }
        st.end()
    }
}

/// Identifies an entry: layer position and index in that layer's entry list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EntryRef {
    /// Layer position (0 = base).
    pub layer: u32,
    /// Index into [`LayerIndex::entries`](super::LayerIndex::entries).
    pub entry: u32,
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::layer::{pad, HeaderSpec};
    use crate::testing::index;
    use alloc::string::String;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Headers written by the crate's own writer, so re-writing an indexed entry must give
    /// the same bytes back.
    fn layer(specs: &[HeaderSpec<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        for s in specs {
            out.extend_from_slice(&s.to_bytes());
            out.extend(core::iter::repeat_n(b'x', s.size as usize));
            pad(&mut out);
        }
        out.extend_from_slice(&[0u8; 1024]);
        out
    }

    #[test]
    fn odd_entries_round_trip_through_the_compact_entry() {
        let long: Vec<u8> = [&b"deep/"[..], &[b'n'; 290][..], b"/caf\xe9"].concat();
        let long_link: Vec<u8> = [&b"../"[..], &[b'\xff'; 150][..]].concat();
        let root = |path: &'static [u8], size: u64| HeaderSpec {
            uname: "root",
            gname: "root",
            mtime: 1_700_000_000,
            mode: 0o644,
            ..HeaderSpec::file(path, size, 1_700_000_000)
        };
        let specs = [
            root(b"dir/caf\xe9", 3),
            root(b"dir/next", 0),
            HeaderSpec {
                path: &long,
                uid: 70_000,
                uname: "a-very-long-owner-name-beyond-32-bytes",
                xattrs: alloc::vec![("security.capability", &b"\x01\x00\xff"[..])],
                ..HeaderSpec::file(&long, 5, -12)
            },
            HeaderSpec {
                path: b"dev/null",
                flag: b'3',
                mode: 0o666,
                device: (1, 3),
                ..Default::default()
            },
            HeaderSpec {
                path: b"lnk",
                flag: b'2',
                mode: 0o777,
                link: &long_link,
                ..Default::default()
            },
            HeaderSpec::file(b"plain", 0, 0),
        ];
        let bytes = layer(&specs);
        let idx = index(&bytes);
        assert_eq!(idx.entries.len(), specs.len());
        for (e, s) in idx.entries.iter().zip(&specs) {
            assert_eq!(e.path.as_bytes(), s.path);
            assert_eq!(e.uname().unwrap_or(""), s.uname);
            assert_eq!(e.gname().unwrap_or(""), s.gname);
            assert_eq!(e.uid, s.uid);
            assert_eq!(e.mtime, s.mtime);
            assert_eq!(e.link.as_deref().unwrap_or(b""), s.link);
            let xattrs: Vec<(&str, &[u8])> =
                e.xattrs().iter().map(|x| (&*x.name, &*x.value)).collect();
            assert_eq!(xattrs, s.xattrs);
            // Written again from the index, the header is the one that was read.
            let again = HeaderSpec::from_entry(e, e.path.as_bytes(), e.kind).to_bytes();
            let span = e.span.start as usize..e.span.data as usize;
            assert_eq!(again, &bytes[span], "{}", e.path);
        }
        let [a, b, c, dev, lnk, plain] = &idx.entries[..] else {
            panic!("six entries")
        };
        assert_eq!(dev.device(), Some((1, 3)));
        assert_eq!(a.device(), None);
        // Neighbours with the same owner names share one `Rare`; an entry with none has none.
        assert!(Arc::ptr_eq(a.rare().unwrap(), b.rare().unwrap()));
        assert!(c.rare().is_some() && lnk.rare().is_none() && plain.rare().is_none());
        // Shared or not, equal attributes compare equal.
        let mut fresh = b.clone();
        fresh.rare = b.rare().map(|r| Arc::new((**r).clone()));
        assert_eq!(fresh, *b);
        let json = serde_json::to_string(dev).unwrap();
        let (start, data) = (dev.span.start, dev.span.data);
        assert_eq!(
            json,
            alloc::format!(
                "{{\"path\":\"dev/null\",\"kind\":\"char_device\",\"mode\":438,\"uid\":0,\
                 \"gid\":0,\"size\":0,\"mtime\":0,\"device\":[1,3],\"span\":{{\"start\":{start},\
                 \"data\":{data},\"end\":{data}}}}}"
            )
        );
        let json = serde_json::to_string(a).unwrap();
        assert!(json.contains("\"uname\":\"root\",\"gname\":\"root\",\"size\":3"));
        assert!(json.starts_with(&String::from("{\"path\":\"dir/caf\u{fffd}\"")));
        let json = serde_json::to_string(c).unwrap();
        assert!(json.contains(
            "\"xattrs\":[{\"name\":\"security.capability\",\"value\":\"\\u0001\\u0000\u{fffd}\"}]"
        ));
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn an_entry_stays_small() {
        // Every byte here is a megabyte of a million-entry image (docs/performance.md).
        assert!(
            core::mem::size_of::<Entry>() <= 104,
            "{}",
            core::mem::size_of::<Entry>()
        );
        assert_eq!(core::mem::size_of::<EntryPath>(), 16);
    }
}
