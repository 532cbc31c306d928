//! A path's history: every layer that added, changed or removed it, which build step did,
//! and how many bytes of its past versions the image still ships.
//!
//! "added in L2 by `RUN …` (1.2 MB) → modified in L5 (mode) → deleted in L7 (still shipped:
//! 120 MB)". A directory's figures cover its whole subtree.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::fs::whiteout::{classify, Role};
use crate::fs::{ChangeKind, FsSummary, Removal};
use crate::image::step;
use crate::image::Image;
use crate::layer::EntryPath;
use crate::layer::EntryRef;
use crate::model::Model;
use crate::sanitize::display_bytes;

/// One layer's change to the path.
///
/// `kind` is the union's own [`ChangeKind`]; on the wire (`why --json`, the worker) it keeps
/// the shape `{"type": "modified", "changed": ["mode"]}` / `{"type": "removed", "by": …,
/// "via": …}`, written by [`wire`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "wire::Event", try_from = "wire::Event")]
pub struct Event {
    /// Layer position.
    pub layer: usize,
    /// The build step that made the layer (`RUN apt-get …`), shortened.
    pub step: String,
    /// What happened.
    pub kind: ChangeKind,
    /// For a removal through an ancestor (a whiteout or opaque marker of a parent directory,
    /// or a non-directory replacing one): that ancestor.
    pub via: Option<String>,
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

/// The serialised form of [`Event`], kept as it was before the event took the union's
/// [`ChangeKind`], so `why --json` and the worker's messages do not change.
mod wire {
    use alloc::string::String;
    use alloc::vec::Vec;

    use serde::{Deserialize, Serialize};

    use crate::fs::{ChangeKind, Diff, Removal};

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case", tag = "type")]
    pub(super) enum Kind {
        Added,
        Modified { changed: Vec<String> },
        Readded,
        Removed { by: Removal, via: Option<String> },
    }

    #[derive(Serialize, Deserialize)]
    pub(super) struct Event {
        layer: usize,
        step: String,
        kind: Kind,
        entry_kind: Option<char>,
        size: u64,
        mode: Option<u32>,
        uid: Option<u64>,
        gid: Option<u64>,
        current: bool,
        same_content: Option<bool>,
    }

    impl From<super::Event> for Event {
        fn from(e: super::Event) -> Self {
            let kind = match e.kind {
                ChangeKind::Added => Kind::Added,
                ChangeKind::Readded => Kind::Readded,
                ChangeKind::Modified(d) => Kind::Modified {
                    changed: d.names().into_iter().map(String::from).collect(),
                },
                ChangeKind::Removed(by) => Kind::Removed { by, via: e.via },
            };
            Event {
                layer: e.layer,
                step: e.step,
                kind,
                entry_kind: e.entry_kind,
                size: e.size,
                mode: e.mode,
                uid: e.uid,
                gid: e.gid,
                current: e.current,
                same_content: e.same_content,
            }
        }
    }

    impl TryFrom<Event> for super::Event {
        type Error = String;

        fn try_from(e: Event) -> Result<Self, String> {
            let (kind, via) = match e.kind {
                Kind::Added => (ChangeKind::Added, None),
                Kind::Readded => (ChangeKind::Readded, None),
                Kind::Modified { changed } => {
                    let mut d = Diff::default();
                    for name in &changed {
                        let f = Diff::named(name)
                            .ok_or_else(|| alloc::format!("unknown attribute {name:?}"))?;
                        d = d.with(f);
                    }
                    (ChangeKind::Modified(d), None)
                }
                Kind::Removed { by, via } => (ChangeKind::Removed(by), via),
            };
            Ok(super::Event {
                layer: e.layer,
                step: e.step,
                kind,
                via,
                entry_kind: e.entry_kind,
                size: e.size,
                mode: e.mode,
                uid: e.uid,
                gid: e.gid,
                current: e.current,
                same_content: e.same_content,
            })
        }
    }
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
    pub fn new(m: Model<'_>, path: &[u8]) -> Option<Self> {
        // Long on purpose: the events, the dead bytes and the final bytes are three views of
        // the same walk over the path's changes, which would otherwise be repeated.
        let (image, top, changes, hashes) = (m.image, m.fs, m.changes, m.hashes);
        let p = crate::fs::path_as_shown(changes, EntryPath::parse(path).ok()?);
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
            let meta = written.and_then(|w| image.entry(w));
            let via = c
                .kind
                .removal()
                .and_then(|r| removed_via(image, layer, &p, r));
            if let Some(m) = meta {
                last_dir = m.is_dir();
            } else if let Some(b) = c.before.and_then(|b| image.entry(b)) {
                last_dir = b.is_dir();
            }
            let same_content = match (c.before, written, hashes) {
                (Some(b), Some(w), Some(h)) => h.same(b, w),
                _ => None,
            };
            events.push(Event {
                layer,
                step: step_of(image, layer),
                kind: c.kind,
                via,
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
        let own = top.get(p.as_bytes());
        let below = last_dir.then(|| top.subtree(&p).map(|(_, n)| n));
        let final_bytes = FsSummary::of(own.into_iter().chain(below.into_iter().flatten()), |r| {
            image.entry(r)
        })
        .size;
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
}

/// The ancestor (or the path itself, then `None`) whose removal in `layer` removed `p`.
fn removed_via(image: &Image, layer: usize, p: &EntryPath, cause: Removal) -> Option<String> {
    let l = image.layers.get(layer)?;
    let mut best: Option<&EntryPath> = None;
    let mut roots: Vec<EntryPath> = Vec::new();
    for e in &l.index.entries {
        match (classify(&e.path), cause) {
            (Role::Whiteout(t), Removal::Whiteout) => roots.push(t),
            (Role::Opaque(d), Removal::Opaque) => roots.push(d),
            (Role::Plain, Removal::Replaced) if !e.is_dir() => roots.push(e.path.clone()),
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
    use crate::fs::UnionFs;
    use crate::model::Model;
    use crate::testing::{docker_archive, load, LayerBuilder as L};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The event's wire shape is the one `why --json` has always printed, and reads back.
    #[test]
    fn event_keeps_its_wire_shape() {
        use crate::fs::Diff;
        let event = |kind, via: Option<&str>| Event {
            layer: 3,
            step: String::from("RUN x"),
            kind,
            via: via.map(String::from),
            entry_kind: None,
            size: 0,
            mode: None,
            uid: None,
            gid: None,
            current: false,
            same_content: None,
        };
        let cases = [
            (event(ChangeKind::Added, None), r#"{"type":"added"}"#),
            (event(ChangeKind::Readded, None), r#"{"type":"readded"}"#),
            (
                event(ChangeKind::Modified(Diff::MODE.with(Diff::OWNER)), None),
                r#"{"type":"modified","changed":["mode","owner"]}"#,
            ),
            (
                event(ChangeKind::Removed(Removal::Opaque), Some("d")),
                r#"{"type":"removed","by":"opaque","via":"d"}"#,
            ),
        ];
        for (e, kind) in cases {
            let json = serde_json::to_string(&e).unwrap();
            assert!(
                json.contains(&alloc::format!(r#""kind":{kind},"#)),
                "{json}"
            );
            assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
        }
        let bad = r#"{"layer":0,"step":"","kind":{"type":"modified","changed":["colour"]},"entry_kind":null,"size":0,"mode":null,"uid":null,"gid":null,"current":false,"same_content":null}"#;
        assert!(serde_json::from_str::<Event>(bad).is_err());
    }

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
        let t = Timeline::new(Model::new(&img, &fs, &cs), b"/d/big").unwrap();
        assert_eq!(t.events.len(), 3);
        assert!(!t.present);
        assert_eq!(t.shipped_bytes, 6000);
        assert_eq!(t.dead_bytes, 6000);
        let kinds: Vec<_> = t.events.iter().map(|e| (e.layer, e.kind)).collect();
        assert_eq!(kinds[0], (0, ChangeKind::Added));
        assert!(matches!(kinds[1], (1, ChangeKind::Modified(d)) if d.names() == ["mode"]));
        assert_eq!(kinds[2], (2, ChangeKind::Removed(Removal::Whiteout)));
        assert_eq!(t.events[2].via.as_deref(), Some("d"));
        let d = Timeline::new(Model::new(&img, &fs, &cs), b"d").unwrap();
        assert!(d.is_dir);
        assert_eq!(d.dead_bytes, 6000);
        let f = Timeline::new(Model::new(&img, &fs, &cs), b"f").unwrap();
        assert!(f.present && f.events[0].current);
        assert_eq!((f.final_bytes, f.dead_bytes), (1, 0));
        assert!(Timeline::new(Model::new(&img, &fs, &cs), b"nope").is_none());
    }

    #[test]
    fn a_path_as_shown_finds_the_name_with_invisible_characters() {
        let raw = "d/evil\u{202e}gnp.exe";
        let l0 = L::new().dir("d").file(raw, b"x").build();
        let bytes = docker_archive(&[l0]);
        let (_, img) = load(&bytes);
        let (fs, cs) = UnionFs::build(img.indexes());
        let shown = "/d/evil\\u{202e}gnp.exe";
        let t = Timeline::new(Model::new(&img, &fs, &cs), shown.as_bytes()).unwrap();
        assert_eq!(t.path, shown[1..]);
        assert!(t.present);
        let direct = Timeline::new(Model::new(&img, &fs, &cs), raw.as_bytes()).unwrap();
        assert_eq!(direct, t);
    }
}
