//! The digests that name the layers and the image, with their formulas; "Verify" has the
//! worker recompute them from the bytes (with progress) and says, per digest, whether they
//! match.

use std::rc::Rc;

use layerlens_core::present::human_size;
use layerlens_core::teach::digests::{
    BLOB_FORMULA, CHAIN_ID_FORMULA, DIFF_ID_FORMULA, IMAGE_ID_FORMULA,
};
use layerlens_core::teach::Digests;
use yew::prelude::*;

/// Props of [`DigestsView`].
#[derive(Properties, PartialEq)]
pub struct DigestsViewProps {
    /// The declared digests (none until the worker answers).
    pub digests: Option<Rc<Digests>>,
    /// The last verification and the config's recomputed digest.
    pub verified: Option<super::Verified>,
    /// Verify.
    pub onverify: Callback<()>,
}

fn outcome(ok: bool) -> Html {
    if ok {
        html! { <span class="verify-ok" data-verify="match">{ "✓ match" }</span> }
    } else {
        html! { <span class="verify-bad" data-verify="mismatch">{ "✗ mismatch" }</span> }
    }
}

/// Shows the digests.
#[component]
pub fn DigestsView(props: &DigestsViewProps) -> Html {
    let Some(d) = props.digests.clone() else {
        return html! { <section id="digests" class="digests"><h3>{ "Digests" }</h3><p class="muted">{ "Reading the digests…" }</p></section> };
    };
    let onclick = {
        let cb = props.onverify.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let (result, config) = match &props.verified {
        Some((r, c)) => (Some(r.clone()), Some(c.clone())),
        None => (None, None),
    };
    let recomputed = |i: usize| match result.as_deref() {
        Some(Ok(v)) => v.get(i).cloned(),
        _ => None,
    };
    let rows = d.layers.iter().map(|l| {
        let again = recomputed(l.position);
        let blob = match (l.blob_digest, &again) {
            (Some(b), _) => b.to_string(),
            (None, Some(r)) => r.blob_digest.clone(),
            (None, None) => format!("not declared ({})", l.member),
        };
        let blob_check = again.as_ref().map(|r| match l.blob_digest {
            Some(b) => outcome(b.to_string() == r.blob_digest),
            None => html! { <span class="muted" data-verify="computed">{ "computed" }</span> },
        });
        let diff_check = again
            .as_ref()
            .map(|r| outcome(l.diff_id.to_string() == r.diff_id));
        html! {
            <tr data-layer={l.position.to_string()}>
                <th scope="row">{ l.position }</th>
                <td>{ format!("{} {}", l.compression.name(), human_size(l.blob_size)) }</td>
                <td class="mono digest" data-digest="blob">{ blob }{ " " }{ blob_check.unwrap_or_default() }</td>
                <td class="mono digest" data-digest="diff_id">{ l.diff_id.to_string() }{ " " }{ diff_check.unwrap_or_default() }</td>
                <td class="mono digest" data-digest="chain_id" title={l.chain_input.clone().map(|i| format!("sha256(\"{i}\")")).unwrap_or_else(|| "the diff_id of the base layer".into())}>{ l.chain_id.to_string() }</td>
            </tr>
        }
    });
    let image_check = config
        .as_ref()
        .map(|c| outcome(*c == d.image_id.to_string()));
    let declared = d.config_declared.map(|c| {
        html! { <p>{ "Declared by the archive as " }<code id="config-declared">{ c.to_string() }</code>{ " " }{ outcome(c == d.image_id) }</p> }
    });
    let status = match result.as_deref() {
        None => html! {},
        Some(Ok(_)) => {
            html! { <p id="verify-result" class="verify-ok" role="status" data-verify="match">{ "Verified: every blob digest, diff_id and the image ID match the bytes." }</p> }
        }
        Some(Err(e)) => {
            html! { <p id="verify-result" class="verify-bad" role="status" data-verify="mismatch">{ format!("Mismatch: {e}") }</p> }
        }
    };
    html! {
        <section id="digests" class="digests" aria-labelledby="digests-title">
            <h3 id="digests-title">{ "Digests" }</h3>
            <dl class="formulas">
                <dt>{ "blob digest" }</dt><dd><code>{ BLOB_FORMULA }</code></dd>
                <dt>{ "diff_id" }</dt><dd><code>{ DIFF_ID_FORMULA }</code></dd>
                <dt>{ "chain ID" }</dt><dd><code>{ CHAIN_ID_FORMULA }</code></dd>
                <dt>{ "image ID" }</dt><dd><code>{ IMAGE_ID_FORMULA }</code></dd>
            </dl>
            <p>{ "Image ID " }<code id="image-id">{ d.image_id.to_string() }</code>{ format!(" ({} config bytes) ", d.config_size) }{ image_check.unwrap_or_default() }</p>
            { declared.unwrap_or_default() }
            <div class="table-scroll">
                <table class="digest-table">
                    <thead><tr><th scope="col">{ "Layer" }</th><th scope="col">{ "Blob" }</th><th scope="col">{ "Blob digest" }</th><th scope="col">{ "diff_id" }</th><th scope="col">{ "chain ID" }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            <p><button id="verify" {onclick}>{ "Verify: recompute from the bytes" }</button></p>
            { status }
        </section>
    }
}
