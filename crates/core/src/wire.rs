//! A layer's index, or the error that stopped indexing it, as compact bytes (postcard), so a
//! layer indexed by another thread or Web Worker crosses to the one that assembles the image
//! as one buffer (`postMessage` transfers an `ArrayBuffer` without copying it).
//!
//! The core's types serialize to JSON for people (lossy text, fields left out when empty),
//! which a format without field names cannot read back; the encoding here mirrors them with
//! borrowed fields instead, so decoding allocates what the index holds and nothing more.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize, Serializer};

use crate::error::{DigestKind, Error, ErrorKind, Location, Result};
use crate::layer::{
    Entry, EntryKind, EntryPath, LayerIndex, Notice, NoticeKind, Rare, Span, Xattr,
};
use crate::limits::LimitKind;
use crate::stream::Compression;

/// Format version, first in every buffer: a page and a worker of different builds (a cached
/// script) must not misread each other.
const VERSION: u8 = 1;

/// Encodes the outcome of indexing one layer blob.
///
/// # Errors
/// Only if the serializer fails, which an in-memory buffer does not.
pub fn encode(indexed: &Result<LayerIndex>) -> Result<Vec<u8>> {
    let wire = match indexed {
        Ok(index) => Outcome::Index(IndexWire::of(index)),
        Err(e) => Outcome::Error(ErrorWire::of(e)),
    };
    postcard::to_allocvec(&(VERSION, wire))
        .map_err(|e| Error::archive(alloc::format!("cannot encode a layer index: {e}")))
}

/// Decodes what [`encode`] wrote: the index, or the error indexing failed with (same kind,
/// message and location).
///
/// # Errors
/// The error the bytes carry, or an archive error if they are not a valid encoding.
pub fn decode(bytes: &[u8]) -> Result<LayerIndex> {
    let bad = |what: &dyn core::fmt::Display| {
        Error::archive(alloc::format!("a layer index came back unreadable: {what}"))
    };
    let (version, wire): (u8, Outcome<'_>) = postcard::from_bytes(bytes).map_err(|e| bad(&e))?;
    if version != VERSION {
        return Err(bad(&alloc::format!("format {version}, expected {VERSION}")));
    }
    match wire {
        Outcome::Index(index) => index
            .into_index()
            .map_err(|()| bad(&"a path leaves the root")),
        Outcome::Error(e) => Err(e.into_error()),
    }
}

#[derive(Serialize, Deserialize)]
enum Outcome<'a> {
    #[serde(borrow)]
    Index(IndexWire<'a>),
    #[serde(borrow)]
    Error(ErrorWire<'a>),
}

fn bytes<S: Serializer>(b: &&[u8], s: S) -> core::result::Result<S::Ok, S::Error> {
    s.serialize_bytes(b)
}

fn opt_bytes<S: Serializer>(b: &Option<&[u8]>, s: S) -> core::result::Result<S::Ok, S::Error> {
    match b {
        Some(b) => s.serialize_some(&Bytes(b)),
        None => s.serialize_none(),
    }
}

/// Bytes serialized as one run, not as a sequence of numbers.
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

#[derive(Serialize, Deserialize)]
struct IndexWire<'a> {
    #[serde(borrow)]
    entries: Vec<EntryWire<'a>>,
    compression: Compression,
    blob_size: u64,
    tar_size: u64,
    #[serde(borrow)]
    notices: Vec<NoticeWire<'a>>,
}

#[derive(Serialize, Deserialize)]
struct EntryWire<'a> {
    #[serde(serialize_with = "bytes")]
    path: &'a [u8],
    kind: EntryKind,
    mode: u32,
    uid: u64,
    gid: u64,
    uname: Option<&'a str>,
    gname: Option<&'a str>,
    size: u64,
    mtime: i64,
    #[serde(serialize_with = "opt_bytes", borrow)]
    link: Option<&'a [u8]>,
    device: Option<(u32, u32)>,
    #[serde(borrow)]
    xattrs: Vec<XattrWire<'a>>,
    span: Span,
    rooted: bool,
}

#[derive(Serialize, Deserialize)]
struct XattrWire<'a> {
    name: &'a str,
    #[serde(serialize_with = "bytes")]
    value: &'a [u8],
}

#[derive(Serialize, Deserialize)]
struct NoticeWire<'a> {
    #[serde(serialize_with = "bytes")]
    path: &'a [u8],
    kind: NoticeKindWire,
}

#[derive(Serialize, Deserialize)]
enum NoticeKindWire {
    EscapingPath,
    EscapingLink,
    UnsupportedType(u8),
    Duplicate,
    Sparse,
}

impl<'a> IndexWire<'a> {
    fn of(index: &'a LayerIndex) -> Self {
        IndexWire {
            entries: index.entries.iter().map(EntryWire::of).collect(),
            compression: index.compression,
            blob_size: index.blob_size,
            tar_size: index.tar_size,
            notices: index
                .notices
                .iter()
                .map(|n| NoticeWire {
                    path: &n.path,
                    kind: match n.kind {
                        NoticeKind::EscapingPath => NoticeKindWire::EscapingPath,
                        NoticeKind::EscapingLink => NoticeKindWire::EscapingLink,
                        NoticeKind::UnsupportedType { flag } => {
                            NoticeKindWire::UnsupportedType(flag)
                        }
                        NoticeKind::Duplicate => NoticeKindWire::Duplicate,
                        NoticeKind::Sparse => NoticeKindWire::Sparse,
                    },
                })
                .collect(),
        }
    }

    /// The index; `Err` if an entry's path is not a normal path (never from [`encode`]).
    fn into_index(self) -> core::result::Result<LayerIndex, ()> {
        let mut entries: Vec<Entry> = Vec::with_capacity(self.entries.len());
        for wire in self.entries {
            // Neighbours with the same owner names share one `Rare`, as when indexed here.
            let previous = entries.last().and_then(Entry::rare).cloned();
            entries.push(wire.into_entry(previous.as_ref())?);
        }
        let notices = self
            .notices
            .into_iter()
            .map(|n| Notice {
                path: n.path.into(),
                kind: match n.kind {
                    NoticeKindWire::EscapingPath => NoticeKind::EscapingPath,
                    NoticeKindWire::EscapingLink => NoticeKind::EscapingLink,
                    NoticeKindWire::UnsupportedType(flag) => NoticeKind::UnsupportedType { flag },
                    NoticeKindWire::Duplicate => NoticeKind::Duplicate,
                    NoticeKindWire::Sparse => NoticeKind::Sparse,
                },
            })
            .collect();
        Ok(LayerIndex {
            entries,
            compression: self.compression,
            blob_size: self.blob_size,
            tar_size: self.tar_size,
            notices,
        })
    }
}

impl<'a> EntryWire<'a> {
    fn of(e: &'a Entry) -> Self {
        EntryWire {
            path: e.path.as_bytes(),
            kind: e.kind,
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            uname: e.uname(),
            gname: e.gname(),
            size: e.size,
            mtime: e.mtime,
            link: e.link.as_deref(),
            device: e.device(),
            xattrs: e
                .xattrs()
                .iter()
                .map(|x| XattrWire {
                    name: &x.name,
                    value: &x.value,
                })
                .collect(),
            span: e.span,
            rooted: e.rooted,
        }
    }

    fn into_entry(self, previous: Option<&Arc<Rare>>) -> core::result::Result<Entry, ()> {
        // The paths were normal when encoded; parsing again keeps "never `..`" a fact of
        // the type rather than of the sender (its fast path only checks).
        let path = EntryPath::parse(self.path).map_err(|_| ())?;
        if path.as_bytes() != self.path {
            return Err(());
        }
        let mut entry = Entry {
            path,
            kind: self.kind,
            mode: self.mode,
            uid: self.uid,
            gid: self.gid,
            size: self.size,
            mtime: self.mtime,
            link: self.link.map(Box::from),
            span: self.span,
            rooted: self.rooted,
            rare: None,
        };
        let rare = Rare {
            uname: self.uname.map(Box::from),
            gname: self.gname.map(Box::from),
            device: self.device,
            xattrs: self
                .xattrs
                .into_iter()
                .map(|x| Xattr {
                    name: x.name.into(),
                    value: x.value.into(),
                })
                .collect(),
        };
        entry.set_rare(rare, previous);
        Ok(entry)
    }
}

#[derive(Serialize, Deserialize)]
struct ErrorWire<'a> {
    #[serde(borrow)]
    kind: KindWire<'a>,
    member: Option<&'a str>,
    layer: Option<u64>,
    #[serde(serialize_with = "opt_bytes", borrow)]
    entry: Option<&'a [u8]>,
}

/// [`ErrorKind`] with its text: an I/O error keeps its message (and whether the input ended
/// early), as the person reading it needs.
#[derive(Serialize, Deserialize)]
enum KindWire<'a> {
    Io {
        eof: bool,
        message: String,
    },
    Archive(&'a str),
    Tar(&'a str),
    Json(&'a str),
    DigestMismatch {
        digest: DigestKind,
        expected: &'a str,
        actual: &'a str,
    },
    Limit {
        which: LimitKind,
        max: u64,
    },
    Request(&'a str),
    Write {
        message: String,
    },
    Cancelled,
}

impl<'a> ErrorWire<'a> {
    fn of(e: &'a Error) -> Self {
        let kind = match e.kind() {
            #[cfg(feature = "std")]
            ErrorKind::Io(io) => KindWire::Io {
                eof: io.kind() == std::io::ErrorKind::UnexpectedEof,
                message: alloc::format!("{io}"),
            },
            ErrorKind::Archive(m) => KindWire::Archive(m),
            ErrorKind::Tar(m) => KindWire::Tar(m),
            ErrorKind::Json(m) => KindWire::Json(m),
            ErrorKind::DigestMismatch {
                digest,
                expected,
                actual,
            } => KindWire::DigestMismatch {
                digest: *digest,
                expected,
                actual,
            },
            ErrorKind::Limit { which, max } => KindWire::Limit {
                which: *which,
                max: *max,
            },
            ErrorKind::Request(m) => KindWire::Request(m),
            #[cfg(feature = "std")]
            ErrorKind::Write(io) => KindWire::Write {
                message: alloc::format!("{io}"),
            },
            ErrorKind::Cancelled => KindWire::Cancelled,
        };
        let at = e.location();
        ErrorWire {
            kind,
            member: at.member.as_deref(),
            layer: at.layer.map(|l| l as u64),
            entry: at.entry.as_deref(),
        }
    }

    fn into_error(self) -> Error {
        let kind = match self.kind {
            #[cfg(feature = "std")]
            KindWire::Io { eof, message } => ErrorKind::Io(std::io::Error::new(
                if eof {
                    std::io::ErrorKind::UnexpectedEof
                } else {
                    std::io::ErrorKind::Other
                },
                message,
            )),
            #[cfg(not(feature = "std"))]
            KindWire::Io { message, .. } => {
                ErrorKind::Archive(alloc::format!("read failed: {message}"))
            }
            KindWire::Archive(m) => ErrorKind::Archive(m.into()),
            KindWire::Tar(m) => ErrorKind::Tar(m.into()),
            KindWire::Json(m) => ErrorKind::Json(m.into()),
            KindWire::DigestMismatch {
                digest,
                expected,
                actual,
            } => ErrorKind::DigestMismatch {
                digest,
                expected: expected.into(),
                actual: actual.into(),
            },
            KindWire::Limit { which, max } => ErrorKind::Limit { which, max },
            KindWire::Request(m) => ErrorKind::Request(m.into()),
            #[cfg(feature = "std")]
            KindWire::Write { message } => ErrorKind::Write(std::io::Error::other(message)),
            #[cfg(not(feature = "std"))]
            KindWire::Write { message } => {
                ErrorKind::Archive(alloc::format!("write failed: {message}"))
            }
            KindWire::Cancelled => ErrorKind::Cancelled,
        };
        Error::at(
            kind,
            Location {
                member: self.member.map(String::from),
                layer: self.layer.map(|l| l as usize),
                entry: self.entry.map(Box::from),
            },
        )
    }
}

#[cfg(test)]
mod tests;
