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
//! The analysis is pure: no clock, no files, no globals (but the hash keys of [`hashing`],
//! which change no result). Bytes come in through one seam,
//! [`Source`] (a file, a buffer, a browser `Blob`); progress goes out through [`Progress`].
//! Uncompressed layers are indexed from tar headers alone, seeking past contents, so cost
//! grows with entries, not bytes.
//!
//! ```
//! use layerlens_core::{archive::Archive, image::Image, fs::UnionFs, Limits, NoProgress};
//! # fn demo(bytes: &[u8]) -> layerlens_core::Result<()> {
//! let mut archive = Archive::open(bytes, Limits::default(), &mut NoProgress)?;
//! let which = archive.select(&Default::default())?;
//! let image = Image::load(&mut archive, which, &Default::default(), &mut NoProgress)?;
//! let (fs, changes) = UnionFs::build(image.indexes());
//! println!("{} paths, {} layers", fs.len(), changes.len());
//! # Ok(()) }
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

extern crate alloc;
extern crate std;

pub mod analysis;
pub mod archive;
pub mod digest;
mod error;
pub mod folder;
pub mod fs;
pub mod hashing;
pub mod image;
mod json;
pub mod layer;
mod limits;
mod progress;
pub mod sanitize;
pub mod source;
pub mod squash;
#[cfg(test)]
mod testing;
pub mod view;

pub use error::{Error, ErrorKind, Location, Result};
pub use limits::Limits;
pub use progress::{NoProgress, Progress, Stage};
pub use source::{RangeReader, SeekSource, Source};
