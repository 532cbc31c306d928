//! Reclaimable bytes: exactly what a squash saves (the squash plan's savings), for the whole
//! image or from any layer up, split by why each dropped copy was dead weight.
//!
//! The squash planner already sorts what it drops into deleted, overwritten and
//! opaque-hidden content plus tar overhead. Here "overwritten" is split further by what the
//! later layer did to the file: a real content change, a metadata-only change (chmod/chown
//! re-ships the whole file), or the same bytes written again (only the deep scan can tell).

use crate::hashing::PathMap;
use crate::model::Model;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::fs::whiteout::{classify, Role};
use crate::fs::{Change, ChangeKind, ChangeSet, Diff, FinalEntries, Node, Removal};
use crate::image::Image;
use crate::layer::EntryRef;
use crate::layer::{EntryPath, NoticeKind};
use crate::model::ContentHashes;
use crate::squash::{plan_layer, LayerOptions, LayerPlan};

/// Why a copy of a file is dead weight in the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Deleted (whiteout) in a later layer.
    Deleted,
    /// Written again by a later layer with different content (or content not compared).
    Overwritten,
    /// Written again with only its mode, owner or xattrs changed: a chmod/chown re-ships the
    /// whole file (same size; with the deep scan, same bytes).
    MetadataOnly,
    /// Written again with the same bytes (known from the deep scan).
    Identical,
    /// Hidden by an opaque directory in a later layer.
    Opaque,
}

/// What squashing layers `from..` saves, by cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reclaim {
    /// First squashed layer (0: the whole image).
    pub from: usize,
    /// Net bytes saved: the squashed layers' tar bytes minus the new layer's (the squash
    /// plan's `savings.total()`, exactly).
    pub total: i64,
    /// Uncompressed tar bytes of the squashed layers.
    pub input_size: u64,
    /// Content of files deleted in a later layer.
    pub deleted: u64,
    /// Content of files overwritten with different (or uncompared) content.
    pub overwritten: u64,
    /// Content re-shipped by a metadata-only change.
    pub metadata_only: u64,
    /// Content written again unchanged (deep scan only; 0 without it).
    pub identical: u64,
    /// Content hidden by an opaque directory.
    pub opaque: u64,
    /// Tar headers, padding, whiteout markers and end blocks dropped, net of new headers.
    pub overhead: i64,
    /// Whether content hashes were available (else `identical` is 0 and such copies count
    /// as overwritten or metadata-only).
    pub deep: bool,
}

impl Reclaim {
    /// Content bytes dropped (every cause but overhead).
    pub fn content(&self) -> u64 {
        self.deleted + self.overwritten + self.metadata_only + self.identical + self.opaque
    }

    /// Bytes by cause, largest first, zero causes left out.
    pub fn by_cause(&self) -> Vec<(Cause, u64)> {
        let mut v: Vec<(Cause, u64)> = [
            (Cause::Deleted, self.deleted),
            (Cause::Overwritten, self.overwritten),
            (Cause::MetadataOnly, self.metadata_only),
            (Cause::Identical, self.identical),
            (Cause::Opaque, self.opaque),
        ]
        .into_iter()
        .filter(|(_, b)| *b > 0)
        .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// Bytes saved as a share of the squashed layers (0 when they are empty).
    pub fn ratio(&self) -> f64 {
        if self.input_size == 0 {
            0.0
        } else {
            self.total.max(0) as f64 / self.input_size as f64
        }
    }
}

/// One dead copy: the entry, its content size and why it is dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadCopy {
    /// The entry.
    pub entry: EntryRef,
    /// Content bytes.
    pub size: u64,
    /// Why, as the squash planner counts it: a copy whose path is gone at the end is
    /// "deleted" even if a chmod had already replaced it.
    pub cause: Cause,
    /// The layer whose change made it dead by that count (same layer for a duplicate entry).
    pub by_layer: u32,
    /// What first replaced or removed this very copy: the step to change (a copy a chmod
    /// re-ships and a later step deletes was first made dead by the chmod).
    pub superseded: Cause,
    /// The layer of that first change.
    pub superseded_by: u32,
}

/// Every change of each of `paths`, in layer order: (layer, change). Only the paths asked
/// for get a list: the dead copies are usually a small share of all paths.
fn history<'c>(
    changes: &'c [ChangeSet],
    paths: impl IntoIterator<Item = &'c EntryPath>,
) -> PathMap<&'c EntryPath, Vec<(u32, &'c Change)>> {
    let mut h: PathMap<&EntryPath, Vec<(u32, &Change)>> = PathMap::default();
    for p in paths {
        h.entry(p).or_default();
    }
    for cs in changes {
        for c in &cs.changes {
            if let Some(v) = h.get_mut(&c.path) {
                v.push((cs.layer, c));
            }
        }
    }
    h
}

/// Every copy the final image cannot see (what a full squash drops), classified as the
/// squash planner classifies it, with "overwritten" split by what replaced it. A squash from
/// layer N drops exactly the copies in layers N and up.
pub fn dead_copies(m: Model<'_>) -> Vec<DeadCopy> {
    // Long on purpose: it classifies exactly as `plan_layer` does (the tests check the sums
    // agree), and keeping the cases side by side in one place is what keeps them agreeing.
    let (image, top, changes, hashes) = (m.image, m.fs, m.changes, m.hashes);
    // The copies that do not survive, per layer, with the path's final node (what follows
    // looks only at those); only they are looked up by path (`FinalEntries`).
    let finals = FinalEntries::of(top, image.layers.iter().map(|l| l.index.entries.len()));
    let dead: Vec<Vec<(usize, Option<&Node>)>> = image
        .layers
        .iter()
        .enumerate()
        .map(|(li, layer)| {
            let here = |ei: usize| EntryRef {
                layer: li as u32,
                entry: ei as u32,
            };
            let entries = layer.index.entries.iter().enumerate();
            entries
                .filter(|&(ei, e)| {
                    finals.inode(here(ei)).is_none()
                        && !e.path.is_root()
                        && classify(&e.path) == Role::Plain
                })
                .map(|(ei, e)| (ei, top.get(e.path.as_bytes())))
                .collect()
        })
        .collect();
    let dead_paths = image.layers.iter().zip(&dead).flat_map(|(layer, ds)| {
        ds.iter()
            .filter_map(|&(ei, _)| layer.index.entries.get(ei).map(|e| &e.path))
    });
    let hist = history(changes, dead_paths);
    let mut out = Vec::new();
    for ((li, layer), dead_here) in image.layers.iter().enumerate().zip(&dead) {
        let entries = &layer.index.entries;
        // The last entry of each duplicated path in this layer (earlier ones are dead); the
        // index reports duplicates, so most layers need no map at all.
        let has_duplicates = layer
            .index
            .notices
            .iter()
            .any(|n| n.kind == NoticeKind::Duplicate);
        let mut last_in_layer: PathMap<&EntryPath, usize> = PathMap::default();
        if has_duplicates {
            for (ei, e) in entries.iter().enumerate() {
                last_in_layer.insert(&e.path, ei);
            }
        }
        for &(ei, node) in dead_here {
            let Some(e) = entries.get(ei) else { continue };
            let here = EntryRef {
                layer: li as u32,
                entry: ei as u32,
            };
            let all: &[(u32, &Change)] = hist.get(&e.path).map_or(&[], Vec::as_slice);
            // Changes after this layer (the path's own history is in layer order).
            let later = all
                .get(all.partition_point(|(l, _)| *l as usize <= li)..)
                .unwrap_or_default();
            let next = later.first();
            // The squash planner: a path still present at the end was overwritten; else the
            // first later removal says why.
            let planned = if node.is_some() {
                Removal::Replaced
            } else {
                later
                    .iter()
                    .find_map(|(_, c)| c.kind.removal())
                    .unwrap_or(Removal::Replaced)
            };
            let duplicate = last_in_layer.get(&e.path).is_some_and(|&last| last != ei);
            let (cause, by_layer) = match planned {
                Removal::Whiteout => (Cause::Deleted, removal_layer(later, li, Removal::Whiteout)),
                Removal::Opaque => (Cause::Opaque, removal_layer(later, li, Removal::Opaque)),
                Removal::Replaced if duplicate => (Cause::Overwritten, li as u32),
                Removal::Replaced => match next {
                    Some((l, c)) => (rewrite_cause(image, here, *l, c, hashes), *l),
                    None => (Cause::Overwritten, li as u32),
                },
            };
            let (superseded, superseded_by) = match next {
                _ if duplicate => (Cause::Overwritten, li as u32),
                Some((l, c)) => (
                    match c.kind {
                        ChangeKind::Removed(Removal::Whiteout) => Cause::Deleted,
                        ChangeKind::Removed(Removal::Opaque) => Cause::Opaque,
                        ChangeKind::Removed(Removal::Replaced) => Cause::Overwritten,
                        _ => rewrite_cause(image, here, *l, c, hashes),
                    },
                    *l,
                ),
                None => (cause, by_layer),
            };
            out.push(DeadCopy {
                entry: here,
                size: e.size,
                cause,
                by_layer,
                superseded,
                superseded_by,
            });
        }
    }
    out
}

fn removal_layer(later: &[(u32, &Change)], li: usize, r: Removal) -> u32 {
    later
        .iter()
        .find(|(l, c)| *l as usize > li && c.kind == ChangeKind::Removed(r))
        .map_or(li as u32, |(l, _)| *l)
}

/// What the first later change of a path did to the copy `before`.
fn rewrite_cause(
    image: &Image,
    before: EntryRef,
    layer: u32,
    c: &Change,
    hashes: Option<&ContentHashes>,
) -> Cause {
    let diff = match c.kind {
        ChangeKind::Modified(d) => d,
        ChangeKind::Readded => Diff::default(),
        _ => return Cause::Overwritten,
    };
    // Only a direct rewrite of this very copy (not of a later one, not after a removal).
    if c.before != Some(before) {
        return Cause::Overwritten;
    }
    let is_file = |r: EntryRef| {
        image
            .layers
            .get(r.layer as usize)
            .and_then(|l| l.index.entries.get(r.entry as usize))
            .is_some_and(|e| e.is_file())
    };
    let Some(entry) = c.entry else {
        return Cause::Overwritten;
    };
    let after = EntryRef { layer, entry };
    if !is_file(before) || !is_file(after) {
        return Cause::Overwritten;
    }
    let meta_changed =
        diff.contains(Diff::MODE) || diff.contains(Diff::OWNER) || diff.contains(Diff::XATTRS);
    let same_shape = !diff.contains(Diff::TYPE)
        && !diff.contains(Diff::SIZE)
        && !diff.contains(Diff::LINK)
        && !diff.contains(Diff::DEVICE);
    match hashes.and_then(|h| h.same(before, after)) {
        Some(true) if meta_changed => Cause::MetadataOnly,
        Some(true) => Cause::Identical,
        Some(false) => Cause::Overwritten,
        // Not compared: trust the headers for a chmod/chown, nothing else.
        None if meta_changed && same_shape => Cause::MetadataOnly,
        None => Cause::Overwritten,
    }
}

impl Reclaim {
    /// What squashing layers `from..` of `image` saves (its final union `top`, change sets
    /// `changes`), with content hashes from a deep scan if there was one. `from` past the
    /// last layer gives an empty result.
    pub fn new(m: Model<'_>, from: usize) -> Self {
        Self::with_dead(m, from, &dead_copies(m))
    }

    /// [`Reclaim::new`] with the model's [`dead_copies`] already computed.
    pub fn with_dead(m: Model<'_>, from: usize, dead: &[DeadCopy]) -> Self {
        let deep = m.hashes.is_some();
        if from >= m.image.layers.len() {
            return Reclaim {
                from,
                total: 0,
                input_size: 0,
                deleted: 0,
                overwritten: 0,
                metadata_only: 0,
                identical: 0,
                opaque: 0,
                overhead: 0,
                deep,
            };
        }
        Self::of_plan(
            m,
            from,
            dead,
            &plan_layer(m, from, LayerOptions { whiteouts: true }),
        )
    }

    /// [`Reclaim::with_dead`] from a squash's layer plan already made (the squash figures'
    /// plan, a third of the waste report's time at a million entries): the same figures
    /// without planning the layer again when `plan` is the squash of `from` with nothing
    /// dropped and no mtime clamped; for any other plan, planned again.
    pub fn with_plan(m: Model<'_>, from: usize, dead: &[DeadCopy], plan: &LayerPlan) -> Self {
        let plain = plan.from == from && plan.dropped.is_none() && plan.mtimes_clamped == 0;
        if plain && from < m.image.layers.len() {
            Self::of_plan(m, from, dead, plan)
        } else {
            Self::with_dead(m, from, dead)
        }
    }

    fn of_plan(m: Model<'_>, from: usize, dead: &[DeadCopy], plan: &LayerPlan) -> Self {
        let deep = m.hashes.is_some();
        let s = plan.savings;
        let mut r = Reclaim {
            from,
            total: s.total(),
            input_size: plan.input_size,
            deleted: 0,
            overwritten: 0,
            metadata_only: 0,
            identical: 0,
            opaque: 0,
            overhead: s.overhead_with_markers(),
            deep,
        };
        for d in dead.iter().filter(|d| d.entry.layer as usize >= from) {
            match d.cause {
                Cause::Deleted => r.deleted += d.size,
                Cause::Overwritten => r.overwritten += d.size,
                Cause::MetadataOnly => r.metadata_only += d.size,
                Cause::Identical => r.identical += d.size,
                Cause::Opaque => r.opaque += d.size,
            }
        }
        debug_assert_eq!(r.deleted, s.deleted);
        debug_assert_eq!(r.opaque, s.opaque);
        debug_assert_eq!(r.overwritten + r.metadata_only + r.identical, s.overwritten);
        r
    }

    /// [`Reclaim::new`] for every starting layer, base first.
    pub fn for_every_layer(m: Model<'_>) -> Vec<Self> {
        let dead = dead_copies(m);
        (0..m.image.layers.len())
            .map(|from| Reclaim::with_dead(m, from, &dead))
            .collect()
    }
}

#[cfg(test)]
mod tests;
