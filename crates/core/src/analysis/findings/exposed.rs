//! Secrets exposed by value: keys and tokens in the contents of files a layer adds (from the
//! deep scan) and in the config's history and `Env` (always). A file later overwritten or
//! deleted still ships in the layer that added it, so every copy counts; the finding names
//! that layer and what became of the file. Values appear masked only.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{plural, Ctx, Evidence, Finding, FindingKind, SecretNote, Severity};
use crate::analysis::reclaim::{Cause, DeadCopy};
use crate::image::step;
use crate::image::ConfigPlace;
use crate::layer::EntryRef;
use crate::model::Model;
use crate::sanitize::display_bytes;
use crate::secrets::SecretKind;

/// What became of a file copy holding secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fate {
    /// Its bytes are in the final image.
    Live,
    /// A later layer (the one given) overwrote it.
    Overwritten(u32),
    /// A later layer (the one given) deleted it.
    Deleted(u32),
}

/// The files, notes and kinds of one content finding.
type Group = (BTreeSet<EntryRef>, Vec<SecretNote>, BTreeSet<SecretKind>);

fn kinds_named(kinds: &BTreeSet<SecretKind>) -> String {
    kinds
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(", ")
}

const CONTENT_FIX: &str = "Never write secrets into a layer, not even briefly: pass them to the build with `RUN --mount=type=secret,id=…` (BuildKit) or fetch them at run time, and keep credential files out of the build context (`.dockerignore`). Overwriting or deleting a file in a later step only hides it: the layer that added it still ships it. Rotate the exposed credentials, and rebuild so the layer no longer exists.";

const CONFIG_FIX: &str = "Keep secrets out of `ENV`, `ARG`/`--build-arg` and `RUN` command lines: every step's command and the image's environment are stored in the image config, and `docker history --no-trunc` or `docker inspect` prints them for anyone who pulls the image. Use `RUN --mount=type=secret,id=…` at build time and provide the values at run time; rotate the exposed credentials.";

/// Content secrets (the deep scan's), one finding per adding layer and fate.
pub(super) fn in_contents(cx: &Ctx<'_>, m: Model<'_>, dead: &[DeadCopy], out: &mut Vec<Finding>) {
    let Some(hashes) = m.hashes else {
        return;
    };
    if hashes.secrets.is_empty() {
        return;
    }
    let fate_of: BTreeMap<EntryRef, Fate> = dead
        .iter()
        .filter_map(|d| match d.superseded {
            Cause::Deleted | Cause::Opaque => Some((d.entry, Fate::Deleted(d.superseded_by))),
            Cause::Overwritten => Some((d.entry, Fate::Overwritten(d.superseded_by))),
            // Same bytes still in the final image.
            Cause::MetadataOnly | Cause::Identical => None,
        })
        .collect();
    let mut groups: BTreeMap<(u32, Fate), Group> = BTreeMap::new();
    for s in &hashes.secrets {
        let r = EntryRef {
            layer: s.layer,
            entry: s.entry,
        };
        let Some(e) = cx.entry(r) else {
            continue;
        };
        let fate = fate_of.get(&r).copied().unwrap_or(Fate::Live);
        let g = groups.entry((s.layer, fate)).or_default();
        g.0.insert(r);
        g.1.push(SecretNote {
            kind: s.secret.kind,
            masked: s.secret.masked.clone(),
            at: format!("{}:{}", display_bytes(e.path.as_bytes()), s.line),
            layer: s.layer as usize,
        });
        g.2.insert(s.secret.kind);
    }
    for ((layer, fate), (refs, notes, kinds)) in groups {
        let ev: Vec<Evidence> = refs
            .iter()
            .filter_map(|r| {
                cx.entry(*r).map(|e| Evidence {
                    path: display_bytes(e.path.as_bytes()),
                    size: e.size,
                    layer: layer as usize,
                })
            })
            .collect();
        let what = kinds_named(&kinds);
        let related = match fate {
            Fate::Live => None,
            Fate::Overwritten(by) | Fate::Deleted(by) => Some(by as usize),
        };
        let f = cx.finding(
            FindingKind::SecretInContent,
            Some(Severity::Security),
            layer as usize,
            related,
            ev,
            |n| {
                let files = plural(n, "file", "files");
                let it = if n == 1 { "it" } else { "them" };
                match fate {
                    Fate::Live => format!("L{layer} adds {files} holding secrets ({what}): anyone who pulls the image can read {it}"),
                    Fate::Overwritten(by) => format!("L{layer} adds {files} holding secrets ({what}); L{by} overwrites {it}, but {it} still ship{} in L{layer}", if n == 1 { "s" } else { "" }),
                    Fate::Deleted(by) => format!("L{layer} adds {files} holding secrets ({what}); L{by} deletes {it}, but {it} still ship{} in L{layer}", if n == 1 { "s" } else { "" }),
                }
            },
            CONTENT_FIX.into(),
        );
        out.extend(f.map(|mut f| {
            f.secrets = notes;
            f
        }));
    }
}

/// Secrets in the history's steps (one finding per step) and in `Env` (one finding).
pub(super) fn in_config(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let config = &cx.image.config;
    if config.secrets.is_empty() {
        return;
    }
    let last = cx.image.layers.len().saturating_sub(1);
    // The layer each history entry belongs to: its own, or for a step without one (ENV,
    // ARG) the layer below it.
    let mut layer_of = Vec::with_capacity(config.history.len());
    let mut made = 0usize;
    for h in &config.history {
        if h.empty_layer {
            layer_of.push(made.saturating_sub(1).min(last));
        } else {
            layer_of.push(made.min(last));
            made += 1;
        }
    }
    let mut steps: BTreeMap<usize, Vec<SecretNote>> = BTreeMap::new();
    let mut env: Vec<SecretNote> = Vec::new();
    for s in &config.secrets {
        match s.place {
            ConfigPlace::History(i) => {
                let layer = layer_of.get(i).copied().unwrap_or(last);
                steps.entry(i).or_default().push(SecretNote {
                    kind: s.secret.kind,
                    masked: s.secret.masked.clone(),
                    at: format!("history[{i}] created_by"),
                    layer,
                });
            }
            ConfigPlace::Env(i) => env.push(SecretNote {
                kind: s.secret.kind,
                masked: s.secret.masked.clone(),
                at: format!("Env[{i}]"),
                layer: last,
            }),
        }
    }
    for (i, notes) in steps {
        let h = config.history.get(i);
        let layer = layer_of.get(i).copied().unwrap_or(last);
        let kinds: BTreeSet<SecretKind> = notes.iter().map(|n| n.kind).collect();
        let text = h
            .and_then(|h| h.created_by.as_deref())
            .map(step)
            .unwrap_or_default();
        let own = h.is_some_and(|h| !h.empty_layer);
        let which = if own {
            format!("L{layer}'s build step")
        } else {
            format!("A build step after L{layer}")
        };
        out.push(Finding {
            kind: FindingKind::SecretInConfig,
            severity: Severity::Security,
            title: format!(
                "{which} shows {} ({}) in the image history: `docker history` prints {} to anyone who pulls the image",
                plural(notes.len(), "secret", "secrets"),
                kinds_named(&kinds),
                if notes.len() == 1 { "it" } else { "them" }
            ),
            layer,
            step: text,
            related_layer: None,
            bytes: 0,
            evidence: Vec::new(),
            evidence_count: 0,
            fix: CONFIG_FIX.into(),
            secrets: notes,
        });
    }
    if !env.is_empty() {
        let kinds: BTreeSet<SecretKind> = env.iter().map(|n| n.kind).collect();
        out.push(Finding {
            kind: FindingKind::SecretInConfig,
            severity: Severity::Security,
            title: format!(
                "The image's environment (config Env) holds {} ({}): every container and `docker inspect` shows {}",
                plural(env.len(), "secret", "secrets"),
                kinds_named(&kinds),
                if env.len() == 1 { "it" } else { "them" }
            ),
            layer: last,
            // The environment is the image's, not a step's.
            step: String::new(),
            related_layer: None,
            bytes: 0,
            evidence: Vec::new(),
            evidence_count: 0,
            fix: CONFIG_FIX.into(),
            secrets: env,
        });
    }
}
