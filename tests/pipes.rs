//! Images read from a pipe (`docker save app | layerlens ci -`): `-`, `/dev/stdin` and FIFOs
//! give the same analysis, CI verdict, timelines and squashed bytes as the file, plain or
//! gzipped; commands that need layer contents spool the pipe; failures say what happened once.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::util::{fixture, layerlens, output, run, run_json, temp_dir};

/// Runs `cmd` with `data` written to its standard input through a pipe.
fn piped(cmd: &mut Command, data: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    std::thread::scope(|s| {
        // The reader may stop early on an error: a broken pipe here is its business.
        s.spawn(move || {
            let _ = stdin.write_all(data);
        });
        child.wait_with_output().unwrap()
    })
}

/// The analysis JSON without the `file` field (the only thing that names the input).
fn without_file(mut v: serde_json::Value) -> serde_json::Value {
    v.as_object_mut().unwrap().remove("file");
    v
}

fn json_of(out: &Output, what: &str) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{what} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// `analyze -`, `ci -` and `squash -` against the same commands on the file.
fn check_fixture(rel: &str) {
    let path = fixture(rel);
    let bytes = std::fs::read(&path).unwrap();
    let from_file = without_file(run_json(
        layerlens().arg("analyze").arg(&path).arg("--json"),
    ));

    let plain = piped(layerlens().args(["analyze", "-", "--json"]), &bytes);
    assert_eq!(
        without_file(json_of(&plain, "analyze -")),
        from_file,
        "{rel}"
    );

    // A gzipped stream equals the gzipped file.
    let dir = temp_dir("pipes");
    let gz = gzip(&bytes);
    let gz_path = dir.path().join("image.tar.gz");
    std::fs::write(&gz_path, &gz).unwrap();
    let gz_file = without_file(run_json(
        layerlens().arg("analyze").arg(&gz_path).arg("--json"),
    ));
    let gz_pipe = piped(layerlens().args(["analyze", "-", "--json"]), &gz);
    assert_eq!(
        without_file(json_of(&gz_pipe, "analyze - (gzip)")),
        gz_file,
        "{rel} gzip"
    );

    // The CI verdict: same exit code, same report.
    let ci_file = output(layerlens().arg("ci").arg(&path).arg("--json"));
    let ci_pipe = piped(layerlens().args(["ci", "-", "--json"]), &bytes);
    assert_eq!(
        ci_pipe.status.code(),
        ci_file.status.code(),
        "{rel} ci exit"
    );
    let strip = |o: &Output| {
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        if let Some(m) = v.as_object_mut() {
            m.remove("file");
        }
        v
    };
    assert_eq!(strip(&ci_pipe), strip(&ci_file), "{rel} ci report");

    // Squash needs contents: the pipe is spooled, and the bytes are the file's.
    let out_file = dir.path().join("from-file.tar");
    let out_pipe = dir.path().join("from-pipe.tar");
    run(layerlens()
        .arg("squash")
        .arg(&path)
        .arg("-o")
        .arg(&out_file));
    let s = piped(
        layerlens().args(["squash", "-", "-o"]).arg(&out_pipe),
        &bytes,
    );
    assert!(
        s.status.success(),
        "{rel} squash -: {}",
        String::from_utf8_lossy(&s.stderr)
    );
    assert!(
        std::fs::read(&out_file).unwrap() == std::fs::read(&out_pipe).unwrap(),
        "{rel}: squash from a pipe wrote other bytes than from the file"
    );
}

macro_rules! pipe_tests {
    ($($name:ident => $rel:expr,)*) => {
        $(
            #[test]
            fn $name() {
                check_fixture($rel);
            }
        )*
    };
}

valid_fixtures!(pipe_tests);

/// A FIFO and `/dev/stdin` on a pipe are read once like `-`; `why` and a picked image of a
/// multi-image archive too.
#[test]
fn fifo_dev_stdin_why_and_image_choice() {
    let path = fixture("real/ggcr/tarball__test_bundle.tar");
    let bytes = std::fs::read(&path).unwrap();
    let file = without_file(run_json(
        layerlens()
            .arg("analyze")
            .arg(&path)
            .args(["--image", "1", "--json"]),
    ));
    let stdin = piped(
        layerlens().args(["analyze", "/dev/stdin", "--image", "1", "--json"]),
        &bytes,
    );
    assert_eq!(without_file(json_of(&stdin, "analyze /dev/stdin")), file);

    let dir = temp_dir("fifo");
    let fifo = dir.path().join("image.fifo");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success(), "mkfifo");
    let writer = {
        let fifo = fifo.clone();
        let bytes = bytes.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            let _ = f.write_all(&bytes);
        })
    };
    let from_fifo = run_json(
        layerlens()
            .arg("analyze")
            .arg(&fifo)
            .args(["--image", "1", "--json"]),
    );
    writer.join().unwrap();
    assert_eq!(without_file(from_fifo), file);

    let sample = fixture("built/whiteouts.docker.tar");
    let sample_bytes = std::fs::read(&sample).unwrap();
    for path_arg in ["data/deldir", "data"] {
        let f = run_json(
            layerlens()
                .arg("why")
                .arg(&sample)
                .args([path_arg, "--json"]),
        );
        let p = piped(
            layerlens().args(["why", "-", path_arg, "--json"]),
            &sample_bytes,
        );
        assert_eq!(json_of(&p, "why -"), f, "why {path_arg}");
    }
}

/// `--deep` and `--verify` read contents: through a spool, with the file's results.
#[test]
fn contents_through_a_spool() {
    let path = fixture("built/tiny.oci.tar");
    let bytes = std::fs::read(&path).unwrap();
    for flag in ["--deep", "--verify"] {
        let file = without_file(run_json(
            layerlens().arg("analyze").arg(&path).args([flag, "--json"]),
        ));
        let p = piped(layerlens().args(["analyze", "-", flag, "--json"]), &bytes);
        assert_eq!(without_file(json_of(&p, flag)), file, "{flag}");
    }
}

/// Failures say what happened, once: no temporary directory to spool to, a stream cut short,
/// an empty pipe, bytes that are no archive, a zstd stream.
#[test]
fn pipe_failures_are_specific() {
    let bytes = std::fs::read(fixture("built/tiny.docker.tar")).unwrap();
    let missing = Path::new("/nonexistent-layerlens-tmp");
    let out = piped(
        layerlens()
            .env("TMPDIR", missing)
            .args(["squash", "-", "-o", "/dev/null"]),
        &bytes,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("TMPDIR") && err.contains("/nonexistent-layerlens-tmp"),
        "{err}"
    );

    let half = &bytes[..bytes.len() / 2];
    let cases: [(&[u8], &str); 4] = [
        (half, "(truncated?)"),
        (b"", "the input is empty"),
        (&[b'x'; 4096], "not a tar archive"),
        (&[0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0], "zstd-compressed"),
    ];
    for (input, says) in cases {
        let out = piped(layerlens().args(["analyze", "-"]), input);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.matches(says).count(), 1, "{err}");
        assert!(!err.contains("Illegal seek"), "{err}");
    }
}
