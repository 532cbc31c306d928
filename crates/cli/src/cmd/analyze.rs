//! `layerlens analyze`: a readable summary, or the whole model as JSON.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use layerlens_core::dive::DiveTally;
use layerlens_core::document::write_analyze_json;
use layerlens_core::sanitize::{display_bytes, display_text};

use crate::args::AnalyzeArgs;
use crate::input::Needs;
use crate::open::{deep_scan, display, load_with};
use crate::progress::Bar;
use crate::render::table::{ellipsize, size, step};
use crate::render::waste;

pub fn run(args: &AnalyzeArgs) -> Result<ExitCode> {
    let mut bar = Bar::new();
    let needs = if args.verify || args.deep {
        Needs::Contents
    } else {
        Needs::Headers
    };
    let (l, tally) = load_with(&args.image, needs, &mut bar, |image| {
        (!args.no_waste).then(|| DiveTally::new(image))
    })?;
    // Freeing every path of a large image takes longer than the process's exit does.
    let l = Box::leak(Box::new(l));
    let verified = if args.verify {
        Some(
            l.verify(&mut bar)
                .with_context(|| format!("verifying {}", display(&args.image.image)))?,
        )
    } else {
        None
    };
    deep_scan(l, args.deep, &args.image, &mut bar)?;
    bar.finish();
    let report = tally.map(|tally| l.waste(Some(tally)));
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
        write_analyze_json(
            &mut out,
            display(&args.image.image),
            l,
            verified.as_deref(),
            report.as_ref(),
        )
        .context("writing JSON")?;
        writeln!(out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let img = l.image();
    let fs = l.final_fs();
    writeln!(
        out,
        "Image     {}",
        display_bytes(img.display_tags().as_bytes())
    )?;
    writeln!(out, "ID        {}", img.id)?;
    writeln!(out, "Platform  {}", display_text(&img.config.platform()))?;
    writeln!(
        out,
        "Archive   {}{}",
        l.archive().format().describe(),
        if l.archive().images().len() > 1 {
            format!(
                " ({} images; this is image {})",
                l.archive().images().len(),
                l.which()
            )
        } else {
            String::new()
        }
    )?;
    let stored: u64 = img.stored_size();
    let tar: u64 = img.tar_size();
    writeln!(
        out,
        "Size      {} in {} layers ({} uncompressed); final filesystem {} in {} files, {} paths",
        size(stored),
        img.layers.len(),
        size(tar),
        size(fs.size),
        fs.files,
        fs.entries
    )?;
    if let Some(v) = &verified {
        writeln!(
            out,
            "Verified  all {} diff_ids and blob digests match",
            v.len()
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:>3}  {:>9}  {:>7}  {:>6}  {:>6}  {:>6}  {:>9}  {:<12}  STEP",
        "#", "SIZE", "ENTRIES", "ADDED", "MODIF", "REMOVED", "HIDES", "DIFF_ID"
    )?;
    for (layer, cs) in img.layers.iter().zip(l.changes()) {
        let c = cs.counts();
        let created_by = layer
            .history
            .as_ref()
            .and_then(|h| h.created_by.as_deref())
            .map(step)
            .unwrap_or_default();
        writeln!(
            out,
            "{:>3}  {:>9}  {:>7}  {:>6}  {:>6}  {:>6}  {:>9}  {:<12}  {}",
            layer.position,
            size(layer.index.tar_size),
            layer.index.entries.len(),
            c.added,
            c.modified,
            c.removed,
            size(cs.hidden_size()),
            layer.diff_id.short(),
            ellipsize(&display_bytes(created_by.as_bytes()), 80)
        )?;
    }
    let notices: usize = img.layers.iter().map(|l| l.index.notices.len()).sum();
    let anomalies: usize = l.changes().iter().map(|c| c.anomalies.len()).sum();
    if notices + anomalies > 0 {
        writeln!(
            out,
            "\n{notices} notices and {anomalies} anomalies (odd entries); see --json for details"
        )?;
    }
    if let Some(report) = &report {
        writeln!(out)?;
        waste::figures(&mut out, report)?;
        waste::findings(&mut out, &report.findings, args.findings)?;
    }
    Ok(ExitCode::SUCCESS)
}
