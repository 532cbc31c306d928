//! Plain-text formatting helpers: the core's, under the names the tables use.

pub use layerlens_core::image::step;
pub use layerlens_core::present::{ellipsize, human_size as size};

/// A signed size with an ASCII minus.
pub fn signed(v: i64) -> String {
    layerlens_core::present::signed_size(v, "-")
}
