//! `use_image_worker`: the page's handle on the worker. Requests wait until the worker says it
//! is ready; events become reducer actions. Cancelling terminates the worker (its work is
//! synchronous, so it cannot hear a message) and starts a fresh one, re-opening the file.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, File, MessageEvent, Url, Worker};
use yew::prelude::*;

use crate::hooks::use_progress::{publish, Figures};
use crate::input_check;
use crate::protocol::{
    decode, encode, AuditEvent, AuditRequest, CompareEvent, CompareRequest, Event, FilesRequest,
    FilesView, MapEvent, MapRequest, Request, RowRef, SeeEvent, SeeRequest, TourEvent, TourRequest,
    WORKER_URL,
};
use crate::state::{js_now, Action, AppState, Built};

/// A worker's message and error handlers.
type Handlers = (
    Option<Closure<dyn FnMut(MessageEvent)>>,
    Option<Closure<dyn FnMut(ErrorEvent)>>,
);

struct Bridge {
    worker: Option<Worker>,
    ready: bool,
    queue: Vec<JsValue>,
    file: Option<File>,
    image: Option<usize>,
    dispatch: UseReducerDispatcher<AppState>,
    built_url: Option<String>,
    /// The download name of `built_url`.
    built_name: String,
    /// The current file's analysis arrived (so a fresh worker must re-open it after a cancel).
    analyzed: bool,
    /// Long work (an analysis, a build, a deep scan) is outstanding.
    busy: bool,
    /// Where answers of the "see inside" views go (the viewer, which keeps its own state).
    see: Option<Callback<(SeeEvent, JsValue)>>,
    /// Where the file list's windows go (the file list, which keeps its own state).
    files: Option<Callback<Box<FilesView>>>,
    /// Numbers the file list's requests.
    files_seq: u32,
    /// Where the Audit panel's answers go.
    audit: Option<Callback<AuditEvent>>,
    /// Where answers of the compare view go (the compare panel, which keeps its own state).
    compare: Option<Callback<CompareEvent>>,
    /// Where answers of the size map and the report go (the size map's section).
    map: Option<Callback<(MapEvent, JsValue)>>,
    /// Where the squash before/after answers go.
    squash_compare: Option<Callback<MapEvent>>,
    /// Where answers of the teaching views go (the teaching panel).
    tour: Option<Callback<TourEvent>>,
    /// The file shown before the one being opened, which the worker keeps until the new one
    /// has opened (it comes back if the new one fails).
    previous: Option<(File, Option<usize>)>,
    _onmessage: Option<Closure<dyn FnMut(MessageEvent)>>,
    _onerror: Option<Closure<dyn FnMut(ErrorEvent)>>,
    /// Handlers of terminated workers. `spawn` may run inside one of them (after a crash),
    /// and a closure must not be freed while it runs; a few bytes per restart are kept.
    retired: Vec<Handlers>,
}

/// A cloneable handle; equal when it is the same worker bridge.
#[derive(Clone)]
pub struct ImageWorker(Rc<RefCell<Bridge>>);

impl PartialEq for ImageWorker {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl ImageWorker {
    fn send(&self, request: &Request, carried: Option<&JsValue>) {
        let msg = encode(request, carried);
        let mut b = self.0.borrow_mut();
        match (&b.worker, b.ready) {
            (Some(w), true) => {
                if let Err(e) = w.post_message(&msg) {
                    b.dispatch.dispatch(Action::Failed(
                        format!("cannot reach the worker: {e:?}").into(),
                    ));
                }
            }
            _ => b.queue.push(msg),
        }
    }

    /// Opens a file (image `image` of it, default: the first).
    pub fn open(&self, file: File, image: Option<usize>) {
        // A worker still busy with the previous file (its work is synchronous, it cannot be
        // interrupted) is replaced, so it can never answer for this one; an idle or still
        // loading worker is kept, minus anything queued for it.
        let busy = self.0.borrow().busy;
        if busy {
            spawn(&self.0);
        }
        {
            let mut b = self.0.borrow_mut();
            b.queue.clear();
            // A fresh worker has no session to fall back on.
            let keep = !busy && b.analyzed;
            b.previous = if keep {
                b.file.clone().map(|f| (f, b.image))
            } else {
                None
            };
            b.busy = true;
            b.analyzed = false;
            b.file = Some(file.clone());
            b.image = image;
            b.dispatch.dispatch(Action::Opening {
                name: file.name(),
                now: js_now(),
                keep,
            });
        }
        self.send(&Request::Open { image }, Some(&file.into()));
    }

    /// Opens image `image` of the current file.
    pub fn reopen_image(&self, image: usize) {
        let file = self.0.borrow().file.clone();
        if let Some(f) = file {
            self.open(f, Some(image));
        }
    }

    /// Sends a request of the file list (numbered here; the number is returned); the answer
    /// goes to [`ImageWorker::on_files`]'s callback.
    pub fn files(&self, mut request: FilesRequest) -> u32 {
        let seq = {
            let mut b = self.0.borrow_mut();
            b.files_seq = b.files_seq.wrapping_add(1);
            b.files_seq
        };
        request.seq = seq;
        self.send(&Request::Files(request), None);
        seq
    }

    /// The number of the last request of the file list.
    pub fn files_seq(&self) -> u32 {
        self.0.borrow().files_seq
    }

    /// Routes the file list's windows to `callback`.
    pub fn on_files(&self, callback: Callback<Box<FilesView>>) {
        self.0.borrow_mut().files = Some(callback);
    }

    /// Asks for a path's history.
    pub fn why(&self, path: String) {
        self.0.borrow().dispatch.dispatch(Action::Why(path.clone()));
        self.send(&Request::Why { path, row: None }, None);
    }

    /// Asks for the history of a row of a layer's file tree: by position, since the row's
    /// path is display text that cannot be turned back into every name.
    pub fn why_row(&self, path: String, row: RowRef) {
        self.0.borrow().dispatch.dispatch(Action::Why(path.clone()));
        self.send(
            &Request::Why {
                path,
                row: Some(row),
            },
            None,
        );
    }

    /// Runs the deep scan (content hashes).
    pub fn deep_scan(&self) {
        self.0
            .borrow()
            .dispatch
            .dispatch(Action::Start("Deep scan: hashing file contents".into()));
        self.send(&Request::DeepScan, None);
    }

    /// Asks for a squash plan.
    pub fn plan(&self, from: usize) {
        self.send(&Request::Plan { from }, None);
    }

    /// Sets the squash options for later plans and builds.
    pub fn squash_options(&self, request: crate::protocol::SquashOptionsRequest) {
        self.send(&Request::SquashOptions(request), None);
    }

    /// Builds the squashed image.
    pub fn build(&self, from: usize, tags: Vec<String>) {
        self.0
            .borrow()
            .dispatch
            .dispatch(Action::Start("Building the squashed image".into()));
        self.send(&Request::Build { from, tags }, None);
    }

    /// Asks for the analysis as `layerlens analyze --json` prints it (downloaded on arrival).
    pub fn export_json(&self) {
        self.send(&Request::ExportJson, None);
    }

    /// Evaluates a `.dive-ci` text on the image shown.
    pub fn ci_check(&self, config: String) {
        self.send(&Request::CiCheck { config }, None);
    }

    /// Saves the last build again (the download link), if the input can still be read.
    pub fn save_again(&self) {
        save_checked(&self.0, None);
    }

    /// Sends a request of the "see inside" views; the answer goes to [`ImageWorker::on_see`]'s
    /// callback.
    pub fn see(&self, request: SeeRequest) {
        self.send(&Request::See(request), None);
    }

    /// Routes the "see inside" answers (with the object each carries) to `callback`.
    pub fn on_see(&self, callback: Callback<(SeeEvent, JsValue)>) {
        self.0.borrow_mut().see = Some(callback);
    }

    /// Runs the content audit; the answer goes to [`ImageWorker::on_audit`]'s callback.
    pub fn audit(&self, request: AuditRequest) {
        self.0.borrow().dispatch.dispatch(Action::Start(
            "Audit: reading package databases and files".into(),
        ));
        self.send(&Request::Audit(request), None);
    }

    /// Routes the Audit panel's answers to `callback`.
    pub fn on_audit(&self, callback: Callback<AuditEvent>) {
        self.0.borrow_mut().audit = Some(callback);
    }

    /// Sends a request of the compare view (with B's `File`, if one was chosen); the answer
    /// goes to [`ImageWorker::on_compare`]'s callback. Opening and comparing is long work.
    pub fn compare(&self, request: CompareRequest, file: Option<File>) {
        if !matches!(request, CompareRequest::ContentDiff { .. }) {
            let mut b = self.0.borrow_mut();
            b.busy = true;
            b.dispatch.dispatch(Action::Start("Comparing".into()));
        }
        let carried: Option<JsValue> = file.map(Into::into);
        self.send(&Request::Compare(request), carried.as_ref());
    }

    /// Routes the compare view's answers to `callback`.
    pub fn on_compare(&self, callback: Callback<CompareEvent>) {
        self.0.borrow_mut().compare = Some(callback);
    }

    /// Sends a request of the size map or the report; the answer goes to
    /// [`ImageWorker::on_map`]'s callback.
    pub fn map(&self, request: MapRequest) {
        self.send(&Request::Map(request), None);
    }

    /// Routes the size map's answers (with the object each carries) to `callback`.
    pub fn on_map(&self, callback: Callback<(MapEvent, JsValue)>) {
        self.0.borrow_mut().map = Some(callback);
    }

    /// Routes the squash before/after answers to `callback`.
    pub fn on_squash_compare(&self, callback: Callback<MapEvent>) {
        self.0.borrow_mut().squash_compare = Some(callback);
    }

    /// Sends a request of the teaching views; the answer goes to [`ImageWorker::on_tour`]'s
    /// callback. Verifying reads every layer, so it shows the progress bar.
    pub fn tour(&self, request: TourRequest) {
        if request == TourRequest::Verify {
            self.0
                .borrow()
                .dispatch
                .dispatch(Action::Start("Verifying the digests".into()));
        }
        self.send(&Request::Tour(request), None);
    }

    /// Routes the teaching views' answers to `callback`.
    pub fn on_tour(&self, callback: Callback<TourEvent>) {
        self.0.borrow_mut().tour = Some(callback);
    }

    /// Makes the worker crash (the crash-recovery test hook).
    pub fn crash(&self) {
        self.send(&Request::Crash, None);
    }

    /// Stops whatever the worker is doing. Cancelling an analysis drops the file; cancelling
    /// later work (a build, a deep scan) keeps the image shown, so a fresh worker reads the
    /// file again to take further requests.
    pub fn cancel(&self) {
        let (file, image, analyzed) = {
            let b = self.0.borrow();
            (b.file.clone(), b.image, b.analyzed)
        };
        spawn(&self.0);
        self.0.borrow().dispatch.dispatch(Action::Cancelled {
            keep_image: analyzed,
        });
        if let (Some(file), true) = (file, analyzed) {
            self.0.borrow_mut().busy = true;
            self.send(&Request::Open { image }, Some(&file.into()));
        } else {
            self.0.borrow_mut().file = None;
        }
    }
}

fn spawn(bridge: &Rc<RefCell<Bridge>>) {
    let mut b = bridge.borrow_mut();
    if let Some(old) = b.worker.take() {
        old.set_onmessage(None);
        old.set_onerror(None);
        old.terminate();
    }
    let old = (b._onmessage.take(), b._onerror.take());
    b.retired.push(old);
    b.ready = false;
    b.busy = false;
    b.previous = None;
    b.queue.clear();
    let dispatch = b.dispatch.clone();
    let worker = match Worker::new(WORKER_URL) {
        Ok(w) => w,
        Err(e) => {
            dispatch.dispatch(Action::WorkerLost(format!(
                "the worker could not start: {e:?}"
            )));
            return;
        }
    };
    let weak = Rc::downgrade(bridge);
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(bridge) = weak.upgrade() else { return };
        on_event(&bridge, &event.data());
    });
    let weak = Rc::downgrade(bridge);
    let onerror = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
        event.prevent_default();
        let Some(bridge) = weak.upgrade() else { return };
        let msg = event.message();
        // The worker's wasm trapped (a bug, or memory ran out): start a fresh one so the
        // next file works, and say what happened.
        spawn(&bridge);
        bridge.borrow().dispatch.dispatch(Action::WorkerLost(format!(
            "The analysis stopped unexpectedly ({msg}). This is a bug or the file is too large for this browser tab; the app has restarted and takes the next file."
        )));
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    b.worker = Some(worker);
    b._onmessage = Some(onmessage);
    b._onerror = Some(onerror);
}

fn on_event(bridge: &Rc<RefCell<Bridge>>, data: &JsValue) {
    let dispatch = bridge.borrow().dispatch.clone();
    let (event, carried) = match decode::<Event>(data) {
        Ok(x) => x,
        Err(e) => return dispatch.dispatch(Action::Failed(e.into())),
    };
    match event {
        Event::Ready => {
            let mut b = bridge.borrow_mut();
            b.ready = true;
            let queue = std::mem::take(&mut b.queue);
            if let Some(w) = &b.worker {
                for msg in queue {
                    let _ = w.post_message(&msg);
                }
            }
            dispatch.dispatch(Action::WorkerReady);
        }
        Event::LayerWorkers(l) => dispatch.dispatch(Action::LayerWorkers(l)),
        Event::Tallied { beside } => dispatch.dispatch(Action::Tallied(beside)),
        Event::Progress { stage, done, total } => {
            let now = js_now();
            publish(Figures {
                stage,
                done,
                total,
                at: now,
            });
            // Only names work the page did not start; otherwise the state stays as it is.
            dispatch.dispatch(Action::Progress { now });
        }
        Event::Analyzed { summary, millis } => {
            let mut b = bridge.borrow_mut();
            b.analyzed = true;
            b.previous = None;
            if let Some(url) = b.built_url.take() {
                let _ = Url::revoke_object_url(&url);
            }
            // Still busy until the waste report that follows has arrived.
            b.busy = true;
            drop(b);
            dispatch.dispatch(Action::Analyzed { summary, millis })
        }
        Event::Waste { waste, squash_all } => {
            bridge.borrow_mut().busy = false;
            dispatch.dispatch(Action::Waste(waste, squash_all))
        }
        Event::Timeline { timeline, path } => dispatch.dispatch(Action::Timeline(path, timeline)),
        Event::Files(view) => {
            let listener = bridge.borrow().files.clone();
            if let Some(cb) = listener {
                cb.emit(view);
            }
        }
        Event::Planned { figures } => dispatch.dispatch(Action::Planned(figures)),
        Event::SquashOptions(r) => dispatch.dispatch(Action::SquashOptions(r)),
        Event::Built {
            name,
            size,
            image_id,
            diff_id,
            millis,
            parts,
        } => {
            bridge.borrow_mut().busy = false;
            let Ok(blob) = carried.dyn_into::<web_sys::Blob>() else {
                return dispatch.dispatch(Action::Failed(
                    "the build came back without its data".into(),
                ));
            };
            let url = match Url::create_object_url_with_blob(&blob) {
                Ok(u) => u,
                Err(e) => {
                    return dispatch.dispatch(Action::Failed(
                        format!("cannot offer the download: {e:?}").into(),
                    ))
                }
            };
            let mut b = bridge.borrow_mut();
            if let Some(old) = b.built_url.replace(url.clone()) {
                let _ = Url::revoke_object_url(&old);
            }
            b.built_name = name.clone();
            drop(b);
            let built = Built {
                url,
                name,
                size,
                image_id,
                diff_id,
                millis,
                parts,
            };
            save_checked(bridge, Some(built));
        }
        Event::See(event) => {
            // A compressed layer's file reports progress, which shows the bar.
            dispatch.dispatch(Action::Idle);
            let listener = bridge.borrow().see.clone();
            if let Some(cb) = listener {
                cb.emit((event, carried));
            }
        }
        Event::Audit(event) => {
            dispatch.dispatch(Action::Idle);
            let listener = bridge.borrow().audit.clone();
            if let Some(cb) = listener {
                cb.emit(event);
            }
        }
        Event::Tour(event) => {
            dispatch.dispatch(Action::Idle);
            let listener = bridge.borrow().tour.clone();
            if let Some(cb) = listener {
                cb.emit(event);
            }
        }
        Event::Compare(event) => {
            bridge.borrow_mut().busy = false;
            dispatch.dispatch(Action::Idle);
            let listener = bridge.borrow().compare.clone();
            if let Some(cb) = listener {
                cb.emit(event);
            }
        }
        Event::Map(event @ MapEvent::BeforeAfter { .. }) => {
            let listener = bridge.borrow().squash_compare.clone();
            if let Some(cb) = listener {
                cb.emit(event);
            }
        }
        Event::Map(event) => {
            let listener = bridge.borrow().map.clone();
            if let Some(cb) = listener {
                cb.emit((event, carried));
            }
        }
        Event::Exported { name, size } => {
            let bytes = carried.dyn_into::<js_sys::Uint8Array>().ok();
            let blob = bytes.and_then(|b| {
                let parts = js_sys::Array::of1(&b);
                let options = web_sys::BlobPropertyBag::new();
                options.set_type("application/json");
                web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()
            });
            let url = blob.and_then(|b| Url::create_object_url_with_blob(&b).ok());
            match url {
                Some(url) => {
                    download(&url, &name);
                    crate::timer::revoke_url_later(url);
                    dispatch.dispatch(Action::Exported(name, size));
                }
                None => dispatch.dispatch(Action::Failed(
                    "cannot offer the analysis for download".into(),
                )),
            }
        }
        Event::CiChecked { result } => dispatch.dispatch(Action::CiChecked(result)),
        Event::Failed { failure } => {
            let mut b = bridge.borrow_mut();
            b.busy = false;
            // A file that failed to open: the worker went back to the previous one.
            if let Some((file, image)) = b.previous.take() {
                b.file = Some(file);
                b.image = image;
                b.analyzed = true;
            }
            drop(b);
            dispatch.dispatch(Action::Failed(failure))
        }
    }
}

/// Saves the built image once the input file is known to be still readable (the download
/// reads it again); otherwise reports the failure and withdraws the download. `fresh` is a
/// build that just arrived (shown once the check passes); `None` saves the last one again.
fn save_checked(bridge: &Rc<RefCell<Bridge>>, fresh: Option<Built>) {
    let bridge = bridge.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let (file, dispatch, url) = {
            let b = bridge.borrow();
            (b.file.clone(), b.dispatch.clone(), b.built_url.clone())
        };
        let check = match &file {
            Some(f) => input_check::still_readable(f).await,
            None => Ok(()),
        };
        if let Err(reason) = check {
            if let Some(old) = bridge.borrow_mut().built_url.take() {
                let _ = Url::revoke_object_url(&old);
            }
            let name = file.map(|f| f.name()).unwrap_or_default();
            return dispatch.dispatch(Action::DownloadFailed(input_check::failure(&name, &reason)));
        }
        let Some(url) = url else { return };
        match fresh {
            Some(built) => {
                download(&url, &built.name);
                dispatch.dispatch(Action::Built(built));
            }
            None => {
                let name = bridge.borrow().built_name.clone();
                download(&url, &name);
            }
        }
    });
}

/// Starts a download of `url` as `name`.
fn download(url: &str, name: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(a) = doc.create_element("a") else {
        return;
    };
    let a: web_sys::HtmlAnchorElement = a.unchecked_into();
    a.set_href(url);
    a.set_download(name);
    a.click();
}

/// Starts the worker on mount and stops it on unmount.
#[hook]
pub fn use_image_worker(dispatch: UseReducerDispatcher<AppState>) -> ImageWorker {
    let bridge = use_memo((), move |_| {
        Rc::new(RefCell::new(Bridge {
            worker: None,
            ready: false,
            queue: Vec::new(),
            file: None,
            image: None,
            dispatch,
            built_url: None,
            built_name: String::new(),
            analyzed: false,
            busy: false,
            see: None,
            files: None,
            files_seq: 0,
            audit: None,
            map: None,
            squash_compare: None,
            compare: None,
            tour: None,
            previous: None,
            _onmessage: None,
            _onerror: None,
            retired: Vec::new(),
        }))
    });
    {
        let bridge = (*bridge).clone();
        use_effect_with((), move |_| {
            spawn(&bridge);
            // Test hook: `window.dispatchEvent(new Event("layerlens-test-crash"))` crashes the
            // worker so an end-to-end test can check the app recovers.
            let handle = ImageWorker(bridge.clone());
            let on_crash = Closure::<dyn FnMut()>::new(move || handle.crash());
            if let Some(w) = web_sys::window() {
                let _ = w.add_event_listener_with_callback(
                    "layerlens-test-crash",
                    on_crash.as_ref().unchecked_ref(),
                );
            }
            on_crash.forget();
            move || {
                let mut b = bridge.borrow_mut();
                if let Some(w) = b.worker.take() {
                    w.set_onmessage(None);
                    w.set_onerror(None);
                    w.terminate();
                }
            }
        });
    }
    ImageWorker((*bridge).clone())
}
