//! The selected layer's filesystem as a tree: its changes against the layers below marked
//! (added, modified, removed — by symbol and colour), directory sizes rolled up, filter (text
//! or glob), sort, "only changes", expand/collapse. The tree, its expansion and filters live
//! in the worker ([`crate::protocol::FilesRequest`]); the page holds a window of rows around
//! the scrolled view and renders those in view (and the active one), so a layer of a million
//! paths costs the page no more than one of ten. Keyboard: the WAI-ARIA tree pattern (arrows,
//! Home/End, Page keys, type-ahead, Enter for a path's history) with one tab stop.

use std::cell::RefCell;
use std::rc::Rc;

use layerlens_core::present::human_size;
use layerlens_core::sanitize::display_text;
use layerlens_core::view::{Mark, SortBy, TreeFilter};
use yew::prelude::*;

use crate::hooks::use_image_worker::ImageWorker;
use crate::protocol::{FilesOp, FilesRequest, FilesView, ShownNode};
use crate::state::PathFocus;

/// Props of [`FileTreeView`].
#[derive(Properties, PartialEq)]
pub struct FileTreeProps {
    /// The worker holding the tree.
    pub worker: ImageWorker,
    /// The image shown (a new one starts afresh).
    pub image: AttrValue,
    /// The layer shown.
    pub layer: usize,
    /// Layers in the image.
    pub layer_count: usize,
    /// Show another layer.
    pub onlayer: Callback<usize>,
    /// A path to show (from a finding): becomes the filter.
    #[prop_or_default]
    pub focus: Option<PathFocus>,
    /// A path was picked (to show its history): its text and its row in the tree.
    #[prop_or_default]
    pub onpath: Callback<(String, Option<u32>)>,
}

/// Height of the scrolled view.
const VIEW: f64 = 440.0;
/// Type-ahead letters typed within this many ms make one prefix.
const TYPE_AHEAD_MS: f64 = 800.0;
/// Rows rendered beyond the view on each side.
const OVERSCAN: usize = 10;
/// Rows asked for before the view (and as many again after it), so scrolling a little needs
/// no new window.
const MARGIN: usize = 60;

fn mark_symbol(m: Mark) -> (&'static str, &'static str, &'static str) {
    match m {
        Mark::Added => ("+", "added", "added in this layer"),
        Mark::Modified => ("~", "modified", "modified in this layer"),
        Mark::Removed => ("−", "removed", "removed by this layer"),
        Mark::Unchanged => ("·", "unchanged", "unchanged"),
    }
}

/// A name as the tree shows it: escaped, and visible even when it is only spaces.
fn shown_name(name: &str) -> String {
    let text = display_text(name);
    if text.trim().is_empty() {
        format!(
            "“{text}” ({} space{})",
            text.chars().count(),
            if text.chars().count() == 1 { "" } else { "s" }
        )
    } else {
        text
    }
}

fn mode_string(kind: char, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(if kind == '-' { '-' } else { kind });
    let bits = [
        (0o400, 'r'),
        (0o200, 'w'),
        (0o100, 'x'),
        (0o040, 'r'),
        (0o020, 'w'),
        (0o010, 'x'),
        (0o004, 'r'),
        (0o002, 'w'),
        (0o001, 'x'),
    ];
    for (i, (bit, c)) in bits.iter().enumerate() {
        let on = mode & bit != 0;
        let special = match i {
            2 => mode & 0o4000 != 0,
            5 => mode & 0o2000 != 0,
            8 => mode & 0o1000 != 0,
            _ => false,
        };
        s.push(match (on, special, i) {
            (true, true, 8) => 't',
            (false, true, 8) => 'T',
            (true, true, _) => 's',
            (false, true, _) => 'S',
            (true, false, _) => *c,
            (false, false, _) => '-',
        });
    }
    s
}

/// What the page asked the worker and must remember between renders (callbacks outlive the
/// render that made them, so these are shared cells rather than state).
#[derive(Default)]
struct Asked {
    /// The last `Open` (answers to earlier requests belong to another layer or image).
    opened: u32,
    /// The layer it opened.
    layer: usize,
    /// The first row of the last window asked for, while its answer is outstanding.
    pending: Option<u32>,
    /// The last request sent.
    last: u32,
    /// The active node sent with the last request.
    sent_active: Option<u32>,
    /// The active node on the page now.
    active: Option<u32>,
    /// Focus the active row once the answer to this request is shown (a keyboard move).
    focus_after: Option<u32>,
    /// The last answer whose moved row was scrolled into view.
    scrolled: u32,
}

/// The first row of the window to ask for when the view's top row is `top` (in steps, so
/// scrolling a few rows does not ask again).
fn window_first(top: usize) -> u32 {
    (top.saturating_sub(MARGIN) / 20 * 20) as u32
}

/// A request of the file list, with what it needs remembered.
type Ask = Rc<dyn Fn(FilesOp, &TreeFilter, u32, Option<u32>) -> u32>;

/// Shows the tree.
#[component]
pub fn FileTreeView(props: &FileTreeProps) -> Html {
    let view = use_state(|| None::<Rc<FilesView>>);
    let filter = use_state(TreeFilter::default);
    let scroll = use_state(|| 0.0f64);
    // The row that holds the tab stop (a node id); mirrored in `asked.active`.
    let active = use_state(|| None::<u32>);
    let asked: Rc<RefCell<Asked>> = use_mut_ref(Asked::default);
    let typed = use_mut_ref(|| (String::new(), 0.0f64));
    let scroller = use_node_ref();
    let row_h = if crate::focus::narrow() { 44.0 } else { 24.0 };
    let page_rows = (VIEW / row_h).ceil() as usize;
    let count = (2 * MARGIN + page_rows) as u32;
    let ask: Ask = {
        let (worker, asked, layer) = (props.worker.clone(), asked.clone(), props.layer);
        let scroller = scroller.clone();
        Rc::new(
            move |op: FilesOp, filter: &TreeFilter, first: u32, active: Option<u32>| {
                // Marks the list as waiting for the worker (set here, outside the render, so
                // it shows at once; the browser tests wait for it to go before reading the
                // focus).
                if let Some(el) = scroller.cast::<web_sys::Element>() {
                    let _ = el.set_attribute("data-pending", "");
                }
                let seq = worker.files(FilesRequest {
                    seq: 0,
                    layer,
                    filter: filter.clone(),
                    op,
                    first,
                    count,
                    active,
                });
                let mut a = asked.borrow_mut();
                a.pending = Some(first);
                a.last = seq;
                a.sent_active = active;
                seq
            },
        )
    };
    let set_active = {
        let (active, asked) = (active.clone(), asked.clone());
        Rc::new(move |id: Option<u32>| {
            asked.borrow_mut().active = id;
            active.set(id);
        })
    };
    // The worker's answers. A moved row becomes active; so does the row the worker chose when
    // the page's was no longer shown (the page's own choice since the request wins).
    {
        let (worker, view, set_active, asked) = (
            props.worker.clone(),
            view.clone(),
            set_active.clone(),
            asked.clone(),
        );
        use_effect_with(props.image.clone(), move |_| {
            worker.on_files(Callback::from(move |v: Box<FilesView>| {
                let mut a = asked.borrow_mut();
                if v.seq < a.opened || v.layer != a.layer {
                    return;
                }
                let latest = v.seq == a.last;
                if latest {
                    a.pending = None;
                }
                let adopt = v.moved || (latest && a.active == a.sent_active);
                drop(a);
                if adopt {
                    set_active(v.active.as_ref().map(|n| n.id));
                }
                view.set(Some(Rc::new(*v)));
            }));
        });
    }
    // A new image or layer: its tree from the top, its top level open.
    {
        let (ask, asked, scroll, scroller, set_active) = (
            ask.clone(),
            asked.clone(),
            scroll.clone(),
            scroller.clone(),
            set_active.clone(),
        );
        let (filter_now, layer) = ((*filter).clone(), props.layer);
        use_effect_with((props.image.clone(), props.layer), move |_| {
            set_active(None);
            scroll.set(0.0);
            if let Some(el) = scroller.cast::<web_sys::Element>() {
                el.set_scroll_top(0);
            }
            let seq = ask(FilesOp::Open, &filter_now, 0, None);
            let mut a = asked.borrow_mut();
            a.opened = seq;
            a.layer = layer;
        });
    }
    // A path from a finding: filter to it (again when asked again) and make it active.
    {
        let (ask, filter) = (ask.clone(), filter.clone());
        let seq = props.focus.as_ref().map(|f| f.seq);
        let focus = props.focus.clone();
        use_effect_with((seq, props.image.clone(), props.layer), move |_| {
            if let Some(f) = focus {
                let next = TreeFilter {
                    text: f.path.clone(),
                    ..(*filter).clone()
                };
                filter.set(next.clone());
                ask(FilesOp::Focus { path: f.path }, &next, 0, None);
            }
        });
    }
    let current = (*view)
        .clone()
        .filter(|v| v.layer == props.layer && v.seq >= asked.borrow().opened);
    // After each render: a moved row scrolled into view, the keyboard's row focused, and a new
    // window asked for when the view has scrolled past the rows at hand.
    {
        let (asked, scroller, scroll, ask) =
            (asked.clone(), scroller.clone(), scroll.clone(), ask.clone());
        let (current, filter_now, top) = (
            current.clone(),
            (*filter).clone(),
            (*scroll / row_h).floor() as usize,
        );
        use_effect(move || {
            let Some(v) = current else { return };
            let el = scroller.cast::<web_sys::Element>();
            let mut top = top;
            let (moved, focus) = {
                let a = asked.borrow();
                (
                    v.moved && a.scrolled < v.seq,
                    a.focus_after.is_some_and(|s| v.seq >= s),
                )
            };
            if moved {
                asked.borrow_mut().scrolled = v.seq;
                if let (Some(el), Some(n)) = (&el, &v.active) {
                    let at = n.pos as f64 * row_h;
                    let cur = el.scroll_top() as f64;
                    let next = if at < cur {
                        at
                    } else if at + row_h > cur + VIEW - 2.0 {
                        at + row_h - VIEW + 2.0
                    } else {
                        cur
                    };
                    if next != cur {
                        el.set_scroll_top(next as i32);
                        scroll.set(next);
                        top = (next / row_h).floor() as usize;
                    }
                }
            }
            if focus {
                asked.borrow_mut().focus_after = None;
                let id = asked.borrow().active;
                if let (Some(id), Some(el)) = (id, &el) {
                    if let Ok(Some(row)) = el.query_selector(&format!("[data-node=\"{id}\"]")) {
                        if let Some(h) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&row)
                        {
                            let _ = h.focus();
                        }
                    }
                }
            }
            {
                let a = asked.borrow();
                if a.pending.is_none() && a.focus_after.is_none() {
                    if let Some(el) = &el {
                        let _ = el.remove_attribute("data-pending");
                    }
                }
            }
            let total = v.total as usize;
            let (lo, hi) = (
                top.saturating_sub(OVERSCAN).min(total),
                (top + page_rows + OVERSCAN).min(total),
            );
            let have = v.rows.first().map_or(0, |r| r.pos as usize);
            let covered = lo >= hi || (have <= lo && hi <= have + v.rows.len());
            let first = window_first(top);
            let pending = asked.borrow().pending;
            if !covered && pending != Some(first) {
                let active = asked.borrow().active;
                ask(FilesOp::Window, &filter_now, first, active);
            }
        });
    }
    let Some(v) = current else {
        return html! { <section class="files" aria-labelledby="files-title" id="files"><h3 id="files-title">{ "Files" }</h3><p class="muted">{ "Loading the file list…" }</p></section> };
    };
    let layer = props.layer;
    let last = props.layer_count.saturating_sub(1);
    let total = v.total as usize;
    let window_at = v.rows.first().map_or(0, |r| r.pos);
    let first_asked = window_at;

    // Rows in view (and the active one, wherever it is: it holds the tab stop).
    let top = (*scroll / row_h).floor() as usize;
    let lo = top.saturating_sub(OVERSCAN).min(total);
    let hi = (top + page_rows + OVERSCAN).min(total);
    let mut shown: Vec<&ShownNode> = v
        .rows
        .iter()
        .filter(|n| (lo..hi).contains(&(n.pos as usize)))
        .collect();
    let tab_id = match *active {
        Some(id) if shown.iter().any(|n| n.id == id) => Some(id),
        _ => v.active.as_ref().map(|n| n.id),
    };
    if let Some(a) = &v.active {
        if !shown.iter().any(|n| n.id == a.id) {
            shown.push(a);
        }
    }
    let active_node: Option<ShownNode> = shown
        .iter()
        .find(|n| Some(n.id) == tab_id)
        .map(|n| (*n).clone());

    let set_filter = {
        let (filter, ask, asked) = (filter.clone(), ask.clone(), asked.clone());
        Callback::from(move |next: TreeFilter| {
            filter.set(next.clone());
            let active = asked.borrow().active;
            ask(FilesOp::Filter, &next, first_asked, active);
        })
    };
    let on_text = {
        let (filter, set_filter) = (filter.clone(), set_filter.clone());
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            set_filter.emit(TreeFilter {
                text: input.value(),
                ..(*filter).clone()
            });
        })
    };
    let on_changed = {
        let (filter, set_filter) = (filter.clone(), set_filter.clone());
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            set_filter.emit(TreeFilter {
                changed_only: input.checked(),
                ..(*filter).clone()
            });
        })
    };
    let on_sort = {
        let (filter, set_filter) = (filter.clone(), set_filter.clone());
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let sort = if sel.value() == "size" {
                SortBy::Size
            } else {
                SortBy::Name
            };
            set_filter.emit(TreeFilter {
                sort,
                ..(*filter).clone()
            });
        })
    };
    let on_layer = {
        let cb = props.onlayer.clone();
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Ok(i) = sel.value().parse() {
                cb.emit(i);
            }
        })
    };
    let all = |op: fn() -> FilesOp| {
        let (filter, ask, asked) = ((*filter).clone(), ask.clone(), asked.clone());
        Callback::from(move |_: MouseEvent| {
            let active = asked.borrow().active;
            ask(op(), &filter, first_asked, active);
        })
    };
    let expand_all = all(|| FilesOp::ExpandAll);
    let collapse_all = all(|| FilesOp::CollapseAll);
    let onscroll = {
        let scroll = scroll.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::Element = e.target_unchecked_into();
            scroll.set(el.scroll_top() as f64);
        })
    };
    let toggle_node = {
        let (filter, ask) = ((*filter).clone(), ask.clone());
        Rc::new(move |id: u32, open: bool| {
            ask(
                FilesOp::Toggle { node: id, open },
                &filter,
                first_asked,
                Some(id),
            )
        })
    };
    let onkeydown = {
        let (ask, asked, typed, onpath) = (
            ask.clone(),
            asked.clone(),
            typed.clone(),
            props.onpath.clone(),
        );
        let (filter, toggle_node, node) = ((*filter).clone(), toggle_node.clone(), active_node);
        Callback::from(move |e: KeyboardEvent| {
            let Some(node) = &node else { return };
            let (pos, n, id) = (node.pos as usize, total, node.id);
            if n == 0 {
                return;
            }
            let page = (VIEW / row_h).floor() as usize;
            let to = |p: usize| Some(FilesOp::MoveTo { pos: p as u32 });
            let op = match e.key().as_str() {
                "ArrowDown" => to((pos + 1).min(n - 1)),
                "ArrowUp" => to(pos.saturating_sub(1)),
                "Home" => to(0),
                "End" => to(n - 1),
                "PageDown" => to((pos + page).min(n - 1)),
                "PageUp" => to(pos.saturating_sub(page)),
                "ArrowRight" if node.parent && node.open => to(pos + 1),
                "ArrowRight" if node.parent => {
                    e.prevent_default();
                    let seq = toggle_node(id, true);
                    asked.borrow_mut().focus_after = Some(seq);
                    return;
                }
                "ArrowLeft" if node.open => {
                    e.prevent_default();
                    let seq = toggle_node(id, false);
                    asked.borrow_mut().focus_after = Some(seq);
                    return;
                }
                "ArrowLeft" if node.depth > 0 => Some(FilesOp::Parent),
                "Enter" => {
                    e.prevent_default();
                    onpath.emit((node.path.clone(), node.row));
                    return;
                }
                k if k.chars().count() == 1
                    && !e.ctrl_key()
                    && !e.meta_key()
                    && !e.alt_key()
                    && k != " " =>
                {
                    let now = js_sys::Date::now();
                    let mut t = typed.borrow_mut();
                    if now - t.1 > TYPE_AHEAD_MS {
                        t.0.clear();
                    }
                    t.0.push_str(&k.to_lowercase());
                    t.1 = now;
                    // A repeated single letter moves on to the next match.
                    let from = if t.0.chars().count() == 1 {
                        (pos + 1) % n
                    } else {
                        pos
                    };
                    Some(FilesOp::TypeAhead {
                        prefix: t.0.clone(),
                        from: from as u32,
                    })
                }
                _ => None,
            };
            let Some(op) = op else { return };
            e.prevent_default();
            let first = match &op {
                FilesOp::MoveTo { pos } => window_first(*pos as usize),
                _ => first_asked,
            };
            let seq = ask(op, &filter, first, Some(id));
            asked.borrow_mut().focus_after = Some(seq);
        })
    };

    let rows = shown.into_iter().map(|node| {
        let id = node.id;
        let pos = node.pos as usize;
        let row = node.entry.as_ref();
        let is_dir = node.parent || row.is_some_and(|r| r.kind == 'd');
        let open = node.open;
        let (sym, class, label) = row.map(|r| mark_symbol(r.mark)).unwrap_or(("·", "unchanged", "implied directory"));
        let toggle = {
            let (toggle_node, set_active) = (toggle_node.clone(), set_active.clone());
            Callback::from(move |_: MouseEvent| {
                set_active(Some(id));
                toggle_node(id, !open);
            })
        };
        let pick = {
            let (onpath, path, r, set_active) = (props.onpath.clone(), node.path.clone(), node.row, set_active.clone());
            Callback::from(move |_: MouseEvent| {
                set_active(Some(id));
                onpath.emit((path.clone(), r));
            })
        };
        let onfocus = {
            let set_active = set_active.clone();
            Callback::from(move |_: FocusEvent| set_active(Some(id)))
        };
        let top = pos as f64 * row_h;
        let size = if is_dir { node.total_size } else { row.map_or(0, |r| r.size) };
        let name = shown_name(&node.name);
        let size_text = if size > 0 || !is_dir { human_size(size) } else { String::new() };
        let from = row.map(|r| if r.mark == Mark::Removed { format!("removed by layer {}", r.layer) } else { format!("from layer {}", r.layer) }).unwrap_or_default();
        html! {
            <div key={id} class={classes!("tree-row", class)} style={format!("top:{top}px;height:{row_h}px;line-height:{row_h}px")} role="treeitem"
                aria-expanded={is_dir.then(|| open.to_string())} aria-level={(node.depth + 1).to_string()}
                aria-selected={(Some(id) == tab_id).to_string()}
                tabindex={if Some(id) == tab_id { "0" } else { "-1" }} data-path={node.path.clone()} data-node={id.to_string()} {onfocus}>
                <span class="mark" title={label}><span aria-hidden="true">{ sym }</span><span class="visually-hidden">{ if from.is_empty() { format!("{label}: ") } else { format!("{label}, {from}: ") } }</span></span>
                <span class="name" style={format!("padding-left:{}em", (node.depth as f64 * 1.1).min(20.0))}>
                    if node.parent {
                        <button class="toggle" tabindex="-1" onclick={toggle} aria-label={if open { "collapse" } else { "expand" }}>{ if open { "▾" } else { "▸" } }</button>
                    } else {
                        <span class="toggle-space"></span>
                    }
                    <button class="link plain path" tabindex="-1" onclick={pick} title={format!("{} — show this path's history", display_text(&node.path))}>
                        { name }{ if is_dir { "/" } else { "" } }
                    </button>
                    { row.and_then(|r| r.link.as_ref()).map(|l| html! { <span class="muted target">{ format!(" → {}", display_text(l)) }</span> }) }
                </span>
                <span class="size num">{ size_text }</span>
                <span class="perm mono">{ row.map(|r| mode_string(r.kind, r.mode)).unwrap_or_default() }</span>
                <span class="owner mono">{ row.map(|r| format!("{}:{}", r.uid, r.gid)).unwrap_or_default() }</span>
                <span class="from num" title={from.clone()} aria-hidden="true">{ row.map(|r| format!("L{}", r.layer)).unwrap_or_default() }</span>
            </div>
        }
    }).collect::<Html>();
    html! {
        <section class="files" aria-labelledby="files-title" id="files">
            <h3 id="files-title">{ if layer == last { format!("Files after layer {layer} (final filesystem)") } else { format!("Files after layer {layer}") } }</h3>
            <div class="controls">
                <label>{ "Layer " }
                    <select onchange={on_layer} id="tree-layer">
                        { for (0..props.layer_count).map(|i| html! { <option value={i.to_string()} selected={i == layer}>{ if i == last { format!("{i} (final)") } else { i.to_string() } }</option> }) }
                    </select>
                </label>
                <input type="search" placeholder="Filter: text, /path or *.glob" aria-label="Filter by path (text, a /path from the root, or a glob with * and ?)" value={filter.text.clone()} oninput={on_text} id="tree-filter" />
                <label>{ "Sort " }
                    <select onchange={on_sort} id="tree-sort">
                        <option value="name" selected={filter.sort == SortBy::Name}>{ "name" }</option>
                        <option value="size" selected={filter.sort == SortBy::Size}>{ "size" }</option>
                    </select>
                </label>
                <label class="check"><input type="checkbox" checked={filter.changed_only} onchange={on_changed} id="tree-changed" />{ " only changes in this layer" }</label>
                <button onclick={expand_all} id="tree-expand-all">{ "Expand all" }</button>
                <button onclick={collapse_all} id="tree-collapse-all">{ "Collapse all" }</button>
            </div>
            <p class="muted" id="tree-stats">{ format!("{} paths, {} changed in this layer; {} rows shown", v.paths, v.changed, total) }</p>
            <div class="legend muted" id="tree-help"><span class="added">{ "+ added" }</span>{ " " }<span class="modified">{ "~ modified" }</span>{ " " }<span class="removed">{ "− removed" }</span>{ " · unchanged. Arrows move, Enter shows a path's history, letters jump to names." }</div>
            <div class="tree-box">
                <div class="tree-head" aria-hidden="true"><span></span><span>{ "Name" }</span><span class="num">{ "Size" }</span><span class="perm">{ "Mode" }</span><span class="owner">{ "Owner" }</span><span class="from num">{ "Layer" }</span></div>
                <div class="tree-scroll" ref={scroller} style={format!("height:{VIEW}px")} {onscroll} {onkeydown} role={(total > 0).then_some("tree")} aria-label={(total > 0).then_some("File tree")} aria-describedby={(total > 0).then_some("tree-help")}>
                    <div class="tree-inner" style={format!("height:{}px", total as f64 * row_h)}>
                        { rows }
                    </div>
                </div>
            </div>
            if total == 0 { <p class="muted" id="tree-empty">{ "No path matches the filter." }</p> }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::mode_string;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn modes_render_like_ls() {
        assert_eq!(mode_string('-', 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_string('d', 0o1777), "drwxrwxrwt");
        assert_eq!(mode_string('-', 0o2644), "-rw-r-Sr--");
    }
}
