//! The layerlens browser app: a Yew UI on the page and a Web Worker that does all the reading,
//! analysis, squash planning and hashing with the same core as the CLI.
//!
//! ```text
//! page (bin/app.rs)                                   worker (bin/worker.rs)
//!   App ── state (reducer) ── use_image_worker ─────── worker::start
//!     drop / pick / sample → Request::Open + File ──▶  BlobSource (FileReaderSync) → core
//!     (a folder: folder::Folder → virtual tar File)
//!                     ◀── Event::Progress / Analyzed ── ImageSummary, squash figures
//!     file list window  → Request::Files         ──▶  view::tree_at, kept there
//!     Build & download  → Request::Build         ──▶  hash new layer, Blob of File slices
//!                     ◀── Event::Built + Blob       ── object URL → download
//! ```
//!
//! Messages are JSON text plus one carried JS object (see [`protocol`]). The page never reads
//! the file; a crash in the worker restarts it and the next file works.
#![forbid(unsafe_code)]

mod app;
pub mod components;
pub mod focus;
pub mod folder;
pub mod hash_keys;
pub mod hooks;
mod input_check;
pub mod protocol;
pub mod state;
pub mod timer;
pub mod worker;

pub use app::App;
// Linked for its `memcmp` and `bcmp` symbols, which replace compiler-builtins' in the wasm.
use layerlens_memcmp as _;
