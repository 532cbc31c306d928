//! The size map: a squarified treemap of the content an image ships, laid out once here so
//! the CLI's report and the page draw the same rectangles.
//!
//! Area is content bytes. The final map holds every copy of every file the layers ship, at
//! its path: the live ones (the final filesystem) and the dead ones (deleted or replaced by
//! a later layer, still shipped), so its total is the shipped content and its dead share is
//! what a full squash drops. A layer's map holds that layer's files, the dead ones marked.
//!
//! The number of rectangles is capped: directories are opened largest first while the cap
//! allows, and in each opened directory the children smaller than `total / max_tiles` are
//! gathered into one "other" tile. A million files cost a sort and one pass; the layout
//! touches only the tiles drawn.

use alloc::collections::{BTreeSet, BinaryHeap};
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::fs::whiteout::{classify, Role};
use crate::layer::{EntryPath, EntryRef};
use crate::model::Model;
use crate::sanitize::display_bytes;

/// What a map covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "layer")]
pub enum Scope {
    /// Every file copy the image ships: the final filesystem and the dead copies.
    Final,
    /// The files of one layer (position).
    Layer(usize),
}

/// How big a map is and how many rectangles it may have.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TreemapOptions {
    /// Width in SVG units.
    pub width: f64,
    /// Height in SVG units.
    pub height: f64,
    /// Most tiles (directories, files and "other" tiles together).
    pub max_tiles: usize,
}

impl Default for TreemapOptions {
    fn default() -> Self {
        TreemapOptions {
            width: 1000.0,
            height: 600.0,
            max_tiles: 1200,
        }
    }
}

/// What a tile stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TileKind {
    /// One copy of a file.
    File,
    /// A directory: a frame around its children when `open`, else one block.
    Dir,
    /// The children of a directory too small to draw one by one.
    Other,
}

/// One rectangle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tile {
    /// What it stands for.
    pub kind: TileKind,
    /// Index of the enclosing directory's tile (none for the root).
    pub parent: Option<u32>,
    /// Depth below the root (the root is 0).
    pub depth: u32,
    /// The path (display form; for "other", the directory's).
    pub path: String,
    /// A short label: the file or directory name, or "N more".
    pub name: String,
    /// Content bytes.
    pub size: u64,
    /// Of those, bytes dead (deleted or replaced by a later layer).
    pub dead: u64,
    /// File copies inside.
    pub files: u64,
    /// A file's layer (the one holding its bytes).
    pub layer: Option<u32>,
    /// A directory whose children are drawn.
    pub open: bool,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Tile {
    /// Whether the tile is drawn as a block (not a frame with children inside).
    pub fn is_leaf(&self) -> bool {
        !self.open
    }
}

/// A laid-out map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Treemap {
    /// What it covers.
    pub scope: Scope,
    /// Width in SVG units.
    pub width: f64,
    /// Height in SVG units.
    pub height: f64,
    /// Content bytes in all.
    pub total: u64,
    /// Dead bytes among them.
    pub dead: u64,
    /// File copies in all.
    pub files: u64,
    /// Layers of the image (for colours and legends).
    pub layers: usize,
    /// The root first, every tile after its parent.
    pub tiles: Vec<Tile>,
}

/// One file copy to place.
struct Item<'a> {
    path: &'a EntryPath,
    size: u64,
    layer: u32,
    dead: bool,
}

/// A node of the directory tree the items make.
struct Node {
    parent: u32,
    /// Item index for a file; `None` for a directory.
    item: Option<usize>,
    /// A directory's path bytes.
    dir: Vec<u8>,
    size: u64,
    dead: u64,
    files: u64,
    children: Vec<u32>,
}

impl Node {
    fn dir(parent: u32, path: &[u8]) -> Self {
        Node {
            parent,
            item: None,
            dir: path.to_vec(),
            size: 0,
            dead: 0,
            files: 0,
            children: Vec::new(),
        }
    }
}

/// An axis-aligned rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Treemap {
    /// Lays out `scope` of the image in `m`.
    pub fn new(m: Model<'_>, scope: Scope, options: &TreemapOptions) -> Self {
        // Entries whose bytes the final filesystem still has (as a path or an inode): the
        // same test the layer table's "superseded" figure uses.
        let live: BTreeSet<EntryRef> =
            m.fs.iter()
                .flat_map(|(_, n)| [n.entry, n.inode_entry])
                .collect();
        let mut items: Vec<Item<'_>> = Vec::new();
        for l in &m.image.layers {
            if let Scope::Layer(n) = scope {
                if l.position != n {
                    continue;
                }
            }
            for (i, e) in l.index.entries.iter().enumerate() {
                if !e.is_file() || e.size == 0 || classify(&e.path) != Role::Plain {
                    continue;
                }
                let r = EntryRef {
                    layer: l.position as u32,
                    entry: i as u32,
                };
                items.push(Item {
                    path: &e.path,
                    size: e.size,
                    layer: r.layer,
                    dead: !live.contains(&r),
                });
            }
        }
        let layers = m.image.layers.len();
        Self::lay_out(scope, layers, items, options)
    }

    fn lay_out(
        scope: Scope,
        layers: usize,
        mut items: Vec<Item<'_>>,
        options: &TreemapOptions,
    ) -> Self {
        items.sort_by(|a, b| {
            a.path
                .as_bytes()
                .cmp(b.path.as_bytes())
                .then(a.layer.cmp(&b.layer))
        });
        let nodes = tree(&items);
        let root = nodes.first();
        let mut map = Treemap {
            scope,
            width: options.width,
            height: options.height,
            total: root.map_or(0, |r| r.size),
            dead: root.map_or(0, |r| r.dead),
            files: root.map_or(0, |r| r.files),
            layers,
            tiles: Vec::new(),
        };
        let Some(root) = root else { return map };
        map.tiles.push(Tile {
            kind: TileKind::Dir,
            parent: None,
            depth: 0,
            path: String::from("/"),
            name: String::from("/"),
            size: root.size,
            dead: root.dead,
            files: root.files,
            layer: None,
            open: false,
            x: 0.0,
            y: 0.0,
            w: options.width,
            h: options.height,
        });
        if root.size == 0 {
            return map;
        }
        let small = (root.size / options.max_tiles.max(1) as u64).max(1);
        // Directories to open, largest first (ties: first made, so the order is fixed).
        let mut queue: BinaryHeap<(u64, core::cmp::Reverse<u32>, u32)> = BinaryHeap::new();
        queue.push((root.size, core::cmp::Reverse(0), 0));
        while let Some((_, core::cmp::Reverse(node), tile)) = queue.pop() {
            let Some(n) = nodes.get(node as usize) else {
                continue;
            };
            let Some(t) = map.tiles.get(tile as usize) else {
                continue;
            };
            let inner = inset(t, t.depth == 0);
            if inner.w < 4.0 || inner.h < 4.0 {
                continue;
            }
            let mut kids: Vec<u32> = n.children.clone();
            kids.sort_by(|&a, &b| {
                let size = |i: u32| nodes.get(i as usize).map_or(0, |n| n.size);
                size(b).cmp(&size(a)).then(a.cmp(&b))
            });
            let cut = kids
                .iter()
                .position(|&k| nodes.get(k as usize).map_or(0, |n| n.size) < small)
                .unwrap_or(kids.len());
            // A lone small child is drawn as itself rather than as "1 more".
            let (shown, rest) = if kids.len() - cut <= 1 {
                (&kids[..], &kids[..0])
            } else {
                kids.split_at(cut)
            };
            let needed = shown.len() + usize::from(!rest.is_empty());
            if map.tiles.len() + needed > options.max_tiles {
                continue;
            }
            let (depth, dir_path) = (t.depth + 1, t.path.clone());
            let mut sizes: Vec<u64> = shown
                .iter()
                .map(|&k| nodes.get(k as usize).map_or(0, |n| n.size))
                .collect();
            let (rest_size, rest_dead, rest_files) =
                rest.iter().fold((0, 0, 0), |(s, d, f), &k| {
                    let n = nodes.get(k as usize);
                    (
                        s + n.map_or(0, |n| n.size),
                        d + n.map_or(0, |n| n.dead),
                        f + n.map_or(0, |n| n.files),
                    )
                });
            if !rest.is_empty() {
                sizes.push(rest_size);
            }
            let rects = squarify(&sizes, inner);
            if let Some(t) = map.tiles.get_mut(tile as usize) {
                t.open = true;
            }
            for (&k, r) in shown.iter().zip(&rects) {
                let Some(c) = nodes.get(k as usize) else {
                    continue;
                };
                let (path, layer) = match c.item.and_then(|i| items.get(i)) {
                    Some(it) => (it.path.display(), Some(it.layer)),
                    None => (display_bytes(&c.dir), None),
                };
                let name = path.rsplit('/').next().unwrap_or(&path).into();
                let id = map.tiles.len() as u32;
                map.tiles.push(Tile {
                    kind: if layer.is_some() {
                        TileKind::File
                    } else {
                        TileKind::Dir
                    },
                    parent: Some(tile),
                    depth,
                    path,
                    name,
                    size: c.size,
                    dead: c.dead,
                    files: c.files,
                    layer,
                    open: false,
                    x: r.x,
                    y: r.y,
                    w: r.w,
                    h: r.h,
                });
                if layer.is_none() && !c.children.is_empty() {
                    queue.push((c.size, core::cmp::Reverse(k), id));
                }
            }
            if let Some(r) = rects.get(shown.len()) {
                map.tiles.push(Tile {
                    kind: TileKind::Other,
                    parent: Some(tile),
                    depth,
                    path: dir_path,
                    name: alloc::format!("{} more", rest.len()),
                    size: rest_size,
                    dead: rest_dead,
                    files: rest_files,
                    layer: None,
                    open: false,
                    x: r.x,
                    y: r.y,
                    w: r.w,
                    h: r.h,
                });
            }
        }
        map
    }
}

/// The directory tree of `items` (sorted by path): node 0 is the root, every node comes
/// after its parent, and sizes are summed up the tree.
fn tree(items: &[Item<'_>]) -> Vec<Node> {
    let mut nodes = alloc::vec![Node::dir(0, b"")];
    // Open directories, root first. Sorted paths keep each directory's subtree together,
    // so a directory once closed never comes back.
    let mut stack: Vec<u32> = alloc::vec![0];
    for (i, it) in items.iter().enumerate() {
        let p = it.path.as_bytes();
        let parent_len = p.iter().rposition(|&b| b == b'/').unwrap_or(0);
        while let Some(&top) = stack.last() {
            let d = nodes.get(top as usize).map_or(&[][..], |n| &n.dir[..]);
            let inside = d.is_empty()
                || (parent_len >= d.len() && p.starts_with(d) && p.get(d.len()) == Some(&b'/'));
            if inside {
                break;
            }
            stack.pop();
        }
        loop {
            let top = stack.last().copied().unwrap_or(0);
            let have = nodes.get(top as usize).map_or(0, |n| n.dir.len());
            if have >= parent_len {
                break;
            }
            let from = if have == 0 { 0 } else { have + 1 };
            let end = p
                .get(from..parent_len)
                .and_then(|s| s.iter().position(|&b| b == b'/'))
                .map_or(parent_len, |j| from + j);
            let id = nodes.len() as u32;
            nodes.push(Node::dir(top, p.get(..end).unwrap_or(p)));
            if let Some(n) = nodes.get_mut(top as usize) {
                n.children.push(id);
            }
            stack.push(id);
        }
        let top = stack.last().copied().unwrap_or(0);
        let id = nodes.len() as u32;
        nodes.push(Node {
            parent: top,
            item: Some(i),
            dir: Vec::new(),
            size: it.size,
            dead: if it.dead { it.size } else { 0 },
            files: 1,
            children: Vec::new(),
        });
        if let Some(n) = nodes.get_mut(top as usize) {
            n.children.push(id);
        }
    }
    // Children come after parents: one backward pass sums every subtree.
    for i in (1..nodes.len()).rev() {
        let Some(n) = nodes.get(i) else { continue };
        let (parent, size, dead, files) = (n.parent as usize, n.size, n.dead, n.files);
        if let Some(p) = nodes.get_mut(parent) {
            p.size += size;
            p.dead += dead;
            p.files += files;
        }
    }
    nodes
}

/// Where a tile's children go: inside a small margin, so each directory shows as a frame.
fn inset(t: &Tile, root: bool) -> Rect {
    let pad = if root { 0.0 } else { 1.5 };
    Rect {
        x: t.x + pad,
        y: t.y + pad,
        w: (t.w - 2.0 * pad).max(0.0),
        h: (t.h - 2.0 * pad).max(0.0),
    }
}

/// Squarified layout (Bruls, Huizing and van Wijk): `sizes` (largest first, none zero)
/// into `r`, each rectangle's area proportional to its size, rows laid along the shorter
/// side and grown while that improves their worst aspect ratio.
pub fn squarify(sizes: &[u64], r: Rect) -> Vec<Rect> {
    let total: u64 = sizes.iter().sum();
    let mut out = Vec::with_capacity(sizes.len());
    if total == 0 || r.w <= 0.0 || r.h <= 0.0 {
        return sizes
            .iter()
            .map(|_| Rect {
                w: 0.0,
                h: 0.0,
                ..r
            })
            .collect();
    }
    let scale = r.w * r.h / total as f64;
    let areas: Vec<f64> = sizes.iter().map(|&s| s as f64 * scale).collect();
    let mut rest = r;
    let mut i = 0;
    while i < areas.len() {
        let side = rest.w.min(rest.h);
        let first = areas.get(i).copied().unwrap_or(0.0);
        let (mut end, mut sum) = (i + 1, first);
        let mut best = worst(first, first, sum, side);
        while let Some(&a) = areas.get(end) {
            let w = worst(first, a, sum + a, side);
            if w > best {
                break;
            }
            best = w;
            sum += a;
            end += 1;
        }
        let row = areas.get(i..end).unwrap_or(&[]);
        let last_row = end == areas.len();
        if rest.w >= rest.h {
            // A column on the left.
            let cw = if last_row { rest.w } else { sum / rest.h };
            let mut y = rest.y;
            for (j, a) in row.iter().enumerate() {
                let h = if j + 1 == row.len() {
                    rest.y + rest.h - y
                } else {
                    a / cw
                };
                out.push(Rect {
                    x: rest.x,
                    y,
                    w: cw,
                    h,
                });
                y += h;
            }
            rest.x += cw;
            rest.w -= cw;
        } else {
            // A row across the top.
            let rh = if last_row { rest.h } else { sum / rest.w };
            let mut x = rest.x;
            for (j, a) in row.iter().enumerate() {
                let w = if j + 1 == row.len() {
                    rest.x + rest.w - x
                } else {
                    a / rh
                };
                out.push(Rect {
                    x,
                    y: rest.y,
                    w,
                    h: rh,
                });
                x += w;
            }
            rest.y += rh;
            rest.h -= rh;
        }
        i = end;
    }
    out
}

/// The worst aspect ratio of a row of areas from `max` down to `min`, summing to `sum`,
/// laid along a side of length `side`.
fn worst(max: f64, min: f64, sum: f64, side: f64) -> f64 {
    let (s2, w2) = (sum * sum, side * side);
    if min <= 0.0 || s2 <= 0.0 {
        return f64::INFINITY;
    }
    let a = w2 * max / s2;
    let b = s2 / (w2 * min);
    if a.partial_cmp(&b) == Some(Ordering::Greater) {
        a
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn path(s: &str) -> EntryPath {
        EntryPath::parse(s.as_bytes()).unwrap()
    }

    /// A deterministic pseudo-random tree of `n` files.
    fn paths(n: usize) -> Vec<(EntryPath, u64, u32, bool)> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        (0..n)
            .map(|i| {
                let depth = (next() % 4) as usize;
                let mut p = String::new();
                for _ in 0..depth {
                    p.push_str(&alloc::format!("d{}/", next() % 5));
                }
                p.push_str(&alloc::format!("f{i}"));
                let size = 1 + next() % 100_000;
                (path(&p), size, (next() % 3) as u32, next() % 4 == 0)
            })
            .collect()
    }

    fn map(files: &[(EntryPath, u64, u32, bool)], options: &TreemapOptions) -> Treemap {
        let items = files
            .iter()
            .map(|(p, size, layer, dead)| Item {
                path: p,
                size: *size,
                layer: *layer,
                dead: *dead,
            })
            .collect();
        Treemap::lay_out(Scope::Final, 3, items, options)
    }

    const EPS: f64 = 1e-6;

    fn inside(c: &Tile, p: &Tile) -> bool {
        c.x >= p.x - EPS
            && c.y >= p.y - EPS
            && c.x + c.w <= p.x + p.w + EPS
            && c.y + c.h <= p.y + p.h + EPS
    }

    fn overlap(a: &Tile, b: &Tile) -> f64 {
        let w = (a.x + a.w).min(b.x + b.w) - a.x.max(b.x);
        let h = (a.y + a.h).min(b.y + b.h) - a.y.max(b.y);
        if w > 0.0 && h > 0.0 {
            w * h
        } else {
            0.0
        }
    }

    #[test]
    fn squarify_fills_the_rectangle_in_proportion() {
        let sizes = [600, 600, 400, 300, 200, 200, 100];
        let r = Rect {
            x: 0.0,
            y: 0.0,
            w: 6.0,
            h: 4.0,
        };
        let rects = squarify(&sizes, r);
        assert_eq!(rects.len(), sizes.len());
        let area: f64 = rects.iter().map(|r| r.w * r.h).sum();
        assert!((area - 24.0).abs() < 1e-9);
        for (s, r) in sizes.iter().zip(&rects) {
            assert!(
                (r.w * r.h - *s as f64 * 24.0 / 2400.0).abs() < 1e-9,
                "{r:?}"
            );
        }
        // The classic example's first two squares are 3×2 each, side by side on the left.
        assert!((rects[0].w - 3.0).abs() < 1e-9 && (rects[0].h - 2.0).abs() < 1e-9);
    }

    #[test]
    fn tiles_nest_do_not_overlap_and_have_areas_by_size() {
        let files = paths(3000);
        let options = TreemapOptions {
            max_tiles: 400,
            ..TreemapOptions::default()
        };
        let m = map(&files, &options);
        assert!(m.tiles.len() <= 400, "{}", m.tiles.len());
        assert!(m.tiles.len() > 50);
        let total: u64 = files.iter().map(|f| f.1).sum();
        let dead: u64 = files.iter().filter(|f| f.3).map(|f| f.1).sum();
        assert_eq!((m.total, m.dead, m.files), (total, dead, 3000));
        // Children of each open tile: inside it, apart, areas in proportion to sizes, and
        // together exactly their parent's bytes.
        for (pi, p) in m.tiles.iter().enumerate() {
            let kids: Vec<&Tile> = m
                .tiles
                .iter()
                .filter(|t| t.parent == Some(pi as u32))
                .collect();
            assert_eq!(p.open, !kids.is_empty());
            if kids.is_empty() {
                continue;
            }
            assert_eq!(kids.iter().map(|k| k.size).sum::<u64>(), p.size);
            assert_eq!(kids.iter().map(|k| k.dead).sum::<u64>(), p.dead);
            assert_eq!(kids.iter().map(|k| k.files).sum::<u64>(), p.files);
            let inner = inset(p, p.depth == 0);
            let per_byte = inner.w * inner.h / p.size as f64;
            for (i, a) in kids.iter().enumerate() {
                assert!(inside(a, p), "{a:?} outside {p:?}");
                let want = a.size as f64 * per_byte;
                assert!((a.w * a.h - want).abs() <= 1e-6 * want.max(1.0), "{a:?}");
                for b in &kids[i + 1..] {
                    assert!(overlap(a, b) < 1e-6, "{a:?} overlaps {b:?}");
                }
            }
        }
        // The same input lays out the same way.
        assert_eq!(map(&files, &options), m);
    }

    #[test]
    fn small_children_gather_into_one_other_tile() {
        let mut files: Vec<(EntryPath, u64, u32, bool)> = (0..1000)
            .map(|i| (path(&alloc::format!("many/f{i:04}")), 10, 1, false))
            .collect();
        files.push((path("big"), 100_000, 0, true));
        let m = map(&files, &TreemapOptions::default());
        let other: Vec<&Tile> = m
            .tiles
            .iter()
            .filter(|t| t.kind == TileKind::Other)
            .collect();
        assert_eq!(other.len(), 1);
        assert_eq!((other[0].size, other[0].files), (10_000, 1000));
        assert_eq!(other[0].path, "many");
        let big = m.tiles.iter().find(|t| t.path == "big").unwrap();
        assert_eq!(
            (big.kind, big.dead, big.layer),
            (TileKind::File, 100_000, Some(0))
        );
    }

    #[test]
    fn a_file_and_a_directory_of_the_same_name_are_apart() {
        let files = [
            (path("a"), 5, 0, true),
            (path("a.b"), 5, 1, false),
            (path("a/x"), 7, 1, false),
            (path("a/y/z"), 9, 2, false),
        ];
        let m = map(&files, &TreemapOptions::default());
        let names: Vec<(&str, TileKind)> =
            m.tiles.iter().map(|t| (t.path.as_str(), t.kind)).collect();
        for want in [
            ("a", TileKind::File),
            ("a", TileKind::Dir),
            ("a.b", TileKind::File),
            ("a/x", TileKind::File),
            ("a/y", TileKind::Dir),
            ("a/y/z", TileKind::File),
        ] {
            assert!(names.contains(&want), "{want:?} in {names:?}");
        }
        let dir = m
            .tiles
            .iter()
            .find(|t| t.path == "a" && t.kind == TileKind::Dir)
            .unwrap();
        assert_eq!(dir.size, 16);
    }
}
