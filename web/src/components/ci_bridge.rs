//! The bridge to CI: the analysis exported as `layerlens analyze --json` prints it, the
//! commands that give the same results on the command line, a pasted `.dive-ci` evaluated as
//! `layerlens ci` evaluates it (pass or fail per rule, and whose figure each rule compares:
//! dive's or layerlens'), with what its path rules found (forbidden paths, layers over the
//! budget, the figures without the ignored paths), and the app's version and commit.

use std::rc::Rc;

use layerlens_core::analysis::ci::{rule_figure, FigureSource, Outcome, PathReport, RuleResult};
use layerlens_core::present::human_size;
use layerlens_core::sanitize::display_text;
use yew::prelude::*;

use crate::protocol::CiChecked;

/// `0.1.0 (commit 1a2b3c4d5e6f)`, as `layerlens --version` prints it.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("LAYERLENS_COMMIT"),
    ")"
);

/// What people paste when they have no `.dive-ci` yet: dive's defaults, written out.
const EXAMPLE: &str = "rules:\n  lowestEfficiency: 0.9\n  highestWastedBytes: disabled\n  highestUserWastedPercent: 0.1\nlayerlens:\n  failOnSecurityFinding: true\n";

/// Props of [`CiBridge`].
#[derive(Properties, PartialEq)]
pub struct CiBridgeProps {
    /// The file shown (as opened).
    pub file_name: AttrValue,
    /// Position of the image shown in the archive.
    pub image: usize,
    /// Images in the archive.
    pub images: usize,
    /// Whether the deep scan's results are shown (the commands then say `--deep`).
    pub deep: bool,
    /// The last `.dive-ci` check.
    pub ci: Option<Result<Rc<CiChecked>, String>>,
    /// The last export: file name and size.
    pub exported: Option<(String, f64)>,
    /// Export the analysis.
    pub onexport: Callback<()>,
    /// Evaluate this `.dive-ci` text.
    pub oncheck: Callback<String>,
}

/// A file name as a shell word: bare when it is plain, else single-quoted.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '+' | ':'));
    if plain {
        s.into()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The CLI's flags for the choices made on the page.
fn flags(props: &CiBridgeProps) -> String {
    let mut f = String::new();
    if props.deep {
        f.push_str(" --deep");
    }
    if props.images > 1 {
        f.push_str(&format!(" --image {}", props.image));
    }
    f
}

fn rule_row(r: &RuleResult) -> Html {
    let (source, figure) = match rule_figure(&r.key) {
        Some(f) => (
            match f.source {
                FigureSource::Dive => "dive-compatible",
                FigureSource::Layerlens => "layerlens",
            },
            f.figure,
        ),
        None => ("", ""),
    };
    let status = r.status.label().trim().to_string();
    html! {
        <tr data-key={r.key.clone()} data-status={format!("{:?}", r.status).to_lowercase()}>
            <td><code>{ r.key.clone() }</code></td>
            <td class={classes!("ci-status", format!("ci-{}", status.to_lowercase()))}>{ status }</td>
            <td>{ r.configured.clone() }</td>
            <td><span class="ci-source">{ source }</span>{ ": " }{ figure }</td>
            <td>{ display_text(&r.message) }</td>
        </tr>
    }
}

/// What the path rules found, as `layerlens ci` lists it under the verdict.
fn paths(p: &PathReport) -> Html {
    let ignored = p.ignored.map(|i| {
        html! {
            <p id="ci-ignored" data-wasted={i.wasted_bytes.to_string()} data-reclaimable={i.reclaimable_bytes.to_string()} data-efficiency={format!("{:.4}", i.efficiency)}>
                { format!("ignorePaths ({}): the waste rules used efficiency {:.4}, wasted bytes {}, user wasted {}, reclaimable {}",
                    display_text(&p.ignore_paths.join(", ")), i.efficiency, i.wasted_bytes,
                    i.user_wasted_ratio.map_or_else(|| "NaN".to_string(), |r| format!("{r:.4}")), i.reclaimable_bytes) }
            </p>
        }
    });
    html! {
        <>
            { for ignored }
            if !p.forbidden.is_empty() {
                <ul id="ci-forbidden">
                    for f in p.forbidden.iter() {
                        <li data-path={f.path.clone()} data-layer={f.layer.to_string()}>{ format!("forbidden: {} (L{}, matches {})", display_text(&f.path), f.layer, display_text(&f.pattern)) }</li>
                    }
                </ul>
            }
            if !p.over_budget.is_empty() {
                <ul id="ci-over-budget">
                    for (layer, size) in p.over_budget.iter() {
                        <li data-layer={layer.to_string()} data-size={size.to_string()}>{ format!("over budget: L{layer} is {size} bytes") }</li>
                    }
                </ul>
            }
        </>
    }
}

/// Shows the CI bridge.
#[component]
pub fn CiBridge(props: &CiBridgeProps) -> Html {
    let text = use_state(|| EXAMPLE.to_string());
    let on_input = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            // A textarea's value, read without a web-sys binding of its own.
            let value = e
                .target()
                .and_then(|t| js_sys::Reflect::get(&t, &"value".into()).ok())
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            text.set(value);
        })
    };
    let on_check = {
        let (cb, text) = (props.oncheck.clone(), text.clone());
        Callback::from(move |_: MouseEvent| cb.emit((*text).clone()))
    };
    let on_export = {
        let cb = props.onexport.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let file = shell_word(&display_text(&props.file_name));
    let flags = flags(props);
    let analyze = format!("layerlens analyze --json{flags} {file}");
    let ci = format!("layerlens ci{flags} --config .dive-ci {file}");
    let result = match &props.ci {
        None => html! {},
        Some(Err(e)) => {
            html! { <p id="ci-error" class="error" role="alert">{ display_text(e) }</p> }
        }
        Some(Ok(c)) => {
            let v = &c.verdict;
            let outcome = match v.outcome {
                Outcome::Pass => "PASS",
                Outcome::Fail => "FAIL",
                Outcome::Misconfigured => "MISCONFIGURED",
            };
            html! {
                <>
                    <p id="ci-outcome" data-outcome={outcome.to_lowercase()}>
                        { "Verdict: " }<strong>{ outcome }</strong>
                        { if c.deep { " (with the deep scan's findings, as with --deep)" } else { " (without the deep scan, as without --deep)" } }
                    </p>
                    for n in c.notes.iter() { <p class="muted">{ format!("note: {}", display_text(n)) }</p> }
                    <table id="ci-results" class="ci-results">
                        <thead><tr><th>{ "rule" }</th><th>{ "result" }</th><th>{ "threshold" }</th><th>{ "figure it compares" }</th><th>{ "message" }</th></tr></thead>
                        <tbody>
                            { for v.dive.results.iter().chain(v.layerlens.results.iter()).map(rule_row) }
                        </tbody>
                    </table>
                    { paths(&c.paths) }
                </>
            }
        }
    };
    html! {
        <section id="ci-bridge" class="card ci-bridge" aria-labelledby="ci-bridge-title">
            <h2 id="ci-bridge-title">{ "The same in CI" }</h2>
            <p>
                <button id="export-json" type="button" onclick={on_export}>{ "Export analysis (JSON)" }</button>
                if let Some((name, size)) = &props.exported {
                    <span id="export-done" class="muted">{ format!(" saved {} ({})", display_text(name), human_size(*size as u64)) }</span>
                }
            </p>
            <p>{ "The export is what this command prints for the same file:" }</p>
            <pre><code id="cli-analyze">{ analyze }</code></pre>
            <p>{ "and this one gates a build on the rules below (exit 1 on a failed rule):" }</p>
            <pre><code id="cli-ci">{ ci }</code></pre>
            <p><label for="dive-ci-text">{ "Paste a .dive-ci (dive's rules, and an optional layerlens: section):" }</label></p>
            <p><textarea id="dive-ci-text" rows="7" cols="60" spellcheck="false" value={(*text).clone()} oninput={on_input} /></p>
            <p><button id="dive-ci-check" type="button" onclick={on_check}>{ "Check the rules" }</button></p>
            <p class="muted">
                { "dive-compatible rules compare dive 0.13.1's figures, which count every copy of a file found in several layers as waste (the final copy too); layerlens rules compare layerlens' figures (bytes the final image cannot see, the squash plan, findings). The two can disagree on the same image." }
            </p>
            { result }
            <p id="app-version" class="muted">{ format!("layerlens {VERSION}") }</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn file_names_become_shell_words() {
        assert_eq!(shell_word("sample.tar"), "sample.tar");
        assert_eq!(shell_word("my image.tar"), "'my image.tar'");
        assert_eq!(shell_word("it's.tar"), r"'it'\''s.tar'");
    }
}
