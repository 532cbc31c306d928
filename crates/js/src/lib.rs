//! # layerlens-js
//!
//! The layerlens core as a JavaScript/TypeScript package: `scripts/build-js` builds this crate
//! for wasm32 and runs wasm-bindgen on it, which writes the npm package `layerlens` (the
//! generated glue and `.d.ts`, plus the entry points and package.json in `crates/js/package/`)
//! into `target/js/pkg/`. docs/js.md documents the API.
//!
//! This crate is glue only: it opens an [`Input`] (a `Blob`, a `Uint8Array` or a Node file
//! descriptor, each read at an offset, never copied whole) as the core's
//! [`Analysis`](layerlens_core::Analysis) and hands what the analysis answers to JavaScript as
//! plain objects through serde-wasm-bindgen ([`convert`]). The squashed image goes out as a
//! `Blob` built mostly of slices of the input ([`squash`]), or through a write callback (Node
//! writes a file with it).

#![forbid(unsafe_code)]

mod convert;
mod image;
mod input;
mod options;
mod squash;
mod types;

// Linked for its `memcmp` and `bcmp` symbols, which replace compiler-builtins' in the wasm.
use layerlens_memcmp as _;

pub use image::Image;
pub use input::{Input, NodeFs};

use wasm_bindgen::prelude::*;

/// Seeds the core's path hashing from `crypto.getRandomValues` when the module starts: wasm has
/// no OS randomness, and predictable keys would let a crafted archive put every path in one
/// hash bucket (see the core's `hashing`). Browsers, workers and Node ≥ 19 all have
/// `globalThis.crypto`.
#[wasm_bindgen(start, skip_typescript)]
fn start() {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .ok()
        .filter(|c| c.is_object())
        .map(JsCast::unchecked_into::<web_sys::Crypto>);
    let mut seed = [0u8; 16];
    let seeded = crypto.is_some_and(|c| c.get_random_values_with_u8_array(&mut seed).is_ok());
    if seeded {
        let (k0, k1) = seed.split_at(8);
        let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
        layerlens_core::hashing::set_keys(word(k0), word(k1));
    }
}
