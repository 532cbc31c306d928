//! Where a file comes in: drop it anywhere (the page handles the drop), pick it, pick an
//! image folder (an OCI image layout, a `dir:` folder), or try the bundled sample.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, HtmlInputElement};
use yew::prelude::*;

use crate::folder::Folder;

/// Props of [`DropZone`].
#[derive(Properties, PartialEq)]
pub struct DropZoneProps {
    /// A file was chosen.
    pub onfile: Callback<File>,
    /// Loading the sample failed.
    pub onerror: Callback<String>,
    /// Compact form (when an image is already shown).
    #[prop_or_default]
    pub compact: bool,
}

/// The sample image bundled with the site (see scripts/make-sample).
pub const SAMPLE_URL: &str = "./sample.tar";

/// File input, sample button and instructions.
#[component]
pub fn DropZone(props: &DropZoneProps) -> Html {
    let onchange = {
        let onfile = props.onfile.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(f) = input.files().and_then(|l| l.get(0)) {
                onfile.emit(f);
            }
            input.set_value("");
        })
    };
    let onfolder = {
        let (onfile, onerror) = (props.onfile.clone(), props.onerror.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(list) = input.files() {
                match Folder::from_picked(&list).and_then(Folder::into_file) {
                    Ok(f) => onfile.emit(f),
                    Err(e) => onerror.emit(e),
                }
            }
            input.set_value("");
        })
    };
    let sample = {
        let (onfile, onerror) = (props.onfile.clone(), props.onerror.clone());
        Callback::from(move |_: MouseEvent| {
            let (onfile, onerror) = (onfile.clone(), onerror.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match fetch_sample().await {
                    Ok(f) => onfile.emit(f),
                    Err(e) => onerror.emit(format!("the sample could not be loaded: {e}")),
                }
            });
        })
    };
    let class = if props.compact {
        "drop-zone compact"
    } else {
        "drop-zone"
    };
    html! {
        <section class={class} aria-label="Open an image">
            if !props.compact {
                <h1>{ "Drop a " }<code>{ "docker save" }</code>{ " tarball anywhere on this page" }</h1>
                <p class="muted">
                    { "docker-archive (any Docker, podman, buildah, skopeo), OCI archive, gzipped or not; or a folder: an OCI image layout or a skopeo " }<code>{ "dir:" }</code>{ " folder. " }
                    { "Everything runs in this tab: the file is never uploaded." }
                </p>
            }
            <div class="drop-actions">
                <label class="button">
                    { if props.compact { "Open another image…" } else { "Choose a file…" } }
                    <input id="file-input" type="file" class="visually-hidden" accept=".tar,.tar.gz,.tgz,application/x-tar,application/gzip" {onchange} />
                </label>
                <label class="button">
                    { "Choose a folder…" }
                    <input id="folder-input" type="file" class="visually-hidden" webkitdirectory=true onchange={onfolder} />
                </label>
                <button id="try-sample" onclick={sample}>{ "Try a sample" }</button>
            </div>
        </section>
    }
}

async fn fetch_sample() -> Result<File, String> {
    let window = web_sys::window().ok_or("no window")?;
    let resp = JsFuture::from(window.fetch_with_str(SAMPLE_URL))
        .await
        .map_err(|e| format!("{e:?}"))?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| "not a response")?;
    if !resp.ok() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let blob = JsFuture::from(resp.blob().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("{e:?}"))?;
    let parts = js_sys::Array::of1(&blob);
    File::new_with_blob_sequence(&parts, "sample.tar").map_err(|e| format!("{e:?}"))
}
