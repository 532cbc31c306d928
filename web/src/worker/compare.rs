//! The compare view's requests: a second image (B) opened beside the shown one (A), read the
//! same way (seek-based, from the `File`), and compared through the core.

use std::cell::RefCell;

use layerlens_core::analysis::content_diff::diff_contents;
use layerlens_core::compare::{compare, Strictness};
use layerlens_core::layer::EntryRef;
use layerlens_core::{Analysis, ImagePick, Limits};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::File;

use super::{post, with_session, BlobSource, PostProgress, Session};
use crate::protocol::{CompareEvent, CompareRequest, Event, Failure};

/// Largest version a content diff reads into memory (as `layerlens diff` does).
const MAX_COMPARED: u64 = 64 << 20;

/// Image B: its file and analysis.
struct Other {
    file: File,
    analysis: Analysis<BlobSource>,
}

thread_local! {
    static OTHER: RefCell<Option<Other>> = const { RefCell::new(None) };
}

/// Answers one request of the compare view.
pub(super) fn handle(request: CompareRequest, carried: JsValue) {
    match request {
        CompareRequest::Open { image, strict } => with_session(|s| {
            let started = js_sys::Date::now();
            let file = match carried.dyn_into::<File>() {
                Ok(f) => f,
                Err(_) => s.file.clone(),
            };
            let other = open(file, image)?;
            OTHER.with(|o| *o.borrow_mut() = Some(other));
            compared(s, strict, started)
        }),
        CompareRequest::Again { strict } => {
            with_session(|s| compared(s, strict, js_sys::Date::now()))
        }
        CompareRequest::ContentDiff { path, a, b } => with_session(|s| {
            let old = whole_a(s, a)?;
            let new = with_other(|o| whole(&mut o.analysis, b))?;
            let diff = diff_contents(&old, &new);
            post(
                &Event::Compare(CompareEvent::ContentDiff { path, diff }),
                None,
            );
            Ok(())
        }),
    }
}

fn open(file: File, image: Option<usize>) -> Result<Other, Failure> {
    let name = file.name();
    let source = BlobSource::new(file.clone().into()).map_err(|e| e.to_string())?;
    let pick = ImagePick::Index(image.unwrap_or(0));
    let analysis = Analysis::open(source, &pick, Limits::default(), &mut PostProgress::new())
        .map_err(|e| Failure::of(&name, &e))?;
    Ok(Other { file, analysis })
}

fn with_other<T>(f: impl FnOnce(&mut Other) -> Result<T, Failure>) -> Result<T, Failure> {
    OTHER.with(|o| match o.borrow_mut().as_mut() {
        Some(other) => f(other),
        None => Err("choose an image to compare with first".into()),
    })
}

fn compared(s: &mut Session, strict: Strictness, started: f64) -> Result<(), Failure> {
    let event = with_other(|o| {
        let mut progress = PostProgress::new();
        let comparison = compare(&mut s.analysis, &mut o.analysis, strict, &mut progress)
            .map_err(|e| Failure::of("comparing", &e))?;
        let images = o.analysis.image_choices();
        Ok(CompareEvent::Compared {
            comparison: Box::new(comparison),
            name: o.file.name(),
            images,
            image: o.analysis.which(),
            millis: js_sys::Date::now() - started,
        })
    })?;
    post(&Event::Compare(event), None);
    Ok(())
}

fn whole_a(s: &mut Session, r: [u32; 2]) -> Result<Vec<u8>, Failure> {
    whole(&mut s.analysis, r)
}

fn whole(a: &mut Analysis<BlobSource>, [layer, entry]: [u32; 2]) -> Result<Vec<u8>, Failure> {
    let r = EntryRef { layer, entry };
    let size = a.entry(r).map_or(0, |e| e.size);
    if size > MAX_COMPARED {
        return Err(format!(
            "a version of {size} bytes is too large to compare (at most {MAX_COMPARED})"
        )
        .into());
    }
    Ok(a.read_file(r, 0, size, &mut PostProgress::new())?)
}
