//! The size map, the report and the squash before/after, from the same core functions `layerlens report` calls.

use layerlens_core::report::of_analysis;
use layerlens_core::sanitize::display_text;
use layerlens_core::view::squash_compare::BeforeAfter;
use layerlens_core::view::treemap::{Scope, Treemap, TreemapOptions};

use super::{post, Session};
use crate::protocol::{Event, Failure, MapEvent, MapRequest};

pub(super) fn answer(s: &mut Session, request: MapRequest) -> Result<(), Failure> {
    match request {
        MapRequest::SizeMap { layer } => {
            let scope = match layer {
                Some(n) if n < s.analysis.image().layers.len() => Scope::Layer(n),
                Some(n) => return Err(format!("there is no layer {n}").into()),
                None => Scope::Final,
            };
            let map = Treemap::new(s.analysis.model(), scope, &TreemapOptions::default());
            post(&Event::Map(MapEvent::SizeMap { map: Box::new(map) }), None);
        }
        MapRequest::Report => {
            let waste = s.analysis.waste(None);
            // The file's name as `layerlens report` shows it.
            let file = display_text(&s.file.name());
            let html = of_analysis(&file, &s.analysis, &waste);
            let name = s.file.name();
            let stem = name.strip_suffix(".tar").unwrap_or(&name);
            let bytes = js_sys::Uint8Array::from(html.as_bytes());
            post(
                &Event::Map(MapEvent::Report {
                    name: format!("{stem}.report.html"),
                    size: html.len() as f64,
                }),
                Some(&bytes),
            );
        }
        MapRequest::BeforeAfter { from } => {
            let plan = super::plan(s, from, Vec::new())?;
            let view = BeforeAfter::new(s.analysis.model(), &plan);
            post(
                &Event::Map(MapEvent::BeforeAfter {
                    view: Box::new(view),
                }),
                None,
            );
        }
    }
    Ok(())
}
