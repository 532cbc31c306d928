//! Normalised entry paths. Layers write the same path as `./etc/passwd`, `/etc/passwd` or
//! `etc//passwd`; the union filesystem needs one key. `..` is rejected here, once, so no later
//! stage can follow a path out of the root.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::ops::{Bound, RangeBounds};

use serde::Serialize;

use crate::sanitize::display_bytes;

/// A path relative to the image root: no leading `/` or `./`, no `.` or empty components, no
/// trailing `/`, never a `..` component. Exact bytes (not necessarily UTF-8). The root itself
/// is the empty path.
///
/// The bytes are shared: a layer's entry, the union's key for that path and the change that
/// records it hold one allocation between them (a million-entry image would otherwise keep
/// each path three times). Cloning is a reference-count increment.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryPath(Arc<[u8]>);

impl Default for EntryPath {
    fn default() -> Self {
        EntryPath(Arc::from(&b""[..]))
    }
}

/// A path that would leave the image root through `..`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapingPath;

impl EntryPath {
    /// Normalises raw tar path bytes.
    ///
    /// # Errors
    /// [`EscapingPath`] if any component is `..`, which a careful extractor refuses.
    pub fn parse(raw: &[u8]) -> Result<Self, EscapingPath> {
        // Fast path: already normal (the common case for buildah/Docker layers).
        if is_normal(raw) {
            return Ok(EntryPath(raw.into()));
        }
        let mut out: Vec<u8> = Vec::with_capacity(raw.len());
        for comp in raw.split(|&b| b == b'/') {
            match comp {
                b"" | b"." => {}
                b".." => return Err(EscapingPath),
                c => {
                    if !out.is_empty() {
                        out.push(b'/');
                    }
                    out.extend_from_slice(c);
                }
            }
        }
        Ok(EntryPath(out.into()))
    }

    /// The root.
    pub fn root() -> Self {
        EntryPath::default()
    }

    /// Exact bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Lossy, control-escaped text for display.
    pub fn display(&self) -> String {
        display_bytes(&self.0)
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The last component (the whole path for a top-level entry).
    pub fn file_name(&self) -> &[u8] {
        match self.0.iter().rposition(|&b| b == b'/') {
            Some(i) => &self.0[i + 1..],
            None => &self.0,
        }
    }

    /// The parent directory (root for a top-level entry; `None` for the root).
    pub fn parent(&self) -> Option<EntryPath> {
        if self.0.is_empty() {
            return None;
        }
        Some(match self.0.iter().rposition(|&b| b == b'/') {
            Some(i) => EntryPath(self.0[..i].into()),
            None => EntryPath::root(),
        })
    }

    /// Bytes of the parent (empty for top-level and root).
    pub fn parent_bytes(&self) -> &[u8] {
        match self.0.iter().rposition(|&b| b == b'/') {
            Some(i) => &self.0[..i],
            None => b"",
        }
    }

    /// `self/name`.
    pub fn join(&self, name: &[u8]) -> EntryPath {
        if self.0.is_empty() {
            return EntryPath(name.into());
        }
        let mut v = Vec::with_capacity(self.0.len() + 1 + name.len());
        v.extend_from_slice(&self.0);
        v.push(b'/');
        v.extend_from_slice(name);
        EntryPath(v.into())
    }

    /// Whether `other` lies strictly below `self`.
    pub fn is_ancestor_of(&self, other: &EntryPath) -> bool {
        if self.0.is_empty() {
            return !other.0.is_empty();
        }
        other.0.len() > self.0.len()
            && other.0.starts_with(&self.0)
            && other.0[self.0.len()] == b'/'
    }

    /// Number of components (0 for the root).
    pub fn depth(&self) -> usize {
        if self.0.is_empty() {
            0
        } else {
            1 + self.0.iter().filter(|&&b| b == b'/').count()
        }
    }

    /// The key range of the paths strictly below this one, in byte order.
    pub fn subtree_range(&self) -> SubtreeRange {
        subtree_range(&self.0)
    }

    /// The exact bytes, owned (a copy when the path is shared).
    pub fn into_bytes(self) -> Box<[u8]> {
        Box::from(&*self.0)
    }

    /// Wraps bytes that are already normal (taken from another `EntryPath`).
    pub(crate) fn from_normal(bytes: &[u8]) -> EntryPath {
        EntryPath(bytes.into())
    }
}

/// Key bounds of the paths strictly below `dir` (everything but the root for the root).
pub struct SubtreeRange {
    lo: Vec<u8>,
    hi: Option<Vec<u8>>,
}

impl RangeBounds<[u8]> for SubtreeRange {
    fn start_bound(&self) -> Bound<&[u8]> {
        Bound::Included(&self.lo)
    }

    fn end_bound(&self) -> Bound<&[u8]> {
        self.hi.as_deref().map_or(Bound::Unbounded, Bound::Excluded)
    }
}

pub(crate) fn subtree_range(dir: &[u8]) -> SubtreeRange {
    if dir.is_empty() {
        // The root's subtree is every non-empty path; no byte string bounds it from above.
        return SubtreeRange {
            lo: alloc::vec![0u8],
            hi: None,
        };
    }
    let mut lo = Vec::with_capacity(dir.len() + 1);
    lo.extend_from_slice(dir);
    lo.push(b'/');
    let mut hi = lo.clone();
    if let Some(last) = hi.last_mut() {
        *last = b'/' + 1;
    }
    SubtreeRange { lo, hi: Some(hi) }
}

fn is_normal(raw: &[u8]) -> bool {
    !raw.is_empty()
        && raw[0] != b'/'
        && raw[raw.len() - 1] != b'/'
        && raw
            .split(|&b| b == b'/')
            .all(|c| !c.is_empty() && c != b"." && c != b"..")
}

impl fmt::Debug for EntryPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.display())
    }
}

impl fmt::Display for EntryPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl core::borrow::Borrow<[u8]> for EntryPath {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl Serialize for EntryPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn p(s: &str) -> EntryPath {
        EntryPath::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn normalises_prefixes_and_separators() {
        assert_eq!(p("./etc/passwd").as_bytes(), b"etc/passwd");
        assert_eq!(p("/etc//passwd/").as_bytes(), b"etc/passwd");
        assert_eq!(p("etc/./passwd").as_bytes(), b"etc/passwd");
        assert!(p("./").is_root());
        assert!(p(".").is_root());
    }

    #[test]
    fn rejects_dot_dot_anywhere() {
        assert_eq!(EntryPath::parse(b"../etc"), Err(EscapingPath));
        assert_eq!(EntryPath::parse(b"a/../../b"), Err(EscapingPath));
        assert_eq!(EntryPath::parse(b"a/.."), Err(EscapingPath));
        assert!(EntryPath::parse(b"a/..b").is_ok());
    }

    #[test]
    fn keeps_non_utf8_bytes_exactly() {
        let raw = b"dir/caf\xe9";
        assert_eq!(EntryPath::parse(raw).unwrap().as_bytes(), raw);
    }

    #[test]
    fn family_relations() {
        assert_eq!(p("a/b/c").parent().unwrap(), p("a/b"));
        assert_eq!(p("a").parent().unwrap(), EntryPath::root());
        assert_eq!(p("a/b/c").file_name(), b"c");
        assert!(p("a").is_ancestor_of(&p("a/b")));
        assert!(!p("a").is_ancestor_of(&p("ab")));
        assert!(!p("a").is_ancestor_of(&p("a")));
        assert_eq!(p("a/b").depth(), 2);
        let r = p("a").subtree_range();
        let within = |k: &[u8]| r.contains(k);
        assert!(within(b"a/b") && within(b"a/\xff"));
        assert!(!within(b"a") && !within(b"a0") && !within(b"a.b") && !within(b"b"));
        let root = EntryPath::root().subtree_range();
        assert!(root.contains(b"\xff\xff/x".as_slice()) && !root.contains(b"".as_slice()));
    }
}
