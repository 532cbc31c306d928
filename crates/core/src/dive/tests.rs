#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::testing::{docker_archive, load, LayerBuilder as L};

fn report(layers: &[Vec<u8>]) -> DiveReport {
    let bytes = docker_archive(layers);
    let (_, img) = load(&bytes);
    let (fs, _) = UnionFs::build(img.indexes());
    DiveReport::new(&img, &fs)
}

#[test]
fn overwritten_file_counts_every_copy_and_the_kept_one_is_reported() {
    let r = report(&[
        L::new().file("a", &[1; 10]).file("b", &[2; 5]).build(),
        L::new().file("a", &[3; 30]).build(),
    ]);
    assert_eq!(r.wasted_bytes, 40);
    assert_eq!(r.layer_sizes, [15, 30]);
    assert_eq!(r.user_wasted_ratio, 40.0 / 30.0);
    // min: a=10, b=5; cumulative: a=40, b=5
    assert_eq!(r.efficiency, 15.0 / 45.0);
    assert_eq!(r.inefficient_files.len(), 1);
    let f = &r.inefficient_files[0];
    assert_eq!(
        (f.path.as_str(), f.count, f.wasted_bytes, f.kept_bytes),
        ("/a", 2, 40, 30)
    );
    assert_eq!(r.dead_bytes(), 10);
}

#[test]
fn directory_whiteout_counts_the_removed_subtree_and_a_file_whiteout_nothing() {
    let r = report(&[
        L::new()
            .dir("d")
            .file("d/x", &[0; 7])
            .file("d/y", &[0; 3])
            .file("f", &[0; 4])
            .build(),
        L::new().whiteout("d").whiteout("f").build(),
    ]);
    let got: Vec<(&str, u32, u64)> = r
        .inefficient_files
        .iter()
        .map(|f| (f.path.as_str(), f.count, f.wasted_bytes))
        .collect();
    // d was not a leaf in layer 0 (it has children), so only the whiteout visits it.
    assert_eq!(got, [("/f", 2, 4)]);
    assert_eq!(r.wasted_bytes, 4);
    // paths: d/x 7, d/y 3, f 4+0 (min 0), d 10 (min 10)
    assert_eq!(
        r.efficiency,
        (7.0 + 3.0 + 0.0 + 10.0) / (7.0 + 3.0 + 4.0 + 10.0)
    );
}

#[test]
fn single_layer_gives_nan_user_percent() {
    let r = report(&[L::new().file("a", b"x").build()]);
    assert!(r.user_wasted_ratio.is_nan());
    assert_eq!(r.user_wasted_ratio_defined(), None);
    // JSON carries it as null, and back.
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("\"user_wasted_ratio\":null"));
    let back: DiveReport = serde_json::from_str(&json).unwrap();
    assert!(back.user_wasted_ratio.is_nan());
    assert_eq!(r.efficiency, 1.0);
}

#[test]
fn whiteout_of_a_missing_path_abandons_the_layer_and_skews_the_score() {
    let r = report(&[
        L::new().file("a", &[0; 10]).build(),
        L::new().whiteout("nothere").file("z", &[0; 5]).build(),
    ]);
    assert_eq!(r.abandoned_layers, [1]);
    // `/nothere` keeps dive's initial minimum of -1; `/z` is never visited.
    assert_eq!(r.efficiency, (10.0 - 1.0) / 10.0);
}

#[test]
fn opaque_directories_are_ignored() {
    let r = report(&[
        L::new().dir("d").file("d/x", &[0; 9]).build(),
        L::new().dir("d").opaque("d").build(),
    ]);
    // dive never adds the marker: `d` is a leaf of layer 1 and d/x is never removed.
    assert_eq!(r.wasted_bytes, 0);
    assert_eq!(r.efficiency, 1.0);
}
