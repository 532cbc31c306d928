//! Where the bytes go, and what to change: pure functions over an [`Image`], its final
//! [`UnionFs`] and its per-layer [`ChangeSet`]s, returning plain serialisable data (the CLI
//! prints it, the browser app renders it).
//!
//! - [`reclaim`]: what a squash saves, exactly, from any layer up, by cause;
//! - [`deep`]: the opt-in deep scan (content hashes, streamed with progress) that tells a
//!   file written again with the same bytes from a real change;
//! - [`timeline`]: one path's history across layers;
//! - [`findings`]: advice tied to the layer and build step, with evidence and a fix;
//! - [`ci`]: rules → verdict, reading dive's `.dive-ci` unchanged;
//! - [`audit`]: the content audit (duplicates, special permissions, shells, accounts, keys,
//!   packages per layer).
//!
//! dive's own figures (efficiency, wasted bytes, …, number for number) are in
//! [`crate::dive`], which these build on.
//!
//! [`WasteReport`] gathers the headline figures of all of them in one call.
//!
//! [`Image`]: crate::image::Image
//! [`UnionFs`]: crate::fs::UnionFs
//! [`ChangeSet`]: crate::fs::ChangeSet

pub mod audit;
pub mod ci;
#[cfg(feature = "std")]
pub mod content_diff;
pub mod deep;
pub mod dockerfile;
pub mod findings;
pub mod reclaim;
pub mod timeline;

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::dive::{DiveReport, DiveTally};
use crate::image::Image;
use crate::model::Model;
use crate::squash::LayerPlan;
use findings::{Finding, FindingOptions, Severity};
use reclaim::{dead_copies, DeadCopy, Reclaim};

/// layerlens' own waste figures, the correct counterparts of dive's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Content bytes of every file in every layer.
    pub shipped_bytes: u64,
    /// Of those, bytes the final image cannot see (deleted, overwritten, hidden): what a
    /// full squash drops.
    pub dead_bytes: u64,
    /// Share of shipped content that is live: `1 − dead / shipped` (1 for no content).
    pub efficiency: f64,
    /// Content bytes of the layers above the base.
    pub user_bytes: u64,
    /// Dead bytes in the layers above the base.
    pub user_dead_bytes: u64,
    /// `user_dead_bytes / user_bytes`; `None` when there is no user content (a single
    /// layer), where dive prints `NaN %`.
    pub user_wasted_ratio: Option<f64>,
}

impl Figures {
    /// The figures for `image`.
    pub fn new(m: Model<'_>) -> Self {
        Self::with_dead(m.image, &dead_copies(m))
    }

    /// The figures from the image's [`dead_copies`].
    pub fn with_dead(image: &Image, dead_list: &[DeadCopy]) -> Self {
        let content = |i: usize| image.layers.get(i).map_or(0, |l| l.index.content_size());
        let shipped: u64 = (0..image.layers.len()).map(content).sum();
        let user: u64 = (1..image.layers.len()).map(content).sum();
        let dead: u64 = dead_list.iter().map(|d| d.size).sum();
        let user_dead: u64 = dead_list
            .iter()
            .filter(|d| d.entry.layer > 0)
            .map(|d| d.size)
            .sum();
        Figures {
            shipped_bytes: shipped,
            dead_bytes: dead,
            efficiency: if shipped == 0 {
                1.0
            } else {
                1.0 - dead as f64 / shipped as f64
            },
            user_bytes: user,
            user_dead_bytes: user_dead,
            user_wasted_ratio: (user > 0).then(|| user_dead as f64 / user as f64),
        }
    }
}

/// The headline of the waste analysis: dive's figures, layerlens' figures, what a full
/// squash reclaims and every finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WasteReport {
    /// dive 0.13.1's figures, as dive computes them.
    pub dive: DiveReport,
    /// layerlens' figures beside them.
    pub figures: Figures,
    /// What squashing every layer saves.
    pub reclaim: Reclaim,
    /// Advice, most important first.
    pub findings: Vec<Finding>,
    /// Whether content hashes (the deep scan) were used.
    pub deep: bool,
}

impl WasteReport {
    /// Analyses `image` (final union `top`, change sets `changes`), with the deep scan's
    /// hashes if there was one.
    pub fn new(m: Model<'_>, options: &FindingOptions) -> Self {
        Self::with_tally(DiveTally::new(m.image), m, options)
    }

    /// [`WasteReport::new`] with dive's tally already computed (it needs only the layer
    /// indexes, so a caller with threads computes it while the union is built).
    pub fn with_tally(tally: DiveTally, m: Model<'_>, options: &FindingOptions) -> Self {
        Self::with_tally_and_plan(tally, m, options, None)
    }

    /// [`WasteReport::with_tally`] reusing the layer plan of a squash of every layer made
    /// for the squash figures ([`Reclaim::with_plan`]), instead of planning it again.
    pub fn with_tally_and_plan(
        tally: DiveTally,
        m: Model<'_>,
        options: &FindingOptions,
        plan: Option<&LayerPlan>,
    ) -> Self {
        let dead = dead_copies(m);
        let reclaim = match plan {
            Some(plan) => Reclaim::with_plan(m, 0, &dead, plan),
            None => Reclaim::with_dead(m, 0, &dead),
        };
        WasteReport {
            dive: tally.finish(m.image, m.fs),
            figures: Figures::with_dead(m.image, &dead),
            reclaim,
            findings: findings::find_with_dead(m, &dead, options),
            deep: m.hashes.is_some(),
        }
    }

    /// One line per security finding (for the CI rule).
    pub fn security_findings(&self) -> Vec<alloc::string::String> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Security)
            .map(|f| f.title.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::UnionFs;
    use crate::model::Model;
    use crate::testing::{docker_archive, load, LayerBuilder as L};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn figures_count_the_copy_dive_counts_as_waste_as_live() {
        let l0 = L::new().file("a", &[1; 100]).build();
        let l1 = L::new().file("a", &[2; 300]).build();
        let bytes = docker_archive(&[l0, l1]);
        let (_, img) = load(&bytes);
        let (fs, cs) = UnionFs::build(img.indexes());
        let w = WasteReport::new(Model::new(&img, &fs, &cs), &FindingOptions::default());
        assert_eq!(w.dive.wasted_bytes, 400);
        assert_eq!(w.figures.dead_bytes, 100);
        assert_eq!(w.figures.user_dead_bytes, 0);
        assert_eq!(w.figures.user_wasted_ratio, Some(0.0));
        assert_eq!(w.figures.efficiency, 0.75);
        assert_eq!(w.reclaim.overwritten, 100);
        let single = docker_archive(&[L::new().file("a", b"x").build()]);
        let (_, img) = load(&single);
        let (fs, cs) = UnionFs::build(img.indexes());
        let f = Figures::new(Model::new(&img, &fs, &cs));
        assert_eq!(f.user_wasted_ratio, None);
    }
}
