//! Messages between the page and the worker. Each message is a two-element JS array: the
//! typed message as JSON text, and a JS object it carries (the dropped `File`, the built
//! `Blob`) or `undefined`. JSON text crosses `postMessage` as one string, which is far cheaper
//! than one JS object per file row when a layer has 100,000 entries.

mod audit;
mod compare;
mod files;
mod layers;
mod map;
mod see;
mod squash_options;
mod tour;

pub use audit::{AuditEvent, AuditRequest};
pub use compare::{CompareEvent, CompareRequest};
pub use files::{FilesOp, FilesRequest, FilesView, ShownNode};
pub use layers::{LayerJob, LayerReply, LayerTask, LayerWorkers, TallyJob, LAYER_WORKER_NAME};
pub use map::{MapEvent, MapRequest};
pub use see::{RangeRow, SeeEvent, SeeRequest, PAGE};
pub use squash_options::{DropLine, OptionsPlan, SquashOptionsEvent, SquashOptionsRequest};
pub use tour::{Recomputed, TourEvent, TourRequest};

use layerlens_core::analysis::ci::{PathReport, Verdict};
use layerlens_core::analysis::timeline::Timeline;
use layerlens_core::analysis::WasteReport;
use layerlens_core::view::{ImageSummary, SquashFigures};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// Where the worker is served, relative to the page so a sub-path deployment works. Trunk's
/// `data-loader-shim` writes this classic script; it loads `worker.js` and `worker_bg.wasm`.
pub const WORKER_URL: &str = "./worker_loader.js";

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Request {
    /// Open the `File` carried with the message; `image` picks one of several.
    Open {
        /// Image position in the archive.
        image: Option<usize>,
    },
    /// The file list: the filesystem after a layer, kept in the worker, and a window of it.
    Files(FilesRequest),
    /// Plan a squash from `from` (sizes and savings only).
    Plan {
        /// First squashed layer.
        from: usize,
    },
    /// One path's history across the layers.
    Why {
        /// The path as displayed (answered with it).
        path: String,
        /// The row of a file list it was picked from, which names its exact bytes.
        #[serde(default)]
        row: Option<RowRef>,
    },
    /// Hash file contents (streams the layers once) to tell identical rewrites from changes.
    DeepScan,
    /// Make the worker's wasm trap, as a bug would: the page must survive it and restart the
    /// worker. Sent only when a test dispatches a `layerlens-test-crash` event on `window`.
    Crash,
    /// A request of the "see inside" views.
    See(SeeRequest),
    /// A request of the Audit panel.
    Audit(AuditRequest),
    /// A request of the compare view.
    Compare(CompareRequest),
    /// A request of the size map or the report.
    Map(MapRequest),
    /// A request of the teaching views (tour, raw layer, digests).
    Tour(TourRequest),
    /// Set the squash options for later plans and builds (answered with their plan).
    SquashOptions(SquashOptionsRequest),
    /// The analysis as `layerlens analyze --json` prints it for this file and image (with the
    /// deep scan's findings if it has run, as `--deep` gives them).
    ExportJson,
    /// Evaluate a `.dive-ci` text as `layerlens ci --config` does.
    CiCheck {
        /// The configuration's text.
        config: String,
    },
    /// Build the squashed image as a `Blob`.
    Build {
        /// First squashed layer.
        from: usize,
        /// Tags for the output; empty keeps the input's.
        tags: Vec<String>,
    },
}

/// A row of the file list of a layer ([`ShownNode::row`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowRef {
    /// The layer of the tree.
    pub layer: usize,
    /// The row's position in it.
    pub row: u32,
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    /// The worker's wasm is running and its handler installed (messages posted before this
    /// are lost, so the page waits for it).
    Ready,
    /// Long work advanced.
    Progress {
        /// What is being done.
        stage: String,
        /// Units done (bytes).
        done: f64,
        /// Units in all.
        total: f64,
    },
    /// The archive was read and the image analysed.
    Analyzed {
        /// Overview and layer table.
        summary: Box<ImageSummary>,
        /// Milliseconds the worker spent.
        millis: f64,
    },
    /// A window of the file list, answering a [`Request::Files`].
    Files(Box<FilesView>),
    /// Waste figures (dive-compatible and layerlens') and findings: after the layer table,
    /// and again after a deep scan.
    Waste {
        /// The report.
        waste: Box<WasteReport>,
        /// What squashing everything would save, if not sent with [`Event::Analyzed`].
        squash_all: Option<SquashFigures>,
    },
    /// A path's timeline.
    Timeline {
        /// The timeline (none if the path never existed).
        timeline: Option<Box<Timeline>>,
        /// The path asked for.
        path: String,
    },
    /// A squash plan.
    Planned {
        /// Its figures.
        figures: SquashFigures,
    },
    /// The squashed image, carried as a `Blob` with the message.
    Built {
        /// Suggested file name.
        name: String,
        /// Bytes.
        size: f64,
        /// New image ID.
        image_id: String,
        /// New layer's diff_id.
        diff_id: String,
        /// Milliseconds spent hashing and assembling.
        millis: f64,
        /// Parts of the download's `Blob` (new bytes and slices of the input).
        parts: u32,
    },
    /// An answer to a [`Request::See`].
    See(SeeEvent),
    /// An answer to a [`Request::Audit`].
    Audit(AuditEvent),
    /// An answer to a [`Request::Compare`].
    Compare(CompareEvent),
    /// An answer to a [`Request::Map`].
    Map(MapEvent),
    /// An answer to a [`Request::Tour`].
    Tour(TourEvent),
    /// The plan for the squash options just set.
    SquashOptions(SquashOptionsEvent),
    /// The `analyze --json` document, carried as a `Uint8Array` (the exact bytes the CLI
    /// prints, without its final newline).
    Exported {
        /// Suggested file name.
        name: String,
        /// Bytes.
        size: f64,
    },
    /// A `.dive-ci` evaluated.
    CiChecked {
        /// The verdict, or why the configuration could not be read.
        result: Result<CiChecked, String>,
    },
    /// How the layers of the file being opened are indexed (before [`Event::Analyzed`]).
    LayerWorkers(LayerWorkers),
    /// Where dive's tally was computed (before [`Event::Waste`]): in a layer worker beside
    /// the union, or after it in the analysis worker.
    Tallied {
        /// In a layer worker.
        beside: bool,
    },
    /// Something failed; the worker stays usable.
    Failed {
        /// What and where.
        failure: Failure,
    },
}

/// A `.dive-ci` evaluated on the image shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CiChecked {
    /// Per-rule results and the outcome, as `layerlens ci` computes them.
    pub verdict: Verdict,
    /// What the path rules found (`ci --json`'s `paths`).
    pub paths: PathReport,
    /// Notes on the configuration (keys dive ignores).
    pub notes: Vec<String>,
    /// Whether the deep scan's findings were used (`layerlens ci --deep`).
    pub deep: bool,
}

/// A failure as data: the message in plain words, and for errors of the core their kind
/// and where in the input they happened.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Failure {
    /// Plain-words message (with the file name and location).
    pub message: String,
    /// [`ErrorKind::name`](layerlens_core::ErrorKind::name) for errors of the core.
    pub kind: Option<String>,
    /// Layer position at fault.
    pub layer: Option<usize>,
    /// Archive member at fault.
    pub member: Option<String>,
    /// Entry path at fault (escaped for display).
    pub entry: Option<String>,
}

impl Failure {
    /// A core error, its message prefixed with `context` (the file name).
    pub fn of(context: &str, e: &layerlens_core::Error) -> Self {
        let at = e.location();
        Failure {
            message: format!("{context}: {e}"),
            kind: Some(e.kind().name().into()),
            layer: at.layer,
            member: at.member.clone(),
            entry: at
                .entry
                .as_deref()
                .map(layerlens_core::sanitize::display_bytes),
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure {
            message,
            ..Failure::default()
        }
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        String::from(message).into()
    }
}

impl From<layerlens_core::Error> for Failure {
    fn from(e: layerlens_core::Error) -> Self {
        let mut f = Failure::of("", &e);
        f.message = e.to_string();
        f
    }
}

/// Encodes a message with its carried object.
pub fn encode<T: Serialize>(msg: &T, carried: Option<&JsValue>) -> JsValue {
    let json =
        serde_json::to_string(msg).unwrap_or_else(|e| failed_json(&format!("cannot encode: {e}")));
    let arr = js_sys::Array::new();
    arr.push(&JsValue::from_str(&json));
    arr.push(carried.unwrap_or(&JsValue::UNDEFINED));
    arr.into()
}

/// An [`Event::Failed`] saying `message`, as JSON text.
fn failed_json(message: &str) -> String {
    let failed = Event::Failed {
        failure: Failure {
            message: message.into(),
            kind: None,
            layer: None,
            member: None,
            entry: None,
        },
    };
    // A struct of strings and options always serialises.
    serde_json::to_string(&failed).unwrap_or_default()
}

/// Decodes a message and its carried object.
pub fn decode<T: for<'de> Deserialize<'de>>(data: &JsValue) -> Result<(T, JsValue), String> {
    let arr: &js_sys::Array =
        wasm_bindgen::JsCast::dyn_ref(data).ok_or("message is not an array")?;
    let json = arr.get(0).as_string().ok_or("message has no JSON text")?;
    let msg = serde_json::from_str(&json).map_err(|e| format!("bad message: {e}"))?;
    Ok((msg, arr.get(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// Events go as JSON tagged with their `type` and come back equal.
    #[wasm_bindgen_test]
    fn events_read_back() {
        let events = [
            Event::Ready,
            Event::Progress {
                stage: "Indexing".into(),
                done: 1.0,
                total: 2.0,
            },
            Event::Tallied { beside: true },
        ];
        for event in events {
            let json = serde_json::to_string(&event).unwrap();
            assert!(json.starts_with("{\"type\":"), "{json}");
            assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
        }
    }

    /// What `encode` sends when a message cannot be encoded is a failure the page can read,
    /// whatever the message says.
    #[wasm_bindgen_test]
    fn an_encoding_failure_reads_as_a_failed_event() {
        let said = "cannot encode: \"quoted\" \\ and more";
        match serde_json::from_str::<Event>(&failed_json(said)).unwrap() {
            Event::Failed { failure } => assert_eq!(failure.message, said),
            other => panic!("{other:?}"),
        }
    }
}
