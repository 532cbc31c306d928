//! Serde helpers for the JSON model: exact bytes are shown as lossy text.

use alloc::boxed::Box;
use alloc::string::String;

pub(crate) fn bytes_as_lossy<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(b))
}

#[allow(clippy::ref_option)] // serde's serialize_with hands us `&Option<_>`
pub(crate) fn opt_bytes_as_lossy<S: serde::Serializer>(
    b: &Option<Box<[u8]>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => s.serialize_some(&*String::from_utf8_lossy(b)),
        None => s.serialize_none(),
    }
}
