//! Layers: entry paths, entries, encodings and the per-layer index.

mod entry;
mod index;
mod path;

pub use entry::{Entry, EntryKind, EntryRef, Span, Xattr};
pub use index::{index_layer, IndexOptions, LayerIndex, Notice, NoticeKind};
pub(crate) use path::subtree_range;
pub use path::{EntryPath, EscapingPath, SubtreeRange};
