//! Messages of the Audit panel. They travel inside [`Request::Audit`](super::Request::Audit)
//! and [`Event::Audit`](super::Event::Audit), so the page routes them to the panel on their
//! own.

use layerlens_core::analysis::audit::Audit;
use serde::{Deserialize, Serialize};

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op")]
pub enum AuditRequest {
    /// Run the content audit (reads the files it needs, layer by layer).
    Run,
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op")]
pub enum AuditEvent {
    /// The audit, as `layerlens audit --json` prints it (without its `schema`).
    Audited {
        /// The audit.
        audit: Box<Audit>,
    },
}
