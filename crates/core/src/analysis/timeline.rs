//! A path's history: every layer that added, changed or removed it, which build step did,
//! and how many bytes of its past versions the image still ships.
//!
//! "added in L2 by `RUN …` (1.2 MB) → modified in L5 (mode) → deleted in L7 (still shipped:
//! 120 MB)". A directory's figures cover its whole subtree.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::deep::ContentHashes;
use crate::fs::whiteout::{classify, Role};
use crate::fs::{ChangeKind, ChangeSet, EntryRef, Removal, UnionFs};
use crate::image::Image;
use crate::layer::{Entry, EntryPath};
use crate::sanitize::display_bytes;
use crate::view::{human_size, step};

/// What a layer did to the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum EventKind {
    /// Created (absent below).
    Added,
    /// Written again with these attributes different (`size`, `mode`, `owner`, …).
    Modified {
        /// Names of the differing attributes.
        changed: Vec<String>,
    },
    /// Written again with identical metadata.
    Readded,
    /// Removed.
    Removed {
        /// How: `whiteout`, `opaque` or `replaced`.
        by: String,
        /// The ancestor whose removal took this path with it, if not the path itself.
        via: Option<String>,
    },
}

/// One layer's change to the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Layer position.
    pub layer: usize,
    /// The build step that made the layer (`RUN apt-get …`), shortened.
    pub step: String,
    /// What happened.
    pub kind: EventKind,
    /// Entry type after the change (`-`, `d`, `l`, `h`, …), none for a removal.
    pub entry_kind: Option<char>,
    /// Content size of the version written (0 for a removal or a non-file).
    pub size: u64,
    /// Permission bits written.
    pub mode: Option<u32>,
    /// Owner written.
    pub uid: Option<u64>,
    /// Group written.
    pub gid: Option<u64>,
    /// Whether this version is the one the final image shows.
    pub current: bool,
    /// With the deep scan: whether the bytes equal the version it replaced.
    pub same_content: Option<bool>,
}

/// A path's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// The path (normalised, lossy UTF-8).
    pub path: String,
    /// Layer by layer.
    pub events: Vec<Event>,
    /// Whether the final image has the path.
    pub present: bool,
    /// Whether the path is (or was last) a directory; the byte figures then cover the
    /// subtree.
    pub is_dir: bool,
    /// Content bytes of the path (subtree) in every layer.
    pub shipped_bytes: u64,
    /// Of those, bytes no one can see in the final image but every pull downloads.
    pub dead_bytes: u64,
    /// Content bytes in the final image.
    pub final_bytes: u64,
}

fn entry(image: &Image, r: EntryRef) -> Option<&Entry> {
    image
        .layers
        .get(r.layer as usize)
        .and_then(|l| l.index.entries.get(r.entry as usize))
}

fn step_of(image: &Image, layer: usize) -> String {
    image
        .layers
        .get(layer)
        .and_then(|l| l.history.as_ref())
        .and_then(|h| h.created_by.as_deref())
        .map(step)
        .unwrap_or_default()
}

impl Timeline {
    /// The timeline of `path` (`/usr/bin/x`, `usr/bin/x`, or a path as shown, with its
    /// escapes), or `None` if no layer ever had it.
    pub fn new(
        image: &Image,
        top: &UnionFs,
        changes: &[ChangeSet],
        path: &[u8],
        hashes: Option<&ContentHashes>,
    ) -> Option<Self> {
        let p = resolve(changes, EntryPath::parse(path).ok()?);
        if p.is_root() {
            return None;
        }
        let mut events = Vec::new();
        let mut last_dir = false;
        for cs in changes {
            let Ok(i) = cs
                .changes
                .binary_search_by(|c| c.path.as_bytes().cmp(p.as_bytes()))
            else {
                continue;
            };
            let Some(c) = cs.changes.get(i) else { continue };
            let layer = cs.layer as usize;
            let written = c.entry.map(|e| EntryRef {
                layer: cs.layer,
                entry: e,
            });
            let meta = written.and_then(|w| entry(image, w));
            let kind = match c.kind {
                ChangeKind::Added => EventKind::Added,
                ChangeKind::Readded => EventKind::Readded,
                ChangeKind::Modified(d) => EventKind::Modified {
                    changed: d.names().into_iter().map(String::from).collect(),
                },
                ChangeKind::Removed => EventKind::Removed {
                    by: match c.removal {
                        Some(Removal::Whiteout) => "whiteout",
                        Some(Removal::Opaque) => "opaque",
                        Some(Removal::Replaced) | None => "replaced",
                    }
                    .into(),
                    via: removed_via(image, layer, &p, c.removal),
                },
            };
            if let Some(m) = meta {
                last_dir = m.is_dir();
            } else if let Some(b) = c.before.and_then(|b| entry(image, b)) {
                last_dir = b.is_dir();
            }
            let same_content = match (c.before, written, hashes) {
                (Some(b), Some(w), Some(h)) => h.same(b, w),
                _ => None,
            };
            events.push(Event {
                layer,
                step: step_of(image, layer),
                kind,
                entry_kind: meta.map(|m| m.kind.letter()),
                size: meta.filter(|m| m.is_file()).map_or(0, |m| m.size),
                mode: meta.map(|m| m.mode),
                uid: meta.map(|m| m.uid),
                gid: meta.map(|m| m.gid),
                current: written.is_some()
                    && top
                        .get(p.as_bytes())
                        .is_some_and(|n| Some(n.entry) == written),
                same_content,
            });
        }
        if events.is_empty() {
            return None;
        }
        let present = top.get(p.as_bytes()).is_some();
        // Bytes: the path itself, or for a directory everything below it.
        let inside = |q: &EntryPath| *q == p || (last_dir && p.is_ancestor_of(q));
        let mut shipped = 0u64;
        for l in &image.layers {
            for e in &l.index.entries {
                if e.is_file() && inside(&e.path) && classify(&e.path) == Role::Plain {
                    shipped += e.size;
                }
            }
        }
        // Dead: every copy the final image does not show at its path (what a squash drops).
        let mut dead = 0u64;
        for (li, l) in image.layers.iter().enumerate() {
            for (ei, e) in l.index.entries.iter().enumerate() {
                if !e.is_file() || !inside(&e.path) || classify(&e.path) != Role::Plain {
                    continue;
                }
                let here = EntryRef {
                    layer: li as u32,
                    entry: ei as u32,
                };
                if top.get(e.path.as_bytes()).is_none_or(|n| n.entry != here) {
                    dead += e.size;
                }
            }
        }
        let mut final_bytes = 0u64;
        let mut inodes = alloc::collections::BTreeSet::new();
        let mut add_final = |n: &crate::fs::Node| {
            if let Some(e) = entry(image, n.inode_entry) {
                if e.is_file() && inodes.insert(n.inode) {
                    final_bytes += e.size;
                }
            }
        };
        if let Some(n) = top.get(p.as_bytes()) {
            add_final(n);
        }
        if last_dir {
            for (_, n) in top.subtree(&p) {
                add_final(n);
            }
        }
        Some(Timeline {
            path: p.display(),
            events,
            present,
            is_dir: last_dir,
            shipped_bytes: shipped,
            dead_bytes: dead,
            final_bytes,
        })
    }

    /// One line: `added in L2 by RUN … (1.2 MB) → modified in L5 (mode) → deleted in L7
    /// (still shipped: 120 MB)`.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for e in &self.events {
            let mut s = match &e.kind {
                EventKind::Added => alloc::format!("added in L{}", e.layer),
                EventKind::Readded => alloc::format!("written again unchanged in L{}", e.layer),
                EventKind::Modified { changed } => {
                    alloc::format!("modified in L{} ({})", e.layer, changed.join(", "))
                }
                EventKind::Removed { by, via } => {
                    let how = match by.as_str() {
                        "whiteout" => "deleted",
                        "opaque" => "hidden by an opaque directory",
                        _ => "replaced",
                    };
                    match via {
                        Some(v) => alloc::format!("{how} in L{} with {v}/", e.layer),
                        None => alloc::format!("{how} in L{}", e.layer),
                    }
                }
            };
            if !e.step.is_empty() && matches!(e.kind, EventKind::Added) {
                s.push_str(&alloc::format!(" by `{}`", ellipsize(&e.step, 60)));
            }
            if e.size > 0 {
                s.push_str(&alloc::format!(" ({})", human_size(e.size)));
            }
            if e.same_content == Some(true) {
                s.push_str(" [same bytes]");
            }
            parts.push(s);
        }
        let mut line = parts.join(" → ");
        if self.dead_bytes > 0 {
            line.push_str(&alloc::format!(
                " (still shipped: {})",
                human_size(self.dead_bytes)
            ));
        }
        line
    }
}

fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.into();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `p` if a layer has it; otherwise the first path a layer has that is shown as `p` (a name
/// with escaped characters, clicked on the page or copied from the terminal).
fn resolve(changes: &[ChangeSet], p: EntryPath) -> EntryPath {
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

/// The ancestor (or the path itself, then `None`) whose removal in `layer` removed `p`.
fn removed_via(
    image: &Image,
    layer: usize,
    p: &EntryPath,
    cause: Option<Removal>,
) -> Option<String> {
    let l = image.layers.get(layer)?;
    let mut best: Option<&EntryPath> = None;
    let mut roots: Vec<EntryPath> = Vec::new();
    for e in &l.index.entries {
        match (classify(&e.path), cause) {
            (Role::Whiteout(t), Some(Removal::Whiteout)) => roots.push(t),
            (Role::Opaque(d), Some(Removal::Opaque)) => roots.push(d),
            (Role::Plain, Some(Removal::Replaced)) if !e.is_dir() => roots.push(e.path.clone()),
            _ => {}
        }
    }
    for r in &roots {
        if r == p {
            return None;
        }
        if r.is_ancestor_of(p) && best.is_none_or(|b| r.depth() < b.depth()) {
            best = Some(r);
        }
    }
    best.map(|b| display_bytes(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{docker_archive, load, LayerBuilder as L};

    #[test]
    fn added_modified_deleted_with_bytes_still_shipped() {
        let l0 = L::new()
            .dir("d")
            .file("d/big", &[1; 3000])
            .file("f", b"x")
            .build();
        let l1 = L::new().chmod("d/big", &[1; 3000], 0o600).build();
        let l2 = L::new().whiteout("d").build();
        let bytes = docker_archive(&[l0, l1, l2]);
        let (_, img) = load(&bytes);
        let (fs, cs) = UnionFs::build(img.indexes());
        let t = Timeline::new(&img, &fs, &cs, b"/d/big", None).unwrap();
        assert_eq!(t.events.len(), 3);
        assert!(!t.present);
        assert_eq!(t.shipped_bytes, 6000);
        assert_eq!(t.dead_bytes, 6000);
        assert_eq!(
            t.summary(),
            "added in L0 by `RUN step 0` (3.00 kB) → modified in L1 (mode) (3.00 kB) → deleted in L2 with d/ (still shipped: 6.00 kB)"
        );
        let d = Timeline::new(&img, &fs, &cs, b"d", None).unwrap();
        assert!(d.is_dir);
        assert_eq!(d.dead_bytes, 6000);
        let f = Timeline::new(&img, &fs, &cs, b"f", None).unwrap();
        assert!(f.present && f.events[0].current);
        assert_eq!((f.final_bytes, f.dead_bytes), (1, 0));
        assert!(Timeline::new(&img, &fs, &cs, b"nope", None).is_none());
    }

    #[test]
    fn a_path_as_shown_finds_the_name_with_invisible_characters() {
        let raw = "d/evil\u{202e}gnp.exe";
        let l0 = L::new().dir("d").file(raw, b"x").build();
        let bytes = docker_archive(&[l0]);
        let (_, img) = load(&bytes);
        let (fs, cs) = UnionFs::build(img.indexes());
        let shown = "/d/evil\\u{202e}gnp.exe";
        let t = Timeline::new(&img, &fs, &cs, shown.as_bytes(), None).unwrap();
        assert_eq!(t.path, shown[1..]);
        assert!(t.present);
        let direct = Timeline::new(&img, &fs, &cs, raw.as_bytes(), None).unwrap();
        assert_eq!(direct, t);
    }
}
