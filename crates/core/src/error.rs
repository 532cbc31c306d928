//! Errors as values, each carrying where it happened: the archive member, the layer and the
//! entry. Messages are written for the person who dropped the file, not for us.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;

#[cfg(feature = "std")]
use crate::limits::DecompressedLimit;
use crate::limits::LimitKind;
#[cfg(feature = "std")]
use crate::progress::Cancelled;
use crate::sanitize::display_bytes;
#[cfg(feature = "std")]
use crate::source::ReadFailed;

/// Result with the core [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Where in the input an error happened. Every field is optional; the more is known the
/// more precisely the message points at the fault.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// Member of the outer archive (`manifest.json`, `blobs/sha256/…`).
    pub member: Option<String>,
    /// Layer position in the image (0 = base).
    pub layer: Option<usize>,
    /// Entry path inside the layer, exact bytes.
    pub entry: Option<Box<[u8]>>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(layer) = self.layer {
            write!(f, "layer {layer}")?;
            sep = ", ";
        }
        if let Some(member) = &self.member {
            write!(
                f,
                "{sep}archive member `{}`",
                display_bytes(member.as_bytes())
            )?;
            sep = ", ";
        }
        if let Some(entry) = &self.entry {
            write!(f, "{sep}entry `{}`", display_bytes(entry))?;
        }
        Ok(())
    }
}

/// What went wrong, without the where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading the input failed (including truncation: an unexpected end of file).
    #[cfg(feature = "std")]
    #[error("read failed: {0}")]
    Io(std::io::Error),
    /// The file is not an image archive we know, or is missing a required part.
    #[error("{0}")]
    Archive(String),
    /// A tar stream (outer archive or layer) is malformed.
    #[error("malformed tar: {0}")]
    Tar(String),
    /// JSON metadata (manifest, index, config) is missing a field or malformed.
    #[error("{0}")]
    Json(String),
    /// A digest did not match the bytes it names.
    #[error("digest mismatch: expected {}{expected}, found {actual}", .digest.prefix())]
    DigestMismatch {
        /// Which digest.
        digest: DigestKind,
        /// The digest the metadata declares.
        expected: String,
        /// The digest of the bytes actually present.
        actual: String,
    },
    /// A configured limit was exceeded (protects memory and time on hostile input).
    #[error("limit exceeded: {}", .which.describe(*.max))]
    Limit {
        /// Which limit.
        which: LimitKind,
        /// Its value.
        max: u64,
    },
    /// The caller asked for something the input cannot give (an unknown tag, layer, …).
    #[error("{0}")]
    Request(String),
    /// Writing the output failed.
    #[cfg(feature = "std")]
    #[error("write failed: {0}")]
    Write(std::io::Error),
    /// The operation was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
}

impl ErrorKind {
    /// A stable name for the kind (`io`, `archive`, `tar`, `json`, `digest_mismatch`,
    /// `limit`, `request`, `write`, `cancelled`), for hosts that pass errors on as data.
    pub fn name(&self) -> &'static str {
        match self {
            #[cfg(feature = "std")]
            ErrorKind::Io(_) => "io",
            ErrorKind::Archive(_) => "archive",
            ErrorKind::Tar(_) => "tar",
            ErrorKind::Json(_) => "json",
            ErrorKind::DigestMismatch { .. } => "digest_mismatch",
            ErrorKind::Limit { .. } => "limit",
            ErrorKind::Request(_) => "request",
            #[cfg(feature = "std")]
            ErrorKind::Write(_) => "write",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

/// Which digest failed to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestKind {
    /// The image config's (its ID), as the manifest declares it.
    Config,
    /// A layer's diff_id (sha256 of its uncompressed tar), as the config declares it.
    DiffId,
    /// A layer blob's digest, as the manifest declares it.
    Blob,
    /// A JSON document's, as the descriptor pointing at it declares it.
    Descriptor,
}

impl DigestKind {
    /// How the message names the expected digest.
    fn prefix(self) -> &'static str {
        match self {
            DigestKind::DiffId => "diff_id ",
            DigestKind::Blob => "blob digest ",
            DigestKind::Config | DigestKind::Descriptor => "",
        }
    }
}

/// A core error: what went wrong ([`ErrorKind`]) and where ([`Location`]).
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    location: Location,
}

impl Error {
    /// An error with no location yet.
    pub fn new(kind: ErrorKind) -> Self {
        Error {
            kind,
            location: Location::default(),
        }
    }

    /// An error of `kind` at `location` (an error rebuilt from its encoding).
    pub(crate) fn at(kind: ErrorKind, location: Location) -> Self {
        Error { kind, location }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Where it went wrong.
    pub fn location(&self) -> &Location {
        &self.location
    }

    #[cfg_attr(not(feature = "std"), allow(dead_code))] // Raised by the readers.
    pub(crate) fn archive(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Archive(msg.into()))
    }

    pub(crate) fn json(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Json(msg.into()))
    }

    #[cfg_attr(not(feature = "std"), allow(dead_code))] // Raised by the readers.
    pub(crate) fn tar(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Tar(msg.into()))
    }

    #[cfg_attr(not(feature = "std"), allow(dead_code))] // Raised by the readers.
    pub(crate) fn limit(which: LimitKind, max: impl Into<u64>) -> Self {
        Error::new(ErrorKind::Limit {
            which,
            max: max.into(),
        })
    }

    pub(crate) fn request(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Request(msg.into()))
    }

    /// Attach the archive member, unless a more specific one is already known.
    pub fn in_member(mut self, member: &str) -> Self {
        self.location.member.get_or_insert_with(|| member.into());
        self
    }

    /// Attach the layer position, unless already known.
    pub fn in_layer(mut self, layer: usize) -> Self {
        self.location.layer.get_or_insert(layer);
        self
    }

    /// Attach the entry path, unless already known.
    pub fn in_entry(mut self, path: &[u8]) -> Self {
        self.location.entry.get_or_insert_with(|| path.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = alloc::format!("{}", self.location);
        if loc.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{loc}: {}", self.kind)
        }
    }
}

// The messages above already include the I/O error's: the source chain goes on from *its*
// source, or a report that prints the chain (anyhow's `{:#}`) would say the cause twice.
impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match &self.kind {
            #[cfg(feature = "std")]
            ErrorKind::Io(e) | ErrorKind::Write(e) => e.source(),
            _ => None,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

#[cfg(feature = "std")]
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        // Markers carried through `io::Error` (by our readers, or wrapped by tar's), found
        // by their type.
        if let Some(l) = carried::<DecompressedLimit>(&e) {
            return Error::limit(LimitKind::Decompressed, l.0);
        }
        if carried::<Cancelled>(&e).is_some() {
            return Error::new(ErrorKind::Cancelled);
        }
        if let Some(n) = carried::<crate::source::NotKept>(&e) {
            return Error::request(alloc::format!("{n}"));
        }
        if carried::<ReadFailed>(&e).is_some() {
            return Error::new(ErrorKind::Io(e));
        }
        // The tar crate reports malformed headers as io errors of kind Other; give them
        // their own kind so the message says "malformed tar" rather than "read failed".
        if e.kind() == std::io::ErrorKind::Other {
            if let Some(inner) = e.get_ref() {
                if inner.downcast_ref::<Error>().is_none() {
                    return Error::tar(alloc::format!("{e}"));
                }
            }
        }
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            return Error::new(ErrorKind::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the file ends too early (truncated?)",
            )));
        }
        Error::new(ErrorKind::Io(e))
    }
}

/// The `T` carried by `e` or by an error it wraps (tar wraps our readers' errors in its own,
/// which wraps the `io::Error` again).
#[cfg(feature = "std")]
fn carried<T: core::error::Error + 'static>(e: &std::io::Error) -> Option<&T> {
    let mut cur: &(dyn core::error::Error + 'static) = e.get_ref()?;
    for _ in 0..8 {
        if let Some(t) = cur.downcast_ref::<T>() {
            return Some(t);
        }
        cur = match cur.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref()?,
            None => cur.source()?,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn kind_of(e: std::io::Error) -> ErrorKind {
        Error::from(e).kind
    }

    #[test]
    fn markers_are_found_by_type_even_when_wrapped() {
        let wrapped = |inner: std::io::Error| std::io::Error::other(inner);
        let read = std::io::Error::other(ReadFailed("the browser refused".into()));
        assert!(matches!(kind_of(wrapped(read)), ErrorKind::Io(_)));
        let stop = std::io::Error::other(Cancelled);
        assert!(matches!(kind_of(wrapped(stop)), ErrorKind::Cancelled));
        // Text alone is not a marker: a tar error that says "cancelled" stays a tar error.
        let text = std::io::Error::other("cancelled");
        assert!(matches!(kind_of(text), ErrorKind::Tar(_)));
        let bomb = std::io::Error::other(DecompressedLimit(8));
        let e = Error::from(bomb);
        assert!(matches!(
            e.kind(),
            ErrorKind::Limit {
                which: LimitKind::Decompressed,
                max: 8
            }
        ));
        assert_eq!(
            e.to_string(),
            "limit exceeded: decompressed size exceeds the limit of 8 bytes (a decompression bomb?)"
        );
        assert_eq!(e.kind().name(), "limit");
    }
}
