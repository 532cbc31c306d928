//! The final filesystems compared path by path: one merge of the two unions' sorted maps, so
//! the cost grows with the number of paths, not their square.
//!
//! A path is compared by what it is, not by how it got there: the entry holding its inode
//! (a hardlink reads as the file it shares), its type, permission bits, owner, extended
//! attributes, link target, device numbers and contents; the mtime only when asked. Two
//! files of one size whose bytes are not known equal become a [`Pending`] pair that the
//! caller settles by hashing.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::fs::UnionFs;
use crate::image::Image;
use crate::layer::{Entry, EntryKind, EntryPath, EntryRef};
use crate::sanitize::display_bytes;

/// How a path differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Only in B.
    Added,
    /// Only in A.
    Removed,
    /// In both, different.
    Modified,
}

impl Change {
    /// The line mark: `+`, `-` or `~`.
    pub fn mark(self) -> char {
        match self {
            Change::Added => '+',
            Change::Removed => '-',
            Change::Modified => '~',
        }
    }
}

/// What differs in a modified path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attr {
    /// The type (file, directory, symlink, …).
    Type,
    /// The bytes (by size, or by sha256 for files of one size).
    Content,
    /// Permission bits, setuid/setgid/sticky included.
    Mode,
    /// uid or gid.
    Owner,
    /// Extended attributes.
    Xattrs,
    /// Symlink target.
    Link,
    /// Device numbers.
    Device,
    /// Modification time (compared only when strict about mtimes).
    Mtime,
}

impl Attr {
    /// The attribute's name as lines and JSON say it.
    pub fn name(self) -> &'static str {
        match self {
            Attr::Type => "type",
            Attr::Content => "content",
            Attr::Mode => "mode",
            Attr::Owner => "owner",
            Attr::Xattrs => "xattrs",
            Attr::Link => "link",
            Attr::Device => "device",
            Attr::Mtime => "mtime",
        }
    }
}

/// One differing path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathChange {
    /// `/` and the path as shown (control characters escaped).
    pub path: String,
    /// Added, removed or modified.
    pub change: Change,
    /// What differs (modified paths only), in [`Attr`] order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attrs: Vec<Attr>,
    /// Type letter in A (`-`, `d`, `l`, …), when A has the path.
    pub type_a: Option<char>,
    /// Type letter in B.
    pub type_b: Option<char>,
    /// Content bytes in A (0 for a non-file), when A has the path.
    pub size_a: Option<u64>,
    /// Content bytes in B.
    pub size_b: Option<u64>,
    /// The entry holding A's inode (`[layer, entry]`), for reading its bytes.
    pub entry_a: Option<[u32; 2]>,
    /// The entry holding B's inode.
    pub entry_b: Option<[u32; 2]>,
}

impl PathChange {
    /// `size_b − size_a` (a missing side counts as 0).
    pub fn delta(&self) -> i64 {
        self.size_b.unwrap_or(0) as i64 - self.size_a.unwrap_or(0) as i64
    }
}

/// Two files of one size whose bytes must be hashed to know whether they are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// Index into the path list being built.
    pub change: usize,
    /// A's file.
    pub a: EntryRef,
    /// B's file.
    pub b: EntryRef,
}

/// One side: an image and its final union.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The image.
    pub image: &'a Image,
    /// Its final filesystem.
    pub fs: &'a UnionFs,
    /// Known content digests (the deep scan's).
    pub hashes: Option<&'a crate::model::ContentHashes>,
}

/// The path list before hashing: every change found from metadata, including modified
/// candidates whose only open question is their bytes (`attrs` then lacks `Content`).
pub struct Draft {
    /// Sorted by path bytes.
    pub changes: Vec<PathChange>,
    /// Pairs to hash; settle with [`Draft::settle`].
    pub pending: Vec<Pending>,
}

/// Compares the final filesystems of `a` and `b`.
pub fn diff_paths(a: Side<'_>, b: Side<'_>, mtime: bool) -> Draft {
    let mut out = Draft {
        changes: Vec::new(),
        pending: Vec::new(),
    };
    let mut ia = a.fs.iter().peekable();
    let mut ib = b.fs.iter().peekable();
    loop {
        let order = match (ia.peek(), ib.peek()) {
            (None, None) => break,
            (Some(_), None) => core::cmp::Ordering::Less,
            (None, Some(_)) => core::cmp::Ordering::Greater,
            (Some((pa, _)), Some((pb, _))) => pa.cmp(pb),
        };
        match order {
            core::cmp::Ordering::Less => {
                if let Some((p, n)) = ia.next() {
                    out.one_side(
                        p,
                        Change::Removed,
                        a.image.entry(n.inode_entry),
                        n.inode_entry,
                    );
                }
            }
            core::cmp::Ordering::Greater => {
                if let Some((p, n)) = ib.next() {
                    out.one_side(
                        p,
                        Change::Added,
                        b.image.entry(n.inode_entry),
                        n.inode_entry,
                    );
                }
            }
            core::cmp::Ordering::Equal => {
                let (Some((p, na)), Some((_, nb))) = (ia.next(), ib.next()) else {
                    break;
                };
                let (ra, rb) = (na.inode_entry, nb.inode_entry);
                let (Some(ea), Some(eb)) = (a.image.entry(ra), b.image.entry(rb)) else {
                    continue;
                };
                out.both(p, (a, ra, ea), (b, rb, eb), mtime);
            }
        }
    }
    out
}

fn letter(e: &Entry) -> char {
    e.kind.letter()
}

fn content(e: &Entry) -> u64 {
    if e.is_file() {
        e.size
    } else {
        0
    }
}

fn pair(r: EntryRef) -> [u32; 2] {
    [r.layer, r.entry]
}

impl Draft {
    fn one_side(&mut self, p: &EntryPath, change: Change, e: Option<&Entry>, r: EntryRef) {
        let Some(e) = e else { return };
        let added = change == Change::Added;
        let (t, s, en) = (Some(letter(e)), Some(content(e)), Some(pair(r)));
        self.changes.push(PathChange {
            path: shown(p),
            change,
            attrs: Vec::new(),
            type_a: if added { None } else { t },
            type_b: if added { t } else { None },
            size_a: if added { None } else { s },
            size_b: if added { s } else { None },
            entry_a: if added { None } else { en },
            entry_b: if added { en } else { None },
        });
    }

    fn both(
        &mut self,
        p: &EntryPath,
        (a, ra, ea): (Side<'_>, EntryRef, &Entry),
        (b, rb, eb): (Side<'_>, EntryRef, &Entry),
        mtime: bool,
    ) {
        // The same entry of the same layer blob: identical in every respect.
        if ra.entry == rb.entry && same_layer(a.image, ra, b.image, rb) {
            return;
        }
        let mut attrs = Vec::new();
        let mut pending = false;
        if ea.kind != eb.kind {
            attrs.push(Attr::Type);
        } else if ea.is_file() {
            if ea.size != eb.size {
                attrs.push(Attr::Content);
            } else if ea.size > 0 {
                match known_same(a, ra, b, rb) {
                    Some(true) => {}
                    Some(false) => attrs.push(Attr::Content),
                    None => pending = true,
                }
            }
        }
        if ea.mode != eb.mode && !(ea.kind == EntryKind::Symlink && eb.kind == EntryKind::Symlink) {
            attrs.push(Attr::Mode);
        }
        if ea.uid != eb.uid || ea.gid != eb.gid {
            attrs.push(Attr::Owner);
        }
        if !same_xattrs(ea, eb) {
            attrs.push(Attr::Xattrs);
        }
        if ea.kind == EntryKind::Symlink && eb.kind == EntryKind::Symlink && ea.link != eb.link {
            attrs.push(Attr::Link);
        }
        if ea.device() != eb.device() {
            attrs.push(Attr::Device);
        }
        // A directory's mtime changes whenever a child is created; compared for the rest only.
        if mtime && ea.mtime != eb.mtime && !(ea.is_dir() && eb.is_dir()) {
            attrs.push(Attr::Mtime);
        }
        if attrs.is_empty() && !pending {
            return;
        }
        if pending {
            self.pending.push(Pending {
                change: self.changes.len(),
                a: ra,
                b: rb,
            });
        }
        self.changes.push(PathChange {
            path: shown(p),
            change: Change::Modified,
            attrs,
            type_a: Some(letter(ea)),
            type_b: Some(letter(eb)),
            size_a: Some(content(ea)),
            size_b: Some(content(eb)),
            entry_a: Some(pair(ra)),
            entry_b: Some(pair(rb)),
        });
    }

    /// Settles the pending pairs with `same(a, b)` (whether the two files' bytes are equal)
    /// and drops the modified paths left with nothing different.
    pub fn settle(mut self, mut same: impl FnMut(EntryRef, EntryRef) -> bool) -> Vec<PathChange> {
        for p in &self.pending {
            if !same(p.a, p.b) {
                if let Some(c) = self.changes.get_mut(p.change) {
                    c.attrs.insert(0, Attr::Content);
                    c.attrs.sort_unstable();
                }
            }
        }
        self.changes
            .retain(|c| c.change != Change::Modified || !c.attrs.is_empty());
        self.changes
    }
}

fn shown(p: &EntryPath) -> String {
    alloc::format!("/{}", display_bytes(p.as_bytes()))
}

fn same_layer(a: &Image, ra: EntryRef, b: &Image, rb: EntryRef) -> bool {
    let da = a.layers.get(ra.layer as usize).map(|l| l.diff_id);
    let db = b.layers.get(rb.layer as usize).map(|l| l.diff_id);
    da.is_some() && da == db
}

/// Whether the bytes are known equal without reading them: the deep scan hashed both.
fn known_same(a: Side<'_>, ra: EntryRef, b: Side<'_>, rb: EntryRef) -> Option<bool> {
    let ha = a.hashes?.get(ra)?;
    let hb = b.hashes?.get(rb)?;
    Some(ha == hb)
}

/// Extended attributes as a set: writers order PAX records differently.
fn same_xattrs(a: &Entry, b: &Entry) -> bool {
    if a.xattrs().len() != b.xattrs().len() {
        return false;
    }
    let mut xa: Vec<_> = a.xattrs().iter().map(|x| (&x.name, &x.value)).collect();
    let mut xb: Vec<_> = b.xattrs().iter().map(|x| (&x.name, &x.value)).collect();
    xa.sort_unstable();
    xb.sort_unstable();
    xa == xb
}
