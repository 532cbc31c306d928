//! Running a closure later on the page: once after a delay ([`after`]) or when the page is
//! next idle ([`when_idle`]). One place for the
//! `Closure::once_into_js` + `setTimeout` dance the components need (revoking an object URL
//! once its download has started, moving the focus after a render, taking a turn).

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Runs `f` once, in a task at least `ms` milliseconds from now. Without a window (in a
/// worker) nothing runs.
pub fn after(ms: i32, f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let f = Closure::once_into_js(f);
    let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(f.unchecked_ref(), ms);
}

/// Runs `f` once when the page is idle (after a frame is drawn), or within `max_wait_ms` if
/// it never is; where there are no idle callbacks (Safari), in a task 16 ms from now.
pub fn when_idle(max_wait_ms: u32, f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let f = Closure::once_into_js(f);
    let idle = js_sys::Reflect::get(&window, &"requestIdleCallback".into())
        .ok()
        .and_then(|i| i.dyn_into::<js_sys::Function>().ok());
    let asked = idle.is_some_and(|idle| {
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"timeout".into(), &max_wait_ms.into());
        idle.call2(&window, &f, &options).is_ok()
    });
    if !asked {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(f.unchecked_ref(), 16);
    }
}

/// Revokes an object URL once its download has surely started (a minute from now): revoking
/// it right after the click can cancel the download.
pub fn revoke_url_later(url: String) {
    after(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
}
