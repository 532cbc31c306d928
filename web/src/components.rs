//! UI components, one per file.

pub mod ci_bridge;
pub mod drop_zone;
pub mod error_banner;
pub mod file_tree;
pub mod findings;
pub mod layer_cake;
pub mod layer_table;
pub mod overview;
pub mod progress_bar;
pub mod squash_options;
pub mod squash_panel;
pub mod timeline;
pub mod viewer;
