//! The worker side: echoes every message back to the page.
//!
//! This is the placeholder for the image reader, which will receive the dropped `File` here.

use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::protocol;

/// Installs the echo handler on the worker's global scope, then tells the page it is ready.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Err(err) = reply_to.post_message(&event.data()) {
            web_sys::console::error_2(&"layerlens worker: cannot reply".into(), &err);
        }
    });
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The handler lives as long as the worker does.
    onmessage.forget();
    if let Err(err) = scope.post_message(&JsValue::from_str(protocol::READY)) {
        web_sys::console::error_2(&"layerlens worker: cannot announce".into(), &err);
    }
}
