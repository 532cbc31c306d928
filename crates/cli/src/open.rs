//! Opening the archive named on the command line as an [`Analysis`].

use std::path::Path;

use anyhow::{Context, Result};
use layerlens_core::archive::Selector;
use layerlens_core::{Analysis, ImagePick, Indexed};

use crate::args::ImageArgs;
use crate::input::{self, Input, Needs, Opening};
use crate::progress::Bar;

/// An analysed image read from a file or an image directory.
pub type Loaded = Analysis<Input>;

/// Opens and analyses the image the arguments name, reading what `needs` says.
pub fn load(args: &ImageArgs, needs: Needs, bar: &mut Bar) -> Result<Loaded> {
    Ok(open(args, needs, bar)?.analyse())
}

/// [`load`], running `beside` on the indexed image on another thread while the union
/// filesystem is built (the two take about as long on a large image).
pub fn load_with<T: Send>(
    args: &ImageArgs,
    needs: Needs,
    bar: &mut Bar,
    beside: impl FnOnce(&layerlens_core::image::Image) -> T + Send,
) -> Result<(Loaded, T)> {
    let indexed = open(args, needs, bar)?;
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

/// Opens the archive, selects the image and indexes its layers (a pipe in one pass when only
/// headers are needed).
fn open(args: &ImageArgs, needs: Needs, bar: &mut Bar) -> Result<Indexed<Input>> {
    let path = &args.image;
    let what = || display(path);
    let limits = args.limits.to_limits();
    let pick = ImagePick::Select(Selector {
        image: args.select.clone(),
        platform: args.platform.clone(),
    });
    match input::open(path, &limits, needs)? {
        Opening::Seekable(source) => {
            Indexed::open_indexing(source, &pick, limits, bar, crate::parallel::index_blobs)
        }
        Opening::Stream(pipe) => Indexed::open_piped(pipe, &pick, limits, bar, Input::Piped),
    }
    .with_context(what)
}

/// A file name as messages show it (escaped like names from archives).
pub fn display(path: &Path) -> String {
    layerlens_core::sanitize::display_text(&path.display().to_string())
}
