//! Opening the archive named on the command line as an [`Analysis`].

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};
use layerlens_core::archive::Selector;
use layerlens_core::{Analysis, ImagePick, Indexed, SeekSource};

use crate::args::ImageArgs;
use crate::progress::Bar;

/// An analysed image read from a file.
pub type Loaded = Analysis<SeekSource<File>>;

/// Opens and analyses the image the arguments name.
pub fn load(args: &ImageArgs, bar: &mut Bar) -> Result<Loaded> {
    Ok(open(args, bar)?.analyse())
}

/// [`load`], running `beside` on the indexed image on another thread while the union
/// filesystem is built (the two take about as long on a large image).
pub fn load_with<T: Send>(
    args: &ImageArgs,
    bar: &mut Bar,
    beside: impl FnOnce(&layerlens_core::image::Image) -> T + Send,
) -> Result<(Loaded, T)> {
    let indexed = open(args, bar)?;
    let (union, side) = std::thread::scope(|s| {
        let side = s.spawn(|| beside(indexed.image()));
        let union = indexed.build_union();
        let side = side
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (union, side)
    });
    Ok((indexed.with_union(union), side))
}

/// Runs the deep scan when `deep` is asked for (`analyze`, `ci`, `why`).
pub fn deep_scan(l: &mut Loaded, deep: bool, args: &ImageArgs, bar: &mut Bar) -> Result<()> {
    if deep {
        l.deep_scan(bar)
            .with_context(|| format!("deep scan of {}", display(&args.image)))?;
    }
    Ok(())
}

/// Opens the archive, selects the image and indexes its layers.
fn open(args: &ImageArgs, bar: &mut Bar) -> Result<Indexed<SeekSource<File>>> {
    let path = &args.image;
    let what = || format!("{}", path.display());
    let file = File::open(path).with_context(|| format!("cannot open {}", what()))?;
    let pick = ImagePick::Select(Selector {
        image: args.select.clone(),
        platform: args.platform.clone(),
    });
    Indexed::open(SeekSource::new(file), &pick, args.limits.to_limits(), bar).with_context(what)
}

pub fn display(path: &Path) -> String {
    path.display().to_string()
}
