//! Secrets by value on a real image: `built/secrets` (tests/fixtures/recipes/secrets.Containerfile,
//! built with buildah) holds fake keys and tokens in file contents (one file overwritten and
//! one deleted by a later layer), on a RUN's command line, in ENV and in a build argument.
//! The findings name the layer that added each and what became of it, and no output (text,
//! `--json`, JUnit, `why`) contains a raw secret value.

use std::path::Path;

use serde_json::Value;

use crate::util::{fixture, layerlens, output, run, run_json, temp_dir};

/// Every fake secret the recipe plants, as written.
const RAW: &[&str] = &[
    "ghp_FAKEfixture0123456789abcdefghijklmno",
    "npm_FAKEfixture0123456789abcdefghijklmno",
    "ZmFrZTpmYWtlLXBhc3N3b3Jk",
    "ZmFrZSBrZXkgZm9yIGxheWVybGVucyB0ZXN0cyBvbmx5",
    "Tr0ub4dor-fixture",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "dpl-FAKE-fixture-0123456789",
];

fn no_raw_secret(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    // JSON escapes `/` only optionally; look for both spellings.
    for raw in RAW {
        let escaped = raw.replace('/', "\\/");
        assert!(
            !text.contains(raw) && !text.contains(&escaped),
            "{what} shows the secret {raw}:\n{}",
            &text[..text.len().min(4000)]
        );
    }
}

/// (kind, layer, related_layer, secret kinds) of each secret finding.
fn secret_findings(waste: &Value) -> Vec<(String, u64, Option<u64>, Vec<String>)> {
    let mut out: Vec<_> = waste["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "security")
        .map(|f| {
            let mut kinds: Vec<String> = f["secrets"]
                .as_array()
                .map(|s| {
                    s.iter()
                        .map(|n| n["kind"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            kinds.sort();
            (
                f["kind"].as_str().unwrap().to_string(),
                f["layer"].as_u64().unwrap(),
                f["related_layer"].as_u64(),
                kinds,
            )
        })
        .collect();
    out.sort();
    out
}

fn check(image: &Path) {
    // The secrets are really in the archive (so the checks below are not vacuous) where its
    // layers are stored plain.
    let bytes = std::fs::read(image).unwrap();
    let plain = !image.to_string_lossy().ends_with(".oci.tar");
    if plain {
        for raw in &RAW[..6] {
            assert!(
                bytes.windows(raw.len()).any(|w| w == raw.as_bytes()),
                "{raw} is not in {}",
                image.display()
            );
        }
    }
    let deep = run_json(layerlens().args(["analyze", "--json", "--deep"]).arg(image));
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        secret_findings(&deep["waste"]),
        [
            // The RUN of L4, the ENV step after it, the build argument of L5's RUN, Env.
            (
                "secret_in_config".into(),
                4,
                None,
                s(&["assignment", "aws_access_key_id"])
            ),
            ("secret_in_config".into(), 4, None, s(&["aws_secret_key"])),
            ("secret_in_config".into(), 5, None, s(&["assignment"])),
            ("secret_in_config".into(), 5, None, s(&["aws_secret_key"])),
            (
                "secret_in_content".into(),
                2,
                None,
                s(&["docker_auth", "npm_token"])
            ),
            // config.ini's GitHub token, overwritten by L3; the private key, deleted by L3.
            ("secret_in_content".into(), 2, Some(3), s(&["github_token"])),
            ("secret_in_content".into(), 2, Some(3), s(&["private_key"])),
            (
                "secret_in_content".into(),
                4,
                None,
                s(&["assignment", "aws_access_key_id"])
            ),
        ]
    );
    let overwritten = deep["waste"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "secret_in_content" && f["secrets"][0]["kind"] == "github_token")
        .unwrap();
    assert_eq!(overwritten["secrets"][0]["at"], "app/config.ini:3");
    assert_eq!(overwritten["secrets"][0]["masked"], "ghp_…(40 chars)");
    assert!(overwritten["title"]
        .as_str()
        .unwrap()
        .contains("L3 overwrites it, but it still ships in L2"));
    // The history and Env as printed are masked where the secrets were.
    let history = deep["image"]["history"].as_array().unwrap();
    assert_eq!(
        history[5]["created_by"],
        "/bin/sh -c #(nop) ENV AWS_SECRET_ACCESS_KEY=wJal…(40 chars)"
    );
    no_raw_secret("analyze --json --deep", &serde_json::to_vec(&deep).unwrap());

    // Without the deep scan: the config's secrets only (contents are not read).
    let fast = run(layerlens().args(["analyze", "--json"]).arg(image));
    no_raw_secret("analyze --json", &fast);
    let fast: Value = serde_json::from_slice(&fast).unwrap();
    let kinds: Vec<_> = secret_findings(&fast["waste"])
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(kinds, ["secret_in_config"; 4]);

    no_raw_secret(
        "analyze --deep",
        &run(layerlens()
            .args(["analyze", "--deep", "--findings", "100"])
            .arg(image)),
    );
    let dir = temp_dir("secrets-ci");
    let junit = dir.path().join("junit.xml");
    let ci = output(
        layerlens()
            .args(["ci", "--deep", "--junit"])
            .arg(&junit)
            .arg(image)
            .current_dir(dir.path()),
    );
    assert_eq!(ci.status.code(), Some(1), "security findings fail the gate");
    no_raw_secret("ci --deep", &ci.stdout);
    no_raw_secret("ci --deep (stderr)", &ci.stderr);
    no_raw_secret("ci --junit", &std::fs::read(&junit).unwrap());
    let ci_json = output(
        layerlens()
            .args(["ci", "--deep", "--json"])
            .arg(image)
            .current_dir(dir.path()),
    );
    no_raw_secret("ci --json", &ci_json.stdout);
    for path in ["/app/config.ini", "/app/db.conf", "/app/deployed.txt"] {
        no_raw_secret("why", &run(layerlens().args(["why"]).arg(image).arg(path)));
        no_raw_secret(
            "why --json",
            &run(layerlens()
                .args(["why", "--json", "--deep"])
                .arg(image)
                .arg(path)),
        );
    }
}

#[test]
fn secrets_docker() {
    check(&fixture("built/secrets.docker.tar"));
}

#[test]
fn secrets_oci() {
    check(&fixture("built/secrets.oci.tar"));
}

#[test]
fn secrets_oci_uncompressed() {
    check(&fixture("built/secrets.oci-uncompressed.tar"));
}
