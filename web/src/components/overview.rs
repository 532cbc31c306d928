//! The image at a glance: tags, platform, sizes, and the headline squash savings.

use std::rc::Rc;

use layerlens_core::present::{human_size, label, signed_size};
use layerlens_core::sanitize::display_text;
use layerlens_core::view::{ImageSummary, SquashFigures};
use yew::prelude::*;

/// Props of [`Overview`].
#[derive(Properties, PartialEq)]
pub struct OverviewProps {
    /// The image.
    pub summary: Rc<ImageSummary>,
    /// Full-squash figures.
    pub squash_all: Option<SquashFigures>,
    /// File name.
    pub file_name: AttrValue,
    /// Worker time for the analysis.
    pub millis: f64,
    /// Pick another image of the archive.
    pub onpick: Callback<usize>,
}

/// Shows the overview.
#[component]
pub fn Overview(props: &OverviewProps) -> Html {
    let s = &props.summary;
    let tags = display_text(&label(&s.tags));
    let headline = props.squash_all.map(|f| {
        let pct = if f.input_layers_size > 0 { f.total as f64 * 100.0 / f.input_layers_size as f64 } else { 0.0 };
        html! {
            <p class="headline" id="headline">
                { "Squashing all layers saves " }<strong data-bytes={f.total.to_string()}>{ signed_size(f.total, "−") }</strong>
                { format!(" ({pct:.1}% of the layers' {}): ", human_size(f.input_layers_size)) }
                { savings_parts(&f) }
                { "." }
            </p>
        }
    });
    let picker = (s.images.len() > 1).then(|| {
        let onpick = props.onpick.clone();
        let onchange = Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Ok(i) = sel.value().parse() {
                onpick.emit(i);
            }
        });
        html! {
            <label>{ "Image: " }
                <select id="image-picker" {onchange}>
                    { for s.images.iter().map(|c| html! {
                        <option value={c.index.to_string()} selected={c.index == s.index}>
                            { display_text(&format!("{} — {}{} layers", c.label, c.platform.as_ref().map(|p| format!("{p}, ")).unwrap_or_default(), c.layers)) }
                        </option>
                    }) }
                </select>
            </label>
        }
    });
    html! {
        <section class="overview" aria-label="Overview" id="overview">
            <h1 id="image-title" tabindex="-1">{ &tags }</h1>
            { picker }
            <dl class="facts">
                <dt>{ "File" }</dt><dd>{ display_text(&props.file_name) }</dd>
                <dt>{ "Format" }</dt><dd>{ &s.format }</dd>
                <dt>{ "Platform" }</dt><dd>{ display_text(&s.platform) }</dd>
                <dt>{ "Image ID" }</dt><dd class="mono" title={s.id.clone()}>{ short(&s.id) }</dd>
                <dt>{ "Size" }</dt><dd id="total-size" data-bytes={s.size.to_string()}>{ format!("{} stored, {} uncompressed", human_size(s.size), human_size(s.tar_size)) }</dd>
                <dt>{ "Layers" }</dt><dd id="layer-count">{ s.layers.len() }</dd>
                <dt>{ "Final filesystem" }</dt><dd>{ format!("{} in {} paths", human_size(s.final_size), s.final_entries) }</dd>
                <dt>{ "Analysed in" }</dt><dd>{ format!("{:.0} ms", props.millis) }</dd>
            </dl>
            { headline }
        </section>
    }
}

/// `sha256:0123456789ab`.
pub fn short(digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    format!("sha256:{}", &hex[..hex.len().min(12)])
}

/// The parts of a squash's savings that add up to its total, as text: "1 MB deleted later,
/// … and 3 kB tar overhead" (zero parts left out, tar overhead always shown).
pub fn savings_parts(f: &SquashFigures) -> String {
    let mut parts: Vec<String> = [
        (f.deleted, "deleted later"),
        (f.overwritten, "overwritten"),
        (f.metadata_only, "re-shipped for a mode or owner change"),
        (f.identical, "written again unchanged"),
        (f.opaque, "hidden by opaque directories"),
        (f.whiteout_markers, "whiteout markers"),
    ]
    .iter()
    .filter(|(b, _)| *b > 0)
    .map(|(b, what)| format!("{} {what}", human_size(*b)))
    .collect();
    parts.push(format!("{} tar overhead", signed_size(f.overhead, "−")));
    match parts.len() {
        1 => parts.remove(0),
        n => format!("{} and {}", parts[..n - 1].join(", "), parts[n - 1]),
    }
}
