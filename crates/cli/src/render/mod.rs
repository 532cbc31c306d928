//! Rendering results: human tables, the versioned JSON documents, the waste section and
//! the CI gate's JUnit report.

pub mod audit;
pub mod ci_text;
pub mod compare;
pub mod junit;
pub mod table;
pub mod waste;
