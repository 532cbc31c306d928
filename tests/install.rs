//! The CLI as people install it: `cargo install --path crates/cli` into an empty prefix gives
//! a working `layerlens` whose completion scripts load in bash and whose man pages render
//! without warnings; `--color` and `NO_COLOR` decide the colours; the CLI's container image
//! (scripts/cli-image) loads in podman and reads itself.

use std::process::Command;

use crate::util::{fixture, layerlens, output, repo_root, run, temp_dir};

#[test]
fn cargo_install_gives_completions_and_man_pages() {
    let prefix = temp_dir("install");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // The workspace's own target directory: the build is the one the tests already made.
    let out = output(
        Command::new(cargo)
            .current_dir(repo_root())
            .env("CARGO_TARGET_DIR", repo_root().join("target"))
            .args([
                "install",
                "--path",
                "crates/cli",
                "--locked",
                "--offline",
                "--debug",
            ])
            .arg("--root")
            .arg(prefix.path()),
    );
    assert!(
        out.status.success(),
        "cargo install: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = prefix.path().join("bin/layerlens");
    let version = String::from_utf8(run(Command::new(&bin).arg("--version"))).unwrap();
    assert!(version.starts_with("layerlens "), "{version}");
    let analyze = run(Command::new(&bin)
        .arg("analyze")
        .arg(fixture("built/tiny.docker.tar")));
    assert!(String::from_utf8_lossy(&analyze).contains("final filesystem"));

    // bash loads the completion script and completes the subcommands.
    let script = prefix.path().join("layerlens.bash");
    std::fs::write(
        &script,
        run(Command::new(&bin).args(["completions", "bash"])),
    )
    .unwrap();
    let words = run(Command::new("bash").arg("-c").arg(format!(
        "source {} && COMP_WORDS=(layerlens sq) COMP_CWORD=1 COMP_LINE='layerlens sq' COMP_POINT=12 \
         && _layerlens layerlens sq layerlens && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display()
    )));
    assert_eq!(String::from_utf8_lossy(&words).trim(), "squash");
    for shell in ["zsh", "fish"] {
        let s = run(Command::new(&bin).args(["completions", shell]));
        assert!(String::from_utf8_lossy(&s).contains("squash"), "{shell}");
    }

    // A page per command, each rendered by man without a warning.
    let man = prefix.path().join("share/man/man1");
    run(Command::new(&bin).args(["manpage", "--dir"]).arg(&man));
    for page in [
        "layerlens",
        "layerlens-analyze",
        "layerlens-squash",
        "layerlens-ci",
        "layerlens-why",
    ] {
        let path = man.join(format!("{page}.1"));
        let out = output(
            Command::new("man")
                .env("MANWIDTH", "80")
                .env("LC_ALL", "C.UTF-8")
                .args(["--warnings", "-l"])
                .arg(&path),
        );
        assert!(out.status.success(), "man {page}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("SYNOPSIS"), "{page}: {text}");
        assert!(
            out.stderr.is_empty(),
            "{page}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn color_flag_and_no_color() {
    let image = fixture("real/dive/test-docker-image.tar");
    let ci = |color: &str, no_color: Option<&str>| {
        let mut c = layerlens();
        c.env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let out = output(c.arg("ci").arg(&image).args(["--color", color]));
        String::from_utf8_lossy(&out.stdout).contains('\x1b')
    };
    assert!(ci("always", None));
    assert!(ci("always", Some("1")), "--color always wins over NO_COLOR");
    assert!(!ci("never", None));
    assert!(!ci("auto", None), "not a terminal");
}

/// `scripts/cli-image` builds the CLI's container image with buildah from the static (musl)
/// binary; podman loads it, and layerlens reads the image's own layer back.
#[test]
fn cli_container_image_loads_and_reads_itself() {
    crate::util::require_root();
    let dir = temp_dir("cli-image");
    let image = dir.path().join("layerlens.docker.tar");
    let out = output(
        Command::new(repo_root().join("scripts/cli-image"))
            .args(["--debug", "--out"])
            .arg(&image),
    );
    assert!(
        out.status.success(),
        "scripts/cli-image failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = crate::util::run_json(layerlens().arg("analyze").arg(&image).arg("--json"));
    let layers = doc["image"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    assert!(layers[0]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["path"] == "usr/local/bin/layerlens"));
}
