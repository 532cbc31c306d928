//! Layer indexes made outside [`super::Image::load`]'s own loop, keyed by where each blob's
//! bytes start: while a pipe streamed by ([`super::Piped`]), or by the host on several threads
//! ([`crate::Indexed::open_indexing`]).

use alloc::collections::BTreeMap;

use crate::archive::BlobRef;
use crate::error::{Error, Result};
use crate::layer::LayerIndex;

/// Layer indexes keyed by blob offset. A blob that failed to index keeps its error, raised
/// only if the image uses it (as indexing it in [`super::Image::load`] would).
#[derive(Default)]
pub struct BlobIndexes {
    by_offset: BTreeMap<u64, Result<LayerIndex>>,
}

impl BlobIndexes {
    /// Records the index (or the failure) of the blob whose bytes start at `offset`.
    pub fn insert(&mut self, offset: u64, index: Result<LayerIndex>) {
        self.by_offset.insert(offset, index);
    }

    /// The index of the layer blob `blob`.
    ///
    /// # Errors
    /// The blob did not read as a layer, or indexing it failed.
    pub fn take(&mut self, blob: &BlobRef) -> Result<LayerIndex> {
        match self.by_offset.remove(&blob.offset) {
            Some(result) => result,
            None => Err(Error::archive(
                "this layer blob is neither a tar nor a gzip or zstd stream",
            )),
        }
    }
}

impl FromIterator<(u64, Result<LayerIndex>)> for BlobIndexes {
    fn from_iter<I: IntoIterator<Item = (u64, Result<LayerIndex>)>>(iter: I) -> Self {
        BlobIndexes {
            by_offset: iter.into_iter().collect(),
        }
    }
}
