//! `layerlens squash`: plan, show the savings, write the docker-archive.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use layerlens_core::squash::{Compress, Format, SquashOptions, SquashPlan};

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
    // Checked before the input is read too.
    let format = Format::parse(&args.format)?;
    let compress = Compress::parse(&args.compress, args.compress_level)?;
    let source_date_epoch = match args.source_date_epoch {
        Some(n) => Some(n),
        None => match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(v) if !v.is_empty() => Some(v.trim().parse::<i64>().map_err(|_| {
                anyhow!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds since 1970")
            })?),
            _ => None,
        },
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
        drop: args.drop.clone(),
        source_date_epoch,
        format,
        compress,
    };
    let mut plan = l
        .squash_plan(&options)
        .with_context(|| display(&args.image.image))?;
    if compress != Compress::None {
        l.estimate_squash(&mut plan, ESTIMATE_SAMPLE)
            .context("estimating the compressed size of the new layer")?;
    }
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
    if !plan.archive_size_exact {
        // The core checked the size against what it measured in its first pass.
        out.replan(written.size);
    } else if written.size != plan.archive_size {
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
    if compress != Compress::None {
        eprintln!(
            "new layer: {} compressed ({} bytes, blob {}; {} uncompressed)",
            size(written.layer.size),
            written.layer.size,
            written.layer.digest,
            size(plan.layer_size)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Bytes of the new layer compressed to estimate its compressed size before writing.
const ESTIMATE_SAMPLE: u64 = 8 << 20;

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
    if plan.compress != Compress::None {
        writeln!(
            out,
            "  compressed     {:>10}  (estimate: {:?} of the first {} of the new layer)",
            format!("~{}", size(plan.layer_blob_size)),
            plan.compress,
            size(ESTIMATE_SAMPLE.min(plan.layer_size))
        )?;
    }
    writeln!(
        out,
        "  output archive {:>10}  ({}{} bytes, {}; input {})",
        if plan.archive_size_exact {
            size(plan.archive_size)
        } else {
            format!("~{}", size(plan.archive_size))
        },
        if plan.archive_size_exact {
            ""
        } else {
            "about "
        },
        plan.archive_size,
        match plan.format {
            Format::Docker => "docker-archive",
            Format::Oci => "oci-archive",
        },
        size(plan.input_archive_size)
    )?;
    if let Some(e) = plan.source_date_epoch {
        writeln!(
            out,
            "  SOURCE_DATE_EPOCH {e}: created {}, {} mtimes clamped",
            plan.created.as_deref().unwrap_or("-"),
            l.mtimes_clamped
        )?;
    }
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
    if let Some(d) = &l.dropped {
        print_dropped(out, d)?;
    }
    Ok(())
}

/// Paths listed per pattern before "… and N more" (`--json` lists them all).
const LIST: usize = 20;

fn print_dropped(out: &mut impl Write, d: &layerlens_core::squash::Dropped) -> std::io::Result<()> {
    writeln!(out, "Dropped (--drop):")?;
    for (i, t) in d.patterns.iter().enumerate() {
        writeln!(
            out,
            "  {:<36} {:>12}  ({} entries, {} content{})",
            t.pattern,
            signed(t.bytes as i64),
            t.paths,
            size(t.content),
            if t.hidden > 0 {
                format!(
                    "; {} paths of kept layers hidden, bytes stay there",
                    t.hidden
                )
            } else {
                String::new()
            }
        )?;
        let mine = d
            .paths
            .iter()
            .chain(&d.hidden)
            .filter(|p| p.pattern == i)
            .collect::<Vec<_>>();
        for p in mine.iter().take(LIST) {
            writeln!(
                out,
                "    {} (layer {}{})",
                p.path,
                p.layer,
                if p.bytes == 0 { ", hidden" } else { "" }
            )?;
        }
        if mine.len() > LIST {
            writeln!(
                out,
                "    … and {} more (--json lists all)",
                mine.len() - LIST
            )?;
        }
    }
    if d.links_repointed + d.links_materialised > 0 {
        writeln!(
            out,
            "  hardlinks to dropped paths: {} re-pointed to another path of their inode, {} \
             written as regular files",
            d.links_repointed, d.links_materialised
        )?;
    }
    Ok(())
}
