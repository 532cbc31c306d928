//! The placeholder page shown until the real drop zone exists.

use yew::prelude::*;

use crate::hooks::use_worker_echo::WorkerStatus;

/// Props of [`Placeholder`].
#[derive(Properties, PartialEq)]
pub struct PlaceholderProps {
    /// The worker's state, shown so a reader (and the browser smoke test) can see it answered.
    pub worker: WorkerStatus,
}

/// Says what the app will do and whether its worker is alive.
#[component]
pub fn Placeholder(props: &PlaceholderProps) -> Html {
    let status_class = match props.worker {
        WorkerStatus::Starting => "status starting",
        WorkerStatus::Ready => "status ready",
        WorkerStatus::Failed(_) => "status failed",
    };
    html! {
        <section class="placeholder">
            <div class="drop-zone" aria-disabled="true">
                <h1>{ "layerlens — drop a docker save tarball here" }</h1>
                <p class="note">
                    { "Placeholder: the browser app is not built yet. " }
                    { "It will analyse docker save / OCI archives entirely in this tab; nothing is uploaded." }
                </p>
            </div>
            <p id="worker-status" class={status_class}>{ props.worker.to_string() }</p>
        </section>
    }
}
