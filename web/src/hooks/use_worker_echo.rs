//! `use_worker_echo`: starts the worker and checks it answers.

use std::fmt;

use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};
use yew::prelude::*;

use crate::protocol;

/// What the page knows about its worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkerStatus {
    /// Spawned; no echo yet.
    Starting,
    /// Echoed [`protocol::PING`] back.
    Ready,
    /// Could not start, failed, or answered something unexpected.
    Failed(String),
}

impl fmt::Display for WorkerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Starting => f.write_str("worker starting…"),
            Self::Ready => f.write_str("worker ready"),
            Self::Failed(why) => write!(f, "worker failed: {why}"),
        }
    }
}

/// Spawns the worker when the component mounts, does one ping/echo round trip, and terminates
/// the worker when the component unmounts.
#[hook]
pub fn use_worker_echo() -> WorkerStatus {
    let status = use_state(|| WorkerStatus::Starting);
    {
        let status = status.clone();
        use_effect_with((), move |_| {
            let report = move |next| status.set(next);
            let worker = EchoWorker::spawn(report.clone())
                .inspect_err(|err| report(WorkerStatus::Failed(describe(err))))
                .ok();
            move || drop(worker)
        });
    }
    (*status).clone()
}

/// A running worker and the JS callbacks it holds; dropping it terminates the worker.
struct EchoWorker {
    worker: Worker,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    _onerror: Closure<dyn FnMut(ErrorEvent)>,
}

impl EchoWorker {
    fn spawn(report: impl Fn(WorkerStatus) + Clone + 'static) -> Result<Self, JsValue> {
        let worker = Worker::new(protocol::WORKER_URL)?;
        let onmessage = {
            let (worker, report) = (worker.clone(), report.clone());
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let next = match event.data().as_string().as_deref() {
                    Some(protocol::READY) => {
                        match worker.post_message(&JsValue::from_str(protocol::PING)) {
                            Ok(()) => return,
                            Err(err) => WorkerStatus::Failed(describe(&err)),
                        }
                    }
                    Some(protocol::PING) => WorkerStatus::Ready,
                    other => WorkerStatus::Failed(format!("unexpected message {other:?}")),
                };
                report(next);
            })
        };
        let onerror = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            report(WorkerStatus::Failed(event.message()));
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            _onmessage: onmessage,
            _onerror: onerror,
        })
    }
}

impl Drop for EchoWorker {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

fn describe(err: &JsValue) -> String {
    err.as_string()
        .or_else(|| {
            err.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{err:?}"))
}
