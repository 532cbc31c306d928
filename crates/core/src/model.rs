//! The analysed image as plain data: the image, its final union filesystem, what each layer
//! changed and, once the deep scan has run, content hashes. Every pure analysis (waste,
//! findings, timelines, squash plans, views) takes a [`Model`], so the pieces travel together.

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::fs::{ChangeSet, FsSummary, UnionFs};
use crate::image::Image;
use crate::layer::Entry;
use crate::layer::EntryRef;
use crate::secrets::Masked;

/// An image and what its layers make of it, borrowed from whoever owns them (an
/// `Analysis`, or a test). Cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Model<'a> {
    /// The image, every layer indexed.
    pub image: &'a Image,
    /// The final filesystem.
    pub fs: &'a UnionFs,
    /// What each layer changed, base first (one per layer).
    pub changes: &'a [ChangeSet],
    /// Content hashes, when the deep scan has run.
    pub hashes: Option<&'a ContentHashes>,
}

impl<'a> Model<'a> {
    /// The model of `image` with its union `fs` and change sets `changes` (as
    /// [`UnionFs::build`] returns them for this image), without content hashes.
    pub fn new(image: &'a Image, fs: &'a UnionFs, changes: &'a [ChangeSet]) -> Self {
        Model {
            image,
            fs,
            changes,
            hashes: None,
        }
    }

    /// The same model with the deep scan's hashes.
    pub fn with_hashes(self, hashes: Option<&'a ContentHashes>) -> Self {
        Model { hashes, ..self }
    }

    /// The entry `r` points at.
    pub fn entry(&self, r: EntryRef) -> Option<&'a Entry> {
        self.image.entry(r)
    }

    /// Paths, files and content bytes of the final filesystem.
    pub fn final_fs(&self) -> FsSummary {
        self.fs.summary(|r| self.image.entry(r))
    }
}

/// One hashed entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hashed {
    /// Layer position.
    pub layer: u32,
    /// Entry index in the layer.
    pub entry: u32,
    /// sha256 of its content.
    pub sha256: Digest,
}

/// A secret found in a file's contents by the deep scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentSecret {
    /// Layer position of the file (the layer that added this copy).
    pub layer: u32,
    /// Entry index in the layer.
    pub entry: u32,
    /// 1-based line of the file the secret is on.
    pub line: u64,
    /// What it is, masked.
    #[serde(flatten)]
    pub secret: Masked,
}

/// What the deep scan read from contents: sha256 of the scanned entries, and the secrets in
/// every file it could read as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentHashes {
    /// Sorted by (layer, entry).
    pub(crate) hashes: Vec<Hashed>,
    /// Content bytes hashed.
    pub bytes_hashed: u64,
    /// Secrets in file contents, sorted by (layer, entry, line).
    pub secrets: Vec<ContentSecret>,
    /// Content bytes read for secrets.
    pub bytes_scanned: u64,
}

impl ContentHashes {
    /// The hash of an entry's content, if it was scanned.
    pub fn get(&self, entry: EntryRef) -> Option<&Digest> {
        self.hashes
            .binary_search_by(|h| (h.layer, h.entry).cmp(&(entry.layer, entry.entry)))
            .ok()
            .and_then(|i| self.hashes.get(i))
            .map(|h| &h.sha256)
    }

    /// Whether two entries were scanned and hold the same bytes (`None`: not both scanned).
    pub fn same(&self, a: EntryRef, b: EntryRef) -> Option<bool> {
        Some(self.get(a)? == self.get(b)?)
    }

    /// Number of entries hashed.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether nothing was hashed.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}
