//! The root component: holds the state, talks to the worker, lays out the views. A file can be
//! dropped anywhere on the page, and so can an image folder.

use web_sys::{DragEvent, File};
use yew::prelude::*;

use crate::components::ci_bridge::CiBridge;
use crate::components::drop_zone::DropZone;
use crate::components::error_banner::ErrorBanner;
use crate::components::file_tree::FileTreeView;
use crate::components::findings::Findings;
use crate::components::layer_cake::LayerCake;
use crate::components::layer_table::LayerTable;
use crate::components::overview::Overview;
use crate::components::progress_bar::ProgressBar;
use crate::components::squash_panel::SquashPanel;
use crate::components::timeline::TimelineView;
use crate::components::viewer::SeePanel;
use crate::folder;
use crate::hooks::use_image_worker::use_image_worker;
use crate::state::{Action, AppState, WhyPane};

/// The whole app.
#[component]
pub fn App() -> Html {
    let state = use_reducer(AppState::default);
    let worker = use_image_worker(state.dispatcher());
    let dragging = use_state(|| false);

    // Ask for the selected layer's files whenever the selection or the image changes.
    {
        let worker = worker.clone();
        let (summary_id, selected, tree_layer) = (
            state.summary.as_ref().map(|s| s.id.clone()),
            state.selected,
            state.tree.as_ref().map(|t| t.layer),
        );
        use_effect_with((summary_id.clone(), selected), move |_| {
            if summary_id.is_some() && tree_layer != Some(selected) {
                worker.tree(selected);
            }
        });
    }
    // Plan a partial squash when its first layer changes.
    {
        let worker = worker.clone();
        let (from, has) = (state.from, state.summary.is_some());
        use_effect_with(
            (state.summary.as_ref().map(|s| s.id.clone()), from),
            move |_| {
                if has && from > 0 {
                    worker.plan(from);
                }
            },
        );
    }

    let open = {
        let worker = worker.clone();
        Callback::from(move |f: File| worker.open(f, None))
    };
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            // Leaving for a child element also fires dragleave; only the page edge counts.
            if e.related_target().is_none() {
                dragging.set(false);
            }
        })
    };
    let ondrop = {
        let (open, dragging) = (open.clone(), dragging.clone());
        let failed = state
            .dispatcher()
            .to_callback()
            .reform(|m: String| Action::Failed(m.into()));
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            if let Some(dir) = e.data_transfer().and_then(|d| folder::dropped_dir(&d)) {
                folder::open_dropped(dir, open.clone(), failed.clone());
                return;
            }
            if let Some(f) = e
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|l| l.get(0))
            {
                open.emit(f);
            }
        })
    };
    let d = state.dispatcher().to_callback();
    let onerror = d.reform(|message: String| Action::Failed(message.into()));
    let onselect = d.reform(Action::Select);
    let onfrom = d.reform(Action::SetFrom);
    let dismiss = d.reform(|_| Action::ClearError);
    let cancel = {
        let worker = worker.clone();
        Callback::from(move |_| worker.cancel())
    };
    let onbuild = {
        let (worker, from) = (worker.clone(), state.from);
        Callback::from(move |tags: Vec<String>| worker.build(from, tags))
    };
    let onsave = {
        let worker = worker.clone();
        Callback::from(move |()| worker.save_again())
    };
    let onfocus = {
        let (worker, d) = (worker.clone(), d.clone());
        Callback::from(move |(layer, path): (usize, String)| {
            d.emit(Action::Focus {
                layer,
                path: path.clone(),
            });
            worker.why(path);
        })
    };
    let onpath = {
        let worker = worker.clone();
        Callback::from(move |path: String| worker.why(path))
    };
    let ondeep = {
        let worker = worker.clone();
        Callback::from(move |_| worker.deep_scan())
    };
    let close_why = d.reform(|_| Action::CloseWhy);
    let onexport = {
        let worker = worker.clone();
        Callback::from(move |()| worker.export_json())
    };
    let oncheck = {
        let worker = worker.clone();
        Callback::from(move |text: String| worker.ci_check(text))
    };
    let onpick = {
        let worker = worker.clone();
        Callback::from(move |i: usize| worker.reopen_image(i))
    };

    let body = match state.summary.clone() {
        None => html! {},
        Some(summary) => {
            let figures = if state.from == 0 {
                state.squash_all
            } else {
                state.plan
            };
            html! {
                <>
                    <div class="two-col">
                        <Overview summary={summary.clone()} squash_all={state.squash_all} file_name={state.file_name.clone().unwrap_or_default()} millis={state.analyze_millis} {onpick} />
                        <LayerCake summary={summary.clone()} selected={state.selected} onselect={onselect.clone()} />
                    </div>
                    <LayerTable summary={summary.clone()} selected={state.selected} onselect={onselect.clone()} onsquashfrom={onfrom.clone()} />
                    if let Some(waste) = state.waste.clone() {
                        <Findings {waste} onfocus={onfocus} onselect={onselect.clone()} {ondeep} busy={state.busy.is_some()} />
                    }
                    <SquashPanel summary={summary.clone()} from={state.from} {figures} onfrom={onfrom} {onbuild} {onsave} busy={state.busy.is_some()} built={state.built.clone()} />
                    if let Some(path) = state.why.path() {
                        <TimelineView path={path.to_string()} loaded={matches!(state.why, WhyPane::Answered(..))} timeline={match &state.why { WhyPane::Answered(_, t) => t.clone(), _ => None }} onclose={close_why} onselect={onselect.clone()} />
                    }
                    <FileTreeView tree={state.tree.as_ref().filter(|t| t.layer == state.selected).map(|t| t.tree.clone())} layer={Some(state.selected)} layer_count={summary.layers.len()} onlayer={onselect.clone()} focus={state.focus.clone().map(AttrValue::from)} {onpath} />
                    <SeePanel worker={worker.clone()} layers={summary.layers.len()} selected={state.selected} path={state.why.path().map(|p| AttrValue::from(p.to_string()))} onselect={onselect.clone()} image={AttrValue::from(summary.id.clone())} />
                    <CiBridge file_name={state.file_name.clone().unwrap_or_default()} image={summary.index} images={summary.images.len()} deep={state.waste.as_ref().is_some_and(|w| w.deep)} ci={state.ci.clone()} exported={state.exported.clone()} {onexport} {oncheck} />
                </>
            }
        }
    };
    html! {
        <main class={classes!("app", dragging.then_some("dragging"))} {ondragover} {ondragleave} {ondrop}>
            <header class="top">
                <span class="brand">{ "layerlens" }</span>
                <span class="muted">{ "container image layers, in your browser — nothing is uploaded" }</span>
                <span id="worker-status" class={if state.worker_ready { "status ready" } else { "status starting" }}>{ if state.worker_ready { "worker ready" } else { "worker starting…" } }</span>
            </header>
            <DropZone onfile={open} {onerror} compact={state.summary.is_some()} />
            if let Some(f) = state.error.clone() { <ErrorBanner message={f.message} kind={f.kind} ondismiss={dismiss} /> }
            if let Some(b) = state.busy.clone() { <ProgressBar busy={b} oncancel={cancel} /> }
            { body }
            if *dragging { <div class="drop-overlay" aria-hidden="true">{ "Drop the image to analyse it" }</div> }
        </main>
    }
}
