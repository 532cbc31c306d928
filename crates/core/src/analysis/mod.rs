//! Where the bytes go, and what to change: pure functions over an [`Image`], its final
//! [`UnionFs`] and its per-layer [`ChangeSet`]s, returning plain serialisable data.
//!
//! - [`dive`]: dive 0.13.1's efficiency, wasted bytes, user wasted percent and inefficient
//!   files, number for number, with the correct figure beside each of its mistakes.
//!
//! [`Image`]: crate::image::Image
//! [`UnionFs`]: crate::fs::UnionFs
//! [`ChangeSet`]: crate::fs::ChangeSet

pub mod ci;
pub mod dive;
