//! A plan's output as a sequence of parts: new bytes, or ranges of bytes that already exist
//! in the input. The browser turns the parts into a `Blob` of slices of the dropped `File`
//! (no copying); the CLI copies them into a file.

use alloc::vec::Vec;

use serde::Serialize;

/// One part of an output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Part {
    /// New bytes (headers, padding, JSON).
    Literal {
        /// The bytes.
        #[serde(skip)]
        bytes: Vec<u8>,
        /// Their length (for the JSON form).
        len: u64,
    },
    /// Bytes `[offset, offset + len)` of the (decompressed) input archive.
    Archive {
        /// Start offset.
        offset: u64,
        /// Length.
        len: u64,
    },
    /// Bytes `[offset, offset + len)` of the decompressed stream of layer `layer`
    /// (for compressed layers, which must be re-streamed through their decoder).
    Decoded {
        /// Layer position in the input image.
        layer: u32,
        /// Start offset in the decompressed stream.
        offset: u64,
        /// Length.
        len: u64,
    },
}

impl Part {
    /// A literal part.
    pub fn literal(bytes: Vec<u8>) -> Self {
        let len = bytes.len() as u64;
        Part::Literal { bytes, len }
    }

    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Part::Literal { len, .. } | Part::Archive { len, .. } | Part::Decoded { len, .. } => {
                *len
            }
        }
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Parts with adjacent ranges merged, so the part count grows with changes, not entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Parts {
    parts: Vec<Part>,
    len: u64,
}

impl Parts {
    /// No parts.
    pub fn new() -> Self {
        Parts::default()
    }

    /// Appends new bytes (merged into a preceding literal).
    pub fn push_literal(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.len += bytes.len() as u64;
        if let Some(Part::Literal { bytes: prev, len }) = self.parts.last_mut() {
            prev.extend_from_slice(bytes);
            *len += bytes.len() as u64;
            return;
        }
        self.parts.push(Part::literal(bytes.to_vec()));
    }

    /// Appends an archive range (merged when contiguous with the previous one).
    pub fn push_archive(&mut self, offset: u64, len: u64) {
        if len == 0 {
            return;
        }
        self.len += len;
        if let Some(Part::Archive { offset: o, len: l }) = self.parts.last_mut() {
            if *o + *l == offset {
                *l += len;
                return;
            }
        }
        self.parts.push(Part::Archive { offset, len });
    }

    /// Appends a decoded-layer range (merged when contiguous with the previous one).
    pub fn push_decoded(&mut self, layer: u32, offset: u64, len: u64) {
        if len == 0 {
            return;
        }
        self.len += len;
        if let Some(Part::Decoded {
            layer: pl,
            offset: o,
            len: l,
        }) = self.parts.last_mut()
        {
            if *pl == layer && *o + *l == offset {
                *l += len;
                return;
            }
        }
        self.parts.push(Part::Decoded { layer, offset, len });
    }

    /// Appends all parts of another sequence.
    pub fn extend(&mut self, other: Parts) {
        for p in other.parts {
            match p {
                Part::Literal { bytes, .. } => self.push_literal(&bytes),
                Part::Archive { offset, len } => self.push_archive(offset, len),
                Part::Decoded { layer, offset, len } => self.push_decoded(layer, offset, len),
            }
        }
    }

    /// Total length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether there is nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The parts.
    pub fn as_slice(&self) -> &[Part] {
        &self.parts
    }

    /// Number of parts.
    pub fn count(&self) -> usize {
        self.parts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn adjacent_ranges_and_literals_merge() {
        let mut p = Parts::new();
        p.push_archive(0, 512);
        p.push_archive(512, 1024);
        p.push_literal(b"ab");
        p.push_literal(b"cd");
        p.push_archive(4096, 10);
        p.push_decoded(1, 0, 5);
        p.push_decoded(1, 5, 5);
        p.push_decoded(2, 10, 5);
        assert_eq!(p.count(), 5);
        assert_eq!(p.len(), 512 + 1024 + 4 + 10 + 15);
        assert_eq!(
            p.as_slice()[0],
            Part::Archive {
                offset: 0,
                len: 1536
            }
        );
    }
}
