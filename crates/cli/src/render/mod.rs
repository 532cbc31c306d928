//! Rendering results: human tables and the versioned JSON documents.

pub mod json;
pub mod table;
