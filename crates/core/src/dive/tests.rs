#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::testing::{docker_archive, load, LayerBuilder as L};
use alloc::vec;

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

/// Layers of odd names: non-UTF-8 bytes, `.wh.` names in every position (whiteouts of
/// present and missing paths, opaque markers, bare `.wh.`), names that sort around `/`,
/// thousands of siblings written in reverse order, paths written twice, directories
/// replaced by files.
fn odd_layers(seed: u64) -> Vec<crate::layer::LayerIndex> {
    use crate::layer::{Entry, EntryKind, EntryPath, LayerIndex, Span};
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut rnd = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let names: [&[u8]; 14] = [
        b"a",
        b"b",
        b"a.b",
        b"a-b",
        b"a0",
        "\u{e9}t\u{e9}".as_bytes(),
        b"\xff\xfe",
        b"x y",
        b".wh.a",
        b".wh.b",
        b".wh.\xff\xfe",
        b".wh..wh..opq",
        b".wh.",
        b"..",
    ];
    let entry = |path: EntryPath, kind: EntryKind, size: u64| Entry {
        path,
        kind,
        mode: 0o644,
        uid: 0,
        gid: 0,
        size,
        mtime: 0,
        link: None,
        span: Span::default(),
        rooted: false,
        rare: None,
    };
    let mut layers = Vec::new();
    for l in 0..1 + rnd(5) {
        let mut entries = Vec::new();
        if l == 0 || rnd(3) == 0 {
            entries.push(entry(EntryPath::root(), EntryKind::Dir, 0));
        }
        for _ in 0..rnd(60) {
            let mut raw = Vec::new();
            for d in 0..1 + rnd(4) {
                if d > 0 || rnd(4) == 0 {
                    raw.extend_from_slice([&b"/"[..], b"//", b"/./"][rnd(3) as usize]);
                }
                raw.extend_from_slice(names[rnd(names.len() as u64) as usize]);
            }
            let Ok(path) = EntryPath::parse(&raw) else {
                continue; // `..`
            };
            let (kind, size) = match rnd(4) {
                0 => (EntryKind::Dir, 0),
                1 => (EntryKind::Symlink, 0),
                2 => (EntryKind::File, rnd(3) << 40),
                _ => (EntryKind::File, rnd(1000)),
            };
            entries.push(entry(path, kind, size));
        }
        if rnd(3) == 0 {
            // Many siblings, in reverse byte order, some of them again above.
            let dir = ["m", "a", "a/b"][rnd(3) as usize];
            for i in (0..2000 + rnd(2000)).rev() {
                let p = EntryPath::parse(alloc::format!("{dir}/f{i:05}").as_bytes()).unwrap();
                entries.push(entry(p, EntryKind::File, i % 7));
            }
        }
        layers.push(LayerIndex {
            entries,
            compression: crate::Compression::None,
            blob_size: 0,
            tar_size: 0,
            notices: Vec::new(),
        });
    }
    layers
}

/// The compact tree and tally give the figures of the owned-names tally they replaced, on
/// layers of odd names, in every order and with empty layers among them.
#[test]
fn the_compact_tally_matches_the_owned_one() {
    /// Score bits, layer sizes, the inefficient list (path, cumulative, count), abandoned.
    type Figures<'e> = (u64, &'e [u64], Vec<(&'e [u8], i64, u32)>, &'e [usize]);
    fn figures(e: &Efficiency) -> Figures<'_> {
        let list = e
            .inefficient
            .iter()
            .map(|f| (f.path.as_slice(), f.cumulative, f.count))
            .collect();
        (e.score.to_bits(), &e.layer_sizes, list, &e.abandoned)
    }
    let mut inefficient = 0;
    for seed in 0..300 {
        let layers = odd_layers(seed);
        let mut refs: Vec<Option<&crate::layer::LayerIndex>> = layers.iter().map(Some).collect();
        if seed % 5 == 0 {
            refs.insert(refs.len() / 2, None);
        }
        if seed % 7 == 0 {
            refs.reverse();
        }
        let (new, old) = (efficiency(&refs), super::oracle::efficiency(&refs));
        assert_eq!(figures(&new), figures(&old), "seed {seed}");
        inefficient += new.inefficient.len();
    }
    // The layers do overlap: the comparison saw inefficient paths, not only empty lists.
    assert!(inefficient > 1000, "{inefficient}");
}

/// Every field of two tallies, NaN equal to NaN (an image without user bytes): the ratio by
/// its bits, the rest with it set aside.
fn assert_same_tally(a: &DiveTally, b: &DiveTally) {
    assert_eq!(
        a.0.user_wasted_ratio.to_bits(),
        b.0.user_wasted_ratio.to_bits()
    );
    let (mut a, mut b) = (a.0.clone(), b.0.clone());
    (a.user_wasted_ratio, b.user_wasted_ratio) = (0.0, 0.0);
    assert_eq!(a, b);
}

/// The tally a host computes from the blobs' indexes alone (the browser's helper worker),
/// moved as wire bytes, is the one computed from the image: for every image of the
/// fixtures, real archives written by real tools. (Files: not on wasm32.)
#[test]
#[cfg(not(target_arch = "wasm32"))]
fn the_tally_from_blob_indexes_is_the_images() {
    let mut images = 0;
    for file in crate::testing::fixture_archives() {
        let all = std::fs::read(&file).unwrap();
        let Ok(indexed) = crate::Indexed::open(
            all.as_slice(),
            &crate::ImagePick::default(),
            crate::Limits::default(),
            &mut crate::NoProgress,
        ) else {
            continue;
        };
        let image = indexed.image();
        // As the helper gets them: one index per distinct blob offset.
        let by_offset: alloc::collections::BTreeMap<u64, &LayerIndex> = image
            .layers
            .iter()
            .map(|l| (l.blob.blob.offset, &l.index))
            .collect();
        let layers: Vec<Option<&LayerIndex>> = DiveTally::layer_blobs(image)
            .into_iter()
            .map(|o| o.map(|o| by_offset[&o]))
            .collect();
        let helper = DiveTally::of_layers(&layers);
        let here = DiveTally::new(image);
        assert_same_tally(&helper, &here);
        let moved = DiveTally::from_bytes(&helper.to_bytes().unwrap());
        assert_same_tally(&moved.unwrap(), &here);
        images += 1;
    }
    assert!(images >= 10, "only {images} fixture images opened");
}

#[test]
fn a_tally_crosses_as_bytes_nan_and_odd_paths_included() {
    let cases: [Vec<Vec<u8>>; 2] = [
        vec![L::new().file("a", &[1; 10]).build()],
        vec![
            L::new()
                .file("a", &[1; 10])
                .raw_file(b"odd\xff", &[2; 3])
                .build(),
            L::new()
                .file("a", &[3; 30])
                .raw_file(b"odd\xff", &[4; 7])
                .build(),
            L::new().whiteout("a").build(),
        ],
    ];
    for layers in cases {
        let bytes = docker_archive(&layers);
        let (_, img) = load(&bytes);
        let tally = DiveTally::new(&img);
        let encoded = tally.to_bytes().unwrap();
        assert_same_tally(&DiveTally::from_bytes(&encoded).unwrap(), &tally);
        let mut other_version = encoded.clone();
        other_version[0] ^= 0xff;
        assert!(DiveTally::from_bytes(&other_version).is_err());
        assert!(DiveTally::from_bytes(&encoded[..encoded.len() / 2]).is_err());
    }
}
