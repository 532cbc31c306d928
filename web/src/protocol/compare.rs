//! Messages of the compare view. They travel inside
//! [`Request::Compare`](super::Request::Compare) and [`Event::Compare`](super::Event::Compare),
//! so the page routes them to the compare panel, which keeps its own state.

use layerlens_core::analysis::content_diff::ContentDiff;
use layerlens_core::compare::{Comparison, Strictness};
use layerlens_core::view::ImageChoice;
use serde::{Deserialize, Serialize};

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "compare")]
pub enum CompareRequest {
    /// Open image B and compare the shown image (A) with it: the `File` carried with the
    /// message, or (none carried) A's own file again, for two images of one archive.
    Open {
        /// Image position in B's archive (default: the first).
        image: Option<usize>,
        /// The rules.
        strict: Strictness,
    },
    /// Compare again with other rules (B kept open).
    Again {
        /// The rules.
        strict: Strictness,
    },
    /// How a modified file's bytes differ between A and B.
    ContentDiff {
        /// The path as shown (answered with it).
        path: String,
        /// A's entry `[layer, entry]`.
        a: [u32; 2],
        /// B's entry.
        b: [u32; 2],
    },
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "compare")]
pub enum CompareEvent {
    /// The comparison.
    Compared {
        /// Everything that differs.
        comparison: Box<Comparison>,
        /// B's file name.
        name: String,
        /// B's images (to pick another) and the one compared.
        images: Vec<ImageChoice>,
        /// Position of B's image.
        image: usize,
        /// Milliseconds spent (opening B and comparing).
        millis: f64,
    },
    /// A content diff.
    ContentDiff {
        /// The path asked for.
        path: String,
        /// How the bytes differ.
        diff: ContentDiff,
    },
}
