// The commit a build comes from, for `--version` and the page's footer: set
// `LAYERLENS_COMMIT` at compile time. From the environment variable of that name when it is
// set (a build from a tarball can say where it came from), else from git when the sources are
// a git checkout (no network: `git rev-parse`), else `unknown`. Shared by the CLI's and the web
// app's build scripts (`include!`d), so both report the same commit.

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").current_dir(dir).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn emit_commit() {
    println!("cargo:rerun-if-env-changed=LAYERLENS_COMMIT");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&dir);
    let from_env = std::env::var("LAYERLENS_COMMIT").ok().filter(|s| !s.is_empty());
    let commit = from_env.or_else(|| {
        let commit = git(dir, &["rev-parse", "--short=12", "HEAD"])?;
        // Rebuild when HEAD moves: HEAD itself, the branch it names, packed refs.
        // (Only files that exist: cargo reruns a build script for a missing one every time.)
        let watch = |path: String| {
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        };
        if let Some(git_dir) = git(dir, &["rev-parse", "--absolute-git-dir"]) {
            watch(format!("{git_dir}/HEAD"));
            if let Some(common) = git(dir, &["rev-parse", "--path-format=absolute", "--git-common-dir"]) {
                watch(format!("{common}/packed-refs"));
                if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
                    watch(format!("{common}/{branch}"));
                }
            }
        }
        Some(commit)
    });
    println!(
        "cargo:rustc-env=LAYERLENS_COMMIT={}",
        commit.unwrap_or_else(|| "unknown".into())
    );
}
