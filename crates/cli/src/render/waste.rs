//! The waste section shared by `analyze` and `ci`: dive-compatible figures labelled as such,
//! layerlens' figures beside them, what a squash reclaims by cause, and the findings.

use std::io::{self, Write};

use layerlens_core::analysis::findings::{Finding, Severity};
use layerlens_core::analysis::reclaim::Cause;
use layerlens_core::analysis::WasteReport;
use layerlens_core::dive::gofmt::{go_fixed, humanize_bytes};
use layerlens_core::sanitize::display_bytes;

use super::table::{ellipsize, signed, size};

fn percent(ratio: f64) -> String {
    format!("{} %", go_fixed(ratio * 100.0, 4))
}

pub fn cause_name(c: Cause) -> &'static str {
    match c {
        Cause::Deleted => "deleted in a later layer",
        Cause::Overwritten => "overwritten by a later layer",
        Cause::MetadataOnly => "re-shipped by a chmod/chown",
        Cause::Identical => "written again unchanged",
        Cause::Opaque => "hidden by an opaque directory",
    }
}

/// Prints the figures (no findings).
pub fn figures(out: &mut dyn Write, w: &WasteReport) -> io::Result<()> {
    let d = &w.dive;
    writeln!(out, "Waste, dive-compatible (as dive 0.13.1 computes it)")?;
    writeln!(
        out,
        "  efficiency {}   wasted {} bytes ({})   user wasted {}",
        percent(d.efficiency),
        d.wasted_bytes,
        humanize_bytes(d.wasted_bytes),
        percent(d.user_wasted_ratio)
    )?;
    if let Some(f) = d.inefficient_files.first() {
        writeln!(
            out,
            "  {} inefficient files; largest {} ({} in {} layers)",
            d.inefficient_files.len(),
            display_bytes(f.path.as_bytes()),
            humanize_bytes(f.wasted_bytes),
            f.count
        )?;
    }
    let g = &w.figures;
    writeln!(out, "Waste, layerlens")?;
    writeln!(
        out,
        "  efficiency {}: {} shipped, {} dead (deleted, overwritten or hidden)",
        percent(g.efficiency),
        size(g.shipped_bytes),
        size(g.dead_bytes)
    )?;
    match g.user_wasted_ratio {
        Some(r) => writeln!(
            out,
            "  user wasted {} ({} dead of {} above the base layer)",
            percent(r),
            size(g.user_dead_bytes),
            size(g.user_bytes)
        )?,
        None => writeln!(
            out,
            "  user wasted: none (no content above the base layer; dive shows NaN %)"
        )?,
    }
    let kept: u64 = d.inefficient_files.iter().map(|f| f.kept_bytes).sum();
    if kept > 0 {
        writeln!(
            out,
            "  dive's wasted bytes include {} the final image keeps; {} of them are dead",
            size(kept),
            size(d.dead_bytes())
        )?;
    }
    if !d.abandoned_layers.is_empty() {
        writeln!(
            out,
            "  dive stops reading layer(s) {:?} at a whiteout of a missing path; its figures leave the rest out",
            d.abandoned_layers
        )?;
    }
    let r = &w.reclaim;
    writeln!(
        out,
        "Reclaimable by squashing every layer: {} ({} of {} uncompressed)",
        signed(r.total),
        percent(r.ratio()),
        size(r.input_size)
    )?;
    let mut parts: Vec<String> = r
        .by_cause()
        .into_iter()
        .map(|(c, b)| format!("{} {}", cause_name(c), size(b)))
        .collect();
    if r.overhead != 0 {
        parts.push(format!("tar overhead {}", signed(r.overhead)));
    }
    if !parts.is_empty() {
        writeln!(out, "  {}", parts.join("; "))?;
    }
    if !r.deep {
        writeln!(
            out,
            "  (without --deep, files written again unchanged count as overwritten)"
        )?;
    }
    Ok(())
}

fn label(s: Severity) -> &'static str {
    match s {
        Severity::Security => "SECURITY",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
    }
}

/// Prints up to `max` findings.
pub fn findings(out: &mut dyn Write, all: &[Finding], max: usize) -> io::Result<()> {
    if all.is_empty() {
        writeln!(out, "Findings: none")?;
        return Ok(());
    }
    if all.len() > max {
        writeln!(out, "Findings ({}; the first {max}):", all.len())?;
    } else {
        writeln!(out, "Findings ({}):", all.len())?;
    }
    for f in all.iter().take(max) {
        writeln!(
            out,
            "  [{}] {} ({})",
            label(f.severity),
            display_bytes(f.title.as_bytes()),
            size(f.bytes)
        )?;
        if !f.step.is_empty() {
            writeln!(
                out,
                "      step L{}: {}",
                f.layer,
                ellipsize(&display_bytes(f.step.as_bytes()), 100)
            )?;
        }
        let shown: Vec<String> = f
            .evidence
            .iter()
            .take(5)
            .map(|e| format!("/{} ({})", display_bytes(e.path.as_bytes()), size(e.size)))
            .collect();
        let more = f.evidence_count.saturating_sub(shown.len());
        if more > 0 {
            writeln!(out, "      paths: {} and {more} more", shown.join(", "))?;
        } else if !shown.is_empty() {
            writeln!(out, "      paths: {}", shown.join(", "))?;
        }
        // Secrets are masked by the core; only what it kept is printed.
        for n in f.secrets.iter().take(5) {
            writeln!(
                out,
                "      secret: {} {} at {}",
                n.kind.name(),
                display_bytes(n.masked.as_bytes()),
                display_bytes(n.at.as_bytes())
            )?;
        }
        if f.secrets.len() > 5 {
            writeln!(
                out,
                "      and {} more secrets (see --json)",
                f.secrets.len() - 5
            )?;
        }
        writeln!(out, "      fix: {}", f.fix)?;
    }
    Ok(())
}
