//! The "layer cake": one slab per layer in the layer table's order (base at the top), width by
//! the square root of the size so a big base does not flatten the rest; the part later layers
//! delete or overwrite (still shipped, wasted) is hatched and never thinner than a few pixels.
//! Slabs get thinner with many layers so the chart stays within a screen. A picture for the
//! eye: assistive technology skips it, and the layer table carries the same figures.

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

const WIDTH: f64 = 600.0;
/// The chart's height is capped near this; slabs shrink to fit.
const MAX_HEIGHT: f64 = 330.0;
/// Narrowest visible slab and hatch.
const MIN_W: f64 = 3.0;

/// Shows the chart.
#[component]
pub fn LayerCake(props: &LayerCakeProps) -> Html {
    let layers = &props.summary.layers;
    let max = layers.iter().map(|l| l.tar_size).max().unwrap_or(1).max(1) as f64;
    let row = (MAX_HEIGHT / layers.len().max(1) as f64).clamp(5.0, 22.0);
    let labels = row >= 14.0;
    let height = row * layers.len() as f64;
    let bar = if labels { WIDTH - 220.0 } else { WIDTH - 40.0 };
    let gap = if row >= 8.0 { 2.0 } else { 0.5 };
    let slabs = layers.iter().map(|l| {
        let i = l.position;
        let y = row * i as f64;
        let w = ((l.tar_size as f64 / max).sqrt() * bar).max(MIN_W);
        let share = (l.superseded_size as f64 / l.tar_size.max(1) as f64).min(1.0);
        let wasted = if l.superseded_size > 0 { (w * share).max(MIN_W).min(w) } else { 0.0 };
        let onclick = props.onselect.reform(move |_: MouseEvent| i);
        let sel = i == props.selected;
        html! {
            <g class={classes!("slab", sel.then_some("selected"))} {onclick}>
                <title>{ format!("layer {i}: {} ({} superseded by later layers)", human_size(l.tar_size), human_size(l.superseded_size)) }</title>
                <rect x="0" y={(y + gap).to_string()} width={(w - wasted).max(0.0).to_string()} height={(row - 2.0 * gap).to_string()} class="live" />
                <rect x={(w - wasted).to_string()} y={(y + gap).to_string()} width={wasted.to_string()} height={(row - 2.0 * gap).to_string()} class="wasted" />
                if labels {
                    <text x={(w + 6.0).to_string()} y={(y + row - 6.0).to_string()}>
                        { format!("{i}: {}{}", human_size(l.tar_size), if l.superseded_size > 0 { format!(" ({} superseded)", human_size(l.superseded_size)) } else { String::new() }) }
                    </text>
                }
            </g>
        }
    });
    html! {
        <div class="cake" aria-hidden="true">
            <p class="muted small cake-caption">
                { format!("Layer sizes, base (layer 0) at the top as in the table; width ∝ √size (widest: {}).", human_size(max as u64)) }
                if !labels { { " Hover a slab for its figures." } }
            </p>
            <svg viewBox={format!("0 0 {WIDTH} {height}")} width="100%" preserveAspectRatio="xMinYMin meet" style={format!("max-height:{}px", height.max(row))}>
                <defs>
                    <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                        <rect width="6" height="6" class="hatch-bg" /><line x1="0" y1="0" x2="0" y2="6" class="hatch-line" />
                    </pattern>
                </defs>
                { for slabs }
            </svg>
            <p class="legend muted small"><span class="swatch live"></span>{ " kept " }<span class="swatch wasted"></span>{ " deleted or overwritten by a later layer (still shipped)" }</p>
        </div>
    }
}
