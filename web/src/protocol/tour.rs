//! Messages of the teaching views (the guided tour, the raw layer view, the digests). They
//! travel inside [`Request::Tour`](super::Request::Tour) and [`Event::Tour`](super::Event::Tour)
//! so the page routes them to the teaching panel on their own.

use layerlens_core::teach::{Digests, RawLayer, Tour};
use serde::{Deserialize, Serialize};

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "teach")]
pub enum TourRequest {
    /// The tour's steps, with this image's numbers.
    Steps,
    /// The declared digests and their formulas.
    Digests,
    /// Recompute every blob digest and diff_id from the bytes (with progress).
    Verify,
    /// A layer's members exactly as stored.
    Layer {
        /// Layer position.
        layer: usize,
    },
}

/// One layer's digests as recomputed from its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recomputed {
    /// sha256 of the decompressed tar.
    pub diff_id: String,
    /// sha256 of the blob as stored.
    pub blob_digest: String,
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "teach")]
pub enum TourEvent {
    /// The tour.
    Steps {
        /// Its steps.
        tour: Box<Tour>,
    },
    /// The declared digests.
    Digests {
        /// Every digest.
        digests: Box<Digests>,
    },
    /// Verification finished: every layer's recomputed digests (all matched), or the first
    /// mismatch or failure in words.
    Verified {
        /// The outcome.
        result: Result<Vec<Recomputed>, String>,
        /// sha256 of the config bytes as read again.
        image_id: String,
    },
    /// A layer as stored.
    Layer {
        /// Its members.
        raw: Box<RawLayer>,
    },
}
