//! The compare view's tables: verdict, layer alignment, sizes and waste, directories, paths,
//! config and histories. Sizes read as `layerlens compare` prints them; the exact bytes are
//! in `data-bytes`.

use layerlens_core::compare::{AlignedLayer, Change, Comparison, PathChange};
use layerlens_core::present::{ellipsize, human_size, signed_size};
use layerlens_core::sanitize::display_text;
use yew::prelude::*;

use super::Shown;

/// Paths listed at most (all of them are in `layerlens compare --json`).
const MAX_PATHS: usize = 2000;
/// Directories listed at most.
const MAX_DIRS: usize = 50;

/// Everything of one comparison.
pub fn result(name_a: &str, s: &Shown, ondiff: Callback<(String, [u32; 2], [u32; 2])>) -> Html {
    let c = &s.comparison;
    html! {
        <>
            { verdict(c, s.seq) }
            <p class="muted" id="compare-names">{ format!("A: {name_a} · B: {} (image {}) · {:.0} ms", s.name, s.image, s.millis) }</p>
            { alignment(c) }
            { sizes(c) }
            { dirs(c) }
            { paths(c, ondiff) }
            { config(c) }
            { history(c) }
        </>
    }
}

fn verdict(c: &Comparison, seq: u32) -> Html {
    let text = if c.equal {
        "equal".to_string()
    } else {
        format!(
            "different: {} paths, {} config{}{}",
            c.paths.len(),
            c.config.len(),
            if c.strict.history && c.history.differ {
                ", history"
            } else {
                ""
            },
            if c.strict.layers && !c.layers.same_layers() {
                ", layers"
            } else {
                ""
            }
        )
    };
    html! {
        <p id="compare-verdict" class={classes!("verdict", if c.equal { "equal" } else { "different" })} data-equal={c.equal.to_string()} data-seq={seq.to_string()} role="status">{ text }</p>
    }
}

fn layer_row(side: &str, l: &AlignedLayer) -> Html {
    let step = l.step.as_deref().map(display_text).unwrap_or_default();
    html! {
        <li class={classes!("layer", side.to_string())} data-position={l.position.to_string()} data-diff-id={l.diff_id.to_string()} data-bytes={l.size.to_string()}>
            <span class="mono" title={l.chain_id.to_string()}>{ &l.chain_id.to_string()[..19] }</span>
            { format!(" layer {} · {} · {} entries · ", l.position, human_size(l.size), l.entries) }
            <span class="step">{ ellipsize(&step, 80) }</span>
        </li>
    }
}

fn alignment(c: &Comparison) -> Html {
    let l = &c.layers;
    html! {
        <section id="compare-layers" aria-labelledby="compare-layers-title">
            <h3 id="compare-layers-title">{ format!("Layers: {} shared, then {} in A and {} in B", l.shared.len(), l.a.len(), l.b.len()) }</h3>
            <ol class="shared" aria-label="Shared base">{ for l.shared.iter().map(|x| layer_row("shared", x)) }</ol>
            <div class="parted">
                <ol class="side-a" aria-label="A above the shared base">{ for l.a.iter().map(|x| layer_row("a", x)) }</ol>
                <ol class="side-b" aria-label="B above the shared base">{ for l.b.iter().map(|x| layer_row("b", x)) }</ol>
            </div>
            if !l.a.is_empty() || !l.b.is_empty() {
                <table id="compare-layer-deltas" class="compare-layer-deltas">
                    <caption>{ "Above the shared base, position by position" }</caption>
                    <thead><tr><th scope="col">{ "layer" }</th><th scope="col">{ "A" }</th><th scope="col">{ "B" }</th><th scope="col">{ "B − A" }</th></tr></thead>
                    <tbody>
                        { for (0..l.a.len().max(l.b.len())).map(|i| {
                            let (x, y) = (l.a.get(i), l.b.get(i));
                            let position = x.or(y).map_or(0, |z| z.position);
                            let bytes = |z: Option<&AlignedLayer>| z.map_or(0, |z| z.size);
                            let shown = |z: Option<&AlignedLayer>| z.map_or("–".into(), |z| human_size(z.size));
                            let delta = bytes(y) as i64 - bytes(x) as i64;
                            html! {
                                <tr data-position={position.to_string()}>
                                    <th scope="row">{ position }</th>
                                    <td>{ shown(x) }</td>
                                    <td>{ shown(y) }</td>
                                    <td class="delta" data-bytes={delta.to_string()}>{ signed_size(delta, "−") }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            }
        </section>
    }
}

fn bytes_row(key: &str, label: &str, a: u64, b: u64) -> Html {
    html! {
        <tr data-key={key.to_string()}>
            <th scope="row">{ label }</th>
            <td class="a" data-bytes={a.to_string()}>{ human_size(a) }</td>
            <td class="b" data-bytes={b.to_string()}>{ human_size(b) }</td>
            <td class="delta">{ signed_size(b as i64 - a as i64, "−") }</td>
        </tr>
    }
}

/// A ratio row; `None` (no user bytes, dive's `NaN %`) shows as a dash.
fn ratio_row(key: &str, label: &str, a: Option<f64>, b: Option<f64>) -> Html {
    let cell = |side: &'static str, v: Option<f64>| match v {
        Some(v) => html! { <td class={side} data-value={v.to_string()}>{ format!("{v:.4}") }</td> },
        None => html! { <td class={side} data-value="null">{ "—" }</td> },
    };
    let delta = match (a, b) {
        (Some(a), Some(b)) => format!("{:+.4}", b - a),
        _ => String::new(),
    };
    html! {
        <tr data-key={key.to_string()}>
            <th scope="row">{ label }</th>
            { cell("a", a) }
            { cell("b", b) }
            <td class="delta">{ delta }</td>
        </tr>
    }
}

fn sizes(c: &Comparison) -> Html {
    let (a, b) = (&c.a, &c.b);
    html! {
        <table id="compare-sizes" class="compare-sizes">
            <caption>{ "Sizes and waste" }</caption>
            <thead><tr><th></th><th scope="col">{ "A" }</th><th scope="col">{ "B" }</th><th scope="col">{ "B − A" }</th></tr></thead>
            <tbody>
                { bytes_row("final_bytes", "Files (final filesystem)", a.final_bytes, b.final_bytes) }
                { bytes_row("shipped_bytes", "Shipped in layers", a.figures.shipped_bytes, b.figures.shipped_bytes) }
                { bytes_row("dead_bytes", "Dead (layerlens)", a.figures.dead_bytes, b.figures.dead_bytes) }
                { ratio_row("efficiency", "Efficiency (layerlens)", Some(a.figures.efficiency), Some(b.figures.efficiency)) }
                { bytes_row("dive_wasted_bytes", "Wasted (dive)", a.dive_wasted_bytes, b.dive_wasted_bytes) }
                { ratio_row("dive_efficiency", "Efficiency (dive)", Some(a.dive_efficiency), Some(b.dive_efficiency)) }
                { ratio_row("dive_user_wasted_ratio", "User wasted (dive)", a.dive_user_wasted_ratio, b.dive_user_wasted_ratio) }
            </tbody>
        </table>
    }
}

fn dirs(c: &Comparison) -> Html {
    if c.dirs.is_empty() {
        return html! {};
    }
    html! {
        <table id="compare-dirs" class="compare-dirs">
            <caption>{ format!("Directories by delta ({} of {})", c.dirs.len().min(MAX_DIRS), c.dirs.len()) }</caption>
            <thead><tr><th scope="col">{ "directory" }</th><th scope="col">{ "B − A" }</th><th scope="col">{ "added" }</th><th scope="col">{ "removed" }</th><th scope="col">{ "modified" }</th></tr></thead>
            <tbody>
                { for c.dirs.iter().take(MAX_DIRS).map(|d| html! {
                    <tr data-path={d.path.clone()}>
                        <td class="mono">{ d.path.clone() }</td>
                        <td class="delta" data-bytes={d.delta().to_string()}>{ signed_size(d.delta(), "−") }</td>
                        <td class="added">{ d.added }</td>
                        <td class="removed">{ d.removed }</td>
                        <td class="modified">{ d.modified }</td>
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

fn path_row(p: &PathChange, ondiff: &Callback<(String, [u32; 2], [u32; 2])>) -> Html {
    let change = match p.change {
        Change::Added => "added",
        Change::Removed => "removed",
        Change::Modified => "modified",
    };
    let attrs: Vec<&str> = p.attrs.iter().map(|a| a.name()).collect();
    let size = |s: Option<u64>| s.map(human_size).unwrap_or_default();
    let content = p.attrs.contains(&layerlens_core::compare::Attr::Content)
        && p.type_a == Some('-')
        && p.type_b == Some('-');
    let button = match (content, p.entry_a, p.entry_b) {
        (true, Some(a), Some(b)) => {
            let (ondiff, path) = (ondiff.clone(), p.path.clone());
            let onclick = Callback::from(move |_| ondiff.emit((path.clone(), a, b)));
            html! { <button type="button" class="diff" {onclick} aria-label={format!("Diff {}", p.path)}>{ "diff" }</button> }
        }
        _ => html! {},
    };
    html! {
        <tr data-path={p.path.clone()} data-change={change} data-attrs={attrs.join(",")}>
            <td class="mark mono">{ p.change.mark() }</td>
            <td class="path mono">{ p.path.clone() }</td>
            <td class="attrs">{ attrs.join(", ") }</td>
            <td class="a" data-bytes={p.size_a.map(|s| s.to_string()).unwrap_or_default()}>{ size(p.size_a) }</td>
            <td class="b" data-bytes={p.size_b.map(|s| s.to_string()).unwrap_or_default()}>{ size(p.size_b) }</td>
            <td class="delta" data-bytes={p.delta().to_string()}>{ signed_size(p.delta(), "−") }</td>
            <td>{ button }</td>
        </tr>
    }
}

fn paths(c: &Comparison, ondiff: Callback<(String, [u32; 2], [u32; 2])>) -> Html {
    if c.paths.is_empty() {
        return html! { <p id="compare-paths-none" class="muted">{ "The final filesystems hold the same paths with the same contents and metadata." }</p> };
    }
    let more = c.paths.len().saturating_sub(MAX_PATHS);
    html! {
        <>
            <table id="compare-paths" class="compare-paths">
                <caption>{ format!("Paths that differ ({})", c.paths.len()) }</caption>
                <thead><tr><th scope="col"></th><th scope="col">{ "path" }</th><th scope="col">{ "what differs" }</th><th scope="col">{ "A" }</th><th scope="col">{ "B" }</th><th scope="col">{ "B − A" }</th><th scope="col"></th></tr></thead>
                <tbody>{ for c.paths.iter().take(MAX_PATHS).map(|p| path_row(p, &ondiff)) }</tbody>
            </table>
            if more > 0 { <p class="muted">{ format!("… and {more} more (all of them: layerlens compare --json)") }</p> }
        </>
    }
}

fn config(c: &Comparison) -> Html {
    if c.config.is_empty() {
        return html! { <p id="compare-config-none" class="muted">{ "The runtime configurations are the same." }</p> };
    }
    let v = |s: &Option<String>| s.as_deref().map_or("(none)".into(), display_text);
    html! {
        <table id="compare-config" class="compare-config">
            <caption>{ "Configuration" }</caption>
            <thead><tr><th scope="col">{ "field" }</th><th scope="col">{ "A" }</th><th scope="col">{ "B" }</th></tr></thead>
            <tbody>
                { for c.config.iter().map(|k| {
                    let field = match &k.key { Some(key) => format!("{}.{}", k.field, display_text(key)), None => k.field.clone() };
                    html! {
                        <tr data-field={field.clone()}>
                            <th scope="row" class="mono">{ field }</th>
                            <td class="a mono">{ v(&k.a) }</td>
                            <td class="b mono">{ v(&k.b) }</td>
                        </tr>
                    }
                }) }
            </tbody>
        </table>
    }
}

fn history(c: &Comparison) -> Html {
    let h = &c.history;
    let rows = h.a.len().max(h.b.len());
    let cell = |s: Option<&layerlens_core::compare::Step>| match s {
        Some(s) => {
            html! { <td class={classes!("mono", s.empty_layer.then_some("empty"))}>{ ellipsize(&display_text(&s.step), 80) }</td> }
        }
        None => html! { <td></td> },
    };
    html! {
        <table id="compare-history" class="compare-history" data-differ={h.differ.to_string()}>
            <caption>{ if h.differ { "History (the steps differ)" } else { "History (the same steps)" } }</caption>
            <thead><tr><th scope="col">{ "#" }</th><th scope="col">{ "A" }</th><th scope="col">{ "B" }</th></tr></thead>
            <tbody>
                { for (0..rows).map(|i| html! {
                    <tr class={classes!((h.a.get(i) != h.b.get(i)).then_some("differs"))}>
                        <td>{ i }</td>{ cell(h.a.get(i)) }{ cell(h.b.get(i)) }
                    </tr>
                }) }
            </tbody>
        </table>
    }
}
