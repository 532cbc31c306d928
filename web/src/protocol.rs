//! Messages between the page and the worker.
//!
//! Placeholder protocol: plain strings. The real one will be serde `Request` / `Event` enums.

/// Sent by the worker once its wasm is running and its `onmessage` handler is installed.
///
/// The page must wait for it: a message posted earlier reaches the worker while its wasm is
/// still loading, before any handler exists, and is lost.
pub const READY: &str = "layerlens-worker:ready";

/// Sent by the page after [`READY`]; the worker sends it back unchanged.
pub const PING: &str = "layerlens-worker:ping";

/// Where the worker is served, relative to the page so a sub-path deployment works. Trunk's
/// `data-loader-shim` writes this classic script; it loads `worker.js` and `worker_bg.wasm`.
pub const WORKER_URL: &str = "./worker_loader.js";
