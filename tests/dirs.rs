//! Image directories against the archives they come from: each held-in fixture is copied by
//! skopeo into a containers/image `dir:` folder, an OCI image layout (`oci:DIR`) and the
//! tarball of that layout (`oci-archive:X`). `dir:` keeps the blobs and the manifest as they
//! are, so it is compared with the fixture itself; `oci:` converts (skopeo gzips plain layers
//! and may rewrite a Docker config), so it is compared byte for byte with its own oci-archive
//! and on content with the fixture. For every directory:
//! - `analyze --json`: the image ID, history, config and every layer's figures, entries and
//!   changes equal the archive's; only where the bytes are named differs (member names, media
//!   types, blob digests of layers a docker-archive does not name). The OCI directory's whole
//!   document equals its oci-archive's but for the file name and offsets;
//! - `export` writes the same bytes as from the fixture;
//! - `squash` (all layers, and from the middle) writes the same bytes as from the equivalent
//!   archive (the output is a docker-archive whatever the input's layout).
//!
//! Also: an unpacked `docker save` (symlinked `<id>/layer.tar`s), a multi-platform OCI layout
//! and `dir:` folder (`--platform`), several images in one layout (`--image`), and directories
//! that are no image (each its own error).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::reference;
use crate::util::{fixture, layerlens, output, peer_cmd, run, run_json, temp_dir};

macro_rules! dir_tests {
    ($($name:ident => $path:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                directories_equal_the_archive($path);
            }
        )*
    };
}

// Docker < 25, buildah/podman docker-archives, Docker 25, gzip / uncompressed / zstd OCI.
dir_tests! {
    dirs_built_tiny_docker => "built/tiny.docker.tar",
    dirs_built_tiny_oci => "built/tiny.oci.tar",
    dirs_built_tiny_umoci_oci => "built/tiny_umoci.oci.tar",
    dirs_built_whiteouts_docker => "built/whiteouts.docker.tar",
    dirs_built_whiteouts_oci_uncompressed => "built/whiteouts.oci-uncompressed.tar",
    dirs_built_whiteouts_vfs_oci => "built/whiteouts_vfs.oci.tar",
    dirs_dive_docker => "real/dive/test-docker-image.tar",
    dirs_dive_oci_zstd => "real/dive/test-oci-zstd-image.tar",
    dirs_ggcr_hello_world_v25 => "real/ggcr/tarball__hello-world-v25.tar",
    dirs_ggcr_test_link => "real/ggcr/tarball__test_link.tar",
}

fn skopeo_copy(from: &str, to: &str) {
    run(peer_cmd("skopeo")
        .args(["copy", "--quiet", "--insecure-policy"])
        .arg(from)
        .arg(to));
}

fn analyze(image: &Path, extra: &[&str]) -> Value {
    run_json(
        layerlens()
            .arg("analyze")
            .arg(image)
            .arg("--json")
            .args(extra),
    )
}

/// The parts of `analyze --json` that do not depend on how the bytes are stored: the image ID,
/// history, config and every layer's figures, entries and changes.
fn layers_view(doc: &Value) -> Value {
    let img = &doc["image"];
    let layers: Vec<Value> = img["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| {
            let mut l = l.clone();
            let o = l.as_object_mut().expect("layer object");
            for storage in ["member", "media_type", "blob_digest"] {
                o.remove(storage);
            }
            l
        })
        .collect();
    serde_json::json!({
        "id": img["id"], "platform": img["platform"], "history": img["history"],
        "config": img["config"], "size": img["size"], "tar_size": img["tar_size"],
        "filesystem": img["filesystem"], "layers": layers,
    })
}

/// What an image holds whatever the storage: [`layers_view`] without the blob sizes,
/// compression, config and ID (skopeo's `oci:` gzips plain layers and may rewrite the config).
fn content_view(doc: &Value) -> Value {
    let mut v = layers_view(doc);
    let o = v.as_object_mut().expect("view");
    for storage in ["id", "config", "size"] {
        o.remove(storage);
    }
    for l in o["layers"].as_array_mut().expect("layers") {
        let l = l.as_object_mut().expect("layer");
        for storage in ["blob_size", "compression"] {
            l.remove(storage);
        }
    }
    v
}

/// A whole document without what names the input file or counts its bytes: the file name,
/// the archive's size and member offsets.
fn without_offsets(v: &Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(o) => {
                o.remove("offset");
                o.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = v.clone();
    strip(&mut v);
    let o = v.as_object_mut().expect("document");
    o.remove("file");
    o["archive"]
        .as_object_mut()
        .expect("archive")
        .remove("size");
    v
}

/// First differing part of two JSON values, for a readable failure.
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                if let Some(d) = first_difference(&x[k], &y[k], &format!("{at}.{k}")) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{at}[{i}]"))),
        _ if a == b => None,
        _ => {
            let show = |v: &Value| {
                let s = v.to_string();
                s.chars().take(300).collect::<String>()
            };
            Some(format!("{at}: {} vs {}", show(a), show(b)))
        }
    }
}

fn assert_json_eq(what: &str, a: &Value, b: &Value) {
    if let Some(d) = first_difference(a, b, "") {
        panic!("{what}: first difference at {d}");
    }
}

/// `layerlens CMD IMAGE ARGS -o OUT`; returns OUT's bytes.
fn write(cmd: &str, image: &Path, args: &[&str], out: PathBuf) -> Vec<u8> {
    run(layerlens()
        .arg(cmd)
        .arg(image)
        .args(args)
        .arg("-o")
        .arg(&out));
    std::fs::read(&out).unwrap_or_else(|e| panic!("{}: {e}", out.display()))
}

fn assert_same_bytes(what: &str, a: &[u8], b: &[u8]) {
    if a != b {
        let at = a
            .iter()
            .zip(b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        panic!(
            "{what}: {} vs {} bytes, first difference at byte {at}",
            a.len(),
            b.len()
        );
    }
}

fn directories_equal_the_archive(rel: &str) {
    let archive = fixture(rel);
    let work = temp_dir("dirs");
    let w = work.path();
    let src = reference::images(&archive)
        .into_iter()
        .next()
        .expect("an image")
        .skopeo_ref;
    let (oci, dir, oci_tar) = (w.join("oci"), w.join("dir"), w.join("oci.tar"));
    skopeo_copy(&src, &format!("oci:{}", oci.display()));
    skopeo_copy(&src, &format!("dir:{}", dir.display()));
    skopeo_copy(&src, &format!("oci-archive:{}", oci_tar.display()));

    let want = analyze(&archive, &[]);
    let from_oci = analyze(&oci, &[]);
    let from_dir = analyze(&dir, &[]);
    assert_eq!(from_oci["archive"]["format"], "oci-layout", "{rel} as oci:");
    assert_eq!(
        from_dir["archive"]["format"], "containers-dir",
        "{rel} as dir:"
    );
    assert_json_eq(
        &format!("{rel}: dir: vs the archive"),
        &layers_view(&from_dir),
        &layers_view(&want),
    );
    assert_json_eq(
        &format!("{rel}: oci: vs the oci-archive of it"),
        &without_offsets(&from_oci),
        &without_offsets(&analyze(&oci_tar, &[])),
    );
    assert_json_eq(
        &format!("{rel}: oci: vs the archive (content)"),
        &content_view(&from_oci),
        &content_view(&want),
    );

    let export = |image: &Path, name: &str| write("export", image, &[], w.join(name));
    let exported = export(&archive, "archive-export.tar");
    assert_same_bytes(
        &format!("{rel}: export of oci:"),
        &export(&oci, "oci-export.tar"),
        &exported,
    );
    assert_same_bytes(
        &format!("{rel}: export of dir:"),
        &export(&dir, "dir-export.tar"),
        &exported,
    );

    // Tagged alike: an OCI layout's ref name and a dir: folder's lack of one are not layers.
    // All layers, then from the middle (the lower layers are copied as stored).
    let layers = want["image"]["layers"].as_array().map_or(0, Vec::len);
    let mid = (layers / 2).to_string();
    let mut variants = vec![vec!["--tag", "squashed:1"]];
    if layers > 1 {
        variants.push(vec!["--tag", "squashed:1", "--from", mid.as_str()]);
    }
    for (i, args) in variants.iter().enumerate() {
        let squash = |image: &Path, name: &str| {
            write("squash", image, args, w.join(format!("{name}-{i}.tar")))
        };
        let how = args.join(" ");
        assert_same_bytes(
            &format!("{rel}: squash {how} of dir: vs of the archive"),
            &squash(&dir, "dir"),
            &squash(&archive, "archive"),
        );
        assert_same_bytes(
            &format!("{rel}: squash {how} of oci: vs of its oci-archive"),
            &squash(&oci, "oci"),
            &squash(&oci_tar, "oci-tar"),
        );
    }
}

/// Unpacks an archive with the `tar` crate (symlinks kept as symlinks).
fn unpack(archive: &Path, into: &Path) {
    let f = std::fs::File::open(archive).unwrap_or_else(|e| panic!("{}: {e}", archive.display()));
    tar::Archive::new(f)
        .unpack(into)
        .unwrap_or_else(|e| panic!("unpacking {}: {e}", archive.display()));
}

#[test]
fn an_unpacked_docker_save_reads_as_the_archive() {
    // buildah's docker-archive: `<id>/layer.tar` are symlinks to top-level `<diffid>.tar`.
    let archive = fixture("built/whiteouts.docker.tar");
    let work = temp_dir("dirs-unpacked");
    let dir = work.path().join("unpacked");
    unpack(&archive, &dir);
    assert!(
        std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| std::fs::symlink_metadata(e.path().join("layer.tar"))
                .is_ok_and(|m| m.file_type().is_symlink())),
        "the fixture should have symlinked layer.tar members"
    );
    let from_dir = analyze(&dir, &[]);
    let want = analyze(&archive, &[]);
    assert_eq!(from_dir["archive"]["format"], want["archive"]["format"]);
    assert_json_eq(
        "unpacked docker save",
        &without_offsets(&from_dir),
        &without_offsets(&want),
    );
}

#[test]
fn platforms_are_chosen_in_directories_as_in_archives() {
    let work = temp_dir("dirs-platforms");
    let multi = work.path().join("multi.tar");
    crate::export::write_multi_platform(&multi);
    let oci = work.path().join("oci");
    unpack(&multi, &oci);
    let dir = work.path().join("dir");
    skopeo_copy(
        &format!("oci-archive:{}", multi.display()),
        &format!("dir:{}", dir.display()),
    );
    // skopeo copy --all keeps the list and every platform's manifest.
    let all = work.path().join("dir-all");
    run(peer_cmd("skopeo")
        .args(["copy", "--quiet", "--insecure-policy", "--all"])
        .arg(format!("oci-archive:{}", multi.display()))
        .arg(format!("dir:{}", all.display())));
    for platform in ["linux/amd64", "linux/arm64"] {
        let args = ["--platform", platform];
        let want = layers_view(&analyze(&multi, &args));
        assert_json_eq(
            &format!("OCI layout directory, --platform {platform}"),
            &layers_view(&analyze(&oci, &args)),
            &want,
        );
        assert_json_eq(
            &format!("dir: folder of every platform, --platform {platform}"),
            &layers_view(&analyze(&all, &args)),
            &want,
        );
    }
    // Without --all, skopeo keeps the platform of this machine only.
    let one = analyze(&dir, &[]);
    assert_eq!(one["archive"]["images"].as_array().map(Vec::len), Some(1));
    let all_doc = analyze(&all, &["--platform", "linux/arm64"]);
    assert_eq!(
        all_doc["archive"]["images"].as_array().map(Vec::len),
        Some(2)
    );
}

/// `layerlens analyze DIR` must fail (exit 2) with a message holding `expected`.
fn refused(dir: &Path, expected: &str) {
    let out = output(layerlens().arg("analyze").arg(dir));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}: {stderr}", dir.display());
    assert!(
        stderr.contains(expected) && stderr.contains(&dir.display().to_string()),
        "{}: expected `{expected}`, got: {stderr}",
        dir.display()
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn directories_that_are_no_image_are_refused_naming_what_is_missing() {
    let work = temp_dir("dirs-bad");
    let mk = |name: &str, files: &[(&str, &[u8])]| {
        let d = work.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        for (p, data) in files {
            let p = d.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, data).unwrap();
        }
        d
    };
    refused(&mk("empty", &[]), "the directory is empty");
    refused(
        &mk("photos", &[("a.jpg", b"x"), ("sub/b.jpg", b"y")]),
        "no `oci-layout`, `index.json` or `manifest.json` in it",
    );
    refused(
        &mk("has-a-tar", &[("image.tar", b"x")]),
        "it holds `image.tar`: open the archive itself instead",
    );
    refused(
        &mk(
            "layout-only",
            &[("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)],
        ),
        "has `oci-layout` but no `index.json`",
    );
    refused(
        &mk("no-blobs", &[("oci-layout", b"{}"), ("index.json", b"{}")]),
        "has `index.json` but no `blobs/`",
    );
    refused(
        &mk(
            "version-only",
            &[("version", b"Directory Transport Version: 1.1\n")],
        ),
        "has `version` but no `manifest.json`",
    );

    // A real dir: folder missing one layer names the file it looked for.
    let dir = work.path().join("dir");
    skopeo_copy(
        &format!(
            "docker-archive:{}",
            fixture("built/tiny.docker.tar").display()
        ),
        &format!("dir:{}", dir.display()),
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap();
    let hex = layer.strip_prefix("sha256:").unwrap();
    std::fs::remove_file(dir.join(hex)).unwrap();
    refused(&dir, &format!("there is no file `{hex}`"));

    // A symlink out of the directory is refused, even one no manifest names.
    let oci = work.path().join("oci");
    unpack(&fixture("built/tiny.oci.tar"), &oci);
    std::os::unix::fs::symlink("/etc/passwd", oci.join("blobs/escape")).unwrap();
    refused(&oci, "symlink `blobs/escape` points outside the directory");
    std::fs::remove_file(oci.join("blobs/escape")).unwrap();
    std::os::unix::fs::symlink("../../..", oci.join("blobs/up")).unwrap();
    refused(&oci, "symlink `blobs/up` points outside the directory");
}

#[test]
fn several_images_in_one_layout_are_chosen_by_tag_or_position() {
    let work = temp_dir("dirs-images");
    let oci = work.path().join("oci");
    let sources = [
        ("one:1", fixture("built/tiny.docker.tar")),
        ("two:2", fixture("built/whiteouts.docker.tar")),
    ];
    for (tag, archive) in &sources {
        skopeo_copy(
            &format!("docker-archive:{}", archive.display()),
            &format!("oci:{}:{tag}", oci.display()),
        );
    }
    for (position, (tag, archive)) in sources.iter().enumerate() {
        let want = content_view(&analyze(archive, &[]));
        let by_tag = analyze(&oci, &["--image", tag]);
        assert_eq!(by_tag["image"]["tags"], serde_json::json!([tag]));
        assert_json_eq(&format!("--image {tag}"), &content_view(&by_tag), &want);
        let by_position = analyze(&oci, &["--image", &position.to_string()]);
        assert_json_eq(
            &format!("--image {position}"),
            &content_view(&by_position),
            &want,
        );
    }
}

#[test]
fn ci_why_and_verify_read_a_directory_as_they_read_the_archive() {
    let archive = fixture("built/whiteouts.docker.tar");
    let work = temp_dir("dirs-commands");
    let dir = work.path().join("dir");
    skopeo_copy(
        &format!("docker-archive:{}", archive.display()),
        &format!("dir:{}", dir.display()),
    );
    let without_file = |mut v: Value| {
        v.as_object_mut().expect("document").remove("file");
        v
    };
    let ci = |image: &Path| {
        without_file(run_json(
            layerlens().arg("ci").arg(image).args(["--json", "--deep"]),
        ))
    };
    assert_json_eq("ci --json --deep", &ci(&dir), &ci(&archive));
    let path = analyze(&archive, &[])["image"]["layers"][1]["changes"][0]["path"]
        .as_str()
        .expect("a changed path in layer 1")
        .to_string();
    let why = |image: &Path| {
        without_file(run_json(
            layerlens().arg("why").arg(image).arg(&path).arg("--json"),
        ))
    };
    assert_json_eq(&format!("why {path}"), &why(&dir), &why(&archive));
    // --verify hashes every blob as read through the directory.
    let verified = analyze(&dir, &["--verify"]);
    for l in verified["image"]["layers"].as_array().expect("layers") {
        assert_eq!(
            l["verified"]["diff_id"], l["diff_id"],
            "layer {}",
            l["position"]
        );
        assert_eq!(
            l["verified"]["blob_digest"], l["blob_digest"],
            "layer {}",
            l["position"]
        );
    }
}

#[test]
fn an_output_over_a_file_of_the_input_directory_is_refused() {
    let work = temp_dir("dirs-output");
    let dir = work.path().join("dir");
    skopeo_copy(
        &format!(
            "docker-archive:{}",
            fixture("built/tiny.docker.tar").display()
        ),
        &format!("dir:{}", dir.display()),
    );
    let manifest = std::fs::read(dir.join("manifest.json")).unwrap();
    for cmd in ["squash", "export"] {
        let out = output(
            layerlens()
                .arg(cmd)
                .arg(&dir)
                .arg("-o")
                .arg(dir.join("manifest.json")),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {stderr}");
        assert!(
            stderr.contains("a file of the input image directory"),
            "{cmd}: {stderr}"
        );
        assert_eq!(std::fs::read(dir.join("manifest.json")).unwrap(), manifest);
    }
    // A new file in the directory is no input: allowed.
    run(layerlens()
        .arg("export")
        .arg(&dir)
        .arg("-o")
        .arg(dir.join("rootfs.tar")));
}
