//! The image view's text styles, laid out once (hidden) while the landing page is idle.
//!
//! Chromium looks a font up the first time a family, size and weight (a strike) is laid out:
//! on Linux a synchronous trip to the browser process, 1–7 ms each. The image view uses about
//! twenty strikes the landing page does not, and finding them cold added 10–20 ms to the
//! frame that first shows an image, the open's longest main-thread task (docs/performance.md,
//! "Fonts found cold"). A line of each, laid out in an idle period before a file is chosen,
//! moves that cost off the open. e2e/million.mjs checks that every strike the image view uses
//! is warmed here or already on the landing page, so a new text style in style.css that is
//! missing here fails there, naming it.

use yew::prelude::*;

use crate::timer::when_idle;

/// The body's and `code`'s font stacks (web/assets/style.css).
const SANS: &str = "system-ui, -apple-system, \"Segoe UI\", sans-serif";
const MONO: &str = "ui-monospace, SFMono-Regular, Menlo, monospace";

/// Strikes the image view lays out that the landing page does not: family, size, weight.
/// Sizes as style.css computes them (rem, or px where it sets px).
const STRIKES: &[(&str, &str, u16)] = &[
    (SANS, "1.05rem", 400),  // .headline
    (SANS, "1.05rem", 700),  // .headline strong
    (SANS, "1rem", 600),     // section navigation
    (SANS, "1rem", 700),     // .tab.active
    (SANS, "1.3rem", 700),   // h2
    (SANS, "0.9rem", 400),   // table cells
    (SANS, "0.9rem", 600),   // table headers
    (SANS, "0.9rem", 700),   // the layer table's selected and total rows
    (SANS, "0.88rem", 400),  // the file list's rows
    (SANS, "0.88rem", 600),  // the file list's header
    (SANS, "0.88rem", 700),  // the file list's change marks
    (SANS, "0.85rem", 400),  // .small captions
    (SANS, "0.8rem", 400),   // .badge
    (SANS, "0.8rem", 700),   // .badge inside bold text
    (SANS, "12px", 400),     // the layer cake's labels (SVG)
    (SANS, "11px", 400),     // the size map's labels (SVG)
    (MONO, "0.81rem", 400),  // digests in the layer table (0.9em of 0.9rem)
    (MONO, "0.792rem", 400), // modes in the file list (0.9em of 0.88rem)
    (MONO, "0.8rem", 400),   // digests in the teaching section's table
];

/// Text with the glyphs the image view draws most (figures, units, change marks).
const SAMPLE: &str = "Aa 0123456789 .,:% MB GiB + − ~ · → …";

/// A hidden block of one line per strike, mounted in the first idle period after the page
/// shows (so it does not delay the landing page's first paint).
#[component]
pub fn FontWarmup() -> Html {
    let mounted = use_state(|| false);
    {
        let mounted = mounted.clone();
        use_effect_with((), move |_| {
            when_idle(2000, move || mounted.set(true));
        });
    }
    if !*mounted {
        return html! {};
    }
    html! {
        <div id="font-warmup" class="font-warmup" aria-hidden="true">
            { for STRIKES.iter().map(|(family, size, weight)| html! {
                <span style={format!("font-family: {family}; font-size: {size}; font-weight: {weight}")}>{ SAMPLE }</span>
            }) }
        </div>
    }
}
