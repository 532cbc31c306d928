//! CI path rules: globs on absolute paths (`/var/cache/**`, `**/.git`, `/root/.ssh/id_*`),
//! `**` for any number of components, `*` and `?` within one; a pattern that matches a
//! directory covers everything below it. What they gate: paths the waste rules ignore (dive's
//! figures and the squash's reclaim computed as if those paths were not there), paths that
//! must not be in the final image, and a size budget per layer.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::analysis::reclaim::dead_copies;
use crate::dive::DiveReport;
use crate::layer::LayerIndex;
use crate::model::Model;
use crate::sanitize::display_bytes;

/// Whether `pattern` (absolute or not: both mean from the root) matches `path` (normalised,
/// no leading `/`) or one of its parent directories.
pub fn matches(pattern: &str, path: &[u8]) -> bool {
    let pat: Vec<&[u8]> = pattern
        .as_bytes()
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect();
    let comps: Vec<&[u8]> = path
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect();
    !pat.is_empty() && (1..=comps.len()).any(|k| components(&pat, comps.get(..k).unwrap_or(&[])))
}

fn components(pat: &[&[u8]], path: &[&[u8]]) -> bool {
    match pat.split_first() {
        None => path.is_empty(),
        Some((&b"**", rest)) => {
            (0..=path.len()).any(|i| components(rest, path.get(i..).unwrap_or(&[])))
        }
        Some((p, rest)) => path
            .split_first()
            .is_some_and(|(c, more)| component(p, c) && components(rest, more)),
    }
}

fn component(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| component(rest, s.get(i..).unwrap_or(&[]))),
        Some((b'?', rest)) => !s.is_empty() && component(rest, s.get(1..).unwrap_or(&[])),
        Some((c, rest)) => s.first() == Some(c) && component(rest, s.get(1..).unwrap_or(&[])),
    }
}

fn any(patterns: &[String], path: &[u8]) -> bool {
    patterns.iter().any(|p| matches(p, path))
}

/// A path of the final image a `forbiddenPaths` pattern matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forbidden {
    /// The path (`/root/.ssh/id_rsa`).
    pub path: String,
    /// The layer that put it there.
    pub layer: u32,
    /// The pattern it matched.
    pub pattern: String,
}

/// The figures the path rules need, computed from the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathFigures {
    /// dive's figures with the ignored paths left out of every layer (`None`: nothing
    /// ignored, use dive's own).
    pub dive: Option<DiveReport>,
    /// Tar bytes (headers, contents, padding) of dead copies under ignored paths, taken off
    /// the squash's reclaim.
    pub ignored_reclaim: u64,
    /// Final-image paths matching a forbidden pattern (only the topmost of a matched subtree).
    pub forbidden: Vec<Forbidden>,
    /// Each layer's tar size, base first.
    pub layer_sizes: Vec<u64>,
}

impl PathFigures {
    /// The figures for `ignore` and `forbid` patterns on model `m`.
    pub fn new(m: Model<'_>, ignore: &[String], forbid: &[String]) -> Self {
        let dive = (!ignore.is_empty()).then(|| {
            let kept: Vec<LayerIndex> = m
                .image
                .layers
                .iter()
                .map(|l| {
                    let mut idx = l.index.clone();
                    idx.entries.retain(|e| !any(ignore, e.path.as_bytes()));
                    idx
                })
                .collect();
            let refs: Vec<Option<&LayerIndex>> = kept.iter().map(Some).collect();
            DiveReport::of_layers(&refs)
        });
        let ignored_reclaim = if ignore.is_empty() {
            0
        } else {
            dead_copies(m)
                .iter()
                .filter_map(|d| m.entry(d.entry))
                .filter(|e| any(ignore, e.path.as_bytes()))
                .map(|e| e.span.end - e.span.start)
                .sum()
        };
        let mut forbidden = Vec::new();
        if !forbid.is_empty() {
            let mut covered: Option<Vec<u8>> = None;
            for (path, node) in m.fs.iter() {
                let p = path.as_bytes();
                if covered
                    .as_deref()
                    .is_some_and(|c| p.starts_with(c) && p.get(c.len()) == Some(&b'/'))
                {
                    continue;
                }
                if let Some(pat) = forbid.iter().find(|f| matches(f, p)) {
                    forbidden.push(Forbidden {
                        path: format!("/{}", display_bytes(p)),
                        layer: node.entry.layer,
                        pattern: pat.clone(),
                    });
                    covered = Some(p.to_vec());
                }
            }
        }
        PathFigures {
            dive,
            ignored_reclaim,
            forbidden,
            layer_sizes: m.image.layers.iter().map(|l| l.index.tar_size).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn globs_on_absolute_paths() {
        assert!(matches("/var/cache/**", b"var/cache/apt/x.bin"));
        assert!(
            matches("/var/cache", b"var/cache/apt/x.bin"),
            "a directory covers its subtree"
        );
        assert!(matches("**/.git", b"srv/app/.git/HEAD"));
        assert!(matches("**/.git", b".git"));
        assert!(matches("/root/.ssh/id_*", b"root/.ssh/id_rsa"));
        assert!(!matches("/root/.ssh/id_*", b"root/.ssh/known_hosts"));
        assert!(matches(
            "/usr/share/doc/*/copyright",
            b"usr/share/doc/bash/copyright"
        ));
        assert!(!matches(
            "/usr/share/doc/*/copyright",
            b"usr/share/doc/bash/x/copyright"
        ));
        assert!(matches("/tmp/?.log", b"tmp/a.log"));
        assert!(!matches("/etc", b"etcetera"));
        assert!(!matches("", b"etc"));
    }
}
