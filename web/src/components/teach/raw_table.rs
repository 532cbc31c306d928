//! A layer's tar members as a virtualised table: rows have one height, so only those in view
//! (and a few around) are in the DOM, whatever the member count (a layer can have 100,000).
//! A marker's row says what it removes; each removed path opens its history.

use std::rc::Rc;

use layerlens_core::present::human_size;
use layerlens_core::teach::{MarkerKind, RawLayer, RawMember};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

/// Height of a row in pixels (the CSS gives `.raw-row` this height).
const ROW: f64 = 28.0;
/// Height of the scrolling area.
const VIEW: f64 = 448.0;
/// Rows rendered beyond the visible ones, above and below.
const OVERSCAN: usize = 8;

/// Props of [`RawTable`].
#[derive(Properties, PartialEq)]
pub struct RawTableProps {
    /// The members.
    pub raw: Rc<RawLayer>,
    /// A member to scroll to and mark (the tour's marker).
    pub highlight: Option<usize>,
    /// Another layer is being read.
    pub loading: bool,
    /// Show a path's history at a layer.
    pub onpath: Callback<(usize, String)>,
}

/// Shows the members.
#[component]
pub fn RawTable(props: &RawTableProps) -> Html {
    let top = use_state(|| 0.0f64);
    let scroller = use_node_ref();
    let open = use_state(|| None::<usize>);
    // Another layer starts at its first member, or at the highlighted one.
    {
        let (scroller, top) = (scroller.clone(), top.clone());
        let at = props.highlight;
        use_effect_with((props.raw.layer, at), move |_| {
            if let Some(el) = scroller.cast::<HtmlElement>() {
                let y = at.map_or(0.0, |i| ((i as f64) * ROW - VIEW / 3.0).max(0.0));
                el.set_scroll_top(y as i32);
                top.set(y);
            }
        });
    }
    let onscroll = {
        let top = top.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target().and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
                top.set(el.scroll_top() as f64);
            }
        })
    };
    let raw = &props.raw;
    let n = raw.members.len();
    let first = ((*top / ROW) as usize).saturating_sub(OVERSCAN).min(n);
    let last = (first + (VIEW / ROW) as usize + 2 * OVERSCAN).min(n);
    let markers = raw.members.iter().filter(|m| m.marker.is_some()).count();
    let rows = raw.members[first..last].iter().map(|m| {
        let toggle = {
            let open = open.clone();
            let i = m.index as usize;
            Callback::from(move |_: MouseEvent| {
                open.set(if *open == Some(i) { None } else { Some(i) })
            })
        };
        row(m, props.highlight == Some(m.index as usize), toggle)
    });
    let details = (*open)
        .and_then(|i| raw.members.get(i))
        .and_then(|m| m.marker.as_ref().map(|mk| (m, mk)))
        .map(|(m, mk)| {
            let items = mk.removes.iter().map(|r| {
                let onclick = {
                    let (cb, layer, path) = (props.onpath.clone(), r.layer as usize, r.path.clone());
                    Callback::from(move |_: MouseEvent| cb.emit((layer, path.clone())))
                };
                html! {
                    <li><button class="link" {onclick} data-layer={r.layer.to_string()}>{ format!("{} {}", r.kind, r.path) }</button>{ format!(" — layer {}, {}", r.layer, human_size(r.size)) }</li>
                }
            });
            let more = mk.removed_count.saturating_sub(mk.removes.len() as u64);
            html! {
                <div id="raw-marker" class="raw-marker" role="region" aria-label={format!("What {} removes", m.name)}>
                    <p>{ format!("{} ", m.name) }<strong>{ verb(mk.kind) }</strong>{ format!(" {}: {} paths, {} still shipped in the layers below.", mk.target, mk.removed_count, human_size(mk.removed_bytes)) }</p>
                    <ul>{ for items }</ul>
                    if more > 0 { <p class="muted">{ format!("and {more} more") }</p> }
                </div>
            }
        });
    html! {
        <div class="raw-view" data-layer={raw.layer.to_string()}>
            <p id="raw-summary">
                { format!("Layer {}: {} blob of {}, tar of {}, ", raw.layer, raw.compression.name(), human_size(raw.blob_size), human_size(raw.tar_size)) }
                <span id="raw-count" data-value={n.to_string()}>{ format!("{n} members") }</span>
                { format!(", {markers} whiteout marker{}.", if markers == 1 { "" } else { "s" }) }
                if props.loading { <span class="muted">{ " Reading another layer…" }</span> }
            </p>
            <div class="raw-scroll" ref={scroller} {onscroll} tabindex="0" role="region" aria-label={format!("Tar members of layer {}", raw.layer)} style={format!("height:{VIEW}px")}>
                <table class="raw-table" aria-rowcount={(n + 1).to_string()}>
                    <thead><tr>
                        <th scope="col">{ "#" }</th><th scope="col">{ "Offset" }</th><th scope="col">{ "Type" }</th><th scope="col">{ "Mode" }</th><th scope="col">{ "Owner" }</th><th scope="col">{ "Size" }</th><th scope="col">{ "Mtime" }</th><th scope="col">{ "Name as written" }</th><th scope="col">{ "PAX records" }</th><th scope="col">{ "Removes" }</th>
                    </tr></thead>
                    <tbody>
                        <tr aria-hidden="true" style={format!("height:{}px", first as f64 * ROW)}></tr>
                        { for rows }
                        <tr aria-hidden="true" style={format!("height:{}px", (n - last) as f64 * ROW)}></tr>
                    </tbody>
                </table>
            </div>
            { details.unwrap_or_default() }
        </div>
    }
}

fn verb(kind: MarkerKind) -> &'static str {
    match kind {
        MarkerKind::Whiteout => "deletes",
        MarkerKind::Opaque => "makes opaque",
    }
}

fn row(m: &RawMember, marked: bool, toggle: Callback<MouseEvent>) -> Html {
    let owner = match (m.uname.is_empty(), m.gname.is_empty()) {
        (true, true) => format!("{}/{}", m.uid, m.gid),
        _ => format!("{}/{} ({}:{})", m.uid, m.gid, m.uname, m.gname),
    };
    let name = match (&m.link, m.kind.as_ref()) {
        (Some(t), "symlink") => format!("{} -> {t}", m.name),
        (Some(t), "hardlink") => format!("{} link to {t}", m.name),
        _ => m.name.clone(),
    };
    let pax = m
        .pax
        .iter()
        .map(|p| format!("{}={}", p.key, p.value))
        .collect::<Vec<_>>()
        .join("; ");
    let marker = m.marker.as_ref().map(|mk| {
        html! {
            <button class="link marker" onclick={toggle} aria-label={format!("{} {}: {} paths", verb(mk.kind), mk.target, mk.removed_count)}>
                { format!("{} {} ({} paths, {})", verb(mk.kind), mk.target, mk.removed_count, human_size(mk.removed_bytes)) }
            </button>
        }
    });
    html! {
        <tr class={classes!("raw-row", m.marker.is_some().then_some("is-marker"), marked.then_some("tour-marked"))} aria-rowindex={(m.index + 2).to_string()} data-index={m.index.to_string()} data-offset={m.offset.to_string()} data-flag={m.flag.to_string()} data-mode={format!("{:o}", m.mode)} data-uid={m.uid.to_string()} data-gid={m.gid.to_string()} data-size={m.size.to_string()} data-mtime={m.mtime.to_string()}>
            <td>{ m.index }</td>
            <td class="num">{ m.offset }</td>
            <td title={m.kind.to_string()}>{ format!("{} {}", m.flag, m.kind) }</td>
            <td class="mono">{ format!("{:04o}", m.mode) }</td>
            <td>{ owner }</td>
            <td class="num">{ m.size }</td>
            <td class="num">{ m.mtime }</td>
            <td class="mono raw-name">{ name }</td>
            <td class="mono raw-pax" title={pax.clone()}>{ pax }</td>
            <td>{ marker.unwrap_or_default() }</td>
        </tr>
    }
}
