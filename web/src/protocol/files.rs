//! Messages of the file list. A layer's tree (up to millions of paths) stays in the worker,
//! which keeps its expansion and filters; the page asks for the window of rows it shows and
//! gets only those, so no message and no page task grows with the number of paths. They
//! travel inside [`Request::Files`](super::Request::Files) and
//! [`Event::Files`](super::Event::Files).

use layerlens_core::view::{TreeFilter, TreeRow};
use serde::{Deserialize, Serialize};

/// Page → worker: change the view of `layer`'s tree, then answer with a window of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilesRequest {
    /// Numbers requests, so the page can drop answers to older ones.
    pub seq: u32,
    /// The layer whose filesystem is shown.
    pub layer: usize,
    /// The filters the page shows (a worker without this layer's tree, e.g. after a restart,
    /// builds it with them).
    pub filter: TreeFilter,
    /// What to change.
    pub op: FilesOp,
    /// First row of the window to send.
    pub first: u32,
    /// Rows in the window.
    pub count: u32,
    /// The node holding the tab stop on the page (if still shown it stays so).
    pub active: Option<u32>,
}

/// A change of the view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op")]
pub enum FilesOp {
    /// Show the layer afresh: its top-level directories open, plus those holding matches.
    Open,
    /// Only the window (the view scrolled).
    Window,
    /// Open or close a directory (it becomes active).
    Toggle {
        /// The node.
        node: u32,
        /// Open it (else close it).
        open: bool,
    },
    /// Open every directory.
    ExpandAll,
    /// Close every directory.
    CollapseAll,
    /// New filters (a new text opens the directories holding its matches).
    Filter,
    /// Show one path (from a finding): the filter is its text; it becomes active.
    Focus {
        /// The path, as displayed.
        path: String,
    },
    /// Make the row at this position active (arrows, Home/End, Page keys).
    MoveTo {
        /// Row position.
        pos: u32,
    },
    /// Make the active row's parent directory active.
    Parent,
    /// Type-ahead: the next row from `from` (wrapping) whose name starts with `prefix`.
    TypeAhead {
        /// Lower-cased letters typed.
        prefix: String,
        /// Where the search starts.
        from: u32,
    },
}

/// One row of the window: a node of the tree and, if the path has its own entry, the entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShownNode {
    /// Position among the rows shown.
    pub pos: u32,
    /// Node id (stable while the layer's tree is kept).
    pub id: u32,
    /// Last path component.
    pub name: String,
    /// Full path.
    pub path: String,
    /// Depth (0 = top level).
    pub depth: u32,
    /// Whether it has children (can be opened).
    pub parent: bool,
    /// Whether its children are listed below it.
    pub open: bool,
    /// Bytes of it and everything below it.
    pub total_size: u64,
    /// Its row in the layer's list ([`crate::protocol::RowRef::row`]), if it has an entry.
    pub row: Option<u32>,
    /// The entry, if it has one.
    pub entry: Option<TreeRow>,
}

/// Worker → page: the view after a [`FilesRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilesView {
    /// The request answered.
    pub seq: u32,
    /// The layer shown.
    pub layer: usize,
    /// Paths in the layer's list.
    pub paths: u32,
    /// Paths added, modified or removed by the layer.
    pub changed: u32,
    /// Rows shown (after expansion and filters).
    pub total: u32,
    /// The window's rows, from the first asked for.
    pub rows: Vec<ShownNode>,
    /// The active row (wherever it is), if any row is shown.
    pub active: Option<ShownNode>,
    /// The active row was moved by the request (keyboard, a path shown, a directory
    /// toggled): the page scrolls it into view.
    pub moved: bool,
}
