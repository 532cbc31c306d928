//! The union filesystem model: whiteout rules, the union of layers, and per-layer change sets.

mod change;
mod range;
mod resolve;
mod summary;
mod union;
pub mod whiteout;

pub use change::{
    path_as_shown, Anomaly, Change, ChangeCounts, ChangeKind, ChangeSet, Diff, Removal,
};
pub use range::{RangeChange, RangeDiff};
pub use resolve::{resolve, Follow, Resolved, MAX_SYMLINKS};
pub use summary::FsSummary;
pub use union::{FinalEntries, Node, UnionFs};

#[cfg(test)]
mod tests;
