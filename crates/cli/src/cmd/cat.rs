//! `layerlens cat IMAGE PATH [--layer N]`: a file's bytes, as they are after a layer, on
//! standard output.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::args::CatArgs;
use crate::input::Needs;
use crate::open::{display, load};
use crate::progress::Bar;

pub fn run(args: &CatArgs) -> Result<ExitCode> {
    let mut bar = Bar::new();
    let mut l = load(&args.image, Needs::Contents, &mut bar)?;
    let what = || display(&args.image.image);
    let layer = args.layer.as_deref().map(|s| l.layer(s)).transpose()?;
    let (_, node) = l.file_at(layer, args.path.as_bytes()).with_context(what)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    l.copy_file(node.inode_entry, &mut out, &mut bar)
        .with_context(what)?;
    bar.finish();
    out.flush().context("writing to standard output")?;
    Ok(ExitCode::SUCCESS)
}
