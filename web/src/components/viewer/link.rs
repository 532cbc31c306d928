//! Deep links: the URL's fragment keeps the view, the layer(s) and the path
//! (`#see=file&layer=3&path=%2Fetc%2Fpasswd`), so a reload with the same file, or a link
//! given to someone who has it, comes back to the same place.

/// What a fragment says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    /// `file`, `diff`, `range` or `history`.
    pub view: String,
    /// The layer of the file view.
    pub layer: Option<usize>,
    /// The path.
    pub path: Option<String>,
    /// The old state of a diff (`None` with `from_empty`: the empty filesystem).
    pub from: Option<usize>,
    /// `from=empty`.
    pub from_empty: bool,
    /// The new state of a diff.
    pub to: Option<usize>,
}

impl Link {
    /// Parses `#see=…&…` (anything else gives `None`).
    pub fn parse(hash: &str) -> Option<Link> {
        let mut link = Link::default();
        for pair in hash.trim_start_matches('#').split('&') {
            let (k, v) = pair.split_once('=')?;
            let v = js_sys::decode_uri_component(v).ok()?.as_string()?;
            match k {
                "see" => link.view = v,
                "layer" => link.layer = v.parse().ok(),
                "path" => link.path = Some(v),
                "from" if v == "empty" => link.from_empty = true,
                "from" => link.from = v.parse().ok(),
                "to" => link.to = v.parse().ok(),
                _ => {}
            }
        }
        (!link.view.is_empty()).then_some(link)
    }

    /// The fragment, `#` included.
    pub fn format(&self) -> String {
        let enc = |s: &str| String::from(js_sys::encode_uri_component(s));
        let mut out = format!("#see={}", enc(&self.view));
        if let Some(l) = self.layer {
            out.push_str(&format!("&layer={l}"));
        }
        if let Some(p) = &self.path {
            out.push_str(&format!("&path={}", enc(p)));
        }
        if self.from_empty {
            out.push_str("&from=empty");
        } else if let Some(f) = self.from {
            out.push_str(&format!("&from={f}"));
        }
        if let Some(t) = self.to {
            out.push_str(&format!("&to={t}"));
        }
        out
    }

    /// The current page's link, if its fragment is one.
    pub fn current() -> Option<Link> {
        let hash = web_sys::window()?.location().hash().ok()?;
        Link::parse(&hash)
    }

    /// Makes this the page's fragment without adding a history entry.
    pub fn show(&self) {
        let Some(w) = web_sys::window() else { return };
        let url = self.format();
        if w.location().hash().ok().as_deref() == Some(url.as_str()) {
            return;
        }
        if let Ok(h) = w.history() {
            let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
}
