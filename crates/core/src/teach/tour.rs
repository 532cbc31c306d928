//! The guided tour "How layers work": one step per lesson, each told with this image's own
//! numbers (or saying the image has no example). Computed once from the model, so the CLI's
//! `layerlens tour` and the page show the same words and figures.

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::ops::{Bound, RangeBounds};

use serde::{Deserialize, Serialize};

use crate::analysis::reclaim::{dead_copies, Cause, Reclaim};
use crate::fs::whiteout::{classify, Role};
use crate::fs::{ChangeKind, ChangeSet, Removal};
use crate::layer::EntryPath;
use crate::model::Model;
use crate::present::human_size;

use super::digests::{CHAIN_ID_FORMULA, DIFF_ID_FORMULA, IMAGE_ID_FORMULA};

/// The whole tour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tour {
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Stable name (`stack`, `tar`, `whiteout`, `deleted`, `opaque`, `chmod`, `digests`,
    /// `squash`): the page's anchor and the CLI's key.
    pub id: Cow<'static, str>,
    /// Heading.
    pub title: Cow<'static, str>,
    /// The lesson, in one sentence.
    pub lesson: Cow<'static, str>,
    /// How to fix or avoid it.
    pub fix: Cow<'static, str>,
    /// Whether this image has an example (otherwise `text` says so and the page offers the
    /// sample).
    pub found: bool,
    /// The explanation with this image's numbers.
    pub text: String,
    /// The layer the step is about, if one (the page selects it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// The path the step is about, if one (`/`-rooted, escaped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The part of the page the step points at (an element id).
    pub target: Cow<'static, str>,
    /// The numbers the text uses, exact.
    pub figures: Vec<Figure>,
}

/// A named number of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    /// Name (`layers`, `bytes`, …).
    pub name: Cow<'static, str>,
    /// Value.
    pub value: u64,
}

fn fig(name: &'static str, value: u64) -> Figure {
    Figure {
        name: Cow::Borrowed(name),
        value,
    }
}

fn shown(p: &crate::layer::EntryPath) -> String {
    alloc::format!("/{}", p.display())
}

impl Tour {
    /// The tour of the image `m` models.
    pub fn of(m: Model<'_>) -> Self {
        let dead = dead_copies(m);
        let reclaim = Reclaim::with_dead(m, 0, &dead);
        let steps = alloc::vec![
            stack(m),
            tar(m),
            whiteout(m),
            deleted(m, &dead, &reclaim),
            opaque(m),
            chmod(m, &dead),
            digests(m),
            squash(m, &reclaim),
        ];
        Tour { steps }
    }
}

fn stack(m: Model<'_>) -> Step {
    let image = m.image;
    let fs = m.final_fs();
    let n = image.layers.len() as u64;
    Step {
        id: Cow::Borrowed("stack"),
        title: Cow::Borrowed("The stack"),
        lesson: Cow::Borrowed("An image is a stack of tar files: each build step that writes files adds one, applied on top of the ones below."),
        fix: Cow::Borrowed("Start from a small base and keep the steps few and purposeful: every layer ships whole."),
        found: n > 0,
        text: alloc::format!(
            "This image has {n} layers: {} stored, {} as tar files. Applied in order they make a filesystem of {} paths and {} of file contents.",
            human_size(image.stored_size()),
            human_size(image.tar_size()),
            fs.entries,
            human_size(fs.size),
        ),
        layer: None,
        path: None,
        target: Cow::Borrowed("layer-table"),
        figures: alloc::vec![
            fig("layers", n),
            fig("stored_bytes", image.stored_size()),
            fig("tar_bytes", image.tar_size()),
            fig("final_paths", fs.entries),
            fig("final_bytes", fs.size),
        ],
    }
}

fn tar(m: Model<'_>) -> Step {
    // The layer with the most entries shows the most of a tar.
    let pick = m
        .image
        .layers
        .iter()
        .max_by_key(|l| (l.index.entries.len(), core::cmp::Reverse(l.position)));
    let base = Step {
        id: Cow::Borrowed("tar"),
        title: Cow::Borrowed("A layer is a tar"),
        lesson: Cow::Borrowed("Each layer is an ordinary tar archive: a header per file (name, type, size, mode, owner, times) followed by its bytes, padded to 512-byte blocks."),
        fix: Cow::Borrowed("Nothing to fix: knowing this explains every other step. The raw view lists a layer's members exactly as stored."),
        found: false,
        text: "This image has no layers.".into(),
        layer: None,
        path: None,
        target: Cow::Borrowed("raw-layer"),
        figures: Vec::new(),
    };
    let Some(l) = pick else { return base };
    let entries = l.index.entries.len() as u64;
    let files = l.index.entries.iter().filter(|e| e.is_file()).count() as u64;
    let content = l.index.content_size();
    Step {
        found: true,
        text: alloc::format!(
            "Layer {} is a tar of {} holding {entries} entries, {files} of them regular files with {} of contents; the rest is headers and padding.",
            l.position,
            human_size(l.index.tar_size),
            human_size(content),
        ),
        layer: Some(l.position),
        figures: alloc::vec![
            fig("layer", l.position as u64),
            fig("tar_bytes", l.index.tar_size),
            fig("entries", entries),
            fig("files", files),
            fig("content_bytes", content),
        ],
        ..base
    }
}

fn whiteout(m: Model<'_>) -> Step {
    let base = Step {
        id: Cow::Borrowed("whiteout"),
        title: Cow::Borrowed("A whiteout marker"),
        lesson: Cow::Borrowed("A layer cannot change the layers below it, so deleting a file writes an empty marker named .wh.<name>; the file's bytes stay in the lower layer."),
        fix: Cow::Borrowed("Remove a file in the same RUN step that created it (or never add it)."),
        found: false,
        text: "This image has no whiteout marker: no step deleted a file that a lower layer had.".into(),
        layer: None,
        path: None,
        target: Cow::Borrowed("raw-layer"),
        figures: Vec::new(),
    };
    // The marker that hides the most bytes (the first such, in layer order, on ties).
    let mut best: Option<(
        u64,
        usize,
        &crate::layer::EntryPath,
        crate::layer::EntryPath,
    )> = None;
    for l in &m.image.layers {
        // Indexed only for a layer that has a marker (most have none).
        let mut removed: Option<Removals<'_>> = None;
        for e in &l.index.entries {
            let Role::Whiteout(target) = classify(&e.path) else {
                continue;
            };
            let removed = removed
                .get_or_insert_with(|| Removals::of(m.changes.get(l.position), Removal::Whiteout));
            let (_, bytes) = removed.under(&target, true);
            if best.as_ref().is_none_or(|b| bytes > b.0) {
                best = Some((bytes, l.position, &e.path, target));
            }
        }
    }
    let Some((_, layer, marker, target)) = best else {
        return base;
    };
    let (count, bytes, below) = hidden_under(m, layer, Removal::Whiteout, &target, true);
    let below_text = match below {
        Some(b) => alloc::format!("layer {b}"),
        None => "no lower layer (the marker removes nothing)".into(),
    };
    Step {
        found: true,
        text: alloc::format!(
            "Layer {layer} holds the marker {} (an empty file). It hides {} from {below_text}: {count} paths with {} of contents, still stored there.",
            shown(marker),
            shown(&target),
            human_size(bytes),
        ),
        layer: Some(layer),
        path: Some(shown(&target)),
        figures: alloc::vec![
            fig("layer", layer as u64),
            fig("hidden_paths", count),
            fig("hidden_bytes", bytes),
        ],
        ..base
    }
}

/// What layer `layer`'s removals of kind `how` hide at `target` (itself if `with_self`) and
/// below it: (paths, content bytes, the lowest layer that had one). A scan of the layer's
/// changes: for the one marker a step shows; comparing markers goes through [`Removals`].
fn hidden_under(
    m: Model<'_>,
    layer: usize,
    how: Removal,
    target: &crate::layer::EntryPath,
    with_self: bool,
) -> (u64, u64, Option<u32>) {
    let Some(cs) = m.changes.get(layer) else {
        return (0, 0, None);
    };
    let (mut n, mut bytes, mut below) = (0u64, 0u64, None::<u32>);
    examined(cs.changes.len());
    for c in &cs.changes {
        let inside = (with_self && c.path == *target) || target.is_ancestor_of(&c.path);
        if inside && c.kind == ChangeKind::Removed(how) {
            n += 1;
            bytes += c.hidden_size;
            if let Some(b) = c.before {
                below = Some(below.map_or(b.layer, |x| x.min(b.layer)));
            }
        }
    }
    (n, bytes, below)
}

/// A layer's removals of one kind, sorted by path, with running byte totals: what one marker
/// hides (its target and the paths under it) is a run of them, found by binary search. A scan
/// of the layer's changes per marker is quadratic: e1m's 50,100 whiteouts in a layer of
/// 120,210 changes took minutes (and held the page's worker, so a Build waited behind it).
struct Removals<'c> {
    /// The removed paths, in byte order.
    paths: Vec<&'c EntryPath>,
    /// `totals[i]`: the hidden content bytes of `paths[..i]`.
    totals: Vec<u64>,
}

impl<'c> Removals<'c> {
    fn of(cs: Option<&'c ChangeSet>, how: Removal) -> Self {
        let changes = cs.map_or(&[][..], |cs| cs.changes.as_slice());
        examined(changes.len());
        let mut removed: Vec<(&EntryPath, u64)> = changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Removed(how))
            .map(|c| (&c.path, c.hidden_size))
            .collect();
        removed.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut totals = Vec::with_capacity(removed.len() + 1);
        let mut sum = 0u64;
        totals.push(sum);
        for &(_, bytes) in &removed {
            sum += bytes;
            totals.push(sum);
        }
        Removals {
            paths: removed.into_iter().map(|(p, _)| p).collect(),
            totals,
        }
    }

    /// The paths and content bytes removed at `target` (if `with_self`) and under it, as
    /// [`hidden_under`] counts them.
    fn under(&self, target: &EntryPath, with_self: bool) -> (u64, u64) {
        let probes = core::cell::Cell::new(0usize);
        let first = |pred: &dyn Fn(&[u8]) -> bool| {
            self.paths.partition_point(|p| {
                probes.set(probes.get() + 1);
                pred(p.as_bytes())
            })
        };
        let t = target.as_bytes();
        let at = if with_self {
            first(&|p| p < t)..first(&|p| p <= t)
        } else {
            0..0
        };
        // The paths below `target`: one run in byte order, bounded as the union's subtree.
        let range = target.subtree_range();
        let before_start = |p: &[u8]| match range.start_bound() {
            Bound::Included(lo) => p < lo,
            Bound::Excluded(lo) => p <= lo,
            Bound::Unbounded => false,
        };
        let before_end = |p: &[u8]| match range.end_bound() {
            Bound::Excluded(hi) => p < hi,
            Bound::Included(hi) => p <= hi,
            Bound::Unbounded => true,
        };
        let below = first(&before_start)..first(&before_end);
        examined(probes.get());
        let bytes = |r: &core::ops::Range<usize>| self.totals[r.end] - self.totals[r.start];
        ((at.len() + below.len()) as u64, bytes(&at) + bytes(&below))
    }
}

/// Counts the changes and paths the marker steps look at, for the test that keeps them
/// O(n log n) (nothing outside tests).
#[cfg(all(test, feature = "std"))]
fn examined(n: usize) {
    tests::EXAMINED.with(|e| e.set(e.get() + n as u64));
}

#[cfg(not(all(test, feature = "std")))]
fn examined(_: usize) {}

fn deleted(m: Model<'_>, dead: &[crate::analysis::reclaim::DeadCopy], r: &Reclaim) -> Step {
    let base = Step {
        id: Cow::Borrowed("deleted"),
        title: Cow::Borrowed("Deleted later, still shipped"),
        lesson: Cow::Borrowed("A file added in one step and deleted in a later one is still downloaded and stored with the image: the deletion only hides it."),
        fix: Cow::Borrowed("Create and delete in one RUN (… && rm -rf /var/cache/…), build in a separate stage and copy only the result, and keep such files out with .dockerignore."),
        found: false,
        text: "No file of this image is deleted by a later layer.".into(),
        layer: None,
        path: None,
        target: Cow::Borrowed("history"),
        figures: Vec::new(),
    };
    let biggest = dead
        .iter()
        .filter(|d| d.cause == Cause::Deleted)
        .max_by_key(|d| (d.size, core::cmp::Reverse(d.entry)));
    let Some(d) = biggest else { return base };
    let Some(e) = m.entry(d.entry) else {
        return base;
    };
    let files = dead.iter().filter(|d| d.cause == Cause::Deleted).count() as u64;
    Step {
        found: true,
        text: alloc::format!(
            "{} ({}) is added in layer {} and deleted in layer {}, yet its bytes still ship in layer {}. In all, {files} deleted files still ship {}.",
            shown(&e.path),
            human_size(d.size),
            d.entry.layer,
            d.by_layer,
            d.entry.layer,
            human_size(r.deleted),
        ),
        layer: Some(d.entry.layer as usize),
        path: Some(shown(&e.path)),
        figures: alloc::vec![
            fig("size", d.size),
            fig("added_in", u64::from(d.entry.layer)),
            fig("deleted_in", u64::from(d.by_layer)),
            fig("deleted_files", files),
            fig("deleted_bytes", r.deleted),
        ],
        ..base
    }
}

fn opaque(m: Model<'_>) -> Step {
    let base = Step {
        id: Cow::Borrowed("opaque"),
        title: Cow::Borrowed("An opaque directory"),
        lesson: Cow::Borrowed("A directory deleted and made again in a later step gets the marker .wh..wh..opq: everything the lower layers had inside it is hidden, and still shipped."),
        fix: Cow::Borrowed("Do not remove and recreate a directory in a later step; change what you need in the step that made it, or build in a separate stage."),
        found: false,
        text: "This image has no opaque directory marker.".into(),
        layer: None,
        path: None,
        target: Cow::Borrowed("raw-layer"),
        figures: Vec::new(),
    };
    let mut best: Option<(u64, u64, usize, crate::layer::EntryPath)> = None;
    for l in &m.image.layers {
        let mut removed: Option<Removals<'_>> = None;
        for e in &l.index.entries {
            let Role::Opaque(dir) = classify(&e.path) else {
                continue;
            };
            let removed = removed
                .get_or_insert_with(|| Removals::of(m.changes.get(l.position), Removal::Opaque));
            let (n, bytes) = removed.under(&dir, false);
            if best.as_ref().is_none_or(|b| bytes > b.1) {
                best = Some((n, bytes, l.position, dir));
            }
        }
    }
    let Some((n, bytes, layer, dir)) = best else {
        return base;
    };
    Step {
        found: true,
        text: alloc::format!(
            "Layer {layer} marks {} opaque: it hides {n} paths the layers below had there, with {} of contents they still ship.",
            shown(&dir),
            human_size(bytes),
        ),
        layer: Some(layer),
        path: Some(shown(&dir)),
        figures: alloc::vec![
            fig("layer", layer as u64),
            fig("hidden_paths", n),
            fig("hidden_bytes", bytes),
        ],
        ..base
    }
}

fn chmod(m: Model<'_>, dead: &[crate::analysis::reclaim::DeadCopy]) -> Step {
    let base = Step {
        id: Cow::Borrowed("chmod"),
        title: Cow::Borrowed("A chmod copies the file again"),
        lesson: Cow::Borrowed("Changing only a file's mode or owner in a later step stores the whole file again in the new layer; the old copy stays below."),
        fix: Cow::Borrowed("Set modes and owners where the file is added (COPY --chmod, COPY --chown) or in the same RUN."),
        found: false,
        text: "No layer of this image re-ships files only to change their mode or owner.".into(),
        layer: None,
        path: None,
        target: Cow::Borrowed("layer-table"),
        figures: Vec::new(),
    };
    // Per layer, the copies its metadata-only changes made dead.
    let mut per: Vec<(u64, u64)> = alloc::vec![(0, 0); m.image.layers.len()];
    for d in dead.iter().filter(|d| d.superseded == Cause::MetadataOnly) {
        if let Some(x) = per.get_mut(d.superseded_by as usize) {
            x.0 += 1;
            x.1 += d.size;
        }
    }
    let Some((layer, &(files, bytes))) = per
        .iter()
        .enumerate()
        .filter(|(_, x)| x.0 > 0)
        .max_by_key(|(i, x)| (x.1, core::cmp::Reverse(*i)))
    else {
        return base;
    };
    let step = m.image.layers[layer]
        .history
        .as_ref()
        .and_then(|h| h.created_by.as_deref())
        .map(crate::image::step)
        .unwrap_or_default();
    Step {
        found: true,
        text: alloc::format!(
            "Layer {layer}{} changes only the mode or owner of {files} file{}, so it ships {} again.",
            if step.is_empty() {
                String::new()
            } else {
                alloc::format!(" ({})", crate::sanitize::display_text(&crate::present::ellipsize(&step, 80)))
            },
            if files == 1 { "" } else { "s" },
            human_size(bytes),
        ),
        layer: Some(layer),
        figures: alloc::vec![
            fig("layer", layer as u64),
            fig("files", files),
            fig("bytes", bytes),
        ],
        ..base
    }
}

fn digests(m: Model<'_>) -> Step {
    let image = m.image;
    let top = image.layers.last();
    Step {
        id: Cow::Borrowed("digests"),
        title: Cow::Borrowed("How layers and images are named"),
        lesson: Cow::Borrowed("Names are hashes: a layer's diff_id hashes its uncompressed tar, its chain ID hashes the chain below with it, and the image ID hashes the config that lists the diff_ids. Change one byte of any layer and every name above it changes; a squash writes a new layer, so it gets a new diff_id, chain ID and image ID."),
        fix: Cow::Borrowed("Keep the layers that rarely change at the bottom: registries and caches reuse a layer by its digest, and a change forces every layer above it to be rebuilt and pulled again."),
        found: top.is_some(),
        text: alloc::format!(
            "diff_id = {DIFF_ID_FORMULA}; chain ID: {CHAIN_ID_FORMULA}; image ID = {IMAGE_ID_FORMULA}. This image's ID is {} ({} config bytes); its top layer's chain ID is {}.",
            image.id,
            image.config_bytes.len(),
            top.map(|l| l.chain_id.to_string()).unwrap_or_default(),
        ),
        layer: top.map(|l| l.position),
        path: None,
        target: Cow::Borrowed("digests"),
        figures: alloc::vec![
            fig("layers", image.layers.len() as u64),
            fig("config_bytes", image.config_bytes.len() as u64),
        ],
    }
}

fn squash(m: Model<'_>, r: &Reclaim) -> Step {
    let fs = m.final_fs();
    let saved = r.total.max(0) as u64;
    Step {
        id: Cow::Borrowed("squash"),
        title: Cow::Borrowed("What a squash saves, and what it cannot"),
        lesson: Cow::Borrowed("Squashing merges the layers into one holding only the final filesystem: dead copies (deleted, overwritten, re-shipped, hidden) go; every file still in the final image stays, and the merged layer no longer shares a base with other images."),
        fix: Cow::Borrowed("Prefer fixing the build (clean up in the same step, multi-stage builds, a small base, .dockerignore); squash what you cannot rebuild."),
        found: true,
        text: alloc::format!(
            "Squashing all {} layers saves {} of {} of tar: {} deleted, {} overwritten, {} re-shipped by chmod/chown, {} hidden by opaque directories, and tar overhead. It cannot save the {} of files the final filesystem still has.",
            m.image.layers.len(),
            human_size(saved),
            human_size(r.input_size),
            human_size(r.deleted),
            human_size(r.overwritten + r.identical),
            human_size(r.metadata_only),
            human_size(r.opaque),
            human_size(fs.size),
        ),
        layer: None,
        path: None,
        target: Cow::Borrowed("squash"),
        figures: alloc::vec![
            fig("saved_bytes", saved),
            fig("input_bytes", r.input_size),
            fig("deleted_bytes", r.deleted),
            fig("overwritten_bytes", r.overwritten + r.identical),
            fig("metadata_only_bytes", r.metadata_only),
            fig("opaque_bytes", r.opaque),
            fig("final_bytes", fs.size),
        ],
    }
}

#[cfg(all(test, feature = "std"))]
mod tests;
