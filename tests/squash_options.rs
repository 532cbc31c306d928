//! `squash --drop`, `--format`, `--compress` and `--source-date-epoch`, checked with real
//! tools on every held-in fixture (image 0) and on images built here with buildah:
//!
//! - every `--format docker|oci` × `--compress none|gzip|zstd` output is accepted by
//!   `skopeo copy` (which checks every digest and size) and `podman load`, and umoci unpacks
//!   it to the input's rootfs minus the dropped paths, computed here without layerlens's glob
//!   code (umoci 0.4.7 cannot read zstd layers: skopeo recompresses them to gzip first, as
//!   the OCI spec allows any of the three and umoci is the one that lags);
//! - the dropped paths include a member of a hardlink group when the image has one, so the
//!   other members must keep the content;
//! - `--from` the middle layer with drops keeps the kept layers byte-identical and hides the
//!   dropped paths that live in them;
//! - an uncompressed output is exactly the planned size; a compressed one is labelled an
//!   estimate in the plan;
//! - two images with the same steps built by buildah at different times squash to identical
//!   bytes with the same `--source-date-epoch` (and to different bytes without it).

use std::collections::BTreeSet;
use std::path::Path;
use std::thread;

use crate::export::has_zstd;
use crate::peers;
use crate::reference;
use crate::rootfs::{Compare, Tree};
use crate::squash::panic_message;
use crate::util::{self, fixture, layerlens, run, run_json, temp_dir};

macro_rules! options_tests {
    ($($name:ident => $path:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                options_fixture(&fixture($path), $path);
            }
        )*
    };
}
valid_fixtures!(options_tests);

const FORMATS: [&str; 2] = ["docker", "oci"];
const COMPRESS: [&str; 3] = ["none", "gzip", "zstd"];

/// A glob matching exactly `path` (`*?[\` escaped).
fn exact_glob(path: &[u8]) -> String {
    let mut g = String::from("/");
    for c in String::from_utf8_lossy(path).chars() {
        if matches!(c, '*' | '?' | '[' | '\\') {
            g.push('\\');
        }
        g.push(c);
    }
    g
}

/// What to drop from a tree: one member of the first hardlink group, the largest file, and
/// every path named like the second largest at any depth (`/**/NAME`). Returns the globs and
/// the test's own rule: dropped paths and names.
fn choose_drops(t: &Tree) -> (Vec<String>, BTreeSet<Vec<u8>>, Option<Vec<u8>>) {
    let mut exact = BTreeSet::new();
    if let Some((_, group)) = t.groups.iter().next() {
        exact.insert(group.iter().next().unwrap().clone());
    }
    let mut files: Vec<(&Vec<u8>, u64)> = t
        .nodes
        .iter()
        .filter(|(_, n)| n.sha256.is_some())
        .map(|(p, n)| (p, n.size))
        .collect();
    files.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if let Some((p, _)) = files.first() {
        exact.insert((*p).clone());
    }
    let name = files
        .get(1)
        .map(|(p, _)| p.rsplit(|&b| b == b'/').next().unwrap().to_vec());
    let mut globs: Vec<String> = exact.iter().map(|p| exact_glob(p)).collect();
    if let Some(n) = &name {
        let g = exact_glob(n);
        globs.push(format!("/**{g}"));
    }
    (globs, exact, name)
}

/// `t` without the paths the drops name (and their subtrees), by the test's own rule.
fn without(t: &Tree, exact: &BTreeSet<Vec<u8>>, name: &Option<Vec<u8>>) -> Tree {
    let gone = |p: &[u8]| {
        let comps: Vec<&[u8]> = p.split(|&b| b == b'/').collect();
        (1..=comps.len()).any(|k| exact.contains(&comps[..k].join(&b'/')))
            || name.as_deref().is_some_and(|n| comps.contains(&n))
    };
    let mut out = t.clone();
    out.nodes.retain(|p, _| !gone(p));
    for g in out.groups.values_mut() {
        g.retain(|p| !gone(p));
    }
    out.groups.retain(|p, g| !gone(p) && g.len() > 1);
    out
}

fn options_fixture(path: &Path, rel: &str) {
    let work = temp_dir("sqopt");
    let img = &reference::images(path)[0];
    let original = Tree::from_dir(&peers::umoci_rootfs(
        &img.skopeo_ref,
        work.path(),
        "orig",
        has_zstd(img),
    ));
    let (globs, exact, name) = choose_drops(&original);
    let expected = without(&original, &exact, &name);
    let n = img.layers.len();
    let mut cases: Vec<(String, String, Option<usize>)> = Vec::new();
    for f in FORMATS {
        for c in COMPRESS {
            cases.push((f.into(), c.into(), None));
        }
    }
    if n > 1 {
        cases.push(("oci".into(), "gzip".into(), Some(n / 2)));
    }
    // Two at a time: the machine and CI have two cores.
    let mut failures = Vec::new();
    for pair in cases.chunks(2) {
        let results: Vec<_> = thread::scope(|s| {
            let handles: Vec<_> = pair
                .iter()
                .map(|(f, c, from)| {
                    let (globs, expected, work) = (&globs, &expected, work.path());
                    s.spawn(move || {
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            one_case(path, rel, img, f, c, *from, globs, expected, work)
                        }))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for r in results {
            if let Err(e) = r {
                failures.push(panic_message(&e));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed for {rel}:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[allow(clippy::too_many_arguments)]
fn one_case(
    input: &Path,
    rel: &str,
    img: &reference::RefImage,
    format: &str,
    compress: &str,
    from: Option<usize>,
    globs: &[String],
    expected: &Tree,
    work: &Path,
) {
    let label = format!(
        "{format}-{compress}{}",
        from.map_or(String::new(), |f| format!("-from{f}"))
    );
    let what = format!("layerlens squash {rel} --format {format} --compress {compress} {label}");
    let out = work.join(format!("{label}.tar"));
    let cmd = || {
        let mut c = layerlens();
        c.arg("squash")
            .arg(input)
            .args(["--image", "0", "--format", format, "--compress", compress])
            .args(["-t", &format!("layerlens-test/opts:{label}")]);
        for g in globs {
            c.args(["--drop", g]);
        }
        if let Some(f) = from {
            c.args(["--from", &f.to_string()]);
        }
        c
    };
    let plan = run_json(cmd().args(["--dry-run", "--json", "-o"]).arg(&out));
    run(cmd().arg("-o").arg(&out));
    let size = std::fs::metadata(&out).unwrap().len();
    let exact = compress == "none";
    assert_eq!(plan["archive_size_exact"], exact, "{what}: plan exactness");
    if exact {
        assert_eq!(
            plan["archive_size"], size,
            "{what}: planned vs written size"
        );
    }
    let dropped = &plan["layer"]["dropped"];
    assert_eq!(
        dropped["patterns"].as_array().map(Vec::len),
        Some(globs.len()),
        "{what}: plan lists every pattern: {dropped}"
    );

    let src = match format {
        "docker" => format!("docker-archive:{}", out.display()),
        _ => format!("oci-archive:{}", out.display()),
    };
    // Kept layers are the input's blobs, byte for byte.
    if let (Some(f), "oci") = (from, format) {
        let layout = work.join(format!("{label}-raw"));
        std::fs::create_dir_all(&layout).unwrap();
        run(std::process::Command::new("tar")
            .arg("-xf")
            .arg(&out)
            .arg("-C")
            .arg(&layout));
        for (i, blob) in img.layers.iter().take(f).enumerate() {
            let p = layout.join("blobs/sha256").join(util::sha256_hex(blob));
            assert!(
                std::fs::read(&p).ok().as_deref() == Some(blob.as_slice()),
                "{what}: kept layer {i} is not the input's blob"
            );
        }
    }
    // skopeo (digests checked) + umoci: the input's rootfs minus the drops.
    let rootfs = peers::umoci_rootfs(&src, work, &label, compress == "zstd" || has_zstd(img));
    let cmp = Compare {
        mtime: true,
        xattrs: true,
        ..Compare::default()
    };
    expected.assert_same(
        &format!("{} minus {globs:?} (umoci)", img.skopeo_ref),
        &Tree::from_dir(&rootfs),
        &format!("{what} (umoci)"),
        &cmp,
    );
    // podman loads it with the layer count it should have.
    let store = peers::PodmanStore::new();
    let loaded = String::from_utf8(run(store.cmd().args(["load", "-q", "-i"]).arg(&out))).unwrap();
    assert!(
        loaded.contains(&format!("layerlens-test/opts:{label}")),
        "{what}: podman load printed {loaded:?}"
    );
    let layers = run(store.cmd().args([
        "image",
        "inspect",
        "--format",
        "{{len .RootFS.Layers}}",
        &format!("layerlens-test/opts:{label}"),
    ]));
    assert_eq!(
        String::from_utf8_lossy(&layers).trim(),
        (from.unwrap_or(0) + 1).to_string(),
        "{what}: podman's layer count"
    );
}

/// Builds the same steps with buildah into a docker-archive.
fn build_twice_apart(work: &Path) -> [std::path::PathBuf; 2] {
    util::require_root();
    let ctx = work.join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::copy(util::peer("busybox"), ctx.join("busybox")).unwrap();
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\n\
         RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
         RUN mkdir -p /app/cache && echo hello > /app/greeting && echo junk > /app/cache/x\n\
         RUN echo more >> /app/greeting && ln /app/greeting /app/link\n",
    )
    .unwrap();
    let mut out = Vec::new();
    for i in 0..2 {
        if i == 1 {
            // Whole seconds apart, so every mtime and `created` the build writes differs.
            thread::sleep(std::time::Duration::from_millis(2100));
        }
        let store = tempfile::Builder::new().prefix("llso").tempdir().unwrap();
        let buildah = || {
            let mut c = util::peer_cmd("buildah");
            c.arg("--root")
                .arg(store.path().join("root"))
                .arg("--runroot")
                .arg(store.path().join("run"))
                .args(["--storage-driver", "vfs"]);
            c
        };
        // One name for both: buildah push lists it in RepoTags.
        let name = "layerlens-test/epoch".to_string();
        run(buildah()
            .args([
                "bud",
                "--layers",
                "--no-cache",
                "--isolation",
                "chroot",
                "-q",
                "-t",
            ])
            .arg(&name)
            .arg(&ctx));
        let archive = work.join(format!("epoch{i}.tar"));
        run(buildah().args(["push", "-q", &name]).arg(format!(
            "docker-archive:{}:layerlens-test/epoch:latest",
            archive.display()
        )));
        run(buildah().args(["rmi", "--all", "--force"]));
        out.push(archive);
    }
    [out[0].clone(), out[1].clone()]
}

#[test]
fn same_content_built_apart_squashes_to_the_same_bytes_with_an_epoch() {
    let work = temp_dir("epoch");
    let [a, b] = build_twice_apart(work.path());
    assert!(
        std::fs::read(&a).unwrap() != std::fs::read(&b).unwrap(),
        "the two builds are already identical: the test would prove nothing"
    );
    for format in FORMATS {
        for compress in COMPRESS {
            let squash = |input: &Path, epoch: Option<&str>, tag: &str| {
                let out = work.path().join(format!("{tag}-{format}-{compress}.tar"));
                let mut c = layerlens();
                c.arg("squash")
                    .arg(input)
                    .args(["--format", format, "--compress", compress, "-o"])
                    .arg(&out)
                    .env_remove("SOURCE_DATE_EPOCH");
                match epoch {
                    Some(e) => c.env("SOURCE_DATE_EPOCH", e),
                    None => &mut c,
                };
                run(&mut c);
                std::fs::read(&out).unwrap()
            };
            let what = format!("--format {format} --compress {compress}");
            assert!(
                squash(&a, Some("1000000000"), "a") == squash(&b, Some("1000000000"), "b"),
                "{what}: same content, same SOURCE_DATE_EPOCH, different bytes"
            );
            assert!(
                squash(&a, None, "a-plain") != squash(&b, None, "b-plain"),
                "{what}: without an epoch the two builds should differ (their mtimes do)"
            );
        }
    }
    // The flag and the variable agree; `created` is the epoch, mtimes are clamped.
    let out = work.path().join("flag.tar");
    run(layerlens()
        .arg("squash")
        .arg(&a)
        .args(["--source-date-epoch", "1000000000", "-o"])
        .arg(&out));
    assert!(
        std::fs::read(&out).unwrap()
            == std::fs::read(work.path().join("a-docker-none.tar")).unwrap(),
        "--source-date-epoch and SOURCE_DATE_EPOCH wrote different bytes"
    );
    let sq = &reference::images(&out)[0];
    let config = sq.config_json();
    assert_eq!(config["created"], "2001-09-09T01:46:40Z");
    for h in config["history"].as_array().unwrap() {
        assert_eq!(h["created"], "2001-09-09T01:46:40Z", "history entry {h}");
    }
    let plain = reference::decompress(&sq.layers[0], work.path());
    for e in reference::gnu_tar_list(&plain, work.path()) {
        assert!(
            e.mtime <= 1_000_000_000,
            "{:?} has mtime {}",
            e.name,
            e.mtime
        );
    }
}
