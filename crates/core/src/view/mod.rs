//! Plain summaries of an analysed image for user interfaces (the browser app; JSON reports):
//! owned strings and numbers only, serialisable both ways, computed once from the model.

mod file;
pub mod squash_compare;
#[cfg(feature = "std")]
mod tree;
pub mod treemap;
pub mod treemap_svg;

pub use file::FileInfo;
#[cfg(feature = "std")]
pub use tree::{FileTree, Node as TreeNode, SortBy, TreeFilter};

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::fs::{ChangeCounts, ChangeKind, UnionFs};
use crate::layer::EntryRef;
use crate::model::Model;
use crate::squash::Savings;

/// One image of the archive, for a picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageChoice {
    /// Position in the archive's image list.
    pub index: usize,
    /// Tags or `<none>`.
    pub label: String,
    /// Platform, when the archive has several.
    pub platform: Option<String>,
    /// Layer count.
    pub layers: usize,
}

/// One layer, as the layer table shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerSummary {
    /// Position (0 = base).
    pub position: usize,
    /// diff_id (`sha256:…`).
    pub diff_id: String,
    /// Blob digest where the layout has one.
    pub blob_digest: Option<String>,
    /// The build step.
    pub created_by: String,
    /// When.
    pub created: Option<String>,
    /// History comment.
    pub comment: Option<String>,
    /// `tar`, `gzip` or `zstd`.
    pub compression: String,
    /// Stored size.
    pub blob_size: u64,
    /// Decompressed tar size.
    pub tar_size: u64,
    /// Regular-file content bytes.
    pub content_size: u64,
    /// Entries in the tar.
    pub entries: u64,
    /// What it changed.
    pub counts: ChangeCounts,
    /// Content of lower layers it removes or replaces.
    pub hidden_size: u64,
    /// Content of this layer that later layers delete or overwrite (still shipped).
    pub superseded_size: u64,
}

/// The whole image, as the overview and layer table show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSummary {
    /// Images in the archive.
    pub images: Vec<ImageChoice>,
    /// The one shown.
    pub index: usize,
    /// Tags.
    pub tags: Vec<String>,
    /// Image ID.
    pub id: String,
    /// `os/arch`.
    pub platform: String,
    /// Archive layout, described.
    pub format: String,
    /// Config `created`.
    pub created: Option<String>,
    /// Sum of stored layer sizes.
    pub size: u64,
    /// Sum of decompressed layer sizes.
    pub tar_size: u64,
    /// Paths in the final filesystem.
    pub final_entries: u64,
    /// Content bytes of the final filesystem.
    pub final_size: u64,
    /// Layers, base first.
    pub layers: Vec<LayerSummary>,
}

impl ImageSummary {
    /// Summarises a loaded image.
    pub fn new(m: Model<'_>, images: Vec<ImageChoice>, index: usize, format: &str) -> Self {
        let (image, fs, changes) = (m.image, m.fs, m.changes);
        // Entries whose bytes are still in the final filesystem (as a path or an inode).
        // One flag per entry, by layer: a set of references would be a tree of a few hundred
        // thousand keys built and searched once each.
        let mut live: Vec<Vec<bool>> = image
            .layers
            .iter()
            .map(|l| alloc::vec![false; l.index.entries.len()])
            .collect();
        for r in fs.iter().flat_map(|(_, n)| [n.entry, n.inode_entry]) {
            if let Some(flag) = live
                .get_mut(r.layer as usize)
                .and_then(|l| l.get_mut(r.entry as usize))
            {
                *flag = true;
            }
        }
        let final_fs = m.final_fs();
        let layers = image
            .layers
            .iter()
            .zip(changes)
            .zip(&live)
            .map(|((l, cs), flags)| {
                let superseded_size = l
                    .index
                    .entries
                    .iter()
                    .enumerate()
                    .filter(|(i, e)| e.is_file() && !flags[*i])
                    .map(|(_, e)| e.size)
                    .sum();
                let h = l.history.as_ref();
                LayerSummary {
                    position: l.position,
                    diff_id: alloc::format!("{}", l.diff_id),
                    blob_digest: l.blob.digest.map(|d| alloc::format!("{d}")),
                    created_by: h.and_then(|h| h.created_by.clone()).unwrap_or_default(),
                    created: h.and_then(|h| h.created.clone()),
                    comment: h.and_then(|h| h.comment.clone()),
                    compression: l.index.compression.name().into(),
                    blob_size: l.blob.blob.size,
                    tar_size: l.index.tar_size,
                    content_size: l.index.content_size(),
                    entries: l.index.entries.len() as u64,
                    counts: cs.counts(),
                    hidden_size: cs.hidden_size(),
                    superseded_size,
                }
            })
            .collect();
        ImageSummary {
            images,
            index,
            tags: image.reference.tags.clone(),
            id: alloc::format!("{}", image.id),
            platform: image.config.platform(),
            format: format.into(),
            created: image.config.created.clone(),
            size: image.stored_size(),
            tar_size: image.tar_size(),
            final_entries: final_fs.entries,
            final_size: final_fs.size,
            layers,
        }
    }
}

/// How a path stands in the selected layer: a row's view of [`ChangeKind`] ([`Mark::of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mark {
    /// Present below and untouched by this layer.
    Unchanged,
    /// New in this layer.
    Added,
    /// Changed by this layer.
    Modified,
    /// Removed by this layer.
    Removed,
}

impl Mark {
    /// How a row shows its path's [`ChangeKind`] in the layer (`None`: untouched). A path
    /// written again unchanged shows as unchanged: the row has no fourth state for it.
    pub fn of(kind: Option<ChangeKind>) -> Self {
        match kind {
            Some(ChangeKind::Added) => Mark::Added,
            Some(ChangeKind::Modified(_)) => Mark::Modified,
            Some(ChangeKind::Removed(_)) => Mark::Removed,
            Some(ChangeKind::Readded) | None => Mark::Unchanged,
        }
    }
}

/// One path of a layer's filesystem view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeRow {
    /// Normalised path (lossy UTF-8, control characters escaped).
    pub path: String,
    /// `-`, `d`, `l`, `h`, `c`, `b`, `p` as `ls -l` shows types.
    pub kind: char,
    /// Content size (files; hardlinks show their inode's size).
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Symlink or hardlink target.
    pub link: Option<String>,
    /// Change against the layers below.
    pub mark: Mark,
    /// Layer that last wrote this path; for a removed path, the layer that removed it.
    pub layer: u32,
}

/// The filesystem as it stands after `layer`, with that layer's changes marked; removed paths
/// are included (marked) so a diff view can show them.
pub fn tree_at(m: Model<'_>, layer: usize) -> Vec<TreeRow> {
    tree_with_paths_at(m, layer).0
}

/// [`tree_at`], with each row's exact path bytes (same order): a row's `path` is escaped
/// display text, which cannot be turned back into the name (a newline, invalid UTF-8), so a
/// front end that asks about a row again refers to it by position and its host keeps these.
pub fn tree_with_paths_at(m: Model<'_>, layer: usize) -> (Vec<TreeRow>, Vec<Vec<u8>>) {
    let (image, changes) = (m.image, m.changes);
    let upto = layer.min(image.layers.len().saturating_sub(1));
    let (fs, _) = UnionFs::build(image.indexes().take(upto + 1));
    let mut rows: Vec<(TreeRow, Vec<u8>)> = Vec::with_capacity(fs.len());
    let cs = changes.get(upto);
    let mut marks = alloc::collections::BTreeMap::new();
    if let Some(cs) = cs {
        for c in &cs.changes {
            marks.insert(c.path.as_bytes(), c);
        }
    }
    let row = |path: &crate::layer::EntryPath,
               r: EntryRef,
               inode: EntryRef,
               mark: Mark|
     -> Option<(TreeRow, Vec<u8>)> {
        let e = image.entry(r)?;
        let meta = image.entry(inode).unwrap_or(e);
        // A removed row belongs to the layer that removed it, not to the one that wrote it.
        let layer = if mark == Mark::Removed {
            upto as u32
        } else {
            r.layer
        };
        let row = TreeRow {
            path: path.display(),
            kind: e.kind.letter(),
            size: if meta.is_file() { meta.size } else { 0 },
            mode: meta.mode,
            uid: meta.uid,
            gid: meta.gid,
            link: e.link.as_deref().map(crate::sanitize::display_bytes),
            mark,
            layer,
        };
        Some((row, path.as_bytes().to_vec()))
    };
    for (path, n) in fs.iter() {
        let mark = Mark::of(marks.get(path.as_bytes()).map(|c| c.kind));
        if let Some(r) = row(path, n.entry, n.inode_entry, mark) {
            rows.push(r);
        }
    }
    if let Some(cs) = cs {
        for c in cs.changes.iter().filter(|c| c.kind.is_removed()) {
            if let Some(before) = c.before {
                if let Some(r) = row(&c.path, before, before, Mark::Removed) {
                    rows.push(r);
                }
            }
        }
    }
    rows.sort_by(|a, b| a.0.path.as_bytes().cmp(b.0.path.as_bytes()));
    rows.into_iter().unzip()
}

/// Packs rows into a compact binary form (little-endian, length-prefixed strings): the
/// browser moves 100,000 rows between threads as one buffer and decodes them in a few
/// milliseconds, where JSON would block the page for a quarter of a second.
pub fn pack_rows(rows: &[TreeRow]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * 64);
    out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
    for r in rows {
        out.extend_from_slice(&(r.path.len() as u32).to_le_bytes());
        out.extend_from_slice(r.path.as_bytes());
        let mut kind = [0u8; 4];
        let k = r.kind.encode_utf8(&mut kind).len();
        out.push(k as u8);
        out.extend_from_slice(kind.get(..k).unwrap_or_default());
        out.extend_from_slice(&r.size.to_le_bytes());
        out.extend_from_slice(&r.mode.to_le_bytes());
        out.extend_from_slice(&r.uid.to_le_bytes());
        out.extend_from_slice(&r.gid.to_le_bytes());
        out.push(match r.mark {
            Mark::Unchanged => 0,
            Mark::Added => 1,
            Mark::Modified => 2,
            Mark::Removed => 3,
        });
        out.extend_from_slice(&r.layer.to_le_bytes());
        match &r.link {
            Some(l) => {
                out.extend_from_slice(&(l.len() as u32).to_le_bytes());
                out.extend_from_slice(l.as_bytes());
            }
            None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
        }
    }
    out
}

/// Unpacks [`pack_rows`] output; `None` if it is malformed.
pub fn unpack_rows(bytes: &[u8]) -> Option<Vec<TreeRow>> {
    struct Cur<'a>(&'a [u8]);
    impl<'a> Cur<'a> {
        fn take(&mut self, n: usize) -> Option<&'a [u8]> {
            let (a, b) = (self.0.get(..n)?, self.0.get(n..)?);
            self.0 = b;
            Some(a)
        }
        fn u32(&mut self) -> Option<u32> {
            Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
        }
        fn u64(&mut self) -> Option<u64> {
            Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
        }
        fn string(&mut self, n: usize) -> Option<String> {
            core::str::from_utf8(self.take(n)?).ok().map(String::from)
        }
    }
    let mut c = Cur(bytes);
    let n = c.u32()? as usize;
    let mut rows = Vec::with_capacity(n.min(bytes.len() / 40));
    for _ in 0..n {
        let plen = c.u32()? as usize;
        let path = c.string(plen)?;
        let klen = *c.take(1)?.first()? as usize;
        let kind = c.string(klen)?.chars().next()?;
        let size = c.u64()?;
        let mode = c.u32()?;
        let uid = c.u64()?;
        let gid = c.u64()?;
        let mark = match c.take(1)?.first()? {
            0 => Mark::Unchanged,
            1 => Mark::Added,
            2 => Mark::Modified,
            3 => Mark::Removed,
            _ => return None,
        };
        let layer = c.u32()?;
        let llen = c.u32()?;
        let link = if llen == u32::MAX {
            None
        } else {
            Some(c.string(llen as usize)?)
        };
        rows.push(TreeRow {
            path,
            kind,
            size,
            mode,
            uid,
            gid,
            link,
            mark,
            layer,
        });
    }
    Some(rows)
}

/// Squash figures for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SquashFigures {
    /// First squashed layer.
    pub from: usize,
    /// New layer bytes.
    pub layer_size: u64,
    /// Output archive bytes (exact).
    pub archive_size: u64,
    /// Input archive bytes.
    pub input_archive_size: u64,
    /// Decompressed bytes of the layers replaced.
    pub input_layers_size: u64,
    /// Entries written.
    pub entries: u64,
    /// Whiteouts written.
    pub whiteouts: u64,
    /// Content deleted in a later layer.
    pub deleted: u64,
    /// Content overwritten with other bytes by a later layer (or not compared: without a
    /// deep scan, rewrites of the same bytes count here).
    pub overwritten: u64,
    /// Content a later layer ships again only to change its mode or owner.
    pub metadata_only: u64,
    /// Content a later layer writes again with the same bytes (deep scan only).
    pub identical: u64,
    /// Content hidden by an opaque directory.
    pub opaque: u64,
    /// Whiteout markers dropped.
    pub whiteout_markers: u64,
    /// Tar overhead (headers, padding, trailers) net of new headers.
    pub overhead: i64,
    /// Net bytes saved on the squashed layers: the sum of the parts above (deleted,
    /// overwritten, metadata-only, identical, opaque, whiteout markers, overhead).
    pub total: i64,
}

impl SquashFigures {
    /// From a plan, with the overwritten content split by cause as the waste report's
    /// [`Reclaim`](crate::analysis::reclaim::Reclaim) for the same first layer splits it, so
    /// the page's headline, reclaim card and squash panel tell the same story.
    pub fn with_causes(
        plan: &crate::squash::SquashPlan,
        causes: &crate::analysis::reclaim::Reclaim,
    ) -> Self {
        let mut f = Self::new(plan);
        if causes.from == f.from
            && causes.overwritten + causes.metadata_only + causes.identical == f.overwritten
        {
            f.overwritten = causes.overwritten;
            f.metadata_only = causes.metadata_only;
            f.identical = causes.identical;
        }
        f
    }

    /// From a plan, every rewrite counted as overwritten.
    pub fn new(plan: &crate::squash::SquashPlan) -> Self {
        let s: Savings = plan.savings;
        SquashFigures {
            from: plan.kept,
            layer_size: plan.layer_size,
            archive_size: plan.archive_size,
            input_archive_size: plan.input_archive_size,
            input_layers_size: plan.layer.input_size,
            entries: plan.layer.entries,
            whiteouts: plan.layer.whiteouts,
            deleted: s.deleted,
            overwritten: s.overwritten,
            metadata_only: 0,
            identical: 0,
            opaque: s.opaque,
            whiteout_markers: s.whiteout_markers,
            overhead: s.overhead(),
            total: s.total(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::testing::{docker_archive, load, LayerBuilder as L};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn tree_marks_changes_and_summary_counts_superseded_bytes() {
        let l0 = L::new()
            .dir("d")
            .file("d/a", &[1u8; 100])
            .file("d/b", &[2u8; 50])
            .build();
        let l1 = L::new()
            .whiteout("d/a")
            .file("d/b", &[3u8; 10])
            .file("c", b"new")
            .build();
        let bytes = docker_archive(&[l0, l1]);
        let (_, img) = load(&bytes);
        let (fs, cs) = UnionFs::build(img.indexes());
        let s = ImageSummary::new(Model::new(&img, &fs, &cs), Vec::new(), 0, "test");
        assert_eq!(s.layers[0].superseded_size, 150);
        assert_eq!(s.layers[1].superseded_size, 0);
        assert_eq!(s.final_size, 13);
        let rows = tree_at(Model::new(&img, &fs, &cs), 1);
        let got: Vec<(&str, Mark)> = rows.iter().map(|r| (r.path.as_str(), r.mark)).collect();
        assert_eq!(
            got,
            [
                ("c", Mark::Added),
                ("d", Mark::Unchanged),
                ("d/a", Mark::Removed),
                ("d/b", Mark::Modified)
            ]
        );
        // A removed row names the layer that removed it; a kept row the one that wrote it.
        let layers: Vec<u32> = rows.iter().map(|r| r.layer).collect();
        assert_eq!(layers, [1, 0, 1, 1]);
        // The exact path bytes come in the same order.
        let (same, paths) = tree_with_paths_at(Model::new(&img, &fs, &cs), 1);
        assert_eq!(same, rows);
        assert_eq!(paths, [&b"c"[..], b"d", b"d/a", b"d/b"]);
        let base = tree_at(Model::new(&img, &fs, &cs), 0);
        assert!(base.iter().all(|r| r.mark == Mark::Added));
        assert_eq!(unpack_rows(&pack_rows(&rows)).unwrap(), rows);
        assert!(unpack_rows(&pack_rows(&rows)[..20]).is_none());
    }
}
