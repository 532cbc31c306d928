//! Errors as values, each carrying where it happened: the archive member, the layer and the
//! entry. Messages are written for the person who dropped the file, not for us.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;

use crate::sanitize::display_bytes;

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
    #[error("digest mismatch: expected {expected}, found {actual}")]
    DigestMismatch {
        /// The digest the metadata declares.
        expected: String,
        /// The digest of the bytes actually present.
        actual: String,
    },
    /// A configured limit was exceeded (protects memory and time on hostile input).
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// The caller asked for something the input cannot give (an unknown tag, layer, …).
    #[error("{0}")]
    Request(String),
    /// Writing the output failed.
    #[error("write failed: {0}")]
    Write(std::io::Error),
    /// The operation was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
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

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Where it went wrong.
    pub fn location(&self) -> &Location {
        &self.location
    }

    pub(crate) fn archive(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Archive(msg.into()))
    }

    pub(crate) fn json(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Json(msg.into()))
    }

    pub(crate) fn tar(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Tar(msg.into()))
    }

    pub(crate) fn limit(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Limit(msg.into()))
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

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        // The tar crate reports malformed headers as io errors of kind Other; give them
        // their own kind so the message says "malformed tar" rather than "read failed".
        if let Some(inner) = e.get_ref() {
            if let Some(l) = inner.downcast_ref::<crate::layer::decode::LimitExceeded>() {
                return Error::limit(alloc::format!("{l}"));
            }
            if alloc::format!("{inner}") == "cancelled" {
                return Error::new(ErrorKind::Cancelled);
            }
        }
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
