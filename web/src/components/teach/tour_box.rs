//! The tour's box: one step at a time, pointing at the part of the page it explains (marked
//! and scrolled into view), with the image's own numbers. Keyboard: → or Enter for the next
//! step, ← for the previous, Esc leaves. The step is kept in `sessionStorage`, so the tour
//! resumes where it was left, after a reload too.

use std::rc::Rc;

use layerlens_core::present::human_size;
use layerlens_core::teach::Tour;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;
use yew::prelude::*;

use crate::focus::focus_selector;

const KEY: &str = "layerlens-tour";
/// The attribute that marks what a step points at (styled in style.css).
const MARK: &str = "data-tour-target";

/// Where the tour was left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The step.
    pub step: usize,
    /// Whether it was running (not left) then.
    pub running: bool,
}

fn storage() -> Option<JsValue> {
    let w = web_sys::window()?;
    js_sys::Reflect::get(&w, &"sessionStorage".into())
        .ok()
        .filter(|s| !s.is_null() && !s.is_undefined())
}

fn call(storage: &JsValue, method: &str, args: &[&str]) -> Option<JsValue> {
    let f: js_sys::Function = js_sys::Reflect::get(storage, &method.into())
        .ok()?
        .dyn_into()
        .ok()?;
    let args: js_sys::Array = args.iter().map(|a| JsValue::from_str(a)).collect();
    f.apply(storage, &args).ok()
}

/// The step the tour was left at, if any.
pub fn stored_step() -> Option<Stored> {
    let s = storage()?;
    let v = call(&s, "getItem", &[KEY])?.as_string()?;
    let (step, running) = v.split_once(':')?;
    Some(Stored {
        step: step.parse().ok()?,
        running: running == "on",
    })
}

fn store(step: usize, running: bool) {
    if let Some(s) = storage() {
        let v = format!("{step}:{}", if running { "on" } else { "off" });
        call(&s, "setItem", &[KEY, &v]);
    }
}

/// Marks the element with id `target` (and no other) and scrolls it into view.
fn point_at(target: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(old) = doc.query_selector_all(&format!("[{MARK}]")) {
        for i in 0..old.length() {
            if let Some(el) = old
                .item(i)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            {
                let _ = el.remove_attribute(MARK);
            }
        }
    }
    if let Some(el) = doc.get_element_by_id(target) {
        let _ = el.set_attribute(MARK, "");
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Start);
        el.scroll_into_view_with_scroll_into_view_options(&options);
    }
}

/// Runs `f` once the page has rendered and moved the focus for what the step asked.
fn after_render(f: impl FnOnce() + 'static) {
    crate::timer::after(200, f);
}

fn unmark() {
    point_at("");
}

/// Props of [`TourBox`].
#[derive(Properties, PartialEq)]
pub struct TourBoxProps {
    /// The steps.
    pub tour: Rc<Tour>,
    /// The step shown.
    pub step: usize,
    /// Move to a step (`None`: leave).
    pub onstep: Callback<Option<usize>>,
    /// Select a layer.
    pub onselect: Callback<usize>,
    /// Show a path's history at a layer.
    pub onpath: Callback<(usize, String)>,
    /// Load a layer's members into the raw view.
    pub onraw: Callback<usize>,
}

/// Shows one step.
#[component]
pub fn TourBox(props: &TourBoxProps) -> Html {
    let n = props.tour.steps.len();
    let i = props.step.min(n.saturating_sub(1));
    let step = props.tour.steps.get(i).cloned();
    // Point at the step's part of the page, select its layer, open its path; remember it.
    {
        let (onselect, onpath, onraw) = (
            props.onselect.clone(),
            props.onpath.clone(),
            props.onraw.clone(),
        );
        let step = step.clone();
        use_effect_with(step.clone().map(|s| s.id), move |_| {
            store(i, true);
            let target = step
                .as_ref()
                .map(|s| (s.id.to_string(), s.target.to_string()));
            if let Some(s) = &step {
                if let Some(layer) = s.layer {
                    onselect.emit(layer);
                    if s.target == "raw-layer" {
                        onraw.emit(layer);
                    } else if let Some(path) = &s.path {
                        onpath.emit((layer, path.clone()));
                    }
                }
            }
            // After the page has followed (a path's history moves the focus to the file
            // tree): mark the step's part, and keep the keyboard in the box.
            after_render(move || {
                // Only if the tour still shows this step (it may have moved on or been left).
                let Some((id, t)) = &target else { return };
                let shown = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id("tour"))
                    .and_then(|b| b.get_attribute("data-step"));
                if shown.as_deref() == Some(id.as_str()) {
                    point_at(t);
                    focus_selector("#tour-title");
                }
            });
            || ()
        });
    }
    let Some(step) = step else {
        return html! {};
    };
    let go = |to: Option<usize>| {
        let cb = props.onstep.clone();
        Callback::from(move |_: MouseEvent| {
            if to.is_none() {
                store(i, false);
                unmark();
                focus_selector("#tour-start");
            }
            cb.emit(to)
        })
    };
    let onkeydown = {
        let cb = props.onstep.clone();
        Callback::from(move |e: KeyboardEvent| {
            let on_button = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlElement>().ok())
                .is_some_and(|t| t.tag_name() == "BUTTON");
            match e.key().as_str() {
                "Escape" => {
                    e.prevent_default();
                    store(i, false);
                    unmark();
                    cb.emit(None);
                    focus_selector("#tour-start");
                }
                "ArrowRight" if i + 1 < n => {
                    e.prevent_default();
                    cb.emit(Some(i + 1));
                }
                "Enter" if !on_button && i + 1 < n => {
                    e.prevent_default();
                    cb.emit(Some(i + 1));
                }
                "ArrowLeft" if i > 0 => {
                    e.prevent_default();
                    cb.emit(Some(i - 1));
                }
                _ => {}
            }
        })
    };
    let sample = Callback::from(|_: MouseEvent| {
        if let Some(b) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("try-sample"))
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        {
            b.click();
        }
    });
    let figures = step.figures.iter().map(|f| {
        let bytes = f.name.ends_with("bytes") || f.name == "size";
        html! {
            <li data-figure={f.name.to_string()} data-value={f.value.to_string()}>
                <span class="figure-name">{ f.name.replace('_', " ") }</span>{ ": " }
                <strong>{ if bytes { format!("{} ({} B)", human_size(f.value), f.value) } else { f.value.to_string() } }</strong>
            </li>
        }
    });
    html! {
        <div id="tour" class="tour-box" role="dialog" aria-modal="false" aria-labelledby="tour-title" aria-describedby="tour-text" data-step={step.id.to_string()} data-found={step.found.to_string()} {onkeydown}>
            <p class="muted tour-count">{ format!("How layers work — step {} of {n}", i + 1) }</p>
            <h2 id="tour-title" tabindex="-1">{ step.title.to_string() }</h2>
            <p id="tour-text">{ step.text.clone() }</p>
            if !step.found {
                <p class="tour-none">{ "This image has no example of this. " }<button id="tour-sample" onclick={sample}>{ "Open the sample" }</button>{ " (the tour continues on it)." }</p>
            }
            <p class="tour-lesson"><strong>{ "Lesson: " }</strong>{ step.lesson.to_string() }</p>
            <p class="tour-fix"><strong>{ "Fix: " }</strong>{ step.fix.to_string() }</p>
            if !step.figures.is_empty() {
                <ul class="tour-figures">{ for figures }</ul>
            }
            <div class="tour-nav">
                <button id="tour-prev" onclick={go(Some(i.saturating_sub(1)))} disabled={i == 0}>{ "← Back" }</button>
                if i + 1 < n {
                    <button id="tour-next" onclick={go(Some(i + 1))}>{ "Next →" }</button>
                }
                <button id="tour-leave" onclick={go(None)}>{ if i + 1 < n { "Leave (Esc)" } else { "Finish" } }</button>
            </div>
        </div>
    }
}
