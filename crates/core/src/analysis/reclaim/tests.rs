#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::analysis::deep::deep_scan;
use crate::fs::UnionFs;
use crate::model::Model;
use crate::progress::NoProgress;
use crate::testing::{docker_archive, load, LayerBuilder as L};

fn image() -> Vec<Vec<u8>> {
    let l0 = L::new()
        .file("a", &[1; 100])
        .file("b", &[2; 50])
        .file("c", &[3; 30])
        .dir("d")
        .file("d/x", &[4; 20])
        .file("e", &[5; 10])
        .build();
    let l1 = L::new()
        .chmod("a", &[1; 100], 0o755)
        .file("b", &[9; 60])
        .whiteout("c")
        .dir("d")
        .opaque("d")
        .file("e", &[5; 10])
        .build();
    alloc::vec![l0, l1]
}

#[test]
fn causes_add_up_to_the_squash_savings() {
    let bytes = docker_archive(&image());
    let (mut archive, img) = load(&bytes);
    let (fs, cs) = UnionFs::build(img.indexes());
    let r = Reclaim::new(Model::new(&img, &fs, &cs), 0);
    let plan = plan_layer(
        Model::new(&img, &fs, &cs),
        0,
        LayerOptions { whiteouts: true },
    );
    assert_eq!(r.total, plan.savings.total());
    assert_eq!(
        (
            r.deleted,
            r.overwritten,
            r.metadata_only,
            r.identical,
            r.opaque
        ),
        (30, 60, 100, 0, 20)
    );
    assert_eq!(r.content() as i64 + r.overhead, r.total);
    assert!(!r.deep);

    let h = deep_scan(
        archive.source_mut(),
        Model::new(&img, &fs, &cs),
        &mut NoProgress,
    )
    .unwrap();
    let r = Reclaim::new(Model::new(&img, &fs, &cs).with_hashes(Some(&h)), 0);
    assert_eq!(
        (
            r.deleted,
            r.overwritten,
            r.metadata_only,
            r.identical,
            r.opaque
        ),
        (30, 50, 100, 10, 20)
    );
    assert_eq!(r.total, plan.savings.total());
    assert_eq!(r.by_cause()[0], (Cause::MetadataOnly, 100));
}

#[test]
fn squashing_from_the_top_layer_reclaims_no_content() {
    let bytes = docker_archive(&image());
    let (_, img) = load(&bytes);
    let (fs, cs) = UnionFs::build(img.indexes());
    let all = Reclaim::for_every_layer(Model::new(&img, &fs, &cs));
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].content(), 0);
    assert_eq!(all[1].from, 1);
    assert_eq!(Reclaim::new(Model::new(&img, &fs, &cs), 9).total, 0);
}

#[test]
fn a_duplicate_entry_in_one_layer_is_overwritten_by_that_layer() {
    let l0 = L::new().file("a", &[1; 40]).file("a", &[2; 7]).build();
    let bytes = docker_archive(&[l0]);
    let (_, img) = load(&bytes);
    let (fs, cs) = UnionFs::build(img.indexes());
    let dead = dead_copies(Model::new(&img, &fs, &cs));
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].size, dead[0].cause, dead[0].by_layer),
        (40, Cause::Overwritten, 0)
    );
    let r = Reclaim::new(Model::new(&img, &fs, &cs), 0);
    assert_eq!(r.overwritten, 40);
}

#[test]
fn every_starting_layer_matches_its_squash_plan() {
    let l2 = L::new()
        .file("b", &[8; 70])
        .whiteout("a")
        .file("f", &[1; 5])
        .build();
    let l3 = L::new()
        .chmod("f", &[1; 5], 0o700)
        .hardlink("g", "f")
        .whiteout("b")
        .build();
    let mut layers = image();
    layers.push(l2);
    layers.push(l3);
    let bytes = docker_archive(&layers);
    let (_, img) = load(&bytes);
    let (fs, cs) = UnionFs::build(img.indexes());
    for (from, r) in Reclaim::for_every_layer(Model::new(&img, &fs, &cs))
        .iter()
        .enumerate()
    {
        let s = plan_layer(
            Model::new(&img, &fs, &cs),
            from,
            LayerOptions { whiteouts: true },
        )
        .savings;
        assert_eq!(r.total, s.total(), "from {from}");
        assert_eq!(r.deleted, s.deleted, "from {from}");
        assert_eq!(r.opaque, s.opaque, "from {from}");
        assert_eq!(
            r.overwritten + r.metadata_only + r.identical,
            s.overwritten,
            "from {from}"
        );
        assert_eq!(r.content() as i64 + r.overhead, r.total, "from {from}");
    }
}

#[test]
fn a_squash_plan_already_made_gives_the_same_figures() {
    let l2 = L::new().file("b", &[8; 70]).whiteout("a").build();
    let mut layers = image();
    layers.push(l2);
    let bytes = docker_archive(&layers);
    let (archive, img) = load(&bytes);
    let (fs, cs) = UnionFs::build(img.indexes());
    let m = Model::new(&img, &fs, &cs);
    let dead = dead_copies(m);
    let len = archive.len();
    for from in 0..img.layers.len() {
        let expected = Reclaim::with_dead(m, from, &dead);
        let plain = crate::squash::SquashPlan::new(
            m,
            len,
            &crate::squash::SquashOptions {
                from,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(Reclaim::with_plan(m, from, &dead, &plain.layer), expected);
        // A plan that drops paths saves otherwise: it is not taken for the squash's.
        let dropping = crate::squash::SquashPlan::new(
            m,
            len,
            &crate::squash::SquashOptions {
                from,
                drop: alloc::vec!["/b".into()],
                ..Default::default()
            },
        )
        .unwrap();
        assert_ne!(dropping.layer.savings, plain.layer.savings, "from {from}");
        assert_eq!(
            Reclaim::with_plan(m, from, &dead, &dropping.layer),
            expected
        );
        // Nor is a plan from another layer.
        let other = (from + 1) % img.layers.len();
        assert_eq!(
            Reclaim::with_plan(m, other, &dead, &plain.layer),
            Reclaim::with_dead(m, other, &dead)
        );
    }
}
