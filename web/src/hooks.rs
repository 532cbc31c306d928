//! Hooks, one per file.

pub mod use_image_worker;
