//! Opening the archive named on the command line and loading the chosen image.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};
use layerlens_core::archive::{Archive, Selector};
use layerlens_core::fs::{ChangeSet, UnionFs};
use layerlens_core::image::Image;
use layerlens_core::layer::IndexOptions;
use layerlens_core::SeekSource;

use crate::args::ImageArgs;
use crate::progress::Bar;

/// The archive as the core reads it.
pub type FileArchive = Archive<SeekSource<File>>;

/// An opened archive, the chosen image, and its union filesystem.
pub struct Loaded {
    pub archive: FileArchive,
    pub which: usize,
    pub image: Image,
    pub fs: UnionFs,
    pub changes: Vec<ChangeSet>,
}

pub fn load(args: &ImageArgs, bar: &mut Bar) -> Result<Loaded> {
    Ok(load_with(args, bar, |_| ())?.0)
}

/// [`load`], running `beside` on the indexed image on another thread while the union
/// filesystem is built (the two take about as long on a large image).
pub fn load_with<T: Send>(
    args: &ImageArgs,
    bar: &mut Bar,
    beside: impl FnOnce(&Image) -> T + Send,
) -> Result<(Loaded, T)> {
    let path = &args.image;
    let what = || format!("{}", path.display());
    let file = File::open(path).with_context(|| format!("cannot open {}", what()))?;
    let limits = args.limits.to_limits();
    let mut archive = Archive::open(SeekSource::new(file), limits, bar).with_context(what)?;
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

pub fn display(path: &Path) -> String {
    path.display().to_string()
}
