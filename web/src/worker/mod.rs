//! The worker side: reads the dropped `File` through the core, answers the page's requests,
//! and builds the squashed image as a `Blob`. All heavy work happens here, so the page never
//! freezes; a failure becomes [`Event::Failed`] and the worker takes the next request.

mod audit;
mod blob_source;
mod build;
mod compare;
mod files;
mod layer_worker;
mod layers;
mod map;
mod phases;
mod prefetch;
mod see;
mod squash_options;
mod tour;

use std::cell::RefCell;

use layerlens_core::analysis::ci::{check_model, CiConfig};
use layerlens_core::analysis::reclaim::Reclaim;
use layerlens_core::analysis::WasteReport;
use layerlens_core::dive::DiveTally;
use layerlens_core::document::analyze_json;
use layerlens_core::squash::SquashPlan;
use layerlens_core::view::SquashFigures;
use layerlens_core::{Analysis, ImagePick, Indexed, Limits, Progress, Stage};
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent};

pub use blob_source::BlobSource;

use crate::protocol::{decode, encode, CiChecked, Event, Failure, Request, LAYER_WORKER_NAME};

/// An opened file and its analysed image.
pub(crate) struct Session {
    pub file: File,
    pub analysis: Analysis<BlobSource>,
}

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
    /// While a file opens (it waits for its layer workers), the requests that came meanwhile,
    /// answered after it in order.
    static WAITING: RefCell<Option<Vec<(Request, JsValue)>>> = const { RefCell::new(None) };
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts an event to the page.
pub(crate) fn post(event: &Event, carried: Option<&JsValue>) {
    if let Err(err) = scope().post_message(&encode(event, carried)) {
        web_sys::console::error_2(&"layerlens worker: cannot post".into(), &err);
    }
}

fn fail(failure: impl Into<Failure>) {
    post(
        &Event::Failed {
            failure: failure.into(),
        },
        None,
    );
}

/// Progress as throttled messages (at most ten a second).
pub(crate) struct PostProgress {
    last: f64,
}

impl PostProgress {
    pub(crate) fn new() -> Self {
        PostProgress { last: 0.0 }
    }

    pub(crate) fn send(&mut self, stage: &str, done: u64, total: u64, force: bool) {
        let now = js_sys::Date::now();
        if force || now - self.last >= 100.0 {
            self.last = now;
            post(
                &Event::Progress {
                    stage: stage.into(),
                    done: done as f64,
                    total: total as f64,
                },
                None,
            );
        }
    }
}

impl Progress for PostProgress {
    fn update(&mut self, stage: Stage, done: u64, total: u64) -> bool {
        let name = match stage {
            Stage::Opening => "Reading the archive".to_string(),
            Stage::Indexing(i) => format!("Indexing layer {i}"),
            Stage::Hashing => "Hashing".to_string(),
            Stage::Writing => "Writing".to_string(),
            Stage::Reading(i) => format!("Reading layer {i}"),
        };
        self.send(&name, done, total, false);
        true
    }
}

/// Seeds the core's path hashing from `crypto.getRandomValues` (see [`crate::hash_keys`]).
fn seed_hashing() {
    crate::hash_keys::seed(scope().crypto(), "worker");
}

/// Seeds the path hashing, installs the message handler, then tells the page it is ready.
/// Started by the analysis worker under [`LAYER_WORKER_NAME`], the script is a layer worker
/// instead ([`layer_worker`]).
pub fn start() {
    seed_hashing();
    if scope().name() == LAYER_WORKER_NAME {
        return layer_worker::start();
    }
    let onmessage =
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match decode::<Request>(&event.data()) {
                Ok((request, carried)) => receive(request, carried),
                Err(e) => fail(e),
            }
        });
    scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The handler lives as long as the worker does.
    onmessage.forget();
    post(&Event::Ready, None);
    layers::start_spares();
}

/// Handles a request, or keeps it for later while a file opens.
fn receive(request: Request, carried: JsValue) {
    let kept = WAITING.with(|w| match w.borrow_mut().as_mut() {
        Some(waiting) => {
            waiting.push((request, carried));
            None
        }
        None => Some((request, carried)),
    });
    if let Some((request, carried)) = kept {
        handle(request, carried);
    }
}

fn handle(request: Request, carried: JsValue) {
    match request {
        Request::Open { image } => match carried.dyn_into::<File>() {
            Ok(file) => {
                // The image shown keeps its session until the new file has opened: a file
                // that fails to open leaves the page with the image it had.
                let previous = SESSION.with(|s| s.borrow_mut().take());
                WAITING.with(|w| *w.borrow_mut() = Some(Vec::new()));
                wasm_bindgen_futures::spawn_local(async move {
                    match open(file, image).await {
                        Ok(session) => {
                            files::forget();
                            SESSION.with(|s| *s.borrow_mut() = Some(session))
                        }
                        Err(e) => {
                            SESSION.with(|s| *s.borrow_mut() = previous);
                            fail(e)
                        }
                    }
                    // The next file's layer workers start now, not while this one opened.
                    layers::start_spares();
                    let waiting = WAITING.with(|w| w.borrow_mut().take()).unwrap_or_default();
                    for (request, carried) in waiting {
                        receive(request, carried);
                    }
                });
            }
            Err(_) => fail("no file came with the request"),
        },
        // Also while a build holds the session: the list kept scrolls on.
        Request::Files(request) => {
            if let Err(e) = SESSION.with(|s| files::answer(s.borrow().as_ref(), request)) {
                fail(e);
            }
        }
        Request::Plan { from } => with_session(|s| {
            let figures = figures(s, from)?;
            post(&Event::Planned { figures }, None);
            Ok(())
        }),
        Request::SquashOptions(request) => with_session(|s| {
            let from = request.from;
            squash_options::set(s, request)?;
            let figures = figures(s, from)?;
            post(&Event::Planned { figures }, None);
            Ok(())
        }),
        Request::Crash => std::process::abort(),
        Request::Why { path, row } => with_session(|s| {
            let raw = row.and_then(|r| files::raw_path(r.layer, r.row));
            let timeline = s
                .analysis
                .timeline(raw.as_deref().unwrap_or(path.as_bytes()))
                .map(Box::new);
            post(&Event::Timeline { timeline, path }, None);
            Ok(())
        }),
        Request::DeepScan => with_session(|s| {
            let mut progress = PostProgress::new();
            s.analysis.deep_scan(&mut progress)?;
            let waste = s.analysis.waste(None);
            // Identical rewrites are now told apart: the squash figures say so too.
            let squash_all = figures(s, 0)?;
            post(
                &Event::Waste {
                    waste: for_page(waste),
                    squash_all: Some(squash_all),
                },
                None,
            );
            Ok(())
        }),
        Request::See(
            request @ (crate::protocol::SeeRequest::DownloadFile { .. }
            | crate::protocol::SeeRequest::DownloadTree { .. }),
        ) => {
            let Some(session) = SESSION.with(|s| s.borrow_mut().take()) else {
                return fail("open an image first");
            };
            wasm_bindgen_futures::spawn_local(async move {
                let mut session = session;
                if let Err(e) = see::download(&mut session, request).await {
                    fail(e);
                }
                SESSION.with(|s| *s.borrow_mut() = Some(session));
            });
        }
        Request::See(request) => with_session(|s| see::answer(s, request)),
        Request::Audit(request) => with_session(|s| audit::answer(s, request)),
        Request::Compare(request) => compare::handle(request, carried),
        Request::Map(request) => with_session(|s| map::answer(s, request)),
        Request::Tour(request) => with_session(|s| tour::answer(s, request)),
        Request::ExportJson => with_session(|s| {
            let waste = s.analysis.waste(None);
            let file = layerlens_core::sanitize::display_text(&s.file.name());
            let json = analyze_json(file, &s.analysis, None, Some(&waste))
                .map_err(|e| format!("cannot write the analysis: {e}"))?;
            let stem = s.file.name();
            let stem = stem.strip_suffix(".tar").unwrap_or(&stem);
            post(
                &Event::Exported {
                    name: format!("{stem}.analysis.json"),
                    size: json.len() as f64,
                },
                Some(&js_sys::Uint8Array::from(json.as_slice())),
            );
            Ok(())
        }),
        Request::CiCheck { config } => with_session(|s| {
            let result = CiConfig::parse(&config)
                .map(|c| {
                    let waste = s.analysis.waste(None);
                    let (verdict, paths) = check_model(
                        &c,
                        s.analysis.model(),
                        &waste,
                        s.analysis.image().tar_size(),
                    );
                    CiChecked {
                        verdict,
                        paths,
                        notes: c.notes.clone(),
                        deep: waste.deep,
                    }
                })
                .map_err(|e| format!(".dive-ci: {e}"));
            post(&Event::CiChecked { result }, None);
            Ok(())
        }),
        Request::Build { from, tags } => {
            let Some(session) = SESSION.with(|s| s.borrow_mut().take()) else {
                return fail("open an image first");
            };
            wasm_bindgen_futures::spawn_local(async move {
                let mut session = session;
                if let Err(e) = build::build(&mut session, from, tags).await {
                    fail(e);
                }
                SESSION.with(|s| *s.borrow_mut() = Some(session));
            });
        }
    }
}

/// The waste report as the page gets it: without dive's list of inefficient files, which the
/// page does not show (the export and the CI check use the worker's own copy) and which has a
/// row per path written in several layers: at a million entries, megabytes of JSON for the
/// page to parse, and a report compared field by field on every render.
fn for_page(mut waste: WasteReport) -> Box<WasteReport> {
    waste.dive.inefficient_files = Vec::new();
    Box::new(waste)
}

fn with_session(f: impl FnOnce(&mut Session) -> Result<(), Failure>) {
    let result = SESSION.with(|s| match s.borrow_mut().as_mut() {
        Some(session) => f(session),
        None => Err("open an image first (or wait for the current build to finish)".into()),
    });
    if let Err(e) = result {
        fail(e);
    }
}

pub(crate) fn plan(s: &Session, from: usize, tags: Vec<String>) -> Result<SquashPlan, Failure> {
    let options = squash_options::options(from, tags)?;
    Ok(s.analysis.squash_plan(&options)?)
}

/// The squash figures from `from`, split by cause like the waste report's.
fn figures(s: &Session, from: usize) -> Result<SquashFigures, Failure> {
    let plan = plan(s, from, Vec::new())?;
    let causes = Reclaim::new(s.analysis.model(), from);
    Ok(SquashFigures::with_causes(&plan, &causes))
}

async fn open(file: File, image: Option<usize>) -> Result<Session, Failure> {
    // A new image starts with the panel's defaults, as its form does.
    squash_options::reset();
    let started = js_sys::Date::now();
    let name = file.name();
    let context = |e: layerlens_core::Error| Failure::of(&name, &e);
    let source = BlobSource::new(file.clone().into()).map_err(|e| e.to_string())?;
    let mut progress = PostProgress::new();
    let pick = match image {
        Some(i) => ImagePick::Index(i),
        None => ImagePick::default(),
    };
    // Listed, then the layer blobs indexed in layer workers, then assembled by the core
    // exactly as `Analysis::open` (and the CLI's threads) would.
    let mut listed = phases::phase("list", || {
        Indexed::list(source, &pick, Limits::default(), &mut progress)
    })
    .map_err(context)?;
    let indexing = phases::Phase::start("index layers");
    let (indexes, tallier) = layers::index_blobs(&file, &mut listed, &mut progress).await;
    indexing.end();
    let indexed = phases::phase("assemble", || listed.assemble(indexes)).map_err(context)?;
    // dive's tally in a layer worker while the union is built here, when one is kept.
    let tallying = tallier.and_then(|t| t.post(&DiveTally::layer_blobs(indexed.image())));
    let analysis = phases::phase("union", || indexed.analyse());
    let summary = phases::phase("summary", || analysis.summary());
    let session = Session { file, analysis };
    // The layer table first; the squash plan and the waste analysis (a few hundred ms on
    // 100,000 files) follow.
    phases::phase("post table", || {
        post(
            &Event::Analyzed {
                summary: Box::new(summary),
                millis: js_sys::Date::now() - started,
            },
            None,
        )
    });
    // The squash of every layer is planned once, for its figures and for the report's
    // savings by cause.
    let all = phases::phase("squash plan", || plan(&session, 0, Vec::new()))?;
    let tally = match tallying {
        Some(pending) => {
            let waiting = phases::Phase::start("await tally");
            let tally = pending.result().await;
            waiting.end();
            tally
        }
        None => None,
    };
    post(
        &Event::Tallied {
            beside: tally.is_some(),
        },
        None,
    );
    let tally = tally.unwrap_or_else(|| {
        phases::phase("dive tally", || DiveTally::new(session.analysis.image()))
    });
    let waste = phases::phase("waste report", || {
        session.analysis.waste_with_plan(Some(tally), Some(&all))
    });
    let squash_all = SquashFigures::with_causes(&all, &waste.reclaim);
    phases::phase("post waste", || {
        post(
            &Event::Waste {
                waste: for_page(waste),
                squash_all: Some(squash_all),
            },
            None,
        )
    });
    Ok(session)
}
