//! `layerlens export`: the final filesystem as one tar, streamed.

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::args::ExportArgs;
use crate::input::Needs;
use crate::open::{display, load};
use crate::output::{Destination, WriteOptions};
use crate::progress::Bar;

pub fn run(args: &ExportArgs) -> Result<ExitCode> {
    // Checked before the input is read: a refusal costs nothing.
    let dest = Destination::resolve(&args.output, &args.image.image)?;
    let mut bar = Bar::new();
    let mut l = load(&args.image, Needs::Contents, &mut bar)?;
    let plan = l.export_plan();
    let total = plan.parts.len();
    let write = WriteOptions {
        space_check: !args.write.no_space_check,
    };
    let mut out = dest.create(total, write)?;
    l.write_parts(&plan.parts, &mut out, &mut bar)
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
