//! The size map: a treemap of every file the image ships (or of one layer's files), area by
//! size, coloured by layer, dead bytes hatched; choosing a tile opens its path in the file
//! view. The worker lays it out with the core ([`Treemap`]) and the SVG is the core's too
//! ([`svg`]), the very markup the report embeds. The section also downloads the report.
//!
//! Keyboard: Tab reaches one tile; the arrow keys move to the nearest tile that way
//! ([`neighbour`]); Enter or Space opens it.

use std::rc::Rc;

use layerlens_core::present::human_size;
use layerlens_core::view::treemap::{Scope, TileKind, Treemap};
use layerlens_core::view::treemap_svg::{describe, layer_colour, neighbour, svg, GREY};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, Element, HtmlSelectElement, Url};
use yew::prelude::*;

use crate::hooks::use_image_worker::ImageWorker;
use crate::protocol::{MapEvent, MapRequest};

/// Properties.
#[derive(Properties, PartialEq)]
pub struct SizeMapProps {
    /// The worker.
    pub worker: ImageWorker,
    /// The image shown (its ID): a new one asks for its map again.
    pub image: AttrValue,
    /// Layers of the image.
    pub layers: usize,
    /// Open a path of a layer in the file view.
    pub onopen: Callback<(usize, String)>,
}

/// The tile an event happened on.
fn tile_of(e: &web_sys::Event) -> Option<(Element, usize)> {
    let el: Element = e.target()?.dyn_into().ok()?;
    let tile = el.closest("[data-tile]").ok()??;
    let i = tile.get_attribute("data-tile")?.parse().ok()?;
    Some((tile, i))
}

/// Focuses an SVG element (web-sys's `focus` is on `HtmlElement` only).
fn focus(el: &Element) {
    if let Ok(f) = js_sys::Reflect::get(el, &JsValue::from_str("focus")) {
        if let Some(f) = f.dyn_ref::<js_sys::Function>() {
            let _ = f.call0(el);
        }
    }
}

/// Starts a download of `bytes` as `name`.
fn download(bytes: &JsValue, name: &str, mime: &str) -> bool {
    let parts = js_sys::Array::of1(bytes);
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = Blob::new_with_u8_array_sequence_and_options(&parts, &options) else {
        return false;
    };
    let Ok(url) = Url::create_object_url_with_blob(&blob) else {
        return false;
    };
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    let Ok(a) = doc.create_element("a") else {
        return false;
    };
    let a: web_sys::HtmlAnchorElement = a.unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    crate::timer::revoke_url_later(url);
    true
}

/// The size map section.
#[component]
pub fn SizeMap(props: &SizeMapProps) -> Html {
    let scope = use_state(|| None::<usize>);
    let map = use_state(|| None::<Rc<Treemap>>);
    let report = use_state(|| None::<(String, f64)>);
    // Answers from the worker.
    {
        let (worker, map, report) = (props.worker.clone(), map.clone(), report.clone());
        use_effect_with(props.image.clone(), move |_| {
            worker.on_map(Callback::from(
                move |(event, carried): (MapEvent, JsValue)| match event {
                    MapEvent::SizeMap { map: m } => map.set(Some(Rc::new(*m))),
                    MapEvent::Report { name, size } => {
                        if download(&carried, &name, "text/html") {
                            report.set(Some((name, size)));
                        }
                    }
                    MapEvent::BeforeAfter { .. } => {}
                },
            ));
        });
    }
    // Ask for the map of the scope chosen (again for a new image).
    {
        let worker = props.worker.clone();
        let layers = props.layers;
        let scope_now = (*scope).filter(|&l| l < layers);
        use_effect_with((props.image.clone(), scope_now), move |(_, layer)| {
            worker.map(MapRequest::SizeMap { layer: *layer });
        });
    }
    let svg_markup = use_memo((*map).clone(), |m| {
        m.as_ref()
            .map(|m| AttrValue::from(svg(m, true)))
            .unwrap_or_default()
    });
    let open = {
        let (map, onopen, layers) = ((*map).clone(), props.onopen.clone(), props.layers);
        move |i: usize| {
            let Some(m) = &map else { return };
            let Some(t) = m.tiles.get(i) else { return };
            let last = layers.saturating_sub(1);
            let layer = match (m.scope, t.kind, t.layer) {
                (Scope::Layer(n), _, _) => n,
                // A dead copy is seen at the layer that holds it.
                (Scope::Final, TileKind::File, Some(l)) if t.dead > 0 => l as usize,
                _ => last,
            };
            onopen.emit((layer, t.path.clone()));
        }
    };
    let onclick = {
        let open = open.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some((_, i)) = tile_of(&e) {
                open(i);
            }
        })
    };
    let onkeydown = {
        let map = (*map).clone();
        Callback::from(move |e: KeyboardEvent| {
            let Some((el, i)) = tile_of(&e) else { return };
            let (dx, dy) = match e.key().as_str() {
                "ArrowLeft" => (-1, 0),
                "ArrowRight" => (1, 0),
                "ArrowUp" => (0, -1),
                "ArrowDown" => (0, 1),
                "Enter" | " " => {
                    e.prevent_default();
                    open(i);
                    return;
                }
                _ => return,
            };
            e.prevent_default();
            let Some(m) = &map else { return };
            let Some(j) = neighbour(m, i, dx, dy) else {
                return;
            };
            let next = el
                .closest("svg")
                .ok()
                .flatten()
                .and_then(|svg| svg.query_selector(&format!("[data-tile=\"{j}\"]")).ok())
                .flatten();
            if let Some(next) = next {
                let _ = el.set_attribute("tabindex", "-1");
                let _ = next.set_attribute("tabindex", "0");
                focus(&next);
            }
        })
    };
    let onscope = {
        let scope = scope.clone();
        Callback::from(move |e: Event| {
            let Some(sel) = e.target_dyn_into::<HtmlSelectElement>() else {
                return;
            };
            scope.set(sel.value().parse::<usize>().ok());
        })
    };
    let onreport = {
        let (worker, report) = (props.worker.clone(), report.clone());
        Callback::from(move |_| {
            report.set(None);
            worker.map(MapRequest::Report);
        })
    };
    let figures = match &*map {
        Some(m) => html! {
            <p id="size-map-figures">
                { "Shown: " }<strong data-v={m.total.to_string()} id="size-map-total">{ human_size(m.total) }</strong>
                { format!(" in {} file copies, of which ", m.files) }
                <strong data-v={m.dead.to_string()} id="size-map-dead">{ human_size(m.dead) }</strong>
                { " dead (deleted or replaced by a later layer, still shipped). " }
                { format!("{} tiles; small files are gathered per directory.", m.tiles.len()) }
            </p>
        },
        None => html! { <p class="muted">{ "Laying out the size map…" }</p> },
    };
    let largest = (*map).as_ref().and_then(|m| {
        m.tiles
            .iter()
            .filter(|t| t.kind == TileKind::File)
            .max_by_key(|t| t.size)
            .map(describe)
    });
    html! {
        <section id="size-map" class="size-map" aria-labelledby="size-map-title">
            <h2 id="size-map-title" tabindex="-1">{ "Size map" }</h2>
            <p class="muted">{ "Every file the image ships, its area by size and its colour by the layer that holds it. Hatched bytes are dead: a later layer deleted or replaced them, yet every pull still downloads them. Choose a tile (click, or Enter) to open its path in the file view." }</p>
            <div class="size-map-controls">
                <label for="size-map-scope">{ "Show " }</label>
                <select id="size-map-scope" onchange={onscope}>
                    <option value="final" selected={scope.is_none()}>{ "every file shipped (final filesystem and dead copies)" }</option>
                    { for (0..props.layers).map(|l| html! {
                        <option value={l.to_string()} selected={*scope == Some(l)}>{ format!("the files of layer {l}") }</option>
                    }) }
                </select>
                <button type="button" id="report-download" onclick={onreport}>{ "Download the report (HTML, works offline)" }</button>
                if let Some((name, size)) = &*report {
                    <span id="report-status" role="status">{ format!("Saved {name} ({})", human_size(*size as u64)) }</span>
                }
            </div>
            { figures }
            if let Some(l) = largest {
                <p class="muted" id="size-map-largest">{ format!("Largest file: {l}.") }</p>
            }
            <ul class="size-map-legend" aria-label="Colours">
                { for (0..props.layers).map(|l| html! {
                    <li><span class="swatch" style={format!("background:{}", layer_colour(l))}></span>{ format!("layer {l}") }</li>
                }) }
                <li><span class="swatch" style={format!("background:{GREY}")}></span>{ "a directory or smaller files, together" }</li>
                <li><span class="swatch dead"></span>{ "dead bytes" }</li>
            </ul>
            <div id="size-map-svg" class="size-map-svg" {onclick} {onkeydown}>
                { Html::from_html_unchecked(svg_markup.as_ref().clone()) }
            </div>
        </section>
    }
}
