//! Advice: findings about an image, each tied to the layer and build step responsible, with
//! the bytes at stake, the paths that show it and a concrete fix. No finding without
//! evidence: every one lists the paths it is about.
//!
//! Secrets deleted in a later layer (still shipped in the lower one) are security findings
//! and rank first; the rest rank by bytes.

mod content;
mod exposed;
mod patterns;

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::reclaim::{dead_copies, Cause, DeadCopy};
use crate::fs::{ChangeKind, ChangeSet, UnionFs};
use crate::image::step;
use crate::image::Image;
use crate::layer::Entry;
use crate::layer::EntryRef;
use crate::model::Model;
use crate::sanitize::display_bytes;
use patterns::{Cache, Secret};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A credential or key anyone who pulls the image can read.
    Security,
    /// 100 MB or more at stake.
    High,
    /// 10 MB or more.
    Medium,
    /// Less.
    Low,
}

impl Severity {
    fn of_bytes(bytes: u64) -> Self {
        if bytes >= 100_000_000 {
            Severity::High
        } else if bytes >= 10_000_000 {
            Severity::Medium
        } else {
            Severity::Low
        }
    }
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A secret-looking file removed by a later layer but still shipped in its own.
    SecretDeletedLater,
    /// A private key or credentials file in the final image.
    SecretInImage,
    /// Files added in one step and deleted in another.
    AddedThenRemoved,
    /// Files written in one step and overwritten with other content in another.
    OverwrittenLater,
    /// A step that only changes modes or owners, re-shipping whole files.
    MetadataOnly,
    /// A step that writes files again with the same bytes (deep scan).
    IdenticalRewrite,
    /// A package manager's cache or index left in a layer.
    PackageCache,
    /// Compilers, headers and build tools in the final image.
    BuildTools,
    /// A large base layer.
    LargeBase,
    /// VCS or editor directories, tests, docs or `node_modules` from the build context.
    BuildContextJunk,
    /// Large data-like files (datasets, databases, model weights) in the image.
    LargeDataFile,
    /// Keys or tokens in the contents of files a layer adds (deep scan), whether or not a
    /// later layer overwrites or deletes them.
    SecretInContent,
    /// Keys, tokens or passwords in the build history (`created_by`) or the config's `Env`.
    SecretInConfig,
}

/// A path that shows the finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The path (a directory for a subtree).
    pub path: String,
    /// Content bytes of it at stake.
    pub size: u64,
    /// Layer holding those bytes.
    pub layer: usize,
}

/// One piece of advice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What it is about.
    pub kind: FindingKind,
    /// How much it matters.
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// The layer responsible (where the bytes are, or the step that re-shipped them).
    pub layer: usize,
    /// That layer's build step (`RUN apt-get …`).
    pub step: String,
    /// Another layer involved (the one that deleted or overwrote the files).
    pub related_layer: Option<usize>,
    /// Bytes at stake.
    pub bytes: u64,
    /// The largest paths involved (at most [`FindingOptions::max_evidence`]).
    pub evidence: Vec<Evidence>,
    /// How many paths are involved in all.
    pub evidence_count: usize,
    /// What to change.
    pub fix: String,
    /// The secrets behind a secret finding, masked (absent for the others).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretNote>,
}

/// One secret a finding is about, masked: never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretNote {
    /// What it is.
    pub kind: crate::secrets::SecretKind,
    /// The value masked (`AKIA…(20 chars)`).
    pub masked: String,
    /// Where: a file's path with its line (`app/config.ini:3`), `history[4] created_by`, or
    /// `Env[2]`.
    pub at: String,
    /// The layer holding it (for a config, the layer of its step).
    pub layer: usize,
}

/// Thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingOptions {
    /// A base layer larger than this (uncompressed bytes) is reported (default 100 MB).
    pub large_base: u64,
    /// Data-like files from this size are reported (default 10 MB).
    pub large_file: u64,
    /// Paths listed per finding (default 20).
    pub max_evidence: usize,
}

impl Default for FindingOptions {
    fn default() -> Self {
        FindingOptions {
            large_base: 100_000_000,
            large_file: 10_000_000,
            max_evidence: 20,
        }
    }
}

struct Ctx<'a> {
    image: &'a Image,
    options: &'a FindingOptions,
    /// Files of the final image (each inode once), by the entry holding their bytes.
    live: Vec<EntryRef>,
}

impl Ctx<'_> {
    fn entry(&self, r: EntryRef) -> Option<&Entry> {
        self.image
            .layers
            .get(r.layer as usize)
            .and_then(|l| l.index.entries.get(r.entry as usize))
    }

    fn step(&self, layer: usize) -> String {
        self.image
            .layers
            .get(layer)
            .and_then(|l| l.history.as_ref())
            .and_then(|h| h.created_by.as_deref())
            .map(step)
            .unwrap_or_default()
    }

    /// A finding from its evidence (none without evidence).
    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        kind: FindingKind,
        severity: Option<Severity>,
        layer: usize,
        related_layer: Option<usize>,
        mut evidence: Vec<Evidence>,
        title: impl FnOnce(usize) -> String,
        fix: String,
    ) -> Option<Finding> {
        if evidence.is_empty() {
            return None;
        }
        let bytes: u64 = evidence.iter().map(|e| e.size).sum();
        let count = evidence.len();
        evidence.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
        evidence.truncate(self.options.max_evidence);
        Some(Finding {
            kind,
            severity: severity.unwrap_or_else(|| Severity::of_bytes(bytes)),
            title: title(count),
            layer,
            step: self.step(layer),
            related_layer,
            bytes,
            evidence,
            evidence_count: count,
            fix,
            secrets: Vec::new(),
        })
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Every finding for `image` (final union `top`, change sets `changes`), most important
/// first. With content hashes (the deep scan), files written again unchanged are found too.
pub fn find(m: Model<'_>, options: &FindingOptions) -> Vec<Finding> {
    find_with_dead(m, &dead_copies(m), options)
}

/// [`find`] with the image's [`dead_copies`] already computed.
pub fn find_with_dead(m: Model<'_>, dead: &[DeadCopy], options: &FindingOptions) -> Vec<Finding> {
    let (image, top, changes) = (m.image, m.fs, m.changes);
    let mut cx = Ctx {
        image,
        options,
        live: Vec::new(),
    };
    cx.live = live_files(&cx, top);
    let mut out = Vec::new();
    // Paths a specific finding explains; the generic ones leave them out.
    let mut explained: BTreeSet<EntryRef> = BTreeSet::new();
    secrets(&cx, dead, &mut out, &mut explained);
    exposed::in_contents(&cx, m, dead, &mut out);
    exposed::in_config(&cx, &mut out);
    caches(&cx, &mut out, &mut explained);
    removed_and_overwritten(&cx, dead, &explained, &mut out);
    rewrites(&cx, changes, dead, &mut out);
    content::build_tools(&cx, &mut out);
    content::large_base(&cx, &mut out);
    content::junk(&cx, &mut out);
    content::data_files(&cx, &mut out);
    out.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then(b.bytes.cmp(&a.bytes))
            .then(a.layer.cmp(&b.layer))
            .then(a.kind.cmp(&b.kind))
    });
    out
}

fn evidence(cx: &Ctx<'_>, r: EntryRef) -> Option<Evidence> {
    cx.entry(r).map(|e| Evidence {
        path: display_bytes(e.path.as_bytes()),
        size: e.size,
        layer: r.layer as usize,
    })
}

/// Live files of the final image (each inode once), by the entry holding their bytes.
fn live_files(cx: &Ctx<'_>, top: &UnionFs) -> Vec<EntryRef> {
    let mut seen = BTreeSet::new();
    top.iter()
        .filter(|(_, n)| seen.insert(n.inode))
        .map(|(_, n)| n.inode_entry)
        .filter(|r| cx.entry(*r).is_some_and(Entry::is_file))
        .collect()
}

fn secrets(
    cx: &Ctx<'_>,
    dead: &[DeadCopy],
    out: &mut Vec<Finding>,
    explained: &mut BTreeSet<EntryRef>,
) {
    let mut groups: BTreeMap<(u32, u32, bool), Vec<EntryRef>> = BTreeMap::new();
    for d in dead.iter().filter(|d| d.size > 0) {
        if cx
            .entry(d.entry)
            .is_some_and(|e| patterns::secret(e.path.as_bytes()).is_some())
        {
            let deleted = matches!(d.superseded, Cause::Deleted | Cause::Opaque);
            groups
                .entry((d.entry.layer, d.superseded_by, deleted))
                .or_default()
                .push(d.entry);
        }
    }
    for ((layer, by, deleted), refs) in groups {
        explained.extend(refs.iter().copied());
        let ev = refs.iter().filter_map(|r| evidence(cx, *r)).collect();
        let how = if deleted { "deleted" } else { "overwritten" };
        out.extend(cx.finding(
            FindingKind::SecretDeletedLater,
            Some(Severity::Security),
            layer as usize,
            Some(by as usize),
            ev,
            |n| format!("{} added in L{layer} {how} in L{by} but still shipped in L{layer}: anyone who pulls the image can extract {}", plural(n, "secret-looking file", "secret-looking files"), if n == 1 { "it" } else { "them" }),
            "Never put secrets in a layer, not even briefly: pass them to the build with `RUN --mount=type=secret,id=…` (BuildKit) or fetch them at run time; a later `rm` only hides them. Rotate the exposed credentials, and rebuild so the layer no longer exists.".into(),
        ));
    }
    let mut live: BTreeMap<u32, Vec<EntryRef>> = BTreeMap::new();
    for &r in &cx.live {
        if cx.entry(r).is_some_and(|e| {
            e.size > 0 && patterns::secret(e.path.as_bytes()) == Some(Secret::Strong)
        }) {
            live.entry(r.layer).or_default().push(r);
        }
    }
    for (layer, refs) in live {
        explained.extend(refs.iter().copied());
        let ev = refs.iter().filter_map(|r| evidence(cx, *r)).collect();
        out.extend(cx.finding(
            FindingKind::SecretInImage,
            Some(Severity::Security),
            layer as usize,
            None,
            ev,
            |n| format!("{} (private keys, credentials, .env) in the final image, added in L{layer}", plural(n, "secret-looking file", "secret-looking files")),
            "Keep credentials out of the image: add them to `.dockerignore`, mount them at build time with `RUN --mount=type=secret,id=…`, and provide them at run time (environment, secret store, mounted file).".into(),
        ));
    }
}

fn caches(cx: &Ctx<'_>, out: &mut Vec<Finding>, explained: &mut BTreeSet<EntryRef>) {
    let mut groups: BTreeMap<(Cache, u32), Vec<EntryRef>> = BTreeMap::new();
    for (li, layer) in cx.image.layers.iter().enumerate() {
        for (ei, e) in layer.index.entries.iter().enumerate() {
            if !e.is_file() || e.size == 0 {
                continue;
            }
            if let Some(c) = patterns::cache(e.path.as_bytes()) {
                groups.entry((c, li as u32)).or_default().push(EntryRef {
                    layer: li as u32,
                    entry: ei as u32,
                });
            }
        }
    }
    for ((cache, layer), refs) in groups {
        explained.extend(refs.iter().copied());
        let ev = refs.iter().filter_map(|r| evidence(cx, *r)).collect();
        out.extend(cx.finding(
            FindingKind::PackageCache,
            None,
            layer as usize,
            None,
            ev,
            |n| {
                format!(
                    "L{layer} leaves the {} in the image ({})",
                    cache.name(),
                    plural(n, "file", "files")
                )
            },
            cache.fix().into(),
        ));
    }
}

fn removed_and_overwritten(
    cx: &Ctx<'_>,
    dead: &[DeadCopy],
    explained: &BTreeSet<EntryRef>,
    out: &mut Vec<Finding>,
) {
    let mut removed: BTreeMap<(u32, u32), Vec<EntryRef>> = BTreeMap::new();
    let mut overwritten: BTreeMap<(u32, u32), Vec<EntryRef>> = BTreeMap::new();
    for d in dead
        .iter()
        .filter(|d| d.size > 0 && !explained.contains(&d.entry))
    {
        let key = (d.entry.layer, d.superseded_by);
        match d.superseded {
            Cause::Deleted | Cause::Opaque => removed.entry(key).or_default().push(d.entry),
            Cause::Overwritten => overwritten.entry(key).or_default().push(d.entry),
            Cause::MetadataOnly | Cause::Identical => {}
        }
    }
    for ((layer, by), refs) in removed {
        let ev = refs.iter().filter_map(|r| evidence(cx, *r)).collect();
        out.extend(cx.finding(
            FindingKind::AddedThenRemoved,
            None,
            layer as usize,
            Some(by as usize),
            ev,
            |n| format!("L{layer} writes {} that L{by} deletes: the bytes still ship in L{layer}", plural(n, "file", "files")),
            "Delete temporary files in the same RUN that creates them (`… && rm -rf …`), or build in a separate stage and `COPY --from=build` only what the image needs.".into(),
        ));
    }
    for ((layer, by), refs) in overwritten {
        let ev = refs.iter().filter_map(|r| evidence(cx, *r)).collect();
        let same = layer == by;
        out.extend(cx.finding(
            FindingKind::OverwrittenLater,
            None,
            layer as usize,
            Some(by as usize),
            ev,
            |n| {
                if same {
                    format!("L{layer} writes {} twice: the earlier copies still ship", plural(n, "path", "paths"))
                } else {
                    format!("L{layer} ships {} that L{by} overwrites", plural(n, "file", "files"))
                }
            },
            "Write each file once: make the change in the step that creates the file (or merge the two steps), so no layer carries a version the next one replaces.".into(),
        ));
    }
}

/// Metadata-only and identical rewrites, tied to the step that re-shipped the files.
fn rewrites(cx: &Ctx<'_>, changes: &[ChangeSet], dead: &[DeadCopy], out: &mut Vec<Finding>) {
    let mut groups: BTreeMap<(u32, bool), Vec<(EntryRef, u64)>> = BTreeMap::new();
    for d in dead.iter().filter(|d| d.size > 0) {
        match d.superseded {
            Cause::MetadataOnly => groups
                .entry((d.superseded_by, true))
                .or_default()
                .push((d.entry, d.size)),
            Cause::Identical => groups
                .entry((d.superseded_by, false))
                .or_default()
                .push((d.entry, d.size)),
            _ => {}
        }
    }
    for ((by, meta), refs) in groups {
        let by = by as usize;
        // Evidence: the re-shipped paths, in the layer that re-shipped them.
        let ev: Vec<Evidence> = refs
            .iter()
            .filter_map(|(r, size)| {
                cx.entry(*r).map(|e| Evidence {
                    path: display_bytes(e.path.as_bytes()),
                    size: *size,
                    layer: by,
                })
            })
            .collect();
        let origin = refs.first().map(|(r, _)| r.layer as usize);
        if meta {
            let only = changes.get(by).is_some_and(|cs| {
                // Besides metadata changes, only directories and empty files may appear
                // (builders record the directories a RUN touched).
                let no_content = |c: &crate::fs::Change| {
                    c.entry.is_none_or(|e| {
                        cx.entry(EntryRef {
                            layer: by as u32,
                            entry: e,
                        })
                        .is_none_or(|x| !x.is_file() || x.size == 0)
                    })
                };
                cs.changes.iter().all(|c| match c.kind {
                    ChangeKind::Modified(d) => d.is_metadata_only(),
                    ChangeKind::Added | ChangeKind::Readded => no_content(c),
                    ChangeKind::Removed(_) => false,
                })
            });
            out.extend(cx.finding(
                FindingKind::MetadataOnly,
                None,
                by,
                origin,
                ev,
                |n| {
                    if only {
                        format!("L{by} is a chmod/chown-only layer: it re-ships {} to change {} mode or owner", plural(n, "file", "files"), if n == 1 { "its" } else { "their" })
                    } else {
                        format!("L{by} re-ships {} only to change {} mode or owner", plural(n, "file", "files"), if n == 1 { "its" } else { "their" })
                    }
                },
                "Set ownership and permissions when the files are added: `COPY --chown=user:group --chmod=755 …`, or run `chmod`/`chown` in the same RUN that creates the files. A separate `RUN chmod` copies every file it touches into a new layer.".into(),
            ));
        } else {
            out.extend(cx.finding(
                FindingKind::IdenticalRewrite,
                None,
                by,
                origin,
                ev,
                |n| format!("L{by} writes {} again with identical bytes", plural(n, "file", "files")),
                "Drop the repeated COPY/ADD, or the step that rewrites unchanged files (`touch`, `cp -a`, an installer extracting the same files again); each rewrite copies the whole file into a new layer.".into(),
            ));
        }
    }
}

#[cfg(test)]
mod tests;
