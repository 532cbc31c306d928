//! What a run of layers changes together: the filesystem below the first against the one after
//! the last, composed from the per-layer change sets (each path's first change in the run says
//! what it was before; the union after the run says what it is), so the cost grows with the
//! changes in the run, not with layers × paths.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use serde::Serialize;

use super::change::{ChangeKind, ChangeSet, Diff, Removal};
use super::union::UnionFs;
use crate::layer::{Entry, EntryPath, EntryRef};

/// One path that differs between the two states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RangeChange {
    /// The path.
    pub path: EntryPath,
    /// Added, removed, modified (with the attributes that differ), or written again with the
    /// same metadata (`Readded`: the bytes may still differ; compare them to know).
    pub kind: ChangeKind,
    /// The entry holding the path's inode before, if it existed.
    pub before: Option<EntryRef>,
    /// The entry holding the path's inode after, if it exists.
    pub after: Option<EntryRef>,
    /// Content size before (0 if absent or not a file).
    pub size_before: u64,
    /// Content size after (0 if absent or not a file).
    pub size_after: u64,
}

/// The changes between two filesystem states, sorted by path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RangeDiff {
    /// The state compared from: after this layer (`None`: the empty filesystem).
    pub from: Option<u32>,
    /// The state compared to: after this layer (`None`: the empty filesystem).
    pub to: Option<u32>,
    /// Every differing path.
    pub changes: Vec<RangeChange>,
}

impl RangeDiff {
    /// The changes of layers `first..=last` together: from the filesystem below `first` to
    /// `after`, which must be the union after `last`. `changes` are the image's change sets
    /// (at least `last + 1` of them) and `entry` finds entries.
    pub fn of_layers<'e>(
        changes: &[ChangeSet],
        after: &UnionFs,
        entry: impl Fn(EntryRef) -> Option<&'e Entry>,
        first: usize,
        last: usize,
    ) -> RangeDiff {
        // Each touched path with its state before the run: from its first change there.
        let mut before: BTreeMap<&EntryPath, Option<EntryRef>> = BTreeMap::new();
        // Why each path last went away in the run, for paths absent after it.
        let mut removal: BTreeMap<&EntryPath, Removal> = BTreeMap::new();
        for cs in changes.iter().take(last + 1).skip(first) {
            for c in &cs.changes {
                before.entry(&c.path).or_insert(match c.kind {
                    ChangeKind::Added => None,
                    _ => c.before,
                });
                if let ChangeKind::Removed(r) = c.kind {
                    removal.insert(&c.path, r);
                }
            }
        }
        let size = |r: Option<EntryRef>| {
            r.and_then(&entry)
                .filter(|e| e.is_file())
                .map_or(0, |e| e.size)
        };
        let mut out = Vec::new();
        for (path, was) in before {
            let node = after.get(path.as_bytes());
            let now = node.map(|n| n.inode_entry);
            let kind = match (was, now) {
                (None, None) => continue,
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), None) => {
                    ChangeKind::Removed(removal.get(path).copied().unwrap_or(Removal::Replaced))
                }
                (Some(o), Some(n)) => match (entry(o), entry(n)) {
                    (Some(oe), Some(ne)) => {
                        let d = Diff::between(oe, ne);
                        if d.is_empty() {
                            ChangeKind::Readded
                        } else {
                            ChangeKind::Modified(d)
                        }
                    }
                    _ => continue,
                },
            };
            out.push(RangeChange {
                path: path.clone(),
                kind,
                before: was,
                after: now,
                size_before: size(was),
                size_after: size(now),
            });
        }
        RangeDiff {
            from: first.checked_sub(1).map(|l| l as u32),
            to: Some(last as u32),
            changes: out,
        }
    }

    /// The same comparison the other way round (after `to` against after `from`).
    pub fn reversed(self) -> RangeDiff {
        let changes = self
            .changes
            .into_iter()
            .map(|c| RangeChange {
                kind: match c.kind {
                    // Backwards nothing removed the path; dropping it from a filesystem
                    // takes a whiteout.
                    ChangeKind::Added => ChangeKind::Removed(Removal::Whiteout),
                    ChangeKind::Removed(_) => ChangeKind::Added,
                    k => k,
                },
                before: c.after,
                after: c.before,
                size_before: c.size_after,
                size_after: c.size_before,
                path: c.path,
            })
            .collect();
        RangeDiff {
            from: self.to,
            to: self.from,
            changes,
        }
    }

    /// Whether nothing differs in metadata (`Readded` paths may still differ in bytes).
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{union, LayerBuilder as L};
    use alloc::string::String;
    use alloc::vec;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The reference: both states built whole and compared path by path.
    fn by_states(layers: &[Vec<u8>], first: usize, last: usize) -> Vec<(String, ChangeKind)> {
        let (idx, _, _) = union(layers);
        let entry = |r: EntryRef| {
            idx.get(r.layer as usize)
                .and_then(|l| l.entries.get(r.entry as usize))
        };
        let (below, _) = UnionFs::build(idx.iter().take(first));
        let (after, _) = UnionFs::build(idx.iter().take(last + 1));
        let mut paths: BTreeMap<&EntryPath, ()> = BTreeMap::new();
        for (p, _) in below.iter().chain(after.iter()) {
            paths.insert(p, ());
        }
        let mut out = Vec::new();
        for p in paths.keys() {
            let kind = match (below.get(p.as_bytes()), after.get(p.as_bytes())) {
                (None, None) => continue,
                (None, Some(_)) => ChangeKind::Added,
                // The states alone do not say why a path went; compared without the cause.
                (Some(_), None) => ChangeKind::Removed(Removal::Replaced),
                (Some(o), Some(n)) if o.entry == n.entry => continue,
                (Some(o), Some(n)) => {
                    let d =
                        Diff::between(entry(o.inode_entry).unwrap(), entry(n.inode_entry).unwrap());
                    if d.is_empty() {
                        ChangeKind::Readded
                    } else {
                        ChangeKind::Modified(d)
                    }
                }
            };
            out.push((p.display(), kind));
        }
        out
    }

    fn composed(layers: &[Vec<u8>], first: usize, last: usize) -> RangeDiff {
        let (idx, _, cs) = union(layers);
        let entry = |r: EntryRef| {
            idx.get(r.layer as usize)
                .and_then(|l| l.entries.get(r.entry as usize))
        };
        let (after, _) = UnionFs::build(idx.iter().take(last + 1));
        RangeDiff::of_layers(&cs, &after, entry, first, last)
    }

    fn without_cause(k: ChangeKind) -> ChangeKind {
        match k {
            ChangeKind::Removed(_) => ChangeKind::Removed(Removal::Replaced),
            k => k,
        }
    }

    /// A small deterministic generator (xorshift), so failures replay.
    struct Gen(u64);
    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[(self.next() % from.len() as u64) as usize]
        }
    }

    const DIRS: &[&str] = &["a", "a/b", "c", "a/b/d"];
    const NAMES: &[&str] = &["f", "g", "h"];

    /// A random layer over a small namespace: files, dirs, symlinks, hardlinks, whiteouts,
    /// opaque markers and files replacing directories, so every union rule comes up.
    fn layer(g: &mut Gen) -> Vec<u8> {
        let mut l = L::new();
        let n = 1 + g.next() % 8;
        let mut written: Vec<String> = Vec::new();
        for _ in 0..n {
            let dir = g.pick(DIRS);
            let name = g.pick(NAMES);
            let path = alloc::format!("{dir}/{name}");
            l = match g.next() % 9 {
                0 | 1 => l.file(&path, &vec![b'x'; (g.next() % 4) as usize]),
                2 => l.chmod(&path, b"x", 0o600),
                3 => l.dir(dir),
                4 => l.symlink(&path, "f"),
                5 => match written.first() {
                    Some(t) => l.hardlink(&path, &t.clone()),
                    None => l.file(&path, b"y"),
                },
                6 => l.whiteout(&path),
                7 => l.whiteout(dir),
                _ => {
                    if g.next() % 2 == 0 {
                        l.opaque(dir)
                    } else {
                        l.file(dir, b"replaces a dir")
                    }
                }
            };
            written.push(path);
        }
        l.build()
    }

    #[test]
    fn range_diff_equals_comparing_the_two_states_over_generated_images() {
        let mut g = Gen(0x2545_f491_4f6c_dd1d);
        for _ in 0..300 {
            let count = 1 + (g.next() % 5) as usize;
            let layers: Vec<Vec<u8>> = (0..count).map(|_| layer(&mut g)).collect();
            for first in 0..count {
                for last in first..count {
                    let got: Vec<(String, ChangeKind)> = composed(&layers, first, last)
                        .changes
                        .into_iter()
                        .map(|c| (c.path.display(), without_cause(c.kind)))
                        .collect();
                    assert_eq!(got, by_states(&layers, first, last), "{first}..={last}");
                }
            }
        }
    }

    #[test]
    fn one_layer_range_is_that_layers_change_set() {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200 {
            let count = 1 + (g.next() % 4) as usize;
            let layers: Vec<Vec<u8>> = (0..count).map(|_| layer(&mut g)).collect();
            let (_, _, cs) = union(&layers);
            for (i, set) in cs.iter().enumerate() {
                let got: Vec<(EntryPath, ChangeKind)> = composed(&layers, i, i)
                    .changes
                    .into_iter()
                    .map(|c| (c.path, c.kind))
                    .collect();
                let want: Vec<(EntryPath, ChangeKind)> = set
                    .changes
                    .iter()
                    .map(|c| (c.path.clone(), c.kind))
                    .collect();
                assert_eq!(got, want, "layer {i}");
            }
        }
    }

    #[test]
    fn reversed_swaps_added_and_removed() {
        let l0 = L::new().file("a", b"1").file("b", b"2").build();
        let l1 = L::new().whiteout("a").file("c", b"3").build();
        let d = composed(&[l0, l1], 1, 1).reversed();
        let kinds: Vec<_> = d
            .changes
            .iter()
            .map(|c| (c.path.display(), c.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                (String::from("a"), ChangeKind::Added),
                (String::from("c"), ChangeKind::Removed(Removal::Whiteout))
            ]
        );
        assert_eq!((d.from, d.to), (Some(1), Some(0)));
    }
}
