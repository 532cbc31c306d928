//! `layerlens extract IMAGE PATH -o OUT.tar [--layer N]`: a file or a subtree as it is after
//! a layer, as one plain tar (`export` limited to PATH), written whole or not at all.

use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::args::ExtractArgs;
use crate::input::Needs;
use crate::open::{display, load};
use crate::output::{Destination, WriteOptions};
use crate::progress::Bar;

pub fn run(args: &ExtractArgs) -> Result<ExitCode> {
    // Checked before the input is read: a refusal costs nothing.
    let dest = Destination::resolve(&args.output, &args.image.image)?;
    let mut bar = Bar::new();
    let mut l = load(&args.image, Needs::Contents, &mut bar)?;
    let what = || display(&args.image.image);
    let layer = match args.layer.as_deref() {
        Some(s) => l.layer(s)?,
        None => l.image().layers.len().saturating_sub(1),
    };
    let (path, plan) = l
        .extract_plan(layer, args.path.as_bytes())
        .with_context(what)?;
    let total = plan.parts.len();
    let write = WriteOptions {
        space_check: !args.write.no_space_check,
    };
    let mut out = dest.create(total, write)?;
    l.write_parts(&plan.parts, &mut out, &mut bar)
        .with_context(|| format!("extracting /{} from {}", path.display(), what()))?;
    out.commit()?;
    bar.finish();
    if !dest.is_stdout() {
        eprintln!(
            "wrote {} ({} bytes, {} entries of /{} after layer {layer})",
            dest.display(),
            total,
            plan.entries,
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
