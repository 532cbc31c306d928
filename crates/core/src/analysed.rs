//! An opened, analysed image: the one value both front ends start from.
//!
//! [`Analysis`] holds the opened [`Archive`], the chosen [`Image`] with every layer indexed,
//! the final [`UnionFs`] with each layer's [`ChangeSet`], and once computed the deep scan's
//! [`ContentHashes`]. Its methods answer what the CLI and the browser ask (a layer by
//! position or digest, the final filesystem, the waste report, a squash plan, a path's
//! timeline), so neither front end passes the pieces around.
//!
//! Opening happens in two steps, [`Indexed::open`] then [`Indexed::analyse`], so that a
//! host with threads can run work that needs only the layer indexes (dive's tally) while
//! the union is built ([`Indexed::build_union`] + [`Indexed::with_union`]).

use alloc::borrow::Cow;
use alloc::vec::Vec;
use std::io::Read;

use crate::analysis::audit::{self, Audit};
use crate::analysis::content_diff::{diff_contents, ContentDiff};
use crate::analysis::deep::deep_scan;
use crate::analysis::dockerfile::{instructions, Instruction};
use crate::analysis::findings::FindingOptions;
use crate::analysis::timeline::Timeline;
use crate::analysis::WasteReport;
use crate::archive::{Archive, BlobRef, Selector};
use crate::digest::{Digest, Hasher};
use crate::dive::DiveTally;
use crate::error::{Error, Result};
use crate::fs::{resolve, ChangeSet, Follow, FsSummary, Node, RangeDiff, Resolved, UnionFs};
use crate::image::{open_content, read_content, WithProgress};
use crate::image::{verify, LayerDigests};
use crate::image::{BlobIndexes, Image};
use crate::layer::EntryRef;
use crate::layer::{Entry, EntryPath, IndexOptions};
use crate::limits::Limits;
use crate::model::{ContentHashes, Model};
use crate::present::label;
use crate::progress::Progress;
use crate::source::Source;
use crate::squash::{
    content_parts, emit_parts_into, emit_squash, estimate_blob_size, plan_layer, plan_subtree,
    write_parts, write_squash, LayerOptions, LayerPlan, Parts, SquashOptions, SquashPlan,
    SquashSink, Written,
};
use crate::view::{ImageChoice, ImageSummary};
use std::io::Write;

/// Which image of the archive to analyse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImagePick {
    /// By tag, group position or platform ([`Archive::select`]), as the CLI's flags say.
    Select(Selector),
    /// By position in [`Archive::images`] (clamped to the last), as the page's picker says.
    Index(usize),
}

impl ImagePick {
    /// The position in [`Archive::images`] this pick names.
    fn position<S: Source>(&self, archive: &Archive<S>) -> Result<usize> {
        Ok(match self {
            ImagePick::Select(sel) => archive.select(sel)?,
            ImagePick::Index(i) => (*i).min(archive.images().len().saturating_sub(1)),
        })
    }
}

impl Default for ImagePick {
    fn default() -> Self {
        ImagePick::Select(Selector::default())
    }
}

/// An archive opened and its chosen image indexed; the union is not built yet.
pub struct Indexed<S: Source> {
    archive: Archive<S>,
    which: usize,
    image: Image,
}

impl<S: Source> Indexed<S> {
    /// Opens the archive in `source`, picks an image and indexes its layers.
    ///
    /// # Errors
    /// Not an image archive, no such image, a malformed layer, a limit, a failed read.
    pub fn open(
        source: S,
        pick: &ImagePick,
        limits: Limits,
        progress: &mut dyn Progress,
    ) -> Result<Self> {
        let mut archive = Archive::open(source, limits, progress)?;
        let which = pick.position(&archive)?;
        let options = IndexOptions { limits };
        let image = Image::load(&mut archive, which, &options, progress)?;
        Ok(Indexed {
            archive,
            which,
            image,
        })
    }

    /// [`Indexed::open`], with the layers indexed by `index_all` instead of one after
    /// another: it gets the archive and the picked image's distinct layer blobs (by offset,
    /// in archive order) and returns their indexes. The CLI indexes them on several threads,
    /// each with its own handle on the file, so compressed layers decode in parallel.
    ///
    /// # Errors
    /// As [`Indexed::open`], and whatever `index_all` returns.
    pub fn open_indexing(
        source: S,
        pick: &ImagePick,
        limits: Limits,
        progress: &mut dyn Progress,
        index_all: impl FnOnce(
            &mut Archive<S>,
            &[BlobRef],
            &IndexOptions,
            &mut dyn Progress,
        ) -> Result<BlobIndexes>,
    ) -> Result<Self> {
        let mut listed = Indexed::list(source, pick, limits, progress)?;
        let indexes = index_all(
            &mut listed.archive,
            &listed.blobs,
            &listed.options,
            progress,
        )?;
        listed.assemble(indexes)
    }

    /// The first half of [`Indexed::open_indexing`], for a host that indexes the blobs
    /// asynchronously (the page, in several Web Workers): opens the archive and picks the
    /// image; [`Listed::assemble`] takes the indexes.
    ///
    /// # Errors
    /// Not an image archive, no such image, a limit, a failed read.
    pub fn list(
        source: S,
        pick: &ImagePick,
        limits: Limits,
        progress: &mut dyn Progress,
    ) -> Result<Listed<S>> {
        let archive = Archive::open(source, limits, progress)?;
        let which = pick.position(&archive)?;
        let mut blobs: Vec<BlobRef> = archive.images()[which]
            .layers
            .iter()
            .map(|l| l.blob.clone())
            .collect();
        blobs.sort_by_key(|b| b.offset);
        blobs.dedup_by_key(|b| b.offset);
        Ok(Listed {
            archive,
            which,
            blobs,
            options: IndexOptions { limits },
        })
    }

    /// The indexed image.
    pub fn image(&self) -> &Image {
        &self.image
    }
}

/// An archive opened and its image picked, the layer blobs not indexed yet
/// ([`Indexed::list`]).
pub struct Listed<S: Source> {
    archive: Archive<S>,
    which: usize,
    blobs: Vec<BlobRef>,
    options: IndexOptions,
}

impl<S: Source> Listed<S> {
    /// The picked image's distinct layer blobs, in archive order.
    pub fn blobs(&self) -> &[BlobRef] {
        &self.blobs
    }

    /// How to index them.
    pub fn options(&self) -> &IndexOptions {
        &self.options
    }

    /// The opened archive (to index the blobs through its source).
    pub fn archive_mut(&mut self) -> &mut Archive<S> {
        &mut self.archive
    }

    /// Builds the image from the blobs' indexes, exactly as [`Indexed::open`] would have.
    ///
    /// # Errors
    /// A blob's indexing failed (with the layer and member added), or the image is invalid.
    pub fn assemble(mut self, mut indexes: BlobIndexes) -> Result<Indexed<S>> {
        let image =
            Image::load_indexed(&mut self.archive, self.which, &self.options, &mut indexes)?;
        Ok(Indexed {
            archive: self.archive,
            which: self.which,
            image,
        })
    }
}

impl<S: Source> Indexed<S> {
    /// [`Indexed::open`] for an archive that can be read only once, front to back (a pipe):
    /// the layers are indexed as they stream by ([`crate::image::Piped`]). The analysis
    /// then answers everything but what needs layer contents again (export, squash, the deep
    /// scan), which fails with a message saying a file is needed. `hold` wraps the kept
    /// bytes ([`crate::image::Recorded`]) in the host's source type.
    ///
    /// # Errors
    /// As [`Indexed::open`].
    pub fn open_piped(
        input: impl std::io::Read,
        pick: &ImagePick,
        limits: Limits,
        progress: &mut dyn Progress,
        hold: impl FnOnce(crate::image::Recorded) -> S,
    ) -> Result<Self> {
        let options = IndexOptions { limits };
        let crate::image::Piped {
            mut archive,
            mut indexes,
        } = Archive::read_piped(input, &options, progress, hold)?;
        let which = pick.position(&archive)?;
        let image = Image::load_indexed(&mut archive, which, &options, &mut indexes)?;
        Ok(Indexed {
            archive,
            which,
            image,
        })
    }
}

impl<S: Source> Indexed<S> {
    /// Builds the final filesystem and the change sets of the image (the slow half of
    /// [`Indexed::analyse`], borrowing so the host can run other work beside it).
    pub fn build_union(&self) -> (UnionFs, Vec<ChangeSet>) {
        UnionFs::build(self.image.indexes())
    }

    /// Completes the analysis with what [`Indexed::build_union`] returned for this image.
    pub fn with_union(self, union: (UnionFs, Vec<ChangeSet>)) -> Analysis<S> {
        let (fs, changes) = union;
        Analysis {
            archive: self.archive,
            which: self.which,
            image: self.image,
            fs,
            changes,
            hashes: None,
        }
    }

    /// Builds the union and completes the analysis.
    pub fn analyse(self) -> Analysis<S> {
        let union = self.build_union();
        self.with_union(union)
    }
}

/// An opened archive, its chosen image, the image's union filesystem and change sets, and
/// the deep scan's hashes once it has run.
pub struct Analysis<S: Source> {
    archive: Archive<S>,
    which: usize,
    image: Image,
    fs: UnionFs,
    changes: Vec<ChangeSet>,
    hashes: Option<ContentHashes>,
}

impl<S: Source> Analysis<S> {
    /// Opens, indexes and analyses in one call ([`Indexed::open`], [`Indexed::analyse`]).
    ///
    /// # Errors
    /// As [`Indexed::open`].
    pub fn open(
        source: S,
        pick: &ImagePick,
        limits: Limits,
        progress: &mut dyn Progress,
    ) -> Result<Self> {
        Ok(Indexed::open(source, pick, limits, progress)?.analyse())
    }

    /// The opened archive.
    pub fn archive(&self) -> &Archive<S> {
        &self.archive
    }

    /// The archive's bytes, for readers that go back to them (verify, squash, export).
    pub fn source_mut(&mut self) -> &mut crate::archive::ArchiveSource<S> {
        self.archive.source_mut()
    }

    /// Position of the analysed image in [`Archive::images`].
    pub fn which(&self) -> usize {
        self.which
    }

    /// The analysed image.
    pub fn image(&self) -> &Image {
        &self.image
    }

    /// The final filesystem.
    pub fn fs(&self) -> &UnionFs {
        &self.fs
    }

    /// What each layer changed, base first.
    pub fn changes(&self) -> &[ChangeSet] {
        &self.changes
    }

    /// The deep scan's hashes, once [`Analysis::deep_scan`] has run.
    pub fn hashes(&self) -> Option<&ContentHashes> {
        self.hashes.as_ref()
    }

    /// The image, union, change sets and hashes, for the pure analyses.
    pub fn model(&self) -> Model<'_> {
        Model::new(&self.image, &self.fs, &self.changes).with_hashes(self.hashes.as_ref())
    }

    /// The entry `r` points at.
    pub fn entry(&self, r: EntryRef) -> Option<&Entry> {
        self.image.entry(r)
    }

    /// A layer by position (`3`) or by a digest or unique hex prefix of its diff_id, chain
    /// ID or blob digest (`sha256:ab12…`, `ab12`).
    ///
    /// # Errors
    /// Not a position or digest, no layer matches, or several do.
    pub fn layer(&self, spec: &str) -> Result<usize> {
        self.image.find_layer(spec)
    }

    /// Paths, files and content bytes of the final filesystem.
    pub fn final_fs(&self) -> FsSummary {
        self.model().final_fs()
    }

    /// The images of the archive, as a picker lists them.
    pub fn image_choices(&self) -> Vec<ImageChoice> {
        self.archive
            .images()
            .iter()
            .enumerate()
            .map(|(index, r)| ImageChoice {
                index,
                label: label(&r.tags),
                platform: r.platform.clone(),
                layers: r.layers.len(),
            })
            .collect()
    }

    /// The overview and layer table of the page.
    pub fn summary(&self) -> ImageSummary {
        ImageSummary::new(
            self.model(),
            self.image_choices(),
            self.which,
            self.archive.format().describe(),
        )
    }

    /// Runs the deep scan (content hashes of the files later layers write again) unless it
    /// has run, reading the layers again.
    ///
    /// # Errors
    /// A read or decoder failure, or cancelled through `progress`.
    pub fn deep_scan(&mut self, progress: &mut dyn Progress) -> Result<&ContentHashes> {
        let hashes = match self.hashes.take() {
            Some(h) => h,
            None => {
                let model = Model::new(&self.image, &self.fs, &self.changes);
                deep_scan(self.archive.source_mut(), model, progress)?
            }
        };
        Ok(self.hashes.insert(hashes))
    }

    /// The content audit ([`crate::analysis::audit`]): reads the files it needs (would-be
    /// duplicates, account files, package databases, key files) once, layer by layer.
    ///
    /// # Errors
    /// A read or decoder failure, or cancelled through `progress`.
    pub fn audit(&mut self, progress: &mut dyn Progress) -> Result<Audit> {
        let model = Model::new(&self.image, &self.fs, &self.changes);
        let wants = audit::wanted(model);
        let contents =
            audit::read_contents(self.archive.source_mut(), &self.image, &wants, progress)?;
        Ok(audit::audit(self.model(), &contents))
    }

    /// The waste report (with the deep scan's hashes if it has run). `tally` is dive's
    /// tally if the host computed it beside the union build; otherwise it is computed here.
    pub fn waste(&self, tally: Option<DiveTally>) -> WasteReport {
        self.waste_with_plan(tally, None)
    }

    /// [`Analysis::waste`] reusing `plan`, a squash of every layer the host has planned
    /// anyway (the squash figures shown beside the report): the report's squash savings
    /// come from its layer plan instead of a second one ([`WasteReport::with_tally_and_plan`]).
    pub fn waste_with_plan(
        &self,
        tally: Option<DiveTally>,
        plan: Option<&SquashPlan>,
    ) -> WasteReport {
        WasteReport::with_tally_and_plan(
            tally.unwrap_or_else(|| DiveTally::new(&self.image)),
            self.model(),
            &FindingOptions::default(),
            plan.map(|p| &p.layer),
        )
    }

    /// Plans a squash.
    ///
    /// # Errors
    /// As [`SquashPlan::new`].
    pub fn squash_plan(&self, options: &SquashOptions) -> Result<SquashPlan> {
        SquashPlan::new(self.model(), self.archive.len(), options)
    }

    /// The history of `path` across layers, or `None` if no layer has it.
    pub fn timeline(&self, path: &[u8]) -> Option<Timeline> {
        Timeline::new(self.model(), path)
    }

    /// The plan of the final filesystem as one tar (`export`): every path, no whiteouts.
    pub fn export_plan(&self) -> LayerPlan {
        plan_layer(self.model(), 0, LayerOptions { whiteouts: false })
    }

    /// Writes `parts` (of a plan of this analysis) to `out`; see [`write_parts`].
    ///
    /// # Errors
    /// As [`write_parts`].
    pub fn write_parts<W: Write + ?Sized>(
        &mut self,
        parts: &Parts,
        out: &mut W,
        progress: &mut dyn Progress,
    ) -> Result<()> {
        write_parts(self.archive.source_mut(), &self.image, parts, out, progress)
    }

    /// Writes a squash planned by [`Analysis::squash_plan`] to `out`.
    ///
    /// # Errors
    /// As [`write_squash`].
    pub fn write_squash<W: Write + ?Sized>(
        &mut self,
        plan: &SquashPlan,
        out: &mut W,
        progress: &mut dyn Progress,
    ) -> Result<Written> {
        write_squash(self.archive.source_mut(), &self.image, plan, out, progress)
    }

    /// Replaces a compressed layer's size in `plan` with an estimate from compressing the
    /// first `sample` bytes of it ([`estimate_blob_size`]).
    ///
    /// # Errors
    /// Reading the input failed.
    pub fn estimate_squash(&mut self, plan: &mut SquashPlan, sample: u64) -> Result<()> {
        let size = estimate_blob_size(self.archive.source_mut(), &self.image, plan, sample)?;
        plan.set_estimate(size);
        Ok(())
    }

    /// Emits a squash planned by [`Analysis::squash_plan`] into `sink`.
    ///
    /// # Errors
    /// As [`emit_squash`].
    pub async fn emit_squash<K: SquashSink + ?Sized>(
        &mut self,
        plan: &SquashPlan,
        sink: &mut K,
        progress: &mut dyn Progress,
    ) -> Result<Written> {
        emit_squash(self.archive.source_mut(), &self.image, plan, sink, progress).await
    }

    /// Hashes every layer and checks its diff_id and blob digest.
    ///
    /// # Errors
    /// As [`verify`].
    pub fn verify(&mut self, progress: &mut dyn Progress) -> Result<Vec<LayerDigests>> {
        let limits = *self.archive.limits();
        verify(self.archive.source_mut(), &self.image, &limits, progress)
    }

    /// The filesystem after layer `layer` (borrowed for the last layer, built for another).
    ///
    /// # Errors
    /// No such layer.
    pub fn fs_after(&self, layer: usize) -> Result<Cow<'_, UnionFs>> {
        let count = self.image.layers.len();
        if layer >= count {
            return Err(Error::request(alloc::format!(
                "no layer {layer}: the image has {count} (0 to {})",
                count.saturating_sub(1)
            )));
        }
        if layer + 1 == count {
            return Ok(Cow::Borrowed(&self.fs));
        }
        Ok(Cow::Owned(
            UnionFs::build(self.image.indexes().take(layer + 1)).0,
        ))
    }

    /// Looks `path` up in `fs` (a state of this image), symlinks followed inside the image.
    ///
    /// # Errors
    /// As [`resolve`].
    pub fn lookup(&self, fs: &UnionFs, path: &[u8], follow: Follow) -> Result<Resolved> {
        resolve(fs, |r| self.image.entry(r), path, follow)
    }

    /// The path bytes a path shown as `shown` names (`/etc/x`, or a name with escapes as the
    /// page and the terminal show it: `bad\xff`), for requests that carry display text.
    pub fn path_as_shown(&self, shown: &str) -> Vec<u8> {
        let relative = shown.trim_start_matches('/');
        match EntryPath::parse(relative.as_bytes()) {
            Ok(p) => crate::fs::path_as_shown(&self.changes, p)
                .as_bytes()
                .to_vec(),
            Err(_) => shown.as_bytes().to_vec(),
        }
    }

    /// The regular file at `path` after `layer` (the last by default), symlinks followed
    /// inside the image and a hardlink resolved to its inode: its real path and node.
    ///
    /// # Errors
    /// No such layer or path, a directory or another non-file, a link leaving the image.
    pub fn file_at(&self, layer: Option<usize>, path: &[u8]) -> Result<(EntryPath, Node)> {
        let layer = layer.unwrap_or(self.image.layers.len().saturating_sub(1));
        let fs = self.fs_after(layer)?;
        let r = self.lookup(&fs, path, Follow::All)?;
        let shown = || alloc::format!("/{}", r.path.display());
        let Some(node) = r.node else {
            return Err(Error::request("/ is a directory"));
        };
        let kind = self.image.entry(node.inode_entry).map(|e| e.kind);
        match kind {
            Some(crate::layer::EntryKind::File) => Ok((r.path, node)),
            Some(crate::layer::EntryKind::Dir) => Err(Error::request(alloc::format!(
                "{} is a directory (extract it as a tar instead)",
                shown()
            ))),
            _ => Err(Error::request(alloc::format!(
                "{} is not a regular file",
                shown()
            ))),
        }
    }

    /// Copies the contents of file `r` to `out`; returns the bytes copied.
    ///
    /// # Errors
    /// A read, decode or write failure; cancelled.
    pub fn copy_file<W: Write + ?Sized>(
        &mut self,
        r: EntryRef,
        out: &mut W,
        progress: &mut dyn Progress,
    ) -> Result<u64> {
        let size = self.image.entry(r).map_or(0, |e| e.size);
        let reader = open_content(self.archive.source_mut(), &self.image, r, 0, size, progress)?;
        let mut reader = WithProgress::new(reader, size, r.layer as usize, progress);
        let n = std::io::copy(&mut reader, out).map_err(|e| {
            if e.get_ref().is_some_and(|i| i.is::<crate::Cancelled>()) {
                Error::from(e)
            } else if e.kind() == std::io::ErrorKind::BrokenPipe {
                Error::new(crate::ErrorKind::Write(e))
            } else {
                Error::from(e)
            }
        })?;
        if n != size {
            return Err(Error::request(alloc::format!(
                "the layer ended after {n} of the file's {size} bytes"
            ))
            .in_layer(r.layer as usize));
        }
        Ok(n)
    }

    /// Bytes `[offset, offset + len)` of file `r` (a viewer's page).
    ///
    /// # Errors
    /// As [`read_content`].
    pub fn read_file(
        &mut self,
        r: EntryRef,
        offset: u64,
        len: u64,
        progress: &mut dyn Progress,
    ) -> Result<Vec<u8>> {
        read_content(
            self.archive.source_mut(),
            &self.image,
            r,
            offset,
            len,
            progress,
        )
    }

    /// The sha256 of file `r`'s contents, streamed.
    ///
    /// # Errors
    /// As [`Analysis::copy_file`].
    pub fn file_digest(&mut self, r: EntryRef, progress: &mut dyn Progress) -> Result<Digest> {
        struct HashWrite(Hasher);
        impl Write for HashWrite {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.update(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut h = HashWrite(Hasher::new());
        self.copy_file(r, &mut h, progress)?;
        Ok(h.0.finish())
    }

    /// The plan of a tar of `path` (a file or a subtree, symlinked parents followed, the path
    /// itself not) as it is after `layer`: `export` limited to the path. Returns the real
    /// path too.
    ///
    /// # Errors
    /// No such layer or path.
    pub fn extract_plan(&self, layer: usize, path: &[u8]) -> Result<(EntryPath, LayerPlan)> {
        let fs = self.fs_after(layer)?;
        let r = self.lookup(&fs, path, Follow::Parents)?;
        let model = Model::new(&self.image, &fs, &self.changes[..=layer]);
        let plan = plan_subtree(model, &r.path);
        Ok((r.path, plan))
    }

    /// Every path that differs between the filesystem after `from` and the one after `to`
    /// (`None`: the empty filesystem), from the change sets of the layers between.
    ///
    /// # Errors
    /// No such layer.
    pub fn range_diff(&self, from: Option<usize>, to: Option<usize>) -> Result<RangeDiff> {
        // Either layer must exist (`fs_after` says so in its words).
        for l in [from, to].into_iter().flatten() {
            if l >= self.image.layers.len() {
                self.fs_after(l)?;
            }
        }
        // `None` (empty) sorts below every layer.
        if from > to {
            return Ok(self.range_diff(to, from)?.reversed());
        }
        let Some(last) = to.filter(|_| from != to) else {
            return Ok(RangeDiff {
                from: from.map(|l| l as u32),
                to: to.map(|l| l as u32),
                changes: Vec::new(),
            });
        };
        let first = from.map_or(0, |f| f + 1);
        let after = self.fs_after(last)?;
        Ok(RangeDiff::of_layers(
            &self.changes,
            &after,
            |r| self.image.entry(r),
            first,
            last,
        ))
    }

    /// How file `new` differs from file `old` (either absent: an empty file), both read
    /// whole (at most [`MAX_COMPARED`] bytes each).
    ///
    /// # Errors
    /// Too large, a read failure, cancelled.
    pub fn content_diff(
        &mut self,
        old: Option<EntryRef>,
        new: Option<EntryRef>,
        progress: &mut dyn Progress,
    ) -> Result<ContentDiff> {
        let old = self.whole(old, progress)?;
        let new = self.whole(new, progress)?;
        Ok(diff_contents(&old, &new))
    }

    fn whole(&mut self, r: Option<EntryRef>, progress: &mut dyn Progress) -> Result<Vec<u8>> {
        let Some(r) = r else { return Ok(Vec::new()) };
        let size = self.image.entry(r).map_or(0, |e| e.size);
        if size > MAX_COMPARED {
            return Err(Error::request(alloc::format!(
                "a version of {size} bytes is too large to compare (at most {MAX_COMPARED})"
            )));
        }
        let mut out = Vec::with_capacity(size as usize);
        let mut reader =
            open_content(self.archive.source_mut(), &self.image, r, 0, size, progress)?;
        reader.read_to_end(&mut out).map_err(Error::from)?;
        Ok(out)
    }

    /// Emits `parts` (of a plan of this analysis, or [`content_parts`]) into `sink`.
    ///
    /// # Errors
    /// As [`emit_parts_into`].
    pub async fn emit_parts<K: SquashSink + ?Sized>(
        &mut self,
        parts: &Parts,
        sink: &mut K,
        progress: &mut dyn Progress,
    ) -> Result<()> {
        emit_parts_into(
            self.archive.source_mut(),
            &self.image,
            parts,
            sink,
            progress,
        )
        .await
    }

    /// The contents of file `r` as parts (a download built like the squash output).
    pub fn content_parts(&self, r: EntryRef) -> Parts {
        content_parts(&self.image, r)
    }

    /// The history as Dockerfile instructions, each linked to its layer or marked empty.
    pub fn dockerfile(&self) -> Vec<Instruction> {
        instructions(&self.image.config, self.image.layers.len())
    }
}

/// Largest version [`Analysis::content_diff`] reads into memory.
pub const MAX_COMPARED: u64 = 64 << 20;
