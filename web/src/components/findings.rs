//! Waste people can act on: the dive-compatible figures (labelled as such, with layerlens'
//! correct figure beside each), what a squash reclaims by cause, and the findings — grouped by
//! kind across layers, filterable by severity and kind, with a summary line; each tied to its
//! layer and build step, with the bytes at stake, the evidence and a fix. A layer link moves
//! to the layer's row; a path shows it in the file view with its history.

use std::rc::Rc;

use layerlens_core::analysis::findings::{Finding, FindingKind, Severity};
use layerlens_core::analysis::WasteReport;
use layerlens_core::image::step;
use layerlens_core::present::{human_size, signed_size};
use layerlens_core::sanitize::display_text;
use yew::prelude::*;

/// Props of [`Findings`].
#[derive(Properties, PartialEq)]
pub struct FindingsProps {
    /// The report.
    pub waste: Rc<WasteReport>,
    /// Show a layer and path.
    pub onfocus: Callback<(usize, String)>,
    /// Select a layer and go to its row.
    pub onselect: Callback<usize>,
    /// Show only this layer's findings (from a layer's badge); `seq` makes a repeat new.
    #[prop_or_default]
    pub layer_filter: Option<(usize, u32)>,
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

/// CSS class and label of a severity.
pub fn severity(s: Severity) -> (&'static str, &'static str) {
    match s {
        Severity::Security => ("security", "! security"),
        Severity::High => ("high", "▲ high"),
        Severity::Medium => ("medium", "● medium"),
        Severity::Low => ("low", "○ low"),
    }
}

/// A kind's heading.
fn kind_label(k: FindingKind) -> &'static str {
    match k {
        FindingKind::SecretDeletedLater => "Secrets deleted later but still shipped",
        FindingKind::SecretInImage => "Secrets in the final image",
        FindingKind::SecretInContent => "Keys and tokens inside files",
        FindingKind::SecretInConfig => "Secrets in build steps and the environment",
        FindingKind::AddedThenRemoved => "Files added in one step and deleted in another",
        FindingKind::OverwrittenLater => "Files overwritten by a later step",
        FindingKind::MetadataOnly => "Steps that only change modes or owners",
        FindingKind::IdenticalRewrite => "Files written again with the same bytes",
        FindingKind::PackageCache => "Package manager caches",
        FindingKind::BuildTools => "Build tools in the final image",
        FindingKind::LargeBase => "Large base layer",
        FindingKind::BuildContextJunk => "Build-context leftovers",
        FindingKind::LargeDataFile => "Large data files",
    }
}

fn kind_key(k: FindingKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn severity_key(s: Severity) -> &'static str {
    severity(s).0
}

const SEVERITIES: [Severity; 4] = [
    Severity::Security,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

/// The findings' filters.
#[derive(Debug, Clone, PartialEq, Default)]
struct Filter {
    severity: Option<Severity>,
    kind: Option<FindingKind>,
    layer: Option<usize>,
}

impl Filter {
    fn keeps(&self, f: &Finding) -> bool {
        self.severity.is_none_or(|s| s == f.severity)
            && self.kind.is_none_or(|k| k == f.kind)
            && self
                .layer
                .is_none_or(|l| f.layer == l || f.related_layer == Some(l))
    }
}

fn plural(n: usize, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

/// Shows the waste report.
#[component]
pub fn Findings(props: &FindingsProps) -> Html {
    let w = &props.waste;
    let d = &w.dive;
    let f = &w.figures;
    let r = &w.reclaim;
    let filter = use_state(Filter::default);
    {
        let filter = filter.clone();
        use_effect_with(props.layer_filter, move |lf| {
            if let Some((layer, _)) = lf {
                filter.set(Filter {
                    layer: Some(*layer),
                    ..Filter::default()
                });
            }
        });
    }
    let deep = props.ondeep.reform(|_: MouseEvent| ());
    let on_severity = {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let v = sel.value();
            filter.set(Filter {
                severity: SEVERITIES.into_iter().find(|s| severity_key(*s) == v),
                ..(*filter).clone()
            });
        })
    };
    // Kinds present, in the order of their first finding (most severe first).
    let mut kinds: Vec<FindingKind> = Vec::new();
    for x in &w.findings {
        if !kinds.contains(&x.kind) {
            kinds.push(x.kind);
        }
    }
    let on_kind = {
        let (filter, kinds) = (filter.clone(), kinds.clone());
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let v = sel.value();
            filter.set(Filter {
                kind: kinds.iter().copied().find(|k| kind_key(*k) == v),
                ..(*filter).clone()
            });
        })
    };
    let clear_layer = {
        let filter = filter.clone();
        Callback::from(move |_: MouseEvent| {
            filter.set(Filter {
                layer: None,
                ..(*filter).clone()
            })
        })
    };
    let kept: Vec<(usize, &Finding)> = w
        .findings
        .iter()
        .enumerate()
        .filter(|(_, x)| filter.keeps(x))
        .collect();
    let by_severity: Vec<String> = SEVERITIES
        .iter()
        .filter_map(|s| {
            let n = w.findings.iter().filter(|x| x.severity == *s).count();
            (n > 0).then(|| format!("{n} {}", severity_key(*s)))
        })
        .collect();
    let layers_with: std::collections::BTreeSet<usize> =
        w.findings.iter().map(|x| x.layer).collect();
    let at_stake: u64 = w.findings.iter().map(|x| x.bytes).sum();
    let summary = if w.findings.is_empty() {
        String::new()
    } else {
        format!(
            "{} of {} across {}: {}; {} at stake (a path can count in more than one).",
            plural(w.findings.len(), "finding"),
            plural(kinds.len(), "kind"),
            plural(layers_with.len(), "layer"),
            by_severity.join(", "),
            human_size(at_stake)
        )
    };
    let finding = |i: usize, x: &Finding| {
        let (class, label) = severity(x.severity);
        let layer = x.layer;
        let goto = props.onselect.reform(move |_: MouseEvent| layer);
        let related = x.related_layer.map(|l| {
            let onclick = props.onselect.reform(move |_: MouseEvent| l);
            html! { <>{ " (with " }<button class="link" {onclick}>{ format!("layer {l}") }</button>{ ")" }</> }
        });
        let evidence = x.evidence.iter().map(|e| {
            let (layer, path) = (e.layer, e.path.clone());
            let onclick = props.onfocus.reform(move |_: MouseEvent| (layer, path.clone()));
            html! { <li><button class="link mono path" {onclick}>{ display_text(&e.path) }</button>{ format!(" — {} in layer {}", human_size(e.size), e.layer) }</li> }
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
                    { related }
                    { " · " }<span class="mono step-text">{ display_text(&step(&x.step)).chars().take(120).collect::<String>() }</span>
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
                        <summary>{ plural(x.evidence_count, "path") }</summary>
                        <ul class="evidence">{ for evidence }</ul>
                        if more > 0 { <p class="muted">{ format!("and {more} more") }</p> }
                    </details>
                }
            </li>
        }
    };
    let groups = kinds.iter().filter_map(|&k| {
        let items: Vec<&(usize, &Finding)> = kept.iter().filter(|(_, x)| x.kind == k).collect();
        if items.is_empty() {
            return None;
        }
        let bytes: u64 = items.iter().map(|(_, x)| x.bytes).sum();
        let worst = items.iter().map(|(_, x)| x.severity).min().unwrap_or(Severity::Low);
        let layers: std::collections::BTreeSet<usize> = items.iter().map(|(_, x)| x.layer).collect();
        let (class, label) = severity(worst);
        let key = kind_key(k);
        Some(html! {
            <section key={key.clone()} class={classes!("finding-group", class)} aria-labelledby={format!("group-{key}")} data-kind={key.clone()}>
                <details open={items.len() <= 6}>
                    <summary>
                        <h4 id={format!("group-{key}")}>
                            <span class={classes!("badge", class)}>{ label }</span>{ " " }
                            { kind_label(k) }
                            <span class="muted">{ format!(" — {} in {}, {}", plural(items.len(), "finding"), plural(layers.len(), "layer"), human_size(bytes)) }</span>
                        </h4>
                    </summary>
                    <ol class="finding-list">{ for items.iter().map(|(i, x)| finding(*i, x)) }</ol>
                </details>
            </section>
        })
    }).collect::<Vec<_>>();
    html! {
        <section class="findings" aria-labelledby="findings-title" id="findings">
            <h2 id="findings-title" tabindex="-1">{ "Waste and findings" }</h2>
            <div class="waste-grid">
                <div class="waste-card" id="dive-figures">
                    <h3>{ "dive-compatible" }</h3>
                    <p class="muted">{ "As dive 0.13.1 computes them, so CI thresholds carry over." }</p>
                    <dl class="facts">
                        <dt>{ "efficiency" }</dt><dd id="dive-efficiency">{ pct(d.efficiency) }</dd>
                        <dt>{ "wastedBytes" }</dt><dd id="dive-wasted" data-bytes={d.wasted_bytes.to_string()}>{ format!("{} ({} bytes)", human_size(d.wasted_bytes), d.wasted_bytes) }</dd>
                        <dt>{ "userWastedPercent" }</dt><dd id="dive-user-wasted">{ pct(d.user_wasted_ratio) }</dd>
                    </dl>
                </div>
                <div class="waste-card" id="layerlens-figures">
                    <h3>{ "layerlens" }</h3>
                    <p class="muted">{ "The copy the image keeps is not waste (dive counts it); opaque directories count." }</p>
                    <dl class="facts">
                        <dt>{ "efficiency" }</dt><dd>{ pct(f.efficiency) }</dd>
                        <dt>{ "dead bytes" }</dt><dd data-bytes={f.dead_bytes.to_string()}>{ format!("{} of {} shipped", human_size(f.dead_bytes), human_size(f.shipped_bytes)) }</dd>
                        <dt>{ "user wasted" }</dt><dd>{ f.user_wasted_ratio.map(pct).unwrap_or_else(|| "— (one layer: nothing above the base)".into()) }</dd>
                    </dl>
                </div>
                <div class="waste-card" id="reclaim">
                    <h3>{ "Reclaimable by squashing" }</h3>
                    <p class="headline-num" data-bytes={r.total.to_string()}>{ if r.total >= 0 { human_size(r.total as u64) } else { format!("−{}", human_size(r.total.unsigned_abs())) } }</p>
                    <dl class="facts" id="reclaim-parts">
                        <dt>{ "deleted later" }</dt><dd data-part="deleted" data-bytes={r.deleted.to_string()}>{ human_size(r.deleted) }</dd>
                        <dt>{ "overwritten" }</dt><dd data-part="overwritten" data-bytes={r.overwritten.to_string()}>{ human_size(r.overwritten) }</dd>
                        <dt>{ "re-shipped for a mode or owner change" }</dt><dd data-part="metadata_only" data-bytes={r.metadata_only.to_string()}>{ human_size(r.metadata_only) }</dd>
                        <dt>{ "written again unchanged" }</dt><dd data-part="identical" data-bytes={r.identical.to_string()}>{ if r.deep { human_size(r.identical) } else { "needs a deep scan".into() } }</dd>
                        <dt>{ "hidden by opaque dirs" }</dt><dd data-part="opaque" data-bytes={r.opaque.to_string()}>{ human_size(r.opaque) }</dd>
                        <dt>{ "tar overhead" }</dt><dd data-part="overhead" data-bytes={r.overhead.to_string()}>{ signed_size(r.overhead, "−") }</dd>
                    </dl>
                    if !w.deep {
                        <button onclick={deep} disabled={props.busy} id="deep-scan" title="Hash the contents of files written more than once and look for keys and tokens in every file's contents (reads the layers once)">{ "Deep scan" }</button>
                    } else {
                        <p class="muted">{ "Deep scan done: identical rewrites are told from real changes." }</p>
                    }
                </div>
            </div>
            <h3 id="findings-list-title">{ format!("Findings ({})", w.findings.len()) }</h3>
            if w.findings.is_empty() {
                <p class="muted" id="no-findings">{ "Nothing to fix: no deleted-later files, caches, build tools, secrets or re-shipped files found." }</p>
            } else {
                <p id="findings-summary">{ summary }</p>
                <div class="controls" role="group" aria-label="Filter the findings">
                    <label>{ "Severity " }
                        <select id="findings-severity" onchange={on_severity}>
                            <option value="" selected={filter.severity.is_none()}>{ "all" }</option>
                            { for SEVERITIES.iter().map(|s| html! { <option value={severity_key(*s)} selected={filter.severity == Some(*s)}>{ severity_key(*s) }</option> }) }
                        </select>
                    </label>
                    <label>{ "Kind " }
                        <select id="findings-kind" onchange={on_kind}>
                            <option value="" selected={filter.kind.is_none()}>{ "all" }</option>
                            { for kinds.iter().map(|k| html! { <option value={kind_key(*k)} selected={filter.kind == Some(*k)}>{ kind_label(*k) }</option> }) }
                        </select>
                    </label>
                    <span class="layer-only">
                        if let Some(l) = filter.layer {
                            { format!("Layer {l} only ") }<button id="findings-all-layers" onclick={clear_layer}>{ "show all layers" }</button>
                        }
                    </span>
                    <span class="muted" id="findings-shown" aria-live="polite">{ format!("{} shown", kept.len()) }</span>
                </div>
                <div class="finding-groups">{ for groups }</div>
            }
        </section>
    }
}
