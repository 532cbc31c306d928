#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::model::Model;
use crate::testing::{docker_archive, load, LayerBuilder as L};

fn findings(layers: &[Vec<u8>], options: &FindingOptions) -> Vec<Finding> {
    let bytes = docker_archive(layers);
    let (_, img) = load(&bytes);
    let (fs, cs) = UnionFs::build(img.indexes());
    find(Model::new(&img, &fs, &cs), options)
}

fn kinds(f: &[Finding]) -> Vec<FindingKind> {
    f.iter().map(|f| f.kind).collect()
}

fn base() -> Vec<u8> {
    L::new().dir("bin").file("bin/busybox", &[1; 4000]).build()
}

#[test]
fn clean_image_has_no_findings() {
    let app = L::new().dir("app").file("app/main.sh", b"echo hi").build();
    let f = findings(&[base(), app], &FindingOptions::default());
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn secret_deleted_later_ranks_first_with_evidence() {
    let l1 = L::new()
        .dir("root")
        .dir("root/.ssh")
        .file("root/.ssh/id_rsa", b"-----BEGIN OPENSSH PRIVATE KEY-----")
        .file("big.tar", &[0; 9000])
        .build();
    let l2 = L::new()
        .whiteout("root/.ssh/id_rsa")
        .whiteout("big.tar")
        .build();
    let f = findings(&[base(), l1, l2], &FindingOptions::default());
    assert_eq!(
        kinds(&f),
        [
            FindingKind::SecretDeletedLater,
            FindingKind::AddedThenRemoved
        ]
    );
    assert_eq!(f[0].severity, Severity::Security);
    assert_eq!((f[0].layer, f[0].related_layer), (1, Some(2)));
    assert_eq!(f[0].evidence[0].path, "root/.ssh/id_rsa");
    assert_eq!(f[0].step, "RUN step 1");
    // The secret is not counted again as a plain deleted file.
    assert_eq!(f[1].evidence_count, 1);
    assert_eq!(f[1].bytes, 9000);
}

#[test]
fn caches_build_tools_junk_and_data() {
    let l1 = L::new()
        .file("var/lib/apt/lists/deb_InRelease", &[0; 300])
        .file("var/lib/apt/lists/lock", b"")
        .file("root/.cache/pip/http/x", &[0; 200])
        .file("root/.npm/_cacache/index", &[0; 100])
        .file("usr/bin/gcc", &[0; 500])
        .file("usr/include/zlib.h", &[0; 50])
        .file("srv/data/big.csv", &[0; 2000])
        .build();
    let opts = FindingOptions {
        large_file: 1000,
        ..Default::default()
    };
    let f = findings(&[base(), l1], &opts);
    let mut k = kinds(&f);
    k.sort();
    assert_eq!(
        k,
        [
            FindingKind::PackageCache,
            FindingKind::PackageCache,
            FindingKind::PackageCache,
            FindingKind::BuildTools,
            FindingKind::LargeDataFile
        ]
    );
    let apt = f.iter().find(|f| f.title.contains("apt")).unwrap();
    assert_eq!(apt.evidence_count, 1);
    assert!(apt.fix.contains("rm -rf /var/lib/apt/lists/*"));
}

#[test]
fn chmod_only_layer_and_copied_junk() {
    let l1 = L::new()
        .dir("app")
        .file("app/run", &[7; 700])
        .dir("app/.git")
        .file("app/.git/HEAD", b"ref: refs/heads/main")
        .dir("app/tests")
        .file("app/tests/t.sh", &[1; 30])
        .build();
    let l2 = L::new().chmod("app/run", &[7; 700], 0o755).build();
    let bytes = docker_archive(&[base(), l1, l2]);
    let (_, mut img) = load(&bytes);
    img.layers[1].history.as_mut().unwrap().created_by =
        Some("/bin/sh -c #(nop) COPY dir:abc in /app".into());
    let (fs, cs) = UnionFs::build(img.indexes());
    let f = find(Model::new(&img, &fs, &cs), &FindingOptions::default());
    let meta = f
        .iter()
        .find(|f| f.kind == FindingKind::MetadataOnly)
        .unwrap();
    assert_eq!((meta.layer, meta.bytes), (2, 700));
    assert!(meta.title.contains("chmod/chown-only layer"));
    assert!(meta.fix.contains("--chmod"));
    let junk = f
        .iter()
        .find(|f| f.kind == FindingKind::BuildContextJunk)
        .unwrap();
    let paths: Vec<&str> = junk.evidence.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["app/tests", "app/.git"]);
    assert_eq!(junk.layer, 1);
}

#[test]
fn large_base_names_its_size_and_biggest_directories() {
    let b = L::new()
        .dir("usr")
        .dir("usr/lib")
        .file("usr/lib/libbig.so", &[0; 5000])
        .build();
    let opts = FindingOptions {
        large_base: 1000,
        ..Default::default()
    };
    let f = findings(&[b], &opts);
    assert_eq!(kinds(&f), [FindingKind::LargeBase]);
    assert_eq!(f[0].evidence[0].path, "usr/lib");
    assert!(f[0].fix.contains("alpine"));
}

#[test]
fn live_secret_and_rewrites_with_and_without_the_deep_scan() {
    let l1 = L::new()
        .dir("app")
        .file("app/.env", b"TOKEN=abc")
        .file("app/.env.example", b"TOKEN=")
        .file("app/data.bin", &[3; 800])
        .build();
    let l2 = L::new().file("app/data.bin", &[3; 800]).build();
    let bytes = docker_archive(&[base(), l1, l2]);
    let (mut archive, img) = load(&bytes);
    let (fs, cs) = UnionFs::build(img.indexes());
    let shallow = find(Model::new(&img, &fs, &cs), &FindingOptions::default());
    assert_eq!(
        kinds(&shallow),
        [FindingKind::SecretInImage, FindingKind::OverwrittenLater]
    );
    assert_eq!(shallow[0].evidence_count, 1, "a .env.example is no secret");
    let hashes = crate::analysis::deep::deep_scan(
        archive.source_mut(),
        Model::new(&img, &fs, &cs),
        &mut crate::progress::NoProgress,
    )
    .unwrap();
    let deep = find(
        Model::new(&img, &fs, &cs).with_hashes(Some(&hashes)),
        &FindingOptions::default(),
    );
    assert_eq!(
        kinds(&deep),
        [FindingKind::SecretInImage, FindingKind::IdenticalRewrite]
    );
    let ident = &deep[1];
    assert_eq!(
        (ident.layer, ident.related_layer, ident.bytes),
        (2, Some(1), 800)
    );
}

/// A junk root inside another (an editor swap file is junk only as the last component, so
/// a path below one can find a root of its own) belongs to the outer one, also when another
/// root sorts between them (`-` before `/`).
#[test]
fn nested_junk_roots_belong_to_the_outermost() {
    let l1 = L::new()
        .file("app/.main.swp", &[1; 10])
        .file("app/.main.swp-x/.git/HEAD", &[2; 20])
        .file("app/.main.swp/.git/HEAD", &[3; 40])
        .file("app/.main.swp/.git/x/.idea/y", &[4; 80])
        .build();
    let bytes = docker_archive(&[base(), l1]);
    let (_, mut img) = load(&bytes);
    img.layers[1].history.as_mut().unwrap().created_by =
        Some("/bin/sh -c #(nop) COPY dir:abc in /app".into());
    let (fs, cs) = UnionFs::build(img.indexes());
    let f = find(Model::new(&img, &fs, &cs), &FindingOptions::default());
    let junk = f
        .iter()
        .find(|f| f.kind == FindingKind::BuildContextJunk)
        .unwrap();
    let got: Vec<(&str, u64)> = junk
        .evidence
        .iter()
        .map(|e| (e.path.as_str(), e.size))
        .collect();
    assert_eq!(got, [("app/.main.swp-x/.git", 20), ("app/.main.swp", 10)]);
}
