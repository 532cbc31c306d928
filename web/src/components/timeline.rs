//! One path's history: "added in L2 by RUN … → modified in L5 → deleted in L7 (still shipped:
//! 120 MB)".

use std::rc::Rc;

use layerlens_core::analysis::timeline::Timeline;
use layerlens_core::fs::ChangeKind;
use layerlens_core::present::human_size;
use layerlens_core::sanitize::display_text;
use yew::prelude::*;

use crate::components::viewer::diff_link;

/// Props of [`TimelineView`].
#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    /// The path asked for.
    pub path: AttrValue,
    /// Its timeline (None while loading or if it never existed).
    pub timeline: Option<Rc<Timeline>>,
    /// Whether the answer arrived.
    pub loaded: bool,
    /// Close the panel.
    pub onclose: Callback<()>,
    /// Select a layer and go to its row.
    pub onselect: Callback<usize>,
}

/// Shows a timeline.
#[component]
pub fn TimelineView(props: &TimelineProps) -> Html {
    let close = props.onclose.reform(|_: MouseEvent| ());
    let body = match (&props.timeline, props.loaded) {
        (_, false) => html! { <p class="muted">{ "Loading…" }</p> },
        (None, true) => html! { <p class="muted">{ "No layer has this path." }</p> },
        (Some(t), true) => {
            // The layer whose version each event replaced, for its diff link.
            let mut last_written: Option<usize> = None;
            let events = t.events.iter().map(|e| {
                let layer = e.layer;
                let rewrite = matches!(e.kind, ChangeKind::Modified(_)) || (e.kind == ChangeKind::Readded && e.same_content != Some(true));
                let diff = last_written.filter(|_| rewrite && e.entry_kind == Some('-')).map(|from| {
                    html! { <a class="diff-link" href={diff_link(&t.path, from, layer)} aria-label={format!("content diff of layer {from} and layer {layer}")}>{ "diff" }</a> }
                });
                last_written = if e.kind.is_removed() { None } else { Some(layer) };
                let onclick = props.onselect.reform(move |_: MouseEvent| layer);
                let what = match e.kind {
                    ChangeKind::Added => "added".to_string(),
                    ChangeKind::Modified(d) => format!("modified ({})", d.names().join(", ")),
                    ChangeKind::Readded => "written again unchanged".to_string(),
                    ChangeKind::Removed(by) => format!("removed by {by}{}", e.via.as_ref().map(|v| format!(" of {v}")).unwrap_or_default()),
                };
                html! {
                    <li class={classes!(e.current.then_some("current"))}>
                        <button class="link" {onclick}>{ format!("layer {}", e.layer) }</button>
                        { format!(": {}", display_text(&what)) }
                        { if e.size > 0 { format!(" — {}", human_size(e.size)) } else { String::new() } }
                        { e.same_content.map(|same| if same { " (same bytes)" } else { " (new bytes)" }).unwrap_or("") }
                        if let Some(link) = diff { { " " }{ link } }
                        <span class="muted mono step-text">{ format!("  {}", display_text(&e.step)) }</span>
                    </li>
                }
            });
            html! {
                <>
                    <ol class="timeline">{ for events }</ol>
                    <p>
                        { format!("{} in the final image; {} shipped in all layers", if t.present { human_size(t.final_bytes) } else { "absent".into() }, human_size(t.shipped_bytes)) }
                        if t.dead_bytes > 0 { <strong class="removed">{ format!(" — still shipped but unreachable: {}", human_size(t.dead_bytes)) }</strong> }
                    </p>
                </>
            }
        }
    };
    // Esc anywhere in the pane closes it (the focus goes back to the file tree).
    let onkeydown = {
        let onclose = props.onclose.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.prevent_default();
                onclose.emit(());
            }
        })
    };
    html! {
        <section class="timeline-panel" aria-labelledby="timeline-title" id="timeline" {onkeydown}>
            <div class="progress-head">
                <h3 id="timeline-title" tabindex="-1">{ "History of " }<span class="mono path">{ display_text(&props.path) }</span></h3>
                <button onclick={close} aria-keyshortcuts="Escape" id="timeline-close">{ "Close" }</button>
            </div>
            <div aria-live="polite">{ body }</div>
        </section>
    }
}
