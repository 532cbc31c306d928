//! Messages between the analysis worker and its layer workers (nested dedicated workers that
//! each index layer blobs of the same `File`), and the event telling the page how many ran.
//! They use [`super::encode`] / [`super::decode`] like the page's messages: JSON text plus one
//! carried object (the `File` to a layer worker; the index, as
//! [`layerlens_core::wire`] bytes in a transferred `ArrayBuffer`, back).

use layerlens_core::Limits;
use serde::{Deserialize, Serialize};

/// The name a layer worker is started with: the worker script reads it to know its role.
pub const LAYER_WORKER_NAME: &str = "layerlens-layer";

/// Analysis worker → layer worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum LayerTask {
    /// Index one blob of the carried `File`.
    Index(LayerJob),
    /// dive's tally of the image, from the blobs' indexes in the carried array (each as
    /// [`layerlens_core::wire`] bytes in a transferred `ArrayBuffer`), computed while the
    /// analysis worker builds the union.
    Tally(TallyJob),
}

/// Index one blob of the carried `File`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerJob {
    /// Where the blob's bytes start in the file.
    pub offset: u64,
    /// The blob's size.
    pub size: u64,
    /// The blob's position among the distinct blobs (for the progress stage).
    pub blob: usize,
    /// The file's size (progress is reported against it).
    pub total: u64,
    /// The limits the image is opened with.
    pub limits: Limits,
}

/// dive's tally of the image whose blob indexes are carried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TallyJob {
    /// For each of the image's layers, base first, the position in the carried array of the
    /// index dive reads, or `None` where dive reads an empty tar
    /// ([`layerlens_core::dive::DiveTally::layer_blobs`]).
    pub layers: Vec<Option<usize>>,
}

/// Layer worker → analysis worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum LayerReply {
    /// The worker's wasm runs and its handler is installed: jobs can be sent.
    Ready,
    /// Bytes of the current blob read so far.
    Progress {
        /// Bytes.
        read: f64,
    },
    /// The blob at `offset` is indexed (or failed): the carried `ArrayBuffer` holds the
    /// outcome in [`layerlens_core::wire`] form.
    Indexed {
        /// The blob's offset.
        offset: u64,
    },
    /// The tally is done: the carried `ArrayBuffer` holds it in
    /// [`layerlens_core::dive::DiveTally::to_bytes`] form.
    Tallied,
}

/// Worker → page: how the layers of the file being opened are indexed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerWorkers {
    /// Layer workers started (0: indexed in the analysis worker, one blob after another).
    pub workers: usize,
    /// Of them, those started before the file came (ready, or starting): the spares.
    pub ahead: usize,
    /// Distinct layer blobs of the image.
    pub blobs: usize,
    /// Whether dive's tally was computed in a layer worker while the union was built
    /// (`None` until it is done; set by [`super::Event::Tallied`]).
    #[serde(default)]
    pub tally_beside: Option<bool>,
}
