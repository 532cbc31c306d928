//! The tally as it was before the compact tree (session 6): owned names in a B-tree per node
//! and a map of owned paths. Kept for the tests only, as the oracle the compact tally must
//! match figure for figure on any input.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::{gosort, has_whiteout_name, Efficiency, Inefficient};
use crate::hashing::PathMap;
use crate::layer::{Entry, LayerIndex};

struct PathStat {
    cumulative: i64,
    min: i64,
    count: u32,
}

/// dive's efficiency walk. One layer's tree is alive at a time (a million-entry image's trees
/// side by side cost more than the union itself): each is built, walked, stacked onto the
/// trees below it when a layer above may hold a whiteout (whose size dive looks up in that
/// stack), and dropped.
pub(super) fn efficiency(layers: &[Option<&LayerIndex>]) -> Efficiency {
    let mut stats: PathMap<Box<[u8]>, PathStat> = PathMap::default();
    // Paths in the order they reached two sightings (dive appends them then).
    let mut inefficient: Vec<Vec<u8>> = Vec::new();
    let mut abandoned = Vec::new();
    let mut layer_sizes = Vec::with_capacity(layers.len());
    // Whether a layer at or above each position may hold a whiteout (a path component
    // starting with `.wh.`): below those the stack is needed.
    let mut whiteout_from = alloc::vec![false; layers.len() + 1];
    for (i, l) in layers.iter().enumerate().rev() {
        let here = l.is_some_and(|l| l.entries.iter().any(|e| has_whiteout_name(&e.path)));
        whiteout_from[i] = here || whiteout_from[i + 1];
    }
    // The stacked tree of the layers below the current one (dive's StackTreeRange(trees, 0,
    // n-1) copies the base and stacks the base onto it again).
    let mut stacked: Option<Tree> = None;
    for (idx, layer) in layers.iter().enumerate() {
        let tree = layer.map_or_else(Tree::new, |l| Tree::from_entries(&l.entries));
        layer_sizes.push(tree.file_size);
        let completed = tree.visit_post_order(&mut |node, path, info, is_leaf| {
            if !is_leaf {
                return true;
            }
            let size = if tree.is_whiteout(node) {
                // In the base, dive looks in a copy of the base; above it, in the stack of
                // the layers below (built after each of them, as `whiteout_from` asked).
                let below = stacked.get_or_insert_with(|| tree.clone());
                below.get(path).map(|prev| {
                    if below.info(prev).is_dir {
                        below.subtree_size(prev)
                    } else {
                        0
                    }
                })
            } else {
                Some(info.size)
            };
            // dive records the path before it sizes a whiteout, and keeps it when that fails.
            let s = match stats.get_mut(path) {
                Some(s) => s,
                None => stats.entry(path.into()).or_insert(PathStat {
                    cumulative: 0,
                    min: -1,
                    count: 0,
                }),
            };
            let Some(size) = size else {
                return false; // dive: "path does not exist", the layer walk stops
            };
            s.cumulative = s.cumulative.wrapping_add(size);
            if s.min < 0 || size < s.min {
                s.min = size;
            }
            s.count += 1;
            if s.count == 2 {
                inefficient.push(path.to_vec());
            }
            true
        });
        if !completed {
            abandoned.push(idx);
        }
        if whiteout_from.get(idx + 1).copied().unwrap_or(false) {
            stacked.get_or_insert_with(|| tree.clone()).stack(&tree);
        }
    }
    let (mut min_sum, mut cum_sum) = (0i64, 0i64);
    for s in stats.values() {
        min_sum = min_sum.wrapping_add(s.min);
        cum_sum = cum_sum.wrapping_add(s.cumulative);
    }
    let score = if cum_sum == 0 {
        1.0
    } else {
        min_sum as f64 / cum_sum as f64
    };
    let mut list: Vec<Inefficient> = inefficient
        .into_iter()
        .map(|path| {
            let (cumulative, count) = stats
                .get(path.as_slice())
                .map_or((0, 0), |s| (s.cumulative, s.count));
            Inefficient {
                path,
                cumulative,
                count,
            }
        })
        .collect();
    gosort::sort(&mut list, &|a, b| a.cumulative < b.cumulative);
    Efficiency {
        score,
        layer_sizes,
        inefficient: list,
        abandoned,
    }
}

/// What dive keeps of a tar header: the size field and whether it is a directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Info {
    size: i64,
    is_dir: bool,
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
struct Tree {
    nodes: Vec<Node>,
    /// Sum of the size fields of every entry (dive's layer size).
    file_size: u64,
}

/// A visitor: node, its dive path, its payload, whether it is a leaf; `false` stops.
type Visitor<'v> = dyn FnMut(u32, &[u8], Info, bool) -> bool + 'v;

const WHITEOUT_PREFIX: &[u8] = b".wh.";
const DOUBLE_WHITEOUT_PREFIX: &[u8] = b".wh..wh..";

impl Tree {
    fn new() -> Self {
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
    fn from_entries<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Self {
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
    fn add_path(&mut self, path: &[u8], info: Info) {
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
    fn get(&self, path: &[u8]) -> Option<u32> {
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

    fn info(&self, node: u32) -> Info {
        self.nodes
            .get(node as usize)
            .map(|n| n.info)
            .unwrap_or_default()
    }

    /// Sum of the size fields of `node` and everything below it.
    fn subtree_size(&self, node: u32) -> i64 {
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
    fn visit_post_order(&self, visit: &mut Visitor<'_>) -> bool {
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

    fn is_whiteout(&self, node: u32) -> bool {
        self.nodes.get(node as usize).is_some_and(|n| n.whiteout)
    }

    /// dive's `Stack`: every node of `upper`, children first; whiteouts remove their target,
    /// everything else is added with its payload (implied directories with an empty one).
    fn stack(&mut self, upper: &Tree) {
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
fn go_path_clean(p: &[u8]) -> Vec<u8> {
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
