//! The layers, base first: size, entries, what each changed, what later layers supersede,
//! findings, digest and build step. A WAI-ARIA grid with one tab stop: arrows, Home and End
//! move the selection and the focus together; the selected row's buttons come next in the
//! tab order. Selecting a layer selects it everywhere.

use std::rc::Rc;

use layerlens_core::analysis::findings::Severity;
use layerlens_core::image::step;
use layerlens_core::present::human_size;
use layerlens_core::sanitize::display_text;
use layerlens_core::view::ImageSummary;
use yew::prelude::*;

use super::findings::severity;
use super::overview::short;

/// Findings of one layer, for its badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LayerFindings {
    /// How many.
    pub count: usize,
    /// The most severe.
    pub worst: Option<Severity>,
}

/// Props of [`LayerTable`].
#[derive(Properties, PartialEq)]
pub struct LayerTableProps {
    /// The image.
    pub summary: Rc<ImageSummary>,
    /// Selected layer.
    pub selected: usize,
    /// Select a layer.
    pub onselect: Callback<usize>,
    /// Squash from a layer.
    pub onsquashfrom: Callback<usize>,
    /// Findings by layer (empty until the waste report arrives).
    #[prop_or_default]
    pub findings: Rc<Vec<LayerFindings>>,
    /// Show a layer's findings.
    #[prop_or_default]
    pub onfindings: Callback<usize>,
}

/// Shows the layer table.
#[component]
pub fn LayerTable(props: &LayerTableProps) -> Html {
    let expanded = use_state(|| None::<usize>);
    let n = props.summary.layers.len();
    // The selection moved while the focus was in the table (arrow keys): focus its row.
    {
        let selected = props.selected;
        use_effect_with(selected, move |&selected| {
            if crate::focus::focus_within("#layer-table tbody") {
                crate::focus::focus_selector(&format!(
                    "#layer-table tr.layer-row[data-layer=\"{selected}\"]"
                ));
            }
        });
    }
    let rows = props.summary.layers.iter().map(|l| {
        let i = l.position;
        let sel = i == props.selected;
        let onclick = props.onselect.reform(move |_: MouseEvent| i);
        let onkeydown = {
            let onselect = props.onselect.clone();
            Callback::from(move |e: KeyboardEvent| {
                // Keys pressed on a button of the row belong to the button.
                let on_row = e
                    .target()
                    .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
                    .is_some_and(|el| el.tag_name() == "TR");
                if !on_row {
                    return;
                }
                let to = match e.key().as_str() {
                    "Enter" | " " => Some(i),
                    "ArrowDown" => Some((i + 1).min(n - 1)),
                    "ArrowUp" => Some(i.saturating_sub(1)),
                    "Home" => Some(0),
                    "End" => Some(n - 1),
                    "PageDown" => Some((i + 10).min(n - 1)),
                    "PageUp" => Some(i.saturating_sub(10)),
                    _ => None,
                };
                if let Some(to) = to {
                    e.prevent_default();
                    onselect.emit(to);
                    // Focus the new row now, not after the next render: a key pressed before
                    // that would otherwise land on this row again and repeat its move.
                    crate::focus::focus_selector(&format!(
                        "#layer-table tr.layer-row[data-layer=\"{to}\"]"
                    ));
                }
            })
        };
        let full = *expanded == Some(i);
        let toggle = {
            let expanded = expanded.clone();
            Callback::from(move |e: MouseEvent| {
                e.stop_propagation();
                expanded.set(if full { None } else { Some(i) });
            })
        };
        let from = {
            let cb = props.onsquashfrom.clone();
            Callback::from(move |e: MouseEvent| {
                e.stop_propagation();
                cb.emit(i)
            })
        };
        let to_findings = {
            let cb = props.onfindings.clone();
            Callback::from(move |e: MouseEvent| {
                e.stop_propagation();
                cb.emit(i)
            })
        };
        // Only the selected row's controls are in the tab order (one stop per row otherwise).
        let tab = if sel { "0" } else { "-1" };
        let step_text = display_text(&step(&l.created_by));
        let shown = if full || step_text.chars().count() <= 90 { step_text.clone() } else { format!("{}…", step_text.chars().take(89).collect::<String>()) };
        let f = props.findings.get(i).copied().unwrap_or_default();
        let wasted_pct = if l.tar_size > 0 { l.superseded_size as f64 * 100.0 / l.tar_size as f64 } else { 0.0 };
        html! {
            <tr class={classes!("layer-row", sel.then_some("selected"))} tabindex={tab} aria-selected={sel.to_string()} {onclick} {onkeydown} data-layer={i.to_string()}>
                <td class="num">{ i }</td>
                <td class="num" data-bytes={l.tar_size.to_string()}>{ human_size(l.tar_size) }</td>
                <td class="num">{ l.entries }</td>
                <td class="num added">{ format!("+{}", l.counts.added) }</td>
                <td class="num modified">{ format!("~{}", l.counts.modified) }</td>
                <td class="num removed">{ format!("−{}", l.counts.removed) }</td>
                <td class="num" data-bytes={l.superseded_size.to_string()}>{ human_size(l.superseded_size) }{ if l.superseded_size > 0 { html! { <span class="muted">{ format!(" ({wasted_pct:.0} %)") }</span> } } else { html! {} } }</td>
                <td class="num">
                    if f.count > 0 {
                        <button class={classes!("badge", f.worst.map(|w| severity(w).0))} tabindex={tab} onclick={to_findings} title="Show this layer's findings">
                            <span aria-hidden="true">{ f.worst.map(|w| severity(w).1.split(' ').next().unwrap_or("")).unwrap_or("") }{ " " }</span>
                            { f.count }
                            <span class="visually-hidden">{ format!(" finding{} in layer {i}{}", if f.count == 1 { "" } else { "s" }, f.worst.map(|w| format!(", most severe {}", severity(w).0)).unwrap_or_default()) }</span>
                        </button>
                    }
                </td>
                <td class="mono digest" title={l.diff_id.clone()}>{ short(&l.diff_id).trim_start_matches("sha256:").to_string() }</td>
                <td class={classes!("step", full.then_some("full"))} title={(!full).then(|| step_text.clone())}>
                    <span class="mono">{ shown }</span>
                    if step_text.chars().count() > 90 {
                        <button class="link" tabindex={tab} onclick={toggle} aria-expanded={full.to_string()}>{ if full { "less" } else { "more" } }</button>
                    }
                </td>
                <td><button class="link" tabindex={tab} onclick={from} title="Squash this layer and everything above it">{ "squash from here" }<span class="visually-hidden">{ format!(" (layer {i} and above)") }</span></button></td>
            </tr>
        }
    });
    html! {
        <section aria-labelledby="layers-title" class="layers-panel">
            <h3 id="layers-title">{ format!("Layers ({n}), base first") }</h3>
            <p class="muted small" id="layers-help">{ "Arrow keys, Home and End choose a layer; its files show beside (or below) the table. Superseded: bytes of the layer that later layers delete or overwrite (still shipped)." }</p>
            <div class="table-wrap">
                <table class="layers" id="layer-table" role="grid" aria-labelledby="layers-title" aria-describedby="layers-help">
                    <thead><tr>
                        <th scope="col" aria-label="Layer">{ "#" }</th><th scope="col" class="num">{ "Size" }</th><th scope="col" class="num">{ "Entries" }</th>
                        <th scope="col" class="num">{ "Added" }</th><th scope="col" class="num">{ "Modified" }</th><th scope="col" class="num">{ "Removed" }</th>
                        <th scope="col" class="num">{ "Superseded" }</th>
                        <th scope="col" class="num">{ "Findings" }</th>
                        <th scope="col">{ "Digest" }</th><th scope="col">{ "Step" }</th><th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        </section>
    }
}
