//! The union filesystem: layers applied in order with OCI whiteout semantics, keyed by path.
//!
//! Rules (OCI image-spec `layer.md`, and what Docker, containerd and umoci do):
//! - `.wh.NAME` deletes `NAME` and its subtree from lower layers; `.wh..wh..opq` hides
//!   everything below its directory from lower layers. Both apply before the layer's own
//!   entries, whatever their position in the tar.
//! - A non-directory replacing a directory removes the lower subtree (no whiteout is written
//!   in that case); a directory over a directory only updates its metadata.
//! - A hardlink shares the inode of its target at the time it is applied, so it keeps the
//!   content even when a later layer deletes or replaces the target.
//! - An entry below a path that is not a directory replaces that path with a directory (as
//!   extractors do), and is reported.

use alloc::collections::{btree_map, BTreeMap};
use alloc::vec::Vec;

use serde::Serialize;

use super::change::{Anomaly, Change, ChangeKind, ChangeSet, Diff, Removal};
use super::whiteout::{classify, Role};
use core::hash::BuildHasher;

use hashbrown::HashTable;

use crate::hashing::PathHashing;
use crate::layer::subtree_range;
use crate::layer::{Entry, EntryKind, EntryPath, EntryRef, LayerIndex};

/// A path's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Node {
    /// The entry that put the path in this state (for a hardlink, the link entry).
    pub entry: EntryRef,
    /// The entry holding the inode's metadata and bytes: the entry itself, or for a
    /// hardlink the first entry of its inode.
    pub inode_entry: EntryRef,
    /// Hardlink group: paths with the same inode number share one inode.
    pub inode: u32,
}

/// The union of the layers applied so far.
#[derive(Debug, Clone, Default)]
pub struct UnionFs {
    nodes: BTreeMap<EntryPath, Node>,
    next_inode: u32,
    applied: u32,
}

impl UnionFs {
    /// An empty filesystem.
    pub fn new() -> Self {
        UnionFs::default()
    }

    /// Builds the union of `layers` (base first), returning each layer's change set.
    pub fn build<'a>(layers: impl IntoIterator<Item = &'a LayerIndex>) -> (Self, Vec<ChangeSet>) {
        let mut fs = UnionFs::new();
        let all: Vec<&LayerIndex> = layers.into_iter().collect();
        let mut changes = Vec::with_capacity(all.len());
        for (i, layer) in all.iter().enumerate() {
            let cs = fs.apply(layer, &all[..i]);
            changes.push(cs);
        }
        (fs, changes)
    }

    /// Paths, files and content bytes, looking entries up with `entry`.
    pub fn summary<'e>(&self, entry: impl Fn(EntryRef) -> Option<&'e Entry>) -> super::FsSummary {
        super::FsSummary::of(self.nodes.values(), entry)
    }

    /// Number of paths (the root not counted).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether nothing is there.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node at `path`.
    pub fn get(&self, path: &[u8]) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// All paths in byte order with their nodes.
    pub fn iter(&self) -> impl Iterator<Item = (&EntryPath, &Node)> {
        self.nodes.iter()
    }

    /// Paths strictly below `dir`.
    pub fn subtree<'s>(
        &'s self,
        dir: &EntryPath,
    ) -> impl Iterator<Item = (&'s EntryPath, &'s Node)> + 's {
        self.nodes.range::<[u8], _>(subtree_range(dir.as_bytes()))
    }

    /// Applies the next layer. `lower` are the layers already applied (needed to compare
    /// metadata of replaced entries); `layer` must be the layer at position `lower.len()`.
    pub fn apply<'a>(&mut self, layer: &'a LayerIndex, lower: &[&'a LayerIndex]) -> ChangeSet {
        // Long on purpose: the OCI whiteout rules in the order they must run (opaque markers,
        // then whiteouts, then entries, then hardlinks), each step reading what the previous
        // one left in the same pass state; the steps themselves are methods of `Pass`.
        let pos = self.applied;
        self.applied += 1;
        let mut pass = Pass {
            layer,
            lower,
            pos,
            touched: Touched::with_capacity(layer.entries.len()),
            anomalies: Vec::new(),
            known_dir: None,
        };

        // Whiteouts and opaque markers first.
        let mut plain: Vec<u32> = Vec::with_capacity(layer.entries.len());
        for (i, e) in layer.entries.iter().enumerate() {
            match classify(&e.path) {
                Role::Plain => plain.push(i as u32),
                Role::Whiteout(target) => {
                    if let Some((k, node)) = self.nodes.remove_entry(target.as_bytes()) {
                        pass.removed(k, node, Removal::Whiteout);
                    }
                    self.remove_subtree(target.as_bytes(), &mut pass, Removal::Whiteout);
                }
                Role::Opaque(dir) => {
                    self.remove_subtree(dir.as_bytes(), &mut pass, Removal::Opaque)
                }
                Role::AufsMeta => {}
            }
        }

        for i in plain {
            let e = &layer.entries[i as usize];
            if e.path.is_root() {
                continue;
            }
            let me = EntryRef {
                layer: pos,
                entry: i,
            };
            self.ensure_parent_dirs(&e.path, &mut pass);
            let node = if e.kind == EntryKind::Hardlink {
                let target = e.link.as_deref().and_then(|l| EntryPath::parse(l).ok());
                let target_node = target.and_then(|t| self.nodes.get(t.as_bytes()).copied());
                let target_is_dir = target_node
                    .and_then(|t| pass.entry(t.inode_entry))
                    .is_some_and(Entry::is_dir);
                match target_node {
                    Some(t) if !target_is_dir => Node {
                        entry: me,
                        inode_entry: t.inode_entry,
                        inode: t.inode,
                    },
                    _ => {
                        pass.anomalies.push(Anomaly::DanglingHardlink {
                            path: e.path.clone(),
                        });
                        continue;
                    }
                }
            } else {
                let inode = self.next_inode;
                self.next_inode += 1;
                Node {
                    entry: me,
                    inode_entry: me,
                    inode,
                }
            };
            // One walk down the tree for the lookup and the insert (path comparisons are most
            // of the union's time, in wasm above all). The subtree a non-directory replaces
            // lies strictly below the path, so removing it after the insert is the same.
            let existing = match self.nodes.entry(e.path.clone()) {
                btree_map::Entry::Vacant(slot) => {
                    slot.insert(node);
                    None
                }
                btree_map::Entry::Occupied(mut slot) => Some(slot.insert(node)),
            };
            if let Some(old) = existing {
                let old_is_dir = pass.entry(old.inode_entry).is_some_and(Entry::is_dir);
                if old_is_dir && !e.is_dir() {
                    self.remove_subtree(e.path.as_bytes(), &mut pass, Removal::Replaced);
                }
            }
            if !e.is_dir() && pass.known_dir == Some(e.path.as_bytes()) {
                pass.known_dir = None;
            }
            let t = pass
                .touched
                .get_or_insert(&e.path, || Touch::below(existing));
            t.entry = Some(i);
            t.after = Some(node.inode_entry);
        }

        // Classify every touched path against its state below this layer.
        let mut changes = Vec::with_capacity(pass.touched.len());
        for (path, t) in pass.touched.iter() {
            let kind = match (t.before, t.after) {
                (None, None) => continue,
                (None, Some(_)) => ChangeKind::Added,
                // `after` becomes none only through `Pass::removed`, which records a cause.
                (Some(_), None) => ChangeKind::Removed(t.removal.unwrap_or(Removal::Replaced)),
                (Some(o), Some(n)) => {
                    let (Some(oe), Some(ne)) = (pass.entry(o), pass.entry(n)) else {
                        continue;
                    };
                    let d = Diff::between(oe, ne);
                    if d.is_empty() {
                        ChangeKind::Readded
                    } else {
                        ChangeKind::Modified(d)
                    }
                }
            };
            let hidden = t.before.and_then(|o| pass.entry(o)).map_or(0, |e| e.size);
            changes.push(Change {
                path: path.clone(),
                kind,
                entry: t.entry,
                before: t.before,
                hidden_size: hidden,
            });
        }
        changes.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        ChangeSet {
            layer: pos,
            changes,
            anomalies: pass.anomalies,
        }
    }

    fn remove_subtree(&mut self, dir: &[u8], pass: &mut Pass<'_, '_>, cause: Removal) {
        let doomed: Vec<EntryPath> = self
            .nodes
            .range::<[u8], _>(subtree_range(dir))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            if let Some(n) = self.nodes.remove(k.as_bytes()) {
                pass.removed(k, n, cause);
            }
        }
    }

    /// Makes sure every ancestor of `path` that exists is a directory: a non-directory in the
    /// way is removed (extractors replace it with a directory) and reported.
    fn ensure_parent_dirs<'a>(&mut self, path: &'a EntryPath, pass: &mut Pass<'a, '_>) {
        let parent = path.parent_bytes();
        // Entries of one directory usually follow each other: skip the lookup when the parent
        // was just found to be a directory and nothing has replaced it since.
        if parent.is_empty() || pass.known_dir == Some(parent) {
            return;
        }
        let mut cur = parent;
        while !cur.is_empty() {
            if let Some(n) = self.nodes.get(cur).copied() {
                let is_dir = pass.entry(n.inode_entry).is_some_and(Entry::is_dir);
                if is_dir {
                    if cur.len() == parent.len() {
                        pass.known_dir = Some(parent);
                    }
                } else {
                    pass.anomalies.push(Anomaly::ParentNotDirectory {
                        path: path.clone(),
                        ancestor: EntryPath::from_normal(cur),
                    });
                    if let Some((k, n)) = self.nodes.remove_entry(cur) {
                        pass.removed(k, n, Removal::Replaced);
                    }
                }
                // Existing ancestors of a directory are directories (invariant).
                return;
            }
            cur = parent_of(cur);
        }
    }
}

/// Which entries the final filesystem is made of, by position: for each entry of each layer,
/// the inode of the final node it is, if it is one. Built in one walk of the union, so that a
/// pass over every entry (the squash plan, the dead copies) asks the union by path only for the
/// entries that did not survive: looking every entry up compares long shared path prefixes a
/// hundred thousand times on `large`, and in wasm above all. Four bytes an entry.
#[derive(Debug, Clone)]
pub struct FinalEntries {
    inodes: Vec<Vec<u32>>,
}

/// Marks an entry no final node is.
const NOT_FINAL: u32 = u32::MAX;

impl FinalEntries {
    /// The final entries of `fs`, whose layers have `entries[i]` entries each.
    pub fn of(fs: &UnionFs, entries: impl IntoIterator<Item = usize>) -> Self {
        let mut inodes: Vec<Vec<u32>> = entries
            .into_iter()
            .map(|n| alloc::vec![NOT_FINAL; n])
            .collect();
        for node in fs.nodes.values() {
            let slot = inodes
                .get_mut(node.entry.layer as usize)
                .and_then(|l| l.get_mut(node.entry.entry as usize));
            if let Some(slot) = slot {
                *slot = node.inode;
            }
        }
        FinalEntries { inodes }
    }

    /// The inode of the final node `r` is, if it is one (that node is at `r`'s path).
    pub fn inode(&self, r: EntryRef) -> Option<u32> {
        let i = *self.inodes.get(r.layer as usize)?.get(r.entry as usize)?;
        (i != NOT_FINAL).then_some(i)
    }
}

/// What one layer did to one path: the inode entries of its states (all a change needs of
/// a [`Node`]; a million-entry layer touches a million paths, so this stays small).
#[derive(Debug, Clone, Copy)]
struct Touch {
    /// The state below the layer.
    before: Option<EntryRef>,
    /// The state after the layer's entries so far.
    after: Option<EntryRef>,
    /// The last entry of the layer that wrote the path.
    entry: Option<u32>,
    /// Why the path was first removed, if it was.
    removal: Option<Removal>,
}

impl Touch {
    fn below(before: Option<Node>) -> Self {
        let before = before.map(|n| n.inode_entry);
        Touch {
            before,
            after: before,
            entry: None,
            removal: None,
        }
    }
}

/// The paths one layer touched, in the order first touched, found by a hash of the path: an
/// ordered map would compare long shared path prefixes on every lookup (the change list is
/// sorted once at the end). A list with a table of positions rather than a hash map of
/// `(path, Touch)`: the map's slots, half of them empty, cost more than the pairs (a
/// million-entry base layer: 33 MB against 59). Paths share their bytes with the entries and
/// the union (no copies).
struct Touched {
    list: Vec<(EntryPath, Touch)>,
    index: HashTable<u32>,
    hashing: PathHashing,
}

impl Touched {
    fn with_capacity(n: usize) -> Self {
        Touched {
            list: Vec::with_capacity(n),
            index: HashTable::with_capacity(n),
            hashing: PathHashing::default(),
        }
    }

    /// The touch of `path`, made with `new` if it has none.
    fn get_or_insert(&mut self, path: &EntryPath, new: impl FnOnce() -> Touch) -> &mut Touch {
        let hashing = &self.hashing;
        let hash = hashing.hash_one(path.as_bytes());
        let list = &self.list;
        let at = match self.index.find(hash, |&i| {
            list.get(i as usize)
                .is_some_and(|(p, _)| p.as_bytes() == path.as_bytes())
        }) {
            Some(&i) => i as usize,
            None => {
                let i = self.list.len();
                self.list.push((path.clone(), new()));
                let list = &self.list;
                self.index.insert_unique(hash, i as u32, |&j| {
                    list.get(j as usize)
                        .map_or(0, |(p, _)| hashing.hash_one(p.as_bytes()))
                });
                i
            }
        };
        // `at` is in the list: found there, or just pushed.
        &mut self.list[at].1
    }

    fn len(&self) -> usize {
        self.list.len()
    }

    fn iter(&self) -> impl Iterator<Item = (&EntryPath, &Touch)> {
        self.list.iter().map(|(p, t)| (p, t))
    }
}

/// The bookkeeping of one [`UnionFs::apply`]. Keys share the paths' bytes with the entries
/// and the union (no copies).
struct Pass<'a, 'l> {
    layer: &'a LayerIndex,
    lower: &'l [&'a LayerIndex],
    pos: u32,
    touched: Touched,
    anomalies: Vec<Anomaly>,
    /// A parent directory known to exist as a directory right now.
    known_dir: Option<&'a [u8]>,
}

impl<'a> Pass<'a, '_> {
    fn entry(&self, r: EntryRef) -> Option<&'a Entry> {
        entry_at(r, self.layer, self.pos, self.lower)
    }

    /// Records that `path`, in state `node`, was removed.
    fn removed(&mut self, path: EntryPath, node: Node, cause: Removal) {
        // Any removal may take the known directory with it.
        self.known_dir = None;
        let t = self
            .touched
            .get_or_insert(&path, || Touch::below(Some(node)));
        t.after = None;
        t.removal.get_or_insert(cause);
    }
}

/// The parent of a normalised path's bytes (empty for a top-level path).
fn parent_of(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[..i],
        None => b"",
    }
}

/// The entry a reference points to, given the layer being applied and those below it.
pub(crate) fn entry_at<'a>(
    r: EntryRef,
    layer: &'a LayerIndex,
    pos: u32,
    lower: &[&'a LayerIndex],
) -> Option<&'a Entry> {
    let l = if r.layer == pos {
        Some(layer)
    } else {
        lower.get(r.layer as usize).copied()
    };
    l.and_then(|l| l.entries.get(r.entry as usize))
}

#[cfg(test)]
mod size {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A million-entry layer touches a million paths, each costing its key and a `Touch`
    /// (it held two whole nodes, 60 bytes, before).
    #[test]
    fn a_touch_stays_small() {
        assert!(core::mem::size_of::<super::Touch>() <= 36);
    }
}
