//! Counting a set of union nodes: paths, regular files and content bytes, each hardlinked
//! inode's bytes once. The one place the final filesystem's size is computed.

use alloc::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::union::Node;
use crate::layer::{Entry, EntryRef};

/// Paths, files and content bytes of a set of nodes (the final filesystem, or a subtree).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsSummary {
    /// Paths.
    pub entries: u64,
    /// Regular files among them.
    pub files: u64,
    /// Content bytes (each hardlinked inode once).
    pub size: u64,
}

impl FsSummary {
    /// Counts `nodes`, looking their entries up with `entry`.
    pub fn of<'a, 'e>(
        nodes: impl IntoIterator<Item = &'a Node>,
        entry: impl Fn(EntryRef) -> Option<&'e Entry>,
    ) -> Self {
        let mut s = FsSummary::default();
        let mut inodes = BTreeSet::new();
        for n in nodes {
            s.entries += 1;
            let Some(e) = entry(n.inode_entry) else {
                continue;
            };
            if e.is_file() {
                s.files += 1;
                if inodes.insert(n.inode) {
                    s.size += e.size;
                }
            }
        }
        s
    }
}
