//! `layerlens compare` on pairs of images built here with buildah, against an oracle that
//! knows nothing of layers: skopeo + umoci unpack both final filesystems and a walk of the
//! two trees lists every path whose type, content, mode, owner, xattrs, symlink target or
//! device differ (and mtime, for `--strict-mtime`). The `+`/`-`/`~` list of `compare --json`
//! must be that list exactly. The pairs:
//!
//! - the same Containerfile built twice (other timestamps): equal by default, different with
//!   `--strict-mtime`;
//! - a base image bump: the shared base aligned by diff_id and chain ID, the bumped file
//!   listed as changed;
//! - an optimisation that deletes a cache in the same `RUN` that made it: equal, with less
//!   shipped and wasted;
//! - each image against its own `layerlens squash` output: equal (not with
//!   `--strict-layers`);
//! - the docker-archive against the oci-archive of the same image (the shared fixtures):
//!   equal, even with `--strict`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::peers;
use crate::reference;
use crate::rootfs::{Kind, Tree};
use crate::util::{self, layerlens, output, run, temp_dir};

const BASE: &str = "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n";

/// A private buildah store (overlay driver) for images that build on each other.
struct Store {
    dir: tempfile::TempDir,
    ctx: PathBuf,
}

impl Store {
    fn new(work: &Path) -> Store {
        util::require_root();
        let ctx = work.join("ctx");
        std::fs::create_dir_all(&ctx).unwrap();
        std::fs::copy(util::peer("busybox"), ctx.join("busybox")).expect("copying busybox");
        let dir = tempfile::Builder::new()
            .prefix("llc")
            .tempdir()
            .expect("temp dir");
        Store { dir, ctx }
    }

    fn buildah(&self) -> std::process::Command {
        let mut c = util::peer_cmd("buildah");
        c.arg("--root")
            .arg(self.dir.path().join("root"))
            .arg("--runroot")
            .arg(self.dir.path().join("run"))
            .args(["--storage-driver", "overlay"]);
        c
    }

    /// Builds `containerfile` as `tag` and writes it to `out` as a docker-archive.
    fn build(&self, containerfile: &str, tag: &str, out: &Path) {
        self.build_only(containerfile, tag);
        run(self
            .buildah()
            .args(["push", "-q", tag])
            .arg(format!("docker-archive:{}:{tag}", out.display())));
    }

    /// Builds `containerfile` as `tag` in the store.
    fn build_only(&self, containerfile: &str, tag: &str) {
        let file = self
            .ctx
            .join(format!("Containerfile.{}", tag.replace([':', '/'], "_")));
        std::fs::write(&file, containerfile).unwrap();
        run(self
            .buildah()
            .args([
                "bud",
                "--layers",
                "--isolation",
                "chroot",
                "--pull=never",
                "-q",
            ])
            .args(["-t", tag, "-f"])
            .arg(&file)
            .arg(&self.ctx));
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = output(self.buildah().args(["rmi", "--all", "--force"]));
    }
}

/// The final filesystem of the (only) image in `archive`, as skopeo + umoci unpack it.
fn unpacked(archive: &Path, work: &Path, label: &str) -> Tree {
    let img = &reference::images(archive)[0];
    Tree::from_dir(&peers::umoci_rootfs(&img.skopeo_ref, work, label, false))
}

/// The oracle: every path that differs between `a` and `b`, with `+` (only in B), `-` (only
/// in A) or `~`. The root is not compared (umoci makes it from the runtime bundle).
fn oracle(a: &Tree, b: &Tree, mtime: bool) -> BTreeMap<Vec<u8>, char> {
    let mut out = BTreeMap::new();
    for (p, x) in &a.nodes {
        let Some(y) = b.nodes.get(p) else {
            out.insert(p.clone(), '-');
            continue;
        };
        let links = x.kind == Kind::Symlink && y.kind == Kind::Symlink;
        let differ = x.kind != y.kind
            || x.sha256 != y.sha256
            || (x.mode != y.mode && !links)
            || (x.uid, x.gid) != (y.uid, y.gid)
            || x.xattrs != y.xattrs
            || x.target != y.target
            || x.device != y.device
            || (mtime && x.kind != Kind::Dir && x.mtime != y.mtime);
        if differ {
            out.insert(p.clone(), '~');
        }
    }
    for p in b.nodes.keys() {
        if !a.nodes.contains_key(p) {
            out.insert(p.clone(), '+');
        }
    }
    out
}

/// `layerlens compare --json A B [flags]`: the document and the exit code.
fn compare(a: &Path, b: &Path, flags: &[&str]) -> (serde_json::Value, i32) {
    let out = output(
        layerlens()
            .arg("compare")
            .arg(a)
            .arg(b)
            .arg("--json")
            .args(flags),
    );
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "compare failed ({code}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("compare --json");
    assert_eq!(
        doc["equal"].as_bool(),
        Some(code == 0),
        "exit code and `equal`"
    );
    (doc, code)
}

/// The path list of a comparison as the oracle writes it.
fn listed(doc: &serde_json::Value) -> BTreeMap<Vec<u8>, char> {
    doc["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .map(|p| {
            let path = p["path"].as_str().unwrap().trim_start_matches('/');
            let mark = match p["change"].as_str().unwrap() {
                "added" => '+',
                "removed" => '-',
                _ => '~',
            };
            (path.as_bytes().to_vec(), mark)
        })
        .collect()
}

fn assert_lists(got: &BTreeMap<Vec<u8>, char>, want: &BTreeMap<Vec<u8>, char>, what: &str) {
    let show = |m: &BTreeMap<Vec<u8>, char>| -> Vec<String> {
        m.iter()
            .map(|(p, c)| format!("{c} /{}", String::from_utf8_lossy(p)))
            .collect()
    };
    assert_eq!(
        show(got),
        show(want),
        "{what}: layerlens (left) against the unpacked trees (right)"
    );
}

/// Compares `a` and `b` with `flags`, checks the path list against the oracle, returns the
/// document and whether they were equal.
fn checked(a: &Path, b: &Path, ta: &Tree, tb: &Tree, flags: &[&str]) -> (serde_json::Value, bool) {
    let (doc, code) = compare(a, b, flags);
    let mtime = flags
        .iter()
        .any(|f| *f == "--strict-mtime" || *f == "--strict");
    assert_lists(
        &listed(&doc),
        &oracle(ta, tb, mtime),
        &format!("{} vs {} {flags:?}", a.display(), b.display()),
    );
    (doc, code == 0)
}

/// Squashes `input` with layerlens and checks the output compares equal (but not with
/// `--strict-layers`).
fn squash_is_equal(input: &Path, work: &Path, tree: &Tree) {
    let out = work.join(format!(
        "{}-squashed.tar",
        input.file_stem().unwrap().to_string_lossy()
    ));
    run(layerlens().arg("squash").arg(input).arg("-o").arg(&out));
    let squashed = unpacked(&out, work, "squashed");
    let (_, equal) = checked(input, &out, tree, &squashed, &[]);
    assert!(equal, "{} and its squash compare equal", input.display());
    let (_, equal) = compare(input, &out, &["--strict-layers"]);
    assert_eq!(equal, 1, "a squash has other layers");
}

const APP: &str = "RUN mkdir -p /app /etc && echo 'hello' > /app/greeting && echo 'port=80' > /etc/app.conf && ln -s greeting /app/link && chmod 640 /etc/app.conf\n";

#[test]
fn the_same_containerfile_built_twice_is_equal_but_for_mtimes() {
    let work = temp_dir("compare-rebuild");
    let store = Store::new(work.path());
    let (a, b) = (work.path().join("a.tar"), work.path().join("b.tar"));
    let file = format!("{BASE}{APP}");
    store.build(&file, "cmp/rebuild:a", &a);
    // Other timestamps for the second build (mtimes have one-second resolution).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    run(store.buildah().args(["rmi", "--all", "--force"]));
    store.build(&file, "cmp/rebuild:b", &b);
    let (ta, tb) = (
        unpacked(&a, work.path(), "a"),
        unpacked(&b, work.path(), "b"),
    );
    assert!(
        ta.nodes[b"app/greeting".as_slice()].mtime != tb.nodes[b"app/greeting".as_slice()].mtime,
        "the two builds should differ in mtimes"
    );
    let (doc, equal) = checked(&a, &b, &ta, &tb, &[]);
    assert!(equal, "rebuild not equal by default: {}", doc["paths"]);
    let (doc, equal) = checked(&a, &b, &ta, &tb, &["--strict-mtime"]);
    assert!(!equal, "rebuild equal with --strict-mtime");
    let modified = listed(&doc);
    assert_eq!(modified.get(b"app/greeting".as_slice()), Some(&'~'));
    assert!(doc["paths"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["attrs"] == serde_json::json!(["mtime"])));
    squash_is_equal(&a, work.path(), &ta);
}

#[test]
fn a_base_image_bump_aligns_the_shared_base() {
    let work = temp_dir("compare-bump");
    let store = Store::new(work.path());
    store.build_only(
        &format!("{BASE}RUN mkdir -p /etc && echo 'release 1' > /etc/base-release\n"),
        "cmp/base:1",
    );
    store.build_only(
        "FROM cmp/base:1\nRUN echo 'release 2, patched' > /etc/base-release && echo fix > /etc/patch\n",
        "cmp/base:2",
    );
    let (a, b) = (work.path().join("a.tar"), work.path().join("b.tar"));
    store.build(&format!("FROM cmp/base:1\n{APP}"), "cmp/app:1", &a);
    store.build(&format!("FROM cmp/base:2\n{APP}"), "cmp/app:2", &b);
    let (ta, tb) = (
        unpacked(&a, work.path(), "a"),
        unpacked(&b, work.path(), "b"),
    );
    let (doc, equal) = checked(&a, &b, &ta, &tb, &[]);
    assert!(!equal);
    let paths = listed(&doc);
    assert_eq!(paths.get(b"etc/base-release".as_slice()), Some(&'~'));
    assert_eq!(paths.get(b"etc/patch".as_slice()), Some(&'+'));
    // Alignment: base:1's three layers shared (chain IDs as skopeo's config lists them).
    let shared = doc["layers"]["shared"].as_array().unwrap();
    assert_eq!(shared.len(), 3, "{}", doc["layers"]);
    let diff_ids = reference::images(&a)[0].config_json()["rootfs"]["diff_ids"].clone();
    for (i, l) in shared.iter().enumerate() {
        assert_eq!(l["diff_id"], diff_ids[i]);
    }
    assert_eq!(doc["layers"]["a"].as_array().unwrap().len(), 1);
    assert_eq!(doc["layers"]["b"].as_array().unwrap().len(), 2);
    assert!(doc["layers"]["b"][0]["step"]
        .as_str()
        .unwrap()
        .contains("patched"));
    // The directory view: /etc holds the whole delta.
    let etc = doc["dirs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == "/etc")
        .expect("/etc in dirs");
    let bytes = |p: &[u8]| tb.nodes.get(p).map_or(0, |n| n.size) as i64;
    let delta = bytes(b"etc/base-release") + bytes(b"etc/patch")
        - ta.nodes[b"etc/base-release".as_slice()].size as i64;
    assert_eq!(
        etc["bytes_b"].as_i64().unwrap() - etc["bytes_a"].as_i64().unwrap(),
        delta
    );
    squash_is_equal(&b, work.path(), &tb);
}

#[test]
fn deleting_a_cache_in_the_same_run_changes_only_sizes() {
    let work = temp_dir("compare-cache");
    let store = Store::new(work.path());
    let (a, b) = (work.path().join("a.tar"), work.path().join("b.tar"));
    let fill = "mkdir -p /var/cache/pkg && head -c 300000 /dev/urandom > /var/cache/pkg/index && echo installed > /installed";
    store.build(
        &format!("{BASE}RUN {fill}\nRUN rm -rf /var/cache/pkg\n"),
        "cmp/cache:a",
        &a,
    );
    store.build(
        &format!("{BASE}RUN {fill} && rm -rf /var/cache/pkg\n"),
        "cmp/cache:b",
        &b,
    );
    let (ta, tb) = (
        unpacked(&a, work.path(), "a"),
        unpacked(&b, work.path(), "b"),
    );
    let (doc, equal) = checked(&a, &b, &ta, &tb, &[]);
    assert!(equal, "the optimisation changed files: {}", doc["paths"]);
    let (fa, fb) = (&doc["a"]["figures"], &doc["b"]["figures"]);
    assert!(fa["dead_bytes"].as_u64().unwrap() >= 300_000, "{fa}");
    assert_eq!(fb["dead_bytes"].as_u64(), Some(0), "{fb}");
    assert!(
        fa["shipped_bytes"].as_u64().unwrap() - fb["shipped_bytes"].as_u64().unwrap() >= 300_000
    );
    // Each side's waste figures are what `analyze` says of it.
    for (side, path) in [("a", &a), ("b", &b)] {
        let w = &crate::util::run_json(layerlens().arg("analyze").arg(path).arg("--json"))["waste"];
        assert_eq!(
            doc[side]["figures"], w["figures"],
            "{side}: layerlens figures"
        );
        assert_eq!(doc[side]["dive_wasted_bytes"], w["dive"]["wasted_bytes"]);
        assert_eq!(doc[side]["dive_efficiency"], w["dive"]["efficiency"]);
        assert_eq!(
            doc[side]["dive_user_wasted_ratio"],
            w["dive"]["user_wasted_ratio"]
        );
    }
    let (_, equal) = compare(&a, &b, &["--strict-history"]);
    assert_eq!(equal, 1, "the steps differ");
    squash_is_equal(&a, work.path(), &ta);
}

#[test]
fn docker_and_oci_archives_of_one_image_are_equal() {
    let work = temp_dir("compare-formats");
    for name in ["tiny", "whiteouts", "whiteouts_vfs", "secrets"] {
        let d = util::fixture(&format!("built/{name}.docker.tar"));
        for other in ["oci", "oci-uncompressed"] {
            let o = util::fixture(&format!("built/{name}.{other}.tar"));
            let (doc, code) = compare(&d, &o, &["--strict"]);
            assert_eq!(code, 0, "{name} docker vs {other}: {}", doc["paths"]);
            assert!(doc["paths"].as_array().unwrap().is_empty());
            assert!(doc["layers"]["a"].as_array().unwrap().is_empty());
        }
    }
    // One pair through the oracle (the trees are equal, so the list must be empty), and
    // squashes of the fixtures against their originals.
    let d = util::fixture("built/whiteouts.docker.tar");
    let o = util::fixture("built/whiteouts.oci.tar");
    let (td, to) = (
        unpacked(&d, work.path(), "d"),
        unpacked(&o, work.path(), "o"),
    );
    checked(&d, &o, &td, &to, &[]);
    squash_is_equal(&o, work.path(), &to);
}

/// Two different fixtures: the lists agree with the oracle when almost everything differs.
#[test]
fn unrelated_images_list_what_the_trees_show() {
    let work = temp_dir("compare-unrelated");
    let a = util::fixture("built/whiteouts.docker.tar");
    let b = util::fixture("built/whiteouts_vfs.oci.tar");
    let c = util::fixture("built/secrets.docker.tar");
    let (ta, tb, tc) = (
        unpacked(&a, work.path(), "a"),
        unpacked(&b, work.path(), "b"),
        unpacked(&c, work.path(), "c"),
    );
    let (_, equal) = checked(&a, &b, &ta, &tb, &[]);
    assert!(equal, "overlay and vfs builds of one Containerfile");
    let (doc, equal) = checked(&a, &c, &ta, &tc, &[]);
    assert!(!equal);
    assert!(!doc["config"].as_array().unwrap().is_empty());
    // Text lines: one per path, then config lines; exit 1.
    let out = output(layerlens().arg("compare").arg(&a).arg(&c));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let marked = text
        .lines()
        .filter(|l| l.starts_with("+ ") || l.starts_with("- ") || l.starts_with("~ "))
        .count();
    assert_eq!(marked, doc["paths"].as_array().unwrap().len());
    let config = text.lines().filter(|l| l.starts_with("config ")).count();
    assert_eq!(config, doc["config"].as_array().unwrap().len());
}

#[test]
fn two_images_of_one_archive_and_bad_input() {
    let work = temp_dir("compare-pick");
    let bundle = util::fixture("real/ggcr/tarball__test_bundle.tar");
    let imgs = reference::images(&bundle);
    let tree = |i: usize| {
        Tree::from_dir(&peers::umoci_rootfs(
            &imgs[i].skopeo_ref,
            work.path(),
            &format!("img{i}"),
            false,
        ))
    };
    let (t0, t1) = (tree(0), tree(1));
    let (doc, code) = compare(&bundle, &bundle, &["--image-a", "0", "--image-b", "1"]);
    assert_eq!(code, 1);
    assert_lists(
        &listed(&doc),
        &oracle(&t0, &t1, false),
        "bundle image 0 vs 1",
    );
    assert_eq!(doc["image_a"]["image"], 0);
    assert_eq!(doc["image_b"]["image"], 1);
    let (_, code) = compare(&bundle, &bundle, &["--image-a", "1", "--image-b", "1"]);
    assert_eq!(code, 0);
    let out = output(
        layerlens()
            .arg("compare")
            .arg(&bundle)
            .arg("/nonexistent.tar"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("image B"));
    let out = output(layerlens().args(["compare", "-", "-"]));
    assert_eq!(out.status.code(), Some(2));
    // A pipe works for one side (spooled: contents are needed).
    let file = std::fs::File::open(util::fixture("built/tiny.docker.tar")).unwrap();
    let out = layerlens()
        .args(["compare", "-"])
        .arg(util::fixture("built/tiny.oci.tar"))
        .stdin(file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
