//! What one layer changed against the union of the layers below it.

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::layer::{Entry, EntryPath, EntryRef};

/// Which attributes differ between the state below and the state after a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Diff(u16);

impl Diff {
    /// The entry type changed.
    pub const TYPE: Diff = Diff(1);
    /// The content size changed.
    pub const SIZE: Diff = Diff(2);
    /// Permission bits changed.
    pub const MODE: Diff = Diff(4);
    /// uid or gid changed.
    pub const OWNER: Diff = Diff(8);
    /// Symlink or hardlink target changed.
    pub const LINK: Diff = Diff(16);
    /// Modification time changed.
    pub const MTIME: Diff = Diff(32);
    /// Extended attributes changed.
    pub const XATTRS: Diff = Diff(64);
    /// Device numbers changed.
    pub const DEVICE: Diff = Diff(128);
    /// The bytes differ (known only from content hashes, in a deep scan).
    pub const CONTENT: Diff = Diff(256);

    /// The attributes that differ between two entries.
    pub fn between(old: &Entry, new: &Entry) -> Diff {
        let mut d = Diff(0);
        if old.kind != new.kind {
            d.0 |= Self::TYPE.0;
        }
        if old.size != new.size {
            d.0 |= Self::SIZE.0;
        }
        if old.mode != new.mode {
            d.0 |= Self::MODE.0;
        }
        if old.uid != new.uid || old.gid != new.gid {
            d.0 |= Self::OWNER.0;
        }
        if old.link != new.link {
            d.0 |= Self::LINK.0;
        }
        if old.mtime != new.mtime {
            d.0 |= Self::MTIME.0;
        }
        if old.xattrs() != new.xattrs() {
            d.0 |= Self::XATTRS.0;
        }
        if old.device() != new.device() {
            d.0 |= Self::DEVICE.0;
        }
        d
    }

    /// Nothing differs.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Adds the attributes of `other`.
    pub fn with(self, other: Diff) -> Diff {
        Diff(self.0 | other.0)
    }

    /// Whether every attribute in `other` differs.
    pub fn contains(self, other: Diff) -> bool {
        self.0 & other.0 == other.0
    }

    /// Only metadata changed (mode, owner, mtime, xattrs): the bytes are the same size and
    /// the type and link are unchanged. For a file, this layer re-ships it whole anyway.
    pub fn is_metadata_only(self) -> bool {
        !self.is_empty()
            && self.0
                & (Self::TYPE.0 | Self::SIZE.0 | Self::LINK.0 | Self::DEVICE.0 | Self::CONTENT.0)
                == 0
    }

    /// Every attribute with its name, in the order names are listed.
    const NAMED: [(Diff, &'static str); 9] = [
        (Self::TYPE, "type"),
        (Self::SIZE, "size"),
        (Self::MODE, "mode"),
        (Self::OWNER, "owner"),
        (Self::LINK, "link"),
        (Self::MTIME, "mtime"),
        (Self::XATTRS, "xattrs"),
        (Self::DEVICE, "device"),
        (Self::CONTENT, "content"),
    ];

    /// Names of the differing attributes.
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMED
            .iter()
            .filter(|(f, _)| self.contains(*f))
            .map(|(_, n)| *n)
            .collect()
    }

    /// The attribute called `name` (one of [`Diff::names`]), if there is one.
    pub fn named(name: &str) -> Option<Diff> {
        Self::NAMED
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
    }
}

/// How a path changed in a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Not present below, present after.
    Added,
    /// Present below and after, with different attributes.
    Modified(Diff),
    /// Present below, gone after, and why (a whiteout, an opaque directory, or a
    /// non-directory replacing a directory).
    Removed(Removal),
    /// Written again with identical metadata (size, mode, owner, mtime, …).
    Readded,
}

impl ChangeKind {
    /// Why the path went away, if this change removed it.
    pub fn removal(self) -> Option<Removal> {
        match self {
            ChangeKind::Removed(r) => Some(r),
            _ => None,
        }
    }

    /// Whether this change removed the path.
    pub fn is_removed(self) -> bool {
        matches!(self, ChangeKind::Removed(_))
    }
}

/// Why a path disappeared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Removal {
    /// A `.wh.` whiteout of the path or an ancestor.
    Whiteout,
    /// An opaque marker on an ancestor directory.
    Opaque,
    /// A non-directory replaced it or an ancestor directory.
    Replaced,
}

impl core::fmt::Display for Removal {
    /// The serialised name: `whiteout`, `opaque` or `replaced`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Removal::Whiteout => "whiteout",
            Removal::Opaque => "opaque",
            Removal::Replaced => "replaced",
        })
    }
}

/// Something the union had to work around in a layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Anomaly {
    /// A hardlink whose target does not exist; the link is left out.
    DanglingHardlink {
        /// The link.
        path: EntryPath,
    },
    /// An entry below a non-directory; the non-directory was replaced by a directory.
    ParentNotDirectory {
        /// The entry.
        path: EntryPath,
        /// The ancestor that was not a directory.
        ancestor: EntryPath,
    },
}

/// One changed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The path.
    pub path: EntryPath,
    /// How it changed.
    pub kind: ChangeKind,
    /// The entry of this layer that wrote it, if any (none for removals).
    pub entry: Option<u32>,
    /// The inode entry it had below this layer, if it existed.
    pub before: Option<EntryRef>,
    /// Content bytes of the state below that this layer hides (0 if new or not a file).
    pub hidden_size: u64,
}

/// Serialised as `"added"`, `{"modified": bits}`, `"removed"` or `"readded"`: the removal's
/// cause goes in a field of its own where there is one ([`Change`]).
impl Serialize for ChangeKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ChangeKind::Added => s.serialize_unit_variant("ChangeKind", 0, "added"),
            ChangeKind::Modified(d) => s.serialize_newtype_variant("ChangeKind", 1, "modified", d),
            ChangeKind::Removed(_) => s.serialize_unit_variant("ChangeKind", 2, "removed"),
            ChangeKind::Readded => s.serialize_unit_variant("ChangeKind", 3, "readded"),
        }
    }
}

/// Serialised as `{"path", "kind": "removed", …, "removal": "whiteout"}`: the removal's
/// cause as its own field, the shape `analyze --json` has always had.
impl Serialize for Change {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let removal = self.kind.removal();
        let mut st = s.serialize_struct("Change", 5 + usize::from(removal.is_some()))?;
        st.serialize_field("path", &self.path)?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("entry", &self.entry)?;
        st.serialize_field("before", &self.before)?;
        st.serialize_field("hidden_size", &self.hidden_size)?;
        if let Some(r) = removal {
            st.serialize_field("removal", &r)?;
        }
        st.end()
    }
}

/// All changes of one layer, sorted by path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeSet {
    /// Layer position.
    pub layer: u32,
    /// Changed paths.
    pub changes: Vec<Change>,
    /// What the union had to work around.
    pub anomalies: Vec<Anomaly>,
}

/// Counts per change kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChangeCounts {
    /// Added paths.
    pub added: u64,
    /// Modified paths.
    pub modified: u64,
    /// Removed paths.
    pub removed: u64,
    /// Re-added unchanged.
    pub readded: u64,
}

impl ChangeSet {
    /// Counts per kind.
    pub fn counts(&self) -> ChangeCounts {
        let mut c = ChangeCounts::default();
        for ch in &self.changes {
            match ch.kind {
                ChangeKind::Added => c.added += 1,
                ChangeKind::Modified(_) => c.modified += 1,
                ChangeKind::Removed(_) => c.removed += 1,
                ChangeKind::Readded => c.readded += 1,
            }
        }
        c
    }

    /// Content bytes of lower layers that this layer hides (removed or replaced).
    pub fn hidden_size(&self) -> u64 {
        self.changes.iter().map(|c| c.hidden_size).sum()
    }
}

/// `p` if a layer of `changes` has it; otherwise the first path a layer has that is shown as
/// `p` (a name with escaped characters — a newline, bytes that are not UTF-8 — clicked on the
/// page or copied from the terminal), else `p`.
pub fn path_as_shown(changes: &[ChangeSet], p: EntryPath) -> EntryPath {
    let has = |cs: &ChangeSet| {
        cs.changes
            .binary_search_by(|c| c.path.as_bytes().cmp(p.as_bytes()))
            .is_ok()
    };
    if changes.iter().any(has) {
        return p;
    }
    changes
        .iter()
        .flat_map(|cs| &cs.changes)
        .find(|c| c.path.display().as_bytes() == p.as_bytes())
        .map_or(p, |c| c.path.clone())
}
