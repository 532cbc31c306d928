//! The squash panel's options, the CLI's flags as controls: output format, compression of the
//! new layer, `SOURCE_DATE_EPOCH`, and paths to drop, typed as globs or ticked from the
//! findings that point at removable paths (package caches, build-context leftovers such as
//! `.git`, secrets). Every change goes to the worker, which plans with the core and answers
//! with the sizes the CLI prints: the compressed size estimated before a build (and labelled
//! so), exact after it.

use std::collections::BTreeSet;
use std::rc::Rc;

use layerlens_core::analysis::findings::FindingKind;
use layerlens_core::analysis::WasteReport;
use layerlens_core::present::human_size;
use yew::prelude::*;

use crate::protocol::{SquashOptionsEvent, SquashOptionsRequest};

/// Props of [`SquashOptionsForm`].
#[derive(Properties, PartialEq)]
pub struct SquashOptionsProps {
    /// First layer squashed (sent with the options).
    pub from: usize,
    /// Findings to offer drops from, once the waste report is in.
    pub waste: Option<Rc<WasteReport>>,
    /// The worker's last answer.
    pub report: Option<SquashOptionsEvent>,
    /// Send the options.
    pub onchange: Callback<SquashOptionsRequest>,
    /// The options last sent, shown again when the form is re-created.
    #[prop_or_default]
    pub initial: Option<SquashOptionsRequest>,
}

/// A glob naming exactly `path` (as findings show it, without the leading `/`).
fn exact_glob(path: &str) -> String {
    let mut g = String::from("/");
    for c in path.trim_start_matches('/').chars() {
        if matches!(c, '*' | '?' | '[' | '\\') {
            g.push('\\');
        }
        g.push(c);
    }
    g
}

/// Paths findings point at that an image can do without, as globs, with the finding's title.
fn suggestions(w: &WasteReport) -> Vec<(String, String)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for f in &w.findings {
        if !matches!(
            f.kind,
            FindingKind::PackageCache | FindingKind::BuildContextJunk | FindingKind::SecretInImage
        ) {
            continue;
        }
        for e in &f.evidence {
            let g = exact_glob(&e.path);
            if seen.insert(g.clone()) {
                out.push((g, f.title.clone()));
            }
        }
    }
    out
}

/// The options form.
#[component]
pub fn SquashOptionsForm(props: &SquashOptionsProps) -> Html {
    let init = props.initial.clone().unwrap_or_default();
    let suggested = props.waste.as_deref().map(suggestions).unwrap_or_default();
    let offered: BTreeSet<String> = suggested.iter().map(|(g, _)| g.clone()).collect();
    let format = use_state(|| match init.format.as_str() {
        "" => "docker".to_string(),
        f => f.to_string(),
    });
    let compress = use_state(|| match init.compress.as_str() {
        "" => "none".to_string(),
        c => c.to_string(),
    });
    let epoch = use_state(|| {
        init.source_date_epoch
            .map(|e| e.to_string())
            .unwrap_or_default()
    });
    // Globs sent before: those the findings offer are ticked again, the rest were typed.
    let ticked = use_state(|| {
        init.drop
            .iter()
            .filter(|g| offered.contains(*g))
            .cloned()
            .collect::<BTreeSet<String>>()
    });
    let typed = use_state(|| {
        init.drop
            .iter()
            .filter(|g| !offered.contains(*g))
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    });

    let send = {
        let (format, compress, epoch, typed, ticked) = (
            format.clone(),
            compress.clone(),
            epoch.clone(),
            typed.clone(),
            ticked.clone(),
        );
        let (cb, from) = (props.onchange.clone(), props.from);
        Callback::from(move |_: ()| {
            let mut drop: Vec<String> = ticked.iter().cloned().collect();
            drop.extend(
                typed
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from),
            );
            cb.emit(SquashOptionsRequest {
                from,
                drop,
                source_date_epoch: epoch.trim().parse().ok(),
                format: (*format).clone(),
                compress: (*compress).clone(),
            })
        })
    };
    // Each control sets its value; the effect below sends once the new values have landed.
    let on_format = {
        let format = format.clone();
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            format.set(sel.value());
        })
    };
    let on_compress = {
        let compress = compress.clone();
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            compress.set(sel.value());
        })
    };
    // On every input, not on change: a render in between (a plan arriving) would otherwise
    // put the old value back before the change event reads it.
    let on_epoch = {
        let epoch = epoch.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            epoch.set(input.value());
        })
    };
    let on_typed = {
        let typed = typed.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            typed.set(input.value());
        })
    };
    // Send once the values above have landed (after the render that shows them).
    {
        let send = send.clone();
        let key = (
            (*format).clone(),
            (*compress).clone(),
            (*epoch).clone(),
            (*typed).clone(),
            (*ticked).clone(),
            props.from,
        );
        use_effect_with(key, move |k| {
            let default = k.0 == "docker"
                && k.1 == "none"
                && k.2.trim().is_empty()
                && k.3.trim().is_empty()
                && k.4.is_empty()
                && k.5 == 0;
            // The untouched form at layer 0 is what the worker starts with: nothing to send.
            if !default {
                send.emit(());
            }
        });
    }
    let tick = |glob: String| {
        let ticked = ticked.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let mut t = (*ticked).clone();
            if input.checked() {
                t.insert(glob.clone());
            } else {
                t.remove(&glob);
            }
            ticked.set(t);
        })
    };
    let report = match &props.report {
        None => html! {},
        Some(SquashOptionsEvent { result: Err(e) }) => {
            html! { <p class="error" id="squash-options-error" role="alert">{ e.clone() }</p> }
        }
        Some(SquashOptionsEvent { result: Ok(p) }) => html! {
            <div class="table-wrap"><table class="figures" id="squash-options-figures">
                <caption class="visually-hidden">{ "Sizes with these options" }</caption>
                <tr><th scope="row">{ "New layer, uncompressed" }</th><td class="num" id="opt-layer-size" data-bytes={p.layer_size.to_string()}>{ human_size(p.layer_size) }</td><td></td></tr>
                <tr><th scope="row">{ "New layer as stored (registry size)" }</th>
                    <td class="num" id="opt-blob-size" data-bytes={p.layer_blob_size.to_string()} data-exact={p.exact.to_string()}>{ if p.exact { human_size(p.layer_blob_size) } else { format!("~{}", human_size(p.layer_blob_size)) } }</td>
                    <td class="muted">{ if p.exact { "exact" } else { "estimate (from compressing the first 8 MiB); exact after the build" } }</td></tr>
                <tr><th scope="row">{ "Output archive" }</th><td class="num" id="opt-archive-size" data-bytes={p.archive_size.to_string()}>{ if p.exact { human_size(p.archive_size) } else { format!("~{}", human_size(p.archive_size)) } }</td><td></td></tr>
                if !p.drops.is_empty() {
                    <tr><th scope="row">{ "Dropped" }</th><td class="num" id="opt-dropped" data-bytes={p.dropped_bytes.to_string()}>{ human_size(p.dropped_bytes) }</td>
                        <td class="muted">{ format!("{} hardlinks re-pointed or made files", p.links_rewritten) }</td></tr>
                    { for p.drops.iter().map(|d| html! {
                        <tr class="drop-line" data-pattern={d.pattern.clone()}><td><code>{ d.pattern.clone() }</code></td><td class="num" data-bytes={d.bytes.to_string()}>{ human_size(d.bytes) }</td><td class="muted">{ format!("{} entries{}", d.paths, if d.hidden > 0 { format!(", {} hidden in kept layers", d.hidden) } else { String::new() }) }</td></tr>
                    }) }
                }
                if let Some(c) = &p.created {
                    <tr><th scope="row">{ "Created" }</th><td id="opt-created">{ c.clone() }</td><td class="muted">{ format!("{} mtimes clamped", p.mtimes_clamped) }</td></tr>
                }
            </table></div>
        },
    };
    html! {
        <div class="squash-options" id="squash-options">
            <div class="controls">
                <label>{ "Format " }<select id="squash-format" onchange={on_format}>
                    <option value="docker" selected={*format == "docker"}>{ "docker-archive" }</option>
                    <option value="oci" selected={*format == "oci"}>{ "oci-archive" }</option>
                </select></label>
                <label>{ "New layer " }<select id="squash-compress" onchange={on_compress}>
                    <option value="none" selected={*compress == "none"}>{ "uncompressed" }</option>
                    <option value="gzip" selected={*compress == "gzip"}>{ "gzip" }</option>
                    <option value="gzip:9" selected={*compress == "gzip:9"}>{ "gzip -9" }</option>
                    <option value="zstd" selected={*compress == "zstd"}>{ "zstd" }</option>
                </select></label>
                <label>{ "SOURCE_DATE_EPOCH " }<input type="number" min="0" id="squash-epoch" placeholder="seconds since 1970" value={(*epoch).clone()} oninput={on_epoch} /></label>
            </div>
            <label class="drop-globs">{ "Drop paths (globs, one a line: /var/cache/apt/**, /**/.git) " }
                <textarea id="squash-drop" rows="2" value={(*typed).clone()} oninput={on_typed} />
            </label>
            if !suggested.is_empty() {
                <fieldset class="drop-suggestions" id="drop-suggestions"><legend>{ "Drop these (from the findings)" }</legend>
                    { for suggested.into_iter().map(|(g, why)| html! {
                        <label class="drop-suggestion"><input type="checkbox" value={g.clone()} checked={ticked.contains(&g)} onchange={tick(g.clone())} />{ " " }<code>{ g.clone() }</code>{ " " }<span class="muted">{ why }</span></label>
                    }) }
                </fieldset>
            }
            { report }
        </div>
    }
}
