//! "See inside": the file viewer (text with line numbers, hex, image preview, pretty JSON,
//! metadata beside it, a page at a time), downloads of a file or a subtree, the content diff
//! of a path between two layers, the range diff of layers I..J and the history as a
//! Dockerfile. The panel keeps its own state and talks to the worker through
//! [`ImageWorker::see`]; the URL fragment keeps the view, layer and path ([`link`]).

mod content;
pub mod diff;
mod link;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Uint8Array;
use layerlens_core::analysis::content_diff::ContentDiff;
use layerlens_core::analysis::dockerfile::Instruction;
use layerlens_core::present::human_size;
use layerlens_core::sanitize::display_text;
use layerlens_core::view::FileInfo;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, HtmlInputElement, HtmlSelectElement, Url};
use yew::prelude::*;

use crate::hooks::use_image_worker::ImageWorker;
use crate::protocol::{RangeRow, SeeEvent, SeeRequest, PAGE};
use content::{hex_dump, look, pretty_json, text_view, Look};
use diff::{diff_view, Layout};
use link::Link;

/// Largest file previewed as an image (the whole file is read).
const MAX_PREVIEW: u64 = 32 << 20;

/// Which view is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum View {
    #[default]
    File,
    Diff,
    Range,
    History,
}

impl View {
    fn name(self) -> &'static str {
        match self {
            View::File => "file",
            View::Diff => "diff",
            View::Range => "range",
            View::History => "history",
        }
    }
    fn parse(s: &str) -> View {
        match s {
            "diff" => View::Diff,
            "range" => View::Range,
            "history" => View::History,
            _ => View::File,
        }
    }
}

/// A file as loaded so far.
#[derive(Debug, Clone, PartialEq)]
struct Page {
    info: Rc<FileInfo>,
    layer: Option<usize>,
    bytes: Rc<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct SeeState {
    view: View,
    path: String,
    layer: Option<usize>,
    from: Option<usize>,
    from_empty: bool,
    to: Option<usize>,
    page: Option<Page>,
    diff: Option<Rc<ContentDiff>>,
    layout: Option<Layout>,
    range: Option<Rc<Vec<RangeRow>>>,
    history: Option<Rc<Vec<Instruction>>>,
    preview: Option<String>,
    waiting: bool,
    /// Pages received (the page's tests wait for the next one).
    pages: u32,
    /// Show the secret values found in the text instead of their masks (the person asked).
    reveal: bool,
}

enum Act {
    View(View),
    Path(String),
    Layer(Option<usize>),
    From(Option<usize>, bool),
    To(Option<usize>),
    Layout(Layout),
    Waiting,
    Page(Box<FileInfo>, Option<usize>, u64, Vec<u8>),
    Diff(Box<ContentDiff>),
    Range(Vec<RangeRow>),
    History(Vec<Instruction>),
    Preview(Option<String>),
    Done,
    Reveal(bool),
}

impl Reducible for SeeState {
    type Action = Act;
    fn reduce(self: Rc<Self>, a: Act) -> Rc<Self> {
        let mut s = (*self).clone();
        match a {
            Act::View(v) => s.view = v,
            Act::Path(p) => {
                s.path = p;
                s.reveal = false;
            }
            Act::Reveal(r) => s.reveal = r,
            Act::Layer(l) => s.layer = l,
            Act::From(f, empty) => (s.from, s.from_empty) = (f, empty),
            Act::To(t) => s.to = t,
            Act::Layout(l) => s.layout = Some(l),
            Act::Waiting => s.waiting = true,
            Act::Done => s.waiting = false,
            Act::Page(info, layer, offset, bytes) => {
                s.waiting = false;
                s.pages += 1;
                let same = s.page.as_ref().is_some_and(|p| {
                    p.info.path == info.path && p.layer == layer && p.bytes.len() as u64 == offset
                });
                if same && offset > 0 {
                    if let Some(p) = s.page.as_mut() {
                        let mut all = (*p.bytes).clone();
                        all.extend_from_slice(&bytes);
                        p.bytes = Rc::new(all);
                    }
                } else {
                    if let Some(old) = s.preview.take() {
                        let _ = Url::revoke_object_url(&old);
                    }
                    s.page = Some(Page {
                        info: Rc::new(*info),
                        layer,
                        bytes: Rc::new(bytes),
                    });
                }
            }
            Act::Diff(d) => {
                s.waiting = false;
                s.diff = Some(Rc::new(*d));
            }
            Act::Range(r) => {
                s.waiting = false;
                s.range = Some(Rc::new(r));
            }
            Act::History(h) => {
                s.waiting = false;
                s.history = Some(Rc::new(h));
            }
            Act::Preview(url) => {
                s.waiting = false;
                s.preview = url;
            }
        }
        Rc::new(s)
    }
}

/// What a download that arrives is for.
#[derive(Debug, Clone, PartialEq)]
enum Pending {
    Save,
    Preview(&'static str),
}

/// Props of [`SeePanel`].
#[derive(Properties, PartialEq)]
pub struct SeeProps {
    /// The worker.
    pub worker: ImageWorker,
    /// Layers of the image.
    pub layers: usize,
    /// The layer selected on the page.
    pub selected: usize,
    /// A path chosen elsewhere on the page (the file tree): opened at `selected`.
    pub path: Option<AttrValue>,
    /// Select a layer on the page.
    pub onselect: Callback<usize>,
    /// The image (a new one resets the panel).
    pub image: AttrValue,
}

fn start_download(url: &str, name: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(a) = doc.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(url);
        a.set_download(name);
        a.click();
    }
}

/// The blob again, typed (an `<img>` shows SVG only with its type).
fn typed(blob: &Blob, mime: &str) -> Option<Blob> {
    let parts = js_sys::Array::of1(blob);
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_blob_sequence_and_options(&parts, &options).ok()
}

/// The "see inside" panel.
/// The fragment that opens `path`'s content diff between the versions after layers `from` and
/// `to` in the panel (a path history links each rewrite to it).
pub fn diff_link(path: &str, from: usize, to: usize) -> String {
    Link {
        view: "diff".into(),
        path: Some(format!("/{}", path.trim_start_matches('/'))),
        from: Some(from),
        to: Some(to),
        ..Link::default()
    }
    .format()
}

#[component]
pub fn SeePanel(props: &SeeProps) -> Html {
    let state = use_reducer(SeeState::default);
    let pending = use_mut_ref(|| Pending::Save);
    // Answers from the worker.
    {
        let (worker, dispatch, pending) =
            (props.worker.clone(), state.dispatcher(), pending.clone());
        use_effect_with(props.image.clone(), move |_| {
            worker.on_see(Callback::from(
                move |(event, carried): (SeeEvent, JsValue)| {
                    on_answer(&dispatch, &pending, event, carried)
                },
            ));
        });
    }
    let send = {
        let (worker, dispatch) = (props.worker.clone(), state.dispatcher());
        Callback::from(move |r: SeeRequest| {
            dispatch.dispatch(Act::Waiting);
            worker.see(r);
        })
    };
    // A deep link opens its view once the image is there.
    {
        let (dispatch, send, pending) = (state.dispatcher(), send.clone(), pending.clone());
        use_effect_with(props.image.clone(), move |_| {
            if let Some(l) = Link::current() {
                apply_link(&dispatch, &send, &pending, &l);
            }
        });
    }
    // A link followed on the page (a path history's "diff") opens its view here, and the
    // panel comes into sight with the focus on it.
    {
        let (dispatch, send, pending) = (state.dispatcher(), send.clone(), pending.clone());
        use_effect_with((), move |_| {
            let listener = Closure::<dyn FnMut()>::new(move || {
                if let Some(l) = Link::current() {
                    apply_link(&dispatch, &send, &pending, &l);
                    if let Some(panel) = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.get_element_by_id("see-panel"))
                        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                    {
                        panel.scroll_into_view();
                        let _ = panel.focus();
                    }
                }
            });
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ = w.add_event_listener_with_callback(
                    "hashchange",
                    listener.as_ref().unchecked_ref(),
                );
            }
            move || {
                if let Some(w) = window {
                    let _ = w.remove_event_listener_with_callback(
                        "hashchange",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }
    // A path chosen in the file tree opens here, at the selected layer.
    {
        let (dispatch, send, selected) = (state.dispatcher(), send.clone(), props.selected);
        use_effect_with(props.path.clone(), move |p| {
            if let Some(p) = p {
                let path = format!("/{}", p.trim_start_matches('/'));
                dispatch.dispatch(Act::View(View::File));
                dispatch.dispatch(Act::Path(path.clone()));
                dispatch.dispatch(Act::Layer(Some(selected)));
                send.emit(SeeRequest::Read {
                    layer: Some(selected),
                    path,
                    offset: 0,
                    len: PAGE,
                });
            }
        });
    }
    // The fragment follows what is shown.
    {
        let s = &*state;
        let link = Link {
            view: s.view.name().into(),
            layer: s.layer,
            path: (!s.path.is_empty()).then(|| s.path.clone()),
            from: s.from,
            from_empty: s.from_empty,
            to: s.to,
        };
        use_effect_with(link, |l| {
            if l.path.is_some() || matches!(l.view.as_str(), "range" | "history") {
                l.show();
            }
        });
    }

    let d = state.dispatcher();
    let dc = d.to_callback();
    let tab = |v: View, label: &str| {
        let (d, send) = (d.clone(), send.clone());
        let need_history = state.history.is_none();
        let onclick = Callback::from(move |_: MouseEvent| {
            d.dispatch(Act::View(v));
            if v == View::History && need_history {
                send.emit(SeeRequest::History);
            }
        });
        html! { <button id={format!("see-tab-{}", v.name())} class={classes!("tab", (state.view == v).then_some("active"))} {onclick}>{ label.to_string() }</button> }
    };
    let onpath =
        dc.reform(|e: InputEvent| Act::Path(e.target_unchecked_into::<HtmlInputElement>().value()));
    let layer_select = |id: &str,
                        value: Option<usize>,
                        empty: bool,
                        act: fn(Option<usize>, bool) -> Act| {
        let onchange = dc.reform(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            match v.as_str() {
                "empty" => act(None, true),
                "last" => act(None, false),
                n => act(n.parse().ok(), false),
            }
        });
        html! {
            <select id={id.to_string()} aria-label={match id { "see-from" => "Compare from", "see-to" => "Compare to", _ => "After layer" }} {onchange}>
                <option value="last" selected={value.is_none() && !empty}>{ "last layer" }</option>
                if id == "see-from" { <option value="empty" selected={empty}>{ "empty (before layer 0)" }</option> }
                { for (0..props.layers).map(|i| html! { <option value={i.to_string()} selected={value == Some(i)}>{ format!("after layer {i}") }</option> }) }
            </select>
        }
    };
    // The worker's work is synchronous: stopping it means a fresh worker (which reads the
    // file again).
    let stop = {
        let (worker, d) = (props.worker.clone(), d.clone());
        Callback::from(move |_: MouseEvent| {
            worker.cancel();
            d.dispatch(Act::Done);
        })
    };
    let last = props.layers.saturating_sub(1);
    let body = match state.view {
        View::File => file_view(
            &state,
            &send,
            &pending,
            props,
            layer_select("see-layer", state.layer, false, |l, _| Act::Layer(l)),
            onpath.clone(),
        ),
        View::Diff => {
            let to = state.to.unwrap_or(last);
            let from = if state.from_empty {
                None
            } else {
                Some(state.from.unwrap_or(to.saturating_sub(1)))
            };
            let go = {
                let (send, path) = (send.clone(), state.path.clone());
                Callback::from(move |_: MouseEvent| {
                    send.emit(SeeRequest::ContentDiff {
                        path: path.clone(),
                        from,
                        to: Some(to),
                    })
                })
            };
            let layout = state.layout.unwrap_or(Layout::Unified);
            let flip = dc.reform(move |_: MouseEvent| {
                Act::Layout(if layout == Layout::Unified {
                    Layout::SideBySide
                } else {
                    Layout::Unified
                })
            });
            html! {
                <>
                    <div class="controls">
                        <input id="see-path-diff" class="path-input" aria-label="Path to compare" placeholder="/etc/passwd" value={state.path.clone()} oninput={onpath.clone()} />
                        { "from " }{ layer_select("see-from", state.from, state.from_empty, Act::From) }
                        { " to " }{ layer_select("see-to", state.to, false, |t, _| Act::To(t)) }
                        <button id="see-diff-go" onclick={go}>{ "Compare" }</button>
                        <button id="see-diff-layout" onclick={flip}>{ if layout == Layout::Unified { "Side by side" } else { "Unified" } }</button>
                    </div>
                    if let Some(diff) = &state.diff { { diff_view(diff, layout) } }
                </>
            }
        }
        View::Range => {
            let to = state.to.unwrap_or(last);
            let from = if state.from_empty {
                None
            } else {
                Some(state.from.unwrap_or(to.saturating_sub(1)))
            };
            let go = {
                let send = send.clone();
                Callback::from(move |_: MouseEvent| {
                    send.emit(SeeRequest::RangeDiff { from, to: Some(to) })
                })
            };
            let open = |path: String| {
                let (d, send) = (d.clone(), send.clone());
                Callback::from(move |_: MouseEvent| {
                    d.dispatch(Act::View(View::File));
                    d.dispatch(Act::Path(path.clone()));
                    d.dispatch(Act::Layer(Some(to)));
                    send.emit(SeeRequest::Read {
                        layer: Some(to),
                        path: path.clone(),
                        offset: 0,
                        len: PAGE,
                    });
                })
            };
            html! {
                <>
                    <div class="controls">
                        { "from " }{ layer_select("see-from", state.from, state.from_empty, Act::From) }
                        { " to " }{ layer_select("see-to", state.to, false, |t, _| Act::To(t)) }
                        <button id="see-range-go" onclick={go}>{ "Show changes" }</button>
                    </div>
                    if let Some(rows) = &state.range {
                        <p class="muted">{ format!("{} path(s) differ", rows.len()) }</p>
                        <table class="range-diff" id="range-diff">
                            <tbody>
                                { for rows.iter().map(|r| html! {
                                    <tr class={match r.mark { '+' => "added", '-' => "removed", _ => "modified" }}>
                                        <td class="mono">{ r.mark }</td>
                                        <td class="mono">
                                            if r.kind_after == Some('-') { <button class="link" onclick={open(r.path.clone())}>{ r.path.clone() }</button> } else { { r.path.clone() } }
                                        </td>
                                        <td>{ match r.mark {
                                            '+' => format!("{} {}", r.kind_after.unwrap_or('?'), human_size(r.size_after)),
                                            '-' => format!("{} {}", r.kind_before.unwrap_or('?'), human_size(r.size_before)),
                                            _ => format!("{} ({} → {})", r.changed.join(", "), human_size(r.size_before), human_size(r.size_after)),
                                        } }</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    }
                </>
            }
        }
        View::History => match &state.history {
            None => html! { <p class="muted">{ "Loading…" }</p> },
            Some(steps) => html! {
                <ol class="dockerfile" id="dockerfile">
                    { for steps.iter().map(|s| {
                        let layer = s.layer;
                        let onclick = props.onselect.reform(move |_: MouseEvent| layer.unwrap_or(0));
                        html! {
                            <li>
                                if layer.is_some() { <button class="link" {onclick}>{ format!("layer {}", layer.unwrap_or(0)) }</button> } else { <span class="muted">{ "empty layer" }</span> }
                                <pre class="instruction">{ escaped_lines(&s.line()) }</pre>
                            </li>
                        }
                    }) }
                </ol>
            },
        },
    };
    html! {
        <section class="see-panel" id="see-panel" tabindex="-1">
            <h2>{ "See inside" }</h2>
            <nav class="tabs">
                { tab(View::File, "File") }{ tab(View::Diff, "Diff") }{ tab(View::Range, "Range diff") }{ tab(View::History, "Dockerfile") }
                if state.waiting {
                    <span class="muted" id="see-waiting">{ " working… " }</span>
                    <button id="see-stop" onclick={stop}>{ "Stop" }</button>
                }
            </nav>
            { body }
        </section>
    }
}

fn on_answer(
    dispatch: &UseReducerDispatcher<SeeState>,
    pending: &Rc<RefCell<Pending>>,
    event: SeeEvent,
    carried: JsValue,
) {
    match event {
        SeeEvent::Page {
            info,
            layer,
            offset,
            ..
        } => {
            let bytes = carried
                .dyn_into::<Uint8Array>()
                .map(|a| a.to_vec())
                .unwrap_or_default();
            dispatch.dispatch(Act::Page(info, layer, offset, bytes));
        }
        SeeEvent::Download { name, .. } => {
            let Ok(blob) = carried.dyn_into::<Blob>() else {
                return dispatch.dispatch(Act::Done);
            };
            let what = std::mem::replace(&mut *pending.borrow_mut(), Pending::Save);
            let blob = match what {
                Pending::Preview(mime) => typed(&blob, mime).unwrap_or(blob),
                Pending::Save => blob,
            };
            let Ok(url) = Url::create_object_url_with_blob(&blob) else {
                return dispatch.dispatch(Act::Done);
            };
            match what {
                Pending::Preview(_) => dispatch.dispatch(Act::Preview(Some(url))),
                Pending::Save => {
                    start_download(&url, &name);
                    dispatch.dispatch(Act::Done);
                    // The click has taken the URL; free it once the download has started.
                    crate::timer::revoke_url_later(url);
                }
            }
        }
        SeeEvent::ContentDiff { diff, .. } => dispatch.dispatch(Act::Diff(diff)),
        SeeEvent::RangeDiff { rows, .. } => dispatch.dispatch(Act::Range(rows)),
        SeeEvent::History { steps } => dispatch.dispatch(Act::History(steps)),
    }
}

fn apply_link(
    dispatch: &UseReducerDispatcher<SeeState>,
    send: &Callback<SeeRequest>,
    pending: &Rc<RefCell<Pending>>,
    l: &Link,
) {
    let view = View::parse(&l.view);
    dispatch.dispatch(Act::View(view));
    dispatch.dispatch(Act::Layer(l.layer));
    dispatch.dispatch(Act::From(l.from, l.from_empty));
    dispatch.dispatch(Act::To(l.to));
    if let Some(p) = &l.path {
        dispatch.dispatch(Act::Path(p.clone()));
    }
    *pending.borrow_mut() = Pending::Save;
    let from = if l.from_empty { None } else { l.from };
    match (view, &l.path) {
        (View::File, Some(p)) => send.emit(SeeRequest::Read {
            layer: l.layer,
            path: p.clone(),
            offset: 0,
            len: PAGE,
        }),
        (View::Diff, Some(p)) => send.emit(SeeRequest::ContentDiff {
            path: p.clone(),
            from,
            to: l.to,
        }),
        (View::Range, _) => send.emit(SeeRequest::RangeDiff { from, to: l.to }),
        (View::History, _) => send.emit(SeeRequest::History),
        _ => {}
    }
}

fn file_view(
    state: &UseReducerHandle<SeeState>,
    send: &Callback<SeeRequest>,
    pending: &Rc<RefCell<Pending>>,
    props: &SeeProps,
    layer_select: Html,
    onpath: Callback<InputEvent>,
) -> Html {
    let (path, layer) = (state.path.clone(), state.layer);
    let open = {
        let (send, path) = (send.clone(), path.clone());
        Callback::from(move |_: MouseEvent| {
            send.emit(SeeRequest::Read {
                layer,
                path: path.clone(),
                offset: 0,
                len: PAGE,
            })
        })
    };
    let save = {
        let (send, path, pending) = (send.clone(), path.clone(), pending.clone());
        Callback::from(move |_: MouseEvent| {
            *pending.borrow_mut() = Pending::Save;
            send.emit(SeeRequest::DownloadFile {
                layer,
                path: path.clone(),
            })
        })
    };
    let save_tar = {
        let (send, path, pending) = (send.clone(), path.clone(), pending.clone());
        Callback::from(move |_: MouseEvent| {
            *pending.borrow_mut() = Pending::Save;
            send.emit(SeeRequest::DownloadTree {
                layer,
                path: path.clone(),
            })
        })
    };
    let controls = html! {
        <div class="controls">
            <input id="see-path" class="path-input" aria-label="Path in the image" placeholder="/etc/os-release" value={path.clone()} oninput={onpath} />
            { layer_select }
            <button id="see-open" onclick={open}>{ "Open" }</button>
            <button id="see-download" onclick={save}>{ "Download file" }</button>
            <button id="see-download-tar" onclick={save_tar}>{ "Download as tar" }</button>
        </div>
    };
    let Some(page) = &state.page else {
        return html! { <>{ controls }<p class="muted">{ "Choose a file in the file view, or type its path." }</p></> };
    };
    let info = &page.info;
    let shown = look(&info.path, &page.bytes);
    let complete = page.bytes.len() as u64 >= info.size;
    // Text is shown with secret values masked, as everywhere on the page, until asked.
    let rules =
        layerlens_core::secrets::Rules::for_path(info.path.trim_start_matches('/').as_bytes())
            .unwrap_or(layerlens_core::secrets::Rules::STEP);
    let hits = match shown {
        Look::Text | Look::Json => layerlens_core::secrets::find(&page.bytes, rules),
        _ => Vec::new(),
    };
    let masked_bytes;
    let bytes: &[u8] = if hits.is_empty() || state.reveal {
        &page.bytes
    } else {
        let mut out = Vec::with_capacity(page.bytes.len());
        let mut at = 0;
        for h in &hits {
            out.extend_from_slice(page.bytes.get(at..h.start).unwrap_or_default());
            let value = page.bytes.get(h.start..h.end).unwrap_or_default();
            out.extend_from_slice(layerlens_core::secrets::mask(value).as_bytes());
            at = h.end;
        }
        out.extend_from_slice(page.bytes.get(at..).unwrap_or_default());
        masked_bytes = out;
        &masked_bytes
    };
    let secrets_note = (!hits.is_empty()).then(|| {
        let d = state.dispatcher();
        let reveal = state.reveal;
        let toggle = Callback::from(move |_: MouseEvent| d.dispatch(Act::Reveal(!reveal)));
        html! {
            <p class="secrets-masked" id="viewer-secrets">
                { format!("{} secret value{} {} masked here. ", hits.len(), if hits.len() == 1 { "" } else { "s" }, if hits.len() == 1 { "is" } else { "are" }) }
                <button id="viewer-reveal" onclick={toggle}>{ if reveal { "Mask them again" } else { "Show them" } }</button>
            </p>
        }
    });
    // An image is previewed from the whole file (read once, as a Blob).
    if let Look::Image(mime) = shown {
        if state.preview.is_none() && info.size <= MAX_PREVIEW && !state.waiting {
            *pending.borrow_mut() = Pending::Preview(mime);
            send.emit(SeeRequest::DownloadFile {
                layer: page.layer,
                path: info.path.clone(),
            });
        }
    }
    let more = {
        let (send, path, offset, layer) = (
            send.clone(),
            info.path.clone(),
            bytes.len() as u64,
            page.layer,
        );
        Callback::from(move |_: MouseEvent| {
            send.emit(SeeRequest::Read {
                layer,
                path: path.clone(),
                offset,
                len: PAGE,
            })
        })
    };
    let onselect = {
        let l = info.layer;
        props.onselect.reform(move |_: MouseEvent| l)
    };
    let content = match shown {
        Look::Image(_) => match &state.preview {
            Some(url) => {
                html! { <img id="viewer-image" class="preview" src={url.clone()} alt={info.path.clone()} /> }
            }
            None if info.size > MAX_PREVIEW => {
                html! { <p class="muted">{ "Too large to preview; download it." }</p> }
            }
            None => html! { <p class="muted">{ "Loading the preview…" }</p> },
        },
        Look::Json => match complete.then(|| pretty_json(bytes)).flatten() {
            Some(pretty) => html! { <pre class="json" id="viewer-json">{ pretty }</pre> },
            None => text_view(bytes, 1),
        },
        Look::Text => text_view(bytes, 1),
        Look::Binary => html! { <pre class="hex" id="viewer-hex">{ hex_dump(bytes, 0) }</pre> },
    };
    let when = js_sys::Date::new(&JsValue::from_f64(info.mtime as f64 * 1000.0)).to_iso_string();
    html! {
        <>
            { controls }
            <div class="viewer">
                <dl class="facts file-meta" id="file-meta" data-pages={state.pages.to_string()}>
                    <dt>{ "path" }</dt><dd class="mono" id="meta-path">{ info.path.clone() }</dd>
                    if let Some(l) = &info.link { <dt>{ "symlink to" }</dt><dd class="mono">{ l.clone() }</dd> }
                    <dt>{ "size" }</dt><dd id="meta-size">{ format!("{} ({} bytes)", human_size(info.size), info.size) }</dd>
                    <dt>{ "mode" }</dt><dd class="mono">{ format!("{}{:04o}", info.kind, info.mode) }</dd>
                    <dt>{ "owner" }</dt><dd>{ format!("{}:{}{}", info.uid, info.gid, match (&info.uname, &info.gname) { (Some(u), Some(g)) => format!(" ({}:{})", display_text(u), display_text(g)), (Some(u), None) => format!(" ({})", display_text(u)), _ => String::new() }) }</dd>
                    <dt>{ "mtime" }</dt><dd>{ String::from(when) }</dd>
                    { for info.xattrs.iter().map(|(k, v)| html! { <><dt>{ "xattr" }</dt><dd class="mono">{ format!("{} = {v}", display_text(k)) }</dd></> }) }
                    if !info.hardlinks.is_empty() { <dt>{ "hardlinks" }</dt><dd class="mono">{ info.hardlinks.join(", ") }</dd> }
                    <dt>{ "written by" }</dt><dd><button class="link" onclick={onselect}>{ format!("layer {}", info.layer) }</button>{ if info.compressed { " (compressed layer)" } else { "" } }<div class="muted mono">{ display_text(&info.step) }</div></dd>
                </dl>
                <div class="viewer-content" tabindex="0" role="region" aria-label="File contents">
                    if let Some(note) = secrets_note { { note } }
                    { content }
                    if !complete && !matches!(shown, Look::Image(_)) {
                        <p>
                            { format!("Showing {} of {}. ", human_size(bytes.len() as u64), human_size(info.size)) }
                            <button id="see-more" onclick={more}>{ "Show more" }</button>
                        </p>
                    }
                </div>
            </div>
        </>
    }
}

/// Names and steps from the archive are shown escaped, as the CLI prints them (a Dockerfile
/// line's own line breaks kept).
fn escaped_lines(text: &str) -> String {
    text.split('\n')
        .map(display_text)
        .collect::<Vec<_>>()
        .join("\n")
}
