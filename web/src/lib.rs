//! The layerlens browser app: a Yew UI on the page and a Web Worker that will do the reading.
//!
//! **Status: placeholder.** The page only says where the drop zone will be, and the worker only
//! echoes messages. Together they prove the build: two Trunk `rel="rust"` links in `index.html`
//! (`data-bin="app"` and `data-bin="worker"` with `data-type="worker"`), both under a strict
//! Content-Security-Policy, working from any sub-path of a static server.
//!
//! ```text
//! page (bin/app.rs)                          worker (bin/worker.rs)
//!   App ── use_worker_echo ── new Worker("./worker_loader.js")
//!                        <──────────────── protocol::READY   (once its wasm is running)
//!                        ────────────────> protocol::PING
//!                        <──────────────── protocol::PING    (echo)  => "worker ready"
//! ```
//!
//! The full app (drop zone, layer table, file tree, squash panel) replaces this; the worker will
//! open the dropped `File` through the core's `Source` trait so the archive never has to be
//! copied into wasm memory.

mod app;
pub mod components;
pub mod hooks;
pub mod protocol;
pub mod worker;

pub use app::App;
