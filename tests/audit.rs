//! `layerlens audit` against real tools on real images:
//!
//! - packages per layer: a debootstrap Debian minbase image whose layers install, upgrade and
//!   purge packages with dpkg (built with buildah, cached under target/audit-images) against
//!   `dpkg-query --admindir` on each layer's own `var/lib/dpkg/status` (GNU tar extracts it)
//!   and on umoci's unpacked rootfs;
//! - duplicates: against a content-hash walk of that rootfs (hardlinks counted once);
//! - setuid, setgid, world-writable: against `find -perm` on it;
//! - apk: an image built with buildah from a hand-written installed database modelled on
//!   Alpine 3.19's (tests/audit_data: `musl`, `busybox`, `alpine-baselayout`, then
//!   `ca-certificates-bundle`, `libcurl`, `curl` and a `busybox` upgrade in a second layer),
//!   against a second reader written in Python (tests/audit_data/apk_reader.py).

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::{self, layerlens, repo_root, run, run_json, temp_dir};

/// A Debian image whose layers install, upgrade and purge packages with the real dpkg: a
/// debootstrap minbase root filesystem (cached in target/bench-images/cache, shared with
/// bench/make-images), then two small packages built here with `dpkg-deb` installed, one
/// upgraded with the other added, and that one purged. Built with buildah once and cached as
/// target/audit-images/dpkg.docker.tar (the debootstrap download is the only network use).
fn dpkg_image() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(build_dpkg_image).clone()
}

fn build_dpkg_image() -> PathBuf {
    let out = repo_root().join("target/audit-images/dpkg.docker.tar");
    if out.is_file() {
        return out;
    }
    util::require_root();
    let work = temp_dir("audit-dpkg-build");
    let ctx = work.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::copy(debootstrap_rootfs(work.path()), ctx.join("rootfs.tar")).unwrap();
    for (name, version, kib) in [("a", "1.0-1", 40), ("a", "2.0-1", 60), ("b", "1.0-1", 20)] {
        let pkg = format!("layerlens-audit-{name}");
        let root = work.path().join(format!("{pkg}-{version}"));
        let share = root.join(format!("usr/share/{pkg}"));
        std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
        std::fs::create_dir_all(&share).unwrap();
        std::fs::write(share.join("data.txt"), vec![b'x'; kib * 1024 - 100]).unwrap();
        std::fs::write(
            root.join("DEBIAN/control"),
            format!(
                "Package: {pkg}\nVersion: {version}\nArchitecture: all\nMaintainer: layerlens tests <tests@localhost>\nInstalled-Size: {kib}\nDescription: a package of the audit tests\n"
            ),
        )
        .unwrap();
        run(util::peer_cmd("dpkg-deb")
            .args(["--root-owner-group", "--build"])
            .arg(&root)
            .arg(ctx.join(format!("{pkg}_{version}_all.deb"))));
    }
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM scratch\nADD rootfs.tar /\nCOPY *.deb /tmp/debs/\n\
         RUN dpkg -i /tmp/debs/layerlens-audit-a_1.0-1_all.deb\n\
         RUN dpkg -i /tmp/debs/layerlens-audit-a_2.0-1_all.deb /tmp/debs/layerlens-audit-b_1.0-1_all.deb\n\
         RUN dpkg --purge layerlens-audit-b && rm -rf /tmp/debs\n",
    )
    .unwrap();
    let archive = buildah_archive(&ctx, work.path(), "layerlens-test/dpkg");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let partial = out.with_extension("partial");
    std::fs::copy(&archive, &partial).unwrap();
    std::fs::rename(&partial, &out).unwrap();
    out
}

/// The debootstrap minbase rootfs tar of bench/make-images' cache, made the same way when
/// missing.
fn debootstrap_rootfs(work: &Path) -> PathBuf {
    let cache = repo_root().join("target/bench-images/cache");
    let tar = cache.join("rootfs-bookworm.tar");
    if tar.is_file() {
        return tar;
    }
    std::fs::create_dir_all(&cache).unwrap();
    let mirror = std::env::var("MIRROR")
        .ok()
        .or_else(apt_mirror)
        .unwrap_or_else(|| "http://deb.debian.org/debian".into());
    let rootfs = work.join("rootfs");
    run(util::peer_cmd("debootstrap")
        .args(["--variant=minbase", "bookworm"])
        .arg(&rootfs)
        .arg(&mirror));
    for deb in std::fs::read_dir(rootfs.join("var/cache/apt/archives")).unwrap() {
        let p = deb.unwrap().path();
        if p.extension().is_some_and(|e| e == "deb") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let partial = cache.join(".rootfs-bookworm.tar.partial");
    run(util::peer_cmd("tar")
        .args(["--numeric-owner", "--xattrs", "-C"])
        .arg(&rootfs)
        .arg("-cf")
        .arg(&partial)
        .arg("."));
    std::fs::rename(&partial, &tar).unwrap();
    tar
}

/// The Debian mirror apt uses here (deb822 sources first, then the classic list), as
/// bench/make-images picks it.
fn apt_mirror() -> Option<String> {
    let dir = std::fs::read_dir("/etc/apt/sources.list.d").ok()?;
    let mut texts: Vec<String> = dir
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "sources"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    texts.sort();
    let deb822 = texts.iter().flat_map(|t| t.lines()).find_map(|l| {
        l.strip_prefix("URIs:")
            .and_then(|u| u.split_whitespace().next().map(String::from))
    });
    deb822.or_else(|| {
        std::fs::read_to_string("/etc/apt/sources.list")
            .ok()?
            .lines()
            .find_map(|l| {
                l.strip_prefix("deb ")
                    .and_then(|r| r.split_whitespace().next().map(String::from))
            })
    })
}

/// `buildah bud` of `ctx` in a private store, pushed to a docker-archive in `work`.
fn buildah_archive(ctx: &Path, work: &Path, name: &str) -> PathBuf {
    let store = tempfile::Builder::new().prefix("lla").tempdir().unwrap();
    let buildah = || {
        let mut c = util::peer_cmd("buildah");
        c.arg("--root")
            .arg(store.path().join("root"))
            .arg("--runroot")
            .arg(store.path().join("run"))
            .args(["--storage-driver", "vfs"]);
        c
    };
    run(buildah()
        .args([
            "bud",
            "--layers",
            "--no-cache",
            "--isolation",
            "chroot",
            "-q",
            "-t",
            name,
        ])
        .arg(ctx));
    let archive = work.join(format!("{}.docker.tar", name.replace('/', "-")));
    run(buildah().args(["push", "-q", name]).arg(format!(
        "docker-archive:{}:{name}:latest",
        archive.display()
    )));
    run(buildah().args(["rmi", "--all", "--force"]));
    archive
}

fn audit_json(image: &Path) -> Value {
    let doc = run_json(layerlens().arg("audit").arg(image).arg("--json"));
    assert_eq!(doc["schema"], "layerlens.audit/v1");
    doc
}

type Pkg = (String, String, String, u64);

fn pkg(v: &Value) -> Pkg {
    (
        v["name"].as_str().unwrap().to_string(),
        v["version"].as_str().unwrap().to_string(),
        v["arch"].as_str().unwrap().to_string(),
        v["installed_size"].as_u64().unwrap(),
    )
}

fn pkgs(v: &Value) -> BTreeSet<Pkg> {
    v.as_array().unwrap().iter().map(pkg).collect()
}

/// `dpkg-query -W` on an admin directory: the installed packages.
fn dpkg_query(admindir: &Path) -> BTreeSet<Pkg> {
    let out = run(util::peer_cmd("dpkg-query")
        .arg(format!("--admindir={}", admindir.display()))
        .args([
            "-W",
            "-f",
            "${db:Status-Status}\\t${Package}\\t${Version}\\t${Architecture}\\t${Installed-Size}\\n",
        ]));
    String::from_utf8(out)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0] == "installed").then(|| {
                (
                    f[1].to_string(),
                    f[2].to_string(),
                    f[3].to_string(),
                    f[4].parse::<u64>().unwrap_or(0) * 1024,
                )
            })
        })
        .collect()
}

#[test]
fn dpkg_packages_per_layer_agree_with_dpkg_query() {
    let image = dpkg_image();
    let work = temp_dir("audit-dpkg");
    let doc = audit_json(&image);
    let refimg = crate::reference::images(&image).remove(0);
    let mut before: BTreeSet<Pkg> = BTreeSet::new();
    let mut checked = 0;
    let layers: Vec<&Value> = doc["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["manager"] == "dpkg")
        .collect();
    for (i, blob) in refimg.layers.iter().enumerate() {
        let tar = work.path().join(format!("layer{i}.tar"));
        std::fs::write(&tar, crate::reference::decompress(blob, work.path())).unwrap();
        let dir = work.path().join(format!("admin{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        // GNU tar pulls the layer's own status file out, if the layer wrote one.
        let got = util::output(
            util::peer_cmd("tar")
                .arg("-xf")
                .arg(&tar)
                .arg("-C")
                .arg(&dir)
                .args([
                    "--wildcards",
                    "--no-anchored",
                    "--transform=s,.*/,,",
                    "var/lib/dpkg/status",
                ]),
        );
        let status = dir.join("status");
        let mine = layers.iter().find(|l| l["layer"] == i as u64);
        if !got.status.success() || !status.is_file() {
            assert!(
                mine.is_none(),
                "layer {i}: the audit reads a database GNU tar did not find"
            );
            continue;
        }
        std::fs::create_dir_all(dir.join("updates")).unwrap();
        let after = dpkg_query(&dir);
        let old: BTreeMap<(&str, &str), &Pkg> = before
            .iter()
            .map(|p| ((p.0.as_str(), p.2.as_str()), p))
            .collect();
        let new: BTreeSet<(&str, &str)> =
            after.iter().map(|p| (p.0.as_str(), p.2.as_str())).collect();
        let installed: BTreeSet<Pkg> = after
            .iter()
            .filter(|p| {
                old.get(&(p.0.as_str(), p.2.as_str()))
                    .is_none_or(|o| o.1 != p.1)
            })
            .cloned()
            .collect();
        let removed: BTreeSet<Pkg> = before
            .iter()
            .filter(|p| !new.contains(&(p.0.as_str(), p.2.as_str())))
            .cloned()
            .collect();
        let mine =
            mine.unwrap_or_else(|| panic!("layer {i} wrote the dpkg status; the audit missed it"));
        assert_eq!(pkgs(&mine["installed"]), installed, "layer {i}: installed");
        assert_eq!(pkgs(&mine["removed"]), removed, "layer {i}: removed");
        let bytes: u64 = installed.iter().map(|p| p.3).sum();
        assert_eq!(mine["installed_bytes"], bytes, "layer {i}: installed bytes");
        before = after;
        checked += 1;
    }
    assert!(
        checked >= 3,
        "the realistic image writes the status in 3 layers"
    );
    assert!(!layers[0]["installed"].as_array().unwrap().is_empty());

    // The final list against dpkg-query on umoci's rootfs.
    let rootfs = crate::peers::umoci_rootfs(
        &format!("docker-archive:{}", image.display()),
        work.path(),
        "dpkg",
        false,
    );
    let finals: BTreeSet<Pkg> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["manager"] == "dpkg")
        .map(pkg)
        .collect();
    assert_eq!(finals, dpkg_query(&rootfs.join("var/lib/dpkg")));
    check_duplicates(&doc, &rootfs);
    check_special(&doc, &rootfs);
}

/// Regular files of `root` with the same bytes (non-empty; one inode counted once), as
/// (sorted paths, size, copies).
fn hash_walk(root: &Path) -> BTreeSet<(Vec<String>, u64, u64)> {
    let mut by_inode: BTreeMap<(u64, u64), (Vec<String>, u64)> = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let md = std::fs::symlink_metadata(e.path()).unwrap();
            if md.is_dir() {
                stack.push(e.path());
            } else if md.is_file() && md.len() > 0 {
                let rel = format!("/{}", e.path().strip_prefix(root).unwrap().display());
                by_inode
                    .entry((md.dev(), md.ino()))
                    .or_insert_with(|| (Vec::new(), md.len()))
                    .0
                    .push(rel);
            }
        }
    }
    let mut by_hash: BTreeMap<String, (Vec<String>, u64, u64)> = BTreeMap::new();
    for (paths, size) in by_inode.into_values() {
        let h = util::sha256_file(&root.join(&paths[0][1..]));
        let g = by_hash.entry(h).or_insert_with(|| (Vec::new(), size, 0));
        g.0.extend(paths);
        g.2 += 1;
    }
    by_hash
        .into_values()
        .filter(|g| g.2 > 1)
        .map(|(mut p, s, n)| {
            p.sort();
            (p, s, n)
        })
        .collect()
}

fn check_duplicates(doc: &Value, rootfs: &Path) {
    let mine: BTreeSet<(Vec<String>, u64, u64)> = doc["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let mut p: Vec<String> = d["paths"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["path"].as_str().unwrap().to_string())
                .collect();
            p.sort();
            assert_eq!(
                d["saving"].as_u64().unwrap(),
                d["size"].as_u64().unwrap() * (d["copies"].as_u64().unwrap() - 1)
            );
            (
                p,
                d["size"].as_u64().unwrap(),
                d["copies"].as_u64().unwrap(),
            )
        })
        .collect();
    let walk = hash_walk(rootfs);
    assert!(!walk.is_empty());
    assert_eq!(
        mine, walk,
        "duplicate groups against a hash walk of umoci's rootfs"
    );
}

fn check_special(doc: &Value, rootfs: &Path) {
    let out = run(util::peer_cmd("find").arg(rootfs).args([
        "-mindepth",
        "1",
        "(",
        "-perm",
        "-4000",
        "-o",
        "-perm",
        "-2000",
        "-o",
        "(",
        "-perm",
        "-0002",
        "!",
        "-type",
        "l",
        ")",
        ")",
        "-printf",
        "/%P %m\\n",
    ]));
    let found: BTreeSet<(String, String)> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            let (p, m) = l.rsplit_once(' ').unwrap();
            (p.to_string(), format!("{:0>4}", m))
        })
        .collect();
    let mine: BTreeSet<(String, String)> = doc["special"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().into(),
                s["mode"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(found.iter().any(|(p, _)| p == "/usr/bin/passwd"));
    assert_eq!(
        mine, found,
        "setuid/setgid/world-writable against find -perm"
    );
}

/// An image with two versions of an apk installed database, built with buildah.
fn apk_image(work: &Path) -> PathBuf {
    util::require_root();
    let ctx = work.join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    let data = repo_root().join("tests/audit_data");
    for f in ["apk-installed-base", "apk-installed-curl"] {
        std::fs::copy(data.join(f), ctx.join(f)).unwrap();
    }
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM scratch\nCOPY apk-installed-base /lib/apk/db/installed\n\
         COPY apk-installed-curl /lib/apk/db/installed\n",
    )
    .unwrap();
    buildah_archive(&ctx, work, "layerlens-test/apk")
}

#[test]
fn apk_packages_per_layer_agree_with_a_second_reader() {
    let work = temp_dir("audit-apk");
    let image = apk_image(work.path());
    let doc = audit_json(&image);
    let reader = run_json(
        util::peer_cmd("python3")
            .arg(repo_root().join("tests/audit_data/apk_reader.py"))
            .arg(&image),
    );
    let theirs: Vec<(u64, BTreeSet<Pkg>, BTreeSet<Pkg>)> = reader["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let list = |k: &str| -> BTreeSet<Pkg> {
                l[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        (
                            p[0].as_str().unwrap().into(),
                            p[1].as_str().unwrap().into(),
                            p[2].as_str().unwrap().into(),
                            p[3].as_u64().unwrap(),
                        )
                    })
                    .collect()
            };
            (
                l["layer"].as_u64().unwrap(),
                list("installed"),
                list("removed"),
            )
        })
        .collect();
    let mine: Vec<(u64, BTreeSet<Pkg>, BTreeSet<Pkg>)> = doc["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l["manager"], "apk");
            (
                l["layer"].as_u64().unwrap(),
                pkgs(&l["installed"]),
                pkgs(&l["removed"]),
            )
        })
        .collect();
    assert_eq!(mine.len(), 2);
    assert_eq!(
        mine[1].1.len(),
        4,
        "three new packages and busybox upgraded"
    );
    assert_eq!(mine, theirs);
    let finals: BTreeSet<Pkg> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(pkg)
        .collect();
    let theirs_final: BTreeSet<Pkg> = reader["final"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().into(),
                p[1].as_str().unwrap().into(),
                p[2].as_str().unwrap().into(),
                p[3].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(finals, theirs_final);
    let musl = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "musl")
        .unwrap();
    assert_eq!(
        musl["layer"], 0,
        "unchanged packages keep the layer that installed them"
    );
}
