//! dive's per-path tally (`CumulativeSize`, `minDiscoveredSize`, the count of layers), kept
//! compact: every dive path is a node of one trie whose names are slices of the entries'
//! paths, and its figures sit in the node. A million paths cost 40 bytes each and a slot in
//! one hash table of node numbers, instead of an owned copy of each path in a map.

use alloc::vec::Vec;

use hashbrown::HashTable;

use super::tree::child_hash;
use crate::hashing::PathHashing;

/// Not yet recorded (a directory on the way to a path, never sighted itself).
const UNRECORDED: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Path<'s> {
    /// The last name (the root's is empty).
    name: &'s [u8],
    cumulative: i64,
    /// `-1` until a size is seen.
    min: i64,
    parent: u32,
    /// Layers that counted the path ([`UNRECORDED`] until dive records it).
    count: u32,
}

/// The figures of one recorded path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stat {
    pub cumulative: i64,
    pub min: i64,
    pub count: u32,
}

/// Every dive path sighted so far, with its figures.
pub(super) struct Sightings<'s> {
    paths: Vec<Path<'s>>,
    index: HashTable<u32>,
    hashing: PathHashing,
}

impl<'s> Sightings<'s> {
    pub fn new() -> Self {
        Sightings {
            paths: alloc::vec![Path {
                name: b"",
                cumulative: 0,
                min: -1,
                parent: u32::MAX,
                count: UNRECORDED,
            }],
            index: HashTable::new(),
            hashing: PathHashing::default(),
        }
    }

    /// The node of name `name` below `parent` (0 is the root), made if missing.
    pub fn child(&mut self, parent: u32, name: &'s [u8]) -> u32 {
        let hash = child_hash(&self.hashing, parent, name);
        let paths = &self.paths;
        let found = self.index.find(hash, |&c| {
            paths
                .get(c as usize)
                .is_some_and(|p| p.parent == parent && p.name == name)
        });
        if let Some(&id) = found {
            return id;
        }
        let id = self.paths.len() as u32;
        self.paths.push(Path {
            name,
            cumulative: 0,
            min: -1,
            parent,
            count: UNRECORDED,
        });
        let (paths, hashing) = (&self.paths, &self.hashing);
        self.index.insert_unique(hash, id, |&c| {
            paths
                .get(c as usize)
                .map_or(0, |p| child_hash(hashing, p.parent, p.name))
        });
        id
    }

    /// The node of the path made of `names` (every name kept, empty ones too: `/a/` is not
    /// `/a`), made if missing.
    pub fn path(&mut self, names: &[&'s [u8]]) -> u32 {
        names.iter().fold(0, |node, name| self.child(node, name))
    }

    /// dive records a path (cumulative 0, no size yet) before it sizes it.
    pub fn record(&mut self, id: u32) {
        if let Some(p) = self.paths.get_mut(id as usize) {
            if p.count == UNRECORDED {
                p.count = 0;
            }
        }
    }

    /// Adds one sighting of `size`; returns the path's count after it.
    pub fn sight(&mut self, id: u32, size: i64) -> u32 {
        let Some(p) = self.paths.get_mut(id as usize) else {
            return 0;
        };
        if p.count == UNRECORDED {
            p.count = 0;
        }
        p.cumulative = p.cumulative.wrapping_add(size);
        if p.min < 0 || size < p.min {
            p.min = size;
        }
        p.count += 1;
        p.count
    }

    /// The figures of a recorded path.
    pub fn stat(&self, id: u32) -> Option<Stat> {
        self.paths
            .get(id as usize)
            .filter(|p| p.count != UNRECORDED)
            .map(|p| Stat {
                cumulative: p.cumulative,
                min: p.min,
                count: p.count,
            })
    }

    /// The figures of every recorded path.
    pub fn stats(&self) -> impl Iterator<Item = Stat> + '_ {
        (0..self.paths.len() as u32).filter_map(|id| self.stat(id))
    }

    /// dive's path of a node: `/` before every name.
    pub fn bytes(&self, id: u32) -> Vec<u8> {
        let mut names = Vec::new();
        let mut node = id;
        while let Some(p) = self.paths.get(node as usize) {
            if node == 0 {
                break;
            }
            names.push(p.name);
            node = p.parent;
        }
        let mut out = Vec::with_capacity(names.iter().map(|n| n.len() + 1).sum());
        for name in names.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(name);
        }
        out
    }
}
