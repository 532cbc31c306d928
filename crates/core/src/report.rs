//! The report: one self-contained HTML file (styles and the size map inline, no script, no
//! font, no link out) with the overview, the layers, the waste figures, the findings and the
//! size map. `layerlens report` and the page write it with [`html`], so for the same image
//! and file name both give the same bytes.
//!
//! Every figure is shown for people and carried exactly in a `data-v` attribute (bytes, or
//! the number as JSON writes it), named by `data-k` after its field in `analyze --json`, so
//! a test reads the report back and compares it with the CLI.

use alloc::string::{String, ToString};
use core::fmt::Write;

use crate::analysis::findings::Severity;
use crate::analysis::WasteReport;
use crate::present::{human_size, label, signed_size};
use crate::view::treemap::Treemap;
use crate::view::treemap_svg::{escape, layer_colour, svg, GREY};
use crate::view::ImageSummary;

/// Schema of `layerlens report --json`.
pub const SCHEMA: &str = "layerlens.report/v1";

const STYLE: &str = "\
:root{color-scheme:light;--ink:#1d1f23;--muted:#5c6370;--line:#d9dce1}\
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);\
margin:0 auto;max-width:1100px;padding:1.5rem}\
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid var(--line)}\
.muted{color:var(--muted)}code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em}\
dl.figures{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{color:var(--muted)}dd{margin:0}\
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid var(--line);\
padding:.25rem .4rem;text-align:left;vertical-align:top}td.n,th.n{text-align:right;white-space:nowrap}\
.step{max-width:28rem;overflow-wrap:anywhere}.sev{font-weight:600}.sev-security{color:#a3121f}\
.finding{border-left:4px solid var(--line);padding:.2rem .8rem;margin:.8rem 0}\
.finding.security{border-color:#a3121f}.finding.high{border-color:#c75b00}.finding.medium{border-color:#b59a00}\
svg.treemap{width:100%;height:auto;display:block;border:1px solid var(--line)}\
ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1rem;font-size:.85rem}\
.swatch{display:inline-block;width:.9em;height:.9em;border:1px solid #888;vertical-align:-.1em;margin-right:.3em}\
.swatch.dead{background:repeating-linear-gradient(45deg,#555 0 2px,#fff 2px 5px)}";

/// A figure: shown for people, exact in `data-v`, named by `data-k`.
fn fig(out: &mut String, key: &str, exact: &str, shown: &str) {
    let _ = write!(
        out,
        "<span data-k=\"{key}\" data-v=\"{}\">{}</span>",
        escape(exact),
        escape(shown)
    );
}

fn bytes(out: &mut String, key: &str, v: u64) {
    fig(out, key, &v.to_string(), &human_size(v));
}

fn percent(v: f64) -> String {
    alloc::format!("{:.1} %", v * 100.0)
}

fn row(out: &mut String, name: &str, value: impl FnOnce(&mut String)) {
    let _ = write!(out, "<dt>{}</dt><dd>", escape(name));
    value(out);
    out.push_str("</dd>");
}

/// The report of the image `summary` describes, read from the file `file`.
pub fn html(file: &str, summary: &ImageSummary, waste: &WasteReport, map: &Treemap) -> String {
    let mut o = String::with_capacity(64 * 1024 + map.tiles.len() * 600);
    let title = label(&summary.tags);
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>layerlens report: {}</title><style>{STYLE}</style></head><body>",
        escape(&title)
    );
    let _ = write!(
        o,
        "<header><p class=\"muted\">layerlens report of <code data-k=\"file\">{}</code></p><h1>{}</h1></header>",
        escape(file),
        escape(&title)
    );
    overview(&mut o, summary);
    layers(&mut o, summary);
    waste_section(&mut o, waste);
    findings(&mut o, waste);
    size_map(&mut o, summary, map);
    o.push_str(
        "<footer><p class=\"muted\">Written by layerlens. This file makes no request: \
         everything it shows is inside it.</p></footer></body></html>\n",
    );
    o
}

fn overview(o: &mut String, s: &ImageSummary) {
    o.push_str("<section id=\"overview\"><h2>Overview</h2><dl class=\"figures\">");
    row(o, "Image ID", |o| fig(o, "id", &s.id, &s.id));
    row(o, "Tags", |o| {
        fig(o, "tags", &s.tags.join(","), &label(&s.tags))
    });
    row(o, "Platform", |o| {
        fig(o, "platform", &s.platform, &s.platform)
    });
    row(o, "Archive", |o| fig(o, "format", &s.format, &s.format));
    if let Some(c) = &s.created {
        row(o, "Created", |o| fig(o, "created", c, c));
    }
    row(o, "Layers", |o| {
        let n = s.layers.len().to_string();
        fig(o, "layers", &n, &n)
    });
    row(o, "Stored size", |o| bytes(o, "size", s.size));
    row(o, "Uncompressed layers", |o| {
        bytes(o, "tar_size", s.tar_size)
    });
    row(o, "Final filesystem", |o| {
        bytes(o, "filesystem.size", s.final_size);
        o.push_str(" in ");
        let n = s.final_entries.to_string();
        fig(o, "filesystem.entries", &n, &n);
        o.push_str(" paths");
    });
    o.push_str("</dl></section>");
}

fn layers(o: &mut String, s: &ImageSummary) {
    o.push_str(
        "<section id=\"layers\"><h2>Layers</h2><table><thead><tr><th class=\"n\">#</th>\
         <th>Step</th><th class=\"n\">Stored</th><th class=\"n\">Tar</th><th class=\"n\">Content</th>\
         <th class=\"n\">Entries</th><th class=\"n\">Added</th><th class=\"n\">Changed</th>\
         <th class=\"n\">Removed</th><th class=\"n\">Hides below</th><th class=\"n\">Dead here</th>\
         </tr></thead><tbody>",
    );
    for l in &s.layers {
        let _ = write!(
            o,
            "<tr data-layer=\"{}\"><td class=\"n\"><span class=\"swatch\" style=\"background:{}\"></span>{}</td>\
             <td class=\"step\"><code>{}</code><br><span class=\"mono muted\" data-k=\"diff_id\" data-v=\"{}\">{}</span></td>",
            l.position,
            layer_colour(l.position),
            l.position,
            escape(&l.created_by),
            escape(&l.diff_id),
            escape(&l.diff_id),
        );
        let cells: [(&str, u64, bool); 9] = [
            ("blob_size", l.blob_size, true),
            ("tar_size", l.tar_size, true),
            ("content_size", l.content_size, true),
            ("entry_count", l.entries, false),
            ("counts.added", l.counts.added, false),
            ("counts.modified", l.counts.modified, false),
            ("counts.removed", l.counts.removed, false),
            ("hidden_size", l.hidden_size, true),
            ("superseded_size", l.superseded_size, true),
        ];
        for (k, v, is_bytes) in cells {
            o.push_str("<td class=\"n\">");
            if is_bytes {
                bytes(o, k, v);
            } else {
                fig(o, k, &v.to_string(), &v.to_string());
            }
            o.push_str("</td>");
        }
        o.push_str("</tr>");
    }
    o.push_str(
        "</tbody></table><p class=\"muted\">“Hides below”: content of lower layers this layer \
         deletes or replaces. “Dead here”: content of this layer a later layer deletes or \
         replaces, still shipped.</p></section>",
    );
}

fn waste_section(o: &mut String, w: &WasteReport) {
    let f = &w.figures;
    o.push_str("<section id=\"waste\"><h2>Waste</h2><dl class=\"figures\">");
    row(o, "Content shipped", |o| {
        bytes(o, "waste.figures.shipped_bytes", f.shipped_bytes)
    });
    row(o, "Dead content (a full squash drops it)", |o| {
        bytes(o, "waste.figures.dead_bytes", f.dead_bytes)
    });
    row(o, "Efficiency", |o| {
        fig(
            o,
            "waste.figures.efficiency",
            &alloc::format!("{}", f.efficiency),
            &percent(f.efficiency),
        )
    });
    row(o, "Squashing every layer saves", |o| {
        fig(
            o,
            "waste.reclaim.total",
            &w.reclaim.total.to_string(),
            &signed_size(w.reclaim.total, "−"),
        )
    });
    row(o, "dive's efficiency", |o| {
        fig(
            o,
            "waste.dive.efficiency",
            &alloc::format!("{}", w.dive.efficiency),
            &percent(w.dive.efficiency),
        )
    });
    row(o, "dive's wasted bytes", |o| {
        bytes(o, "waste.dive.wasted_bytes", w.dive.wasted_bytes)
    });
    o.push_str("</dl>");
    if !w.deep {
        o.push_str(
            "<p class=\"muted\">Without the deep scan, a file written again with the same \
             bytes counts as overwritten.</p>",
        );
    }
    o.push_str("</section>");
}

fn findings(o: &mut String, w: &WasteReport) {
    let _ = write!(
        o,
        "<section id=\"findings\"><h2>Findings (<span data-k=\"waste.findings.length\" data-v=\"{0}\">{0}</span>)</h2>",
        w.findings.len()
    );
    if w.findings.is_empty() {
        o.push_str("<p>Nothing to change.</p>");
    }
    for f in &w.findings {
        let sev = match f.severity {
            Severity::Security => "security",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        };
        let _ = write!(
            o,
            "<article class=\"finding {sev}\" data-layer=\"{}\"><h3><span class=\"sev sev-{sev}\">{sev}</span> {}</h3>\
             <p>Layer {} <code>{}</code>",
            f.layer,
            escape(&f.title),
            f.layer,
            escape(&f.step)
        );
        if let Some(r) = f.related_layer {
            let _ = write!(o, " (with layer {r})");
        }
        o.push_str(": ");
        bytes(o, "bytes", f.bytes);
        o.push_str(" at stake.</p>");
        if !f.evidence.is_empty() {
            o.push_str("<ul>");
            for e in &f.evidence {
                let _ = write!(
                    o,
                    "<li><code>{}</code> {} (layer {})</li>",
                    escape(&e.path),
                    human_size(e.size),
                    e.layer
                );
            }
            if f.evidence_count > f.evidence.len() {
                let _ = write!(
                    o,
                    "<li class=\"muted\">and {} more</li>",
                    f.evidence_count - f.evidence.len()
                );
            }
            o.push_str("</ul>");
        }
        let _ = write!(
            o,
            "<p><strong>Fix:</strong> {}</p></article>",
            escape(&f.fix)
        );
    }
    o.push_str("</section>");
}

fn size_map(o: &mut String, s: &ImageSummary, map: &Treemap) {
    o.push_str("<section id=\"size-map\"><h2>Size map</h2><p>");
    o.push_str(
        "Every file the image ships, area by size, coloured by the layer that holds it; \
         hatched bytes are dead: deleted or replaced by a later layer, yet still shipped. ",
    );
    bytes(o, "map.total", map.total);
    o.push_str(" in all, ");
    bytes(o, "map.dead", map.dead);
    o.push_str(" dead.</p><ul class=\"legend\">");
    for l in &s.layers {
        let _ = write!(
            o,
            "<li><span class=\"swatch\" style=\"background:{}\"></span>layer {}</li>",
            layer_colour(l.position),
            l.position
        );
    }
    let _ = write!(
        o,
        "<li><span class=\"swatch\" style=\"background:{GREY}\"></span>a directory or smaller files, together</li>\
         <li><span class=\"swatch dead\"></span>dead bytes</li></ul>"
    );
    o.push_str(&svg(map, false));
    o.push_str("</section>");
}

/// The report of an analysis (its summary, the waste report given, the final size map),
/// as `layerlens report` and the page both make it.
#[cfg(feature = "std")]
pub fn of_analysis<S: crate::Source>(
    file: &str,
    analysis: &crate::Analysis<S>,
    waste: &WasteReport,
) -> String {
    use crate::view::treemap::{Scope, TreemapOptions};
    let map = Treemap::new(analysis.model(), Scope::Final, &TreemapOptions::default());
    html(file, &analysis.summary(), waste, &map)
}
