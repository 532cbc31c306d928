//! Differences summed per directory: every differing path counts towards each of its
//! ancestors (like `du`), so a directory's delta is what changed below it.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::files::{Change, PathChange};

/// What differs below one directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirDelta {
    /// `/` and the directory as shown; `/` itself is the whole filesystem.
    pub path: String,
    /// Paths below it only in B.
    pub added: u64,
    /// Paths below it only in A.
    pub removed: u64,
    /// Paths below it in both, different.
    pub modified: u64,
    /// Content bytes of the differing paths in A.
    pub bytes_a: u64,
    /// Content bytes of the differing paths in B.
    pub bytes_b: u64,
}

impl DirDelta {
    /// `bytes_b − bytes_a`.
    pub fn delta(&self) -> i64 {
        self.bytes_b as i64 - self.bytes_a as i64
    }
}

/// Sums `changes` into every ancestor directory (the path itself not counted), sorted by
/// the size of the delta, largest first, then by path.
pub fn by_directory(changes: &[PathChange]) -> Vec<DirDelta> {
    let mut dirs: BTreeMap<&str, DirDelta> = BTreeMap::new();
    for c in changes {
        let mut at = c.path.as_str();
        loop {
            // `/a/b/c` → `/a/b` → `/a` → `/`.
            at = match at.rfind('/') {
                Some(0) if at.len() > 1 => "/",
                Some(i) if i > 0 => &at[..i],
                _ => break,
            };
            let d = dirs.entry(at).or_default();
            match c.change {
                Change::Added => d.added += 1,
                Change::Removed => d.removed += 1,
                Change::Modified => d.modified += 1,
            }
            d.bytes_a += c.size_a.unwrap_or(0);
            d.bytes_b += c.size_b.unwrap_or(0);
        }
    }
    let mut out: Vec<DirDelta> = dirs
        .into_iter()
        .map(|(p, d)| DirDelta {
            path: p.into(),
            ..d
        })
        .collect();
    out.sort_by(|x, y| {
        y.delta()
            .unsigned_abs()
            .cmp(&x.delta().unsigned_abs())
            .then_with(|| x.path.cmp(&y.path))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn c(path: &str, change: Change, a: Option<u64>, b: Option<u64>) -> PathChange {
        PathChange {
            path: path.into(),
            change,
            attrs: Vec::new(),
            type_a: a.map(|_| '-'),
            type_b: b.map(|_| '-'),
            size_a: a,
            size_b: b,
            entry_a: None,
            entry_b: None,
        }
    }

    #[test]
    fn deltas_add_up_in_every_ancestor() {
        let d = by_directory(&[
            c("/usr/lib/a", Change::Added, None, Some(100)),
            c("/usr/bin/b", Change::Removed, Some(30), None),
            c("/etc/c", Change::Modified, Some(5), Some(8)),
        ]);
        let get = |p: &str| d.iter().find(|x| x.path == p).unwrap();
        assert_eq!(get("/").delta(), 73);
        assert_eq!(get("/usr").delta(), 70);
        assert_eq!((get("/usr").added, get("/usr").removed), (1, 1));
        assert_eq!(get("/etc").modified, 1);
        assert_eq!(d[0].path, "/usr/lib");
        assert_eq!(d.len(), 5);
    }
}
