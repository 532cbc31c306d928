//! The layers, base first: size, entries, what each changed, digest and build step. Clicking a
//! row (or Enter/Space, arrows to move) selects the layer everywhere.

use std::rc::Rc;

use layerlens_core::image::step;
use layerlens_core::present::human_size;
use layerlens_core::sanitize::display_text;
use layerlens_core::view::ImageSummary;
use yew::prelude::*;

use super::overview::short;

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
}

/// Shows the layer table.
#[component]
pub fn LayerTable(props: &LayerTableProps) -> Html {
    let expanded = use_state(|| None::<usize>);
    let n = props.summary.layers.len();
    let rows = props.summary.layers.iter().map(|l| {
        let i = l.position;
        let sel = i == props.selected;
        let onclick = props.onselect.reform(move |_: MouseEvent| i);
        let onkeydown = {
            let onselect = props.onselect.clone();
            Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
                "Enter" | " " => {
                    e.prevent_default();
                    onselect.emit(i)
                }
                "ArrowDown" if i + 1 < n => {
                    e.prevent_default();
                    onselect.emit(i + 1)
                }
                "ArrowUp" if i > 0 => {
                    e.prevent_default();
                    onselect.emit(i - 1)
                }
                _ => {}
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
        let step_text = display_text(&step(&l.created_by));
        let shown = if full || step_text.chars().count() <= 90 { step_text.clone() } else { format!("{}…", step_text.chars().take(89).collect::<String>()) };
        html! {
            <tr class={classes!("layer-row", sel.then_some("selected"))} tabindex="0" aria-selected={sel.to_string()} {onclick} {onkeydown} data-layer={i.to_string()}>
                <td class="num">{ i }</td>
                <td class="num" data-bytes={l.tar_size.to_string()}>{ human_size(l.tar_size) }</td>
                <td class="num">{ l.entries }</td>
                <td class="num added">{ format!("+{}", l.counts.added) }</td>
                <td class="num modified">{ format!("~{}", l.counts.modified) }</td>
                <td class="num removed">{ format!("−{}", l.counts.removed) }</td>
                <td class="num" title="content of this layer that later layers delete or overwrite">{ human_size(l.superseded_size) }</td>
                <td class="mono" title={l.diff_id.clone()}>{ short(&l.diff_id).trim_start_matches("sha256:").to_string() }</td>
                <td class="step">
                    <span class="mono">{ shown }</span>
                    if step_text.chars().count() > 90 {
                        <button class="link" onclick={toggle} aria-expanded={full.to_string()}>{ if full { "less" } else { "more" } }</button>
                    }
                </td>
                <td><button class="link" onclick={from} title="Squash this layer and everything above it">{ "squash from here" }</button></td>
            </tr>
        }
    });
    html! {
        <section aria-label="Layers">
            <h3>{ "Layers" }</h3>
            <div class="table-wrap">
                <table class="layers" id="layer-table">
                    <thead><tr>
                        <th>{ "#" }</th><th>{ "Size" }</th><th>{ "Entries" }</th>
                        <th title="added">{ "Added" }</th><th title="modified">{ "Modified" }</th><th title="removed">{ "Removed" }</th>
                        <th title="bytes later layers delete or overwrite">{ "Superseded" }</th>
                        <th>{ "Digest" }</th><th>{ "Step" }</th><th></th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        </section>
    }
}
