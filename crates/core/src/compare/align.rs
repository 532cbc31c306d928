//! Layer alignment: the base both images share (the longest common prefix of diff_ids, so
//! the chain IDs agree too), then each side's own layers.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::image::{step, Image};

/// One layer as the alignment shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlignedLayer {
    /// Position in its image (0 = base).
    pub position: usize,
    /// diff_id.
    pub diff_id: Digest,
    /// Chain ID.
    pub chain_id: Digest,
    /// Content bytes of its regular files.
    pub size: u64,
    /// Entries in its tar.
    pub entries: usize,
    /// The build step that made it, as a Dockerfile line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}

/// Where two layer stacks agree and where they part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alignment {
    /// The shared base, bottom up (same diff_ids at the same positions; A's steps).
    pub shared: Vec<AlignedLayer>,
    /// A's layers above the shared base.
    pub a: Vec<AlignedLayer>,
    /// B's layers above the shared base.
    pub b: Vec<AlignedLayer>,
}

impl Alignment {
    /// Aligns the layers of `a` and `b`.
    pub fn new(a: &Image, b: &Image) -> Self {
        let common = a
            .layers
            .iter()
            .zip(&b.layers)
            .take_while(|(x, y)| x.diff_id == y.diff_id)
            .count();
        Alignment {
            shared: layers(a, 0),
            a: Vec::new(),
            b: Vec::new(),
        }
        .split(common, a, b)
    }

    fn split(mut self, common: usize, a: &Image, b: &Image) -> Self {
        self.shared.truncate(common);
        self.a = layers(a, common);
        self.b = layers(b, common);
        self
    }

    /// Whether the two stacks are the same layers (`--strict-layers`).
    pub fn same_layers(&self) -> bool {
        self.a.is_empty() && self.b.is_empty()
    }
}

fn layers(image: &Image, from: usize) -> Vec<AlignedLayer> {
    image
        .layers
        .iter()
        .skip(from)
        .map(|l| AlignedLayer {
            position: l.position,
            diff_id: l.diff_id,
            chain_id: l.chain_id,
            size: l.index.content_size(),
            entries: l.index.entries.len(),
            step: l
                .history
                .as_ref()
                .and_then(|h| h.created_by.as_deref())
                .map(step),
        })
        .collect()
}
