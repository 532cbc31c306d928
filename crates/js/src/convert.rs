//! Rust values to plain JavaScript objects (serde-wasm-bindgen, JSON-compatible: objects rather
//! than `Map`s, `null` for a missing value, snake_case field names as in the CLI's JSON), and
//! errors to JavaScript `Error`s.

use serde::Serialize;
use wasm_bindgen::prelude::*;

/// `value` as a plain object, array, string, number, boolean or `null`. Numbers are exact:
/// one above 2^53 is an error rather than a rounded figure.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&format!("cannot hand the result to JavaScript: {e}")))
}

/// A core error as a JavaScript `Error` whose message says what failed and where (the archive
/// member, layer or entry the core names).
pub fn error(e: &layerlens_core::Error) -> JsError {
    JsError::new(&e.to_string())
}
