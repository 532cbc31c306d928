//! The file list, kept here: the layer's tree, which directories are open, the filters and
//! the rows they leave. The page asks for changes and a window of rows; every answer is a
//! window, so nothing the page receives or does grows with the number of paths (a layer of
//! a million files would otherwise cost the page a long task to decode and nest).

use std::cell::RefCell;
use std::collections::BTreeSet;

use layerlens_core::view::{tree_with_paths_at, FileTree, Mark, TreeFilter};

use super::{post, Session};
use crate::protocol::{Event, Failure, FilesOp, FilesRequest, FilesView, ShownNode};

/// Rows a window may hold (the page asks for a screenful and some margin).
const MAX_WINDOW: u32 = 1_000;

/// One layer's tree and the view of it.
struct Files {
    layer: usize,
    tree: FileTree,
    /// The exact path bytes of each row (display text cannot be turned back into a name).
    raw: Vec<Vec<u8>>,
    changed: u32,
    expanded: BTreeSet<u32>,
    filter: TreeFilter,
    /// Nodes shown, in order.
    visible: Vec<u32>,
    /// Each node's position in `visible` (`u32::MAX`: hidden).
    pos_of: Vec<u32>,
}

thread_local! {
    static FILES: RefCell<Option<Files>> = const { RefCell::new(None) };
}

/// Drops the tree (a new image was opened).
pub(super) fn forget() {
    FILES.with(|f| *f.borrow_mut() = None);
}

/// The exact bytes of row `row` of `layer`'s list, if that list is kept.
pub(super) fn raw_path(layer: usize, row: u32) -> Option<Vec<u8>> {
    FILES.with(|f| {
        f.borrow()
            .as_ref()
            .filter(|f| f.layer == layer)
            .and_then(|f| f.raw.get(row as usize).cloned())
    })
}

impl Files {
    fn build(session: &Session, layer: usize, filter: TreeFilter) -> Self {
        let (rows, raw) = tree_with_paths_at(session.analysis.model(), layer);
        let changed = rows.iter().filter(|r| r.mark != Mark::Unchanged).count() as u32;
        let mut f = Files {
            layer,
            tree: FileTree::new(rows),
            raw,
            changed,
            expanded: BTreeSet::new(),
            filter,
            visible: Vec::new(),
            pos_of: Vec::new(),
        };
        f.reset();
        f
    }

    /// Top-level directories open, and those holding matches of the text filter.
    fn reset(&mut self) {
        let t = &self.tree;
        let mut e: BTreeSet<u32> = t
            .roots
            .iter()
            .copied()
            .filter(|&r| !t.nodes[r as usize].children.is_empty())
            .collect();
        e.extend(t.match_ancestors(&self.filter));
        self.expanded = e;
        self.refresh();
    }

    fn refresh(&mut self) {
        self.visible = self.tree.visible(&self.expanded, &self.filter);
        self.pos_of = vec![u32::MAX; self.tree.nodes.len()];
        for (p, &id) in self.visible.iter().enumerate() {
            self.pos_of[id as usize] = p as u32;
        }
    }

    fn pos(&self, node: u32) -> Option<usize> {
        self.pos_of
            .get(node as usize)
            .filter(|&&p| p != u32::MAX)
            .map(|&p| p as usize)
    }

    fn depth_at(&self, pos: usize) -> u32 {
        self.tree.nodes[self.visible[pos] as usize].depth
    }

    fn shown(&self, pos: usize) -> ShownNode {
        let id = self.visible[pos];
        let n = &self.tree.nodes[id as usize];
        ShownNode {
            pos: pos as u32,
            id,
            name: n.name.clone(),
            path: n.path.clone(),
            depth: n.depth,
            parent: !n.children.is_empty(),
            open: pos + 1 < self.visible.len() && self.depth_at(pos + 1) > n.depth,
            total_size: n.total_size,
            row: n.row,
            entry: self.tree.row(id).cloned(),
        }
    }

    /// Applies `op`; returns the active row's position and whether the op moved it.
    fn apply(&mut self, op: FilesOp, active: Option<u32>) -> (Option<usize>, bool) {
        let current = |f: &Files| active.and_then(|id| f.pos(id));
        match op {
            FilesOp::Open => {
                self.reset();
                (None, false)
            }
            FilesOp::Window => (current(self), false),
            FilesOp::Toggle { node, open } => {
                if open {
                    self.expanded.insert(node);
                } else {
                    self.expanded.remove(&node);
                }
                self.refresh();
                (self.pos(node), true)
            }
            FilesOp::ExpandAll => {
                self.expanded = self.tree.dirs();
                self.refresh();
                (current(self), false)
            }
            FilesOp::CollapseAll => {
                self.expanded.clear();
                self.refresh();
                (current(self), false)
            }
            // The filters were set by the caller; a new text opened the matches' directories.
            FilesOp::Filter => (current(self), false),
            FilesOp::Focus { path } => {
                // Again when asked again: the person may have closed them since.
                let open = self.tree.match_ancestors(&self.filter);
                self.expanded.extend(open);
                self.refresh();
                let node = self.tree.nodes.iter().position(|n| n.path == path);
                (node.and_then(|id| self.pos(id as u32)), true)
            }
            FilesOp::MoveTo { pos } => {
                let last = self.visible.len().checked_sub(1);
                (last.map(|l| (pos as usize).min(l)), true)
            }
            FilesOp::Parent => {
                let at = current(self);
                let parent = at.and_then(|p| {
                    let depth = self.depth_at(p);
                    (0..p).rev().find(|&q| self.depth_at(q) < depth)
                });
                (parent.or(at), true)
            }
            FilesOp::TypeAhead { prefix, from } => {
                let n = self.visible.len();
                let found = (0..n).map(|k| (from as usize + k) % n).find(|&p| {
                    self.tree.nodes[self.visible[p] as usize]
                        .name
                        .to_lowercase()
                        .starts_with(&prefix)
                });
                (found.or(current(self)), true)
            }
        }
    }
}

/// Answers a request of the file list with the window it asks for.
pub(super) fn answer(session: Option<&Session>, r: FilesRequest) -> Result<(), Failure> {
    FILES.with(|cell| {
        let mut cell = cell.borrow_mut();
        let kept = cell.as_ref().is_some_and(|f| f.layer == r.layer);
        if !kept {
            let Some(s) = session else {
                return Err("the file list follows when the current work has finished".into());
            };
            *cell = Some(Files::build(s, r.layer, r.filter.clone()));
        }
        let Some(f) = cell.as_mut() else {
            return Err("no file list".into());
        };
        if f.filter != r.filter {
            if f.filter.text != r.filter.text {
                f.expanded.extend(f.tree.match_ancestors(&r.filter));
            }
            f.filter = r.filter.clone();
            f.refresh();
        }
        let (at, moved) = f.apply(r.op, r.active);
        let at = at.or((!f.visible.is_empty()).then_some(0));
        let total = f.visible.len();
        let first = (r.first as usize).min(total);
        let end = (first + r.count.min(MAX_WINDOW) as usize).min(total);
        let view = FilesView {
            seq: r.seq,
            layer: f.layer,
            paths: f.tree.rows.len() as u32,
            changed: f.changed,
            total: total as u32,
            rows: (first..end).map(|p| f.shown(p)).collect(),
            active: at.map(|p| f.shown(p)),
            moved,
        };
        post(&Event::Files(Box::new(view)), None);
        Ok(())
    })
}
