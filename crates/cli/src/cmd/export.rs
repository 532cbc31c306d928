//! `layerlens export`: the final filesystem as one tar, streamed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::args::ExportArgs;
use crate::open::{display, load};
use crate::progress::Bar;

pub fn run(args: &ExportArgs) -> Result<ExitCode> {
    let mut bar = Bar::new();
    let mut l = load(&args.image, &mut bar)?;
    let plan = l.export_plan();
    let total = plan.parts.len();
    let to_stdout = args.output.as_os_str() == "-";
    let mut out: Box<dyn Write> = if to_stdout {
        Box::new(BufWriter::with_capacity(1 << 20, std::io::stdout().lock()))
    } else {
        let f = File::create(&args.output)
            .with_context(|| format!("cannot create {}", display(&args.output)))?;
        Box::new(BufWriter::with_capacity(1 << 20, f))
    };
    l.write_parts(&plan.parts, &mut out, &mut bar)
        .with_context(|| format!("exporting {}", display(&args.image.image)))?;
    out.flush()
        .with_context(|| format!("writing {}", display(&args.output)))?;
    bar.finish();
    if !to_stdout {
        eprintln!(
            "wrote {} ({} bytes, {} entries)",
            display(&args.output),
            total,
            plan.entries
        );
    }
    Ok(ExitCode::SUCCESS)
}
