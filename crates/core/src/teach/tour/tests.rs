#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use core::cell::Cell;

use super::*;
use crate::fs::UnionFs;
use crate::testing::{docker_archive, load, LayerBuilder as L};

std::thread_local! {
    /// Changes and paths the marker steps looked at (see [`super::examined`]).
    pub(super) static EXAMINED: Cell<u64> = const { Cell::new(0) };
}

/// Whiteouts of files, of directories, of a directory beside a longer name that sorts
/// between it and its children (`a/b-x` lies between `a/b` and `a/b/…` in byte order), a
/// whiteout inside a whited-out directory, and opaque directories (one at the root).
fn layers() -> Vec<Vec<u8>> {
    let l0 = L::new()
        .dir("a")
        .dir("a/b")
        .file("a/b/x", &[1; 100])
        .file("a/b/y", &[2; 40])
        .dir("a/b/c")
        .file("a/b/c/z", &[3; 7])
        .file("a/b-x", &[4; 1000])
        .file("a/b0", &[5; 3])
        .dir("d")
        .file("d/one", &[6; 11])
        .file("d/two", &[7; 13])
        .file("top", &[8; 17])
        .build();
    let l1 = L::new()
        .whiteout("a/b")
        .whiteout("a/b/c")
        .whiteout("a/b0")
        .dir("d")
        .opaque("d")
        .file("d/new", &[9; 5])
        .build();
    let l2 = L::new()
        .whiteout("a/b-x")
        .whiteout("missing")
        .file(".wh..wh..opq", b"")
        .file("fresh", &[1; 2])
        .build();
    alloc::vec![l0, l1, l2]
}

#[test]
fn every_marker_hides_what_a_scan_of_its_layer_finds() {
    let bytes = docker_archive(&layers());
    let (_, img) = load(&bytes);
    let (fs, cs) = UnionFs::build(img.indexes());
    let m = Model::new(&img, &fs, &cs);
    let mut markers = 0;
    for l in &img.layers {
        let whiteouts = Removals::of(cs.get(l.position), Removal::Whiteout);
        let opaques = Removals::of(cs.get(l.position), Removal::Opaque);
        for e in &l.index.entries {
            let (how, removals, target) = match classify(&e.path) {
                Role::Whiteout(t) => (Removal::Whiteout, &whiteouts, t),
                Role::Opaque(d) => (Removal::Opaque, &opaques, d),
                _ => continue,
            };
            markers += 1;
            for with_self in [true, false] {
                let (n, bytes, _) = hidden_under(m, l.position, how, &target, with_self);
                assert_eq!(
                    removals.under(&target, with_self),
                    (n, bytes),
                    "layer {} marker {} with_self {with_self}",
                    l.position,
                    e.path.display()
                );
            }
        }
    }
    assert_eq!(markers, 7);
}

#[test]
fn the_marker_steps_tell_the_biggest_markers() {
    let bytes = docker_archive(&layers());
    let (_, img) = load(&bytes);
    let (fs, cs) = UnionFs::build(img.indexes());
    let tour = Tour::of(Model::new(&img, &fs, &cs));
    let step = |id: &str| tour.steps.iter().find(|s| s.id == id).unwrap().clone();
    let figures = |s: &Step| {
        s.figures
            .iter()
            .map(|f| (f.name.to_string(), f.value))
            .collect::<Vec<_>>()
    };
    // `a/b-x` (1,000 bytes) outweighs `a/b` and all under it (147 bytes).
    let w = step("whiteout");
    assert_eq!(w.path.as_deref(), Some("/a/b-x"));
    assert_eq!(
        figures(&w),
        [
            ("layer".into(), 2),
            ("hidden_paths".into(), 1),
            ("hidden_bytes".into(), 1000)
        ]
    );
    // `d`'s opaque marker hides d/one and d/two (24 bytes).
    let o = step("opaque");
    assert_eq!(o.path.as_deref(), Some("/d"));
    assert_eq!(
        figures(&o)[1..],
        [("hidden_paths".into(), 2), ("hidden_bytes".into(), 24)]
    );
}

/// The whiteout step compares every marker: with a scan of the layer per marker, `n` markers
/// in a layer of `n` removals look at n² changes (minutes at e1m's 50,100 markers).
#[test]
fn comparing_markers_stays_n_log_n() {
    let n = 2_000;
    let mut l0 = L::new();
    let mut l1 = L::new();
    for i in 0..n {
        let d = alloc::format!("d{:03}", i / 100);
        if i % 100 == 0 {
            l0 = l0.dir(&d);
        }
        let p = alloc::format!("{d}/f{:03}.txt", i % 100);
        l0 = l0.file(&p, &[1; 3]);
        l1 = l1.whiteout(&p);
    }
    let bytes = docker_archive(&[l0.build(), l1.build()]);
    let (_, img) = load(&bytes);
    let (fs, cs) = UnionFs::build(img.indexes());
    assert_eq!(cs[1].changes.len(), n);
    EXAMINED.with(|e| e.set(0));
    let tour = Tour::of(Model::new(&img, &fs, &cs));
    let examined = EXAMINED.with(Cell::get);
    let w = tour.steps.iter().find(|s| s.id == "whiteout").unwrap();
    assert!(w.found);
    // Building the index and four binary searches per marker: about 50 n here; a scan per
    // marker would be n² = 4,000,000.
    assert!(
        examined > 0 && examined < 100 * n as u64,
        "{examined} looked at"
    );
}
