//! One entry of a layer tar, as indexed: metadata and where its bytes are.

use alloc::boxed::Box;
use alloc::vec::Vec;

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

/// One indexed entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// Owner name, if recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uname: Option<Box<str>>,
    /// Group name, if recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gname: Option<Box<str>>,
    /// Content size in bytes (0 for everything but regular files).
    pub size: u64,
    /// Modification time, seconds since the epoch (negative before 1970, from PAX).
    pub mtime: i64,
    /// Link target, exact bytes: verbatim for a symlink, the raw tar path for a hardlink.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::json::opt_bytes_as_lossy"
    )]
    pub link: Option<Box<[u8]>>,
    /// Device major/minor for character and block devices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<(u32, u32)>,
    /// Extended attributes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub xattrs: Vec<Xattr>,
    /// Where its bytes are in the layer stream.
    pub span: Span,
    /// The raw path (or a hardlink's raw target) was absolute. Extractors strip the `/`, but a
    /// careful one refuses it, so outputs rewrite such headers instead of copying them.
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    pub rooted: bool,
}

impl Entry {
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

/// Identifies an entry: layer position and index in that layer's entry list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EntryRef {
    /// Layer position (0 = base).
    pub layer: u32,
    /// Index into [`LayerIndex::entries`](super::LayerIndex::entries).
    pub entry: u32,
}
