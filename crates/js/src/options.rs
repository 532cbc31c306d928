//! The option objects of `open` and `squashPlan` / `squash`, read field by field so that a
//! wrong type says which field and what it wanted.

use js_sys::{Array, Reflect};
use layerlens_core::archive::Selector;
use wasm_bindgen::prelude::*;

/// A field that names an image or a layer: a position or a string (tag, digest, …).
pub enum Spec {
    Position(usize),
    Text(String),
}

impl Spec {
    /// As the CLI's flags take it (`0`, `sha256:ab12…`, `name:tag`).
    pub fn text(self) -> String {
        match self {
            Spec::Position(i) => i.to_string(),
            Spec::Text(s) => s,
        }
    }
}

fn field(options: &JsValue, name: &str) -> Result<Option<JsValue>, String> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    if !options.is_object() {
        return Err("options must be an object".into());
    }
    let v =
        Reflect::get(options, &JsValue::from_str(name)).map_err(|e| crate::input::message(&e))?;
    Ok((!v.is_undefined() && !v.is_null()).then_some(v))
}

fn spec(options: &JsValue, name: &str) -> Result<Option<Spec>, String> {
    let Some(v) = field(options, name)? else {
        return Ok(None);
    };
    if let Some(n) = v.as_f64() {
        if n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64 {
            return Ok(Some(Spec::Position(n as usize)));
        }
        return Err(format!("{name}: {n} is not a position (0, 1, …)"));
    }
    v.as_string()
        .map(|s| Some(Spec::Text(s)))
        .ok_or_else(|| format!("{name}: expected a number or a string"))
}

fn string(options: &JsValue, name: &str) -> Result<Option<String>, String> {
    field(options, name)?
        .map(|v| {
            v.as_string()
                .ok_or_else(|| format!("{name}: expected a string"))
        })
        .transpose()
}

/// `open`'s options: `{image?: number | string, platform?: string}`.
pub fn selector(options: &JsValue) -> Result<Selector, String> {
    Ok(Selector {
        image: spec(options, "image")?.map(Spec::text),
        platform: string(options, "platform")?,
    })
}

/// A squash's options: `{from?: number | string, tag?: string | string[]}`.
pub struct Squash {
    pub from: Option<Spec>,
    pub tags: Option<Vec<String>>,
}

pub fn squash(options: &JsValue) -> Result<Squash, String> {
    let tags = match field(options, "tag")? {
        None => None,
        Some(v) if v.is_string() => v.as_string().map(|s| vec![s]),
        Some(v) if Array::is_array(&v) => Some(
            Array::from(&v)
                .iter()
                .map(|t| t.as_string().ok_or("tag: expected strings"))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err("tag: expected a string or an array of strings".into()),
    };
    Ok(Squash {
        from: spec(options, "from")?,
        tags: tags.filter(|t| !t.is_empty()),
    })
}
