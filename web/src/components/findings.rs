//! Waste people can act on: the dive-compatible figures (labelled as such, with layerlens'
//! correct figure beside each), what a squash reclaims by cause, and the findings — each tied
//! to its layer and build step, with the bytes at stake, the evidence and a fix. Clicking a
//! layer or a path shows it in the layer table and the file view.

use std::rc::Rc;

use layerlens_core::analysis::findings::Severity;
use layerlens_core::analysis::WasteReport;
use layerlens_core::image::step;
use layerlens_core::present::human_size;
use layerlens_core::sanitize::display_text;
use yew::prelude::*;

/// Props of [`Findings`].
#[derive(Properties, PartialEq)]
pub struct FindingsProps {
    /// The report.
    pub waste: Rc<WasteReport>,
    /// Show a layer and path.
    pub onfocus: Callback<(usize, String)>,
    /// Select a layer.
    pub onselect: Callback<usize>,
    /// Run the deep scan.
    pub ondeep: Callback<()>,
    /// Work is running.
    pub busy: bool,
}

fn pct(r: f64) -> String {
    if r.is_nan() {
        "NaN %".into()
    } else {
        format!("{:.2} %", r * 100.0)
    }
}

fn severity(s: Severity) -> (&'static str, &'static str) {
    match s {
        Severity::Security => ("security", "! security"),
        Severity::High => ("high", "▲ high"),
        Severity::Medium => ("medium", "● medium"),
        Severity::Low => ("low", "○ low"),
    }
}

/// Shows the waste report.
#[component]
pub fn Findings(props: &FindingsProps) -> Html {
    let w = &props.waste;
    let d = &w.dive;
    let f = &w.figures;
    let r = &w.reclaim;
    let deep = props.ondeep.reform(|_: MouseEvent| ());
    let findings = w.findings.iter().enumerate().map(|(i, x)| {
        let (class, label) = severity(x.severity);
        let layer = x.layer;
        let goto = props.onselect.reform(move |_: MouseEvent| layer);
        let evidence = x.evidence.iter().map(|e| {
            let (layer, path) = (e.layer, e.path.clone());
            let onclick = props.onfocus.reform(move |_: MouseEvent| (layer, path.clone()));
            html! { <li><button class="link mono" {onclick}>{ display_text(&e.path) }</button>{ format!(" — {} in layer {}", human_size(e.size), e.layer) }</li> }
        });
        let more = x.evidence_count.saturating_sub(x.evidence.len());
        html! {
            <li class={classes!("finding", class)} id={format!("finding-{i}")}>
                <div class="finding-head">
                    <span class={classes!("badge", class)}>{ label }</span>
                    <strong>{ display_text(&x.title) }</strong>
                    <span class="num">{ human_size(x.bytes) }</span>
                </div>
                <div class="muted">
                    <button class="link" onclick={goto}>{ format!("layer {}", x.layer) }</button>
                    { x.related_layer.map(|l| format!(" (with layer {l})")).unwrap_or_default() }
                    { " · " }<span class="mono">{ display_text(&step(&x.step)).chars().take(120).collect::<String>() }</span>
                </div>
                <p class="fix"><strong>{ "Fix: " }</strong>{ display_text(&x.fix) }</p>
                if !x.secrets.is_empty() {
                    // Masked by the core: a prefix and the length, never the value.
                    <ul class="secret-notes">
                        { for x.secrets.iter().map(|n| html! { <li><span>{ n.kind.name() }</span>{ " " }<code>{ display_text(&n.masked) }</code>{ format!(" at {}", display_text(&n.at)) }</li> }) }
                    </ul>
                }
                if x.evidence_count > 0 {
                    <details>
                        <summary>{ format!("{} path{}", x.evidence_count, if x.evidence_count == 1 { "" } else { "s" }) }</summary>
                        <ul class="evidence">{ for evidence }</ul>
                        if more > 0 { <p class="muted">{ format!("and {more} more") }</p> }
                    </details>
                }
            </li>
        }
    });
    html! {
        <section class="findings" aria-label="Waste and findings" id="findings">
            <h3>{ "Waste" }</h3>
            <div class="waste-grid">
                <div class="waste-card" id="dive-figures">
                    <h4>{ "dive-compatible" }</h4>
                    <p class="muted">{ "As dive 0.13.1 computes them, so CI thresholds carry over." }</p>
                    <dl class="facts">
                        <dt>{ "efficiency" }</dt><dd id="dive-efficiency">{ pct(d.efficiency) }</dd>
                        <dt>{ "wastedBytes" }</dt><dd id="dive-wasted" data-bytes={d.wasted_bytes.to_string()}>{ format!("{} ({} bytes)", human_size(d.wasted_bytes), d.wasted_bytes) }</dd>
                        <dt>{ "userWastedPercent" }</dt><dd id="dive-user-wasted">{ pct(d.user_wasted_ratio) }</dd>
                    </dl>
                </div>
                <div class="waste-card" id="layerlens-figures">
                    <h4>{ "layerlens" }</h4>
                    <p class="muted">{ "The copy the image keeps is not waste (dive counts it); opaque directories count." }</p>
                    <dl class="facts">
                        <dt>{ "efficiency" }</dt><dd>{ pct(f.efficiency) }</dd>
                        <dt>{ "dead bytes" }</dt><dd data-bytes={f.dead_bytes.to_string()}>{ format!("{} of {} shipped", human_size(f.dead_bytes), human_size(f.shipped_bytes)) }</dd>
                        <dt>{ "user wasted" }</dt><dd>{ f.user_wasted_ratio.map(pct).unwrap_or_else(|| "— (one layer: nothing above the base)".into()) }</dd>
                    </dl>
                </div>
                <div class="waste-card" id="reclaim">
                    <h4>{ "Reclaimable by squashing" }</h4>
                    <p class="headline-num" data-bytes={r.total.to_string()}>{ if r.total >= 0 { human_size(r.total as u64) } else { format!("−{}", human_size(r.total.unsigned_abs())) } }</p>
                    <dl class="facts">
                        <dt>{ "deleted later" }</dt><dd>{ human_size(r.deleted) }</dd>
                        <dt>{ "overwritten" }</dt><dd>{ human_size(r.overwritten) }</dd>
                        <dt>{ "metadata-only changes" }</dt><dd>{ human_size(r.metadata_only) }</dd>
                        <dt>{ "identical rewrites" }</dt><dd>{ if r.deep { human_size(r.identical) } else { "needs a deep scan".into() } }</dd>
                        <dt>{ "hidden by opaque dirs" }</dt><dd>{ human_size(r.opaque) }</dd>
                    </dl>
                    if !w.deep {
                        <button onclick={deep} disabled={props.busy} id="deep-scan" title="Hash the contents of files written more than once and look for keys and tokens in every file's contents (reads the layers once)">{ "Deep scan" }</button>
                    } else {
                        <p class="muted">{ "Deep scan done: identical rewrites are told from real changes." }</p>
                    }
                </div>
            </div>
            <h3>{ format!("Findings ({})", w.findings.len()) }</h3>
            if w.findings.is_empty() {
                <p class="muted" id="no-findings">{ "Nothing to fix: no deleted-later files, caches, build tools, secrets or re-shipped files found." }</p>
            } else {
                <ol class="finding-list">{ for findings }</ol>
            }
        </section>
    }
}
