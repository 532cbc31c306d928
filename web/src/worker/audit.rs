//! The worker's side of the Audit panel: the content audit, read through the same core call
//! as `layerlens audit`.

use super::{post, PostProgress, Session};
use crate::protocol::{AuditEvent, AuditRequest, Event, Failure};

/// Answers one request of the panel.
pub(super) fn answer(s: &mut Session, request: AuditRequest) -> Result<(), Failure> {
    match request {
        AuditRequest::Run => {
            let mut progress = PostProgress::new();
            let audit = s.analysis.audit(&mut progress)?;
            post(
                &Event::Audit(AuditEvent::Audited {
                    audit: Box::new(audit),
                }),
                None,
            );
        }
    }
    Ok(())
}
