//! `layerlens report`: the HTML report of every valid fixture and of the page's sample shows
//! the figures `layerlens analyze --json` prints, makes no request (no external URL, no
//! import, no script), and is the same bytes each time; the size map (`report --json`)
//! adds up to the waste report's shipped and dead bytes, and each layer's map to that
//! layer's content and superseded bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{self, layerlens, run, run_json};

fn images() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = crate::macros::VALID_FIXTURES
        .iter()
        .map(|f| util::fixture(f))
        .collect();
    v.push(util::repo_root().join("web/assets/sample.tar"));
    v
}

/// Every `data-k`/`data-v` figure of the report, in order, grouped by key.
fn figures(html: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut rest = html;
    while let Some(i) = rest.find("data-k=\"") {
        rest = &rest[i + 8..];
        let k_end = rest.find('"').expect("data-k closes");
        let key = rest[..k_end].to_string();
        rest = &rest[k_end..];
        let v = match rest.find("data-v=\"") {
            Some(j) if rest[..j].find('>').is_none() => {
                let s = &rest[j + 8..];
                let end = s.find('"').expect("data-v closes");
                unescape(&s[..end])
            }
            // No data-v: the element's text.
            _ => {
                let s = &rest[rest.find('>').expect("tag ends") + 1..];
                unescape(&s[..s.find('<').expect("text ends")])
            }
        };
        out.entry(key).or_default().push(v);
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn one<'a>(f: &'a BTreeMap<String, Vec<String>>, k: &str) -> &'a str {
    let v = f.get(k).unwrap_or_else(|| panic!("the report has no {k}"));
    assert_eq!(v.len(), 1, "{k} once: {v:?}");
    &v[0]
}

fn num(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// Fails if the report could make any request.
pub fn assert_self_contained(html: &str, what: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "<script", "<link", "<iframe", "<img", "@import", " src=", "srcset=",
    ] {
        assert!(!lower.contains(bad), "{what}: the report has {bad}");
    }
    for (i, _) in lower.match_indices("href=") {
        let next = &lower[i + 5..(i + 7).min(lower.len())];
        assert!(next == "\"#", "{what}: a link out at {}", &html[i..i + 60]);
    }
    for (i, _) in lower.match_indices("url(") {
        assert!(
            lower[i + 4..].starts_with('#'),
            "{what}: an external url( at {}",
            &html[i..(i + 60).min(html.len())]
        );
    }
    assert!(!lower.contains("url(http") && !lower.contains("//fonts."));
}

fn check_report(image: &Path) {
    let what = image.display().to_string();
    let dir = util::temp_dir("report");
    let out = dir.path().join("report.html");
    run(layerlens().arg("report").arg(image).arg("-o").arg(&out));
    let html = std::fs::read_to_string(&out).expect("report written");
    assert_self_contained(&html, &what);
    // The same bytes again.
    run(layerlens()
        .arg("report")
        .arg(image)
        .arg("-o")
        .arg(dir.path().join("again.html")));
    assert_eq!(
        std::fs::read(dir.path().join("again.html")).unwrap(),
        html.as_bytes(),
        "{what}: the report changes from run to run"
    );

    let doc = run_json(layerlens().args(["analyze", "--json"]).arg(image));
    let f = figures(&html);
    let img = &doc["image"];
    assert_eq!(
        one(&f, "file"),
        image.file_name().unwrap().to_string_lossy()
    );
    assert_eq!(one(&f, "id"), img["id"].as_str().unwrap(), "{what}");
    assert_eq!(one(&f, "platform"), img["platform"].as_str().unwrap());
    assert_eq!(one(&f, "size"), num(&img["size"]), "{what}: size");
    // `tar_size`: the image's first, then each layer's.
    assert_eq!(f["tar_size"][0], num(&img["tar_size"]), "{what}: tar_size");
    assert_eq!(one(&f, "filesystem.size"), num(&img["filesystem"]["size"]));
    assert_eq!(
        one(&f, "filesystem.entries"),
        num(&img["filesystem"]["entries"])
    );
    let layers = img["layers"].as_array().unwrap();
    assert_eq!(one(&f, "layers"), layers.len().to_string());
    for (k, field) in [
        ("diff_id", "diff_id"),
        ("blob_size", "blob_size"),
        ("tar_size", "tar_size"),
        ("content_size", "content_size"),
        ("entry_count", "entry_count"),
        ("hidden_size", "hidden_size"),
        ("counts.added", "counts.added"),
        ("counts.modified", "counts.modified"),
        ("counts.removed", "counts.removed"),
    ] {
        // `tar_size` is both the image's figure (first) and each layer's.
        let shown = &f[k];
        let shown = &shown[shown.len() - layers.len()..];
        let want: Vec<String> = layers
            .iter()
            .map(|l| {
                let mut v = l;
                for part in field.split('.') {
                    v = &v[part];
                }
                num(v)
            })
            .collect();
        assert_eq!(shown, want.as_slice(), "{what}: layers' {k}");
    }
    let w = &doc["waste"];
    for k in [
        "waste.figures.shipped_bytes",
        "waste.figures.dead_bytes",
        "waste.figures.efficiency",
        "waste.reclaim.total",
        "waste.dive.efficiency",
        "waste.dive.wasted_bytes",
    ] {
        let mut v = &doc;
        for part in k.split('.') {
            v = &v[part];
        }
        let (shown, want) = (one(&f, k), num(v));
        if v.is_f64() {
            let (a, b): (f64, f64) = (shown.parse().unwrap(), want.parse().unwrap());
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "{what}: {k} {a} {b}"
            );
        } else {
            assert_eq!(shown, want, "{what}: {k}");
        }
    }
    let findings = w["findings"].as_array().unwrap();
    assert_eq!(one(&f, "waste.findings.length"), findings.len().to_string());
    let bytes: Vec<String> = findings.iter().map(|x| num(&x["bytes"])).collect();
    assert_eq!(
        f.get("bytes").cloned().unwrap_or_default(),
        bytes,
        "{what}: findings' bytes"
    );
    // Every finding's title is in the report.
    for x in findings {
        let title = x["title"].as_str().unwrap();
        let escaped = title
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;");
        assert!(html.contains(&escaped), "{what}: finding {title}");
    }

    // The size map: the shipped content, its dead share, the final filesystem's bytes live.
    let map = run_json(layerlens().args(["report", "--json"]).arg(image));
    let m = &map["map"];
    assert_eq!(map["schema"], "layerlens.report/v1");
    assert_eq!(
        num(&m["total"]),
        num(&w["figures"]["shipped_bytes"]),
        "{what}"
    );
    assert_eq!(num(&m["dead"]), one(&f, "map.dead"));
    assert_eq!(num(&m["total"]), one(&f, "map.total"));
    let sup: u64 = doc["image"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&f["superseded_size"])
        .map(|(_, s)| s.parse::<u64>().unwrap())
        .sum();
    assert_eq!(
        m["dead"].as_u64().unwrap(),
        sup,
        "{what}: dead = Σ superseded"
    );
    assert_eq!(
        m["total"].as_u64().unwrap() - m["dead"].as_u64().unwrap(),
        img["filesystem"]["size"].as_u64().unwrap(),
        "{what}: live = the final filesystem's bytes"
    );
    // Every leaf tile of the report's map is drawn, with the figures of `report --json`.
    let tiles = m["tiles"].as_array().unwrap();
    let leaves: Vec<&Value> = tiles.iter().filter(|t| t["open"] == false).collect();
    if m["total"].as_u64().unwrap() > 0 {
        assert_eq!(html.matches("data-tile=\"").count(), leaves.len(), "{what}");
        for t in &leaves {
            assert!(
                html.contains(&format!(
                    "data-size=\"{}\" data-dead=\"{}\"",
                    t["size"], t["dead"]
                )),
                "{what}: tile {t}"
            );
        }
    }
    for (i, l) in layers.iter().enumerate() {
        let lm = run_json(
            layerlens()
                .args(["report", "--json", "--layer"])
                .arg(i.to_string())
                .arg(image),
        );
        assert_eq!(lm["map"]["scope"]["layer"], i);
        assert_eq!(
            num(&lm["map"]["total"]),
            num(&l["content_size"]),
            "{what}: layer {i}"
        );
        assert_eq!(
            lm["map"]["dead"].as_u64().unwrap().to_string(),
            f["superseded_size"][i],
            "{what}: layer {i} dead"
        );
    }
}

#[test]
fn report_of_every_fixture_agrees_with_analyze() {
    for image in images() {
        check_report(&image);
    }
}

#[test]
fn report_needs_an_output_or_json() {
    let out = util::output(
        layerlens()
            .arg("report")
            .arg(util::repo_root().join("web/assets/sample.tar")),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--output"));
}
