//! Progress of long work: stage, bytes, rate, time left, and a cancel button.

use layerlens_core::present::human_size;
use layerlens_core::sanitize::display_text;
use yew::prelude::*;

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
    let pct = b.fraction() * 100.0;
    let secs = ((js_now() - b.started) / 1000.0).max(0.001);
    let rate = b.done / secs;
    let left = if rate > 0.0 && b.total > b.done {
        (b.total - b.done) / rate
    } else {
        0.0
    };
    let detail = if b.total > 0.0 {
        format!(
            "{} of {} · {}/s · {}",
            human_size(b.done as u64),
            human_size(b.total as u64),
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
        &b.stage,
        if b.total > 0.0 {
            format!(", {} %", (pct / 10.0).floor() * 10.0)
        } else {
            String::new()
        }
    );
    html! {
        <div class="progress" id="progress" tabindex="-1" aria-labelledby="progress-title">
            <span class="visually-hidden" role="status" aria-live="polite" aria-atomic="true" id="progress-announce">{ spoken }</span>
            <div class="progress-head">
                <span id="progress-title"><strong>{ display_text(&b.what) }</strong>{ " — " }{ &b.stage }</span>
                <button onclick={cancel} id="cancel">{ "Cancel" }</button>
            </div>
            <progress max="100" value={format!("{pct:.1}")} aria-labelledby="progress-title"></progress>
            <div class="muted">{ detail }</div>
        </div>
    }
}
