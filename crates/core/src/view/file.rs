//! What the file viewer shows beside a file's bytes: its metadata in the state chosen, the
//! other paths of its hardlink group, and the layer and build step that wrote it.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::fs::{Node, UnionFs};
use crate::image::step;
use crate::layer::EntryPath;
use crate::model::Model;
use crate::sanitize::display_bytes;
use crate::stream::Compression;

/// A file's metadata as the viewer shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// The real path (symlinks followed), escaped for display.
    pub path: String,
    /// `ls -l` letter of its type.
    pub kind: char,
    /// Content size.
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Owner and group names, if recorded.
    pub uname: Option<String>,
    /// Group name.
    pub gname: Option<String>,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Extended attributes (name, value escaped).
    pub xattrs: Vec<(String, String)>,
    /// Symlink target of the path asked for, when it was a link.
    pub link: Option<String>,
    /// The other paths sharing its inode, escaped.
    pub hardlinks: Vec<String>,
    /// The layer whose entry holds the bytes.
    pub layer: usize,
    /// The build step that made that layer.
    pub step: String,
    /// Whether that layer is compressed (its bytes are read by decoding it up to the file).
    pub compressed: bool,
}

impl FileInfo {
    /// The metadata of the node at `path` in `fs` (a state of `m`'s image); `link` is the
    /// symlink target of the path asked for, if it was one.
    pub fn new(
        m: Model<'_>,
        fs: &UnionFs,
        path: &EntryPath,
        node: Node,
        link: Option<&[u8]>,
    ) -> Option<FileInfo> {
        let e = m.entry(node.inode_entry)?;
        let layer = node.inode_entry.layer as usize;
        let l = m.image.layers.get(layer)?;
        let hardlinks = fs
            .iter()
            .filter(|(p, n)| n.inode == node.inode && *p != path)
            .map(|(p, _)| alloc::format!("/{}", p.display()))
            .collect();
        Some(FileInfo {
            path: alloc::format!("/{}", path.display()),
            kind: e.kind.letter(),
            size: e.size,
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            uname: e.uname().map(String::from),
            gname: e.gname().map(String::from),
            mtime: e.mtime,
            xattrs: e
                .xattrs()
                .iter()
                .map(|x| (String::from(&*x.name), display_bytes(&x.value)))
                .collect(),
            link: link.map(display_bytes),
            hardlinks,
            layer,
            step: l
                .history
                .as_ref()
                .and_then(|h| h.created_by.as_deref())
                .map(step)
                .unwrap_or_default(),
            compressed: l.index.compression != Compression::None,
        })
    }
}
