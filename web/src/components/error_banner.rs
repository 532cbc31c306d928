//! A failure in plain words, dismissable; the app keeps working. Names in the message are
//! escaped like everywhere else (the worker's text may quote an archive member or entry).

use layerlens_core::sanitize::display_text;
use yew::prelude::*;

/// Props of [`ErrorBanner`].
#[derive(Properties, PartialEq)]
pub struct ErrorBannerProps {
    /// The message.
    pub message: AttrValue,
    /// The core's error kind (`tar`, `limit`, `io`, …), if it came from the core.
    #[prop_or_default]
    pub kind: Option<String>,
    /// Dismiss it.
    pub ondismiss: Callback<()>,
}

/// Shows an error.
#[component]
pub fn ErrorBanner(props: &ErrorBannerProps) -> Html {
    let dismiss = props.ondismiss.reform(|_: MouseEvent| ());
    html! {
        <div class="error-banner" role="alert" id="error" tabindex="-1" data-kind={props.kind.clone()}>
            <strong>{ "⚠ Could not do that: " }</strong>
            <span class="error-text">{ display_text(&props.message) }</span>
            <button class="link" onclick={dismiss} aria-label="Dismiss the error">{ "Dismiss" }</button>
        </div>
    }
}
