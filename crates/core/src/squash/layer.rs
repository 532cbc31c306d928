//! Plans the squashed layer: the final state of every path changed in layers `from..`, as
//! runs of the original bytes wherever an entry survives unchanged.
//!
//! An entry survives when it is what the union filesystem shows at its path in the end.
//! Survivors keep their original header bytes, so consecutive survivors of one layer are one
//! contiguous range of the input. Rewritten entries (hardlinks whose target path changed,
//! hardlinks whose target is gone, which become regular files) and whiteouts get new headers.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use super::drop::DropSet;
use super::part::Parts;
use crate::fs::whiteout::{classify, Role};
use crate::fs::{ChangeKind, FinalEntries, Node, Removal, UnionFs};
use crate::image::Image;
use crate::layer::{padding, HeaderSpec};
use crate::layer::{Entry, EntryKind, EntryPath, EntryRef};
use crate::model::Model;
use crate::stream::Compression;

/// Where the bytes a squash removes came from, in bytes of the (decompressed) input tar.
/// `input - output = deleted + overwritten + opaque + whiteout_markers + tar_overhead +
/// trailers + rewritten - added`, exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Savings {
    /// Content of files deleted in a later layer (whiteouts).
    pub deleted: u64,
    /// Content of files overwritten or replaced by a later layer.
    pub overwritten: u64,
    /// Content hidden by an opaque directory in a later layer.
    pub opaque: u64,
    /// Whiteout and opaque marker entries no longer needed.
    pub whiteout_markers: u64,
    /// Headers and padding of the removed entries.
    pub tar_overhead: u64,
    /// End-of-archive blocks of the squashed layers beyond the single one written.
    pub trailers: i64,
    /// Original bytes of entries written with a new header.
    pub rewritten: u64,
    /// New bytes: rewritten headers, new whiteouts, content copied for hardlinks whose
    /// target is gone.
    pub added: u64,
    /// Entries left out by `--drop` (header, content and padding).
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl Savings {
    /// Net bytes saved.
    pub fn total(&self) -> i64 {
        (self.deleted
            + self.overwritten
            + self.opaque
            + self.whiteout_markers
            + self.tar_overhead
            + self.rewritten
            + self.dropped) as i64
            + self.trailers
            - self.added as i64
    }

    /// Net tar bookkeeping saved: headers and padding of dropped entries, end-of-archive
    /// blocks and the old bytes of rewritten entries, less the new headers and copies
    /// (whiteout markers not included: the page shows them on their own line).
    pub fn overhead(&self) -> i64 {
        self.tar_overhead as i64 + self.trailers + self.rewritten as i64 - self.added as i64
    }

    /// [`Savings::overhead`] with the whiteout markers, for reports that have no line of
    /// their own for them (the waste report's reclaim).
    pub fn overhead_with_markers(&self) -> i64 {
        self.overhead() + self.whiteout_markers as i64
    }
}

/// The plan for the squashed layer.
#[derive(Debug, Clone, Serialize)]
pub struct LayerPlan {
    /// First squashed layer.
    pub from: usize,
    /// The layer tar, end-of-archive included.
    pub parts: Parts,
    /// Entries written.
    pub entries: u64,
    /// Whiteouts written (to hide paths of the kept layers).
    pub whiteouts: u64,
    /// Hardlinks turned into regular files (their target path is gone).
    pub links_materialised: u64,
    /// Bytes of the squashed input layers (decompressed tar).
    pub input_size: u64,
    /// What the squash saves, by cause.
    pub savings: Savings,
    /// Headers rewritten to clamp an mtime newer than the source date epoch.
    #[serde(skip_serializing_if = "is_zero")]
    pub mtimes_clamped: u64,
    /// What `--drop` removed, when patterns were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped: Option<Dropped>,
}

/// What `--drop` removed from the output's filesystem.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Dropped {
    /// Per pattern, in the order given: paths and bytes it removed from the new layer.
    pub patterns: Vec<DropTotal>,
    /// Every entry of the squashed layers left out (the path as the final filesystem had it).
    pub paths: Vec<DroppedPath>,
    /// Paths that live in kept layers: the new layer hides them with a whiteout (their
    /// bytes stay in the kept layers, which are copied unchanged).
    pub hidden: Vec<DroppedPath>,
    /// Hardlinks whose target path was dropped, re-pointed to another path of their inode.
    pub links_repointed: u64,
    /// Hardlinks whose every other path was dropped, written as regular files.
    pub links_materialised: u64,
}

/// One pattern's share of what was dropped.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DropTotal {
    /// The pattern as given.
    pub pattern: String,
    /// Entries removed from the new layer.
    pub paths: u64,
    /// Their bytes of tar (header, content, padding).
    pub bytes: u64,
    /// Content bytes among them.
    pub content: u64,
    /// Paths of kept layers hidden by a whiteout.
    pub hidden: u64,
}

/// One dropped path.
#[derive(Debug, Clone, Serialize)]
pub struct DroppedPath {
    /// `/`-rooted path (lossy where not UTF-8).
    pub path: String,
    /// Layer the entry comes from.
    pub layer: usize,
    /// Index of the pattern that dropped it.
    pub pattern: usize,
    /// Bytes of tar it took in the squashed layers (0 for a hidden path).
    pub bytes: u64,
}

/// Changes to the final filesystem a squash can make beyond squashing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Edits<'a> {
    /// Paths to leave out.
    pub drop: Option<&'a DropSet>,
    /// `SOURCE_DATE_EPOCH`: mtimes newer than it are written as it.
    pub clamp_mtime: Option<i64>,
}

/// Options for the layer plan.
#[derive(Debug, Clone, Copy)]
pub struct LayerOptions {
    /// Write whiteouts for paths of kept layers that are gone (squash); an export has no
    /// lower layers and needs none.
    pub whiteouts: bool,
}

/// Plans the squashed layer of `image` from layer `from` up. `top` is the union of all layers
/// and `changes` their change sets.
pub fn plan_layer(m: Model<'_>, from: usize, options: LayerOptions) -> LayerPlan {
    plan_in(m, from, options, None, Edits::default())
}

/// [`plan_layer`] with paths dropped and mtimes clamped.
pub fn plan_layer_with(
    m: Model<'_>,
    from: usize,
    options: LayerOptions,
    edits: Edits<'_>,
) -> LayerPlan {
    plan_in(m, from, options, None, edits)
}

/// The plan of one tar holding `path` (a file, or a directory and its whole subtree) as the
/// model's filesystem has it: `export` restricted to a path, with modes, owners, xattrs and
/// links kept. `m.fs` may be the union after any layer `N`, with `m.changes` the change sets
/// of layers `0..=N`: layers above are not read. A hardlink whose inode has no other path
/// inside the subtree becomes a regular file with its bytes.
pub fn plan_subtree(m: Model<'_>, path: &EntryPath) -> LayerPlan {
    plan_in(
        m,
        0,
        LayerOptions { whiteouts: false },
        Some(path),
        Edits::default(),
    )
}

fn plan_in(
    m: Model<'_>,
    from: usize,
    options: LayerOptions,
    scope: Option<&EntryPath>,
    edits: Edits<'_>,
) -> LayerPlan {
    // Long on purpose: one pass in path order that emits each entry's parts and attributes
    // every dropped byte to its cause as it goes; split up, the per-path state (inode paths,
    // removal causes, running savings) would have to travel between the pieces.
    let (image, top, changes) = (m.image, m.fs, m.changes);
    let layers = &image.layers;
    let mut parts = Parts::new();
    let mut savings = Savings::default();
    let mut stats = (0u64, 0u64, 0u64); // entries, whiteouts, materialised

    // The first path written for each inode, so later links can point at it.
    let drop_set = edits.drop.filter(|d| !d.is_empty());
    let dropped_by = |p: &EntryPath| drop_set.and_then(|d| d.matching(p));
    let mut dropped = drop_set.map(|d| Dropped {
        patterns: d
            .patterns()
            .map(|p| DropTotal {
                pattern: p.into(),
                ..DropTotal::default()
            })
            .collect(),
        ..Dropped::default()
    });
    let clamp = |mtime: i64| edits.clamp_mtime.map_or(mtime, |c| mtime.min(c));
    let mut clamped = 0u64;
    // Only inodes a written hardlink shares need a path: a million-entry layer has a few
    // hundred of them, against a map entry per surviving file otherwise.
    let linked: BTreeSet<u32> = layers
        .iter()
        .take(changes.len())
        .skip(from)
        .flat_map(|l| &l.index.entries)
        .filter(|e| e.kind == EntryKind::Hardlink)
        .filter_map(|e| top.get(e.path.as_bytes()).map(|n| n.inode))
        .collect();
    let mut inode_path: BTreeMap<u32, EntryPath> = BTreeMap::new();
    for (path, node) in top.iter() {
        if (node.entry.layer as usize) < from
            && linked.contains(&node.inode)
            && dropped_by(path).is_none()
        {
            inode_path.entry(node.inode).or_insert_with(|| path.clone());
        }
    }
    // Why each path went away, per layer, to attribute what a squash drops.
    let mut removals: BTreeMap<&EntryPath, Vec<(u32, Removal)>> = BTreeMap::new();
    for cs in changes.iter().skip(from) {
        for c in &cs.changes {
            if let ChangeKind::Removed(r) = c.kind {
                removals.entry(&c.path).or_default().push((cs.layer, r));
            }
        }
    }

    // Whiteouts hiding what the kept layers have and the result does not, first: a layer's
    // whiteouts apply before its entries wherever they sit.
    if options.whiteouts && from > 0 {
        let (base, _) = UnionFs::build(image.indexes().take(from));
        let mut block = Vec::new();
        for (path, node) in base.iter() {
            let hidden_by = dropped_by(path);
            if top.get(path.as_bytes()).is_some() && hidden_by.is_none() {
                continue;
            }
            let parent = path.parent().unwrap_or_default();
            let parent_kept = parent.is_root()
                || (top
                    .get(parent.as_bytes())
                    .is_some_and(|n| entry_of(image, n.inode_entry).is_some_and(Entry::is_dir))
                    && dropped_by(&parent).is_none());
            if !parent_kept {
                continue; // an ancestor's whiteout or replacement covers it
            }
            if let (Some(i), Some(d)) = (hidden_by, dropped.as_mut()) {
                if let Some(t) = d.patterns.get_mut(i) {
                    t.hidden += 1;
                }
                d.hidden.push(DroppedPath {
                    path: path_text(path),
                    layer: node.entry.layer as usize,
                    pattern: i,
                    bytes: 0,
                });
            }
            let mut name = Vec::from(&b".wh."[..]);
            name.extend_from_slice(path.file_name());
            let wh = parent.join(&name);
            block.extend_from_slice(&HeaderSpec::file(wh.as_bytes(), 0, 0).to_bytes());
            stats.1 += 1;
        }
        savings.added += block.len() as u64;
        parts.push_literal(&block);
    }

    let finals = FinalEntries::of(top, layers.iter().map(|l| l.index.entries.len()));
    let mut input_size = 0u64;
    let in_scope = |p: &EntryPath| scope.is_none_or(|s| s == p || s.is_ancestor_of(p));
    // Only the layers the model's filesystem is made of (all of them for a whole image).
    for (li, layer) in layers.iter().enumerate().take(changes.len()).skip(from) {
        let idx = &layer.index;
        input_size += idx.tar_size;
        let last_end = idx.entries.last().map_or(0, |e| e.span.end);
        savings.trailers += idx.tar_size.saturating_sub(last_end) as i64;
        let mut accounted_end = 0u64;
        for (ei, e) in idx.entries.iter().enumerate() {
            // Bytes between entries that belong to no kept entry (PAX global headers,
            // ignored entries) count as overhead.
            if e.span.start > accounted_end {
                savings.tar_overhead += e.span.start - accounted_end;
            }
            accounted_end = e.span.end;
            let tar_bytes = e.tar_size();
            if !in_scope(&e.path) {
                continue;
            }
            if e.path.is_root() {
                savings.tar_overhead += tar_bytes;
                continue;
            }
            if classify(&e.path) != Role::Plain {
                savings.whiteout_markers += tar_bytes;
                continue;
            }
            let here = EntryRef {
                layer: li as u32,
                entry: ei as u32,
            };
            // The final node of a surviving entry, from `finals` (a hardlink's needs its
            // inode entry too, so it is looked up; links are few).
            let node = match finals.inode(here) {
                Some(_) if e.kind == EntryKind::Hardlink => top.get(e.path.as_bytes()).copied(),
                Some(inode) => Some(Node {
                    entry: here,
                    inode_entry: here,
                    inode,
                }),
                None => None,
            };
            let survives = node.is_some();
            if let (true, Some(i)) = (survives, dropped_by(&e.path)) {
                savings.dropped += tar_bytes;
                if let Some(d) = dropped.as_mut() {
                    if let Some(t) = d.patterns.get_mut(i) {
                        t.paths += 1;
                        t.bytes += tar_bytes;
                        t.content += e.size;
                    }
                    d.paths.push(DroppedPath {
                        path: path_text(&e.path),
                        layer: li,
                        pattern: i,
                        bytes: tar_bytes,
                    });
                }
                continue;
            }
            let Some(node) = node else {
                let cause = if top.get(e.path.as_bytes()).is_some() {
                    Removal::Replaced
                } else {
                    removals
                        .get(&e.path)
                        .and_then(|v| v.iter().find(|(l, _)| *l as usize > li).map(|(_, r)| *r))
                        .unwrap_or(Removal::Replaced)
                };
                let content = e.size;
                match cause {
                    Removal::Whiteout => savings.deleted += content,
                    Removal::Opaque => savings.opaque += content,
                    Removal::Replaced => savings.overwritten += content,
                }
                savings.tar_overhead += tar_bytes - content;
                continue;
            };
            stats.0 += 1;
            if e.kind != EntryKind::Hardlink {
                if linked.contains(&node.inode) {
                    inode_path
                        .entry(node.inode)
                        .or_insert_with(|| e.path.clone());
                }
                if e.rooted || clamp(e.mtime) != e.mtime {
                    // An absolute name, or an mtime past the epoch: the same entry under its
                    // normalised name, with the mtime clamped.
                    let mut spec = HeaderSpec::from_entry(e, e.path.as_bytes(), e.kind);
                    if clamp(e.mtime) != e.mtime {
                        spec.mtime = clamp(e.mtime);
                        clamped += 1;
                    }
                    let h = spec.to_bytes();
                    let tail = alloc::vec![0u8; padding(e.size) as usize];
                    savings.rewritten += tar_bytes;
                    savings.added += (h.len() + tail.len()) as u64 + e.size;
                    parts.push_literal(&h);
                    push_range(&mut parts, image, li, e.span.data, e.size);
                    parts.push_literal(&tail);
                } else {
                    push_range(&mut parts, image, li, e.span.start, tar_bytes);
                }
                continue;
            }
            // A hardlink: keep it if its target path still names its inode, re-point it if
            // another path does, and turn it into a file if no path does.
            let target = e.link.as_deref().and_then(|l| EntryPath::parse(l).ok());
            let target_dropped = target.as_ref().is_some_and(|t| dropped_by(t).is_some());
            match inode_path.get(&node.inode) {
                Some(p) if Some(p) == target.as_ref() && !e.rooted && clamp(e.mtime) == e.mtime => {
                    push_range(&mut parts, image, li, e.span.start, tar_bytes);
                }
                Some(p) => {
                    let p = p.clone();
                    let Some(origin) = entry_of(image, node.inode_entry) else {
                        continue;
                    };
                    let mut spec =
                        HeaderSpec::from_entry(origin, e.path.as_bytes(), EntryKind::Hardlink);
                    spec.link = p.as_bytes();
                    if clamp(spec.mtime) != spec.mtime {
                        spec.mtime = clamp(spec.mtime);
                        clamped += 1;
                    }
                    if let (true, Some(d)) = (target_dropped, dropped.as_mut()) {
                        d.links_repointed += 1;
                    }
                    let h = spec.to_bytes();
                    savings.rewritten += tar_bytes;
                    savings.added += h.len() as u64;
                    parts.push_literal(&h);
                }
                None => {
                    let Some(origin) = entry_of(image, node.inode_entry) else {
                        continue;
                    };
                    let mut spec = HeaderSpec::from_entry(origin, e.path.as_bytes(), origin.kind);
                    if clamp(spec.mtime) != spec.mtime {
                        spec.mtime = clamp(spec.mtime);
                        clamped += 1;
                    }
                    if let (true, Some(d)) = (target_dropped, dropped.as_mut()) {
                        d.links_materialised += 1;
                    }
                    let h = spec.to_bytes();
                    let size = if origin.is_file() { origin.size } else { 0 };
                    let tail = alloc::vec![0u8; padding(size) as usize];
                    savings.rewritten += tar_bytes;
                    savings.added += h.len() as u64 + size + tail.len() as u64;
                    parts.push_literal(&h);
                    push_range(
                        &mut parts,
                        image,
                        node.inode_entry.layer as usize,
                        origin.span.data,
                        size,
                    );
                    parts.push_literal(&tail);
                    inode_path.insert(node.inode, e.path.clone());
                    stats.2 += 1;
                }
            }
        }
    }
    // End of archive: two zero blocks.
    savings.trailers -= 1024;
    parts.push_literal(&[0u8; 1024]);
    LayerPlan {
        from,
        parts,
        entries: stats.0,
        whiteouts: stats.1,
        links_materialised: stats.2,
        input_size,
        savings,
        mtimes_clamped: clamped,
        dropped,
    }
}

fn path_text(p: &EntryPath) -> String {
    alloc::format!("/{}", String::from_utf8_lossy(p.as_bytes()))
}

fn entry_of(image: &Image, r: crate::layer::EntryRef) -> Option<&Entry> {
    image
        .layers
        .get(r.layer as usize)
        .and_then(|l| l.index.entries.get(r.entry as usize))
}

/// The contents of file entry `r` as parts: an archive range for an uncompressed layer, a
/// decoded range otherwise (a download of one file, built like the squash output).
pub fn content_parts(image: &Image, r: crate::layer::EntryRef) -> Parts {
    let mut parts = Parts::new();
    if let Some(e) = entry_of(image, r).filter(|e| e.is_file()) {
        push_range(&mut parts, image, r.layer as usize, e.span.data, e.size);
    }
    parts
}

fn push_range(parts: &mut Parts, image: &Image, layer: usize, offset: u64, len: u64) {
    let Some(l) = image.layers.get(layer) else {
        return;
    };
    if l.index.compression == Compression::None {
        parts.push_archive(l.blob.blob.offset + offset, len);
    } else {
        parts.push_decoded(layer as u32, offset, len);
    }
}
