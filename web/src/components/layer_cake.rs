//! The "layer cake": one slab per layer, base at the bottom, width by size; the part that later
//! layers delete or overwrite (still shipped, wasted) is hatched. Click a slab to select it.

use std::rc::Rc;

use layerlens_core::present::human_size;
use layerlens_core::view::ImageSummary;
use yew::prelude::*;

/// Props of [`LayerCake`].
#[derive(Properties, PartialEq)]
pub struct LayerCakeProps {
    /// The image.
    pub summary: Rc<ImageSummary>,
    /// Selected layer.
    pub selected: usize,
    /// Select a layer.
    pub onselect: Callback<usize>,
}

const ROW: f64 = 22.0;
const WIDTH: f64 = 600.0;

/// Shows the chart.
#[component]
pub fn LayerCake(props: &LayerCakeProps) -> Html {
    let layers = &props.summary.layers;
    let max = layers.iter().map(|l| l.tar_size).max().unwrap_or(1).max(1) as f64;
    let height = ROW * layers.len() as f64;
    let slabs = layers.iter().map(|l| {
        let i = l.position;
        let y = height - ROW * (i as f64 + 1.0);
        // Square-root scale: one big base layer would otherwise flatten the rest.
        let w = ((l.tar_size as f64 / max).sqrt() * (WIDTH - 200.0)).max(2.0);
        let wasted = if l.content_size > 0 { w * (l.superseded_size as f64 / l.tar_size.max(1) as f64).min(1.0) } else { 0.0 };
        let onclick = props.onselect.reform(move |_: MouseEvent| i);
        let sel = i == props.selected;
        html! {
            <g class={classes!("slab", sel.then_some("selected"))} {onclick} role="button" aria-label={format!("layer {i}")}>
                <title>{ format!("layer {i}: {} ({} superseded by later layers)", human_size(l.tar_size), human_size(l.superseded_size)) }</title>
                <rect x="0" y={(y + 2.0).to_string()} width={(w - wasted).to_string()} height={(ROW - 4.0).to_string()} class="live" />
                <rect x={(w - wasted).to_string()} y={(y + 2.0).to_string()} width={wasted.to_string()} height={(ROW - 4.0).to_string()} class="wasted" />
                <text x={(w + 6.0).to_string()} y={(y + ROW - 7.0).to_string()}>
                    { format!("{i}: {}{}", human_size(l.tar_size), if l.superseded_size > 0 { format!(" ({} superseded)", human_size(l.superseded_size)) } else { String::new() }) }
                </text>
            </g>
        }
    });
    html! {
        <section aria-label="Layer sizes" class="cake">
            <h3>{ "Layer cake" }</h3>
            <svg viewBox={format!("0 0 {WIDTH} {height}")} width="100%" style={format!("max-height:{}px", height.max(ROW))} role="img" aria-label="Layer sizes, base at the bottom; hatched: bytes later layers delete or overwrite">
                <defs>
                    <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                        <rect width="6" height="6" class="hatch-bg" /><line x1="0" y1="0" x2="0" y2="6" class="hatch-line" />
                    </pattern>
                </defs>
                { for slabs }
            </svg>
            <p class="legend muted"><span class="swatch live"></span>{ " kept " }<span class="swatch wasted"></span>{ " deleted or overwritten by a later layer (still shipped)" }</p>
        </section>
    }
}
