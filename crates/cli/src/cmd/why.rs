//! `layerlens why IMAGE PATH`: the path's history across layers, and what its past versions
//! still cost.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use layerlens_core::analysis::timeline::Timeline;
use layerlens_core::fs::{ChangeKind, Removal};
use layerlens_core::sanitize::{display_bytes, display_text};

use crate::args::WhyArgs;
use crate::input::Needs;
use crate::open::{deep_scan, display, load};
use crate::progress::Bar;
use crate::render::table::{ellipsize, size};

pub fn run(args: &WhyArgs) -> Result<ExitCode> {
    let mut bar = Bar::new();
    let needs = if args.deep {
        Needs::Contents
    } else {
        Needs::Headers
    };
    let mut l = load(&args.image, needs, &mut bar)?;
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
    writeln!(out, "  {}", display_text(&summary(&t)))?;
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

/// One line: `added in L2 by RUN … (1.2 MB) → modified in L5 (mode) → deleted in L7
/// (still shipped: 120 MB)`.
fn summary(t: &Timeline) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in &t.events {
        let mut s = match e.kind {
            ChangeKind::Added => format!("added in L{}", e.layer),
            ChangeKind::Readded => format!("written again unchanged in L{}", e.layer),
            ChangeKind::Modified(d) => {
                format!("modified in L{} ({})", e.layer, d.names().join(", "))
            }
            ChangeKind::Removed(by) => {
                let how = match by {
                    Removal::Whiteout => "deleted",
                    Removal::Opaque => "hidden by an opaque directory",
                    Removal::Replaced => "replaced",
                };
                match &e.via {
                    Some(v) => format!("{how} in L{} with {v}/", e.layer),
                    None => format!("{how} in L{}", e.layer),
                }
            }
        };
        if !e.step.is_empty() && e.kind == ChangeKind::Added {
            s.push_str(&format!(" by `{}`", ellipsize(&e.step, 60)));
        }
        if e.size > 0 {
            s.push_str(&format!(" ({})", size(e.size)));
        }
        if e.same_content == Some(true) {
            s.push_str(" [same bytes]");
        }
        parts.push(s);
    }
    let mut line = parts.join(" → ");
    if t.dead_bytes > 0 {
        line.push_str(&format!(" (still shipped: {})", size(t.dead_bytes)));
    }
    line
}
