//! Squash before and after: the image's stack and the squashed image's side by side (sizes,
//! diff_ids, chain IDs, image IDs) and what each squashed layer's content became. The worker
//! computes the stacks for the chosen first layer ([`BeforeAfter`]); the new layer's
//! diff_id, its chain ID and the new image ID fill in once the image is built.

use layerlens_core::present::{human_size, signed_size};
use layerlens_core::sanitize::display_text;
use layerlens_core::view::squash_compare::{BeforeAfter, StackLayer};
use yew::prelude::*;

use crate::hooks::use_image_worker::ImageWorker;
use crate::protocol::{MapEvent, MapRequest};
use crate::state::Built;

/// Properties.
#[derive(Properties, PartialEq)]
pub struct SquashCompareProps {
    /// The worker.
    pub worker: ImageWorker,
    /// The image shown (its ID).
    pub image: AttrValue,
    /// First layer to squash.
    pub from: usize,
    /// The last build.
    pub built: Option<Built>,
}

fn id_cell(key: &str, id: Option<&str>) -> Html {
    match id {
        Some(id) => html! {
            <code class="mono digest" data-k={key.to_string()} data-v={id.to_string()} title={id.to_string()}>{ id.get(..19).unwrap_or(id) }{ "…" }</code>
        },
        None => {
            html! { <span class="muted" data-k={key.to_string()} data-v="">{ "known once built" }</span> }
        }
    }
}

fn stack(side: &str, layers: &[StackLayer], from: usize, image_id: Option<&str>) -> Html {
    html! {
        <div class={classes!("stack", side.to_string())} data-side={side.to_string()}>
            <h3>{ if side == "before" { "Before" } else { "After" } }</h3>
            <table>
                <thead><tr><th class="num">{ "#" }</th><th class="num">{ "Tar" }</th><th class="num">{ "Entries" }</th><th>{ "diff_id" }</th><th>{ "chain ID" }</th></tr></thead>
                <tbody>
                    { for layers.iter().map(|l| {
                        let squashed = l.position >= from;
                        html! {
                            <tr class={classes!(squashed.then_some("squashed"))} data-layer={l.position.to_string()} title={display_text(&l.created_by)}>
                                <td class="num">{ l.position }</td>
                                <td class="num" data-k="tar_size" data-v={l.tar_size.to_string()}>{ human_size(l.tar_size) }</td>
                                <td class="num" data-k="entries" data-v={l.entries.to_string()}>{ l.entries }</td>
                                <td>{ id_cell("diff_id", l.diff_id.as_deref()) }</td>
                                <td>{ id_cell("chain_id", l.chain_id.as_deref()) }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            <p>{ "Image ID " }{ id_cell("image_id", image_id) }</p>
        </div>
    }
}

/// The before/after section.
#[component]
pub fn SquashCompare(props: &SquashCompareProps) -> Html {
    let view = use_state(|| None::<BeforeAfter>);
    // The `from` a build was made with (the build takes the `from` of its click).
    let built_from = use_state(|| None::<(String, usize)>);
    {
        let (worker, view) = (props.worker.clone(), view.clone());
        use_effect_with(props.image.clone(), move |_| {
            worker.on_squash_compare(Callback::from(move |event: MapEvent| {
                if let MapEvent::BeforeAfter { view: v } = event {
                    view.set(Some(*v));
                }
            }));
        });
    }
    {
        let worker = props.worker.clone();
        use_effect_with((props.image.clone(), props.from), move |(_, from)| {
            worker.map(MapRequest::BeforeAfter { from: *from });
        });
    }
    {
        let (built_from, from) = (built_from.clone(), props.from);
        let url = props.built.as_ref().map(|b| b.url.clone());
        use_effect_with(url, move |url| {
            built_from.set(url.clone().map(|u| (u, from)));
        });
    }
    let Some(v) = (*view).clone().filter(|v| v.from == props.from) else {
        return html! {
            <section id="squash-compare" class="squash-compare" aria-labelledby="squash-compare-title">
                <h2 id="squash-compare-title">{ "Squash: before and after" }</h2>
                <p class="muted">{ "Planning…" }</p>
            </section>
        };
    };
    let built = props.built.as_ref().filter(|b| {
        built_from
            .as_ref()
            .is_some_and(|(u, f)| *u == b.url && *f == props.from)
    });
    let v = match built {
        Some(b) => v.with_built(&b.image_id, &b.diff_id),
        None => v,
    };
    let last = v.before.len().saturating_sub(1);
    html! {
        <section id="squash-compare" class="squash-compare" aria-labelledby="squash-compare-title" data-from={v.from.to_string()} data-built={built.is_some().to_string()}>
            <h2 id="squash-compare-title">{ "Squash: before and after" }</h2>
            <p>
                { if v.from == last { format!("Layer {} is rewritten", v.from) } else { format!("Layers {}–{last} become one layer, {}", v.from, v.from) } }
                { "; the layers below stay as they are, byte for byte, so their diff_ids and chain IDs do not change. The new layer's diff_id is the SHA-256 of its tar, its chain ID hashes the one below with it, and the image ID is the SHA-256 of the new config (which lists the new diff_ids): all three change. " }
                { "Archive: " }<strong data-k="archive_before" data-v={v.archive_before.to_string()}>{ human_size(v.archive_before) }</strong>
                { " → " }<strong data-k="archive_after" data-v={v.archive_after.to_string()}>{ human_size(v.archive_after) }</strong>
                { format!(" (the squashed layers: {} of tar, {} saved).", human_size(v.squashed_tar), signed_size(v.saved, "−")) }
            </p>
            if built.is_none() {
                <p class="muted">{ "Build the image above to see the new IDs." }</p>
            }
            <div class="stacks">
                { stack("before", &v.before, v.from, Some(&v.before_id)) }
                { stack("after", &v.after, v.from, v.after_id.as_deref()) }
            </div>
            <h3>{ "What moved where" }</h3>
            <div class="table-wrap">
            <table class="moved">
                <thead><tr><th class="num">{ "Layer" }</th><th>{ format!("Carried into the new layer {}", v.from) }</th><th>{ "Dropped (deleted or replaced later)" }</th></tr></thead>
                <tbody>
                    { for v.moved.iter().map(|m| html! {
                        <tr data-layer={m.layer.to_string()}>
                            <td class="num">{ m.layer }</td>
                            <td data-k="carried_bytes" data-v={m.carried_bytes.to_string()}>{ format!("{} files, {}", m.carried_files, human_size(m.carried_bytes)) }</td>
                            <td data-k="dropped_bytes" data-v={m.dropped_bytes.to_string()}>{ format!("{} files, {}", m.dropped_files, human_size(m.dropped_bytes)) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            </div>
        </section>
    }
}
