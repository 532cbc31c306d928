//! Squash: choose all layers or "from layer N", a tag; the exact output size and savings show
//! before anything is built; "Build & download" hashes with progress and downloads the file.

use std::rc::Rc;

use layerlens_core::present::{human_size, signed_size};
use layerlens_core::sanitize::display_text;
use layerlens_core::view::{ImageSummary, SquashFigures};
use yew::prelude::*;

use crate::state::Built;

/// Props of [`SquashPanel`].
#[derive(Properties, PartialEq)]
pub struct SquashPanelProps {
    /// The image.
    pub summary: Rc<ImageSummary>,
    /// First layer to squash.
    pub from: usize,
    /// Figures for `from` (None while planning).
    pub figures: Option<SquashFigures>,
    /// Change `from`.
    pub onfrom: Callback<usize>,
    /// Build with these tags.
    pub onbuild: Callback<Vec<String>>,
    /// Building now.
    pub busy: bool,
    /// The last build.
    pub built: Option<Built>,
    /// Save the last build again (checked first: the input file may have changed).
    pub onsave: Callback<()>,
    /// The options form (format, compression, epoch, drops).
    #[prop_or_default]
    pub children: Html,
}

fn signed(v: i64) -> String {
    signed_size(v, "−")
}

/// Shows the squash panel.
#[component]
pub fn SquashPanel(props: &SquashPanelProps) -> Html {
    let tag = use_state(String::new);
    let n = props.summary.layers.len();
    let on_from = {
        let cb = props.onfrom.clone();
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Ok(i) = sel.value().parse() {
                cb.emit(i);
            }
        })
    };
    let on_tag = {
        let tag = tag.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            tag.set(input.value());
        })
    };
    let on_build = {
        let (cb, tag) = (props.onbuild.clone(), tag.clone());
        Callback::from(move |_: MouseEvent| {
            let tags: Vec<String> = tag
                .split([',', ' '])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect();
            cb.emit(tags)
        })
    };
    let figures = match props.figures {
        Some(f) => html! {
            <div class="table-wrap"><table class="figures" id="squash-figures">
                <caption class="visually-hidden">{ "Squash figures" }</caption><tr><th scope="row">{ "New layer" }</th><td class="num" id="plan-layer-size" data-bytes={f.layer_size.to_string()}>{ human_size(f.layer_size) }</td><td class="muted">{ format!("{} entries, {} whiteouts", f.entries, f.whiteouts) }</td></tr>
                <tr><th scope="row">{ "Output archive" }</th><td class="num" id="plan-archive-size" data-bytes={f.archive_size.to_string()}>{ human_size(f.archive_size) }</td><td class="muted">{ format!("{} bytes exactly; input {}", f.archive_size, human_size(f.input_archive_size)) }</td></tr>
                <tr><th scope="row">{ "Deleted in a later layer" }</th><td class="num part" data-part="deleted" data-bytes={f.deleted.to_string()}>{ human_size(f.deleted) }</td><td></td></tr>
                <tr><th scope="row">{ "Overwritten by a later layer" }</th><td class="num part" data-part="overwritten" data-bytes={f.overwritten.to_string()}>{ human_size(f.overwritten) }</td><td></td></tr>
                <tr><th scope="row">{ "Re-shipped for a mode or owner change" }</th><td class="num part" data-part="metadata_only" data-bytes={f.metadata_only.to_string()}>{ human_size(f.metadata_only) }</td><td class="muted">{ "metadata-only changes" }</td></tr>
                <tr><th scope="row">{ "Written again unchanged" }</th><td class="num part" data-part="identical" data-bytes={f.identical.to_string()}>{ human_size(f.identical) }</td><td class="muted">{ "found by a deep scan" }</td></tr>
                <tr><th scope="row">{ "Hidden by an opaque directory" }</th><td class="num part" data-part="opaque" data-bytes={f.opaque.to_string()}>{ human_size(f.opaque) }</td><td></td></tr>
                <tr><th scope="row">{ "Whiteout markers" }</th><td class="num part" data-part="whiteout_markers" data-bytes={f.whiteout_markers.to_string()}>{ human_size(f.whiteout_markers) }</td><td></td></tr>
                <tr><th scope="row">{ "Tar overhead" }</th><td class="num part" data-part="overhead" data-bytes={f.overhead.to_string()}>{ signed(f.overhead) }</td><td class="muted">{ "headers, padding and end blocks, net of new headers" }</td></tr>
                <tr class="total"><th scope="row">{ "Saved" }</th><td class="num" id="plan-saved" data-bytes={f.total.to_string()}>{ signed(f.total) }</td><td class="muted">{ format!("of {} in the squashed layers", human_size(f.input_layers_size)) }</td></tr>
            </table></div>
        },
        None => html! { <p class="muted">{ "Planning…" }</p> },
    };
    let on_save = {
        let cb = props.onsave.clone();
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            cb.emit(())
        })
    };
    let built = props.built.as_ref().map(|b| {
        html! {
            <p class="built" id="built">
                { "Built " }<a href={b.url.clone()} download={b.name.clone()} id="download-link" data-parts={b.parts.to_string()} onclick={on_save.clone()}>{ display_text(&b.name) }</a>
                { format!(" ({}, {:.1} s): image {}", human_size(b.size as u64), b.millis / 1000.0, b.image_id) }
                <br /><span class="muted">{ format!("new layer {}", b.diff_id) }</span>
                <br />{ "Load it with " }<code id="docker-load">{ format!("docker load -i {}", display_text(&b.name)) }</code>{ " (or " }<code>{ format!("podman load -i {}", display_text(&b.name)) }</code>{ ")." }
            </p>
        }
    });
    html! {
        <section class="squash" aria-labelledby="squash-title" id="squash">
            <h2 id="squash-title" tabindex="-1">{ "Squash" }</h2>
            <div class="controls">
                <label>{ "Squash " }
                    <select onchange={on_from} id="squash-from">
                        { for (0..n).map(|i| html! { <option value={i.to_string()} selected={i == props.from}>{ if i == 0 { "all layers".to_string() } else { format!("layers {i}..{} (keep 0..{} as they are)", n - 1, i - 1) } }</option> }) }
                    </select>
                </label>
                <label>{ "Tag " }<input type="text" placeholder="name:tag (default: the input's)" value={(*tag).clone()} oninput={on_tag} id="squash-tag" /></label>
                <button class="primary" onclick={on_build} disabled={props.busy || props.figures.is_none()} id="build">{ "Build & download" }</button>
            </div>
            { props.children.clone() }
            { figures }
            { built }
        </section>
    }
}
