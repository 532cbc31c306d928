//! The compare view: the shown image (A) against a second one (B) — another archive, chosen
//! with "Compare with…" or dropped on the panel, or another image of A's archive. Shows where
//! the layer stacks part, sizes and waste side by side, the directories with the largest
//! deltas, every differing path (a modified file's bytes diffed with the viewer's diff), the
//! config differences and both histories. Every figure is the one `layerlens compare`
//! prints; exact byte counts are in `data-bytes` attributes for the tests.

mod tables;

use std::rc::Rc;

use layerlens_core::analysis::content_diff::ContentDiff;
use layerlens_core::compare::{Comparison, Strictness};
use layerlens_core::view::ImageChoice;
use web_sys::{DragEvent, File, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::viewer::diff::{diff_view, Layout};
use crate::hooks::use_image_worker::ImageWorker;
use crate::protocol::{CompareEvent, CompareRequest};

/// Props of [`ComparePanel`].
#[derive(Properties, PartialEq)]
pub struct ComparePanelProps {
    /// The worker.
    pub worker: ImageWorker,
    /// A's image ID (a new image A resets the panel).
    pub image: AttrValue,
    /// A's file name.
    pub file_name: AttrValue,
    /// The images of A's archive.
    pub images: Vec<ImageChoice>,
    /// A's position among them.
    pub index: usize,
}

/// A comparison as the panel keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// What differs.
    pub comparison: Rc<Comparison>,
    /// B's file name.
    pub name: String,
    /// B's images and which one.
    pub images: Vec<ImageChoice>,
    /// B's image.
    pub image: usize,
    /// Time taken.
    pub millis: f64,
    /// Counts the comparisons shown (a test waits for the next one).
    pub seq: u32,
}

/// The compare section.
#[component]
pub fn ComparePanel(props: &ComparePanelProps) -> Html {
    let shown = use_state(|| None::<Shown>);
    let diff = use_state(|| None::<(String, ContentDiff)>);
    let strict = use_state(Strictness::default);
    // B's file (`None`: A's own archive).
    let file_b = use_mut_ref(|| None::<File>);
    let over = use_state(|| false);
    {
        let (worker, shown, diff) = (props.worker.clone(), shown.clone(), diff.clone());
        let seq = use_mut_ref(|| 0u32);
        use_effect_with(props.image.clone(), move |_| {
            shown.set(None);
            diff.set(None);
            worker.on_compare(Callback::from(move |e: CompareEvent| match e {
                CompareEvent::Compared {
                    comparison,
                    name,
                    images,
                    image,
                    millis,
                } => {
                    diff.set(None);
                    let n = {
                        let mut n = seq.borrow_mut();
                        *n = n.wrapping_add(1);
                        *n
                    };
                    shown.set(Some(Shown {
                        seq: n,
                        comparison: Rc::new(*comparison),
                        name,
                        images,
                        image,
                        millis,
                    }));
                }
                CompareEvent::ContentDiff { path, diff: d } => diff.set(Some((path, d))),
            }));
        });
    }
    let open = {
        let (worker, strict, file_b) = (props.worker.clone(), strict.clone(), file_b.clone());
        Callback::from(move |(file, image): (Option<File>, Option<usize>)| {
            *file_b.borrow_mut() = file.clone();
            worker.compare(
                CompareRequest::Open {
                    image,
                    strict: *strict,
                },
                file,
            );
        })
    };
    let onchange = {
        let open = open.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(f) = input.files().and_then(|l| l.get(0)) {
                open.emit((Some(f), None));
            }
            input.set_value("");
        })
    };
    let ondrop = {
        let (open, over) = (open.clone(), over.clone());
        Callback::from(move |e: DragEvent| {
            // The page's own drop handler (which opens a new image A) leaves a drop whose
            // default is prevented to this target, which is for B.
            e.prevent_default();
            over.set(false);
            if let Some(f) = e
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|l| l.get(0))
            {
                open.emit((Some(f), None));
            }
        })
    };
    let ondragover = {
        let over = over.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            e.stop_propagation();
            if !*over {
                over.set(true);
            }
        })
    };
    let ondragleave = {
        let over = over.clone();
        Callback::from(move |_: DragEvent| over.set(false))
    };
    // Another image of A's archive.
    let onsame = {
        let open = open.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(i) = select.value().parse::<usize>() {
                open.emit((None, Some(i)));
            }
        })
    };
    // Another image of B's archive.
    let onpick_b = {
        let (open, file_b) = (open.clone(), file_b.clone());
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(i) = select.value().parse::<usize>() {
                let f = file_b.borrow().clone();
                open.emit((f, Some(i)));
            }
        })
    };
    let toggle = |pick: fn(&mut Strictness) -> &mut bool| {
        let (worker, strict, shown) = (props.worker.clone(), strict.clone(), shown.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut s = *strict;
            *pick(&mut s) = input.checked();
            strict.set(s);
            if shown.is_some() {
                worker.compare(CompareRequest::Again { strict: s }, None);
            }
        })
    };
    let ondiff = {
        let worker = props.worker.clone();
        Callback::from(move |(path, a, b): (String, [u32; 2], [u32; 2])| {
            worker.compare(CompareRequest::ContentDiff { path, a, b }, None);
        })
    };
    let others: Vec<&ImageChoice> = props.images.iter().collect();
    html! {
        <section id="compare" class="compare" aria-labelledby="compare-title">
            <h2 id="compare-title" tabindex="-1">{ "Compare" }</h2>
            <div id="compare-drop" class={classes!("compare-drop", over.then_some("over"))} {ondrop} {ondragover} {ondragleave}>
                <label class="button" for="compare-input">{ "Compare with…" }</label>
                <input id="compare-input" type="file" class="visually-hidden" accept=".tar,.tgz,.gz,application/x-tar" {onchange} />
                <span class="muted">{ format!(" or drop a second archive here to compare {} with it", props.file_name) }</span>
                if others.len() > 1 {
                    <label for="compare-image">{ " or another image of this archive: " }</label>
                    <select id="compare-image" onchange={onsame}>
                        <option value="" selected=true disabled=true>{ "choose…" }</option>
                        { for others.iter().map(|c| html! {
                            <option value={c.index.to_string()}>{ format!("{} — {}", c.index, c.label) }</option>
                        }) }
                    </select>
                }
            </div>
            <fieldset class="compare-strict">
                <legend>{ "Also compare" }</legend>
                <label><input type="checkbox" id="strict-mtime" checked={strict.mtime} onchange={toggle(|s| &mut s.mtime)} />{ " mtimes" }</label>
                <label><input type="checkbox" id="strict-history" checked={strict.history} onchange={toggle(|s| &mut s.history)} />{ " history" }</label>
                <label><input type="checkbox" id="strict-layers" checked={strict.layers} onchange={toggle(|s| &mut s.layers)} />{ " layer structure" }</label>
            </fieldset>
            if let Some(s) = (*shown).clone() {
                if s.images.len() > 1 {
                    <p>
                        <label for="compare-image-b">{ "Image of B: " }</label>
                        <select id="compare-image-b" onchange={onpick_b}>
                            { for s.images.iter().map(|c| html! {
                                <option value={c.index.to_string()} selected={c.index == s.image}>{ format!("{} — {}", c.index, c.label) }</option>
                            }) }
                        </select>
                    </p>
                }
                { tables::result(&props.file_name, &s, ondiff) }
                if let Some((path, d)) = (*diff).clone() {
                    <section id="compare-diff" aria-label={format!("Content diff of {path}")}>
                        <h3>{ format!("{path}: A → B") }</h3>
                        { diff_view(&d, Layout::Unified) }
                    </section>
                }
            }
        </section>
    }
}
