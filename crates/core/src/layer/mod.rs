//! Layers: entry paths, entries, encodings and the per-layer index.

pub mod decode;
mod entry;
pub mod guard;
mod index;
mod path;

pub use decode::Compression;
pub use entry::{Entry, EntryKind, Span, Xattr};
pub use index::{index_layer, IndexOptions, LayerIndex, Notice, NoticeKind};
pub(crate) use path::subtree_range;
pub use path::{EntryPath, EscapingPath, SubtreeRange};
