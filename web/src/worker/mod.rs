//! The worker side: reads the dropped `File` through the core, answers the page's requests,
//! and builds the squashed image as a `Blob`. All heavy work happens here, so the page never
//! freezes; a failure becomes [`Event::Failed`] and the worker takes the next request.

mod blob_source;
mod build;

use std::cell::RefCell;

use layerlens_core::analysis::deep::{deep_scan, ContentHashes};
use layerlens_core::analysis::findings::FindingOptions;
use layerlens_core::analysis::timeline::Timeline;
use layerlens_core::analysis::WasteReport;
use layerlens_core::archive::{Archive, Selector};
use layerlens_core::fs::{ChangeSet, UnionFs};
use layerlens_core::image::Image;
use layerlens_core::layer::IndexOptions;
use layerlens_core::squash::{SquashOptions, SquashPlan};
use layerlens_core::view::{label, pack_rows, tree_at, ImageChoice, ImageSummary, SquashFigures};
use layerlens_core::{Limits, Progress, Stage};
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent};

pub use blob_source::BlobSource;

use crate::protocol::{decode, encode, Event, Request};

/// An opened file and its analysed image.
pub(crate) struct Session {
    pub file: File,
    /// Content hashes from a deep scan, once run.
    pub hashes: Option<ContentHashes>,
    pub archive: Archive<BlobSource>,
    pub image: Image,
    pub fs: UnionFs,
    pub changes: Vec<ChangeSet>,
}

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
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

fn fail(message: String) {
    post(&Event::Failed { message }, None);
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
pub fn start() {
    seed_hashing();
    let onmessage =
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match decode::<Request>(&event.data()) {
                Ok((request, carried)) => handle(request, carried),
                Err(e) => fail(e),
            }
        });
    scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The handler lives as long as the worker does.
    onmessage.forget();
    post(&Event::Ready, None);
}

fn handle(request: Request, carried: JsValue) {
    match request {
        Request::Open { image } => match carried.dyn_into::<File>() {
            Ok(file) => {
                SESSION.with(|s| s.borrow_mut().take());
                match open(file, image) {
                    Ok(session) => SESSION.with(|s| *s.borrow_mut() = Some(session)),
                    Err(e) => fail(e),
                }
            }
            Err(_) => fail("no file came with the request".into()),
        },
        Request::Tree { layer } => with_session(|s| {
            let rows = tree_at(&s.image, layer, &s.changes);
            let packed = js_sys::Uint8Array::from(pack_rows(&rows).as_slice());
            post(
                &Event::Tree {
                    layer,
                    rows: rows.len(),
                },
                Some(&packed),
            );
            Ok(())
        }),
        Request::Plan { from } => with_session(|s| {
            let plan = plan(s, from, Vec::new())?;
            post(
                &Event::Planned {
                    figures: SquashFigures::new(&plan),
                },
                None,
            );
            Ok(())
        }),
        Request::Crash => std::process::abort(),
        Request::Why { path } => with_session(|s| {
            let timeline = Timeline::new(
                &s.image,
                &s.fs,
                &s.changes,
                path.as_bytes(),
                s.hashes.as_ref(),
            )
            .map(Box::new);
            post(&Event::Timeline { timeline, path }, None);
            Ok(())
        }),
        Request::DeepScan => with_session(|s| {
            let mut progress = PostProgress::new();
            let hashes = deep_scan(s.archive.source_mut(), &s.image, &s.changes, &mut progress)
                .map_err(|e| e.to_string())?;
            let waste = WasteReport::new(
                &s.image,
                &s.fs,
                &s.changes,
                Some(&hashes),
                &FindingOptions::default(),
            );
            s.hashes = Some(hashes);
            post(
                &Event::Waste {
                    waste: Box::new(waste),
                    squash_all: None,
                },
                None,
            );
            Ok(())
        }),
        Request::Build { from, tags } => {
            let Some(session) = SESSION.with(|s| s.borrow_mut().take()) else {
                return fail("open an image first".into());
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

fn with_session(f: impl FnOnce(&mut Session) -> Result<(), String>) {
    let result = SESSION.with(|s| match s.borrow_mut().as_mut() {
        Some(session) => f(session),
        None => Err("open an image first (or wait for the current build to finish)".into()),
    });
    if let Err(e) = result {
        fail(e);
    }
}

pub(crate) fn plan(s: &Session, from: usize, tags: Vec<String>) -> Result<SquashPlan, String> {
    let options = SquashOptions {
        from,
        tags: (!tags.is_empty()).then_some(tags),
        created: None,
    };
    SquashPlan::new(&s.image, &s.fs, &s.changes, s.archive.len(), &options)
        .map_err(|e| e.to_string())
}

fn open(file: File, image: Option<usize>) -> Result<Session, String> {
    let started = js_sys::Date::now();
    let name = file.name();
    let context = |e: layerlens_core::Error| format!("{name}: {e}");
    let source = BlobSource::new(file.clone().into()).map_err(|e| e.to_string())?;
    let mut progress = PostProgress::new();
    let limits = Limits::default();
    let mut archive = Archive::open(source, limits, &mut progress).map_err(context)?;
    let which = match image {
        Some(i) => i.min(archive.images().len().saturating_sub(1)),
        None => archive.select(&Selector::default()).map_err(context)?,
    };
    let image = Image::load(
        &mut archive,
        which,
        &IndexOptions {
            limits,
            hash_compressed: false,
        },
        &mut progress,
    )
    .map_err(context)?;
    let (fs, changes) = UnionFs::build(image.indexes());
    let choices = archive
        .images()
        .iter()
        .enumerate()
        .map(|(index, r)| ImageChoice {
            index,
            label: label(&r.tags),
            platform: r.platform.clone(),
            layers: r.layers.len(),
        })
        .collect();
    let summary = ImageSummary::new(
        &image,
        &fs,
        &changes,
        choices,
        which,
        archive.format().describe(),
    );
    let session = Session {
        file,
        hashes: None,
        archive,
        image,
        fs,
        changes,
    };
    // The layer table first; the squash plan and the waste analysis (a few hundred ms on
    // 100,000 files) follow.
    post(
        &Event::Analyzed {
            summary: Box::new(summary),
            millis: js_sys::Date::now() - started,
        },
        None,
    );
    let squash_all = SquashFigures::new(&plan(&session, 0, Vec::new())?);
    let waste = WasteReport::new(
        &session.image,
        &session.fs,
        &session.changes,
        None,
        &FindingOptions::default(),
    );
    post(
        &Event::Waste {
            waste: Box::new(waste),
            squash_all: Some(squash_all),
        },
        None,
    );
    Ok(session)
}
