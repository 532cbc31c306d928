//! `layerlens squash`: plan, show the savings, write the docker-archive.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use layerlens_core::squash::{SquashOptions, SquashPlan};

use crate::args::SquashArgs;
use crate::input::Needs;
use crate::open::{display, load};
use crate::output::{Destination, WriteOptions};
use crate::progress::Bar;
use crate::render::table::{signed, size};

pub fn run(args: &SquashArgs) -> Result<ExitCode> {
    // Checked before the input is read: a refusal costs nothing.
    let dest = match (&args.output, args.dry_run) {
        (Some(o), false) => Some(Destination::resolve(o, &args.image.image)?),
        (None, false) => bail!("--output is required unless --dry-run"),
        (_, true) => None,
    };
    let mut bar = Bar::new();
    let mut l = load(&args.image, Needs::Contents, &mut bar)?;
    let from = match args.from.as_deref() {
        Some(f) => l.layer(f).map_err(|e| anyhow!("--from {f}: {e}"))?,
        None => 0,
    };
    let options = SquashOptions {
        from,
        tags: (!args.tags.is_empty()).then(|| args.tags.clone()),
        created: args.created.clone(),
    };
    let plan = l
        .squash_plan(&options)
        .with_context(|| display(&args.image.image))?;
    // With the archive on standard output, the plan goes to standard error.
    let mut report: Box<dyn Write> = match &dest {
        Some(d) if d.is_stdout() => Box::new(std::io::stderr().lock()),
        _ => Box::new(std::io::stdout().lock()),
    };
    if args.json {
        serde_json::to_writer(&mut report, &plan)?;
        writeln!(report)?;
    } else {
        print_plan(&mut report, &plan)?;
    }
    report.flush()?;
    drop(report);
    let Some(dest) = dest else {
        return Ok(ExitCode::SUCCESS);
    };
    let write = WriteOptions {
        space_check: !args.write.no_space_check,
    };
    let mut out = dest.create(plan.archive_size, write)?;
    let written = l
        .write_squash(&plan, &mut out, &mut bar)
        .with_context(|| format!("squashing {}", display(&args.image.image)))?;
    if written.size != plan.archive_size {
        bail!(
            "internal error: planned {} bytes but wrote {}",
            plan.archive_size,
            written.size
        );
    }
    out.commit()?;
    bar.finish();
    eprintln!(
        "wrote {} ({} bytes): image {} with new layer {}",
        dest.display(),
        written.size,
        written.image_id,
        written.diff_id
    );
    Ok(ExitCode::SUCCESS)
}

fn print_plan(out: &mut impl Write, plan: &SquashPlan) -> std::io::Result<()> {
    let s = &plan.savings;
    let l = &plan.layer;
    writeln!(
        out,
        "Squash {} layers (from layer {}) into one; keep {} layer{} byte-identical",
        plan.squashed,
        plan.kept,
        plan.kept,
        if plan.kept == 1 { "" } else { "s" }
    )?;
    writeln!(
        out,
        "  new layer      {:>10}  ({} entries, {} whiteouts, {} hardlinks turned into files)",
        size(plan.layer_size),
        l.entries,
        l.whiteouts,
        l.links_materialised
    )?;
    writeln!(
        out,
        "  replaces       {:>10}  (uncompressed tar of the squashed layers)",
        size(l.input_size)
    )?;
    writeln!(
        out,
        "  output archive {:>10}  ({} bytes; input {})",
        size(plan.archive_size),
        plan.archive_size,
        size(plan.input_archive_size)
    )?;
    writeln!(out, "Savings by cause (bytes of uncompressed tar):")?;
    let rows: [(&str, i64); 8] = [
        ("deleted in a later layer", s.deleted as i64),
        ("overwritten by a later layer", s.overwritten as i64),
        ("hidden by an opaque directory", s.opaque as i64),
        (
            "whiteout markers no longer needed",
            s.whiteout_markers as i64,
        ),
        ("tar overhead of removed entries", s.tar_overhead as i64),
        ("end-of-archive blocks", s.trailers),
        ("rewritten entries (old bytes)", s.rewritten as i64),
        ("new headers and copied content", -(s.added as i64)),
    ];
    for (what, v) in rows {
        if v != 0 {
            writeln!(out, "  {what:<36} {:>12}", signed(v))?;
        }
    }
    writeln!(out, "  {:<36} {:>12}", "total", signed(s.total()))?;
    Ok(())
}
