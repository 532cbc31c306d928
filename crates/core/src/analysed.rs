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

use alloc::vec::Vec;

use crate::analysis::deep::deep_scan;
use crate::analysis::findings::FindingOptions;
use crate::analysis::timeline::Timeline;
use crate::analysis::WasteReport;
use crate::archive::{Archive, Selector};
use crate::dive::DiveTally;
use crate::error::Result;
use crate::fs::{ChangeSet, FsSummary, UnionFs};
use crate::image::Image;
use crate::image::{verify, LayerDigests};
use crate::layer::EntryRef;
use crate::layer::{Entry, IndexOptions};
use crate::limits::Limits;
use crate::model::{ContentHashes, Model};
use crate::present::label;
use crate::progress::Progress;
use crate::source::Source;
use crate::squash::{
    emit_squash, plan_layer, write_parts, write_squash, LayerOptions, LayerPlan, Parts,
    SquashOptions, SquashPlan, SquashSink, Written,
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

    /// The indexed image.
    pub fn image(&self) -> &Image {
        &self.image
    }
}

impl<S: Source> Indexed<S> {
    /// [`Indexed::open`] for an archive that can be read only once, front to back (a pipe):
    /// the layers are indexed as they stream by ([`crate::archive::Piped`]). The analysis
    /// then answers everything but what needs layer contents again (export, squash, the deep
    /// scan), which fails with a message saying a file is needed. `hold` wraps the kept
    /// bytes ([`crate::archive::Recorded`]) in the host's source type.
    ///
    /// # Errors
    /// As [`Indexed::open`].
    pub fn open_piped(
        input: impl std::io::Read,
        pick: &ImagePick,
        limits: Limits,
        progress: &mut dyn Progress,
        hold: impl FnOnce(crate::archive::Recorded) -> S,
    ) -> Result<Self> {
        let options = IndexOptions { limits };
        let crate::archive::Piped {
            mut archive,
            mut indexes,
        } = Archive::read_piped(input, &options, progress, hold)?;
        let which = pick.position(&archive)?;
        let image = Image::load_piped(&mut archive, which, &options, &mut indexes)?;
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

    /// The overview and layer table of the page.
    pub fn summary(&self) -> ImageSummary {
        let choices = self
            .archive
            .images()
            .iter()
            .enumerate()
            .map(|(index, r)| ImageChoice {
                index,
                label: label(&r.tags),
                platform: r.platform.clone(),
                layers: r.layers.len(),
            })
            .collect();
        ImageSummary::new(
            self.model(),
            choices,
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

    /// The waste report (with the deep scan's hashes if it has run). `tally` is dive's
    /// tally if the host computed it beside the union build; otherwise it is computed here.
    pub fn waste(&self, tally: Option<DiveTally>) -> WasteReport {
        WasteReport::with_tally(
            tally.unwrap_or_else(|| DiveTally::new(&self.image)),
            self.model(),
            &FindingOptions::default(),
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
}
