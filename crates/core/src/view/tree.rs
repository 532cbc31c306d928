//! A file tree for display: rows of one layer's view nested by path, directory sizes rolled
//! up, and the list of visible nodes for given expansion, sort and filters. Pure and O(n) per
//! refresh, so 100,000 paths stay smooth when only the visible rows are rendered.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::hashing::{path_map, PathMap};

use super::{Mark, TreeRow};

/// One node: a row, or a directory implied by deeper paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Last path component.
    pub name: String,
    /// Full path.
    pub path: String,
    /// Depth (0 = top level).
    pub depth: u32,
    /// The row, if the path has its own entry.
    pub row: Option<u32>,
    /// Children, in path order.
    pub children: Vec<u32>,
    /// Content bytes of this node and everything below it (removed paths excluded).
    pub total_size: u64,
    /// Whether this node or anything below it is added, modified or removed.
    pub changed: bool,
}

/// Sort order of siblings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SortBy {
    /// By name (byte order).
    #[default]
    Name,
    /// Largest first (rolled-up sizes for directories).
    Size,
}

/// What to show.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TreeFilter {
    /// Only paths matching this text (case-insensitive), with their ancestors: paths that
    /// contain it, or with `*` (any characters) or `?` (one character), paths that it
    /// matches whole or from a component on (`*.so` finds `usr/lib/x.so`). A leading `/`
    /// is the image root (paths are shown without it).
    pub text: String,
    /// Only changed paths (and ancestors of changed paths).
    pub changed_only: bool,
    /// Sibling order.
    pub sort: SortBy,
}

/// The nested view of a list of rows. (`Eq` lets `Rc<FileTree>` compare by pointer first.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileTree {
    /// The rows, as given.
    pub rows: Vec<TreeRow>,
    /// Nodes; top-level nodes are listed in `roots`.
    pub nodes: Vec<Node>,
    /// Top-level nodes.
    pub roots: Vec<u32>,
}

impl FileTree {
    /// Nests `rows` (any order).
    pub fn new(rows: Vec<TreeRow>) -> Self {
        let mut t = FileTree {
            rows,
            nodes: Vec::new(),
            roots: Vec::new(),
        };
        let mut by_path: PathMap<String, u32> = path_map(t.rows.len());
        let mut order: Vec<u32> = (0..t.rows.len() as u32).collect();
        order.sort_by(|&a, &b| t.rows[a as usize].path.cmp(&t.rows[b as usize].path));
        for ri in order {
            let path = t.rows[ri as usize].path.clone();
            let id = t.ensure(&path, &mut by_path);
            t.nodes[id as usize].row = Some(ri);
        }
        // Roll sizes and change flags up, children before parents (reverse creation order
        // visits every child before its parent: parents are created first).
        for id in (0..t.nodes.len()).rev() {
            let (own, changed) = match t.nodes[id].row.map(|r| &t.rows[r as usize]) {
                Some(r) => (
                    if r.mark == Mark::Removed { 0 } else { r.size },
                    r.mark != Mark::Unchanged,
                ),
                None => (0, false),
            };
            let (kids_size, kids_changed) =
                t.nodes[id]
                    .children
                    .iter()
                    .fold((0u64, false), |(s, c), &k| {
                        (
                            s + t.nodes[k as usize].total_size,
                            c || t.nodes[k as usize].changed,
                        )
                    });
            t.nodes[id].total_size = own + kids_size;
            t.nodes[id].changed = changed || kids_changed;
        }
        t
    }

    /// The node for `path`, creating it and any missing ancestors. Iterative: a hostile
    /// archive may nest paths thousands deep.
    fn ensure(&mut self, path: &str, by_path: &mut PathMap<String, u32>) -> u32 {
        // Find the deepest existing ancestor, then create the rest top-down.
        let mut missing: Vec<&str> = Vec::new();
        let mut cur = path;
        let mut parent = loop {
            if let Some(&id) = by_path.get(cur) {
                break Some(id);
            }
            missing.push(cur);
            match cur.rfind('/') {
                Some(i) => cur = &cur[..i],
                None => break None,
            }
        };
        while let Some(p) = missing.pop() {
            let name = p.rfind('/').map_or(p, |i| &p[i + 1..]);
            let id = self.nodes.len() as u32;
            let depth = parent.map_or(0, |q| self.nodes[q as usize].depth + 1);
            self.nodes.push(Node {
                name: name.into(),
                path: p.into(),
                depth,
                row: None,
                children: Vec::new(),
                total_size: 0,
                changed: false,
            });
            match parent {
                Some(q) => self.nodes[q as usize].children.push(id),
                None => self.roots.push(id),
            }
            by_path.insert(p.into(), id);
            parent = Some(id);
        }
        parent.unwrap_or(0)
    }

    /// The row of a node.
    pub fn row(&self, node: u32) -> Option<&TreeRow> {
        self.nodes
            .get(node as usize)
            .and_then(|n| n.row)
            .and_then(|r| self.rows.get(r as usize))
    }

    /// Directories (nodes with children), for "expand all".
    pub fn dirs(&self) -> BTreeSet<u32> {
        (0..self.nodes.len() as u32)
            .filter(|&i| !self.nodes[i as usize].children.is_empty())
            .collect()
    }

    /// Which nodes the filters keep (a node matches, or one below it does), and which of
    /// them have a kept node below them.
    fn kept(&self, filter: &TreeFilter) -> (Vec<bool>, Vec<bool>) {
        let needle = Needle::new(&filter.text);
        let mut keep = alloc::vec![true; self.nodes.len()];
        let mut has_kept_child = alloc::vec![false; self.nodes.len()];
        if needle.is_some() || filter.changed_only {
            for id in (0..self.nodes.len()).rev() {
                let n = &self.nodes[id];
                let text_ok = needle.as_ref().is_none_or(|x| x.matches(&n.path));
                let change_ok = !filter.changed_only || n.changed;
                let kid = n.children.iter().any(|&k| keep[k as usize]);
                keep[id] = (text_ok && change_ok) || kid;
                has_kept_child[id] = kid;
            }
        }
        (keep, has_kept_child)
    }

    /// Directories to open so that every match of the text filter shows (none without one).
    pub fn match_ancestors(&self, filter: &TreeFilter) -> BTreeSet<u32> {
        if Needle::new(&filter.text).is_none() {
            return BTreeSet::new();
        }
        let (_, has_kept_child) = self.kept(filter);
        (0..self.nodes.len() as u32)
            .filter(|&i| has_kept_child[i as usize])
            .collect()
    }

    /// Nodes to display, in order: children of expanded nodes follow their parent; the
    /// filters hide nodes without a match at or below them (open [`Self::match_ancestors`]
    /// to show every match).
    pub fn visible(&self, expanded: &BTreeSet<u32>, filter: &TreeFilter) -> Vec<u32> {
        let (keep, _) = self.kept(filter);
        let mut out = Vec::new();
        let mut stack: Vec<u32> = self.sorted(&self.roots, filter.sort);
        stack.reverse();
        while let Some(id) = stack.pop() {
            if !keep[id as usize] {
                continue;
            }
            out.push(id);
            if expanded.contains(&id) {
                let mut kids = self.sorted(&self.nodes[id as usize].children, filter.sort);
                kids.reverse();
                stack.extend(kids);
            }
        }
        out
    }

    fn sorted(&self, ids: &[u32], sort: SortBy) -> Vec<u32> {
        let mut v = ids.to_vec();
        match sort {
            SortBy::Name => v.sort_by(|&a, &b| {
                self.nodes[a as usize]
                    .name
                    .cmp(&self.nodes[b as usize].name)
            }),
            SortBy::Size => v.sort_by(|&a, &b| {
                self.nodes[b as usize]
                    .total_size
                    .cmp(&self.nodes[a as usize].total_size)
                    .then_with(|| {
                        self.nodes[a as usize]
                            .name
                            .cmp(&self.nodes[b as usize].name)
                    })
            }),
        }
        v
    }
}

/// The text filter, lower-cased: a substring, or a glob.
enum Needle {
    Text(String),
    Glob(Vec<char>),
}

impl Needle {
    fn new(text: &str) -> Option<Self> {
        let t = text.trim().trim_start_matches('/').to_lowercase();
        if t.is_empty() {
            None
        } else if t.contains(['*', '?']) {
            Some(Needle::Glob(t.chars().collect()))
        } else {
            Some(Needle::Text(t))
        }
    }

    fn matches(&self, path: &str) -> bool {
        let path = path.to_lowercase();
        match self {
            Needle::Text(t) => path.contains(t.as_str()),
            Needle::Glob(g) => {
                let p: Vec<char> = path.chars().collect();
                // The whole path, or from any component on.
                core::iter::once(0)
                    .chain(
                        p.iter()
                            .enumerate()
                            .filter(|(_, &c)| c == '/')
                            .map(|(i, _)| i + 1),
                    )
                    .any(|start| glob(g, &p[start..]))
            }
        }
    }
}

/// Whether `pattern` (`*`: any run of characters, `?`: one) matches all of `text`. Linear
/// backtracking to the last `*`, so no input makes it exponential.
fn glob(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn row(path: &str, size: u64, mark: Mark) -> TreeRow {
        TreeRow {
            path: path.into(),
            kind: '-',
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            link: None,
            mark,
            layer: 0,
        }
    }

    fn names(t: &FileTree, ids: &[u32]) -> Vec<String> {
        ids.iter()
            .map(|&i| t.nodes[i as usize].path.clone())
            .collect()
    }

    fn sample() -> FileTree {
        FileTree::new(alloc::vec![
            row("usr/bin/a", 10, Mark::Unchanged),
            row("usr/bin/b", 30, Mark::Added),
            row("usr/lib/c", 5, Mark::Unchanged),
            row("etc/x", 1, Mark::Removed),
            row("usr-local", 2, Mark::Unchanged),
        ])
    }

    #[test]
    fn paths_nested_ten_thousand_deep_do_not_recurse() {
        let deep: Vec<String> = (0..10_000).map(|i| alloc::format!("d{i}")).collect();
        let t = FileTree::new(alloc::vec![row(&deep.join("/"), 1, Mark::Added)]);
        assert_eq!(t.nodes.len(), 10_000);
        assert_eq!(t.nodes[9_999].depth, 9_999);
        assert_eq!(t.nodes[0].total_size, 1);
    }

    #[test]
    fn sizes_roll_up_and_removed_paths_do_not_count() {
        let t = sample();
        let usr = t.nodes.iter().find(|n| n.path == "usr").unwrap();
        assert_eq!(usr.total_size, 45);
        assert!(usr.changed);
        let etc = t.nodes.iter().find(|n| n.path == "etc").unwrap();
        assert_eq!(etc.total_size, 0);
    }

    #[test]
    fn only_expanded_directories_show_children() {
        let t = sample();
        let none = t.visible(&BTreeSet::new(), &TreeFilter::default());
        assert_eq!(names(&t, &none), ["etc", "usr", "usr-local"]);
        let all = t.visible(&t.dirs(), &TreeFilter::default());
        assert_eq!(
            names(&t, &all),
            [
                "etc",
                "etc/x",
                "usr",
                "usr/bin",
                "usr/bin/a",
                "usr/bin/b",
                "usr/lib",
                "usr/lib/c",
                "usr-local"
            ]
        );
    }

    #[test]
    fn filters_keep_ancestors_and_sort_by_size() {
        let t = sample();
        let f = TreeFilter {
            text: "BIN/B".into(),
            ..Default::default()
        };
        assert_eq!(names(&t, &t.visible(&BTreeSet::new(), &f)), ["usr"]);
        assert_eq!(
            names(&t, &t.visible(&t.match_ancestors(&f), &f)),
            ["usr", "usr/bin", "usr/bin/b"]
        );
        let f = TreeFilter {
            changed_only: true,
            ..Default::default()
        };
        assert_eq!(
            names(&t, &t.visible(&t.dirs(), &f)),
            ["etc", "etc/x", "usr", "usr/bin", "usr/bin/b"]
        );
        let f = TreeFilter {
            sort: SortBy::Size,
            ..Default::default()
        };
        assert_eq!(
            names(&t, &t.visible(&t.dirs(), &f))[..4],
            ["usr", "usr/bin", "usr/bin/b", "usr/bin/a"]
        );
    }

    #[test]
    fn a_leading_slash_is_the_root_and_globs_match_from_a_component() {
        let t = sample();
        let shown = |text: &str| {
            let f = TreeFilter {
                text: text.into(),
                ..Default::default()
            };
            names(&t, &t.visible(&t.match_ancestors(&f), &f))
        };
        assert_eq!(shown("/usr/bin/a"), ["usr", "usr/bin", "usr/bin/a"]);
        assert_eq!(shown("/etc"), ["etc", "etc/x"]);
        assert_eq!(shown("*/B"), ["usr", "usr/bin", "usr/bin/b"]);
        assert_eq!(shown("/usr/*/c"), ["usr", "usr/lib", "usr/lib/c"]);
        assert_eq!(shown("usr-?ocal"), ["usr-local"]);
        assert_eq!(shown("x*"), ["etc", "etc/x"]);
        assert!(shown("*.so").is_empty());
        assert!(glob(&['a', '*', 'b', '*'], &['a', 'x', 'b']));
        assert!(!glob(&['a', '*', 'b'], &['a', 'x', 'c']));
    }
}
