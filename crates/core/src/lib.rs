//! # layerlens-core
//!
//! Reads container image archives, models their union filesystem, and plans squashes: the
//! shared engine of the `layerlens` CLI and the browser app.
//!
//! ```text
//!  Source ──▶ archive::Archive ──▶ image::Image ──▶ fs::UnionFs ──▶ analysis / squash plan
//!  (bytes)    member table,        config, history,  whiteouts,       sizes, savings, parts
//!             format, images       layer indexes     change sets      (literal | range)
//! ```
//!
//! [`Analysis`] holds all of it for one image (opened from a [`Source`], an image pick, the
//! [`Limits`] and a [`Progress`]); both front ends start from it. The pure analyses take a
//! [`model::Model`]: the image, its union, its change sets and the deep scan's hashes, borrowed
//! together.
//!
//! The analysis is pure: no clock, no files, no globals (but the hash keys of [`hashing`],
//! which change no result). Bytes come in through one seam, [`Source`] (a file, a buffer, a
//! browser `Blob`); progress goes out through [`Progress`]; a squash goes out through a
//! [`squash::SquashSink`] the host implements. Uncompressed layers are indexed from tar
//! headers alone, seeking past contents, so cost grows with entries, not bytes.
//!
//! ## Modules, bottom up
//!
//! Each module uses only those on the rows below it; the leaves may use each other, without
//! cycles (checked by tests/module_graph.rs, which reads this diagram).
//!
//! ```text
//!  compare    two images: layers aligned, final files, config, history, sizes and waste
//!  report     the self-contained HTML report (overview, layers, waste, findings, size map)
//!  document   the `analyze --json` document, written the same by the CLI and the page
//!  analysed   Analysis: archive + image + union + change sets + hashes; the front ends' entry
//!  teach      a layer's tar members as stored, markers linked; digests and formulas; the tour
//!  view       plain summaries for the page (layer table, file rows)
//!  analysis   waste report, reclaim by cause, findings, timelines, the deep scan, CI rules, audit
//!  squash     squash plans (pure) and the one writer that walks them into a SquashSink
//!  model      Model: image + union + change sets + hashes, borrowed; what the analyses take
//!  dive       dive 0.13.1's figures, number formatting, YAML and sort order, exactly as dive
//!  fs         union filesystem, whiteouts, change sets, final-filesystem summary
//!  image      config, history, layers indexed (from a file, or once from a pipe); verify
//!  folder     an image directory read as the tar it would be (std)
//!  wire       a layer index or its error as compact bytes, to cross from another worker
//!  layer      entries, paths, EntryRef, the layer index, its tar reader and header writer
//!  archive    layouts, member table, image references
//!  digest     sha256 digests, diff_ids, chain IDs
//!  stream     blob encodings, decoders, tar header guard
//!  error      Error = ErrorKind + Location
//!  leaves     source, progress, limits, hashing, sanitize, secrets (key and token rules,
//!             masking), present (words for people), json, bytes (substring search)
//! ```
//!
//! ## Without std
//!
//! The `std` feature (on by default) adds everything that reads or writes bytes: the
//! [`Source`] seam and the archive, layer and blob readers (the `tar` crate and the `flate2`
//! and `ruzstd` decoders work on `std::io::Read`, so they cannot be had without std),
//! [`Image::load`](image::Image::load), `image::verify`, the deep scan's reader,
//! the squash and export writers, [`Analysis`], and the file-tree view. Without it, the model
//! (entries, paths, the union, change sets, squash plans, the waste analyses, timelines,
//! findings, dive's figures and the CI rules) builds with `core` and `alloc` only
//! (`hashbrown` maps, `libm`'s `floor`); `scripts/test` builds it for
//! `thumbv7em-none-eabihf`. There the path-hash keys come only from [`hashing::set_keys`].
//!
//! ```
//! # #[cfg(feature = "std")]
//! # fn demo(bytes: &[u8]) -> layerlens_core::Result<()> {
//! use layerlens_core::{Analysis, ImagePick, Limits, NoProgress};
//! let analysis = Analysis::open(bytes, &ImagePick::default(), Limits::default(), &mut NoProgress)?;
//! let fs = analysis.final_fs();
//! println!("{} paths, {} layers", fs.entries, analysis.changes().len());
//! # Ok(()) }
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "std")]
mod analysed;
pub mod analysis;
pub mod archive;
mod bytes;
pub mod compare;
pub mod digest;
pub mod dive;
#[cfg(feature = "std")]
pub mod document;
mod error;
pub mod folder;
pub mod fs;
pub mod hashing;
pub mod image;
mod json;
pub mod layer;
mod limits;
pub mod model;
pub mod present;
mod progress;
pub mod report;
pub mod sanitize;
pub mod secrets;
#[cfg(feature = "std")]
mod source;
pub mod squash;
mod stream;
pub mod teach;
#[cfg(test)]
mod testing;
pub mod view;
pub mod wire;

#[cfg(feature = "std")]
pub use analysed::{Analysis, ImagePick, Indexed, Listed};
pub use error::{DigestKind, Error, ErrorKind, Location, Result};
pub use limits::{LimitKind, Limits};
pub use progress::{Cancelled, NoProgress, Progress, Stage};
#[cfg(feature = "std")]
pub use source::{RangeReader, ReadFailed, SeekSource, Source};
pub use stream::Compression;
