//! The squash options the page set: kept here for every later plan and build, so the
//! figures shown, the estimate and the Blob built all come from the same options, parsed by
//! the core exactly as the CLI parses its flags.

use std::cell::RefCell;

use layerlens_core::squash::{Compress, Format, SquashOptions, SquashPlan, Written};

use super::{plan, post, Session};
use crate::protocol::{
    DropLine, Event, Failure, OptionsPlan, SquashOptionsEvent, SquashOptionsRequest,
};

/// Bytes of the new layer compressed for the estimate: the CLI's sample.
const ESTIMATE_SAMPLE: u64 = 8 << 20;

thread_local! {
    static CURRENT: RefCell<SquashOptionsRequest> = RefCell::new(SquashOptionsRequest::default());
}

/// Back to the defaults (a new image).
pub(super) fn reset() {
    CURRENT.with(|c| *c.borrow_mut() = SquashOptionsRequest::default());
}

/// The core's options for `from` and `tags` with the page's current squash options.
pub(super) fn options(from: usize, tags: Vec<String>) -> Result<SquashOptions, Failure> {
    CURRENT.with(|c| parse(&c.borrow(), from, tags))
}

fn parse(
    r: &SquashOptionsRequest,
    from: usize,
    tags: Vec<String>,
) -> Result<SquashOptions, Failure> {
    let core = Failure::from;
    let format = if r.format.is_empty() {
        Format::Docker
    } else {
        Format::parse(&r.format).map_err(core)?
    };
    let compress = if r.compress.is_empty() {
        Compress::None
    } else {
        Compress::parse(&r.compress, None).map_err(core)?
    };
    Ok(SquashOptions {
        from,
        tags: (!tags.is_empty()).then_some(tags),
        created: None,
        drop: r.drop.clone(),
        source_date_epoch: r.source_date_epoch,
        format,
        compress,
    })
}

/// The plan with the estimate the CLI prints for a compressed layer.
pub(super) fn estimated(s: &mut Session, from: usize) -> Result<SquashPlan, Failure> {
    let mut p = plan(s, from, Vec::new())?;
    if p.compress != Compress::None {
        s.analysis.estimate_squash(&mut p, ESTIMATE_SAMPLE)?;
    }
    Ok(p)
}

/// Sets the options (when they parse and plan) and answers with their plan; a refusal keeps
/// the previous options.
pub(super) fn set(s: &mut Session, request: SquashOptionsRequest) -> Result<(), Failure> {
    let from = request.from;
    let previous = CURRENT.with(|c| c.replace(request));
    let result = estimated(s, from).map(|p| summary(&p));
    if result.is_err() {
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
    post(
        &Event::SquashOptions(SquashOptionsEvent {
            result: result.map_err(|f| f.message),
        }),
        None,
    );
    Ok(())
}

fn summary(p: &SquashPlan) -> OptionsPlan {
    let d = p.layer.dropped.as_ref();
    OptionsPlan {
        layer_size: p.layer_size,
        layer_blob_size: p.layer_blob_size,
        exact: p.archive_size_exact,
        archive_size: p.archive_size,
        dropped_bytes: p.savings.dropped,
        drops: d
            .map(|d| {
                d.patterns
                    .iter()
                    .map(|t| DropLine {
                        pattern: t.pattern.clone(),
                        paths: t.paths,
                        bytes: t.bytes,
                        hidden: t.hidden,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        links_rewritten: d.map_or(0, |d| d.links_repointed + d.links_materialised),
        created: p.created.clone(),
        mtimes_clamped: p.layer.mtimes_clamped,
    }
}

/// After a build: the exact sizes, as the CLI prints them once written.
pub(super) fn written(p: &SquashPlan, w: &Written) {
    let mut exact = summary(p);
    exact.layer_blob_size = w.layer.size;
    exact.archive_size = w.size;
    exact.exact = true;
    post(
        &Event::SquashOptions(SquashOptionsEvent { result: Ok(exact) }),
        None,
    );
}
