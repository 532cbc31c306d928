//! Sections mounted one at a time after the first screen: when an image shows, creating every
//! panel at once (findings, size map, squash, audit, teaching, CI, compare) made one long
//! main-thread task of style, layout and paint (issue 17: over 100 ms at a million entries).
//! Each [`Deferred`] first renders an empty placeholder with its section's id and takes its
//! turn in a queue that mounts one section per idle period of the page, in page order, so
//! each gets its own task and frame. A section asked for sooner — its `#id` in the address
//! (a navigation link, a deep link) or [`mount_now`] before a focus move — is mounted at once,
//! with the sections above it so the page does not shift under it.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::focus::focus_selector;

/// A section waiting for its turn.
struct Waiting {
    key: u32,
    id: AttrValue,
    mount: Callback<()>,
}

/// The sections waiting, in page order, and whether a turn is scheduled.
#[derive(Default)]
struct Queue {
    waiting: Vec<Waiting>,
    scheduled: bool,
    next_key: u32,
    listening: bool,
}

thread_local! {
    static QUEUE: RefCell<Queue> = RefCell::default();
}

/// Mounts the section with this id now (and those before it), if it waits. Returns whether
/// it waited: its content appears after the current render.
pub fn mount_now(id: &str) -> bool {
    let due: Vec<Callback<()>> = QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        match q.waiting.iter().position(|w| w.id == id) {
            Some(at) => q.waiting.drain(..=at).map(|w| w.mount).collect(),
            None => Vec::new(),
        }
    });
    let waited = !due.is_empty();
    for m in due {
        m.emit(());
    }
    waited
}

fn register(id: AttrValue, mount: Callback<()>) -> u32 {
    let key = QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        let key = q.next_key;
        q.next_key = q.next_key.wrapping_add(1);
        q.waiting.push(Waiting { key, id, mount });
        key
    });
    listen_for_hash();
    schedule();
    key
}

fn unregister(key: u32) {
    QUEUE.with(|q| q.borrow_mut().waiting.retain(|w| w.key != key));
}

/// Asks for the next turn: when the page is idle (after a frame is drawn), or within
/// `MAX_WAIT_MS` if it never is.
fn schedule() {
    const MAX_WAIT_MS: u32 = 200;
    let go = QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        let go = !q.scheduled && !q.waiting.is_empty();
        q.scheduled |= go;
        go
    });
    if go {
        crate::timer::when_idle(MAX_WAIT_MS, take_turn);
    }
}

/// Mounts the first waiting section and schedules the next.
fn take_turn() {
    let next = QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        q.scheduled = false;
        (!q.waiting.is_empty()).then(|| q.waiting.remove(0).mount)
    });
    if let Some(m) = next {
        m.emit(());
    }
    schedule();
}

/// The section the address names (`#findings`) is mounted when the address changes to it,
/// then scrolled to once drawn (the browser scrolled to its empty placeholder).
fn listen_for_hash() {
    let first = QUEUE.with(|q| !std::mem::replace(&mut q.borrow_mut().listening, true));
    let Some(window) = web_sys::window().filter(|_| first) else {
        return;
    };
    let on_hash = Closure::<dyn Fn()>::new(|| {
        let Some(hash) = web_sys::window().and_then(|w| w.location().hash().ok()) else {
            return;
        };
        let id = hash.trim_start_matches('#').to_string();
        if mount_now(&id) {
            scroll_to_later(id);
        }
    });
    let _ = window.add_event_listener_with_callback("hashchange", on_hash.as_ref().unchecked_ref());
    // Listens for the page's lifetime.
    on_hash.forget();
}

/// Scrolls to the element with this id after the render that creates it.
fn scroll_to_later(id: String) {
    after_render(move || {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&id))
        {
            el.scroll_into_view();
        }
    });
}

/// Focuses what `selector` finds inside the section `section` (see
/// [`crate::focus::focus_selector`]), mounting the section first if it waits, in which case
/// the focus moves after the render that creates it.
pub fn focus_in(section: &str, selector: &str) {
    if mount_now(section) {
        let selector = selector.to_string();
        after_render(move || {
            focus_selector(&selector);
        });
    } else {
        focus_selector(selector);
    }
}

/// Runs `f` in a later task, after the renders the current one scheduled.
fn after_render(f: impl FnOnce() + 'static) {
    crate::timer::after(0, f);
}

/// Props of [`Deferred`].
#[derive(Properties, PartialEq)]
pub struct DeferredProps {
    /// The id of the section it holds (its placeholder carries it, so links find it).
    pub id: AttrValue,
    /// The section.
    pub children: Html,
}

/// A section mounted in its turn (see the module's comment).
#[component]
pub fn Deferred(props: &DeferredProps) -> Html {
    let mounted = use_state(|| false);
    {
        let (mounted, id) = (mounted.clone(), props.id.clone());
        use_effect_with((), move |_| {
            let key =
                (!*mounted).then(|| register(id, Callback::from(move |()| mounted.set(true))));
            move || {
                if let Some(key) = key {
                    unregister(key);
                }
            }
        });
    }
    if *mounted {
        props.children.clone()
    } else {
        html! { <section id={props.id.clone()} class="deferred" data-deferred="waiting" aria-busy="true"></section> }
    }
}
