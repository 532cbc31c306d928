//! Hooks, one per file.

pub mod use_image_worker;
pub mod use_progress;
