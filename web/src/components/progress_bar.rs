//! Progress of long work: stage, bytes, rate, time left, and a cancel button.

use layerlens_core::present::human_size;
use layerlens_core::sanitize::display_text;
use yew::prelude::*;

use crate::hooks::use_progress::use_progress;
use crate::state::{js_now, Busy};

/// Props of [`ProgressBar`].
#[derive(Properties, PartialEq)]
pub struct ProgressBarProps {
    /// The work.
    pub busy: Busy,
    /// Cancel it.
    pub oncancel: Callback<()>,
}

/// Shows progress.
#[component]
pub fn ProgressBar(props: &ProgressBarProps) -> Html {
    let b = &props.busy;
    // The figures come from the worker's reports straight to this bar, not through the page.
    let figures = use_progress(b.started);
    let (stage, done, total, fraction) = match &figures {
        Some(f) => (f.stage.as_str(), f.done, f.total, f.fraction()),
        None => ("Starting", 0.0, 0.0, 0.0),
    };
    let pct = fraction * 100.0;
    let secs = ((js_now() - b.started) / 1000.0).max(0.001);
    let rate = done / secs;
    let left = if rate > 0.0 && total > done {
        (total - done) / rate
    } else {
        0.0
    };
    let detail = if total > 0.0 {
        format!(
            "{} of {} · {}/s · {}",
            human_size(done as u64),
            human_size(total as u64),
            human_size(rate as u64),
            if left > 0.5 {
                format!("about {left:.0} s left")
            } else {
                "almost done".into()
            }
        )
    } else {
        String::new()
    };
    let cancel = props.oncancel.reform(|_: MouseEvent| ());
    // What a screen reader hears: the stage and every tenth of the way, not each update
    // (the worker reports ten times a second).
    let spoken = format!(
        "{}: {}{}",
        display_text(&b.what),
        stage,
        if total > 0.0 {
            format!(", {} %", (pct / 10.0).floor() * 10.0)
        } else {
            String::new()
        }
    );
    html! {
        <div class="progress" id="progress" tabindex="-1" aria-labelledby="progress-title">
            <span class="visually-hidden" role="status" aria-live="polite" aria-atomic="true" id="progress-announce">{ spoken }</span>
            <div class="progress-head">
                <span id="progress-title"><strong>{ display_text(&b.what) }</strong>{ " — " }{ stage }</span>
                <button onclick={cancel} id="cancel">{ "Cancel" }</button>
            </div>
            <progress max="100" value={format!("{pct:.1}")} aria-labelledby="progress-title"></progress>
            <div class="muted">{ detail }</div>
        </div>
    }
}
