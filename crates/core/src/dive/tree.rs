//! dive 0.13.1's file tree, reproduced node for node: one tree per layer built from the tar
//! entries in order, and the "stacked" tree of lower layers that dive consults to size a
//! whiteout. The quirks are deliberate (they move dive's numbers):
//! - names starting with `.wh..wh..` (the opaque marker) are never added, but the directories
//!   above them are, so a directory holding only an opaque marker becomes an empty leaf;
//! - a directory that a layer only implies (it has entries below it but no entry of its own)
//!   carries an empty payload: size 0 and *not* a directory;
//! - stacking an upper tree writes every upper node's payload onto the lower tree, implied
//!   directories included, which blanks the lower directory's "is a directory" flag;
//! - the base tree is copied and then stacked onto itself, so its whiteout entries stay in
//!   the stacked tree as ordinary nodes.
//!
//! Compact on purpose (a million-entry image has a million nodes here, beside the union): a
//! node is 40 bytes in one vector, its name a slice of the entry's path (never a copy), its
//! children a linked list; one hash table of node numbers, keyed by (parent, name), finds a
//! child. Siblings are put in byte order only when a walk needs them in that order.

use alloc::vec::Vec;
use core::hash::{BuildHasher, Hasher};

use hashbrown::HashTable;

use crate::hashing::PathHashing;

/// What dive keeps of a tar header: the size field and whether it is a directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Info {
    pub size: i64,
    pub is_dir: bool,
}

/// No node (an end of a child list).
const NONE: u32 = u32::MAX;
/// `Node::flags`: the payload says directory.
const IS_DIR: u8 = 1;
/// `Node::flags`: the name starts with `.wh.`.
const WHITEOUT: u8 = 2;
/// `Node::flags`: removed from its parent (still in its parent's child list, skipped).
const DETACHED: u8 = 4;

#[derive(Debug, Clone, Copy)]
struct Node<'s> {
    /// A slice of an entry's path (the root's is empty).
    name: &'s [u8],
    size: i64,
    parent: u32,
    first_child: u32,
    next_sibling: u32,
    flags: u8,
}

impl Node<'_> {
    fn info(&self) -> Info {
        Info {
            size: self.size,
            is_dir: self.flags & IS_DIR != 0,
        }
    }
}

/// A dive file tree: node 0 is the root. Names are borrowed for `'s` (the entries' paths).
#[derive(Debug, Clone)]
pub(super) struct Tree<'s> {
    nodes: Vec<Node<'s>>,
    /// Attached nodes but the root, found by (parent, name).
    children: HashTable<u32>,
    hashing: PathHashing,
    /// Nodes ever made whose name starts with `.wh.`.
    whiteouts: usize,
    /// Sum of the size fields of every entry (dive's layer size).
    pub file_size: u64,
}

/// A visitor: node, its dive path as names (its own `.wh.` prefix stripped), its payload,
/// whether it is a leaf; `false` stops.
pub(super) type Visitor<'v, 's> = dyn FnMut(u32, &[&'s [u8]], Info, bool) -> bool + 'v;

pub(super) const WHITEOUT_PREFIX: &[u8] = b".wh.";
const DOUBLE_WHITEOUT_PREFIX: &[u8] = b".wh..wh..";

/// The hash of a child's key: its parent and its name.
pub(super) fn child_hash(hashing: &PathHashing, parent: u32, name: &[u8]) -> u64 {
    let mut h = hashing.build_hasher();
    h.write_u32(parent);
    h.write(name);
    h.finish()
}

impl<'s> Tree<'s> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    fn with_capacity(n: usize) -> Self {
        let mut nodes = Vec::with_capacity(n + 1);
        nodes.push(Node {
            name: b"",
            size: 0,
            parent: NONE,
            first_child: NONE,
            next_sibling: NONE,
            flags: 0,
        });
        Tree {
            nodes,
            children: HashTable::with_capacity(n),
            hashing: PathHashing::default(),
            whiteouts: 0,
            file_size: 0,
        }
    }

    /// The tree of one layer, from its entries' paths and payloads in tar order (dive skips
    /// only the root, the empty path).
    pub fn from_entries(entries: impl ExactSizeIterator<Item = (&'s [u8], Info)>) -> Self {
        let mut t = Tree::with_capacity(entries.len());
        let mut names = Vec::new();
        for (path, info) in entries {
            if path.is_empty() {
                continue;
            }
            t.file_size = t.file_size.wrapping_add(info.size as u64);
            clean_names(path, &mut names);
            t.add_names(&names, info);
        }
        t
    }

    fn add_child(&mut self, parent: u32, name: &'s [u8]) -> u32 {
        let id = self.nodes.len() as u32;
        let next_sibling = self
            .nodes
            .get(parent as usize)
            .map_or(NONE, |p| p.first_child);
        let whiteout = name.starts_with(WHITEOUT_PREFIX);
        self.whiteouts += usize::from(whiteout);
        self.nodes.push(Node {
            name,
            size: 0,
            parent,
            first_child: NONE,
            next_sibling,
            flags: if whiteout { WHITEOUT } else { 0 },
        });
        if let Some(p) = self.nodes.get_mut(parent as usize) {
            p.first_child = id;
        }
        let (nodes, hashing) = (&self.nodes, &self.hashing);
        self.children
            .insert_unique(child_hash(hashing, parent, name), id, |&c| {
                nodes
                    .get(c as usize)
                    .map_or(0, |n| child_hash(hashing, n.parent, n.name))
            });
        id
    }

    /// dive's `AddPath` for a path already cleaned (Go's `path.Clean`) and split into names:
    /// walk the names, creating missing ones with an empty payload, and put `info` on the
    /// last. Stops silently at a `.wh..wh..` name.
    pub fn add_names(&mut self, names: &[&'s [u8]], info: Info) {
        let mut node = 0u32;
        for (i, &name) in names.iter().enumerate() {
            if name.is_empty() {
                continue;
            }
            node = match self.child(node, name) {
                Some(c) => c,
                None => {
                    if name.starts_with(DOUBLE_WHITEOUT_PREFIX) {
                        return;
                    }
                    self.add_child(node, name)
                }
            };
            if i + 1 == names.len() {
                if let Some(n) = self.nodes.get_mut(node as usize) {
                    n.size = info.size;
                    n.flags = (n.flags & !IS_DIR) | if info.is_dir { IS_DIR } else { 0 };
                }
            }
        }
    }

    fn child(&self, node: u32, name: &[u8]) -> Option<u32> {
        let nodes = &self.nodes;
        self.children
            .find(child_hash(&self.hashing, node, name), |&c| {
                nodes
                    .get(c as usize)
                    .is_some_and(|n| n.parent == node && n.name == name)
            })
            .copied()
    }

    /// dive's `GetNode`: the names, empty ones skipped.
    pub fn get(&self, names: &[&[u8]]) -> Option<u32> {
        let mut node = 0u32;
        for name in names {
            if name.is_empty() {
                continue;
            }
            node = self.child(node, name)?;
        }
        Some(node)
    }

    /// dive's `RemovePath` (a missing path or the root is an error, which callers ignore).
    fn remove_names(&mut self, names: &[&[u8]]) {
        let mut node = 0u32;
        let mut any = false;
        for name in names {
            if name.is_empty() {
                continue;
            }
            any = true;
            match self.child(node, name) {
                Some(c) => node = c,
                None => return,
            }
        }
        if !any {
            return; // the root cannot be removed
        }
        let Some(n) = self.nodes.get_mut(node as usize) else {
            return;
        };
        n.flags |= DETACHED;
        let (parent, name) = (n.parent, n.name);
        let hash = child_hash(&self.hashing, parent, name);
        if let Ok(found) = self.children.find_entry(hash, |&c| c == node) {
            found.remove();
        }
    }

    pub fn info(&self, node: u32) -> Info {
        self.nodes
            .get(node as usize)
            .map(Node::info)
            .unwrap_or_default()
    }

    /// The attached children of `node`, in no particular order.
    fn kids(&self, node: u32) -> impl Iterator<Item = u32> + '_ {
        let mut next = self
            .nodes
            .get(node as usize)
            .map_or(NONE, |n| n.first_child);
        core::iter::from_fn(move || loop {
            let c = next;
            let n = self.nodes.get(c as usize)?;
            next = n.next_sibling;
            if n.flags & DETACHED == 0 {
                return Some(c);
            }
        })
    }

    /// Sum of the size fields of `node` and everything below it.
    pub fn subtree_size(&self, node: u32) -> i64 {
        let mut total = 0i64;
        let mut stack = alloc::vec![node];
        while let Some(n) = stack.pop() {
            total = total.wrapping_add(self.info(n).size);
            stack.extend(self.kids(n));
        }
        total
    }

    /// Visits every node but the root children-first, siblings in byte order (dive's
    /// `VisitDepthChildFirst`), giving each node's dive path as names (its own `.wh.` prefix
    /// stripped). The visitor returns `false` to stop the walk.
    pub fn visit_post_order(&self, visit: &mut Visitor<'_, 's>) -> bool {
        let mut names: Vec<&'s [u8]> = Vec::new();
        self.visit_children(0, &mut names, visit)
    }

    fn visit_children(
        &self,
        node: u32,
        names: &mut Vec<&'s [u8]>,
        visit: &mut Visitor<'_, 's>,
    ) -> bool {
        let mut kids: Vec<u32> = self.kids(node).collect();
        let name_of = |c: &u32| self.nodes.get(*c as usize).map_or(&b""[..], |n| n.name);
        kids.sort_unstable_by(|a, b| name_of(a).cmp(name_of(b)));
        for child in kids {
            let Some(c) = self.nodes.get(child as usize).copied() else {
                continue;
            };
            names.push(c.name);
            if !self.visit_children(child, names, visit) {
                return false;
            }
            let is_leaf = self.kids(child).next().is_none();
            if c.flags & WHITEOUT != 0 {
                if let Some(last) = names.last_mut() {
                    *last = c.name.strip_prefix(WHITEOUT_PREFIX).unwrap_or(c.name);
                }
            }
            let ok = visit(child, names, c.info(), is_leaf);
            names.pop();
            if !ok {
                return false;
            }
        }
        true
    }

    /// The parent of `node` (none for the root).
    pub fn parent(&self, node: u32) -> u32 {
        self.nodes.get(node as usize).map_or(NONE, |n| n.parent)
    }

    pub fn is_whiteout(&self, node: u32) -> bool {
        self.nodes
            .get(node as usize)
            .is_some_and(|n| n.flags & WHITEOUT != 0)
    }

    /// dive's `Stack` of a tree onto a copy of itself (what dive does with the base layer).
    /// Without whiteouts that changes nothing (every node is there with its payload already),
    /// so the tree is kept as it is instead of being copied.
    pub fn stacked_onto_itself(self) -> Self {
        if self.whiteouts == 0 {
            return self;
        }
        let mut copy = self.clone();
        copy.stack(&self);
        copy
    }

    /// dive's `Stack` of `upper`, a tree other than this one, with room made first for every
    /// node of `upper` (instead of doubling past them).
    pub fn stack_other(&mut self, upper: &Tree<'s>) {
        self.nodes.reserve_exact(upper.nodes.len());
        let (nodes, hashing) = (&self.nodes, &self.hashing);
        self.children.reserve(upper.nodes.len(), |&c| {
            nodes
                .get(c as usize)
                .map_or(0, |n| child_hash(hashing, n.parent, n.name))
        });
        self.stack(upper);
    }

    /// dive's `Stack`: every node of `upper`, children first; whiteouts remove their target,
    /// everything else is added with its payload (implied directories with an empty one).
    pub fn stack(&mut self, upper: &Tree<'s>) {
        upper.visit_post_order(&mut |node, names, info, _| {
            if upper.is_whiteout(node) {
                self.remove_names(names);
            } else {
                self.add_names(names, info);
            }
            true
        });
    }
}

/// The names of Go's `path.Clean(path)`, relative (dive trims the leading `/` it leaves),
/// into `out`: empty and `.` names dropped, `..` taking the name before it. Every name is a
/// slice of `path` (cleaning only drops names), so the tree can borrow them.
pub(super) fn clean_names<'s>(path: &'s [u8], out: &mut Vec<&'s [u8]>) {
    out.clear();
    let rooted = path.first() == Some(&b'/');
    for name in path.split(|&b| b == b'/') {
        match name {
            b"" | b"." => {}
            b".." => {
                if out.last().is_some_and(|c| *c != b"..") {
                    out.pop();
                } else if !rooted {
                    out.push(name);
                }
            }
            n => out.push(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn names(path: &str) -> Vec<&[u8]> {
        let mut out = Vec::new();
        clean_names(path.as_bytes(), &mut out);
        out
    }

    #[test]
    fn clean_names_match_go_path_clean() {
        // Go's path.Clean, split at `/` with the leading one trimmed.
        let cases: [(&str, &[&str]); 10] = [
            ("", &[]),
            ("a/./b", &["a", "b"]),
            ("/a//b/", &["a", "b"]),
            ("a/../..", &[".."]),
            ("/../a", &["a"]),
            ("./", &[]),
            ("a/b/../c", &["a", "c"]),
            ("..", &[".."]),
            ("//", &[]),
            ("../../x/..", &["..", ".."]),
        ];
        for (i, o) in cases {
            let want: Vec<&[u8]> = o.iter().map(|s| s.as_bytes()).collect();
            assert_eq!(names(i), want, "{i}");
        }
    }

    #[test]
    fn opaque_marker_leaves_an_empty_leaf_directory() {
        let mut t = Tree::new();
        t.add_names(
            &names("a/.wh..wh..opq"),
            Info {
                size: 0,
                is_dir: false,
            },
        );
        let a = t.get(&names("/a")).unwrap();
        assert_eq!(t.info(a), Info::default());
        let mut leaves = Vec::new();
        t.visit_post_order(&mut |_, p, _, leaf| {
            if leaf {
                leaves.push(p.to_vec());
            }
            true
        });
        assert_eq!(leaves, [[b"a".as_slice()]]);
    }

    #[test]
    fn stacking_blanks_implied_directories() {
        let mut lower = Tree::new();
        lower.add_names(
            &names("d"),
            Info {
                size: 0,
                is_dir: true,
            },
        );
        lower.add_names(
            &names("d/x"),
            Info {
                size: 5,
                is_dir: false,
            },
        );
        let mut upper = Tree::new();
        upper.add_names(
            &names("d/y"),
            Info {
                size: 7,
                is_dir: false,
            },
        );
        upper.add_names(&names(".wh.gone"), Info::default());
        lower.stack(&upper);
        let d = lower.get(&names("/d")).unwrap();
        assert!(!lower.info(d).is_dir);
        assert_eq!(lower.subtree_size(d), 12);
    }

    #[test]
    fn removed_subtrees_are_skipped_and_a_name_comes_back_new() {
        let f = |size| Info {
            size,
            is_dir: false,
        };
        let mut lower = Tree::new();
        lower.add_names(&names("d/x"), f(5));
        lower.add_names(&names("d/y"), f(3));
        let mut upper = Tree::new();
        upper.add_names(&names("d/.wh.x"), f(0));
        upper.add_names(&names("d/x/z"), f(11));
        lower.stack(&upper);
        let d = lower.get(&names("d")).unwrap();
        // x was removed (its 5 bytes with it), then made again as a directory holding z.
        assert_eq!(lower.subtree_size(d), 3 + 11);
        let x = lower.get(&names("d/x")).unwrap();
        assert_eq!(lower.info(x), Info::default());
        assert_eq!(lower.subtree_size(x), 11);
        let mut seen = Vec::new();
        lower.visit_post_order(&mut |_, p, i, leaf| {
            seen.push((p.join(&b'/'), i.size, leaf));
            true
        });
        assert_eq!(
            seen,
            [
                (b"d/x/z".to_vec(), 11, true),
                (b"d/x".to_vec(), 0, false),
                (b"d/y".to_vec(), 3, true),
                (b"d".to_vec(), 0, false),
            ]
        );
    }
}
