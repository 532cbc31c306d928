//! Unsafe code lives in one small crate: every crate root of the workspace and of the fuzz
//! targets (libraries, binaries, tests) forbids it, except `crates/memcmp`, which holds the
//! wasm `memcmp` / `bcmp` and is `no_builtins`. A new crate that forgets the attribute fails
//! here, before anyone relies on the rule.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{output, repo_root};

/// Source files of every target (lib, bin, test, …) of the packages in `manifest`'s workspace.
fn crate_roots(manifest: &str) -> Vec<(String, PathBuf)> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = output(
        Command::new(cargo)
            .current_dir(repo_root())
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
            ])
            .args(["--manifest-path", manifest]),
    );
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut roots = Vec::new();
    for p in meta["packages"].as_array().unwrap() {
        for t in p["targets"].as_array().unwrap() {
            let name = format!("{} ({})", p["name"].as_str().unwrap(), t["name"]);
            roots.push((name, PathBuf::from(t["src_path"].as_str().unwrap())));
        }
    }
    roots
}

/// Whether `source`'s inner attributes (before the first item) include `attr`.
fn has_inner(source: &str, attr: &str) -> bool {
    source
        .lines()
        .map(str::trim)
        .take_while(|l| l.is_empty() || l.starts_with("//") || l.starts_with("#!["))
        .any(|l| l.replace(' ', "") == attr)
}

#[test]
fn every_crate_forbids_unsafe_code_but_memcmp() {
    let mut roots = crate_roots("Cargo.toml");
    roots.extend(crate_roots("fuzz/Cargo.toml"));
    let names: Vec<&str> = roots.iter().map(|(n, _)| n.as_str()).collect();
    for must in [
        "layerlens-core",
        "layerlens-cli",
        "layerlens-web",
        "layerlens-fuzz",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(must)),
            "{must} missing from {names:?}"
        );
    }
    let mut missing = Vec::new();
    let mut memcmp = 0;
    for (name, path) in &roots {
        let source = std::fs::read_to_string(path).unwrap();
        if name.starts_with("layerlens-memcmp ") {
            memcmp += 1;
            assert!(has_inner(&source, "#![no_builtins]"), "{path:?}");
            assert!(!has_inner(&source, "#![forbid(unsafe_code)]"), "{path:?}");
        } else if !has_inner(&source, "#![forbid(unsafe_code)]") {
            missing.push(format!("{name}: {}", path.display()));
        }
    }
    assert_eq!(memcmp, 1, "crates/memcmp: one library target");
    assert!(
        missing.is_empty(),
        "without #![forbid(unsafe_code)]:\n{}",
        missing.join("\n")
    );
}
