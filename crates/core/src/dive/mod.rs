//! dive-compatible waste figures: efficiency, wasted bytes, user wasted percent and the
//! inefficient-files list, computed exactly as dive 0.13.1 computes them, so that a CI gate
//! moved from dive to layerlens keeps its thresholds.
//!
//! dive's definitions (`filetree/efficiency.go`, `image/analysis.go`):
//! - each layer is a file tree built from its tar entries; only its **leaves** are visited,
//!   children first, siblings in byte order;
//! - per path, dive adds up the size seen in every layer (`CumulativeSize`) and keeps the
//!   smallest (`minDiscoveredSize`); a whiteout counts the size of the subtree it removed
//!   from the stacked tree of the layers below, or 0 if that was not a directory;
//! - a path seen in two layers or more is "inefficient"; wasted bytes = the sum of their
//!   cumulative sizes; efficiency = Σ smallest / Σ cumulative over all paths;
//! - user wasted percent = wasted bytes / the sizes of every layer but the base, where a
//!   layer's size is the sum of its tar headers' size fields.
//!
//! Where dive is wrong, [`DiveReport`] reproduces it and [`DiveFile`] and
//! [`crate::analysis::Figures`] carry the correct figure beside it (docs/waste.md).

pub mod gofmt;
mod gosort;
#[cfg(test)]
mod oracle;
mod scalar;
mod sightings;
mod tree;
mod wire;
pub mod yaml;

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::fs::UnionFs;
use crate::image::Image;
use crate::layer::{EntryPath, LayerIndex};
use sightings::Sightings;
use tree::{Info, Tree};

/// JSON has no NaN: serde_json writes it as `null`, which reads back as NaN here (the browser
/// app moves reports between threads as JSON).
fn nan_from_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// One inefficient path, as dive lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiveFile {
    /// dive's path (`/etc/passwd`), lossy UTF-8.
    pub path: String,
    /// Layers in which dive saw the path (dive's "Count").
    pub count: u32,
    /// dive's "Wasted Space": the path's cumulative size over every layer, the copy in the
    /// final image included.
    pub wasted_bytes: u64,
    /// Size of the copy the final image keeps at this path (0 if deleted or not a file):
    /// dive counts it as waste, it is not.
    pub kept_bytes: u64,
}

impl DiveFile {
    /// The part of dive's figure that is really wasted: every copy but the one kept.
    pub fn dead_bytes(&self) -> u64 {
        self.wasted_bytes.saturating_sub(self.kept_bytes)
    }
}

/// dive 0.13.1's analysis of an image, number for number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiveReport {
    /// Efficiency score in 0..=1 (dive prints it × 100 as a percentage).
    pub efficiency: f64,
    /// Wasted bytes: cumulative sizes of every inefficient path.
    pub wasted_bytes: u64,
    /// "userWastedPercent", a ratio: wasted bytes / user bytes. NaN when the image has no
    /// user bytes (a single layer): dive prints `NaN %` (serialised as `null`).
    #[serde(deserialize_with = "nan_from_null")]
    pub user_wasted_ratio: f64,
    /// Sum of dive's layer sizes.
    pub size_bytes: u64,
    /// Sum of dive's layer sizes but the base layer's.
    pub user_size_bytes: u64,
    /// dive's size of each layer, in dive's layer order.
    pub layer_sizes: Vec<u64>,
    /// Inefficient paths in dive's order (largest cumulative size first; ties in the order
    /// Go's unstable sort leaves them).
    pub inefficient_files: Vec<DiveFile>,
    /// Layers whose walk dive abandoned at a whiteout of a path missing below (dive logs
    /// "path does not exist" and skips the rest of the layer): its figures ignore the rest.
    pub abandoned_layers: Vec<usize>,
}

/// dive's figures before the final union is known: everything but the kept sizes of the
/// inefficient paths. It needs only the layer indexes, so it can be computed while the union
/// filesystem is built.
#[derive(Debug, Clone, PartialEq)]
pub struct DiveTally(DiveReport);

impl DiveTally {
    /// The tally for `image` with its layers in image order, as dive reads a docker-archive.
    pub fn new(image: &Image) -> Self {
        let order: Vec<usize> = (0..image.layers.len()).collect();
        Self::with_layer_order(image, &order)
    }

    /// The tally with dive's layers in the given order of image layer positions. dive 0.13.1
    /// reads an oci-archive (no `manifest.json`) in Go map order, which changes from run to
    /// run; this reproduces any one of those runs.
    pub fn with_layer_order(image: &Image, order: &[usize]) -> Self {
        let layers: Vec<Option<&LayerIndex>> = order
            .iter()
            .map(|&i| {
                image
                    .layers
                    .get(i)
                    .filter(|l| dive_reads(l))
                    .map(|l| &l.index)
            })
            .collect();
        Self::of_layers(&layers)
    }

    /// The tally of layer indexes in dive's order (`None`: a layer dive reads as empty),
    /// for a host that has the indexes but not the image (the browser's helper worker gets
    /// them from [`DiveTally::layer_blobs`]).
    pub fn of_layers(layers: &[Option<&LayerIndex>]) -> Self {
        DiveTally(DiveReport::of_layers(layers))
    }

    /// For each of `image`'s layers in image order, the offset of the blob whose index dive
    /// reads, or `None` where dive reads an empty tar: with the blobs' indexes, the input of
    /// [`DiveTally::of_layers`] that gives [`DiveTally::new`].
    pub fn layer_blobs(image: &Image) -> Vec<Option<u64>> {
        image
            .layers
            .iter()
            .map(|l| dive_reads(l).then_some(l.blob.blob.offset))
            .collect()
    }

    /// The tally as compact bytes, to move it to another thread or worker.
    ///
    /// # Errors
    /// Only if the serializer fails, which an in-memory buffer does not.
    pub fn to_bytes(&self) -> crate::Result<Vec<u8>> {
        wire::encode(self)
    }

    /// A tally from what [`DiveTally::to_bytes`] wrote.
    ///
    /// # Errors
    /// An archive error if the bytes are not a valid encoding of this build's version.
    pub fn from_bytes(bytes: &[u8]) -> crate::Result<Self> {
        wire::decode(bytes)
    }

    /// The report, with the kept size of each listed path taken from `fs`, the final union.
    pub fn finish(self, image: &Image, fs: &UnionFs) -> DiveReport {
        let mut r = self.0;
        for f in &mut r.inefficient_files {
            f.kept_bytes = kept_size(image, fs, &f.path);
        }
        r
    }
}

/// Whether dive reads the layer's blob: a layer member that is a symlink it reads as an empty
/// tar.
fn dive_reads(l: &crate::image::Layer) -> bool {
    l.blob.blob.member == l.blob.blob.resolved
}

impl DiveReport {
    /// The report for `image` with its layers in image order, as dive reads a
    /// docker-archive. `fs` (the final union) gives the kept size of each listed path.
    pub fn new(image: &Image, fs: &UnionFs) -> Self {
        DiveTally::new(image).finish(image, fs)
    }

    /// The report with dive's layers in the given order of image layer positions (see
    /// [`DiveTally::with_layer_order`]).
    pub fn with_layer_order(image: &Image, fs: &UnionFs, order: &[usize]) -> Self {
        DiveTally::with_layer_order(image, order).finish(image, fs)
    }

    /// The report for layer indexes (`None`: a layer dive reads as empty), base first.
    /// Kept sizes are left at 0.
    pub fn of_layers(layers: &[Option<&LayerIndex>]) -> Self {
        let eff = efficiency(layers);
        let layer_sizes = eff.layer_sizes;
        let size_bytes = layer_sizes.iter().fold(0u64, |a, &b| a.wrapping_add(b));
        let user_size_bytes = layer_sizes
            .iter()
            .skip(1)
            .fold(0u64, |a, &b| a.wrapping_add(b));
        let wasted_bytes = eff
            .inefficient
            .iter()
            .fold(0u64, |a, f| a.wrapping_add(f.cumulative as u64));
        DiveReport {
            efficiency: eff.score,
            wasted_bytes,
            user_wasted_ratio: wasted_bytes as f64 / user_size_bytes as f64,
            size_bytes,
            user_size_bytes,
            layer_sizes,
            inefficient_files: eff
                .inefficient
                .iter()
                .rev()
                .map(|f| DiveFile {
                    path: String::from_utf8_lossy(&f.path).into_owned(),
                    count: f.count,
                    wasted_bytes: f.cumulative as u64,
                    kept_bytes: 0,
                })
                .collect(),
            abandoned_layers: eff.abandoned,
        }
    }

    /// The user wasted ratio where it is defined: `None` for an image without user bytes,
    /// where dive shows `NaN %`.
    pub fn user_wasted_ratio_defined(&self) -> Option<f64> {
        self.user_wasted_ratio
            .is_finite()
            .then_some(self.user_wasted_ratio)
    }

    /// dive's wasted bytes without the copies the final image keeps.
    pub fn dead_bytes(&self) -> u64 {
        self.inefficient_files
            .iter()
            .map(DiveFile::dead_bytes)
            .sum()
    }
}

/// Size of the file the final image has at dive path `path` (0 for none or not a file).
fn kept_size(image: &Image, fs: &UnionFs, path: &str) -> u64 {
    let Ok(p) = EntryPath::parse(path.as_bytes()) else {
        return 0;
    };
    fs.get(p.as_bytes())
        .and_then(|n| {
            image
                .layers
                .get(n.inode_entry.layer as usize)
                .and_then(|l| l.index.entries.get(n.inode_entry.entry as usize))
        })
        .filter(|e| e.is_file())
        .map_or(0, |e| e.size)
}

struct Inefficient {
    path: Vec<u8>,
    cumulative: i64,
    count: u32,
}

struct Efficiency {
    score: f64,
    /// Each layer's tree's sum of size fields.
    layer_sizes: Vec<u64>,
    /// In the order dive's `sort.Sort` leaves them (ascending).
    inefficient: Vec<Inefficient>,
    abandoned: Vec<usize>,
}

/// dive's efficiency walk. One layer's tree is alive at a time (a million-entry image's trees
/// side by side cost more than the union itself): each is built, walked, stacked onto the
/// trees below it when a layer above may hold a whiteout (whose size dive looks up in that
/// stack), and dropped. Trees and the tally borrow their names from the entries.
fn efficiency(layers: &[Option<&LayerIndex>]) -> Efficiency {
    let mut sightings = Sightings::new();
    // Paths in the order they reached two sightings (dive appends them then).
    let mut inefficient: Vec<u32> = Vec::new();
    let mut abandoned = Vec::new();
    let mut layer_sizes = Vec::with_capacity(layers.len());
    // Whether a layer at or above each position may hold a whiteout (a path component
    // starting with `.wh.`): below those the stack is needed.
    let mut whiteout_from = alloc::vec![false; layers.len() + 1];
    for (i, l) in layers.iter().enumerate().rev() {
        let here = l.is_some_and(|l| l.entries.iter().any(|e| has_whiteout_name(&e.path)));
        whiteout_from[i] = here || whiteout_from[i + 1];
    }
    // The stacked tree of the layers below the current one (dive's StackTreeRange(trees, 0,
    // n-1) copies the base and stacks the base onto it again).
    let mut stacked: Option<Tree> = None;
    for (idx, layer) in layers.iter().enumerate() {
        let tree = match layer {
            Some(l) => Tree::from_entries(l.entries.iter().map(|e| {
                let info = Info {
                    size: e.size as i64,
                    is_dir: e.is_dir(),
                };
                (e.path.as_bytes(), info)
            })),
            None => Tree::new(),
        };
        layer_sizes.push(tree.file_size);
        // The tally's node of the last parent seen (siblings come one after another).
        let mut parent: Option<(u32, u32)> = None;
        let completed = tree.visit_post_order(&mut |node, names, info, is_leaf| {
            if !is_leaf {
                return true;
            }
            let size = if tree.is_whiteout(node) {
                // In the base, dive looks in a copy of the base; above it, in the stack of
                // the layers below (built after each of them, as `whiteout_from` asked).
                let below = stacked.get_or_insert_with(|| tree.clone());
                below.get(names).map(|prev| {
                    if below.info(prev).is_dir {
                        below.subtree_size(prev)
                    } else {
                        0
                    }
                })
            } else {
                Some(info.size)
            };
            let Some((&name, dirs)) = names.split_last() else {
                return true;
            };
            let up = match parent {
                Some((t, s)) if t == tree.parent(node) => s,
                _ => sightings.path(dirs),
            };
            parent = Some((tree.parent(node), up));
            let id = sightings.child(up, name);
            // dive records the path before it sizes a whiteout, and keeps it when that fails.
            sightings.record(id);
            let Some(size) = size else {
                return false; // dive: "path does not exist", the layer walk stops
            };
            if sightings.sight(id, size) == 2 {
                inefficient.push(id);
            }
            true
        });
        if !completed {
            abandoned.push(idx);
        }
        if whiteout_from.get(idx + 1).copied().unwrap_or(false) {
            stacked = Some(match stacked.take() {
                Some(mut below) => {
                    below.stack_other(&tree);
                    below
                }
                None => tree.stacked_onto_itself(),
            });
        }
    }
    let (mut min_sum, mut cum_sum) = (0i64, 0i64);
    for s in sightings.stats() {
        min_sum = min_sum.wrapping_add(s.min);
        cum_sum = cum_sum.wrapping_add(s.cumulative);
    }
    let score = if cum_sum == 0 {
        1.0
    } else {
        min_sum as f64 / cum_sum as f64
    };
    let mut list: Vec<Inefficient> = inefficient
        .into_iter()
        .map(|id| {
            let (cumulative, count) = sightings
                .stat(id)
                .map_or((0, 0), |s| (s.cumulative, s.count));
            Inefficient {
                path: sightings.bytes(id),
                cumulative,
                count,
            }
        })
        .collect();
    gosort::sort(&mut list, &|a, b| a.cumulative < b.cumulative);
    Efficiency {
        score,
        layer_sizes,
        inefficient: list,
        abandoned,
    }
}

#[cfg(test)]
mod tests;

/// Whether a component of `path` starts with `.wh.` (a whiteout node in dive's tree, or an
/// opaque marker, which dive leaves out: counted anyway, to be safe).
fn has_whiteout_name(path: &EntryPath) -> bool {
    path.as_bytes()
        .split(|&b| b == b'/')
        .any(|c| c.starts_with(tree::WHITEOUT_PREFIX))
}
