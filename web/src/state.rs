//! The page's state as a reducer. Large results (the layer summary, the file tree) are held in
//! `Rc`s, so an action copies only small fields and never the analysis.

use std::rc::Rc;

use layerlens_core::analysis::timeline::Timeline;
use layerlens_core::analysis::WasteReport;
use layerlens_core::view::{FileTree, ImageSummary, SquashFigures};
use yew::prelude::*;

use crate::protocol::{CiChecked, Failure};

/// Long work in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Busy {
    /// What the person asked for ("Analysing image.tar").
    pub what: String,
    /// Current stage, from the worker.
    pub stage: String,
    /// Units done and in all (bytes).
    pub done: f64,
    /// Units in all.
    pub total: f64,
    /// When it started (ms since the epoch).
    pub started: f64,
}

impl Busy {
    /// Fraction done, 0..=1.
    pub fn fraction(&self) -> f64 {
        if self.total > 0.0 {
            (self.done / self.total).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// A finished squash, ready to download.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    /// Object URL of the Blob.
    pub url: String,
    /// File name.
    pub name: String,
    /// Bytes.
    pub size: f64,
    /// New image ID.
    pub image_id: String,
    /// New layer's diff_id.
    pub diff_id: String,
    /// Build time in ms.
    pub millis: f64,
}

/// The path-history pane: closed, waiting for the worker, or showing its answer (`None`: no
/// layer has the path).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum WhyPane {
    /// Not shown.
    #[default]
    Closed,
    /// Asked for this path; the answer has not come.
    Asked(String),
    /// The answer for this path.
    Answered(String, Option<Rc<Timeline>>),
}

impl WhyPane {
    /// The path asked about, unless closed.
    pub fn path(&self) -> Option<&str> {
        match self {
            WhyPane::Closed => None,
            WhyPane::Asked(p) | WhyPane::Answered(p, _) => Some(p),
        }
    }
}

/// A layer's file tree, as the worker sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerTree {
    /// The layer it shows.
    pub layer: usize,
    /// Its rows.
    pub tree: Rc<FileTree>,
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppState {
    /// The worker answered and takes requests.
    pub worker_ready: bool,
    /// The file being shown.
    pub file_name: Option<String>,
    /// Long work in progress.
    pub busy: Option<Busy>,
    /// The last failure: its message in plain words, its kind and location.
    pub error: Option<Failure>,
    /// The analysed image.
    pub summary: Option<Rc<ImageSummary>>,
    /// What squashing everything saves.
    pub squash_all: Option<SquashFigures>,
    /// Worker time for the analysis (ms).
    pub analyze_millis: f64,
    /// Selected layer.
    pub selected: usize,
    /// The last file tree received, and the layer it shows.
    pub tree: Option<LayerTree>,
    /// First layer to squash.
    pub from: usize,
    /// Plan for `from` (when not 0).
    pub plan: Option<SquashFigures>,
    /// The built download.
    pub built: Option<Built>,
    /// Waste figures and findings.
    pub waste: Option<Rc<WasteReport>>,
    /// The path-history pane.
    pub why: WhyPane,
    /// A path to show in the file view (from a finding).
    pub focus: Option<String>,
    /// The last `.dive-ci` check (cleared when the figures change).
    pub ci: Option<Result<Rc<CiChecked>, String>>,
    /// The last analysis exported: its file name and size.
    pub exported: Option<(String, f64)>,
}

/// What can happen.
pub enum Action {
    /// The worker is ready.
    WorkerReady,
    /// The worker died (it is restarted); pending work is lost.
    WorkerLost(String),
    /// Long work started.
    Start(String),
    /// It advanced.
    Progress {
        stage: String,
        done: f64,
        total: f64,
        now: f64,
    },
    /// A new file is being opened: forget the old one.
    Opening(String, f64),
    /// Analysis finished.
    Analyzed {
        summary: Box<ImageSummary>,
        millis: f64,
    },
    /// New waste figures (after the layer table, or a deep scan), with the squash-all figures
    /// when they come with them.
    Waste(Box<WasteReport>, Option<SquashFigures>),
    /// Show a path's history (asked for).
    Why(String),
    /// Close the path history.
    CloseWhy,
    /// A path's history arrived.
    Timeline(String, Option<Box<Timeline>>),
    /// Show a path of a layer in the file view.
    Focus { layer: usize, path: String },
    /// A layer's tree arrived.
    Tree { layer: usize, tree: Rc<FileTree> },
    /// A plan arrived.
    Planned(SquashFigures),
    /// A build finished.
    Built(Built),
    /// Work failed.
    Failed(Failure),
    /// The built image cannot be saved (the input file changed or vanished): it is no longer
    /// offered.
    DownloadFailed(String),
    /// The person cancelled long work; an analysis in progress takes its file with it.
    Cancelled {
        /// The image was already shown (a build or deep scan was cancelled).
        keep_image: bool,
    },
    /// Select a layer.
    Select(usize),
    /// Choose the first layer to squash.
    SetFrom(usize),
    /// Dismiss the error.
    ClearError,
    /// Long work ended with an answer kept elsewhere (the see-inside panel's): the progress
    /// bar goes.
    Idle,
    /// A `.dive-ci` was evaluated.
    CiChecked(Result<CiChecked, String>),
    /// The analysis was exported (downloaded): name and size.
    Exported(String, f64),
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::WorkerReady => s.worker_ready = true,
            Action::WorkerLost(why) => {
                s.worker_ready = false;
                s.busy = None;
                s.error = Some(why.into());
            }
            Action::Start(what) => {
                s.busy = Some(Busy {
                    what,
                    stage: "Starting".into(),
                    done: 0.0,
                    total: 0.0,
                    started: js_now(),
                });
                s.error = None;
            }
            Action::Progress {
                stage,
                done,
                total,
                now,
            } => {
                if let Some(b) = s.busy.as_mut() {
                    b.stage = stage;
                    b.done = done;
                    b.total = total;
                } else {
                    s.busy = Some(Busy {
                        what: "Working".into(),
                        stage,
                        done,
                        total,
                        started: now,
                    });
                }
            }
            Action::Opening(name, now) => {
                s = AppState {
                    worker_ready: s.worker_ready,
                    ..Default::default()
                };
                s.busy = Some(Busy {
                    what: format!("Analysing {name}"),
                    stage: "Starting".into(),
                    done: 0.0,
                    total: 0.0,
                    started: now,
                });
                s.file_name = Some(name);
            }
            Action::Analyzed { summary, millis } => {
                s.busy = None;
                // The waste report and the squash figures follow (Action::Waste).
                s.waste = None;
                s.selected = summary.layers.len().saturating_sub(1);
                s.summary = Some(Rc::from(summary));
                s.squash_all = None;
                s.analyze_millis = millis;
                s.from = 0;
                s.plan = None;
            }
            Action::Tree { layer, tree } => {
                s.tree = Some(LayerTree { layer, tree });
            }
            Action::Planned(f) => s.plan = Some(f),
            Action::Waste(w, squash_all) => {
                s.busy = None;
                if squash_all.is_some() {
                    s.squash_all = squash_all;
                }
                s.waste = Some(Rc::from(w));
                // A verdict on the previous figures no longer holds.
                s.ci = None;
            }
            Action::Why(path) => s.why = WhyPane::Asked(path),
            Action::CloseWhy => s.why = WhyPane::Closed,
            Action::Timeline(path, t) => {
                if s.why.path() == Some(path.as_str()) {
                    s.why = WhyPane::Answered(path, t.map(Rc::from));
                }
            }
            Action::Focus { layer, path } => {
                if s.summary.as_ref().is_some_and(|x| layer < x.layers.len()) {
                    s.selected = layer;
                }
                s.focus = Some(path);
            }
            Action::Built(b) => {
                s.busy = None;
                s.built = Some(b);
            }
            Action::Failed(failure) => {
                s.busy = None;
                s.error = Some(failure);
            }
            Action::DownloadFailed(message) => {
                s.busy = None;
                s.built = None;
                s.error = Some(message.into());
            }
            Action::Idle => s.busy = None,
            Action::Cancelled { keep_image } => {
                s.busy = None;
                if !keep_image {
                    s = AppState {
                        worker_ready: s.worker_ready,
                        ..Default::default()
                    };
                }
            }
            Action::Select(i) => {
                if s.summary.as_ref().is_some_and(|x| i < x.layers.len()) {
                    s.selected = i;
                }
            }
            Action::SetFrom(i) => {
                s.from = i;
                s.plan = None;
            }
            Action::ClearError => s.error = None,
            Action::CiChecked(r) => s.ci = Some(r.map(Rc::new)),
            Action::Exported(name, size) => s.exported = Some((name, size)),
        }
        Rc::new(s)
    }
}

/// Milliseconds since the epoch (the page's clock; the core has none).
pub fn js_now() -> f64 {
    js_sys::Date::now()
}

#[cfg(test)]
mod tests {
    use super::*;
    use layerlens_core::fs::ChangeCounts as Counts;
    use layerlens_core::view::LayerSummary;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn summary(layers: usize) -> Box<ImageSummary> {
        let layer = |position| LayerSummary {
            position,
            diff_id: String::new(),
            blob_digest: None,
            created_by: String::new(),
            created: None,
            comment: None,
            compression: "tar".into(),
            blob_size: 10,
            tar_size: 10,
            content_size: 0,
            entries: 1,
            counts: Counts::default(),
            hidden_size: 0,
            superseded_size: 0,
        };
        Box::new(ImageSummary {
            images: Vec::new(),
            index: 0,
            tags: Vec::new(),
            id: "sha256:x".into(),
            platform: "linux/amd64".into(),
            format: "test".into(),
            created: None,
            size: 10,
            tar_size: 10,
            final_entries: 1,
            final_size: 0,
            layers: (0..layers).map(layer).collect(),
        })
    }

    fn figures() -> SquashFigures {
        SquashFigures {
            from: 0,
            layer_size: 0,
            archive_size: 0,
            input_archive_size: 0,
            input_layers_size: 0,
            entries: 0,
            whiteouts: 0,
            deleted: 0,
            overwritten: 0,
            opaque: 0,
            whiteout_markers: 0,
            overhead: 0,
            total: 0,
        }
    }

    fn waste() -> Box<WasteReport> {
        use layerlens_core::analysis::reclaim::Reclaim;
        use layerlens_core::analysis::Figures;
        use layerlens_core::dive::DiveReport;
        Box::new(WasteReport {
            dive: DiveReport {
                efficiency: 1.0,
                wasted_bytes: 0,
                user_wasted_ratio: f64::NAN,
                size_bytes: 0,
                user_size_bytes: 0,
                layer_sizes: Vec::new(),
                inefficient_files: Vec::new(),
                abandoned_layers: Vec::new(),
            },
            figures: Figures {
                shipped_bytes: 0,
                dead_bytes: 0,
                efficiency: 1.0,
                user_bytes: 0,
                user_dead_bytes: 0,
                user_wasted_ratio: None,
            },
            reclaim: Reclaim {
                from: 0,
                total: 0,
                input_size: 0,
                deleted: 0,
                overwritten: 0,
                metadata_only: 0,
                identical: 0,
                opaque: 0,
                overhead: 0,
                deep: false,
            },
            findings: Vec::new(),
            deep: false,
        })
    }

    fn apply(s: Rc<AppState>, a: Action) -> Rc<AppState> {
        s.reduce(a)
    }

    #[wasm_bindgen_test]
    fn opening_a_file_forgets_the_previous_one_and_shows_progress() {
        let mut s = Rc::new(AppState::default());
        s = apply(s, Action::WorkerReady);
        s = apply(s, Action::Opening("a.tar".into(), 0.0));
        s = apply(
            s,
            Action::Analyzed {
                summary: summary(3),
                millis: 1.0,
            },
        );
        s = apply(s, Action::SetFrom(2));
        s = apply(s, Action::Opening("b.tar".into(), 5.0));
        assert!(s.worker_ready);
        assert!(s.summary.is_none());
        assert_eq!(s.from, 0);
        assert_eq!(s.file_name.as_deref(), Some("b.tar"));
        assert_eq!(
            s.busy.as_ref().map(|b| b.what.as_str()),
            Some("Analysing b.tar")
        );
    }

    #[wasm_bindgen_test]
    fn squash_figures_follow_the_table_with_the_waste_and_survive_a_deep_scan() {
        let mut s = Rc::new(AppState::default());
        s = apply(s, Action::Opening("a.tar".into(), 0.0));
        s = apply(
            s,
            Action::Analyzed {
                summary: summary(2),
                millis: 1.0,
            },
        );
        assert!(s.summary.is_some() && s.squash_all.is_none());
        s = apply(s, Action::Waste(waste(), Some(figures())));
        assert_eq!(s.squash_all, Some(figures()));
        assert!(s.waste.is_some());
        // A deep scan's report comes without them: the figures stay.
        s = apply(s, Action::Waste(waste(), None));
        assert_eq!(s.squash_all, Some(figures()));
    }

    #[wasm_bindgen_test]
    fn analysis_selects_the_top_layer_and_ends_the_progress() {
        let mut s = Rc::new(AppState::default());
        s = apply(s, Action::Opening("a.tar".into(), 0.0));
        s = apply(
            s,
            Action::Progress {
                stage: "Indexing layer 1".into(),
                done: 5.0,
                total: 10.0,
                now: 1.0,
            },
        );
        assert_eq!(s.busy.as_ref().map(Busy::fraction), Some(0.5));
        s = apply(
            s,
            Action::Analyzed {
                summary: summary(4),
                millis: 1.0,
            },
        );
        assert!(s.busy.is_none());
        assert_eq!(s.selected, 3);
        s = apply(s, Action::Select(9));
        assert_eq!(s.selected, 3, "out-of-range selection is ignored");
        s = apply(s, Action::Select(1));
        assert_eq!(s.selected, 1);
    }

    #[wasm_bindgen_test]
    fn a_report_with_nan_survives_the_trip_between_threads() {
        let json = serde_json::to_string(&*waste()).unwrap();
        let back: WasteReport = serde_json::from_str(&json).unwrap();
        assert!(back.dive.user_wasted_ratio.is_nan());
    }

    #[wasm_bindgen_test]
    fn a_finding_focuses_its_layer_and_path() {
        let mut s = Rc::new(AppState::default());
        s = apply(
            s,
            Action::Analyzed {
                summary: summary(3),
                millis: 1.0,
            },
        );
        s = apply(
            s,
            Action::Focus {
                layer: 1,
                path: "etc/passwd".into(),
            },
        );
        assert_eq!(s.selected, 1);
        assert_eq!(s.focus.as_deref(), Some("etc/passwd"));
        s = apply(s, Action::Why("a".into()));
        s = apply(s, Action::Timeline("b".into(), None));
        assert_eq!(
            s.why,
            WhyPane::Asked("a".into()),
            "a stale answer does not replace the question"
        );
    }

    #[wasm_bindgen_test]
    fn a_failure_keeps_the_app_usable() {
        let mut s = Rc::new(AppState::default());
        s = apply(s, Action::Opening("bad.tar".into(), 0.0));
        s = apply(s, Action::Failed("bad.tar: not a tar archive".into()));
        assert!(s.busy.is_none());
        assert!(s.error.is_some());
        s = apply(s, Action::Opening("good.tar".into(), 1.0));
        s = apply(
            s,
            Action::Analyzed {
                summary: summary(1),
                millis: 1.0,
            },
        );
        s = apply(s, Action::ClearError);
        assert!(s.error.is_none());
        assert!(s.summary.is_some());
    }

    #[wasm_bindgen_test]
    fn choosing_where_to_squash_from_drops_the_old_plan() {
        let mut s = Rc::new(AppState::default());
        s = apply(
            s,
            Action::Analyzed {
                summary: summary(3),
                millis: 1.0,
            },
        );
        s = apply(s, Action::SetFrom(1));
        s = apply(s, Action::Planned(figures()));
        assert!(s.plan.is_some());
        s = apply(s, Action::SetFrom(2));
        assert!(s.plan.is_none());
        assert_eq!(s.from, 2);
    }

    #[wasm_bindgen_test]
    fn a_download_that_cannot_complete_is_withdrawn_and_explained() {
        let mut s = Rc::new(AppState::default());
        s = apply(
            s,
            Action::Built(Built {
                url: "blob:x".into(),
                name: "a-squashed.tar".into(),
                size: 10.0,
                image_id: "sha256:1".into(),
                diff_id: "sha256:2".into(),
                millis: 1.0,
            }),
        );
        assert!(s.built.is_some());
        s = apply(s, Action::DownloadFailed("a.tar changed".into()));
        assert!(s.built.is_none(), "the download is no longer offered");
        assert_eq!(
            s.error.as_ref().map(|f| f.message.as_str()),
            Some("a.tar changed")
        );
        assert!(s.busy.is_none());
    }
}
