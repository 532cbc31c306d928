//! Messages of the size map, the report and the squash before/after. They travel inside
//! [`Request::Map`](super::Request::Map) and [`Event::Map`](super::Event::Map) so the page
//! routes them to the size map on their own.

use layerlens_core::view::squash_compare::BeforeAfter;
use layerlens_core::view::treemap::Treemap;
use serde::{Deserialize, Serialize};

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "what")]
pub enum MapRequest {
    /// The size map of every file shipped (`layer: None`) or of one layer's files.
    SizeMap {
        /// Layer position.
        layer: Option<usize>,
    },
    /// The HTML report, as `layerlens report` writes it.
    Report,
    /// The stacks before and after a squash from `from`.
    BeforeAfter {
        /// First squashed layer.
        from: usize,
    },
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "what")]
pub enum MapEvent {
    /// A size map laid out.
    SizeMap {
        /// The map (tiles capped, so it is small).
        map: Box<Treemap>,
    },
    /// The report, carried as a `Uint8Array` of its HTML.
    Report {
        /// Suggested file name.
        name: String,
        /// Bytes.
        size: f64,
    },
    /// The stacks before and after a squash (the new IDs not yet known).
    BeforeAfter {
        /// Both stacks.
        view: Box<BeforeAfter>,
    },
}
