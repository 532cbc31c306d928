//! What the caller found in the directory, and the checks that make it a safe archive: names
//! relative and clean, symlinks pointing inside, counts within [`Limits`], and the names an
//! image directory must have.

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{Error, Result};
use crate::limits::LimitKind;
use crate::limits::Limits;
use crate::sanitize::display_bytes;

/// One file of the directory, by its path relative to the directory (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Relative path: `index.json`, `blobs/sha256/<hex>`.
    pub path: String,
    /// What it is.
    pub kind: ItemKind,
    /// The caller's number for it, handed back to [`FolderFiles`](super::FolderFiles) and in
    /// [`Piece::File`](super::Piece::File).
    pub index: usize,
}

/// Regular files and symlinks become members; the caller leaves anything else out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    /// A regular file of `size` bytes.
    File {
        /// Its size when listed.
        size: u64,
    },
    /// A symbolic link; its target must stay inside the directory.
    Symlink {
        /// The target as stored in the link.
        target: String,
    },
}

/// Checks one item's name and (for a symlink) target.
pub(super) fn check_item(item: &Item, limits: &Limits) -> Result<()> {
    let shown = || display_bytes(item.path.as_bytes());
    if item.path.len() > limits.max_path_len {
        return Err(Error::limit(
            LimitKind::FolderPathLen,
            limits.max_path_len as u64,
        ));
    }
    let clean = !item.path.is_empty()
        && !item.path.contains('\0')
        && item
            .path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    if !clean {
        return Err(Error::archive(alloc::format!(
            "`{}` is not a plain relative path inside the directory",
            shown()
        )));
    }
    if let ItemKind::Symlink { target } = &item.kind {
        if !link_stays_inside(&item.path, target) {
            return Err(Error::archive(alloc::format!(
                "symlink `{}` points outside the directory (to `{}`); only links inside it are followed",
                shown(),
                display_bytes(target.as_bytes())
            )));
        }
    }
    Ok(())
}

/// Whether `target`, read from the directory holding `link`, names something inside the
/// directory (never above it, never absolute).
fn link_stays_inside(link: &str, target: &str) -> bool {
    if target.is_empty() || target.starts_with('/') || target.contains('\0') {
        return false;
    }
    let mut depth = link.split('/').count() - 1;
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            _ => depth += 1,
        }
    }
    true
}

/// The names at the top that make a directory an image: an OCI image layout (`index.json`,
/// with `oci-layout` and `blobs/`), a `dir:` folder or an unpacked `docker save`
/// (`manifest.json`). Anything else is refused here, naming what is missing, before the
/// archive code would call it a strange archive.
pub(super) fn check_markers(sorted: &[Item]) -> Result<()> {
    let has = |name: &str| {
        sorted
            .binary_search_by(|i| i.path.as_str().cmp(name))
            .is_ok()
    };
    let has_blobs = sorted.iter().any(|i| i.path.starts_with("blobs/"));
    if sorted.is_empty() {
        return Err(Error::archive(
            "the directory is empty (expected an OCI image layout or a `dir:` image folder)",
        ));
    }
    if has("manifest.json") {
        return Ok(());
    }
    if has("index.json") {
        if !has_blobs {
            return Err(Error::archive(
                "the directory has `index.json` but no `blobs/`: an OCI image layout keeps its manifests, configs and layers in `blobs/sha256/`",
            ));
        }
        return Ok(());
    }
    if has("oci-layout") {
        return Err(Error::archive(
            "the directory has `oci-layout` but no `index.json`: an OCI image layout lists its images there",
        ));
    }
    if has("version") {
        return Err(Error::archive(
            "the directory has `version` but no `manifest.json`: a `dir:` image folder keeps its image manifest there",
        ));
    }
    let archives: Vec<&str> = sorted
        .iter()
        .map(|i| i.path.as_str())
        .filter(|p| {
            !p.contains('/')
                && [".tar", ".tar.gz", ".tgz"]
                    .iter()
                    .any(|ext| p.ends_with(ext))
        })
        .take(3)
        .collect();
    let hint = match archives.as_slice() {
        [] => String::new(),
        some => alloc::format!(
            "; it holds {}: open the archive itself instead",
            some.iter()
                .map(|p| alloc::format!("`{}`", display_bytes(p.as_bytes())))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Err(Error::archive(alloc::format!(
        "not an image directory: no `oci-layout`, `index.json` or `manifest.json` in it (expected an OCI image layout or a `skopeo copy … dir:` folder){hint}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn links_must_stay_inside() {
        assert!(link_stays_inside("a/b", "c"));
        assert!(link_stays_inside("a/b", "../c"));
        assert!(link_stays_inside("blobs/sha256/x", "../../manifest.json"));
        assert!(!link_stays_inside("a/b", "../../c"));
        assert!(!link_stays_inside("b", "../c"));
        assert!(!link_stays_inside("b", "/etc/passwd"));
        assert!(!link_stays_inside("b", ""));
        assert!(link_stays_inside("b", "./c/../d"));
        assert!(!link_stays_inside("b", "c/../../d"));
    }
}
