//! The selected layer's filesystem as a tree: its changes against the layers below marked
//! (added, modified, removed — by symbol and colour), directory sizes rolled up, filter, sort,
//! "only changes", expand/collapse. Only the rows in view are rendered, so 100,000 paths
//! scroll smoothly.

use std::collections::BTreeSet;
use std::rc::Rc;

use layerlens_core::sanitize::display_text;
use layerlens_core::view::{human_size, FileTree, Mark, SortBy, TreeFilter};
use yew::prelude::*;

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
    pub focus: Option<AttrValue>,
    /// A path was clicked (to show its history).
    #[prop_or_default]
    pub onpath: Callback<String>,
}

const ROW: f64 = 22.0;
const VIEW: f64 = 440.0;

fn mark_symbol(m: Mark) -> (&'static str, &'static str, &'static str) {
    match m {
        Mark::Added => ("+", "added", "added in this layer"),
        Mark::Modified => ("~", "modified", "modified in this layer"),
        Mark::Removed => ("−", "removed", "removed in this layer"),
        Mark::Unchanged => ("·", "unchanged", "unchanged"),
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

/// Shows the tree.
#[component]
pub fn FileTreeView(props: &FileTreeProps) -> Html {
    let expanded = use_state(BTreeSet::<u32>::new);
    let filter = use_state(TreeFilter::default);
    let scroll = use_state(|| 0.0f64);
    {
        let filter = filter.clone();
        use_effect_with(props.focus.clone(), move |focus| {
            if let Some(p) = focus {
                filter.set(TreeFilter {
                    text: p.to_string(),
                    ..(*filter).clone()
                });
            }
        });
    }
    // A new tree: open its top level, back to the top.
    {
        let (expanded, scroll) = (expanded.clone(), scroll.clone());
        let tree = props.tree.clone();
        use_effect_with(tree.as_ref().map(|t| Rc::as_ptr(t) as usize), move |_| {
            if let Some(t) = tree {
                expanded.set(
                    t.roots
                        .iter()
                        .copied()
                        .filter(|&r| !t.nodes[r as usize].children.is_empty())
                        .collect(),
                );
            }
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
    let Some(tree) = props.tree.clone() else {
        return html! { <section class="files" aria-label="Files"><h3>{ "Files" }</h3><p class="muted">{ "Loading the file list…" }</p></section> };
    };
    let layer = props.layer.unwrap_or(0);
    let last = props.layer_count.saturating_sub(1);

    let on_text = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            filter.set(TreeFilter {
                text: input.value(),
                ..(*filter).clone()
            });
        })
    };
    let on_changed = {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            filter.set(TreeFilter {
                changed_only: input.checked(),
                ..(*filter).clone()
            });
        })
    };
    let on_sort = {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let sort = if sel.value() == "size" {
                SortBy::Size
            } else {
                SortBy::Name
            };
            filter.set(TreeFilter {
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

    let total = visible.len();
    let first = ((*scroll / ROW).floor() as usize)
        .saturating_sub(10)
        .min(total);
    let last_row = (first + (VIEW / ROW).ceil() as usize + 20).min(total);
    let rows = visible[first..last_row].iter().enumerate().map(|(k, &id)| {
        let node = &tree.nodes[id as usize];
        let row = tree.row(id);
        let is_dir = !node.children.is_empty() || row.is_some_and(|r| r.kind == 'd');
        let open = expanded.contains(&id);
        let (sym, class, label) = row.map(|r| mark_symbol(r.mark)).unwrap_or(("·", "unchanged", "implied directory"));
        let toggle = {
            let expanded = expanded.clone();
            Callback::from(move |_: MouseEvent| {
                let mut e = (*expanded).clone();
                if !e.remove(&id) {
                    e.insert(id);
                }
                expanded.set(e);
            })
        };
        let top = (first + k) as f64 * ROW;
        let size = if is_dir { node.total_size } else { row.map_or(0, |r| r.size) };
        html! {
            <div class={classes!("tree-row", class)} style={format!("top:{top}px")} role="treeitem" aria-expanded={is_dir.then(|| open.to_string())} aria-level={(node.depth + 1).to_string()} data-path={node.path.clone()}>
                <span class="mark" title={label} aria-label={label}>{ sym }</span>
                <span class="name" style={format!("padding-left:{}em", node.depth as f64 * 1.1)}>
                    if !node.children.is_empty() {
                        <button class="toggle" onclick={toggle} aria-label={if open { "collapse" } else { "expand" }}>{ if open { "▾" } else { "▸" } }</button>
                    } else {
                        <span class="toggle-space"></span>
                    }
                    <button class="link plain" onclick={props.onpath.reform({ let p = node.path.clone(); move |_: MouseEvent| p.clone() })} title="Show this path's history">
                        { display_text(&node.name) }{ if is_dir { "/" } else { "" } }
                    </button>
                    { row.and_then(|r| r.link.as_ref()).map(|l| html! { <span class="muted">{ format!(" → {}", display_text(l)) }</span> }) }
                </span>
                <span class="size num">{ if size > 0 || !is_dir { human_size(size) } else { String::new() } }</span>
                <span class="perm mono">{ row.map(|r| mode_string(r.kind, r.mode)).unwrap_or_default() }</span>
                <span class="owner mono">{ row.map(|r| format!("{}:{}", r.uid, r.gid)).unwrap_or_default() }</span>
                <span class="from num" title="layer that last wrote it">{ row.map(|r| format!("L{}", r.layer)).unwrap_or_default() }</span>
            </div>
        }
    });
    let changes = tree
        .rows
        .iter()
        .filter(|r| r.mark != Mark::Unchanged)
        .count();
    html! {
        <section class="files" aria-label="Files" id="files">
            <h3>{ if layer == last { format!("Files after layer {layer} (final filesystem)") } else { format!("Files after layer {layer}") } }</h3>
            <div class="controls">
                <label>{ "Layer " }
                    <select onchange={on_layer} id="tree-layer">
                        { for (0..props.layer_count).map(|i| html! { <option value={i.to_string()} selected={i == layer}>{ if i == last { format!("{i} (final)") } else { i.to_string() } }</option> }) }
                    </select>
                </label>
                <input type="search" placeholder="Filter by path" aria-label="Filter by path" value={filter.text.clone()} oninput={on_text} id="tree-filter" />
                <label>{ "Sort " }
                    <select onchange={on_sort} id="tree-sort">
                        <option value="name" selected={filter.sort == SortBy::Name}>{ "name" }</option>
                        <option value="size" selected={filter.sort == SortBy::Size}>{ "size" }</option>
                    </select>
                </label>
                <label><input type="checkbox" checked={filter.changed_only} onchange={on_changed} id="tree-changed" />{ " only changes in this layer" }</label>
                <button onclick={expand_all}>{ "Expand all" }</button>
                <button onclick={collapse_all}>{ "Collapse all" }</button>
            </div>
            <p class="muted" id="tree-stats">{ format!("{} paths, {} changed in this layer; {} rows shown", tree.rows.len(), changes, total) }</p>
            <div class="legend muted"><span class="added">{ "+ added" }</span>{ " " }<span class="modified">{ "~ modified" }</span>{ " " }<span class="removed">{ "− removed" }</span>{ " · unchanged" }</div>
            <div class="tree-scroll" style={format!("height:{VIEW}px")} {onscroll} role="tree" aria-label="File tree" tabindex="0">
                <div class="tree-inner" style={format!("height:{}px", total as f64 * ROW)}>
                    { for rows }
                </div>
            </div>
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
