//! The selected layer's filesystem as a tree: its changes against the layers below marked
//! (added, modified, removed — by symbol and colour), directory sizes rolled up, filter (text
//! or glob), sort, "only changes", expand/collapse. Only the rows in view are rendered (and
//! the active one), so 100,000 paths scroll smoothly. Keyboard: the WAI-ARIA tree pattern
//! (arrows, Home/End, Page keys, type-ahead, Enter for a path's history) with one tab stop.

use std::collections::BTreeSet;
use std::rc::Rc;

use layerlens_core::present::human_size;
use layerlens_core::sanitize::display_text;
use layerlens_core::view::{FileTree, Mark, SortBy, TreeFilter};
use yew::prelude::*;

use crate::state::PathFocus;

/// Props of [`FileTreeView`].
#[derive(Properties, PartialEq)]
pub struct FileTreeProps {
    /// The tree, once it arrived.
    pub tree: Option<Rc<FileTree>>,
    /// The layer it shows.
    pub layer: Option<usize>,
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

/// Where the keyboard moves the active row.
enum Move {
    To(usize),
    Expand(u32),
    Collapse(u32),
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

/// Shows the tree.
#[component]
pub fn FileTreeView(props: &FileTreeProps) -> Html {
    let expanded = use_state(BTreeSet::<u32>::new);
    let filter = use_state(TreeFilter::default);
    let scroll = use_state(|| 0.0f64);
    // The row that holds the tab stop (a node id), and whether it should take the focus
    // after the next render (it moved by keyboard).
    let active = use_state(|| None::<u32>);
    let want_focus = use_mut_ref(|| false);
    let typed = use_mut_ref(|| (String::new(), 0.0f64));
    let scroller = use_node_ref();
    let row_h = if crate::focus::narrow() { 44.0 } else { 24.0 };
    // A path from a finding: filter to it (again when asked again) and make it active.
    {
        let (filter, expanded, active) = (filter.clone(), expanded.clone(), active.clone());
        let tree = props.tree.clone();
        let seq = props.focus.as_ref().map(|f| f.seq);
        let focus = props.focus.clone();
        use_effect_with(
            (seq, tree.as_ref().map(|t| Rc::as_ptr(t) as usize)),
            move |_| {
                if let Some(f) = focus {
                    let next = TreeFilter {
                        text: f.path.clone(),
                        ..(*filter).clone()
                    };
                    if let Some(t) = &tree {
                        let mut e = (*expanded).clone();
                        e.extend(t.match_ancestors(&next));
                        expanded.set(e);
                        active.set(
                            t.nodes
                                .iter()
                                .position(|n| n.path == f.path)
                                .map(|i| i as u32),
                        );
                    }
                    filter.set(next);
                }
            },
        );
    }
    // A new tree: open its top level, back to the top.
    {
        let (expanded, scroll, active) = (expanded.clone(), scroll.clone(), active.clone());
        let tree = props.tree.clone();
        let filter = filter.clone();
        use_effect_with(tree.as_ref().map(|t| Rc::as_ptr(t) as usize), move |_| {
            if let Some(t) = tree {
                let mut e: BTreeSet<u32> = t
                    .roots
                    .iter()
                    .copied()
                    .filter(|&r| !t.nodes[r as usize].children.is_empty())
                    .collect();
                e.extend(t.match_ancestors(&filter));
                expanded.set(e);
            }
            active.set(None);
            scroll.set(0.0);
        });
    }
    let visible = {
        let tree = props.tree.clone();
        use_memo(
            (
                (tree.as_ref().map(|t| Rc::as_ptr(t) as usize)),
                (*expanded).clone(),
                (*filter).clone(),
            ),
            move |(_, exp, f)| tree.map(|t| t.visible(exp, f)).unwrap_or_default(),
        )
    };
    // Keyboard moves: focus the active row once it is rendered.
    {
        let want_focus = want_focus.clone();
        let scroller = scroller.clone();
        let active = *active;
        use_effect(move || {
            if *want_focus.borrow() {
                *want_focus.borrow_mut() = false;
                if let (Some(id), Some(el)) = (active, scroller.cast::<web_sys::Element>()) {
                    if let Ok(Some(row)) = el.query_selector(&format!("[data-node=\"{id}\"]")) {
                        if let Some(h) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&row)
                        {
                            let _ = h.focus();
                        }
                    }
                }
            }
        });
    }
    let Some(tree) = props.tree.clone() else {
        return html! { <section class="files" aria-labelledby="files-title" id="files"><h3 id="files-title">{ "Files" }</h3><p class="muted">{ "Loading the file list…" }</p></section> };
    };
    let layer = props.layer.unwrap_or(0);
    let last = props.layer_count.saturating_sub(1);
    let total = visible.len();
    // The active row: the one chosen, if still shown; else the first.
    let active_pos = (*active)
        .and_then(|id| visible.iter().position(|&v| v == id))
        .or((total > 0).then_some(0));
    let active_id = active_pos.map(|p| visible[p]);
    // Whether a directory's children are listed right below it.
    let is_open = |pos: usize| -> bool {
        let id = visible[pos] as usize;
        visible
            .get(pos + 1)
            .is_some_and(|&n| tree.nodes[n as usize].depth > tree.nodes[id].depth)
    };

    let set_filter = {
        let (filter, expanded, tree) = (filter.clone(), expanded.clone(), tree.clone());
        Callback::from(move |next: TreeFilter| {
            if next.text != filter.text {
                let mut e = (*expanded).clone();
                e.extend(tree.match_ancestors(&next));
                expanded.set(e);
            }
            filter.set(next);
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
    let expand_all = {
        let (expanded, tree) = (expanded.clone(), tree.clone());
        Callback::from(move |_: MouseEvent| expanded.set(tree.dirs()))
    };
    let collapse_all = {
        let expanded = expanded.clone();
        Callback::from(move |_: MouseEvent| expanded.set(BTreeSet::new()))
    };
    let onscroll = {
        let scroll = scroll.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::Element = e.target_unchecked_into();
            scroll.set(el.scroll_top() as f64);
        })
    };
    let toggle_node = {
        let expanded = expanded.clone();
        Callback::from(move |(id, open): (u32, bool)| {
            let mut e = (*expanded).clone();
            if open {
                e.remove(&id);
            } else {
                e.insert(id);
            }
            expanded.set(e);
        })
    };
    let onkeydown = {
        let (visible, tree, active, scroll) = (
            visible.clone(),
            tree.clone(),
            active.clone(),
            scroll.clone(),
        );
        let (want_focus, typed, scroller, onpath) = (
            want_focus.clone(),
            typed.clone(),
            scroller.clone(),
            props.onpath.clone(),
        );
        let toggle_node = toggle_node.clone();
        Callback::from(move |e: KeyboardEvent| {
            let Some(pos) = active_pos else { return };
            let n = visible.len();
            let id = visible[pos];
            let node = &tree.nodes[id as usize];
            let open = visible
                .get(pos + 1)
                .is_some_and(|&k| tree.nodes[k as usize].depth > node.depth);
            let page = (VIEW / row_h).floor() as usize;
            let step = match e.key().as_str() {
                "ArrowDown" => Some(Move::To((pos + 1).min(n - 1))),
                "ArrowUp" => Some(Move::To(pos.saturating_sub(1))),
                "Home" => Some(Move::To(0)),
                "End" => Some(Move::To(n - 1)),
                "PageDown" => Some(Move::To((pos + page).min(n - 1))),
                "PageUp" => Some(Move::To(pos.saturating_sub(page))),
                "ArrowRight" if !node.children.is_empty() => Some(if open {
                    Move::To(pos + 1)
                } else {
                    Move::Expand(id)
                }),
                "ArrowLeft" if open => Some(Move::Collapse(id)),
                "ArrowLeft" => (0..pos)
                    .rev()
                    .find(|&p| tree.nodes[visible[p] as usize].depth < node.depth)
                    .map(Move::To),
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
                    let prefix = t.0.clone();
                    // A repeated single letter moves on to the next match.
                    let start = if prefix.chars().count() == 1 {
                        pos + 1
                    } else {
                        pos
                    };
                    (0..n)
                        .map(|k| (start + k) % n)
                        .find(|&p| {
                            tree.nodes[visible[p] as usize]
                                .name
                                .to_lowercase()
                                .starts_with(&prefix)
                        })
                        .map(Move::To)
                }
                _ => None,
            };
            let Some(step) = step else { return };
            e.prevent_default();
            match step {
                Move::To(p) => {
                    active.set(Some(visible[p]));
                    // Keep it in view: the scrolled box and the rendered window follow.
                    if let Some(el) = scroller.cast::<web_sys::Element>() {
                        let top = p as f64 * row_h;
                        let cur = el.scroll_top() as f64;
                        let next = if top < cur {
                            top
                        } else if top + row_h > cur + VIEW - 2.0 {
                            top + row_h - VIEW + 2.0
                        } else {
                            cur
                        };
                        if next != cur {
                            el.set_scroll_top(next as i32);
                            scroll.set(next);
                        }
                    }
                }
                Move::Expand(id) => {
                    active.set(Some(id));
                    toggle_node.emit((id, false));
                }
                Move::Collapse(id) => {
                    active.set(Some(id));
                    toggle_node.emit((id, true));
                }
            }
            *want_focus.borrow_mut() = true;
        })
    };

    let first = ((*scroll / row_h).floor() as usize)
        .saturating_sub(10)
        .min(total);
    let last_row = (first + (VIEW / row_h).ceil() as usize + 20).min(total);
    // The window, plus the active row wherever it is (it holds the tab stop).
    let mut shown: Vec<usize> = (first..last_row).collect();
    if let Some(p) = active_pos {
        if p < first || p >= last_row {
            shown.push(p);
        }
    }
    let rows = shown.into_iter().map(|pos| {
        let id = visible[pos];
        let node = &tree.nodes[id as usize];
        let row = tree.row(id);
        let is_dir = !node.children.is_empty() || row.is_some_and(|r| r.kind == 'd');
        let open = is_open(pos);
        let (sym, class, label) = row.map(|r| mark_symbol(r.mark)).unwrap_or(("·", "unchanged", "implied directory"));
        let toggle = {
            let toggle_node = toggle_node.clone();
            let active = active.clone();
            Callback::from(move |_: MouseEvent| {
                active.set(Some(id));
                toggle_node.emit((id, open));
            })
        };
        let pick = {
            let (onpath, path, r, active) = (props.onpath.clone(), node.path.clone(), node.row, active.clone());
            Callback::from(move |_: MouseEvent| {
                active.set(Some(id));
                onpath.emit((path.clone(), r));
            })
        };
        let onfocus = {
            let active = active.clone();
            Callback::from(move |_: FocusEvent| active.set(Some(id)))
        };
        let top = pos as f64 * row_h;
        let size = if is_dir { node.total_size } else { row.map_or(0, |r| r.size) };
        let name = shown_name(&node.name);
        let size_text = if size > 0 || !is_dir { human_size(size) } else { String::new() };
        let from = row.map(|r| if r.mark == Mark::Removed { format!("removed by layer {}", r.layer) } else { format!("from layer {}", r.layer) }).unwrap_or_default();
        html! {
            <div key={id} class={classes!("tree-row", class)} style={format!("top:{top}px;height:{row_h}px;line-height:{row_h}px")} role="treeitem"
                aria-expanded={is_dir.then(|| open.to_string())} aria-level={(node.depth + 1).to_string()}
                aria-selected={(Some(id) == active_id).to_string()}
                tabindex={if Some(id) == active_id { "0" } else { "-1" }} data-path={node.path.clone()} data-node={id.to_string()} {onfocus}>
                <span class="mark" title={label}><span aria-hidden="true">{ sym }</span><span class="visually-hidden">{ if from.is_empty() { format!("{label}: ") } else { format!("{label}, {from}: ") } }</span></span>
                <span class="name" style={format!("padding-left:{}em", (node.depth as f64 * 1.1).min(20.0))}>
                    if !node.children.is_empty() {
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
    });
    let changes = tree
        .rows
        .iter()
        .filter(|r| r.mark != Mark::Unchanged)
        .count();
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
                <button onclick={expand_all}>{ "Expand all" }</button>
                <button onclick={collapse_all}>{ "Collapse all" }</button>
            </div>
            <p class="muted" id="tree-stats">{ format!("{} paths, {} changed in this layer; {} rows shown", tree.rows.len(), changes, total) }</p>
            <div class="legend muted" id="tree-help"><span class="added">{ "+ added" }</span>{ " " }<span class="modified">{ "~ modified" }</span>{ " " }<span class="removed">{ "− removed" }</span>{ " · unchanged. Arrows move, Enter shows a path's history, letters jump to names." }</div>
            <div class="tree-box">
                <div class="tree-head" aria-hidden="true"><span></span><span>{ "Name" }</span><span class="num">{ "Size" }</span><span class="perm">{ "Mode" }</span><span class="owner">{ "Owner" }</span><span class="from num">{ "Layer" }</span></div>
                <div class="tree-scroll" ref={scroller} style={format!("height:{VIEW}px")} {onscroll} {onkeydown} role={(total > 0).then_some("tree")} aria-label={(total > 0).then_some("File tree")} aria-describedby={(total > 0).then_some("tree-help")}>
                    <div class="tree-inner" style={format!("height:{}px", total as f64 * row_h)}>
                        { for rows }
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
