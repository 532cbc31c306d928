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

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use std::collections::HashMap;

/// Each path a layer touched, with its state below the layer.
type Before = HashMap<EntryPath, Option<Node>>;

use serde::Serialize;

use super::change::{Change, ChangeKind, ChangeSet, Diff, Removal};
use super::whiteout::{classify, Role};
use crate::layer::{Entry, EntryKind, EntryPath, LayerIndex};

/// Identifies an entry: layer position and index in that layer's entry list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EntryRef {
    /// Layer position (0 = base).
    pub layer: u32,
    /// Index into [`LayerIndex::entries`].
    pub entry: u32,
}

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

/// Something the union had to work around in a layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Anomaly {
    /// A hardlink whose target does not exist; the link is left out.
    DanglingHardlink {
        /// The link.
        path: EntryPath,
    },
    /// An entry below a non-directory; the non-directory was replaced by a directory.
    ParentNotDirectory {
        /// The entry.
        path: EntryPath,
        /// The ancestor that was not a directory.
        ancestor: EntryPath,
    },
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

    /// Number of paths (the root not counted).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether nothing is there.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Layers applied so far.
    pub fn layers_applied(&self) -> u32 {
        self.applied
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
        let (lo, hi) = dir.subtree_bounds();
        self.nodes.range::<[u8], _>((
            core::ops::Bound::Included(lo.as_slice()),
            core::ops::Bound::Excluded(hi.as_slice()),
        ))
    }

    /// Applies the next layer. `lower` are the layers already applied (needed to compare
    /// metadata of replaced entries); `layer` must be the layer at position `lower.len()`.
    pub fn apply(&mut self, layer: &LayerIndex, lower: &[&LayerIndex]) -> ChangeSet {
        let pos = self.applied;
        self.applied += 1;
        // Hash maps for the per-layer bookkeeping: ordered maps would compare long shared
        // path prefixes on every lookup; the change list is sorted once at the end.
        let mut before: Before = HashMap::new();
        let mut causes: HashMap<EntryPath, Removal> = HashMap::new();
        let mut anomalies = Vec::new();
        let mut touched_by_entry: Vec<u32> = Vec::new();

        // Whiteouts and opaque markers first.
        let mut plain: Vec<u32> = Vec::with_capacity(layer.entries.len());
        for (i, e) in layer.entries.iter().enumerate() {
            match classify(&e.path) {
                Role::Plain => plain.push(i as u32),
                Role::Whiteout(target) => {
                    if let Some(node) = self.nodes.remove(&target) {
                        before.entry(target.clone()).or_insert(Some(node));
                        causes.entry(target.clone()).or_insert(Removal::Whiteout);
                    }
                    self.remove_subtree(&target, &mut before, &mut causes, Removal::Whiteout);
                }
                Role::Opaque(dir) => {
                    self.remove_subtree(&dir, &mut before, &mut causes, Removal::Opaque)
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
            // Ancestors must be directories.
            self.ensure_parent_dirs(
                &e.path,
                layer,
                lower,
                &mut before,
                &mut causes,
                &mut anomalies,
            );
            let node = if e.kind == EntryKind::Hardlink {
                let target = e.link.as_deref().and_then(|l| EntryPath::parse(l).ok());
                let target_node = target.and_then(|t| self.nodes.get(&t).copied());
                let target_is_dir = target_node
                    .and_then(|t| entry_at(t.inode_entry, layer, pos, lower))
                    .is_some_and(Entry::is_dir);
                match target_node {
                    Some(t) if !target_is_dir => Node {
                        entry: me,
                        inode_entry: t.inode_entry,
                        inode: t.inode,
                    },
                    _ => {
                        anomalies.push(Anomaly::DanglingHardlink {
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
            let existing = self.nodes.get(&e.path).copied();
            if let Some(old) = existing {
                let old_is_dir =
                    entry_at(old.inode_entry, layer, pos, lower).is_some_and(Entry::is_dir);
                if old_is_dir && !e.is_dir() {
                    self.remove_subtree(&e.path, &mut before, &mut causes, Removal::Replaced);
                }
            }
            let key = e.path.clone();
            before.entry(key.clone()).or_insert(existing);
            self.nodes.insert(key, node);
            touched_by_entry.push(i);
        }

        // Classify every touched path against its state below this layer.
        let mut entry_for: HashMap<&EntryPath, u32> =
            HashMap::with_capacity(touched_by_entry.len());
        for &i in &touched_by_entry {
            if let Some(e) = layer.entries.get(i as usize) {
                entry_for.insert(&e.path, i);
            }
        }
        let mut changes = Vec::with_capacity(before.len());
        for (path, old) in &before {
            let new = self.nodes.get(path).copied();
            let kind = match (old, new) {
                (None, None) => continue,
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), None) => ChangeKind::Removed,
                (Some(o), Some(n)) => {
                    let (Some(oe), Some(ne)) = (
                        entry_at(o.inode_entry, layer, pos, lower),
                        entry_at(n.inode_entry, layer, pos, lower),
                    ) else {
                        continue;
                    };
                    let d = Diff::between(oe, ne, o.inode_entry != n.inode_entry);
                    if d.is_empty() {
                        ChangeKind::Readded
                    } else {
                        ChangeKind::Modified(d)
                    }
                }
            };
            let hidden = old
                .and_then(|o| entry_at(o.inode_entry, layer, pos, lower))
                .map_or(0, |e| e.size);
            changes.push(Change {
                path: path.clone(),
                kind,
                entry: entry_for.get(path).copied(),
                before: old.map(|o| o.inode_entry),
                hidden_size: hidden,
                removal: if kind == ChangeKind::Removed {
                    causes.get(path).copied()
                } else {
                    None
                },
            });
        }
        changes.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        ChangeSet {
            layer: pos,
            changes,
            anomalies,
        }
    }

    fn remove_subtree(
        &mut self,
        dir: &EntryPath,
        before: &mut Before,
        causes: &mut HashMap<EntryPath, Removal>,
        cause: Removal,
    ) {
        let (lo, hi) = dir.subtree_bounds();
        let doomed: Vec<EntryPath> = self
            .nodes
            .range::<[u8], _>((
                core::ops::Bound::Included(lo.as_slice()),
                core::ops::Bound::Excluded(hi.as_slice()),
            ))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            if let Some(n) = self.nodes.remove(&k) {
                causes.entry(k.clone()).or_insert(cause);
                before.entry(k).or_insert(Some(n));
            }
        }
    }

    fn ensure_parent_dirs(
        &mut self,
        path: &EntryPath,
        layer: &LayerIndex,
        lower: &[&LayerIndex],
        before: &mut Before,
        causes: &mut HashMap<EntryPath, Removal>,
        anomalies: &mut Vec<Anomaly>,
    ) {
        let pos = self.applied - 1;
        let mut cur = path.parent();
        while let Some(p) = cur {
            if p.is_root() {
                return;
            }
            if let Some(n) = self.nodes.get(&p).copied() {
                let is_dir = entry_at(n.inode_entry, layer, pos, lower).is_some_and(Entry::is_dir);
                if !is_dir {
                    anomalies.push(Anomaly::ParentNotDirectory {
                        path: path.clone(),
                        ancestor: p.clone(),
                    });
                    before.entry(p.clone()).or_insert(Some(n));
                    causes.entry(p.clone()).or_insert(Removal::Replaced);
                    self.nodes.remove(&p);
                }
                // Existing ancestors of a directory are directories (invariant).
                return;
            }
            cur = p.parent();
        }
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
