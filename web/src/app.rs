//! The root component: holds the state, talks to the worker, lays out the views. A file can be
//! dropped anywhere on the page, and so can an image folder.
//!
//! Layout once an image is shown: the overview, then a sticky section navigation (Layers &
//! files, Waste & findings, History, Squash, CI); under it the split people know from dive —
//! layers on the left, the selected layer's files and a path's history on the right at
//! desktop widths, stacked on a phone — then findings, squash and CI. Cross-links and actions
//! move the focus to what they changed ([`Target`]), scrolled into view.

use std::rc::Rc;

use web_sys::{DragEvent, File};
use yew::prelude::*;

use crate::components::audit::AuditPanel;
use crate::components::ci_bridge::CiBridge;
use crate::components::compare::ComparePanel;
use crate::components::deferred::{focus_in, mount_now, Deferred};
use crate::components::drop_zone::DropZone;
use crate::components::error_banner::ErrorBanner;
use crate::components::file_tree::FileTreeView;
use crate::components::findings::Findings;
use crate::components::font_warmup::FontWarmup;
use crate::components::layer_cake::LayerCake;
use crate::components::layer_table::{LayerFindings, LayerTable};
use crate::components::overview::Overview;
use crate::components::progress_bar::ProgressBar;
use crate::components::size_map::SizeMap;
use crate::components::squash_compare::SquashCompare;
use crate::components::squash_options::SquashOptionsForm;
use crate::components::squash_panel::SquashPanel;
use crate::components::teach::TeachPanel;
use crate::components::timeline::TimelineView;
use crate::components::viewer::SeePanel;
use crate::focus::focus_selector;
use crate::folder;
use crate::hooks::use_image_worker::use_image_worker;
use crate::protocol::RowRef;
use crate::state::{Action, AppState, Target, WhyPane, WorkerStatus};

/// The CSS selector a focus target lives at.
fn selector(t: Target) -> String {
    match t {
        Target::Layer(i) => format!("#layer-table tr.layer-row[data-layer=\"{i}\"]"),
        Target::Files => "#files [role=treeitem][tabindex=\"0\"]".into(),
        Target::History => "#timeline-title".into(),
        Target::SquashFrom => "#squash-from".into(),
        Target::Error => "#error".into(),
        Target::Progress => "#progress".into(),
        Target::Built => "#download-link".into(),
    }
}

/// The whole app.
#[component]
pub fn App() -> Html {
    let state = use_reducer(AppState::default);
    let worker = use_image_worker(state.dispatcher());
    let dragging = use_state(|| false);
    // Findings shown for one layer (from its badge), with a counter so a repeat is new.
    let findings_layer = use_state(|| None::<(usize, u32)>);

    // Move the focus where the last action asked (after the DOM has it).
    use_effect_with(state.jump, move |jump| {
        if let Some(j) = jump {
            match j.target {
                // The squash panel may still wait for its turn (components::deferred).
                Target::SquashFrom | Target::Built => focus_in("squash", &selector(j.target)),
                // So may the file list and the history, right after an image shows.
                Target::History => focus_in("files-pane", &selector(Target::History)),
                Target::Files => {
                    let focus_files = || {
                        if !focus_selector(&selector(Target::Files)) {
                            focus_selector("#files-title");
                        }
                    };
                    if mount_now("files-pane") {
                        crate::timer::after(0, focus_files);
                    } else {
                        focus_files();
                    }
                }
                t => {
                    focus_selector(&selector(t));
                }
            }
        }
    });
    // Plan a partial squash when its first layer changes.
    {
        let worker = worker.clone();
        let shown = state.shown();
        let from = shown.map_or(0, |s| s.from);
        let opened = shown.map(|s| Rc::as_ptr(&s.summary) as usize);
        use_effect_with((opened, from), move |_| {
            if opened.is_some() && from > 0 {
                worker.plan(from);
            }
        });
    }
    // Badges: findings per layer.
    let per_layer = {
        let report = state.shown().and_then(|s| s.report().cloned());
        let layers = state.shown().map_or(0, |s| s.summary.layers.len());
        use_memo((report, layers), |(report, layers)| {
            let mut v = vec![LayerFindings::default(); *layers];
            for f in report.iter().flat_map(|r| r.findings.iter()) {
                if let Some(x) = v.get_mut(f.layer) {
                    x.count += 1;
                    x.worst = Some(x.worst.map_or(f.severity, |w| w.min(f.severity)));
                }
            }
            Rc::new(v)
        })
    };

    let open = use_callback(worker.clone(), |f: File, worker| worker.open(f, None));
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
            dragging.set(false);
            // A drop the compare panel took (its second archive).
            if e.default_prevented() {
                return;
            }
            e.prevent_default();
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
    // The callbacks stay the same objects from render to render unless what they use
    // changes, so a state change (the waste report arriving, a layer chosen) re-renders only
    // the panels whose own props changed (issue 17: the page's tasks at a million entries).
    let dispatcher = state.dispatcher();
    let onerror = use_callback(dispatcher.clone(), |message: String, d| {
        d.dispatch(Action::Failed(message.into()))
    });
    let onselect = use_callback(dispatcher.clone(), |i: usize, d| {
        d.dispatch(Action::Select(i))
    });
    let ongoto = use_callback(dispatcher.clone(), |i: usize, d| {
        d.dispatch(Action::GoToLayer(i))
    });
    let onfrom = use_callback(dispatcher.clone(), |i: usize, d| {
        d.dispatch(Action::SetFrom(i))
    });
    let onsquashfrom = use_callback(dispatcher.clone(), |i: usize, d| {
        d.dispatch(Action::SquashFrom(i))
    });
    let dismiss = use_callback(dispatcher.clone(), |_: (), d| {
        d.dispatch(Action::ClearError);
        // The banner is gone: back to where files are opened.
        focus_selector("#file-input");
    });
    let cancel = use_callback(worker.clone(), |_: (), worker| worker.cancel());
    let busy = state.busy().is_some();
    let onbuild = use_callback(
        (worker.clone(), state.shown().map_or(0, |s| s.from)),
        |tags: Vec<String>, (worker, from)| worker.build(*from, tags),
    );
    let onoptions = use_callback(
        (worker.clone(), dispatcher.clone()),
        |r: crate::protocol::SquashOptionsRequest, (worker, d)| {
            d.dispatch(Action::SquashOptionsSent(r.clone()));
            worker.squash_options(r)
        },
    );
    let onsave = use_callback(worker.clone(), |(), worker| worker.save_again());
    let onfocus = use_callback(
        (worker.clone(), dispatcher.clone()),
        |(layer, path): (usize, String), (worker, d)| {
            d.dispatch(Action::Focus {
                layer,
                path: path.clone(),
            });
            worker.why(path);
        },
    );
    let onpath = use_callback(
        (worker.clone(), state.shown().map(|s| s.selected)),
        |(path, row): (String, Option<u32>), (worker, layer)| match (*layer, row) {
            (Some(layer), Some(row)) => worker.why_row(path, RowRef { layer, row }),
            _ => worker.why(path),
        },
    );
    let ondeep = use_callback(worker.clone(), |_: (), worker| worker.deep_scan());
    let close_why = use_callback(dispatcher.clone(), |_: (), d| d.dispatch(Action::CloseWhy));
    let onexport = use_callback(worker.clone(), |(), worker| worker.export_json());
    let oncheck = use_callback(worker.clone(), |text: String, worker| worker.ci_check(text));
    let onpick = use_callback(worker.clone(), |i: usize, worker| worker.reopen_image(i));
    let onfindings = use_callback(findings_layer.clone(), |layer: usize, findings_layer| {
        let seq = findings_layer.map_or(1, |(_, s)| s + 1);
        findings_layer.set(Some((layer, seq)));
        focus_in("findings", "#findings-title");
    });

    let body = match state.shown() {
        None => html! {},
        Some(shown) => {
            let summary = shown.summary.clone();
            // The path whose history is shown opens in the see-inside panel too, once its
            // history says it is a file at the selected layer (a directory or a removed row
            // has no contents to show).
            let see_path = match &shown.why {
                WhyPane::Answered(p, Some(t)) => t
                    .events
                    .iter()
                    .rev()
                    .find(|e| e.layer <= shown.selected)
                    .filter(|e| !e.kind.is_removed() && matches!(e.entry_kind, Some('-' | 'h')))
                    .map(|_| AttrValue::from(p.clone())),
                _ => None,
            };
            let history = match &shown.why {
                WhyPane::Closed => html! {
                    <p class="muted" id="history-empty">{ "Choose a path in the file tree (Enter, or click its name) or in a finding to see each layer that added, changed or removed it." }</p>
                },
                why => html! {
                    <TimelineView path={why.path().unwrap_or_default().to_string()} loaded={matches!(why, WhyPane::Answered(..))} timeline={match why { WhyPane::Answered(_, t) => t.clone(), _ => None }} onclose={close_why} onselect={ongoto.clone()} />
                },
            };
            html! {
                <>
                    <Overview summary={summary.clone()} squash_all={shown.squash_all()} file_name={shown.file_name.clone()} millis={shown.millis} {onpick} />
                    <nav class="sections" aria-label="Sections">
                        <ul>
                            <li><a href="#layers-files">{ "Layers & files" }</a></li>
                            <li><a href="#findings">{ "Waste & findings" }</a></li>
                            <li><a href="#size-map">{ "Size map" }</a></li>
                            <li><a href="#history">{ "History" }</a></li>
                            <li><a href="#squash">{ "Squash" }</a></li>
                            <li><a href="#audit">{ "Audit" }</a></li>
                            <li><a href="#teach">{ "How layers work" }</a></li>
                            <li><a href="#ci">{ "CI" }</a></li>
                            <li><a href="#compare">{ "Compare" }</a></li>
                        </ul>
                    </nav>
                    <section id="layers-files" class="split" aria-labelledby="layers-files-title">
                        <h2 id="layers-files-title" class="visually-hidden">{ "Layers and files" }</h2>
                        <div class="split-left">
                            <LayerCake summary={summary.clone()} selected={shown.selected} onselect={onselect.clone()} />
                            <LayerTable summary={summary.clone()} selected={shown.selected} onselect={onselect.clone()} onsquashfrom={onsquashfrom} findings={(*per_layer).clone()} {onfindings} />
                        </div>
                        // The file list, a path's history and see-inside come in the next
                        // idle period: the task that first shows the image creates the
                        // overview and the layers alone (issue 17).
                        <div class="split-right"><Deferred id="files-pane">
                            <FileTreeView worker={worker.clone()} image={AttrValue::from(summary.id.clone())} layer={shown.selected} layer_count={summary.layers.len()} onlayer={onselect.clone()} focus={shown.focus.clone()} {onpath} />
                            <section id="history" class="history" aria-labelledby="history-title">
                                <h2 id="history-title" class="visually-hidden">{ "Path history" }</h2>
                                { history }
                            </section>
                            // See inside: the chosen path's contents, diffs, the Dockerfile.
                            <SeePanel worker={worker.clone()} layers={summary.layers.len()} selected={shown.selected} path={see_path} onselect={ongoto.clone()} image={AttrValue::from(summary.id.clone())} />
                        </Deferred></div>
                    </section>
                    <Deferred id="findings">
                        if let Some(waste) = shown.report().cloned() {
                            <Findings {waste} onfocus={onfocus.clone()} onselect={ongoto.clone()} {ondeep} {busy} layer_filter={*findings_layer} />
                        } else {
                            <section class="findings" id="findings" aria-labelledby="findings-title"><h2 id="findings-title" tabindex="-1">{ "Waste and findings" }</h2><p class="muted">{ "Computing the waste report…" }</p></section>
                        }
                    </Deferred>
                    <Deferred id="size-map">
                        <SizeMap worker={worker.clone()} image={AttrValue::from(summary.id.clone())} layers={summary.layers.len()} onopen={onfocus.clone()} />
                    </Deferred>
                    <Deferred id="teach">
                        <TeachPanel worker={worker.clone()} image={AttrValue::from(summary.id.clone())} layers={summary.layers.len()} selected={shown.selected} onselect={onselect.clone()} onpath={onfocus.clone()} />
                    </Deferred>
                    <Deferred id="squash">
                        <SquashPanel summary={summary.clone()} from={shown.from} figures={shown.figures()} {onfrom} {onbuild} {onsave} {busy} built={shown.built.clone()}>
                            <SquashOptionsForm from={shown.from} waste={shown.report().cloned()} report={shown.squash_options.clone()} initial={shown.squash_request.clone()} onchange={onoptions} />
                        </SquashPanel>
                    </Deferred>
                    <Deferred id="squash-compare">
                        <SquashCompare worker={worker.clone()} image={AttrValue::from(summary.id.clone())} from={shown.from} built={shown.built.clone()} />
                    </Deferred>
                    <Deferred id="audit">
                        <AuditPanel worker={worker.clone()} image={AttrValue::from(summary.id.clone())} onfocus={onfocus.clone()} onselect={ongoto.clone()} {busy} />
                    </Deferred>
                    <Deferred id="ci">
                        <section id="ci" class="ci" aria-labelledby="ci-title">
                            <h2 id="ci-title" tabindex="-1">{ "CI" }</h2>
                            <CiBridge file_name={shown.file_name.clone()} image={summary.index} images={summary.images.len()} deep={shown.report().is_some_and(|w| w.deep)} ci={shown.ci.clone()} exported={shown.exported.clone()} {onexport} {oncheck} />
                        </section>
                    </Deferred>
                    <Deferred id="compare">
                        <ComparePanel worker={worker.clone()} image={AttrValue::from(summary.id.clone())} file_name={AttrValue::from(shown.file_name.clone())} images={summary.images.clone()} index={summary.index} />
                    </Deferred>
                </>
            }
        }
    };
    let (status_class, status_text) = match state.worker {
        WorkerStatus::Ready => ("status ready", "Ready — files stay in this tab"),
        WorkerStatus::Starting => ("status starting", "Starting…"),
    };
    html! {
        <div class={classes!("app", dragging.then_some("dragging"))} {ondragover} {ondragleave} {ondrop}>
            <a class="skip-link" href={if state.shown().is_some() { "#image-title" } else { "#main" }}>{ if state.shown().is_some() { "Skip to the image" } else { "Skip to the content" } }</a>
            <header class="top">
                <span class="brand">{ "layerlens" }</span>
                <span class="muted tagline">{ "container image layers, in your browser — nothing is uploaded" }</span>
                <span id="worker-status" class={status_class} role="status" data-layer-workers={state.layer_workers.as_ref().map(|l| l.workers.to_string())} data-layer-workers-ahead={state.layer_workers.as_ref().map(|l| l.ahead.to_string())} data-layer-blobs={state.layer_workers.as_ref().map(|l| l.blobs.to_string())} data-tally={state.layer_workers.as_ref().and_then(|l| l.tally_beside).map(|b| if b { "beside" } else { "after" })}>{ status_text }</span>
            </header>
            <main id="main" class="main" tabindex="-1">
                <DropZone onfile={open} {onerror} compact={state.shown().is_some()} />
                if let Some(f) = state.error.clone() { <ErrorBanner message={f.message} kind={f.kind} ondismiss={dismiss} /> }
                if let Some(b) = state.busy().cloned() { <ProgressBar busy={b} oncancel={cancel} /> }
                { body }
            </main>
            if state.shown().is_none() { <FontWarmup /> }
            if *dragging { <div class="drop-overlay" aria-hidden="true">{ "Drop the image to analyse it" }</div> }
        </div>
    }
}
