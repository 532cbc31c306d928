//! Secret keys for the core's path hashing, on the page and in the worker alike: each is its
//! own wasm instance with its own keys, wasm has no OS randomness, and predictable keys would
//! let a crafted archive put every path in one hash bucket (the worker's union; the page's
//! file tree of 100,000 paths).

use wasm_bindgen::JsValue;
use web_sys::Crypto;

/// Seeds [`layerlens_core::hashing`] from `crypto.getRandomValues` (`who` names the caller
/// in the warning when there is no such source).
pub fn seed(crypto: Result<Crypto, JsValue>, who: &str) {
    let mut seed = [0u8; 16];
    let seeded = crypto.and_then(|c| c.get_random_values_with_u8_array(&mut seed).map(|_| ()));
    match seeded {
        Ok(()) => {
            let (k0, k1) = seed.split_at(8);
            let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
            layerlens_core::hashing::set_keys(word(k0), word(k1));
        }
        Err(err) => web_sys::console::warn_2(
            &format!("layerlens {who}: no crypto.getRandomValues; hash keys are predictable")
                .into(),
            &err,
        ),
    }
}

/// Seeds the page's keys from `window.crypto`, before anything builds a map.
pub fn seed_page() {
    let crypto = web_sys::window()
        .ok_or_else(|| JsValue::from_str("no window"))
        .and_then(|w| w.crypto());
    seed(crypto, "page");
}
