//! Findings about what the image contains, whatever the layers did to it: build tools,
//! a large base layer, build-context junk, data files.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::vec::Vec;

use super::patterns::{self, Junk};
use super::{evidence, plural, Ctx, Evidence, Finding, FindingKind, Severity};
use crate::fs::whiteout::{classify, Role};
use crate::layer::EntryRef;
use crate::present::human_size;
use crate::sanitize::display_bytes;

pub(super) fn build_tools(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut groups: BTreeMap<u32, Vec<EntryRef>> = BTreeMap::new();
    for &r in &cx.live {
        if cx
            .entry(r)
            .is_some_and(|e| patterns::build_tool(e.path.as_bytes()))
        {
            groups.entry(r.layer).or_default().push(r);
        }
    }
    for (layer, refs) in groups {
        let ev = refs.iter().filter_map(|r| evidence(cx, *r)).collect();
        out.extend(cx.finding(
            FindingKind::BuildTools,
            None,
            layer as usize,
            None,
            ev,
            |n| format!("L{layer} leaves compilers, headers or build tools in the final image ({})", plural(n, "file", "files")),
            "Use a multi-stage build: install compilers and `-dev` packages in a build stage, then `COPY --from=build` only the built artifacts into a slim runtime image (or purge them in the same RUN: `apt-get purge --auto-remove build-essential`).".into(),
        ));
    }
}

pub(super) fn large_base(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(base) = cx.image.layers.first() else {
        return;
    };
    let size = base.index.tar_size;
    if size <= cx.options.large_base {
        return;
    }
    // Evidence: where the base layer's bytes are, by top two directory levels.
    let mut dirs: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    for e in base.index.entries.iter().filter(|e| e.is_file()) {
        let p = e.path.as_bytes();
        let cut = p
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'/')
            .nth(1)
            .map_or(p.len(), |(i, _)| i);
        *dirs.entry(p.get(..cut).unwrap_or(p).to_vec()).or_default() += e.size;
    }
    let mut ev: Vec<Evidence> = dirs
        .into_iter()
        .map(|(p, s)| Evidence {
            path: display_bytes(&p),
            size: s,
            layer: 0,
        })
        .collect();
    ev.sort_by_key(|e| core::cmp::Reverse(e.size));
    ev.truncate(5);
    let severity = Some(if size >= 500_000_000 {
        Severity::High
    } else {
        Severity::Medium
    });
    if let Some(mut f) = cx.finding(
        FindingKind::LargeBase,
        severity,
        0,
        None,
        ev,
        |_| format!("The base layer (L0) is {} uncompressed", human_size(size)),
        "Start from a smaller base: `alpine` (about 8 MB), `debian:bookworm-slim` (about 75 MB), a `-slim` variant of your language image, or `gcr.io/distroless/…` (or `scratch`) for a static binary.".into(),
    ) {
        f.bytes = size;
        out.push(f);
    }
}

/// Whether a step copied files in from the build context.
fn is_copy(step: &str) -> bool {
    step.starts_with("COPY") || step.starts_with("ADD")
}

/// `ADD file:<digest> in /`: a base image's root filesystem.
fn is_base_import(step: &str) -> bool {
    step.starts_with("ADD file:") && step.trim_end().ends_with(" in /")
}

pub(super) fn junk(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (li, layer) in cx.image.layers.iter().enumerate() {
        let st = cx.step(li);
        if is_base_import(&st) {
            continue;
        }
        let copied = is_copy(&st);
        let mut roots: BTreeMap<Vec<u8>, (Junk, u64)> = BTreeMap::new();
        for e in &layer.index.entries {
            if classify(&e.path) != Role::Plain {
                continue;
            }
            let p = e.path.as_bytes();
            if let Some((kind, depth)) = patterns::junk(p, copied) {
                let end = p
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'/')
                    .nth(depth - 1)
                    .map_or(p.len(), |(i, _)| i);
                let root = p.get(..end).unwrap_or(p).to_vec();
                let slot = roots.entry(root).or_insert((kind, 0));
                if e.is_file() {
                    slot.1 += e.size;
                }
            }
        }
        if roots.is_empty() {
            continue;
        }
        // Nested junk (tests inside node_modules) belongs to its outermost root: a root goes
        // if one of its ancestors is a root too (looked up by prefix, not by comparing every
        // pair of roots: a layer can have thousands).
        let nested: Vec<Vec<u8>> = roots
            .keys()
            .filter(|k| {
                k.iter()
                    .enumerate()
                    .any(|(i, &b)| b == b'/' && k.get(..i).is_some_and(|o| roots.contains_key(o)))
            })
            .cloned()
            .collect();
        for k in &nested {
            roots.remove(k);
        }
        let kinds: BTreeSet<Junk> = roots.values().map(|(k, _)| *k).collect();
        let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
        let ev = roots
            .into_iter()
            .map(|(p, (_, s))| Evidence {
                path: display_bytes(&p),
                size: s,
                layer: li,
            })
            .collect();
        let fix = if kinds.contains(&Junk::NodeModules) {
            "List them in `.dockerignore` (`.git`, `node_modules`, `tests/`, `docs/`, editor files) so `COPY` never sends them; install dependencies inside the image (`RUN npm ci --omit=dev`) instead of copying `node_modules`."
        } else if copied {
            "List them in `.dockerignore` (`.git`, `tests/`, `docs/`, editor files) so `COPY` never sends them, or copy only what the image needs (`COPY src/ ./src/`)."
        } else {
            "Remove them in the same RUN that creates them (`git clone --depth 1 … && rm -rf .git`), or fetch release archives instead of cloning."
        };
        out.extend(cx.finding(
            FindingKind::BuildContextJunk,
            None,
            li,
            None,
            ev,
            |n| {
                format!(
                    "L{li} ships {} ({})",
                    names.join(", "),
                    plural(n, "directory", "directories")
                )
            },
            fix.into(),
        ));
    }
}

pub(super) fn data_files(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut groups: BTreeMap<u32, Vec<EntryRef>> = BTreeMap::new();
    for &r in &cx.live {
        if cx.entry(r).is_some_and(|e| {
            e.size >= cx.options.large_file && patterns::data_file(e.path.as_bytes())
        }) {
            groups.entry(r.layer).or_default().push(r);
        }
    }
    for (layer, refs) in groups {
        let ev = refs.iter().filter_map(|r| evidence(cx, *r)).collect();
        out.extend(cx.finding(
            FindingKind::LargeDataFile,
            None,
            layer as usize,
            None,
            ev,
            |n| format!("L{layer} bakes {} into the image", plural(n, "large data file", "large data files")),
            "Keep data out of the image: mount it as a volume, or download it at start-up (or in an init container) from object storage; every image rebuild and pull otherwise moves it again.".into(),
        ));
    }
}
