//! Squash rules on images built in memory: planned sizes equal written bytes, survivors keep
//! their bytes, whiteouts hide kept layers' files, hardlinks survive their target's deletion.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::io::Read;

use super::*;
use crate::fs::UnionFs;
use crate::model::Model;
use crate::progress::NoProgress;
use crate::testing::{docker_archive, load, LayerBuilder as L};

struct Out {
    written: Vec<u8>,
    plan: SquashPlan,
}

fn squash(layers: &[Vec<u8>], from: usize) -> Out {
    squash_with(
        layers,
        &SquashOptions {
            from,
            ..Default::default()
        },
    )
}

fn squash_with(layers: &[Vec<u8>], options: &SquashOptions) -> Out {
    let bytes = docker_archive(layers);
    let (mut archive, image) = load(&bytes);
    let (fs, cs) = UnionFs::build(image.indexes());
    let plan = SquashPlan::new(Model::new(&image, &fs, &cs), archive.len(), options).unwrap();
    let mut written = Vec::new();
    let w = write_squash(
        archive.source_mut(),
        &image,
        &plan,
        &mut written,
        &mut NoProgress,
    )
    .unwrap();
    assert_eq!(w.size, written.len() as u64);
    Out { written, plan }
}

/// The squashed layer's tar as written (a docker-archive's `N/layer.tar`).
fn new_layer_bytes(out: &Out) -> Vec<u8> {
    let mut outer = tar::Archive::new(out.written.as_slice());
    let name = alloc::format!("{}/layer.tar", out.plan.kept);
    let mut layer = Vec::new();
    for e in outer.entries().unwrap() {
        let mut e = e.unwrap();
        if *e.path_bytes() == *name.as_bytes() {
            e.read_to_end(&mut layer).unwrap();
        }
    }
    layer
}

/// (path, type flag, link, content) of every entry of the squashed layer.
fn new_layer(out: &Out) -> Vec<(String, u8, String, Vec<u8>)> {
    let layer = new_layer_bytes(out);
    let mut ar = tar::Archive::new(layer.as_slice());
    ar.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let p = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            let flag = e.header().entry_type().as_byte();
            let link = e
                .link_name_bytes()
                .map(|l| String::from_utf8_lossy(&l).into_owned())
                .unwrap_or_default();
            let mut c = Vec::new();
            e.read_to_end(&mut c).unwrap();
            (p, flag, link, c)
        })
        .collect()
}

#[test]
fn planned_size_equals_written_size_and_savings_add_up() {
    let l0 = L::new()
        .dir("d")
        .file("d/a", &[1u8; 3000])
        .file("keep", b"k")
        .build();
    let l1 = L::new().whiteout("d/a").file("big", &[2u8; 10_000]).build();
    let l2 = L::new().file("big", b"small now").build();
    let input: u64 = [&l0, &l1, &l2].iter().map(|l| l.len() as u64).sum();
    let out = squash(&[l0, l1, l2], 0);
    assert_eq!(out.plan.archive_size, out.written.len() as u64);
    let s = out.plan.savings;
    assert_eq!(s.deleted, 3000);
    assert_eq!(s.overwritten, 10_000);
    assert_eq!(input as i64 - out.plan.layer_size as i64, s.total());
    let entries = new_layer(&out);
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names, ["d", "keep", "big"]);
}

#[test]
fn survivors_of_one_layer_form_one_range() {
    let mut l0 = L::new();
    for i in 0..50 {
        l0.file_mode(&alloc::format!("f{i}"), b"x", 0o644);
    }
    let l1 = L::new().file("f10", b"new").build();
    let out = squash(&[l0.build(), l1], 0);
    // f0..f9, f11..f49 from layer 0 (two runs), f10 from layer 1, the trailer.
    assert!(
        out.plan.layer.parts.count() <= 4,
        "{:?}",
        out.plan.layer.parts
    );
}

#[test]
fn squash_from_above_the_base_keeps_base_deletions() {
    let l0 = L::new()
        .file("base-file", b"b")
        .dir("dir")
        .file("dir/x", b"x")
        .build();
    let l1 = L::new()
        .whiteout("base-file")
        .opaque("dir")
        .file("dir/y", b"y")
        .build();
    let l2 = L::new().file("top", b"t").build();
    let out = squash(&[l0, l1, l2], 1);
    let entries = new_layer(&out);
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert!(names.contains(&".wh.base-file"), "{names:?}");
    assert!(names.contains(&"dir/.wh.x"), "{names:?}");
    assert!(names.contains(&"dir/y"));
    assert!(!names.iter().any(|n| n.contains(".wh..wh..opq")));
}

#[test]
fn full_squash_writes_no_whiteouts() {
    let l0 = L::new().file("a", b"1").build();
    let l1 = L::new().whiteout("a").build();
    let out = squash(&[l0, l1], 0);
    assert!(new_layer(&out).is_empty());
}

#[test]
fn hardlink_whose_target_is_deleted_becomes_a_file_with_the_content() {
    let l0 = L::new().file("orig", b"payload").build();
    let l1 = L::new()
        .hardlink("link1", "orig")
        .hardlink("link2", "orig")
        .build();
    let l2 = L::new().whiteout("orig").build();
    let out = squash(&[l0, l1, l2], 0);
    let e = new_layer(&out);
    assert_eq!(e[0].0, "link1");
    assert_eq!(e[0].1, b'0');
    assert_eq!(e[0].3, b"payload");
    assert_eq!(
        (e[1].0.as_str(), e[1].1, e[1].2.as_str()),
        ("link2", b'1', "link1")
    );
    assert_eq!(out.plan.layer.links_materialised, 1);
}

#[test]
fn hardlink_to_surviving_target_stays_a_hardlink_and_symlinks_stay_verbatim() {
    let l0 = L::new()
        .file("t", b"data")
        .hardlink("h", "t")
        .symlink("dangling", "/nowhere")
        .build();
    let out = squash(&[l0], 0);
    let e = new_layer(&out);
    assert_eq!((e[1].1, e[1].2.as_str()), (b'1', "t"));
    assert_eq!((e[2].1, e[2].2.as_str()), (b'2', "/nowhere"));
}

#[test]
fn output_is_deterministic_and_kept_layers_are_byte_identical() {
    let l0 = L::new().file("a", b"1").build();
    let l1 = L::new().file("b", b"2").build();
    let a = squash(&[l0.clone(), l1.clone()], 1);
    let b = squash(&[l0.clone(), l1], 1);
    assert_eq!(a.written, b.written);
    let mut outer = tar::Archive::new(a.written.as_slice());
    let mut kept = Vec::new();
    for e in outer.entries().unwrap() {
        let mut e = e.unwrap();
        if &*e.path_bytes() == b"0/layer.tar" {
            e.read_to_end(&mut kept).unwrap();
        }
    }
    assert_eq!(kept, l0);
}

#[test]
fn config_history_and_diff_ids_stay_consistent() {
    let layers: Vec<Vec<u8>> = (0..4)
        .map(|i| L::new().file(&alloc::format!("f{i}"), b"x").build())
        .collect();
    let out = squash(&layers, 2);
    let mut outer = tar::Archive::new(out.written.as_slice());
    let mut manifest = Vec::new();
    let mut configs = alloc::collections::BTreeMap::new();
    for e in outer.entries().unwrap() {
        let mut e = e.unwrap();
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        if name == "manifest.json" {
            manifest = data;
        } else {
            configs.insert(name, data);
        }
    }
    let m: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let cfg_name = m[0]["Config"].as_str().unwrap();
    let cfg = &configs[cfg_name];
    assert_eq!(
        alloc::format!("{}.json", crate::digest::Digest::of(cfg).hex()),
        cfg_name
    );
    let c: serde_json::Value = serde_json::from_slice(cfg).unwrap();
    let diff_ids = c["rootfs"]["diff_ids"].as_array().unwrap();
    assert_eq!(diff_ids.len(), 3);
    let layer = &configs["2/layer.tar"];
    assert_eq!(
        diff_ids[2].as_str().unwrap(),
        crate::digest::Digest::of(layer).to_string()
    );
    let hist = c["history"].as_array().unwrap();
    assert_eq!(
        hist.iter()
            .filter(|h| !h["empty_layer"].as_bool().unwrap_or(false))
            .count(),
        3
    );
    assert_eq!(c["created"], "2024-01-04T00:00:00Z");
    assert_eq!(m[0]["RepoTags"][0], "test:latest");
}

#[test]
fn dropping_a_hardlink_target_keeps_the_other_names_linked() {
    let l0 = L::new()
        .dir("a")
        .file("a/t", b"shared")
        .dir("b")
        .hardlink("b/l", "a/t")
        .hardlink("b/m", "a/t")
        .file("keep", b"k")
        .build();
    let out = squash_with(
        &[l0],
        &SquashOptions {
            drop: alloc::vec!["/a".into()],
            ..Default::default()
        },
    );
    let entries = new_layer(&out);
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names, ["b", "b/l", "b/m", "keep"]);
    // The first surviving name holds the content, the next links to it.
    assert_eq!(
        (entries[1].1, entries[1].3.as_slice()),
        (b'0', &b"shared"[..])
    );
    assert_eq!((entries[2].1, entries[2].2.as_str()), (b'1', "b/l"));
    let d = out.plan.layer.dropped.as_ref().unwrap();
    assert_eq!((d.links_materialised, d.links_repointed), (1, 1));
    assert_eq!(d.patterns[0].paths, 2);
    assert_eq!(out.plan.archive_size, out.written.len() as u64);
}

#[test]
fn a_drop_in_a_kept_layer_is_a_whiteout_and_nothing_else() {
    let l0 = L::new()
        .dir("etc")
        .file("etc/secret", b"s")
        .file("x", b"x")
        .build();
    let l1 = L::new().file("y", b"y").build();
    let out = squash_with(
        &[l0, l1],
        &SquashOptions {
            from: 1,
            drop: alloc::vec!["/etc/secret".into(), "/nothing/**".into()],
            ..Default::default()
        },
    );
    let names: Vec<String> = new_layer(&out).into_iter().map(|e| e.0).collect();
    assert_eq!(names, ["etc/.wh.secret", "y"]);
    let d = out.plan.layer.dropped.as_ref().unwrap();
    assert_eq!(d.hidden.len(), 1);
    assert_eq!(d.patterns[1].paths + d.patterns[1].hidden, 0);
}

#[test]
fn an_epoch_clamps_newer_mtimes_and_sets_created() {
    let l0 = L::new().dir("d").file("d/f", b"f").build();
    let epoch = 1_600_000_000; // before the builder's 1_700_000_000
    let out = squash_with(
        &[l0],
        &SquashOptions {
            source_date_epoch: Some(epoch),
            ..Default::default()
        },
    );
    let layer = new_layer_bytes(&out);
    let mut ar = tar::Archive::new(layer.as_slice());
    for e in ar.entries().unwrap() {
        assert_eq!(e.unwrap().header().mtime().unwrap(), epoch as u64);
    }
    assert_eq!(out.plan.layer.mtimes_clamped, 2);
    assert_eq!(out.plan.created.as_deref(), Some("2020-09-13T12:26:40Z"));
    assert_eq!(out.plan.archive_size, out.written.len() as u64);
}

#[test]
fn every_format_and_compression_holds_the_same_layer() {
    let l0 = L::new().file("a", &[7u8; 50_000]).file("b", b"b").build();
    let l1 = L::new().whiteout("b").file("c", b"c").build();
    let plain = new_layer_bytes(&squash(&[l0.clone(), l1.clone()], 0));
    for format in [Format::Docker, Format::Oci] {
        for compress in [Compress::None, Compress::Gzip(6), Compress::Zstd(1)] {
            let options = SquashOptions {
                format,
                compress,
                ..Default::default()
            };
            let out = squash_with(&[l0.clone(), l1.clone()], &options);
            let again = squash_with(&[l0.clone(), l1.clone()], &options);
            assert_eq!(out.written, again.written, "{format:?} {compress:?}");
            // Find the layer blob: the member whose decompressed bytes are the plain layer.
            let mut outer = tar::Archive::new(out.written.as_slice());
            let mut found = false;
            for e in outer.entries().unwrap() {
                let mut e = e.unwrap();
                let mut blob = Vec::new();
                e.read_to_end(&mut blob).unwrap();
                let mut dec = Vec::new();
                let ok = match compress {
                    Compress::None => {
                        dec = blob.clone();
                        true
                    }
                    Compress::Gzip(_) => flate2::read::GzDecoder::new(blob.as_slice())
                        .read_to_end(&mut dec)
                        .is_ok(),
                    Compress::Zstd(_) => ruzstd::decoding::StreamingDecoder::new(blob.as_slice())
                        .map(|mut d| d.read_to_end(&mut dec).is_ok())
                        .unwrap_or(false),
                };
                found |= ok && dec == plain;
            }
            assert!(
                found,
                "{format:?} {compress:?}: no member decodes to the layer"
            );
        }
    }
}
