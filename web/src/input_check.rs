//! Is the dropped file still the one that was read? The squashed download is a `Blob` of
//! `File.slice`s, so the browser reads the input again when it saves it. If the file changed
//! or vanished on disk since it was opened, the browser refuses to read it (NotReadableError,
//! NotFoundError): the download would fail part-way, or could only be saved cut short. The
//! browser checks the file's modification time on every read, so reading one byte of the
//! file tells whether any slice of it can still be read.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DomException};

/// `Ok` when `file` can still be read; otherwise why not, in the browser's words.
pub async fn still_readable(file: &Blob) -> Result<(), String> {
    if file.size() < 1.0 {
        return Ok(());
    }
    let first = file
        .slice_with_f64_and_f64(0.0, 1.0)
        .map_err(|e| reason(&e))?;
    let bytes = JsFuture::from(first.array_buffer())
        .await
        .map_err(|e| reason(&e))?;
    match bytes.dyn_into::<js_sys::ArrayBuffer>() {
        Ok(b) if b.byte_length() == 1 => Ok(()),
        _ => Err("the file is shorter than when it was opened".into()),
    }
}

/// The message a failed read gives, written for people.
pub fn failure(name: &str, reason: &str) -> String {
    format!(
        "The squashed image cannot be saved: {name} changed or vanished on disk after it was \
         opened, so the browser can no longer read the parts of it the download is made of \
         ({reason}). Nothing was downloaded; open the file again and rebuild."
    )
}

fn reason(e: &wasm_bindgen::JsValue) -> String {
    match e.dyn_ref::<DomException>() {
        Some(d) => format!("{}: {}", d.name(), d.message()),
        None => format!("{e:?}"),
    }
}
