//! "How layers work": the guided tour ([`tour_box`]), a layer exactly as stored
//! ([`raw_table`]) and the digests that name the layers and the image ([`digests`]). The
//! panel keeps its own state and talks to the worker through [`ImageWorker::tour`]; every
//! number it shows comes from the core, as `layerlens tour`, `layer` and `digests` print it.

mod digests;
mod raw_table;
mod tour_box;

use std::rc::Rc;

use layerlens_core::teach::{Digests, RawLayer, Tour};
use yew::prelude::*;

use crate::hooks::use_image_worker::ImageWorker;
use crate::protocol::{Recomputed, TourEvent, TourRequest};
use digests::DigestsView;
use raw_table::RawTable;
use tour_box::{stored_step, TourBox};

/// A verification: every layer's recomputed digests (or the first mismatch in words), and
/// the config's recomputed digest.
pub type Verified = (Rc<Result<Vec<Recomputed>, String>>, String);

/// What the panel holds for the image shown.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TeachState {
    tour: Option<Rc<Tour>>,
    digests: Option<Rc<Digests>>,
    verified: Option<Verified>,
    raw: Option<Rc<RawLayer>>,
    /// The layer asked for and not yet answered.
    raw_asked: Option<usize>,
    /// The tour's step while it runs.
    step: Option<usize>,
}

/// Changes to [`TeachState`].
pub enum TeachAction {
    /// A new image: start over.
    Reset,
    /// The worker answered.
    Answer(TourEvent),
    /// A layer's members were asked for.
    AskedRaw(usize),
    /// The tour moved to this step (`None`: left).
    Step(Option<usize>),
}

impl Reducible for TeachState {
    type Action = TeachAction;
    fn reduce(self: Rc<Self>, action: TeachAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            TeachAction::Reset => {
                s = TeachState {
                    step: s.step,
                    ..TeachState::default()
                }
            }
            TeachAction::Answer(event) => match event {
                TourEvent::Steps { tour } => s.tour = Some(Rc::from(tour)),
                TourEvent::Digests { digests } => s.digests = Some(Rc::from(digests)),
                TourEvent::Verified { result, image_id } => {
                    s.verified = Some((Rc::new(result), image_id))
                }
                TourEvent::Layer { raw } => {
                    if s.raw_asked == Some(raw.layer) {
                        s.raw_asked = None;
                    }
                    s.raw = Some(Rc::from(raw));
                }
            },
            TeachAction::AskedRaw(layer) => s.raw_asked = Some(layer),
            TeachAction::Step(step) => s.step = step,
        }
        Rc::new(s)
    }
}

/// Props of [`TeachPanel`].
#[derive(Properties, PartialEq)]
pub struct TeachPanelProps {
    /// The worker.
    pub worker: ImageWorker,
    /// The image shown (its ID): a change starts over.
    pub image: AttrValue,
    /// Layers in the image.
    pub layers: usize,
    /// The selected layer.
    pub selected: usize,
    /// Select a layer.
    pub onselect: Callback<usize>,
    /// Show a path's history at a layer (a marker's removed path, a tour step's file).
    pub onpath: Callback<(usize, String)>,
}

/// The teaching section and the tour.
#[component]
pub fn TeachPanel(props: &TeachPanelProps) -> Html {
    let state = use_reducer(TeachState::default);
    // Answers come to this panel.
    {
        let (worker, d) = (props.worker.clone(), state.dispatcher());
        use_effect_with(worker.clone(), move |_| {
            worker.on_tour(Callback::from(move |e| d.dispatch(TeachAction::Answer(e))));
        });
    }
    // A new image: ask for its tour and digests; a tour left running resumes.
    {
        let (worker, d) = (props.worker.clone(), state.dispatcher());
        use_effect_with(props.image.clone(), move |_| {
            d.dispatch(TeachAction::Reset);
            worker.tour(TourRequest::Steps);
            worker.tour(TourRequest::Digests);
            if let Some(step) = stored_step().filter(|s| s.running) {
                d.dispatch(TeachAction::Step(Some(step.step)));
            }
        });
    }
    // The raw view follows the selected layer once it is shown.
    {
        let (worker, d) = (props.worker.clone(), state.dispatcher());
        let shown = state.raw.as_ref().map(|r| r.layer);
        let asked = state.raw_asked;
        use_effect_with(
            (props.selected, shown.is_some()),
            move |(selected, open)| {
                if *open && shown != Some(*selected) && asked != Some(*selected) {
                    d.dispatch(TeachAction::AskedRaw(*selected));
                    worker.tour(TourRequest::Layer { layer: *selected });
                }
            },
        );
    }
    let show_raw = {
        let (worker, d, selected) = (props.worker.clone(), state.dispatcher(), props.selected);
        Callback::from(move |_: MouseEvent| {
            d.dispatch(TeachAction::AskedRaw(selected));
            worker.tour(TourRequest::Layer { layer: selected });
        })
    };
    let verify = {
        let worker = props.worker.clone();
        Callback::from(move |()| worker.tour(TourRequest::Verify))
    };
    let start = {
        let d = state.dispatcher();
        let from = stored_step().map_or(0, |s| s.step);
        Callback::from(move |_: MouseEvent| d.dispatch(TeachAction::Step(Some(from))))
    };
    let onstep = {
        let d = state.dispatcher();
        Callback::from(move |s: Option<usize>| d.dispatch(TeachAction::Step(s)))
    };
    // A step about a layer's tar loads that layer's members.
    let onraw = {
        let (worker, d) = (props.worker.clone(), state.dispatcher());
        let (shown, asked) = (state.raw.as_ref().map(|r| r.layer), state.raw_asked);
        Callback::from(move |layer: usize| {
            if shown != Some(layer) && asked != Some(layer) {
                d.dispatch(TeachAction::AskedRaw(layer));
                worker.tour(TourRequest::Layer { layer });
            }
        })
    };
    // The marker row the running tour points at.
    let highlight = match (&state.tour, state.step, &state.raw) {
        (Some(t), Some(i), Some(raw)) => t.steps.get(i).and_then(|s| {
            let path = s.path.as_deref()?;
            (s.layer == Some(raw.layer))
                .then(|| {
                    raw.members
                        .iter()
                        .position(|m| m.marker.as_ref().is_some_and(|mk| mk.target == path))
                })
                .flatten()
        }),
        _ => None,
    };
    let resume = stored_step().filter(|s| s.step > 0);
    html! {
        <section id="teach" class="teach" aria-labelledby="teach-title">
            <h2 id="teach-title" tabindex="-1">{ "How layers work" }</h2>
            <p class="muted">{ "A guided tour of this image's layers: what a layer is, how deleting works, why bytes stay, how digests are made and what a squash changes, each told with this image's own numbers." }</p>
            <p class="teach-actions">
                <button id="tour-start" onclick={start} disabled={state.tour.is_none()}>
                    { match resume { Some(s) => format!("Resume the tour (step {})", s.step + 1), None => "Start the tour".to_string() } }
                </button>
            </p>
            <section id="raw-layer" class="raw-layer" aria-labelledby="raw-title">
                <h3 id="raw-title">{ "A layer as stored" }</h3>
                if let Some(raw) = state.raw.clone() {
                    <RawTable {raw} {highlight} loading={state.raw_asked.is_some()} onpath={props.onpath.clone()} />
                } else {
                    <p class="muted">{ "Every tar member of the selected layer in order, exactly as written: type, name (whiteout markers included), size, mode, owner, PAX records and offset." }</p>
                    <button id="raw-show" onclick={show_raw} disabled={state.raw_asked.is_some()}>{ format!("Show layer {} as stored", props.selected) }</button>
                }
            </section>
            <DigestsView digests={state.digests.clone()} verified={state.verified.clone()} onverify={verify} />
            if let (Some(tour), Some(step)) = (state.tour.clone(), state.step) {
                <TourBox {tour} {step} {onstep} onselect={props.onselect.clone()} onpath={props.onpath.clone()} {onraw} />
            }
        </section>
    }
}
