//! `layerlens why IMAGE PATH`: the path's history across layers, and what its past versions
//! still cost.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use layerlens_core::fs::ChangeKind;
use layerlens_core::sanitize::{display_bytes, display_text};

use crate::args::WhyArgs;
use crate::open::{deep_scan, display, load};
use crate::progress::Bar;
use crate::render::table::{ellipsize, size};

pub fn run(args: &WhyArgs) -> Result<ExitCode> {
    let mut bar = Bar::new();
    let mut l = load(&args.image, &mut bar)?;
    deep_scan(&mut l, args.deep, &args.image, &mut bar)?;
    bar.finish();
    let Some(t) = l.timeline(args.path.as_bytes()) else {
        bail!(
            "no layer of {} has {}",
            display(&args.image.image),
            display_bytes(args.path.as_bytes())
        );
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        serde_json::to_writer(&mut out, &t).context("writing JSON")?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "/{}", t.path)?;
    writeln!(out, "  {}", display_text(&t.summary()))?;
    writeln!(
        out,
        "  {} in the final image{}; {} shipped in all layers, {} of it dead{}",
        if t.present { "present" } else { "absent" },
        if t.present {
            format!(" ({})", size(t.final_bytes))
        } else {
            String::new()
        },
        size(t.shipped_bytes),
        size(t.dead_bytes),
        if t.is_dir { " (whole subtree)" } else { "" }
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:>3}  {:<28}  {:>9}  {:>6}  {:>11}  STEP",
        "L", "CHANGE", "SIZE", "MODE", "OWNER"
    )?;
    for e in &t.events {
        let what = match e.kind {
            ChangeKind::Added => "added".to_string(),
            ChangeKind::Readded => "written again, unchanged".to_string(),
            ChangeKind::Modified(d) => format!("modified: {}", d.names().join(",")),
            ChangeKind::Removed(by) => match &e.via {
                Some(v) => format!("removed ({by}, with {v}/)"),
                None => format!("removed ({by})"),
            },
        };
        let what = match e.same_content {
            Some(true) => format!("{what} [same bytes]"),
            Some(false) => format!("{what} [new bytes]"),
            None => what,
        };
        let kind = e.entry_kind.map(String::from).unwrap_or_default();
        writeln!(
            out,
            "{:>3}  {:<28}  {:>9}  {:>6}  {:>11}  {}{}",
            e.layer,
            ellipsize(
                &format!(
                    "{what}{}",
                    if kind.is_empty() {
                        String::new()
                    } else {
                        format!(" {kind}")
                    }
                ),
                28
            ),
            if e.entry_kind.is_some() {
                size(e.size)
            } else {
                String::new()
            },
            e.mode.map(|m| format!("{m:04o}")).unwrap_or_default(),
            match (e.uid, e.gid) {
                (Some(u), Some(g)) => format!("{u}:{g}"),
                _ => String::new(),
            },
            ellipsize(&display_bytes(e.step.as_bytes()), 70),
            if e.current { "  ← current" } else { "" }
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
