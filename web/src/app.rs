//! The root component.

use yew::prelude::*;

use crate::components::placeholder::Placeholder;
use crate::hooks::use_worker_echo::use_worker_echo;

/// The whole app; for now a placeholder page plus the worker's status.
#[component]
pub fn App() -> Html {
    let worker = use_worker_echo();
    html! {
        <main class="app">
            <Placeholder worker={worker} />
        </main>
    }
}
