//! The CI recipe of docs/ci.md works: `scripts/ci-recipe` builds the example image with
//! buildah, saves it with skopeo as `docker save` would, and gates it with this build of
//! layerlens (strict config fails with a JUnit report naming the rule, lenient passes, a pipe
//! gives the file's verdict).

use std::process::Command;

use crate::util::{layerlens_bin, output, repo_root, require_root};

#[test]
fn ci_recipe_gates_as_documented() {
    require_root();
    let out = output(
        Command::new(repo_root().join("scripts/ci-recipe"))
            .arg("--layerlens")
            .arg(layerlens_bin()),
    );
    assert!(
        out.status.success(),
        "scripts/ci-recipe failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("failed rules: layerlens.maxReclaimableBytes"),
        "{stdout}"
    );
}
