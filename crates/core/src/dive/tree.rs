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

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::layer::Entry;

/// What dive keeps of a tar header: the size field and whether it is a directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Info {
    pub size: i64,
    pub is_dir: bool,
}

#[derive(Debug, Clone)]
struct Node {
    /// Children by name (the names live only here).
    children: BTreeMap<Box<[u8]>, u32>,
    info: Info,
    /// The name starts with `.wh.`.
    whiteout: bool,
}

/// A dive file tree: node 0 is the root.
#[derive(Debug, Clone)]
pub(super) struct Tree {
    nodes: Vec<Node>,
    /// Sum of the size fields of every entry (dive's layer size).
    pub file_size: u64,
}

/// A visitor: node, its dive path, its payload, whether it is a leaf; `false` stops.
pub(super) type Visitor<'v> = dyn FnMut(u32, &[u8], Info, bool) -> bool + 'v;

pub(super) const WHITEOUT_PREFIX: &[u8] = b".wh.";
const DOUBLE_WHITEOUT_PREFIX: &[u8] = b".wh..wh..";

impl Tree {
    pub fn new() -> Self {
        Tree {
            nodes: alloc::vec![Node {
                children: BTreeMap::new(),
                info: Info::default(),
                whiteout: false,
            }],
            file_size: 0,
        }
    }

    /// The tree of one layer, from its entries in tar order (dive skips only the root).
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Self {
        let mut t = Tree::new();
        for e in entries {
            if e.path.is_root() {
                continue;
            }
            t.file_size = t.file_size.wrapping_add(e.size);
            let info = Info {
                size: e.size as i64,
                is_dir: e.is_dir(),
            };
            t.add_path(e.path.as_bytes(), info);
        }
        t
    }

    fn add_child(&mut self, parent: u32, name: &[u8]) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(Node {
            children: BTreeMap::new(),
            info: Info::default(),
            whiteout: name.starts_with(WHITEOUT_PREFIX),
        });
        if let Some(p) = self.nodes.get_mut(parent as usize) {
            p.children.insert(name.into(), id);
        }
        id
    }

    /// dive's `AddPath`: `path.Clean`, then walk the components, creating missing ones with
    /// an empty payload, and put `info` on the last. Stops silently at a `.wh..wh..` name.
    pub fn add_path(&mut self, path: &[u8], info: Info) {
        // Paths are nearly always clean already (normalised entry paths, dive paths of
        // nodes): clean only those that are not.
        let cleaned;
        let clean: &[u8] = if is_clean(path) {
            path
        } else {
            cleaned = go_path_clean(path);
            &cleaned
        };
        if clean == b"." {
            return;
        }
        let mut names = trim_slashes(clean).split(|&b| b == b'/').peekable();
        let mut node = 0u32;
        while let Some(name) = names.next() {
            let is_last = names.peek().is_none();
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
            if is_last {
                if let Some(n) = self.nodes.get_mut(node as usize) {
                    n.info = info;
                }
            }
        }
    }

    fn child(&self, node: u32, name: &[u8]) -> Option<u32> {
        self.nodes
            .get(node as usize)
            .and_then(|n| n.children.get(name).copied())
    }

    /// dive's `GetNode`: components of the path with slashes trimmed, empty ones skipped.
    pub fn get(&self, path: &[u8]) -> Option<u32> {
        let mut node = 0u32;
        for name in trim_slashes(path).split(|&b| b == b'/') {
            if name.is_empty() {
                continue;
            }
            node = self.child(node, name)?;
        }
        Some(node)
    }

    /// dive's `RemovePath` (a missing path or the root is an error, which callers ignore).
    fn remove_path(&mut self, path: &[u8]) {
        let names: Vec<&[u8]> = trim_slashes(path)
            .split(|&b| b == b'/')
            .filter(|n| !n.is_empty())
            .collect();
        let Some((last, parents)) = names.split_last() else {
            return; // the root cannot be removed
        };
        let mut node = 0u32;
        for name in parents {
            match self.child(node, name) {
                Some(c) => node = c,
                None => return,
            }
        }
        if let Some(n) = self.nodes.get_mut(node as usize) {
            n.children.remove(*last);
        }
    }

    pub fn info(&self, node: u32) -> Info {
        self.nodes
            .get(node as usize)
            .map(|n| n.info)
            .unwrap_or_default()
    }

    /// Sum of the size fields of `node` and everything below it.
    pub fn subtree_size(&self, node: u32) -> i64 {
        let mut total = 0i64;
        let mut stack = alloc::vec![node];
        while let Some(n) = stack.pop() {
            if let Some(n) = self.nodes.get(n as usize) {
                total = total.wrapping_add(n.info.size);
                stack.extend(n.children.values().copied());
            }
        }
        total
    }

    /// Visits every node but the root children-first, siblings in byte order (dive's
    /// `VisitDepthChildFirst`), giving each node's dive path (`/a/b`, its own `.wh.` prefix
    /// stripped, `//` collapsed). The visitor returns `false` to stop the walk.
    pub fn visit_post_order(&self, visit: &mut Visitor<'_>) -> bool {
        let mut prefix: Vec<u8> = Vec::new();
        self.visit_children(0, &mut prefix, visit)
    }

    fn visit_children(&self, node: u32, prefix: &mut Vec<u8>, visit: &mut Visitor<'_>) -> bool {
        let Some(n) = self.nodes.get(node as usize) else {
            return true;
        };
        for (name, &child) in &n.children {
            let len = prefix.len();
            prefix.push(b'/');
            prefix.extend_from_slice(name);
            if !self.visit_children(child, prefix, visit) {
                return false;
            }
            let Some(c) = self.nodes.get(child as usize) else {
                continue;
            };
            let is_leaf = c.children.is_empty();
            // Its own path: the prefix as built, but without its own `.wh.` and with `//`
            // collapsed (both rare, so only then is a copy made).
            let ok = if c.whiteout || prefix.windows(2).any(|w| w == b"//") {
                let mut path = prefix.get(..len).unwrap_or_default().to_vec();
                path.push(b'/');
                path.extend_from_slice(name.strip_prefix(WHITEOUT_PREFIX).unwrap_or(name));
                visit(child, &collapse_double_slashes(&path), c.info, is_leaf)
            } else {
                visit(child, prefix, c.info, is_leaf)
            };
            prefix.truncate(len);
            if !ok {
                return false;
            }
        }
        true
    }

    pub fn is_whiteout(&self, node: u32) -> bool {
        self.nodes.get(node as usize).is_some_and(|n| n.whiteout)
    }

    /// dive's `Stack`: every node of `upper`, children first; whiteouts remove their target,
    /// everything else is added with its payload (implied directories with an empty one).
    pub fn stack(&mut self, upper: &Tree) {
        upper.visit_post_order(&mut |node, path, info, _| {
            if upper.is_whiteout(node) {
                self.remove_path(path);
            } else {
                self.add_path(path, info);
            }
            true
        });
    }
}

fn trim_slashes(p: &[u8]) -> &[u8] {
    let start = p.iter().position(|&b| b != b'/').unwrap_or(p.len());
    let end = p.iter().rposition(|&b| b != b'/').map_or(start, |e| e + 1);
    p.get(start..end).unwrap_or_default()
}

/// Go's `strings.Replace(s, "//", "/", -1)`: non-overlapping, left to right.
fn collapse_double_slashes(p: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        if p.get(i..i + 2) == Some(b"//") {
            out.push(b'/');
            i += 2;
        } else {
            out.extend_from_slice(p.get(i..i + 1).unwrap_or_default());
            i += 1;
        }
    }
    out
}

/// Whether Go's `path.Clean` would leave `p` unchanged.
fn is_clean(p: &[u8]) -> bool {
    if p.is_empty() || (p.len() > 1 && p.last() == Some(&b'/')) {
        return false;
    }
    let body = p.strip_prefix(b"/").unwrap_or(p);
    body.is_empty() && p == b"/"
        || body
            .split(|&b| b == b'/')
            .all(|c| !c.is_empty() && c != b"." && c != b"..")
}

/// Go's `path.Clean`.
pub(super) fn go_path_clean(p: &[u8]) -> Vec<u8> {
    if p.is_empty() {
        return b".".to_vec();
    }
    let rooted = p.first() == Some(&b'/');
    let mut out: Vec<&[u8]> = Vec::new();
    for comp in p.split(|&b| b == b'/') {
        match comp {
            b"" | b"." => {}
            b".." => {
                if out.last().is_some_and(|c| *c != b"..") {
                    out.pop();
                } else if !rooted {
                    out.push(comp);
                }
            }
            c => out.push(c),
        }
    }
    let mut s = Vec::with_capacity(p.len());
    if rooted {
        s.push(b'/');
    }
    for (i, c) in out.iter().enumerate() {
        if i > 0 {
            s.push(b'/');
        }
        s.extend_from_slice(c);
    }
    if s.is_empty() {
        s.push(b'.');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn go_path_clean_matches_go() {
        let cases: [(&str, &str); 9] = [
            ("", "."),
            ("a/./b", "a/b"),
            ("/a//b/", "/a/b"),
            ("a/../..", ".."),
            ("/../a", "/a"),
            ("./", "."),
            ("a/b/../c", "a/c"),
            ("..", ".."),
            ("//", "/"),
        ];
        for (i, o) in cases {
            assert_eq!(go_path_clean(i.as_bytes()), o.as_bytes(), "{i}");
            if is_clean(i.as_bytes()) {
                assert_eq!(i, o, "{i} is not clean");
            }
        }
        for clean in ["a", "a/b", "/a/b", "/", ".wh.x/y", "a..b/.c"] {
            assert!(is_clean(clean.as_bytes()), "{clean}");
            assert_eq!(go_path_clean(clean.as_bytes()), clean.as_bytes());
        }
    }

    #[test]
    fn opaque_marker_leaves_an_empty_leaf_directory() {
        let mut t = Tree::new();
        t.add_path(
            b"a/.wh..wh..opq",
            Info {
                size: 0,
                is_dir: false,
            },
        );
        let a = t.get(b"/a").unwrap();
        assert_eq!(t.info(a), Info::default());
        let mut leaves = Vec::new();
        t.visit_post_order(&mut |_, p, _, leaf| {
            if leaf {
                leaves.push(p.to_vec());
            }
            true
        });
        assert_eq!(leaves, [b"/a".to_vec()]);
    }

    #[test]
    fn stacking_blanks_implied_directories() {
        let mut lower = Tree::new();
        lower.add_path(
            b"d",
            Info {
                size: 0,
                is_dir: true,
            },
        );
        lower.add_path(
            b"d/x",
            Info {
                size: 5,
                is_dir: false,
            },
        );
        let mut upper = Tree::new();
        upper.add_path(
            b"d/y",
            Info {
                size: 7,
                is_dir: false,
            },
        );
        upper.add_path(b".wh.gone", Info::default());
        lower.stack(&upper);
        let d = lower.get(b"/d").unwrap();
        assert!(!lower.info(d).is_dir);
        assert_eq!(lower.subtree_size(d), 12);
    }
}
