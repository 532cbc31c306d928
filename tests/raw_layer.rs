//! `layerlens layer` and `layerlens digests` on every fixture against independent readers:
//! each layer's members equal GNU `tar -tv` of the (decompressed) blob — names as written,
//! types, sizes, modes, owners, times, link targets — and their PAX records and offsets equal
//! Python's `tarfile` (`pax_headers`, `offset`, `offset_data`); the digests equal the sha256
//! of the blobs, of their decompressed tars and of the config, and what `skopeo inspect --raw`
//! declares. The teaching sample's markers are linked to exactly the paths GNU tar lists in
//! the lower layers under the marker's target.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::reference::{decompress, gnu_tar_list, images, TarListing};
use crate::util::{fixture, layerlens, peer_cmd, repo_root, run, run_json, sha256_hex, temp_dir};

macro_rules! raw_layer_tests {
    ($($name:ident => $path:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                members_agree(&fixture($path));
                digests_agree(&fixture($path));
            }
        )*
    };
}
valid_fixtures!(raw_layer_tests);

#[test]
fn teaching_sample() {
    let sample = repo_root().join("web/assets/sample.tar");
    members_agree(&sample);
    digests_agree(&sample);
    markers_link_what_tar_lists_below(&sample);
}

/// One member as Python's tarfile reads it.
#[derive(Debug)]
struct PyMember {
    name: String,
    offset: u64,
    offset_data: u64,
    pax: BTreeMap<String, String>,
}

const PY_LIST: &str = r#"
import json, sys, tarfile
out = []
with tarfile.open(sys.argv[1], "r:") as t:
    for m in t:
        out.append({"name": m.name, "offset": m.offset, "offset_data": m.offset_data,
                    "pax": {k: v for k, v in m.pax_headers.items()}})
json.dump(out, sys.stdout, ensure_ascii=False)
"#;

fn python_members(plain: &[u8], scratch: &Path) -> Vec<PyMember> {
    let p = scratch.join(format!("py-{}.tar", sha256_hex(plain)));
    std::fs::write(&p, plain).expect("writing a layer tar");
    let v: Value = serde_json::from_slice(&run(peer_cmd("python3").args(["-c", PY_LIST]).arg(&p)))
        .expect("python printed JSON");
    v.as_array()
        .expect("a list")
        .iter()
        .map(|m| PyMember {
            name: m["name"].as_str().unwrap_or_default().to_string(),
            offset: m["offset"].as_u64().expect("offset"),
            offset_data: m["offset_data"].as_u64().expect("offset_data"),
            pax: m["pax"]
                .as_object()
                .expect("pax")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect(),
        })
        .collect()
}

fn layer_json(archive: &Path, image: usize, layer: usize) -> Value {
    run_json(layerlens().arg("layer").arg(archive).args([
        "--image",
        &image.to_string(),
        &layer.to_string(),
        "--json",
    ]))
}

/// Printable names are compared as text; others (escaped for display) by position only.
fn plain_text(b: &[u8]) -> Option<&str> {
    std::str::from_utf8(b)
        .ok()
        .filter(|s| s.chars().all(|c| !c.is_control() && c != '\\'))
}

fn members_agree(archive: &Path) {
    let scratch = temp_dir("raw-layer");
    for img in images(archive) {
        for (n, blob) in img.layers.iter().enumerate() {
            let plain = decompress(blob, scratch.path());
            let tar = gnu_tar_list(&plain, scratch.path());
            let py = python_members(&plain, scratch.path());
            let doc = layer_json(archive, img.index, n);
            let ours = doc["layer"]["members"].as_array().expect("members");
            let at = |i: usize| {
                format!(
                    "{} image {} layer {n} member {i}",
                    archive.display(),
                    img.index
                )
            };
            assert_eq!(ours.len(), tar.len(), "{}: member count vs tar -tv", at(0));
            assert_eq!(ours.len(), py.len(), "{}: member count vs tarfile", at(0));
            for (i, ((m, t), p)) in ours.iter().zip(&tar).zip(&py).enumerate() {
                listing_agrees(m, t, &at(i));
                assert_eq!(m["offset"].as_u64(), Some(p.offset), "{}: offset", at(i));
                assert_eq!(
                    m["data"].as_u64(),
                    Some(p.offset_data),
                    "{}: data offset",
                    at(i)
                );
                let pax: BTreeMap<String, String> = m["pax"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|r| {
                                let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                                (s("key"), s("value"))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let theirs: BTreeMap<String, String> = p
                    .pax
                    .iter()
                    .filter(|(k, v)| {
                        plain_text(k.as_bytes()).is_some() && plain_text(v.as_bytes()).is_some()
                    })
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let mine: BTreeMap<String, String> = pax
                    .into_iter()
                    .filter(|(k, v)| {
                        plain_text(k.as_bytes()).is_some() && plain_text(v.as_bytes()).is_some()
                    })
                    .collect();
                assert_eq!(mine, theirs, "{}: PAX records vs tarfile", at(i));
                if plain_text(p.name.as_bytes()).is_some() {
                    // tarfile strips a trailing `/` from directory names; tar and we keep it.
                    let ours = m["name"].as_str().unwrap_or_default();
                    assert_eq!(
                        ours.trim_end_matches('/'),
                        p.name.trim_end_matches('/'),
                        "{}: name vs tarfile",
                        at(i)
                    );
                }
            }
        }
    }
}

fn listing_agrees(m: &Value, t: &TarListing, at: &str) {
    let flag = m["flag"].as_str().unwrap_or_default();
    let letter = match flag {
        "0" | "7" => '-',
        "1" => 'h',
        "2" => 'l',
        "3" => 'c',
        "4" => 'b',
        "5" => 'd',
        "6" => 'p',
        other => panic!("{at}: unexpected flag {other:?}"),
    };
    assert_eq!(letter, t.kind, "{at}: type");
    if let Some(name) = plain_text(&t.name) {
        assert_eq!(m["name"].as_str(), Some(name), "{at}: name as written");
    }
    assert_eq!(m["mode"].as_u64(), Some(u64::from(t.mode)), "{at}: mode");
    assert_eq!(m["uid"].as_u64(), Some(t.uid), "{at}: uid");
    assert_eq!(m["gid"].as_u64(), Some(t.gid), "{at}: gid");
    assert_eq!(m["mtime"].as_i64(), Some(t.mtime), "{at}: mtime");
    if t.device.is_none() {
        assert_eq!(m["size"].as_u64(), Some(t.size), "{at}: size");
    }
    if let (Some(link), Some(theirs)) = (m["link"].as_str(), t.link.as_deref().and_then(plain_text))
    {
        assert_eq!(link, theirs, "{at}: link target");
    }
}

fn digests_agree(archive: &Path) {
    let scratch = temp_dir("raw-digests");
    for img in images(archive) {
        let doc = run_json(layerlens().arg("digests").arg(archive).args([
            "--image",
            &img.index.to_string(),
            "--verify",
            "--json",
        ]));
        let at = format!("{} image {}", archive.display(), img.index);
        assert_eq!(doc["verify"]["ok"], Value::Bool(true), "{at}: verify");
        let d = &doc["digests"];
        assert_eq!(
            d["image_id"].as_str().map(String::from),
            Some(format!("sha256:{}", sha256_hex(&img.config))),
            "{at}: image ID = sha256(config)"
        );
        let layers = d["layers"].as_array().expect("layers");
        assert_eq!(layers.len(), img.layers.len(), "{at}: layer count");
        let recomputed = doc["verify"]["layers"].as_array().expect("verified layers");
        let mut chain: Option<String> = None;
        for (n, (l, blob)) in layers.iter().zip(&img.layers).enumerate() {
            let blob_digest = format!("sha256:{}", sha256_hex(blob));
            let diff_id = format!("sha256:{}", sha256_hex(&decompress(blob, scratch.path())));
            assert_eq!(
                l["diff_id"].as_str(),
                Some(diff_id.as_str()),
                "{at} layer {n}: diff_id"
            );
            assert_eq!(
                l["blob_size"].as_u64(),
                Some(blob.len() as u64),
                "{at} layer {n}: size"
            );
            if let Some(declared) = l["blob_digest"].as_str() {
                assert_eq!(
                    declared, blob_digest,
                    "{at} layer {n}: declared blob digest"
                );
            }
            assert_eq!(
                recomputed[n]["blob_digest"].as_str(),
                Some(blob_digest.as_str()),
                "{at} layer {n}: recomputed blob digest"
            );
            assert_eq!(
                recomputed[n]["diff_id"].as_str(),
                Some(diff_id.as_str()),
                "{at} layer {n}: recomputed diff_id"
            );
            let expect_chain = match &chain {
                None => diff_id.clone(),
                Some(below) => format!(
                    "sha256:{}",
                    sha256_hex(format!("{below} {diff_id}").as_bytes())
                ),
            };
            assert_eq!(
                l["chain_id"].as_str(),
                Some(expect_chain.as_str()),
                "{at} layer {n}: chain ID"
            );
            chain = Some(expect_chain);
        }
        // skopeo reads the same archive: its manifest names the config and every layer. For
        // an OCI archive that is the blob as stored; for a docker-archive skopeo offers each
        // layer uncompressed, named by its diff_id.
        let raw = run_json(peer_cmd("skopeo").args(["inspect", "--raw", &img.skopeo_ref]));
        assert_eq!(
            raw["config"]["digest"], d["image_id"],
            "{at}: skopeo's config digest"
        );
        let theirs = raw["layers"].as_array().expect("skopeo's layers");
        assert_eq!(theirs.len(), layers.len(), "{at}: skopeo's layer count");
        let oci = img.skopeo_ref.starts_with("oci-archive:");
        for (n, ((t, l), blob)) in theirs.iter().zip(layers).zip(&img.layers).enumerate() {
            if oci {
                let blob_digest = format!("sha256:{}", sha256_hex(blob));
                assert_eq!(
                    t["digest"].as_str(),
                    Some(blob_digest.as_str()),
                    "{at} layer {n}: skopeo's blob digest"
                );
                assert_eq!(
                    t["size"].as_u64(),
                    Some(blob.len() as u64),
                    "{at} layer {n}: skopeo's blob size"
                );
            } else {
                assert_eq!(
                    t["digest"], l["diff_id"],
                    "{at} layer {n}: skopeo's layer digest (the diff_id)"
                );
            }
        }
    }
}

/// Each marker of the sample lists exactly the paths below its target that the lower layers'
/// tars hold and that no layer between wrote again (the sample writes none again).
fn markers_link_what_tar_lists_below(archive: &Path) {
    let scratch = temp_dir("raw-markers");
    let img = images(archive).remove(0);
    let lists: Vec<Vec<TarListing>> = img
        .layers
        .iter()
        .map(|b| gnu_tar_list(&decompress(b, scratch.path()), scratch.path()))
        .collect();
    let mut markers = 0;
    for n in 0..img.layers.len() {
        let doc = layer_json(archive, 0, n);
        for m in doc["layer"]["members"].as_array().expect("members") {
            let Some(mk) = m.get("marker") else { continue };
            markers += 1;
            let target = mk["target"]
                .as_str()
                .expect("target")
                .trim_start_matches('/')
                .to_string();
            let mut expected: BTreeMap<String, usize> = BTreeMap::new();
            for (below, list) in lists[..n].iter().enumerate() {
                for t in list {
                    let name = crate::reference::normalise(&t.name);
                    let name = String::from_utf8_lossy(&name).into_owned();
                    let inside = name.starts_with(&format!("{target}/"))
                        || (mk["kind"] == "whiteout" && name == target);
                    if inside && !name.contains(".wh.") {
                        expected.insert(format!("/{name}"), below);
                    }
                }
            }
            let linked: BTreeMap<String, usize> = mk["removes"]
                .as_array()
                .expect("removes")
                .iter()
                .map(|r| {
                    (
                        r["path"].as_str().unwrap_or_default().to_string(),
                        r["layer"].as_u64().unwrap_or(0) as usize,
                    )
                })
                .collect();
            assert_eq!(linked, expected, "layer {n}: what {} removes", m["name"]);
        }
    }
    assert!(markers > 0, "the sample has whiteout markers");
}
