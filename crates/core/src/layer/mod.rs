//! Layers: entry paths, entries, encodings and the per-layer index.

mod entry;
#[cfg(feature = "std")]
mod estimate;
#[cfg(feature = "std")]
mod gunzipping;
mod header;
mod index;
mod path;
#[cfg(feature = "std")]
mod read;
#[cfg(feature = "std")]
mod resume;

pub use entry::{Entry, EntryKind, EntryRef, Rare, Span, Xattr};
#[cfg(feature = "std")]
pub use estimate::{estimate_entries, guess_tar, TarGuess};
#[cfg(feature = "std")]
pub use gunzipping::Gunzipping;
pub use header::{flag_of, pad, padding, HeaderSpec};
pub use index::{IndexOptions, LayerIndex, Notice, NoticeKind};
pub(crate) use path::subtree_range;
pub use path::{EntryPath, EscapingPath, SubtreeRange};
#[cfg(feature = "std")]
pub use read::{index_layer, index_layer_stream};
#[cfg(feature = "std")]
pub(crate) use read::{parse_pax_time, read_up_to};
#[cfg(feature = "std")]
pub use resume::{Resumable, Resumed};
