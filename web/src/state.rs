//! The page's state as a reducer. Large results (the layer summary, the waste report) are held
//! in `Rc`s, so an action copies only small fields and never the analysis.

use std::rc::Rc;

use layerlens_core::analysis::timeline::Timeline;
use layerlens_core::analysis::WasteReport;
use layerlens_core::view::{ImageSummary, SquashFigures};
use yew::prelude::*;

use crate::protocol::{CiChecked, Failure, LayerWorkers};

/// Long work in progress: what it is and when it began. How far it has come is not state of
/// the page: the progress bar follows the worker's reports alone
/// ([`crate::hooks::use_progress`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Busy {
    /// What the person asked for ("Analysing image.tar").
    pub what: String,
    /// When it started (ms since the epoch).
    pub started: f64,
}

impl Busy {
    /// Work that just started.
    pub fn new(what: String, now: f64) -> Self {
        Busy { what, started: now }
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
    /// Parts of the download's Blob.
    pub parts: u32,
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

/// Whether the worker takes requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkerStatus {
    /// Starting (or restarting after a crash).
    #[default]
    Starting,
    /// Its handler is installed.
    Ready,
}

/// The waste report: it follows the layer table.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Waste {
    /// Being computed.
    #[default]
    Pending,
    /// Computed, with what squashing everything saves.
    Ready {
        /// The report (replaced after a deep scan).
        report: Rc<WasteReport>,
        /// The full squash's figures.
        squash_all: SquashFigures,
    },
}

/// Something a cross-link or an action moves the focus to (scrolled into view first). The
/// sequence number makes a second jump to the same target a new request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A layer's row in the layer table.
    Layer(usize),
    /// The file tree (its active row).
    Files,
    /// The path-history pane.
    History,
    /// The squash panel's first-layer choice.
    SquashFrom,
    /// The error banner.
    Error,
    /// The progress of long work.
    Progress,
    /// The download link of a build.
    Built,
}

/// A request to move the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Jump {
    /// Where to.
    pub target: Target,
    /// Increases with each jump.
    pub seq: u32,
}

/// A path to show in the file view (from a finding); `seq` tells a repeat from the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathFocus {
    /// The path, as displayed.
    pub path: String,
    /// Increases with each request.
    pub seq: u32,
}

/// An analysed image on screen and what was asked about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// The file it came from.
    pub file_name: String,
    /// The analysed image.
    pub summary: Rc<ImageSummary>,
    /// Worker time for the analysis (ms).
    pub millis: f64,
    /// Selected layer.
    pub selected: usize,
    /// Waste figures and findings.
    pub waste: Waste,
    /// First layer to squash.
    pub from: usize,
    /// Plan for `from` when it is not 0 (0 uses the waste report's full-squash figures).
    pub plan: Option<SquashFigures>,
    /// Long work on this image (a deep scan, a build).
    pub work: Option<Busy>,
    /// The built download.
    pub built: Option<Built>,
    /// The path-history pane.
    pub why: WhyPane,
    /// A path to show in the file view (from a finding).
    pub focus: Option<PathFocus>,
    /// The last `.dive-ci` check (cleared when the figures change).
    pub ci: Option<Result<Rc<CiChecked>, String>>,
    /// The last analysis exported: its file name and size.
    pub exported: Option<(String, f64)>,
    /// The worker's answer to the squash options, once any were set.
    pub squash_options: Option<crate::protocol::SquashOptionsEvent>,
    /// The squash options last sent, so the form shows them again when it is re-created
    /// (the panel is rebuilt around a build).
    pub squash_request: Option<crate::protocol::SquashOptionsRequest>,
}

impl Shown {
    fn new(file_name: String, summary: Box<ImageSummary>, millis: f64) -> Self {
        Shown {
            file_name,
            selected: summary.layers.len().saturating_sub(1),
            summary: Rc::from(summary),
            millis,
            waste: Waste::Pending,
            from: 0,
            plan: None,
            work: None,
            built: None,
            why: WhyPane::Closed,
            focus: None,
            ci: None,
            exported: None,
            squash_options: None,
            squash_request: None,
        }
    }

    /// The squash figures for the chosen first layer, once known.
    pub fn figures(&self) -> Option<SquashFigures> {
        match (&self.waste, self.from) {
            // Options change the plan: then only the worker's plan for them holds.
            (_, _) if self.squash_options.is_some() => self.plan,
            (Waste::Ready { squash_all, .. }, 0) => Some(*squash_all),
            (_, 0) => None,
            _ => self.plan,
        }
    }

    /// What squashing every layer saves, once computed.
    pub fn squash_all(&self) -> Option<SquashFigures> {
        match &self.waste {
            Waste::Ready { squash_all, .. } => Some(*squash_all),
            Waste::Pending => None,
        }
    }

    /// The waste report, once computed.
    pub fn report(&self) -> Option<&Rc<WasteReport>> {
        match &self.waste {
            Waste::Ready { report, .. } => Some(report),
            Waste::Pending => None,
        }
    }
}

/// What the page is doing with images: one phase at a time, so "loading" and "shown" can
/// never both be claimed by separate fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Phase {
    /// Nothing opened yet (or the last open failed or was cancelled with nothing to keep).
    #[default]
    Empty,
    /// Analysing a file; the image shown before, if any, comes back if this one fails.
    Opening {
        /// The file being analysed.
        file_name: String,
        /// Its progress.
        busy: Busy,
        /// The image shown before.
        previous: Option<Box<Shown>>,
    },
    /// An image is shown.
    Shown(Box<Shown>),
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppState {
    /// The worker.
    pub worker: WorkerStatus,
    /// What is opened.
    pub phase: Phase,
    /// The last failure: its message in plain words, its kind and location.
    pub error: Option<Failure>,
    /// Where the focus goes next.
    pub jump: Option<Jump>,
    /// How the layers of the last file opened were indexed (shown as data attributes).
    pub layer_workers: Option<LayerWorkers>,
}

impl AppState {
    /// The image shown, if any.
    pub fn shown(&self) -> Option<&Shown> {
        match &self.phase {
            Phase::Shown(s) => Some(s),
            _ => None,
        }
    }

    fn shown_mut(&mut self) -> Option<&mut Shown> {
        match &mut self.phase {
            Phase::Shown(s) => Some(s),
            _ => None,
        }
    }

    /// Long work in progress (an analysis, a deep scan, a build).
    pub fn busy(&self) -> Option<&Busy> {
        match &self.phase {
            Phase::Opening { busy, .. } => Some(busy),
            Phase::Shown(s) => s.work.as_ref(),
            Phase::Empty => None,
        }
    }

    fn busy_mut(&mut self) -> Option<&mut Option<Busy>> {
        self.shown_mut().map(|s| &mut s.work)
    }

    fn jump_to(&mut self, target: Target) {
        let seq = self.jump.map_or(1, |j| j.seq.wrapping_add(1));
        self.jump = Some(Jump { target, seq });
    }
}

/// What can happen.
pub enum Action {
    /// The worker is ready.
    WorkerReady,
    /// The layers of the file being opened are indexed this way.
    LayerWorkers(LayerWorkers),
    /// dive's tally was computed beside the union (or not).
    Tallied(bool),
    /// The worker died (it is restarted); pending work is lost.
    WorkerLost(String),
    /// Long work on the shown image started.
    Start(String),
    /// It advanced (the figures went to the progress bar; this names long work the page did
    /// not start, such as the worker's own follow-up).
    Progress { now: f64 },
    /// A new file is being opened; `keep` keeps the image shown to come back to if it fails.
    Opening { name: String, now: f64, keep: bool },
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
    /// A plan arrived.
    Planned(SquashFigures),
    /// A build finished.
    Built(Built),
    /// The worker's answer to squash options.
    SquashOptions(crate::protocol::SquashOptionsEvent),
    /// Squash options sent to the worker.
    SquashOptionsSent(crate::protocol::SquashOptionsRequest),
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
    /// Select a layer and move the focus to its row (a "layer N" link).
    GoToLayer(usize),
    /// Choose the first layer to squash.
    SetFrom(usize),
    /// Choose the first layer to squash and move the focus there ("squash from here").
    SquashFrom(usize),
    /// Move the focus.
    JumpTo(Target),
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
        // Progress of work already shown (or of nothing shown) changes nothing here: the same
        // state, so no re-render of the page.
        if matches!(action, Action::Progress { .. })
            && (self.busy().is_some() || self.shown().is_none())
        {
            return self;
        }
        let mut s = (*self).clone();
        match action {
            Action::WorkerReady => s.worker = WorkerStatus::Ready,
            Action::LayerWorkers(l) => s.layer_workers = Some(l),
            Action::Tallied(beside) => {
                if let Some(l) = s.layer_workers.as_mut() {
                    l.tally_beside = Some(beside);
                }
            }
            Action::WorkerLost(why) => {
                s.worker = WorkerStatus::Starting;
                s.phase = match s.phase {
                    Phase::Opening { previous, .. } => previous.map_or(Phase::Empty, Phase::Shown),
                    Phase::Shown(mut shown) => {
                        shown.work = None;
                        Phase::Shown(shown)
                    }
                    Phase::Empty => Phase::Empty,
                };
                s.error = Some(why.into());
                s.jump_to(Target::Error);
            }
            Action::Start(what) => {
                if let Some(work) = s.busy_mut() {
                    *work = Some(Busy::new(what, js_now()));
                    s.error = None;
                    s.jump_to(Target::Progress);
                }
            }
            Action::Progress { now } => {
                if let Phase::Shown(shown) = &mut s.phase {
                    shown
                        .work
                        .get_or_insert_with(|| Busy::new("Working".into(), now));
                }
            }
            Action::Opening { name, now, keep } => {
                let previous = match std::mem::take(&mut s.phase) {
                    Phase::Shown(mut shown) if keep => {
                        shown.work = None;
                        Some(shown)
                    }
                    Phase::Opening { previous, .. } if keep => previous,
                    _ => None,
                };
                s.layer_workers = None;
                s.phase = Phase::Opening {
                    busy: Busy::new(format!("Analysing {name}"), now),
                    file_name: name,
                    previous,
                };
                s.error = None;
            }
            Action::Analyzed { summary, millis } => {
                let file_name = match &s.phase {
                    Phase::Opening { file_name, .. } => file_name.clone(),
                    Phase::Shown(shown) => shown.file_name.clone(),
                    Phase::Empty => String::new(),
                };
                s.phase = Phase::Shown(Box::new(Shown::new(file_name, summary, millis)));
            }
            Action::Planned(f) => {
                if let Some(shown) = s.shown_mut() {
                    if f.from == shown.from {
                        shown.plan = Some(f);
                    }
                }
            }
            Action::Waste(w, squash_all) => {
                if let Some(shown) = s.shown_mut() {
                    shown.work = None;
                    let squash_all = match (&shown.waste, squash_all) {
                        (_, Some(f)) => Some(f),
                        (Waste::Ready { squash_all, .. }, None) => Some(*squash_all),
                        (Waste::Pending, None) => None,
                    };
                    if let Some(squash_all) = squash_all {
                        shown.waste = Waste::Ready {
                            report: Rc::from(w),
                            squash_all,
                        };
                        // A verdict on the previous figures no longer holds.
                        shown.ci = None;
                    }
                }
            }
            Action::Why(path) => {
                if let Some(shown) = s.shown_mut() {
                    shown.why = WhyPane::Asked(path);
                    s.jump_to(Target::History);
                }
            }
            Action::CloseWhy => {
                if let Some(shown) = s.shown_mut() {
                    shown.why = WhyPane::Closed;
                    s.jump_to(Target::Files);
                }
            }
            Action::Timeline(path, t) => {
                if let Some(shown) = s.shown_mut() {
                    if shown.why.path() == Some(path.as_str()) {
                        shown.why = WhyPane::Answered(path, t.map(Rc::from));
                    }
                }
            }
            Action::Focus { layer, path } => {
                if let Some(shown) = s.shown_mut() {
                    if layer < shown.summary.layers.len() {
                        shown.selected = layer;
                    }
                    let seq = shown.focus.as_ref().map_or(1, |f| f.seq.wrapping_add(1));
                    shown.focus = Some(PathFocus { path, seq });
                }
            }
            Action::SquashOptionsSent(r) => {
                if let Some(shown) = s.shown_mut() {
                    shown.squash_request = Some(r);
                }
            }
            Action::SquashOptions(r) => {
                if let Some(shown) = s.shown_mut() {
                    shown.squash_options = Some(r);
                }
            }
            Action::Built(b) => {
                if let Some(shown) = s.shown_mut() {
                    shown.work = None;
                    shown.built = Some(b);
                    s.jump_to(Target::Built);
                }
            }
            Action::Failed(failure) => {
                s.phase = match s.phase {
                    // The new file failed: the image shown before stays.
                    Phase::Opening { previous, .. } => previous.map_or(Phase::Empty, Phase::Shown),
                    Phase::Shown(mut shown) => {
                        shown.work = None;
                        Phase::Shown(shown)
                    }
                    Phase::Empty => Phase::Empty,
                };
                s.error = Some(failure);
                s.jump_to(Target::Error);
            }
            Action::DownloadFailed(message) => {
                if let Some(shown) = s.shown_mut() {
                    shown.work = None;
                    shown.built = None;
                }
                s.error = Some(message.into());
                s.jump_to(Target::Error);
            }
            Action::Cancelled { keep_image } => {
                s.phase = match s.phase {
                    Phase::Shown(mut shown) if keep_image => {
                        shown.work = None;
                        Phase::Shown(shown)
                    }
                    _ => Phase::Empty,
                };
            }
            Action::Select(i) => {
                if let Some(shown) = s.shown_mut() {
                    if i < shown.summary.layers.len() {
                        shown.selected = i;
                    }
                }
            }
            Action::GoToLayer(i) => {
                if let Some(shown) = s.shown_mut() {
                    if i < shown.summary.layers.len() {
                        shown.selected = i;
                        s.jump_to(Target::Layer(i));
                    }
                }
            }
            Action::SetFrom(i) => {
                if let Some(shown) = s.shown_mut() {
                    shown.from = i;
                    shown.plan = None;
                }
            }
            Action::SquashFrom(i) => {
                if let Some(shown) = s.shown_mut() {
                    shown.from = i;
                    shown.plan = None;
                    s.jump_to(Target::SquashFrom);
                }
            }
            Action::JumpTo(t) => s.jump_to(t),
            Action::ClearError => s.error = None,
            Action::Idle => {
                if let Some(shown) = s.shown_mut() {
                    shown.work = None;
                }
            }
            Action::CiChecked(r) => {
                if let Some(shown) = s.shown_mut() {
                    shown.ci = Some(r.map(Rc::new));
                }
            }
            Action::Exported(name, size) => {
                if let Some(shown) = s.shown_mut() {
                    shown.exported = Some((name, size));
                }
            }
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
            metadata_only: 0,
            identical: 0,
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

    fn opening(name: &str, now: f64) -> Action {
        Action::Opening {
            name: name.into(),
            now,
            keep: true,
        }
    }

    fn shown(s: &AppState) -> &Shown {
        s.shown().expect("an image is shown")
    }

    #[wasm_bindgen_test]
    fn opening_a_file_hides_the_previous_one_and_shows_progress() {
        let mut s = Rc::new(AppState::default());
        s = apply(s, Action::WorkerReady);
        s = apply(s, opening("a.tar", 0.0));
        s = apply(
            s,
            Action::Analyzed {
                summary: summary(3),
                millis: 1.0,
            },
        );
        s = apply(s, Action::SetFrom(2));
        s = apply(s, opening("b.tar", 5.0));
        assert_eq!(s.worker, WorkerStatus::Ready);
        assert!(s.shown().is_none());
        assert_eq!(s.busy().map(|b| b.what.as_str()), Some("Analysing b.tar"));
        s = apply(
            s,
            Action::Analyzed {
                summary: summary(2),
                millis: 1.0,
            },
        );
        assert_eq!(shown(&s).from, 0);
        assert_eq!(shown(&s).file_name, "b.tar");
    }

    #[wasm_bindgen_test]
    fn a_broken_file_keeps_the_image_already_shown() {
        let mut s = Rc::new(AppState::default());
        s = apply(s, opening("good.tar", 0.0));
        s = apply(
            s,
            Action::Analyzed {
                summary: summary(3),
                millis: 1.0,
            },
        );
        s = apply(s, Action::Select(1));
        s = apply(s, opening("bad.tar", 1.0));
        s = apply(s, Action::Failed("bad.tar: not a tar archive".into()));
        assert_eq!(shown(&s).file_name, "good.tar");
        assert_eq!(shown(&s).selected, 1);
        assert!(s.error.is_some() && s.busy().is_none());
        assert_eq!(s.jump.map(|j| j.target), Some(Target::Error));
        // Without an image to keep (the worker was replaced), nothing comes back.
        s = apply(
            s,
            Action::Opening {
                name: "bad.tar".into(),
                now: 2.0,
                keep: false,
            },
        );
        s = apply(s, Action::Failed("bad.tar: not a tar archive".into()));
        assert_eq!(s.phase, Phase::Empty);
    }

    #[wasm_bindgen_test]
    fn squash_figures_follow_the_table_with_the_waste_and_survive_a_deep_scan() {
        let mut s = Rc::new(AppState::default());
        s = apply(s, opening("a.tar", 0.0));
        s = apply(
            s,
            Action::Analyzed {
                summary: summary(2),
                millis: 1.0,
            },
        );
        assert!(shown(&s).figures().is_none());
        s = apply(s, Action::Waste(waste(), Some(figures())));
        assert_eq!(shown(&s).figures(), Some(figures()));
        assert!(shown(&s).report().is_some());
        // A deep scan's report comes without them: the figures stay.
        s = apply(s, Action::Start("Deep scan".into()));
        assert!(s.busy().is_some());
        s = apply(s, Action::Waste(waste(), None));
        assert_eq!(shown(&s).figures(), Some(figures()));
        assert!(s.busy().is_none());
    }

    #[wasm_bindgen_test]
    fn analysis_selects_the_top_layer_and_ends_the_progress() {
        let mut s = Rc::new(AppState::default());
        s = apply(s, opening("a.tar", 0.0));
        s = apply(s, Action::Progress { now: 1.0 });
        assert!(s.busy().is_some());
        // Progress of work under way is the same state: the page does not re-render for it.
        let before = s.clone();
        s = apply(s, Action::Progress { now: 2.0 });
        assert!(Rc::ptr_eq(&before, &s));
        s = apply(
            s,
            Action::Analyzed {
                summary: summary(4),
                millis: 1.0,
            },
        );
        assert!(s.busy().is_none());
        assert_eq!(shown(&s).selected, 3);
        s = apply(s, Action::Select(9));
        assert_eq!(shown(&s).selected, 3, "out-of-range selection is ignored");
        s = apply(s, Action::GoToLayer(1));
        assert_eq!(shown(&s).selected, 1);
        assert_eq!(s.jump.map(|j| j.target), Some(Target::Layer(1)));
    }

    #[wasm_bindgen_test]
    fn a_report_with_nan_survives_the_trip_between_threads() {
        let json = serde_json::to_string(&*waste()).unwrap();
        let back: WasteReport = serde_json::from_str(&json).unwrap();
        assert!(back.dive.user_wasted_ratio.is_nan());
    }

    #[wasm_bindgen_test]
    fn a_finding_focuses_its_layer_and_path_again_and_again() {
        let mut s = Rc::new(AppState::default());
        s = apply(
            s,
            Action::Analyzed {
                summary: summary(3),
                millis: 1.0,
            },
        );
        let focus = |layer| Action::Focus {
            layer,
            path: "etc/passwd".into(),
        };
        s = apply(s, focus(1));
        assert_eq!(shown(&s).selected, 1);
        let first = shown(&s).focus.clone().unwrap();
        assert_eq!(first.path, "etc/passwd");
        // The same path again is a new request (the filter may have been cleared since).
        s = apply(s, focus(1));
        assert_ne!(shown(&s).focus.as_ref().unwrap().seq, first.seq);
        s = apply(s, Action::Why("a".into()));
        s = apply(s, Action::Timeline("b".into(), None));
        assert_eq!(
            shown(&s).why,
            WhyPane::Asked("a".into()),
            "a stale answer does not replace the question"
        );
        s = apply(s, Action::CloseWhy);
        assert_eq!(s.jump.map(|j| j.target), Some(Target::Files));
    }

    #[wasm_bindgen_test]
    fn a_failure_keeps_the_app_usable() {
        let mut s = Rc::new(AppState::default());
        s = apply(s, opening("bad.tar", 0.0));
        s = apply(s, Action::Failed("bad.tar: not a tar archive".into()));
        assert!(s.busy().is_none());
        assert!(s.error.is_some());
        s = apply(s, opening("good.tar", 1.0));
        assert!(s.error.is_none(), "a new file clears the old error");
        s = apply(
            s,
            Action::Analyzed {
                summary: summary(1),
                millis: 1.0,
            },
        );
        s = apply(s, Action::ClearError);
        assert!(s.error.is_none());
        assert!(s.shown().is_some());
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
        s = apply(
            s,
            Action::Planned(SquashFigures {
                from: 1,
                ..figures()
            }),
        );
        assert!(shown(&s).figures().is_some());
        s = apply(s, Action::SquashFrom(2));
        assert!(shown(&s).figures().is_none());
        assert_eq!(shown(&s).from, 2);
        assert_eq!(s.jump.map(|j| j.target), Some(Target::SquashFrom));
        // A late plan for another first layer is not shown as this one's.
        s = apply(
            s,
            Action::Planned(SquashFigures {
                from: 1,
                ..figures()
            }),
        );
        assert!(shown(&s).figures().is_none());
    }

    #[wasm_bindgen_test]
    fn a_download_that_cannot_complete_is_withdrawn_and_explained() {
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
            Action::Built(Built {
                url: "blob:x".into(),
                name: "a-squashed.tar".into(),
                size: 10.0,
                image_id: "sha256:1".into(),
                diff_id: "sha256:2".into(),
                millis: 1.0,
                parts: 3,
            }),
        );
        assert!(shown(&s).built.is_some());
        s = apply(s, Action::DownloadFailed("a.tar changed".into()));
        assert!(
            shown(&s).built.is_none(),
            "the download is no longer offered"
        );
        assert_eq!(
            s.error.as_ref().map(|f| f.message.as_str()),
            Some("a.tar changed")
        );
        assert!(s.busy().is_none());
    }
}
