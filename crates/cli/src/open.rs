//! Opening the archive named on the command line and loading the chosen image.

use std::path::Path;

use anyhow::{Context, Result};
use layerlens_core::analysis::deep::{deep_scan, ContentHashes};
use layerlens_core::analysis::dive::DiveTally;
use layerlens_core::analysis::findings::FindingOptions;
use layerlens_core::analysis::WasteReport;
use layerlens_core::archive::{Archive, Selector};
use layerlens_core::fs::{ChangeSet, UnionFs};
use layerlens_core::image::Image;
use layerlens_core::layer::IndexOptions;

use crate::args::ImageArgs;
use crate::input::{self, Input};
use crate::progress::Bar;

/// The archive (or image directory) as the core reads it.
pub type FileArchive = Archive<Input>;

/// An opened archive, the chosen image, and its union filesystem.
pub struct Loaded {
    pub archive: FileArchive,
    pub which: usize,
    pub image: Image,
    pub fs: UnionFs,
    pub changes: Vec<ChangeSet>,
}

impl Loaded {
    /// The deep scan's content hashes when `deep` is asked for (`analyze`, `ci`, `why`).
    pub fn deep_scan(
        &mut self,
        deep: bool,
        args: &ImageArgs,
        bar: &mut Bar,
    ) -> Result<Option<ContentHashes>> {
        if !deep {
            return Ok(None);
        }
        let hashes = deep_scan(self.archive.source_mut(), &self.image, &self.changes, bar)
            .with_context(|| format!("deep scan of {}", display(&args.image)))?;
        Ok(Some(hashes))
    }

    /// The waste report, from dive's tally computed beside the union build.
    pub fn waste(&self, tally: DiveTally, hashes: Option<&ContentHashes>) -> WasteReport {
        WasteReport::with_tally(
            tally,
            &self.image,
            &self.fs,
            &self.changes,
            hashes,
            &FindingOptions::default(),
        )
    }
}

pub fn load(args: &ImageArgs, bar: &mut Bar) -> Result<Loaded> {
    let (archive, which, image) = open_image(args, bar)?;
    let (fs, changes) = UnionFs::build(image.indexes());
    Ok(Loaded {
        archive,
        which,
        image,
        fs,
        changes,
    })
}

/// [`load`], running `beside` on the indexed image on another thread while the union
/// filesystem is built (the two take about as long on a large image).
pub fn load_with<T: Send>(
    args: &ImageArgs,
    bar: &mut Bar,
    beside: impl FnOnce(&Image) -> T + Send,
) -> Result<(Loaded, T)> {
    let (archive, which, image) = open_image(args, bar)?;
    let (fs, changes, side) = std::thread::scope(|s| {
        let side = s.spawn(|| beside(&image));
        let (fs, changes) = UnionFs::build(image.indexes());
        let side = side
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (fs, changes, side)
    });
    let loaded = Loaded {
        archive,
        which,
        image,
        fs,
        changes,
    };
    Ok((loaded, side))
}

/// Opens the archive, selects the image and indexes its layers.
fn open_image(args: &ImageArgs, bar: &mut Bar) -> Result<(FileArchive, usize, Image)> {
    let path = &args.image;
    let what = || display(path);
    let limits = args.limits.to_limits();
    let source = input::open(path, &limits)?;
    let mut archive = Archive::open(source, limits, bar).with_context(what)?;
    let sel = Selector {
        image: args.select.clone(),
        platform: args.platform.clone(),
    };
    let which = archive.select(&sel).with_context(what)?;
    let options = IndexOptions {
        limits,
        hash_compressed: false,
    };
    let image = Image::load(&mut archive, which, &options, bar).with_context(what)?;
    Ok((archive, which, image))
}

/// A file name as messages show it (escaped like names from archives).
pub fn display(path: &Path) -> String {
    layerlens_core::sanitize::display_text(&path.display().to_string())
}
