//! Waste advice on images built here with buildah, each containing one problem, and one
//! clean image: every finding appears on the image built to have it and on no other clean
//! image (no false alarm). Also on these images: `layerlens ci` exit codes and reports,
//! `layerlens why`, the deep scan, and dive parity against dive itself.
//!
//! Images start `FROM scratch` with busybox-static (layers 0 and 1), like `buildah`'s, and
//! are built with the vfs driver into a docker-archive, once per test process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

use crate::util::{self, layerlens, output, run, run_json};

/// An image with one problem (or none).
pub struct Case {
    name: &'static str,
    /// Containerfile steps after the busybox base.
    steps: &'static str,
    /// Files for the build context (besides busybox).
    context: fn(&Path),
    /// The base: `COPY` line(s) for layer 0 (default: busybox alone).
    base: &'static str,
    /// Finding kinds this image must have (and no other).
    kinds: &'static [&'static str],
}

const BASE_COPY: &str = "COPY busybox /bin/busybox\n";
const INSTALL: &str = "RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n";

fn none(_: &Path) {}

fn write(dir: &Path, rel: &str, content: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, content).expect("write");
}

static CLEAN: Case = Case {
    name: "clean",
    steps: "COPY app.sh /app/app.sh\nRUN mkdir -p /data && echo ok > /data/state\n",
    context: |d| write(d, "app.sh", b"#!/bin/sh\necho hello\n"),
    base: BASE_COPY,
    kinds: &[],
};

static ADDED_THEN_REMOVED: Case = Case {
    name: "added_then_removed",
    steps: "RUN head -c 300000 /dev/urandom > /big.bin\nRUN rm /big.bin\n",
    context: none,
    base: BASE_COPY,
    kinds: &["added_then_removed"],
};

static CACHES: Case = Case {
    name: "caches",
    steps: r#"RUN mkdir -p /var/lib/apt/lists/partial /root/.cache/pip/http/a /root/.npm/_cacache/index-v5 && head -c 40000 /dev/urandom > /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages && touch /var/lib/apt/lists/lock && head -c 30000 /dev/urandom > /root/.cache/pip/http/a/b && head -c 20000 /dev/urandom > /root/.npm/_cacache/index-v5/x
"#,
    context: none,
    base: BASE_COPY,
    kinds: &["package_cache"],
};

static BUILD_TOOLS: Case = Case {
    name: "build_tools",
    steps: "RUN mkdir -p /usr/bin /usr/include/sys && head -c 20000 /dev/urandom > /usr/bin/gcc && chmod 755 /usr/bin/gcc && echo 'int deflate(void);' > /usr/include/zlib.h && echo '#define X 1' > /usr/include/sys/types.h\n",
    context: none,
    base: BASE_COPY,
    kinds: &["build_tools"],
};

static LARGE_BASE: Case = Case {
    name: "large_base",
    steps: "",
    // One COPY, so that busybox and the big file make one base layer.
    context: |d| {
        std::fs::create_dir_all(d.join("root/bin")).expect("mkdir");
        std::fs::copy(util::peer("busybox"), d.join("root/bin/busybox")).expect("busybox");
        std::fs::create_dir_all(d.join("root/opt/base")).expect("mkdir");
        let f = std::fs::File::create(d.join("root/opt/base/rootfs.img")).expect("create");
        f.set_len(110_000_000).expect("sparse file");
    },
    base: "COPY root/ /\n",
    kinds: &["large_base"],
};

static JUNK: Case = Case {
    name: "junk",
    steps: "COPY app /app\n",
    context: |d| {
        write(d, "app/main.sh", b"#!/bin/sh\necho app\n");
        write(d, "app/.git/HEAD", b"ref: refs/heads/main\n");
        write(d, "app/.git/objects/ab/cdef", &[7u8; 3000]);
        write(d, "app/node_modules/left-pad/index.js", &[b'x'; 2000]);
        write(d, "app/tests/test_main.sh", b"#!/bin/sh\ntest 1 = 1\n");
    },
    base: BASE_COPY,
    kinds: &["build_context_junk"],
};

static DATA: Case = Case {
    name: "data",
    steps: "COPY train.csv /srv/data/train.csv\n",
    context: |d| {
        let mut rows = Vec::with_capacity(11_000_000);
        while rows.len() < 11_000_000 {
            rows.extend_from_slice(b"1,2.5,hello,world\n");
        }
        write(d, "train.csv", &rows);
    },
    base: BASE_COPY,
    kinds: &["large_data_file"],
};

static SECRET: Case = Case {
    name: "secret",
    steps: "COPY id_rsa /root/.ssh/id_rsa\nRUN rm /root/.ssh/id_rsa\n",
    context: |d| {
        write(
            d,
            "id_rsa",
            b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n",
        )
    },
    base: BASE_COPY,
    kinds: &["secret_deleted_later"],
};

static CHMOD: Case = Case {
    name: "chmod",
    steps: "RUN head -c 50000 /dev/urandom > /app.bin\nRUN chmod 600 /app.bin\n",
    context: none,
    base: BASE_COPY,
    kinds: &["metadata_only"],
};

/// The same bytes written again: an overwrite from the headers alone, an identical rewrite
/// with the deep scan.
static REWRITE: Case = Case {
    name: "rewrite",
    steps: "RUN head -c 40000 /dev/urandom > /same.bin\nRUN cp /same.bin /same.tmp && sleep 1 && cp /same.tmp /same.bin && rm /same.tmp\n",
    context: none,
    base: BASE_COPY,
    kinds: &["overwritten_later"],
};

pub static ALL: &[&Case] = &[
    &CLEAN,
    &ADDED_THEN_REMOVED,
    &CACHES,
    &BUILD_TOOLS,
    &LARGE_BASE,
    &JUNK,
    &DATA,
    &SECRET,
    &CHMOD,
    &REWRITE,
];

/// Where built images are kept for the rest of the process: a fixed directory under target/,
/// emptied by the first use in each run. (A temp dir held in a static is never dropped, so
/// each run left its images behind in $TMPDIR.)
fn store_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = util::repo_root().join("target/waste-images");
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("emptying {}: {e}", dir.display()),
        }
        std::fs::create_dir_all(&dir).expect("creating target/waste-images");
        dir
    })
}

/// The docker-archive of `case`, built at most once per test process.
fn image(case: &'static Case) -> PathBuf {
    type Registry = Mutex<HashMap<&'static str, Arc<OnceLock<PathBuf>>>>;
    static IMAGES: OnceLock<Registry> = OnceLock::new();
    let slot = IMAGES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(case.name)
        .or_default()
        .clone();
    slot.get_or_init(|| build(case)).clone()
}

fn build(case: &Case) -> PathBuf {
    util::require_root();
    let work = util::temp_dir(&format!("waste-{}", case.name));
    let ctx = work.path().join("ctx");
    std::fs::create_dir(&ctx).expect("ctx");
    std::fs::copy(util::peer("busybox"), ctx.join("busybox")).expect("copying busybox");
    (case.context)(&ctx);
    let containerfile = format!("FROM scratch\n{}{INSTALL}{}", case.base, case.steps);
    std::fs::write(ctx.join("Containerfile"), containerfile).expect("Containerfile");
    let store = tempfile::Builder::new()
        .prefix("llw")
        .tempdir()
        .expect("temp dir");
    let buildah = || {
        let mut c = util::peer_cmd("buildah");
        c.arg("--root")
            .arg(store.path().join("root"))
            .arg("--runroot")
            .arg(store.path().join("run"))
            .args(["--storage-driver", "vfs"]);
        c
    };
    let name = format!("layerlens-test/waste-{}", case.name);
    run(buildah()
        .args([
            "bud",
            "--layers",
            "--no-cache",
            "--isolation",
            "chroot",
            "-q",
            "-t",
            &name,
        ])
        .arg(&ctx));
    let archive = store_dir().join(format!("{}.tar", case.name));
    run(buildah().args(["push", "-q", &name]).arg(format!(
        "docker-archive:{}:{name}:latest",
        archive.display()
    )));
    run(buildah().args(["rmi", "--all", "--force"]));
    archive
}

fn findings(path: &Path, deep: bool) -> Vec<Value> {
    let mut cmd = layerlens();
    cmd.arg("analyze").arg(path).arg("--json");
    if deep {
        cmd.arg("--deep");
    }
    let doc = run_json(&mut cmd);
    doc["waste"]["findings"]
        .as_array()
        .expect("waste.findings")
        .clone()
}

fn kinds(f: &[Value]) -> Vec<String> {
    let mut k: Vec<String> = f
        .iter()
        .map(|f| f["kind"].as_str().unwrap_or("?").to_string())
        .collect();
    k.sort();
    k.dedup();
    k
}

/// Every finding is tied to a layer and its step, has bytes at stake, evidence and a fix.
fn well_formed(f: &Value, layers: usize) {
    let layer = f["layer"].as_u64().expect("layer") as usize;
    assert!(layer < layers, "{f}: layer out of range");
    assert!(
        f["bytes"].as_u64().is_some_and(|b| b > 0),
        "{f}: no bytes at stake"
    );
    let ev = f["evidence"].as_array().expect("evidence");
    assert!(!ev.is_empty(), "{f}: no evidence");
    assert!(f["evidence_count"].as_u64() >= Some(ev.len() as u64));
    assert!(
        f["fix"].as_str().is_some_and(|s| s.len() > 20),
        "{f}: no fix"
    );
    assert!(f["title"].as_str().is_some_and(|s| !s.is_empty()));
}

fn check_case(case: &'static Case) {
    let path = image(case);
    let doc = run_json(layerlens().arg("analyze").arg(&path).arg("--json"));
    let layers = doc["image"]["layers"].as_array().expect("layers").len();
    let found = doc["waste"]["findings"]
        .as_array()
        .expect("findings")
        .clone();
    let want: Vec<String> = case.kinds.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        kinds(&found),
        want,
        "{}: finding kinds (the image was built to show exactly these)\n{}",
        case.name,
        serde_json::to_string_pretty(&found).unwrap_or_default()
    );
    for f in &found {
        well_formed(f, layers);
        // The step is the layer's own created_by (shortened: no `/bin/sh -c #(nop)`).
        let layer = f["layer"].as_u64().unwrap_or(0) as usize;
        let created_by = doc["image"]["layers"][layer]["created_by"]
            .as_str()
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let step = f["step"].as_str().unwrap_or("");
        assert!(
            !step.is_empty() && created_by.contains(step.trim_start_matches("RUN ")),
            "{}: step {step:?} is not layer {layer}'s {created_by:?}",
            case.name
        );
    }
}

fn evidence_paths(f: &Value) -> Vec<String> {
    f["evidence"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["path"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn find<'a>(f: &'a [Value], kind: &str) -> &'a Value {
    f.iter()
        .find(|f| f["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} finding in {f:?}"))
}

macro_rules! case_tests {
    ($($name:ident => $case:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_case(&$case);
            }
        )*
    };
}

case_tests! {
    clean_image_has_no_findings => CLEAN,
    added_then_removed_is_found => ADDED_THEN_REMOVED,
    package_caches_are_found => CACHES,
    build_tools_are_found => BUILD_TOOLS,
    large_base_is_found => LARGE_BASE,
    build_context_junk_is_found => JUNK,
    large_data_file_is_found => DATA,
    secret_deleted_later_is_found => SECRET,
    chmod_only_layer_is_found => CHMOD,
    rewrite_is_found => REWRITE,
}

/// The details: which layer, which paths, which fix.
#[test]
fn findings_name_the_layer_paths_and_fix() {
    let f = findings(&image(&ADDED_THEN_REMOVED), false);
    let a = find(&f, "added_then_removed");
    assert_eq!(
        (a["layer"].as_u64(), a["related_layer"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(evidence_paths(a), ["big.bin"]);
    assert_eq!(a["bytes"].as_u64(), Some(300_000));
    assert!(a["step"].as_str().unwrap_or("").contains("head -c 300000"));

    let f = findings(&image(&CACHES), false);
    let titles: Vec<&str> = f.iter().filter_map(|f| f["title"].as_str()).collect();
    for cache in ["apt package lists", "pip cache", "npm cache"] {
        assert!(
            titles.iter().any(|t| t.contains(cache)),
            "no {cache} finding: {titles:?}"
        );
    }
    let apt = f
        .iter()
        .find(|f| f["title"].as_str().unwrap_or("").contains("apt"))
        .expect("apt");
    assert_eq!(
        apt["evidence_count"].as_u64(),
        Some(1),
        "lock and partial/ are not cache"
    );
    assert!(apt["fix"]
        .as_str()
        .unwrap_or("")
        .contains("rm -rf /var/lib/apt/lists/*"));
    let pip = f
        .iter()
        .find(|f| f["title"].as_str().unwrap_or("").contains("pip"))
        .expect("pip");
    assert!(pip["fix"].as_str().unwrap_or("").contains("--no-cache-dir"));

    let f = findings(&image(&BUILD_TOOLS), false);
    let b = find(&f, "build_tools");
    let mut paths = evidence_paths(b);
    paths.sort();
    assert_eq!(
        paths,
        [
            "usr/bin/gcc",
            "usr/include/sys/types.h",
            "usr/include/zlib.h"
        ]
    );
    assert!(b["fix"].as_str().unwrap_or("").contains("multi-stage"));

    let f = findings(&image(&LARGE_BASE), false);
    let l = find(&f, "large_base");
    assert_eq!(l["layer"].as_u64(), Some(0));
    assert!(l["bytes"].as_u64() > Some(110_000_000), "{l}");
    assert!(
        l["title"]
            .as_str()
            .unwrap_or("")
            .contains(" MB uncompressed"),
        "{l}"
    );
    assert_eq!(evidence_paths(l)[0], "opt/base");

    let f = findings(&image(&JUNK), false);
    let j = find(&f, "build_context_junk");
    let mut paths = evidence_paths(j);
    paths.sort();
    assert_eq!(paths, ["app/.git", "app/node_modules", "app/tests"]);
    assert!(j["fix"].as_str().unwrap_or("").contains(".dockerignore"));

    let f = findings(&image(&DATA), false);
    assert_eq!(
        evidence_paths(find(&f, "large_data_file")),
        ["srv/data/train.csv"]
    );

    let f = findings(&image(&CHMOD), false);
    let c = find(&f, "metadata_only");
    assert_eq!(c["layer"].as_u64(), Some(3));
    assert!(
        c["title"]
            .as_str()
            .unwrap_or("")
            .contains("chmod/chown-only layer"),
        "{c}"
    );
    assert!(c["fix"].as_str().unwrap_or("").contains("--chmod"));
}

/// A secret deleted in a later layer is a security finding and comes first, even before
/// bigger findings.
#[test]
fn secret_deleted_later_ranks_first() {
    let f = findings(&image(&SECRET), false);
    assert_eq!(f[0]["kind"], "secret_deleted_later");
    assert_eq!(f[0]["severity"], "security");
    assert_eq!(evidence_paths(&f[0]), ["root/.ssh/id_rsa"]);
    assert_eq!(
        (f[0]["layer"].as_u64(), f[0]["related_layer"].as_u64()),
        (Some(2), Some(3))
    );
}

/// With the deep scan, the same bytes written again are an identical rewrite, and a chmod
/// is confirmed as metadata-only; reclaimable bytes move between causes, never in total.
#[test]
fn deep_scan_tells_identical_rewrites_from_changes() {
    let path = image(&REWRITE);
    let shallow = run_json(layerlens().arg("analyze").arg(&path).arg("--json"));
    let deep = run_json(
        layerlens()
            .arg("analyze")
            .arg(&path)
            .arg("--json")
            .arg("--deep"),
    );
    assert_eq!(
        kinds(deep["waste"]["findings"].as_array().expect("findings")),
        ["identical_rewrite"]
    );
    let (s, d) = (&shallow["waste"]["reclaim"], &deep["waste"]["reclaim"]);
    assert_eq!(s["total"], d["total"]);
    assert_eq!(s["overwritten"].as_u64(), Some(40_000));
    assert_eq!(
        (d["overwritten"].as_u64(), d["identical"].as_u64()),
        (Some(0), Some(40_000))
    );
    assert_eq!(d["deep"], true);

    let chmod = run_json(
        layerlens()
            .arg("analyze")
            .arg(image(&CHMOD))
            .arg("--json")
            .arg("--deep"),
    );
    assert_eq!(
        chmod["waste"]["reclaim"]["metadata_only"].as_u64(),
        Some(50_000)
    );
}

/// Reclaimable bytes are exactly what `squash --dry-run` plans to save (the core checks the
/// same for a squash from every layer).
#[test]
fn reclaimable_bytes_equal_squash_savings() {
    for case in [&ADDED_THEN_REMOVED, &CHMOD, &SECRET, &REWRITE] {
        let path = image(case);
        let doc = run_json(layerlens().arg("analyze").arg(&path).arg("--json"));
        let r = &doc["waste"]["reclaim"];
        let plan = run_json(
            layerlens()
                .arg("squash")
                .arg(&path)
                .args(["--dry-run", "--json"]),
        );
        let s = &plan["savings"];
        let total = s["deleted"].as_i64().unwrap_or(0)
            + s["overwritten"].as_i64().unwrap_or(0)
            + s["opaque"].as_i64().unwrap_or(0)
            + s["whiteout_markers"].as_i64().unwrap_or(0)
            + s["tar_overhead"].as_i64().unwrap_or(0)
            + s["trailers"].as_i64().unwrap_or(0)
            + s["rewritten"].as_i64().unwrap_or(0)
            - s["added"].as_i64().unwrap_or(0);
        assert_eq!(r["total"].as_i64(), Some(total), "{}", case.name);
        let by_cause: i64 = [
            "deleted",
            "overwritten",
            "metadata_only",
            "identical",
            "opaque",
            "overhead",
        ]
        .iter()
        .map(|k| r[k].as_i64().unwrap_or(0))
        .sum();
        assert_eq!(by_cause, total, "{}: causes do not add up", case.name);
        assert_eq!(
            r["deleted"].as_i64().unwrap_or(0)
                + r["overwritten"].as_i64().unwrap_or(0)
                + r["metadata_only"].as_i64().unwrap_or(0)
                + r["identical"].as_i64().unwrap_or(0)
                + r["opaque"].as_i64().unwrap_or(0),
            s["deleted"].as_i64().unwrap_or(0)
                + s["overwritten"].as_i64().unwrap_or(0)
                + s["opaque"].as_i64().unwrap_or(0),
            "{}: content",
            case.name
        );
    }
}

/// `layerlens why` tells a file's history and what it still costs.
#[test]
fn why_prints_the_timeline() {
    let path = image(&ADDED_THEN_REMOVED);
    let out =
        String::from_utf8(run(layerlens().arg("why").arg(&path).arg("/big.bin"))).expect("UTF-8");
    assert!(
        out.contains("added in L2 by `RUN head -c 300000")
            && out.contains("deleted in L3")
            && out.contains("(still shipped: 300 kB)"),
        "{out}"
    );
    let t = run_json(
        layerlens()
            .arg("why")
            .arg(&path)
            .arg("big.bin")
            .arg("--json"),
    );
    assert_eq!(t["dead_bytes"].as_u64(), Some(300_000));
    assert_eq!(t["present"], false);
    let missing = output(layerlens().arg("why").arg(&path).arg("/not/there"));
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no layer"));
}

fn ci(path: &Path, args: &[&str], dir: &Path) -> std::process::Output {
    output(layerlens().current_dir(dir).arg("ci").arg(path).args(args))
}

/// Exit 0 on pass, 1 on a failed rule, 2 on misconfigured rules; JSON and JUnit reports.
#[test]
fn ci_exit_codes_and_reports() {
    let dir = util::temp_dir("waste-ci");
    let d = dir.path();
    let clean = ci(&image(&CLEAN), &[], d);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );

    // The secret fails the security rule even with dive's rules off...
    let off = [
        "--lowest-efficiency",
        "disabled",
        "--highest-user-wasted-percent",
        "disabled",
    ];
    let secret = image(&SECRET);
    let junit = d.join("report.xml");
    let mut args: Vec<&str> = off.to_vec();
    let junit_s = junit.to_string_lossy().to_string();
    args.extend(["--json", "--junit", &junit_s]);
    let out = ci(&secret, &args, d);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["schema"], "layerlens.ci/v1");
    assert_eq!(doc["outcome"], "fail");
    let rules = doc["verdict"]["layerlens"]["results"]
        .as_array()
        .expect("rules");
    let sec = rules
        .iter()
        .find(|r| r["key"] == "layerlens.failOnSecurityFinding")
        .expect("security rule");
    assert_eq!(sec["status"], "fail");
    let xml = std::fs::read_to_string(&junit).expect("JUnit file");
    assert!(
        xml.contains("<testcase classname=\"layerlens\" name=\"layerlens.failOnSecurityFinding\">")
    );
    assert!(xml.contains("<failure message="));
    // ... and passes when secrets are allowed.
    let mut args = off.to_vec();
    args.push("--allow-secrets");
    assert_eq!(ci(&secret, &args, d).status.code(), Some(0));

    // A .dive-ci in the current directory is read, as dive reads it.
    std::fs::write(d.join(".dive-ci"), "rules:\n  lowestEfficiency: 2\n").expect("write");
    let bad = ci(&image(&CLEAN), &[], d);
    assert_eq!(bad.status.code(), Some(2));
    let text = String::from_utf8_lossy(&bad.stdout);
    assert!(text.contains("Using CI config: .dive-ci"), "{text}");
    assert!(text.contains("MISCONFIGURED: lowestEfficiency: lowestEfficiency config value is outside allowed range (0-1), given '2'"), "{text}");
    // layerlens' own rules: a size cap and reclaimable bytes.
    std::fs::write(
        d.join("strict.yml"),
        "rules:\n  lowestEfficiency: disabled\n  highestUserWastedPercent: disabled\nlayerlens:\n  maxReclaimableBytes: 100kB\n  failAboveSize: 1MB\n",
    )
    .expect("write");
    let out = ci(
        &image(&ADDED_THEN_REMOVED),
        &["--config", "strict.yml", "--json"],
        d,
    );
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let status = |key: &str| {
        doc["verdict"]["layerlens"]["results"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["key"] == key))
            .map(|r| r["status"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(
        status("layerlens.maxReclaimableBytes").as_deref(),
        Some("fail")
    );
    assert_eq!(status("layerlens.failAboveSize").as_deref(), Some("fail"));
    assert_eq!(status("layerlens.warnAboveSize").as_deref(), Some("pass"));
    // A config that is not YAML is an error.
    std::fs::write(d.join("broken.yml"), "rules: [\n").expect("write");
    assert_eq!(
        ci(&image(&CLEAN), &["--config", "broken.yml"], d)
            .status
            .code(),
        Some(2)
    );
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\x1b' && it.peek() == Some(&'[') {
            for d in it.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// dive's report, from its figures to its result line.
fn dive_section(text: &str) -> String {
    let plain = strip_ansi(text);
    let start = plain.find("  efficiency:").unwrap_or(0);
    let end = plain[start..]
        .find("Result:")
        .and_then(|i| plain[start + i..].find('\n').map(|j| start + i + j))
        .unwrap_or(plain.len());
    plain[start..end].to_string()
}

/// On every image built here, `layerlens ci`'s dive-compatible report is dive's own, line for
/// line (figures, inefficient files, rule results).
#[test]
fn dive_compatible_report_equals_dive_on_built_images() {
    let dir = util::temp_dir("waste-dive");
    let mut failures = Vec::new();
    for case in ALL {
        let path = image(case);
        let dive = output(
            util::peer_cmd("dive")
                .current_dir(dir.path())
                .env("CI", "true")
                .args(["--source", "docker-archive"])
                .arg(&path),
        );
        let ours = ci(&path, &["--allow-secrets"], dir.path());
        let (a, b) = (
            dive_section(&String::from_utf8_lossy(&dive.stdout)),
            dive_section(&String::from_utf8_lossy(&ours.stdout)),
        );
        if a != b || a.is_empty() {
            failures.push(format!("{}:\n--- dive\n{a}\n--- layerlens\n{b}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
