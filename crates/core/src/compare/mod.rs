//! Two images compared: where their layer stacks part ([`align`]), how their final
//! filesystems differ path by path ([`files`]) and per directory ([`dirs`]), how their
//! runtime configurations and histories differ ([`config`]), and their sizes and waste side
//! by side.
//!
//! Semantic by default: two images that run the same (same final paths, types, contents,
//! modes, owners, xattrs, links and devices, and the same runtime configuration) are equal
//! whatever their layer structure, history, creation times, mtimes or tar member order.
//! [`Strictness`] adds mtimes, history and layer structure.

pub mod align;
pub mod config;
pub mod dirs;
pub mod files;
#[cfg(feature = "std")]
mod hash;

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::analysis::Figures;
use crate::model::Model;
pub use align::{AlignedLayer, Alignment};
pub use config::{ConfigChange, Histories, Step};
pub use dirs::DirDelta;
pub use files::{Attr, Change, PathChange};

/// What besides the semantic comparison must be equal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strictness {
    /// File mtimes (not directories'), history step times and the config's `created`.
    pub mtime: bool,
    /// The history steps (their text and empty-layer marks).
    pub history: bool,
    /// The layer stack (the same diff_ids in the same order).
    pub layers: bool,
}

/// One image's size and waste figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideFigures {
    /// Layers.
    pub layers: usize,
    /// Paths of the final filesystem.
    pub paths: u64,
    /// Content bytes of the final filesystem.
    pub final_bytes: u64,
    /// dive's image size (content bytes of every layer).
    pub dive_size_bytes: u64,
    /// dive's efficiency score.
    pub dive_efficiency: f64,
    /// dive's wasted bytes.
    pub dive_wasted_bytes: u64,
    /// dive's user wasted percent (a ratio); `None` where dive prints `NaN %` (no user
    /// bytes: a single layer).
    pub dive_user_wasted_ratio: Option<f64>,
    /// layerlens' figures.
    pub figures: Figures,
}

impl SideFigures {
    /// The figures of one analysed image.
    pub fn new(m: Model<'_>) -> Self {
        let w = crate::analysis::WasteReport::new(
            m,
            &crate::analysis::findings::FindingOptions::default(),
        );
        let fs = m.final_fs();
        SideFigures {
            layers: m.image.layers.len(),
            paths: fs.entries,
            final_bytes: fs.size,
            dive_size_bytes: w.dive.size_bytes,
            dive_efficiency: w.dive.efficiency,
            dive_wasted_bytes: w.dive.wasted_bytes,
            dive_user_wasted_ratio: Some(w.dive.user_wasted_ratio).filter(|r| !r.is_nan()),
            figures: w.figures,
        }
    }
}

/// Everything that differs between image A and image B.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The rules applied.
    pub strict: Strictness,
    /// Whether the images are equal under those rules.
    pub equal: bool,
    /// The layer stacks aligned.
    pub layers: Alignment,
    /// Every differing path of the final filesystems, in path order.
    pub paths: Vec<PathChange>,
    /// The differences summed per directory, largest delta first.
    pub dirs: Vec<DirDelta>,
    /// Runtime configuration differences.
    pub config: Vec<ConfigChange>,
    /// Both histories.
    pub history: Histories,
    /// A's sizes and waste.
    pub a: SideFigures,
    /// B's sizes and waste.
    pub b: SideFigures,
    /// Content bytes hashed to settle files of equal size.
    pub bytes_hashed: u64,
}

#[cfg(feature = "std")]
impl Comparison {
    /// Whether the images are equal: no path or config difference, and what `strict` adds.
    fn judge(&mut self) {
        self.equal = self.paths.is_empty()
            && self.config.is_empty()
            && !(self.strict.history && self.history.differ)
            && (!self.strict.layers || self.layers.same_layers());
    }
}

#[cfg(feature = "std")]
/// Compares image `a` with image `b` (each with its deep scan's hashes if it ran; files of
/// one size not known equal are hashed, reading each layer involved once).
///
/// # Errors
/// A read failure while hashing (with the side, layer and member), or cancelled.
pub fn compare<SA: crate::Source, SB: crate::Source>(
    a: &mut crate::Analysis<SA>,
    b: &mut crate::Analysis<SB>,
    strict: Strictness,
    progress: &mut dyn crate::Progress,
) -> crate::Result<Comparison> {
    let side_a = files::Side {
        image: a.image(),
        fs: a.fs(),
        hashes: a.hashes(),
    };
    let side_b = files::Side {
        image: b.image(),
        fs: b.fs(),
        hashes: b.hashes(),
    };
    let draft = files::diff_paths(side_a, side_b, strict.mtime);
    let wanted_a: Vec<_> = draft.pending.iter().map(|p| p.a).collect();
    let wanted_b: Vec<_> = draft.pending.iter().map(|p| p.b).collect();
    let (plan_a, plan_b) = (
        hash::plan(a.image(), &wanted_a),
        hash::plan(b.image(), &wanted_b),
    );
    let total = plan_a.work() + plan_b.work();
    let mut done = 0;
    let ha = hash::hash_files(a.source_mut(), &plan_a, &mut done, total, progress)?;
    let hb = hash::hash_files(b.source_mut(), &plan_b, &mut done, total, progress)?;
    let paths = draft.settle(|x, y| ha.of.get(&x).is_some_and(|h| hb.of.get(&y) == Some(h)));
    let times = strict.mtime;
    let mut c = Comparison {
        strict,
        equal: false,
        layers: Alignment::new(a.image(), b.image()),
        dirs: dirs::by_directory(&paths),
        paths,
        config: config::diff_config(a.image(), b.image(), times),
        history: Histories::new(a.image(), b.image(), times),
        a: SideFigures::new(a.model()),
        b: SideFigures::new(b.model()),
        bytes_hashed: ha.bytes + hb.bytes,
    };
    c.judge();
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{docker_archive, LayerBuilder as L};
    use crate::{Analysis, ImagePick, Limits, NoProgress};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn open(bytes: &[u8]) -> Analysis<&[u8]> {
        Analysis::open(
            bytes,
            &ImagePick::default(),
            Limits::default(),
            &mut NoProgress,
        )
        .unwrap()
    }

    #[test]
    fn same_files_in_other_layers_are_equal_and_equal_sizes_are_hashed() {
        let one = docker_archive(&[L::new()
            .file("a", b"12345")
            .file("b", b"same")
            .symlink("l", "a")
            .build()]);
        let two = docker_archive(&[
            L::new().file("b", b"same").build(),
            L::new().file("a", b"12345").symlink("l", "a").build(),
        ]);
        let changed = docker_archive(&[L::new()
            .file("a", b"54321")
            .file("c", b"new!")
            .symlink("l", "b")
            .build()]);
        let (mut x, mut y, mut z) = (open(&one), open(&two), open(&changed));
        let s = Strictness::default();
        let c = compare(&mut x, &mut y, s, &mut NoProgress).unwrap();
        assert!(c.equal, "{:?}", c.paths);
        assert_eq!(c.bytes_hashed, 18);
        assert!(c.layers.shared.is_empty());
        let strict = Strictness { layers: true, ..s };
        assert!(
            !compare(&mut x, &mut y, strict, &mut NoProgress)
                .unwrap()
                .equal
        );
        let c = compare(&mut x, &mut z, s, &mut NoProgress).unwrap();
        assert!(!c.equal);
        let lines: Vec<_> = c
            .paths
            .iter()
            .map(|p| (p.change.mark(), p.path.as_str(), p.attrs.clone()))
            .collect();
        assert_eq!(
            lines,
            [
                ('~', "/a", alloc::vec![Attr::Content]),
                ('-', "/b", alloc::vec![]),
                ('+', "/c", alloc::vec![]),
                ('~', "/l", alloc::vec![Attr::Link]),
            ]
        );
        assert_eq!(c.dirs[0].path, "/");
        assert_eq!(c.dirs[0].delta(), 0);
        // The same archive twice: every entry is the same layer's, nothing is hashed.
        let mut x2 = open(&one);
        let c = compare(&mut x, &mut x2, s, &mut NoProgress).unwrap();
        assert!(c.equal && c.bytes_hashed == 0 && c.layers.a.is_empty());
        assert_eq!(c.layers.shared.len(), 1);
    }

    #[test]
    fn modes_types_and_hardlinks_compare_by_what_the_path_is() {
        let one = docker_archive(&[L::new()
            .chmod("m", b"x", 0o600)
            .file("t", b"file")
            .file("src", b"linked")
            .hardlink("h", "src")
            .build()]);
        let two = docker_archive(&[L::new()
            .chmod("m", b"x", 0o755)
            .dir("t")
            .file("src", b"linked")
            .file("h", b"linked")
            .build()]);
        let (mut x, mut y) = (open(&one), open(&two));
        let c = compare(&mut x, &mut y, Strictness::default(), &mut NoProgress).unwrap();
        let got: Vec<_> = c
            .paths
            .iter()
            .map(|p| (p.path.as_str(), p.attrs.clone(), p.type_a, p.type_b))
            .collect();
        // A hardlink reads as the file it shares: /h is equal.
        assert_eq!(
            got,
            [
                ("/m", alloc::vec![Attr::Mode], Some('-'), Some('-')),
                (
                    "/t",
                    alloc::vec![Attr::Type, Attr::Mode],
                    Some('-'),
                    Some('d')
                ),
            ]
        );
        assert_eq!(c.paths[1].delta(), -4);
    }
}
