//! Process-level behaviour of the `layerlens` binary: exit codes, error messages, standard
//! output as a destination, pipes closed early, gzipped input, image selection by tag, and
//! validation of the values squash writes into the archive (`--created`, `--tag`), checked by
//! the tools that later read them (skopeo, podman).

use std::io::Read;
use std::process::Stdio;

use crate::peers;
use crate::util::{self, fixture, layerlens, output, run, run_json, temp_dir};

/// A consumer that stops reading (`layerlens analyze … | head`) is not an error: the
/// project's CLI convention (after ripgrep) is exit 0 and no message on a broken
/// pipe. The outputs here are larger than a pipe buffer (64 KiB), so the write really fails.
#[test]
fn broken_pipe_is_not_an_error() {
    let dive = fixture("real/dive/test-docker-image.tar");
    let whiteouts = fixture("built/whiteouts.docker.tar");
    let cases: [(&str, Vec<std::ffi::OsString>); 2] = [
        (
            "analyze --json",
            vec!["analyze".into(), dive.into(), "--json".into()],
        ),
        (
            "export -o -",
            vec!["export".into(), whiteouts.into(), "-o".into(), "-".into()],
        ),
    ];
    let mut problems = Vec::new();
    for (what, args) in cases {
        let mut child = layerlens()
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning layerlens");
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 100];
        stdout
            .read_exact(&mut first)
            .expect("reading the first bytes");
        drop(stdout);
        let out = child.wait_with_output().expect("waiting for layerlens");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(0) || !stderr.is_empty() {
            problems.push(format!(
                "layerlens {what} into a closed pipe: {} (want exit 0), stderr: {stderr}",
                out.status
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `export -o -` writes the same bytes as `export -o FILE`.
#[test]
fn export_to_stdout_equals_export_to_file() {
    let input = fixture("built/whiteouts.docker.tar");
    let work = temp_dir("cli");
    let file = work.path().join("rootfs.tar");
    run(layerlens().arg("export").arg(&input).arg("-o").arg(&file));
    let stdout = run(layerlens().arg("export").arg(&input).args(["-o", "-"]));
    assert!(
        stdout == std::fs::read(&file).unwrap(),
        "export to stdout differs from export to a file"
    );
}

/// A gzipped `docker save` (gzip'd by the real gzip) reads exactly like the plain one:
/// the same image analysis, export and squash output.
#[test]
fn gzipped_archive_reads_like_the_plain_one() {
    let plain = fixture("built/whiteouts.docker.tar");
    let work = temp_dir("cli");
    let gz = work.path().join("whiteouts.docker.tar.gz");
    std::fs::write(&gz, run(util::peer_cmd("gzip").arg("-c").arg(&plain))).unwrap();
    let a = run_json(layerlens().arg("analyze").arg(&plain).arg("--json"));
    let b = run_json(layerlens().arg("analyze").arg(&gz).arg("--json"));
    assert_eq!(
        a["image"], b["image"],
        "the image analysis of the gzipped archive differs"
    );
    assert_eq!(b["archive"]["compression"], "gzip");
    for cmd in [&["export"][..], &["squash", "--from", "2"]] {
        let out_a = work.path().join("a.tar");
        let out_b = work.path().join("b.tar");
        run(layerlens()
            .args(&cmd[..1])
            .arg(&plain)
            .args(&cmd[1..])
            .arg("-o")
            .arg(&out_a));
        run(layerlens()
            .args(&cmd[..1])
            .arg(&gz)
            .args(&cmd[1..])
            .arg("-o")
            .arg(&out_b));
        assert!(
            std::fs::read(&out_a).unwrap() == std::fs::read(&out_b).unwrap(),
            "{cmd:?} of the gzipped archive wrote different bytes"
        );
    }
}

/// `--image TAG` picks the same image as `--image N` (the second image of test_link, whose
/// layer.tar is a symlink to the first image's).
#[test]
fn image_by_tag_equals_image_by_position() {
    let input = fixture("real/ggcr/tarball__test_link.tar");
    let by_pos = run_json(
        layerlens()
            .arg("analyze")
            .arg(&input)
            .args(["--image", "1", "--json"]),
    );
    let by_tag = run_json(layerlens().arg("analyze").arg(&input).args([
        "--image",
        "bazel/v1/tarball:test_image_3",
        "--json",
    ]));
    assert_eq!(by_pos["image"], by_tag["image"]);
    assert_eq!(by_pos["image"]["index"], 1);
}

/// Wrong arguments fail with exit code 2, a message that says what is wrong, and no output
/// file.
#[test]
fn bad_arguments_exit_2_with_a_message() {
    let tiny = fixture("built/tiny.docker.tar");
    let work = temp_dir("cli");
    let out = work.path().join("out.tar");
    let o = out.to_str().unwrap();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["analyze", "/nonexistent/image.tar"],
            &["/nonexistent/image.tar"],
        ),
        (&["analyze", "TINY", "--image", "5"], &["image 5"]),
        (
            &["analyze", "TINY", "--image", "nosuch:tag"],
            &["nosuch:tag"],
        ),
        (&["squash", "TINY", "-o", o, "--from", "3"], &["layer 3"]),
        (
            &["squash", "TINY", "-o", o, "--from", "sha256:0000"],
            &["sha256:0000"],
        ),
        (
            &["squash", "TINY", "-o", "/nonexistent/dir/out.tar"],
            &["/nonexistent/dir/out.tar"],
        ),
        (
            &["export", "TINY", "-o", "/nonexistent/dir/out.tar"],
            &["/nonexistent/dir/out.tar"],
        ),
        // Values squash would write into the config / manifest.json: they must be valid, or
        // docker, podman and skopeo cannot read the result (see the two tests below).
        (
            &["squash", "TINY", "-o", o, "--created", "yesterday"],
            &["yesterday"],
        ),
        (
            &["squash", "TINY", "-o", o, "--tag", "Bad Tag!"],
            &["Bad Tag!"],
        ),
        (
            &["squash", "TINY", "-o", o, "--tag", "UPPER/case:x"],
            &["UPPER/case:x"],
        ),
    ];
    let mut problems = Vec::new();
    for (args, words) in cases {
        let args: Vec<&str> = args
            .iter()
            .map(|a| {
                if *a == "TINY" {
                    tiny.to_str().unwrap()
                } else {
                    a
                }
            })
            .collect();
        let r = output(layerlens().args(&args));
        let stderr = String::from_utf8_lossy(&r.stderr);
        if r.status.code() != Some(2) {
            problems.push(format!(
                "layerlens {args:?}: exit status {} (want 2); stderr: {stderr}",
                r.status
            ));
        } else {
            for w in *words {
                if !stderr.contains(w) {
                    problems.push(format!(
                        "layerlens {args:?}: the message does not mention {w:?}: {stderr}"
                    ));
                }
            }
        }
        if out.exists() {
            problems.push(format!("layerlens {args:?}: wrote {o} although it failed"));
            std::fs::remove_file(&out).unwrap();
        }
    }
    assert!(
        problems.is_empty(),
        "{} bad argument(s) handled wrongly:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// `--created` sets the config's and the new history entry's time, and skopeo reads it back.
#[test]
fn created_is_written_and_readable() {
    let tiny = fixture("built/tiny.docker.tar");
    let work = temp_dir("cli");
    let out = work.path().join("out.tar");
    run(layerlens()
        .arg("squash")
        .arg(&tiny)
        .arg("-o")
        .arg(&out)
        .args(["--created", "2020-01-01T00:00:00Z"]));
    let inspect = run_json(
        util::peer_cmd("skopeo")
            .arg("inspect")
            .arg(format!("docker-archive:{}", out.display())),
    );
    assert_eq!(inspect["Created"], "2020-01-01T00:00:00Z");
}

/// A `--tag` squash writes is one podman accepts on load, by that name.
#[test]
fn tag_is_loadable_by_podman() {
    let tiny = fixture("built/tiny.docker.tar");
    let work = temp_dir("cli");
    let out = work.path().join("out.tar");
    run(layerlens()
        .arg("squash")
        .arg(&tiny)
        .arg("-o")
        .arg(&out)
        .args(["--tag", "example.org/team/app:v1.2"]));
    let store = peers::PodmanStore::new();
    let loaded = String::from_utf8(run(store.cmd().args(["load", "-q", "-i"]).arg(&out))).unwrap();
    assert!(
        loaded.contains("example.org/team/app:v1.2"),
        "podman load: {loaded}"
    );
}
