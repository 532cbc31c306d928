//! The core's unit tests also run on wasm32 (scripts/test's "core tests on wasm32" step, in
//! Node), where the browser's worker runs the same code: there `#[test]` alone is not picked
//! up by wasm-bindgen-test-runner, so every core file with unit tests imports
//! `wasm_bindgen_test as test` for that target. A file that forgets it would have its tests
//! silently skipped on wasm32; this fails instead.

use std::fs;
use std::path::{Path, PathBuf};

use crate::util::repo_root;

const IMPORT: &str = "use wasm_bindgen_test::wasm_bindgen_test as test;";

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_core_file_with_unit_tests_runs_them_on_wasm32() {
    let mut files = Vec::new();
    rust_files(&repo_root().join("crates/core/src"), &mut files);
    let missing: Vec<String> = files
        .iter()
        .filter(|p| {
            let text = fs::read_to_string(p).unwrap();
            text.contains("#[test]") && !text.contains(IMPORT)
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "these files have #[test]s that wasm32 would skip; add\n    #[cfg(target_arch = \"wasm32\")]\n    {IMPORT}\nto their test module:\n{}",
        missing.join("\n")
    );
}
