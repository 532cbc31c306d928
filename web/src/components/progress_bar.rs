//! Progress of long work: stage, bytes, rate, time left, and a cancel button.

use layerlens_core::sanitize::display_text;
use layerlens_core::view::human_size;
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
    html! {
        <div class="progress" role="status" aria-live="polite" id="progress">
            <div class="progress-head">
                <span><strong>{ display_text(&b.what) }</strong>{ " — " }{ &b.stage }</span>
                <button onclick={cancel}>{ "Cancel" }</button>
            </div>
            <progress max="100" value={format!("{pct:.1}")} aria-label="progress"></progress>
            <div class="muted">{ detail }</div>
        </div>
    }
}
