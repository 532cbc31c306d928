//! Serde helpers for the JSON model: exact bytes are shown as lossy text.

use alloc::string::String;

pub(crate) fn bytes_as_lossy<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(b))
}
