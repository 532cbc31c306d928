//! Outputs appear whole or not at all, and an input is never overwritten (issue 21), for
//! `squash` and `export`:
//!
//! - an output that is the input (the same path, through a symlink, a hardlink or a linked
//!   directory, or standard output opened on it) is refused and the input's bytes unchanged;
//! - SIGINT at several points of a 64 MiB squash (and SIGTERM, SIGHUP) leaves no file at the
//!   destination, no temporary file beside it, and a pre-existing destination byte-identical;
//!   the process still dies of the signal (shell status 130/143/129);
//! - on a small filesystem (a tmpfs mounted here) the squash is refused up front, naming the
//!   space needed and where; with the check off the write fails half-way (ENOSPC) and again
//!   nothing is left; the message says its cause once;
//! - a failure mid-write (a file size limit, `ulimit -f`: EFBIG) leaves nothing either;
//! - `-o -` pipes into `podman load` (and gives skopeo the same bytes as `-o FILE`), with the
//!   plan on standard error;
//! - a replaced file keeps its permissions and a symlink named as output stays a link.

use std::io::Write;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::peers;
use crate::util::{fixture, layerlens, layerlens_bin, output, run, run_json, sha256_file};

const SIGHUP: i32 = 1;
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

/// Names of temporary outputs left in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `layerlens CMD INPUT -o DEST` and expects a refusal that leaves `input` as it was.
fn refused(cmd: &str, input: &Path, dest: &Path, cwd: &Path, expect: &str) -> Option<String> {
    let before = sha256_file(&cwd.join(input));
    let out = output(
        layerlens()
            .current_dir(cwd)
            .arg(cmd)
            .arg(input)
            .arg("-o")
            .arg(dest),
    );
    let stderr = stderr_of(&out);
    let mut problems = Vec::new();
    if out.status.code() != Some(2) || !stderr.contains(expect) {
        problems.push(format!(
            "exit {} and stderr {stderr:?} (want 2 and {expect:?})",
            out.status
        ));
    }
    if sha256_file(&cwd.join(input)) != before {
        problems.push("the input's bytes changed".into());
    }
    let left = leftovers(cwd);
    if !left.is_empty() {
        problems.push(format!("temporary files left: {left:?}"));
    }
    (!problems.is_empty()).then(|| {
        format!(
            "{cmd} {} -o {}: {}",
            input.display(),
            dest.display(),
            problems.join("; ")
        )
    })
}

#[test]
fn an_output_that_is_the_input_is_refused() {
    let work = crate::util::temp_dir("output");
    let dir = work.path();
    let input = dir.join("in.tar");
    std::fs::copy(fixture("built/whiteouts.docker.tar"), &input).unwrap();
    symlink("in.tar", dir.join("link.tar")).unwrap();
    symlink("link.tar", dir.join("link2.tar")).unwrap();
    std::fs::hard_link(&input, dir.join("hard.tar")).unwrap();
    symlink(".", dir.join("here")).unwrap();
    let mut problems = Vec::new();
    for cmd in ["squash", "export"] {
        let cases: [(&Path, PathBuf); 6] = [
            (Path::new("in.tar"), "in.tar".into()),
            (&input, dir.join("./in.tar")),
            (&input, "link.tar".into()),
            (&input, dir.join("link2.tar")),
            (&input, "hard.tar".into()),
            (Path::new("in.tar"), "here/in.tar".into()),
        ];
        for (inp, dest) in cases {
            problems.extend(refused(cmd, inp, &dest, dir, "refusing to write"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        std::fs::symlink_metadata(dir.join("link.tar"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced"
    );
}

/// `layerlens squash /dev/stdin -o - <img 1<>img` (and `-o /dev/stdout`, and the input by
/// name): standard output is the input file; refused before a byte is written.
#[test]
fn standard_output_that_is_the_input_is_refused() {
    let work = crate::util::temp_dir("output");
    let input = work.path().join("in.tar");
    std::fs::copy(fixture("built/whiteouts.docker.tar"), &input).unwrap();
    let before = sha256_file(&input);
    let mut problems = Vec::new();
    for cmd in ["squash", "export"] {
        for (named, dest) in [
            ("/dev/stdin", "-"),
            ("/dev/stdin", "/dev/stdout"),
            ("in.tar", "-"),
            ("in.tar", "/dev/fd/1"),
        ] {
            // Opened for writing without truncation, as the shell's `1<>` does.
            let rw = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&input)
                .unwrap();
            let out = layerlens()
                .current_dir(work.path())
                .args([cmd, named, "-o", dest])
                .stdin(std::fs::File::open(&input).unwrap())
                .stdout(rw)
                .stderr(Stdio::piped())
                .output()
                .unwrap();
            let stderr = stderr_of(&out);
            if out.status.code() != Some(2) || !stderr.contains("refusing to write") {
                problems.push(format!(
                    "{cmd} {named} -o {dest} with stdout on the input: {} {stderr:?}",
                    out.status
                ));
            }
            if sha256_file(&input) != before {
                problems.push(format!("{cmd} {named} -o {dest}: the input changed"));
                std::fs::copy(fixture("built/whiteouts.docker.tar"), &input).unwrap();
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A docker-archive large enough that writing its squash takes a while even in a release
/// build (two layers of 32 MiB files; 64 MiB squashed).
fn big_image(dir: &Path) -> PathBuf {
    let path = dir.join("big.docker.tar");
    write_big_image(&path);
    path
}

fn write_big_image(path: &Path) {
    const SIZE: usize = 32 << 20;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut noise = |len: usize| -> Vec<u8> {
        let mut v = Vec::with_capacity(len);
        while v.len() < len {
            // xorshift: incompressible, so no layer of this could be stored smaller.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            v.extend_from_slice(&seed.to_le_bytes());
        }
        v
    };
    let layer = |files: &[(&str, &[u8])]| -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_uid(0);
            h.set_gid(0);
            h.set_mtime(1_700_000_000);
            h.set_cksum();
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    };
    let (a, b, c, a2) = (noise(SIZE), noise(SIZE), noise(SIZE), noise(SIZE));
    let l0 = layer(&[("a", &a), ("b", &b), ("c", &c)]);
    let l1 = layer(&[("a", &a2), (".wh.b", b"")]);
    let ids: Vec<String> = [&l0, &l1]
        .iter()
        .map(|l| format!("\"sha256:{}\"", sha256sum(l)))
        .collect();
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[{}]}},"history":[{{"created_by":"base"}},{{"created_by":"top"}}]}}"#,
        ids.join(",")
    );
    let manifest = r#"[{"Config":"config.json","RepoTags":["big:latest"],"Layers":["l0/layer.tar","l1/layer.tar"]}]"#;
    let mut out = tar::Builder::new(std::io::BufWriter::new(
        std::fs::File::create(path).unwrap(),
    ));
    for (name, data) in [
        ("l0/layer.tar", &l0[..]),
        ("l1/layer.tar", &l1[..]),
        ("config.json", config.as_bytes()),
        ("manifest.json", manifest.as_bytes()),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        out.append_data(&mut h, name, data).unwrap();
    }
    out.into_inner().unwrap().flush().unwrap();
}

/// coreutils' sha256sum: much faster than a debug build of sha2 on 100 MB.
fn sha256sum(data: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::scope(|s| {
        s.spawn(move || stdin.write_all(data).unwrap());
    });
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// The planned size of a squash of `input`.
fn planned(input: &Path) -> u64 {
    let plan = run_json(
        layerlens()
            .arg("squash")
            .arg(input)
            .args(["--dry-run", "--json"]),
    );
    plan["archive_size"].as_u64().expect("archive_size")
}

/// When to send the signal.
#[derive(Debug, Clone, Copy)]
enum Point {
    /// Early: while the input is read, before the temporary file exists.
    Loading,
    /// As soon as the temporary file appears.
    Created,
    /// Once the temporary file holds this fraction (per cent) of the planned size.
    Written(u64),
}

/// The temporary file's size, if it exists.
fn temp_size(dir: &Path) -> Option<u64> {
    let name = leftovers(dir).into_iter().next()?;
    std::fs::metadata(dir.join(name)).ok().map(|m| m.len())
}

/// Squashes the big image into `dir/out.tar`, sends `signal` at `point`, and returns what is
/// wrong afterwards.
fn interrupt(
    dir: &Path,
    input: &Path,
    total: u64,
    point: Point,
    signal: i32,
    existing: Option<&[u8]>,
) -> Vec<String> {
    let dest = dir.join("out.tar");
    let _ = std::fs::remove_file(&dest);
    if let Some(bytes) = existing {
        std::fs::write(&dest, bytes).unwrap();
    }
    let mut child = layerlens()
        .arg("squash")
        .arg(input)
        .arg("-o")
        .arg(&dest)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut problems = Vec::new();
    let label = format!("{point:?} with signal {signal}");
    loop {
        let size = temp_size(dir);
        let ready = match point {
            Point::Loading => started.elapsed() >= Duration::from_millis(5),
            Point::Created => size.is_some(),
            Point::Written(pc) => size.is_some_and(|s| s >= total * pc / 100),
        };
        if ready {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            problems.push(format!(
                "{label}: squash ended ({status}) before the signal"
            ));
            return problems;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "{label}: never got there"
        );
        std::thread::sleep(Duration::from_micros(500));
    }
    run(Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string()));
    let out = child.wait_with_output().unwrap();
    if out.status.signal() != Some(signal) {
        problems.push(format!(
            "{label}: want death by signal {signal}, got {} ({})",
            out.status,
            stderr_of(&out)
        ));
    }
    match (existing, std::fs::read(&dest)) {
        (None, Ok(b)) => problems.push(format!(
            "{label}: a {}-byte file is at the destination",
            b.len()
        )),
        (Some(old), Ok(b)) if b != old => {
            problems.push(format!("{label}: the existing destination changed"))
        }
        (Some(_), Err(e)) => problems.push(format!("{label}: the existing destination: {e}")),
        _ => {}
    }
    let left = leftovers(dir);
    if !left.is_empty() {
        problems.push(format!("{label}: temporary files left: {left:?}"));
    }
    problems
}

#[test]
fn an_interrupted_squash_leaves_no_file() {
    let work = crate::util::temp_dir("output");
    let input = big_image(work.path());
    let total = planned(&input);
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let old = b"an older file that must survive".to_vec();
    let mut problems = Vec::new();
    for (point, signal, existing) in [
        // SIGTERM before the output exists: a test run started in the background by a
        // non-interactive shell inherits SIGINT ignored (POSIX), and before its output exists
        // the CLI has no handler that would take it back.
        (Point::Loading, SIGTERM, None),
        (Point::Created, SIGINT, None),
        (Point::Written(10), SIGINT, Some(&old[..])),
        (Point::Written(45), SIGINT, None),
        (Point::Written(20), SIGTERM, Some(&old[..])),
        (Point::Written(5), SIGHUP, None),
    ] {
        problems.extend(interrupt(&out, &input, total, point, signal, existing));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs {
    _dir: tempfile::TempDir,
    mount: PathBuf,
}

impl Tmpfs {
    /// `None` (with a note on stderr) where mounting is not allowed.
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = crate::util::temp_dir("output-tmpfs");
        let mount = dir.path().join("fs");
        std::fs::create_dir(&mount).unwrap();
        let out = output(
            Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
                .arg(&mount),
        );
        if !out.status.success() {
            eprintln!(
                "SKIPPED: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {}",
                stderr_of(&out)
            );
            return None;
        }
        Some(Tmpfs { _dir: dir, mount })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount).status();
    }
}

#[test]
fn a_small_filesystem_is_refused_up_front_and_a_full_one_leaves_nothing() {
    let input = fixture("built/whiteouts.docker.tar");
    let Some(fs) = Tmpfs::mount("2m") else {
        return;
    };
    let dest = fs.mount.join("out.tar");
    let old = b"an older file that must survive".to_vec();
    std::fs::write(&dest, &old).unwrap();
    let mut problems = Vec::new();
    for cmd in ["squash", "export"] {
        for (flags, expect) in [
            (&[][..], "not enough free space"),
            (&["--no-space-check"][..], "No space left on device"),
        ] {
            let label = format!("{cmd} {flags:?} onto a 2 MB tmpfs");
            let out = output(
                layerlens()
                    .arg(cmd)
                    .arg(&input)
                    .arg("-o")
                    .arg(&dest)
                    .args(flags),
            );
            let stderr = stderr_of(&out);
            if out.status.code() != Some(2) || stderr.matches(expect).count() != 1 {
                problems.push(format!(
                    "{label}: {} {stderr:?} (want exit 2 and {expect:?} once)",
                    out.status
                ));
            }
            if flags.is_empty() {
                // The message says how much is needed and where.
                let mount = fs.mount.display().to_string();
                if !stderr.contains(&mount) || !stderr.contains("bytes") {
                    problems.push(format!(
                        "{label}: {stderr:?} names neither size nor {mount}"
                    ));
                }
            }
            if std::fs::read(&dest).unwrap() != old {
                problems.push(format!("{label}: the existing destination changed"));
            }
            let left = leftovers(&fs.mount);
            if !left.is_empty() {
                problems.push(format!("{label}: temporary files left: {left:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A write that fails half-way (the file size limit of `ulimit -f`, so EFBIG; SIGXFSZ would
/// otherwise kill the process) removes the temporary file and leaves the destination alone.
#[test]
fn a_failure_mid_write_leaves_nothing() {
    let input = fixture("built/whiteouts.docker.tar");
    let work = crate::util::temp_dir("output");
    let dest = work.path().join("out.tar");
    let old = b"an older file that must survive".to_vec();
    let mut problems = Vec::new();
    for cmd in ["squash", "export"] {
        std::fs::write(&dest, &old).unwrap();
        // 1024 blocks of 512 bytes (dash) = 512 KiB, well short of the 6 MB output.
        let out = output(
            Command::new("sh")
                .arg("-c")
                .arg("ulimit -f 1024 && exec \"$0\" \"$@\"")
                .arg(layerlens_bin())
                .arg(cmd)
                .arg(&input)
                .arg("-o")
                .arg(&dest)
                .env("LC_ALL", "C"),
        );
        let stderr = stderr_of(&out);
        if out.status.code() != Some(2) || stderr.matches("File too large").count() != 1 {
            problems.push(format!(
                "{cmd} under ulimit -f: {} {stderr:?} (want exit 2 and \"File too large\" once)",
                out.status
            ));
        }
        if std::fs::read(&dest).unwrap() != old {
            problems.push(format!("{cmd}: the existing destination changed"));
        }
        let left = leftovers(work.path());
        if !left.is_empty() {
            problems.push(format!("{cmd}: temporary files left: {left:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `layerlens squash app.tar -o - | podman load`: the archive is the same bytes as `-o FILE`,
/// skopeo reads them, podman loads them from the pipe; the plan went to stderr.
#[test]
fn squash_to_standard_output_pipes_into_skopeo_and_podman() {
    let input = fixture("built/whiteouts.docker.tar");
    let work = crate::util::temp_dir("output");
    let file = work.path().join("out.tar");
    run(layerlens()
        .arg("squash")
        .arg(&input)
        .arg("-o")
        .arg(&file)
        .args(["--tag", "piped/squash:v1"]));
    let piped = |mut consumer: Command| -> Vec<u8> {
        let mut producer = layerlens()
            .arg("squash")
            .arg(&input)
            .args(["-o", "-", "--tag", "piped/squash:v1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let reader = consumer
            .stdin(producer.stdout.take().unwrap())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        // The Command holds its copy of the pipe's read end: without dropping it, a consumer
        // that stops reading early would leave layerlens blocked on a full pipe.
        let what = format!("{consumer:?}");
        drop(consumer);
        let out = reader.wait_with_output().unwrap();
        let produced = producer.wait_with_output().unwrap();
        assert!(
            produced.status.success() && out.status.success(),
            "layerlens squash -o - | {what}: {} / {}\n{}",
            produced.status,
            out.status,
            stderr_of(&produced)
        );
        assert!(
            stderr_of(&produced).contains("Squash "),
            "the plan is not on stderr"
        );
        out.stdout
    };
    // The bytes on stdout are the file's.
    let bytes = piped(Command::new("cat"));
    assert!(
        bytes == std::fs::read(&file).unwrap(),
        "squash -o - differs from squash -o FILE"
    );
    // skopeo 1.9 cannot read a docker-archive from a pipe (`cat x.tar | skopeo inspect
    // docker-archive:/dev/stdin` fails the same way), so it reads what came through the pipe
    // from a file; podman load reads the pipe itself.
    let received = work.path().join("received.tar");
    std::fs::write(&received, &bytes).unwrap();
    let inspect = run(crate::util::peer_cmd("skopeo")
        .args(["inspect", "--raw"])
        .arg(format!("docker-archive:{}", received.display())));
    let manifest: serde_json::Value = serde_json::from_slice(&inspect).unwrap();
    assert_eq!(
        manifest["layers"].as_array().map(Vec::len),
        Some(1),
        "skopeo sees {manifest}"
    );
    let store = peers::PodmanStore::new();
    let mut load = store.cmd();
    load.args(["load", "-q"]);
    let loaded = piped(load);
    let loaded = String::from_utf8_lossy(&loaded);
    assert!(loaded.contains("piped/squash:v1"), "podman load: {loaded}");
}

/// Replacing a file keeps its permissions; a symlink named as the output stays a link (to
/// the new file); a new file gets the umask's permissions; no temporary file is left.
#[test]
fn a_replaced_file_keeps_its_mode_and_a_link_stays_a_link() {
    let input = fixture("built/tiny.docker.tar");
    let work = crate::util::temp_dir("output");
    let dir = work.path();
    let target = dir.join("target.tar");
    std::fs::write(&target, b"old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    symlink("target.tar", dir.join("link.tar")).unwrap();
    run(layerlens()
        .arg("squash")
        .arg(&input)
        .arg("-o")
        .arg(dir.join("link.tar")));
    assert!(std::fs::symlink_metadata(dir.join("link.tar"))
        .unwrap()
        .file_type()
        .is_symlink());
    let m = std::fs::metadata(&target).unwrap();
    assert_eq!(m.permissions().mode() & 0o7777, 0o640);
    assert_eq!(m.len(), planned(&input));
    let fresh = dir.join("fresh.tar");
    run(Command::new("sh")
        .arg("-c")
        .arg("umask 027 && exec \"$0\" \"$@\"")
        .arg(layerlens_bin())
        .arg("export")
        .arg(&input)
        .arg("-o")
        .arg(&fresh));
    assert_eq!(
        std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(leftovers(dir).is_empty(), "{:?}", leftovers(dir));
}

/// `-o -` on a terminal is refused (an archive would only garble it); `script` gives the
/// command a pseudo-terminal as standard output.
#[test]
fn a_terminal_as_standard_output_is_refused() {
    let input = fixture("built/tiny.docker.tar");
    for cmd in ["squash", "export"] {
        let line = format!(
            "'{}' {cmd} '{}' -o -",
            layerlens_bin().display(),
            input.display()
        );
        let out = output(
            crate::util::peer_cmd("script")
                .args(["-qec", &line, "/dev/null"])
                .stderr(Stdio::piped()),
        );
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.code() == Some(2) && shown.contains("it is a terminal"),
            "{cmd} -o - on a terminal: {} {shown:?}",
            out.status
        );
        assert!(
            shown.len() < 1000,
            "{cmd} wrote the archive to the terminal"
        );
    }
}
