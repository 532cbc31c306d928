//! Squash before and after: the image's stack and the squashed image's side by side, with
//! sizes and IDs, and what each squashed layer's content became (carried into the new layer,
//! or dropped because a later layer deleted or replaced it).
//!
//! The new layer's diff_id and the new image ID exist only once the squashed image is built
//! (they are hashes of its bytes); [`BeforeAfter::with_built`] adds them and the chain ID
//! they make.

use alloc::collections::BTreeSet;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::layer::EntryRef;
use crate::model::Model;
use crate::squash::SquashPlan;

/// One layer of a stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackLayer {
    /// Position.
    pub position: usize,
    /// diff_id (`sha256:…`); `None` for the new layer until it is built.
    pub diff_id: Option<String>,
    /// Chain ID; `None` for the new layer until it is built.
    pub chain_id: Option<String>,
    /// Uncompressed tar bytes.
    pub tar_size: u64,
    /// Entries in the tar.
    pub entries: u64,
    /// The build step (for the new layer: which layers it replaces).
    pub created_by: String,
}

/// What became of one squashed layer's file content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    /// The input layer.
    pub layer: usize,
    /// Files carried into the new layer (live at the end).
    pub carried_files: u64,
    /// Their bytes.
    pub carried_bytes: u64,
    /// Files dropped (a later layer deleted or replaced them).
    pub dropped_files: u64,
    /// Their bytes.
    pub dropped_bytes: u64,
}

/// The two stacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeforeAfter {
    /// First squashed layer.
    pub from: usize,
    /// The image as it is.
    pub before: Vec<StackLayer>,
    /// Its image ID.
    pub before_id: String,
    /// The squashed image: the kept layers, then the new one.
    pub after: Vec<StackLayer>,
    /// Its image ID, once built.
    pub after_id: Option<String>,
    /// Archive bytes before.
    pub archive_before: u64,
    /// Archive bytes after (exact, from the plan).
    pub archive_after: u64,
    /// Uncompressed bytes of the squashed layers.
    pub squashed_tar: u64,
    /// Net bytes the squash saves on them.
    pub saved: i64,
    /// Each squashed layer's content, carried or dropped.
    pub moved: Vec<Moved>,
}

impl BeforeAfter {
    /// The stacks for `plan` (made for the image of `m`).
    pub fn new(m: Model<'_>, plan: &SquashPlan) -> Self {
        let image = m.image;
        let stack: Vec<StackLayer> = image
            .layers
            .iter()
            .map(|l| StackLayer {
                position: l.position,
                diff_id: Some(l.diff_id.to_string()),
                chain_id: Some(l.chain_id.to_string()),
                tar_size: l.index.tar_size,
                entries: l.index.entries.len() as u64,
                created_by: l
                    .history
                    .as_ref()
                    .and_then(|h| h.created_by.clone())
                    .unwrap_or_default(),
            })
            .collect();
        let from = plan.kept;
        let mut after: Vec<StackLayer> = stack.iter().take(from).cloned().collect();
        let last = image.layers.len().saturating_sub(1);
        after.push(StackLayer {
            position: from,
            diff_id: None,
            chain_id: None,
            tar_size: plan.layer_size,
            entries: plan.layer.entries,
            created_by: if from == last {
                alloc::format!("layer {from}, rewritten")
            } else {
                alloc::format!("layers {from}–{last} squashed into one")
            },
        });
        // Bytes still in the final filesystem (as a path or an inode) are carried.
        let live: BTreeSet<EntryRef> =
            m.fs.iter()
                .flat_map(|(_, n)| [n.entry, n.inode_entry])
                .collect();
        let moved = image
            .layers
            .iter()
            .skip(from)
            .map(|l| {
                let mut mv = Moved {
                    layer: l.position,
                    carried_files: 0,
                    carried_bytes: 0,
                    dropped_files: 0,
                    dropped_bytes: 0,
                };
                for (i, e) in l.index.entries.iter().enumerate() {
                    if !e.is_file() {
                        continue;
                    }
                    let r = EntryRef {
                        layer: l.position as u32,
                        entry: i as u32,
                    };
                    if live.contains(&r) {
                        mv.carried_files += 1;
                        mv.carried_bytes += e.size;
                    } else {
                        mv.dropped_files += 1;
                        mv.dropped_bytes += e.size;
                    }
                }
                mv
            })
            .collect();
        BeforeAfter {
            from,
            squashed_tar: stack.iter().skip(from).map(|l| l.tar_size).sum(),
            before: stack,
            before_id: image.id.to_string(),
            after,
            after_id: None,
            archive_before: plan.input_archive_size,
            archive_after: plan.archive_size,
            saved: plan.savings.total(),
            moved,
        }
    }

    /// The same with the built image's ID and its new layer's diff_id, and the chain ID they
    /// make (`sha256(parent chain ID + " " + diff_id)`, the diff_id itself for a base layer).
    /// A diff_id that is no digest leaves the chain ID unknown.
    pub fn with_built(mut self, image_id: &str, diff_id: &str) -> Self {
        let parent = self
            .after
            .iter()
            .rev()
            .nth(1)
            .and_then(|l| l.chain_id.as_deref())
            .and_then(|c| c.parse::<Digest>().ok());
        let chain = diff_id.parse::<Digest>().ok().map(|d| match parent {
            Some(p) => Digest::of(alloc::format!("{p} {d}").as_bytes()).to_string(),
            None => d.to_string(),
        });
        if let Some(new) = self.after.last_mut() {
            new.diff_id = Some(diff_id.into());
            new.chain_id = chain;
        }
        self.after_id = Some(image_id.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::UnionFs;
    use crate::squash::SquashOptions;
    use crate::testing::{docker_archive, load, LayerBuilder as L};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn stacks_and_what_moved() {
        let l0 = L::new().file("base", &[0u8; 10]).build();
        let l1 = L::new()
            .file("a", &[1u8; 100])
            .file("b", &[2u8; 50])
            .build();
        let l2 = L::new().whiteout("a").file("c", &[3u8; 7]).build();
        let bytes = docker_archive(&[l0, l1, l2]);
        let (_, img) = load(&bytes);
        let (fs, cs) = UnionFs::build(img.indexes());
        let m = Model::new(&img, &fs, &cs);
        let options = SquashOptions {
            from: 1,
            ..SquashOptions::default()
        };
        let plan = SquashPlan::new(m, bytes.len() as u64, &options).unwrap();
        let ba = BeforeAfter::new(m, &plan);
        assert_eq!(ba.before.len(), 3);
        assert_eq!(ba.after.len(), 2);
        assert_eq!(ba.after[0], ba.before[0]);
        assert_eq!(ba.after[1].tar_size, plan.layer_size);
        assert_eq!(ba.after[1].diff_id, None);
        let carried: Vec<(usize, u64, u64)> = ba
            .moved
            .iter()
            .map(|m| (m.layer, m.carried_bytes, m.dropped_bytes))
            .collect();
        assert_eq!(carried, [(1, 50, 100), (2, 7, 0)]);
        assert_eq!(ba.before_id, img.id.to_string());
        let d = Digest::of(b"new layer");
        let built = ba.with_built("sha256:abc", &d.to_string());
        let want = Digest::of(alloc::format!("{} {d}", img.layers[0].chain_id).as_bytes());
        assert_eq!(built.after[1].chain_id, Some(want.to_string()));
        assert_eq!(built.after_id.as_deref(), Some("sha256:abc"));
    }
}
