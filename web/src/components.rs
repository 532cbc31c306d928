//! UI components, one per file.

pub mod audit;
pub mod ci_bridge;
pub mod compare;
pub mod deferred;
pub mod drop_zone;
pub mod error_banner;
pub mod file_tree;
pub mod findings;
pub mod font_warmup;
pub mod layer_cake;
pub mod layer_table;
pub mod overview;
pub mod progress_bar;
pub mod size_map;
pub mod squash_compare;
pub mod squash_options;
pub mod squash_panel;
pub mod teach;
pub mod timeline;
pub mod viewer;
