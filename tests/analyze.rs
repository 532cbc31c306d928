//! `layerlens analyze` on every shared fixture, checked against GNU tar.
//!
//! For each image of each archive: the layer blobs are found without layerlens (see
//! `reference.rs`), decompressed by `gzip`/`zstd` and listed by GNU `tar -tv`. layerlens must
//! report the same number of layers, and per layer the same blob size, decompressed tar size,
//! diff_id and entry count, and per entry (in tar order) the same path, type, mode, owner,
//! size, mtime and link target.
//!
//! Deliberate normalisations: layerlens reports paths without `./` or trailing `/`, and the
//! root entry `./` as the empty path; GNU tar prints them as stored. Both count the root entry
//! and whiteout entries (`.wh.*`) as entries, so the counts are compared as they are.

use std::collections::BTreeSet;
use std::path::Path;

use crate::reference::{self, TarListing};
use crate::util::{self, fixture, layerlens, output, run, run_json, temp_dir};

macro_rules! analyze_tests {
    ($($name:ident => $path:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                agrees_with_gnu_tar($path);
                verify_succeeds($path);
                agrees_with_dive($path);
            }
        )*
    };
}
valid_fixtures!(analyze_tests);

fn agrees_with_gnu_tar(rel: &str) {
    analysis_agrees_with_gnu_tar(&fixture(rel), rel);
}

/// The GNU tar comparison for every image of the archive at `path` (`rel` names it).
pub fn analysis_agrees_with_gnu_tar(path: &Path, rel: &str) {
    let work = temp_dir("analyze");
    let images = reference::images(path);
    assert!(
        !images.is_empty(),
        "{rel}: no images found by the reference reader"
    );
    for img in &images {
        let json = run_json(layerlens().arg("analyze").arg(path).args([
            "--image",
            &img.index.to_string(),
            "--json",
        ]));
        let what = format!("{rel} image {}", img.index);
        assert_eq!(json["schema"], "layerlens.analyze/v1", "{what}");
        assert_eq!(json["image"]["index"], img.index, "{what}: image index");
        assert_eq!(
            json["image"]["tags"],
            serde_json::json!(img.tags),
            "{what}: tags (RepoTags / ref.name)"
        );
        assert_eq!(
            json["archive"]["images"].as_array().map(Vec::len),
            Some(images.len()),
            "{what}: number of images in the archive"
        );
        let layers = json["image"]["layers"].as_array().expect("layers array");
        assert_eq!(layers.len(), img.layers.len(), "{what}: layer count");
        let mut problems = Vec::new();
        for (i, (layer, blob)) in layers.iter().zip(&img.layers).enumerate() {
            let plain = reference::decompress(blob, work.path());
            let at = format!("layer {i}");
            let mut expect = |field: &str, got: &serde_json::Value, want: serde_json::Value| {
                if *got != want {
                    problems.push(format!("{at}: {field}: layerlens {got}, reference {want}"));
                }
            };
            expect("position", &layer["position"], i.into());
            expect("blob_size", &layer["blob_size"], blob.len().into());
            expect("tar_size", &layer["tar_size"], plain.len().into());
            expect(
                "diff_id",
                &layer["diff_id"],
                format!("sha256:{}", util::sha256_hex(&plain)).into(),
            );
            let compression = if blob.starts_with(&[0x1f, 0x8b]) {
                "gzip"
            } else if blob.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
                "zstd"
            } else {
                "none"
            };
            expect("compression", &layer["compression"], compression.into());
            let listing = reference::gnu_tar_list(&plain, work.path());
            expect("entry_count", &layer["entry_count"], listing.len().into());
            let entries = layer["entries"].as_array().expect("entries array");
            if entries.len() != listing.len() {
                problems.push(format!(
                    "{at}: {} entries in the JSON, {} listed by GNU tar",
                    entries.len(),
                    listing.len()
                ));
            }
            for (j, (e, t)) in entries.iter().zip(&listing).enumerate() {
                for d in entry_differences(e, t) {
                    problems.push(format!(
                        "{at} entry {j} ({}): {d}",
                        String::from_utf8_lossy(&t.name)
                    ));
                }
            }
        }
        let shown: Vec<_> = problems.iter().take(40).collect();
        assert!(
            problems.is_empty(),
            "{what}: layerlens analyze disagrees with GNU tar ({} problems):\n  {}",
            problems.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        );
    }
}

fn entry_differences(e: &serde_json::Value, t: &TarListing) -> Vec<String> {
    let mut d = Vec::new();
    let kind = match t.kind {
        '-' => "file",
        'd' => "dir",
        'l' => "symlink",
        'h' => "hardlink",
        'p' => "fifo",
        'c' => "char_device",
        'b' => "block_device",
        other => panic!("GNU tar listed an entry of type {other:?}"),
    };
    let path = String::from_utf8_lossy(&reference::normalise(&t.name)).into_owned();
    let mut check = |field: &str, got: &serde_json::Value, want: serde_json::Value| {
        if *got != want {
            d.push(format!("{field}: layerlens {got}, GNU tar {want}"));
        }
    };
    check("path", &e["path"], path.into());
    check("kind", &e["kind"], kind.into());
    check("mode", &e["mode"], t.mode.into());
    check("uid", &e["uid"], t.uid.into());
    check("gid", &e["gid"], t.gid.into());
    // layerlens reports content size, which only regular files have; GNU tar prints the
    // header's size field, which is also 0 for everything else in these fixtures.
    check(
        "size",
        &e["size"],
        if kind == "file" {
            t.size.into()
        } else {
            0.into()
        },
    );
    check("mtime", &e["mtime"], t.mtime.into());
    let link = t
        .link
        .as_ref()
        .map(|l| String::from_utf8_lossy(l).into_owned());
    check("link", &e["link"], link.into());
    if let Some((maj, min)) = t.device {
        check("device", &e["device"], serde_json::json!([maj, min]));
    }
    d
}

/// `--verify` recomputes every diff_id (and blob digest where one is recorded) and must
/// succeed on every real archive; the JSON then carries the verified digests.
fn verify_succeeds(rel: &str) {
    let path = fixture(rel);
    for img in reference::images(&path) {
        let idx = img.index.to_string();
        let json = run_json(
            layerlens()
                .arg("analyze")
                .arg(&path)
                .args(["--image", &idx, "--verify", "--json"]),
        );
        for (i, layer) in json["image"]["layers"]
            .as_array()
            .expect("layers")
            .iter()
            .enumerate()
        {
            assert_eq!(
                layer["verified"]["diff_id"], layer["diff_id"],
                "{rel} image {idx} layer {i}: --verify did not confirm the diff_id"
            );
        }
        // The human-readable form runs the same checks.
        let text = run(layerlens()
            .arg("analyze")
            .arg(&path)
            .args(["--image", &idx, "--verify"]));
        assert!(!text.is_empty(), "{rel}: analyze --verify printed nothing");
    }
}

/// dive 0.13.1 (the peer analyzer), run live: the same layers (count and diff_id, in order)
/// and per layer the same content size (dive's `sizeBytes`, the sum of its regular files).
///
/// Only for archives with a manifest.json, the `docker-archive` source dive is used with:
/// on an oci-archive dive lists the layers out of order (whiteouts.oci.tar comes out as
/// 4194390, 1982256, 16, 32, 0 bytes), which is dive's problem, not a reference. dive reads
/// the first image of a multi-image archive.
fn agrees_with_dive(rel: &str) {
    let path = fixture(rel);
    let work = temp_dir("dive");
    let img = &reference::images(&path)[0];
    if !img.skopeo_ref.starts_with("docker-archive:") {
        return;
    }
    // A fresh file: dive 0.13.1 does not truncate an existing --json file.
    let dive_json = work.path().join("dive.json");
    run(util::peer_cmd("dive")
        .args(["--source", "docker-archive"])
        .arg(&path)
        .arg("--json")
        .arg(&dive_json));
    let dive: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&dive_json).unwrap()).expect("dive JSON");
    let ours = run_json(layerlens().arg("analyze").arg(&path).arg("--json"));
    let got: Vec<_> = ours["image"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["diff_id"].clone(), l["content_size"].clone()))
        .collect();
    let want: Vec<_> = dive["layer"]
        .as_array()
        .expect("dive's layer list")
        .iter()
        .map(|l| (l["digestId"].clone(), l["sizeBytes"].clone()))
        .collect();
    assert_eq!(
        got, want,
        "{rel}: (diff_id, content_size) per layer, layerlens vs dive"
    );
}

/// The two hand-made broken archives must be refused with exit code 2, a message on stderr
/// that names the file and says what is wrong, and nothing on stdout.
#[test]
fn rejects_archive_without_manifest() {
    rejected("real/ggcr/tarball__no_manifest.tar", &["manifest.json"]);
}

#[test]
fn rejects_archive_with_null_manifest() {
    rejected(
        "real/ggcr/tarball__null_manifest.tar",
        &["manifest.json", "null"],
    );
}

fn rejected(rel: &str, words: &[&str]) {
    let path = fixture(rel);
    for args in [
        &["analyze"][..],
        &["analyze", "--json"],
        &["analyze", "--verify"],
    ] {
        let out = output(layerlens().args(args).arg(&path));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{rel} {args:?}: exit status (stderr: {stderr})"
        );
        assert!(
            out.stdout.is_empty(),
            "{rel} {args:?}: printed on stdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let file_name = path.file_name().unwrap().to_string_lossy();
        assert!(
            stderr.contains(&*file_name),
            "{rel}: the message does not name the file: {stderr}"
        );
        for w in words {
            assert!(
                stderr.contains(w),
                "{rel}: the message does not mention {w:?}: {stderr}"
            );
        }
        assert!(
            !stderr.contains("panicked"),
            "{rel}: layerlens panicked: {stderr}"
        );
    }
    // export and squash refuse it the same way.
    let work = temp_dir("rejected");
    for cmd in ["export", "squash"] {
        let out_file = work.path().join(format!("{cmd}.tar"));
        let out = output(layerlens().arg(cmd).arg(&path).arg("-o").arg(&out_file));
        assert_eq!(out.status.code(), Some(2), "{rel}: {cmd} exit status");
        assert!(
            !out_file.exists(),
            "{rel}: {cmd} left an output file behind"
        );
    }
}

/// The macro's fixture list names every archive in the shared fixtures dir, so none is
/// skipped without anyone noticing.
#[test]
fn fixture_list_is_complete() {
    let root = util::fixtures_dir();
    let mut found = BTreeSet::new();
    collect_tars(&root.join("real"), &root, &mut found);
    collect_tars(&root.join("built"), &root, &mut found);
    let listed: BTreeSet<String> = crate::macros::VALID_FIXTURES
        .iter()
        .chain(crate::macros::INVALID_FIXTURES)
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        found, listed,
        "fixtures on disk vs fixtures in tests/macros.rs"
    );
}

fn collect_tars(dir: &Path, root: &Path, out: &mut BTreeSet<String>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            collect_tars(&p, root, out);
        } else if p.extension().is_some_and(|x| x == "tar") {
            out.insert(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
        }
    }
}
