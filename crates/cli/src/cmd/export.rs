//! `layerlens export`: the final filesystem as one tar, streamed.

use std::process::ExitCode;

use anyhow::{Context, Result};
use layerlens_core::squash::{plan_layer, write_parts, LayerOptions};

use crate::args::ExportArgs;
use crate::open::{display, load};
use crate::output::{Destination, WriteOptions};
use crate::progress::Bar;

pub fn run(args: &ExportArgs) -> Result<ExitCode> {
    // Checked before the input is read: a refusal costs nothing.
    let dest = Destination::resolve(&args.output, &args.image.image)?;
    let mut bar = Bar::new();
    let mut l = load(&args.image, &mut bar)?;
    let plan = plan_layer(
        &l.image,
        0,
        &l.fs,
        &l.changes,
        LayerOptions { whiteouts: false },
    );
    let total = plan.parts.len();
    let write = WriteOptions {
        space_check: !args.write.no_space_check,
    };
    let mut out = dest.create(total, write)?;
    write_parts(
        l.archive.source_mut(),
        &l.image,
        &plan.parts,
        &mut out,
        None,
        &mut bar,
        (0, total),
    )
    .with_context(|| format!("exporting {}", display(&args.image.image)))?;
    out.commit()?;
    bar.finish();
    if !dest.is_stdout() {
        eprintln!(
            "wrote {} ({} bytes, {} entries)",
            dest.display(),
            total,
            plan.entries
        );
    }
    Ok(ExitCode::SUCCESS)
}
