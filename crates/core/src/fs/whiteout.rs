//! Whiteout names (OCI image-spec `layer.md`, "Whiteouts"): `.wh.NAME` deletes `NAME` and
//! its subtree from lower layers; `.wh..wh..opq` hides everything lower below its directory;
//! other `.wh..wh.*` names are AUFS metadata (hardlink bookkeeping) and are ignored.

use crate::bytes::contains;
use crate::layer::EntryPath;

/// Prefix of every whiteout name.
pub const WHITEOUT_PREFIX: &[u8] = b".wh.";
/// The opaque-directory marker's name.
pub const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";
const AUFS_META_PREFIX: &[u8] = b".wh..wh.";

/// What an entry path means to the union filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// An ordinary entry.
    Plain,
    /// Deletes this path (and its subtree) from lower layers.
    Whiteout(EntryPath),
    /// Hides everything below this directory from lower layers.
    Opaque(EntryPath),
    /// AUFS metadata (`.wh..wh.plnk/…`, `.wh..wh.aufs`): not part of the filesystem.
    AufsMeta,
}

/// Classifies a normalised path.
pub fn classify(path: &EntryPath) -> Role {
    let bytes = path.as_bytes();
    // Fast reject: no whiteout anywhere in the path.
    if !contains(bytes, WHITEOUT_PREFIX) {
        return Role::Plain;
    }
    let name = path.file_name();
    let parent_bytes = path.parent_bytes();
    if contains(parent_bytes, AUFS_META_PREFIX)
        && parent_bytes
            .split(|&b| b == b'/')
            .any(|c| c.starts_with(AUFS_META_PREFIX))
    {
        return Role::AufsMeta;
    }
    if name == OPAQUE_MARKER {
        return Role::Opaque(path.parent().unwrap_or_default());
    }
    if name.starts_with(AUFS_META_PREFIX) {
        return Role::AufsMeta;
    }
    if let Some(target) = name.strip_prefix(WHITEOUT_PREFIX) {
        if target.is_empty() || target == b"." || target == b".." {
            return Role::AufsMeta;
        }
        return Role::Whiteout(path.parent().unwrap_or_default().join(target));
    }
    Role::Plain
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn role(s: &str) -> Role {
        classify(&EntryPath::parse(s.as_bytes()).unwrap())
    }
    fn p(s: &str) -> EntryPath {
        EntryPath::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn whiteout_names_their_target() {
        assert_eq!(role("etc/.wh.passwd"), Role::Whiteout(p("etc/passwd")));
        assert_eq!(role("./.wh.foo.txt"), Role::Whiteout(p("foo.txt")));
    }

    #[test]
    fn opaque_marker_names_its_directory() {
        assert_eq!(role("var/cache/.wh..wh..opq"), Role::Opaque(p("var/cache")));
        assert_eq!(role(".wh..wh..opq"), Role::Opaque(EntryPath::root()));
    }

    #[test]
    fn aufs_metadata_is_ignored() {
        assert_eq!(role(".wh..wh.plnk"), Role::AufsMeta);
        assert_eq!(role(".wh..wh.plnk/123.456"), Role::AufsMeta);
        assert_eq!(role(".wh..wh.aufs"), Role::AufsMeta);
    }

    #[test]
    fn ordinary_names_containing_wh_are_plain() {
        assert_eq!(role("usr/share/what.wh.txt"), Role::Plain);
        assert_eq!(role("a.wh.b/c"), Role::Plain);
    }
}
