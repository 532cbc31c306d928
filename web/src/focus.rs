//! Moving the keyboard focus: cross-links and actions bring their target into view and focus
//! it, so a person using a keyboard or a screen reader lands where the change happened.

use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// Scrolls the first element matching `selector` into view and focuses it. Returns whether
/// there was one.
pub fn focus_selector(selector: &str) -> bool {
    let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(selector).ok().flatten())
    else {
        return false;
    };
    focus_element(&el);
    true
}

/// Scrolls `el` into view (centred, so a sticky header does not cover it) and focuses it.
pub fn focus_element(el: &web_sys::Element) {
    let options = web_sys::ScrollIntoViewOptions::new();
    options.set_block(web_sys::ScrollLogicalPosition::Center);
    el.scroll_into_view_with_scroll_into_view_options(&options);
    if let Some(h) = el.dyn_ref::<HtmlElement>() {
        let _ = h.focus();
    }
}

/// Whether the focus is inside the element matching `selector`.
pub fn focus_within(selector: &str) -> bool {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    match (
        doc.active_element(),
        doc.query_selector(selector).ok().flatten(),
    ) {
        (Some(active), Some(container)) => container.contains(Some(&active)),
        _ => false,
    }
}

/// Whether the viewport is phone-sized (rows and targets grow to 44 px there).
pub fn narrow() -> bool {
    web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|v| v.as_f64())
        .is_some_and(|w| w < 700.0)
}
