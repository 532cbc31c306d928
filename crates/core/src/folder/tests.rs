#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use std::io::{self, Read};

use super::*;
use crate::archive::{Archive, Format, Selector};
use crate::digest::Digest;
use crate::error::ErrorKind;
use crate::image::Image;
use crate::layer::IndexOptions;
use crate::source::Source;
use crate::testing::LayerBuilder;
use crate::{Limits, NoProgress};

/// Files held in memory, read at most 7 bytes a call (to catch code assuming full reads).
struct Mem(Vec<Vec<u8>>);

impl FolderFiles for Mem {
    fn read_file_at(&mut self, index: usize, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(7);
        self.0[index].as_slice().read_at(offset, &mut buf[..n])
    }
}

/// A directory in memory: (path, contents) files and (path, target) symlinks.
fn folder(files: &[(&str, Vec<u8>)], links: &[(&str, &str)]) -> (Vec<Item>, Mem) {
    let mut items = Vec::new();
    for (i, (p, b)) in files.iter().enumerate() {
        items.push(Item {
            path: p.to_string(),
            kind: ItemKind::File {
                size: b.len() as u64,
            },
            index: i,
        });
    }
    for (p, t) in links {
        items.push(Item {
            path: p.to_string(),
            kind: ItemKind::Symlink {
                target: t.to_string(),
            },
            index: usize::MAX,
        });
    }
    // The caller's order is not the layout's.
    items.reverse();
    (items, Mem(files.iter().map(|(_, b)| b.clone()).collect()))
}

fn open(
    files: &[(&str, Vec<u8>)],
    links: &[(&str, &str)],
) -> crate::Result<Archive<FolderSource<Mem>>> {
    let (items, mem) = folder(files, links);
    let view = TarView::new(items, &Limits::default())?;
    Archive::open(
        FolderSource::new(view, mem),
        Limits::default(),
        &mut NoProgress,
    )
}

fn error(files: &[(&str, Vec<u8>)], links: &[(&str, &str)]) -> String {
    match open(files, links) {
        Ok(_) => panic!("opened"),
        Err(e) => e.to_string(),
    }
}

fn layers() -> Vec<Vec<u8>> {
    vec![
        LayerBuilder::new()
            .dir("etc")
            .file("etc/os-release", b"ID=test\n")
            .file("bin/sh", &[7u8; 3000])
            .build(),
        LayerBuilder::new()
            .whiteout("bin/sh")
            .file("app/main", b"hello")
            .build(),
    ]
}

fn config(layers: &[Vec<u8>]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| Digest::of(l).to_string()).collect();
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "a"}, {"created_by": "b"}],
    }))
    .unwrap()
}

fn manifest(config: &[u8], layers: &[Vec<u8>], media: &str) -> Vec<u8> {
    let descs: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| serde_json::json!({"mediaType": media, "digest": Digest::of(l).to_string(), "size": l.len()}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": Digest::of(config).to_string(), "size": config.len()},
        "layers": descs,
    }))
    .unwrap()
}

/// An OCI image layout as `skopeo copy … oci:DIR` writes it.
fn oci_layout() -> Vec<(String, Vec<u8>)> {
    let layers = layers();
    let config = config(&layers);
    let manifest = manifest(&config, &layers, "application/vnd.oci.image.layer.v1.tar");
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": Digest::of(&manifest).to_string(), "size": manifest.len(), "annotations": {"org.opencontainers.image.ref.name": "test:1"}}],
    }))
    .unwrap();
    let mut files = vec![
        (
            "oci-layout".to_string(),
            br#"{"imageLayoutVersion": "1.0.0"}"#.to_vec(),
        ),
        ("index.json".to_string(), index),
    ];
    for blob in layers.into_iter().chain([config, manifest]) {
        files.push((
            alloc::format!("blobs/sha256/{}", Digest::of(&blob).hex()),
            blob,
        ));
    }
    files
}

/// A containers/image `dir:` folder.
fn dir_layout() -> Vec<(String, Vec<u8>)> {
    let layers = layers();
    let config = config(&layers);
    let manifest = manifest(
        &config,
        &layers,
        "application/vnd.docker.image.rootfs.diff.tar",
    );
    let mut files = vec![
        ("manifest.json".to_string(), manifest),
        (
            "version".to_string(),
            b"Directory Transport Version: 1.1\n".to_vec(),
        ),
    ];
    for blob in layers.into_iter().chain([config]) {
        files.push((Digest::of(&blob).hex(), blob));
    }
    files
}

fn borrow(files: &[(String, Vec<u8>)]) -> Vec<(&str, Vec<u8>)> {
    files.iter().map(|(p, b)| (p.as_str(), b.clone())).collect()
}

/// The same files as a real tar, as `tar -cf` of the directory would hold them.
fn tarred(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (p, data) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, p, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

#[test]
fn the_virtual_tar_is_a_tar_of_the_files_in_path_order() {
    let long = alloc::format!("deep/{}/file", "x".repeat(150));
    let files = [
        ("index.json", b"{}".to_vec()),
        ("blobs/sha256/aa", vec![1u8; 1000]),
        ("empty", Vec::new()),
        (long.as_str(), b"long".to_vec()),
    ];
    let (items, mem) = folder(&files, &[("blobs/link", "sha256/aa")]);
    let view = TarView::new(items, &Limits::default()).unwrap();
    let mut source = FolderSource::new(view.clone(), mem);
    let len = source.size().unwrap();
    assert_eq!(len, view.len());
    let mut bytes = vec![0u8; len as usize];
    assert_eq!(source.read_at(0, &mut bytes).unwrap(), bytes.len());
    // Reads at any offset agree with the whole.
    for at in [0usize, 1, 511, 512, 513, 1500, bytes.len() - 1] {
        let mut b = vec![0u8; 700];
        let n = source.read_at(at as u64, &mut b).unwrap();
        assert_eq!(&b[..n], &bytes[at..(at + 700).min(bytes.len())]);
    }
    // The pieces with the files put in give the same bytes.
    let mut joined = Vec::new();
    for p in view.pieces() {
        match p {
            Piece::Bytes(b) => joined.extend_from_slice(&b),
            Piece::File { index, len } => {
                assert_eq!(files[index].1.len() as u64, len);
                joined.extend_from_slice(&files[index].1);
            }
        }
    }
    assert_eq!(joined, bytes);
    let mut names = Vec::new();
    let mut ar = tar::Archive::new(bytes.as_slice());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = String::from_utf8(e.path_bytes().to_vec()).unwrap();
        let mut content = Vec::new();
        e.read_to_end(&mut content).unwrap();
        match files.iter().find(|(p, _)| *p == name) {
            Some((_, want)) => assert_eq!(&content, want),
            None => assert_eq!(
                e.link_name_bytes().as_deref(),
                Some(&b"sha256/aa"[..]),
                "{name}"
            ),
        }
        names.push(name);
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(names.len(), 5);
}

#[test]
fn an_oci_layout_directory_reads_as_its_tarball_does() {
    let files = oci_layout();
    let mut dir = open(&borrow(&files), &[]).unwrap();
    let tar = tarred(&files);
    let mut arch = Archive::open(tar.as_slice(), Limits::default(), &mut NoProgress).unwrap();
    assert_eq!(dir.format(), Format::OciLayout);
    assert_eq!(dir.images()[0].tags, ["test:1"]);
    let a = Image::load(&mut dir, 0, &IndexOptions::default(), &mut NoProgress).unwrap();
    let b = Image::load(&mut arch, 0, &IndexOptions::default(), &mut NoProgress).unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(a.layers.len(), 2);
    for (x, y) in a.layers.iter().zip(&b.layers) {
        assert_eq!(x.diff_id, y.diff_id);
        assert_eq!(x.index.entries, y.index.entries);
    }
}

#[test]
fn a_dir_layout_lists_its_one_image_with_blobs_named_by_hex() {
    let files = dir_layout();
    let mut dir = open(&borrow(&files), &[]).unwrap();
    assert_eq!(dir.format(), Format::ContainersDir);
    let r = &dir.images()[0];
    assert!(r.tags.is_empty());
    assert_eq!(r.layers.len(), 2);
    assert_eq!(
        r.manifest_digest,
        Some(Digest::of(&files[0].1)),
        "the manifest's digest is that of manifest.json"
    );
    let which = dir.select(&Selector::default()).unwrap();
    let img = Image::load(&mut dir, which, &IndexOptions::default(), &mut NoProgress).unwrap();
    assert_eq!(img.layers[0].diff_id, Digest::of(&layers()[0]));
    assert_eq!(img.layers[1].index.entries.len(), 2);
    // The same folder tarred is the same layout.
    let tar = tarred(&files);
    let arch = Archive::open(tar.as_slice(), Limits::default(), &mut NoProgress).unwrap();
    assert_eq!(arch.format(), Format::ContainersDir);
}

#[test]
fn a_dir_manifest_list_gives_one_image_per_platform_present() {
    let mut files = dir_layout();
    let manifest = files[0].1.clone();
    let list = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifests": [
            {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": Digest::of(&manifest).to_string(), "size": manifest.len(), "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": Digest::of(b"absent").to_string(), "size": 6, "platform": {"architecture": "arm64", "os": "linux"}},
        ],
    }))
    .unwrap();
    files.push((
        alloc::format!("{}.manifest.json", Digest::of(&manifest).hex()),
        manifest,
    ));
    files[0].1 = list;
    let dir = open(&borrow(&files), &[]).unwrap();
    assert_eq!(dir.images().len(), 1);
    assert_eq!(dir.images()[0].platform.as_deref(), Some("linux/amd64"));
}

#[test]
fn symlinks_inside_resolve_and_outside_are_refused() {
    // A layout whose blob is a link to a file elsewhere in the directory.
    let mut files = oci_layout();
    let (path, blob) = files.pop().unwrap();
    files.push(("store/manifest".to_string(), blob));
    let owned = borrow(&files);
    let mut dir = open(&owned, &[(&path, "../../store/manifest")]).unwrap();
    Image::load(&mut dir, 0, &IndexOptions::default(), &mut NoProgress).unwrap();
    let e = error(&owned, &[(&path, "../../../elsewhere")]);
    assert!(e.contains("points outside the directory"), "{e}");
    let e = error(&owned, &[(&path, "/etc/passwd")]);
    assert!(e.contains("points outside the directory"), "{e}");
}

#[test]
fn directories_that_are_no_image_say_what_is_missing() {
    let e = error(&[], &[]);
    assert!(e.contains("the directory is empty"), "{e}");
    let e = error(&[("photo.jpg", vec![1]), ("image.tar", vec![2])], &[]);
    assert!(
        e.contains("no `oci-layout`, `index.json` or `manifest.json`") && e.contains("`image.tar`"),
        "{e}"
    );
    let e = error(&[("oci-layout", b"{}".to_vec())], &[]);
    assert!(e.contains("`oci-layout` but no `index.json`"), "{e}");
    let e = error(
        &[
            ("oci-layout", b"{}".to_vec()),
            ("index.json", b"{}".to_vec()),
        ],
        &[],
    );
    assert!(e.contains("no `blobs/`"), "{e}");
    let e = error(
        &[("version", b"Directory Transport Version: 1.1\n".to_vec())],
        &[],
    );
    assert!(e.contains("`version` but no `manifest.json`"), "{e}");
    // A dir: folder missing a blob names the file it looked for.
    let mut files = dir_layout();
    let (gone, _) = files.remove(2);
    let e = error(&borrow(&files), &[]);
    assert!(e.contains(&alloc::format!("no file `{gone}`")), "{e}");
    // Schema 1 has no config to read.
    let e = error(
        &[
            (
                "manifest.json",
                br#"{"schemaVersion": 1, "fsLayers": []}"#.to_vec(),
            ),
            ("version", Vec::new()),
        ],
        &[],
    );
    assert!(e.contains("schema 1"), "{e}");
}

#[test]
fn names_and_counts_are_checked() {
    let e = error(&[("a/../manifest.json", b"[]".to_vec())], &[]);
    assert!(e.contains("not a plain relative path"), "{e}");
    let e = error(&[("/manifest.json", b"[]".to_vec())], &[]);
    assert!(e.contains("not a plain relative path"), "{e}");
    let (mut items, _) = folder(&[("manifest.json", b"[]".to_vec())], &[]);
    items.push(items[0].clone());
    let e = TarView::new(items, &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("listed twice"), "{e}");
    let (items, _) = folder(&[("a", vec![]), ("b", vec![]), ("c", vec![])], &[]);
    let limits = Limits {
        max_members: 2,
        ..Limits::default()
    };
    let e = TarView::new(items, &limits).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Limit { .. }), "{e}");
}

#[test]
fn a_file_that_shrank_is_an_error_naming_it() {
    let files = oci_layout();
    let (items, mut mem) = folder(&borrow(&files), &[]);
    let view = TarView::new(items, &Limits::default()).unwrap();
    // Layer 0 loses its tail after listing.
    let blob = files.iter().position(|(_, b)| *b == layers()[0]).unwrap();
    mem.0[blob].truncate(100);
    let mut source = FolderSource::new(view.clone(), mem);
    let mut all = vec![0u8; view.len() as usize];
    let e = source.read_at(0, &mut all).unwrap_err();
    assert!(
        e.to_string()
            .contains("shorter than when the directory was listed"),
        "{e}"
    );
    assert!(e.to_string().contains(&files[blob].0), "{e}");
}
