//! Names that read as other names: a right-to-left override (U+202E) makes
//! `evil\u{202e}gnp.exe` show as `evilexe.png`, a zero-width space (U+200B) hides inside a name.
//! Every line the CLI prints (analyze, why, ci, error messages) shows them escaped like control
//! characters, never raw. The browser's side of the same archive is in e2e/app.mjs.

use std::path::Path;

use crate::hostile::{archive_with, layer, write};
use crate::util::{layerlens, output, sha256_hex, temp_dir};

const RLO: char = '\u{202e}';
const ZWSP: char = '\u{200b}';

/// A two-layer archive: L0 adds `app/evil\u{202e}gnp.exe`, a symlink to it and
/// `tmp/zero\u{200b}width.txt`; L1 deletes the last one (a finding that names it). The tag and the
/// build steps carry the same characters.
fn hostile_names_archive() -> Vec<u8> {
    let l0 = layer(&[
        (b"app/", b'5', b"", b""),
        (
            "app/evil\u{202e}gnp.exe".as_bytes(),
            b'0',
            b"",
            &[1u8; 1500],
        ),
        (
            "app/li\u{200b}nk".as_bytes(),
            b'2',
            "evil\u{202e}gnp.exe".as_bytes(),
            b"",
        ),
        (b"tmp/", b'5', b"", b""),
        (
            "tmp/zero\u{200b}width.txt".as_bytes(),
            b'0',
            b"",
            &[2u8; 3000],
        ),
    ]);
    let l1 = layer(&[(".wh.zero\u{200b}width.txt".as_bytes(), b'0', b"", b"")]);
    let l1 = {
        // The whiteout sits in tmp/.
        let mut l = l1;
        let name = "tmp/.wh.zero\u{200b}width.txt".as_bytes();
        let mut h = tar::Header::from_byte_slice(&l[..512]).clone();
        h.as_old_mut().name = [0; 100];
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_cksum();
        l[..512].copy_from_slice(h.as_bytes());
        l
    };
    let ids: Vec<String> = [&l0, &l1]
        .iter()
        .map(|l| format!("sha256:{}", sha256_hex(l)))
        .collect();
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": ids},
        "history": [
            {"created_by": "/bin/sh -c #(nop) COPY app/evil\u{202e}gnp.exe /app/"},
            {"created_by": "/bin/sh -c rm /tmp/zero\u{200b}width.txt"},
        ],
    });
    let manifest = serde_json::json!([{
        "Config": "names.json",
        "RepoTags": ["names:ev\u{202e}il"],
        "Layers": ["l0/layer.tar", "l1/layer.tar"],
    }]);
    archive_with(
        &[l0, l1],
        &ids,
        &[
            ("names.json", config.to_string().into_bytes()),
            ("manifest.json", manifest.to_string().into_bytes()),
        ],
    )
}

/// Runs `layerlens ARGS`; returns (exit code, stdout + stderr), checked for raw characters.
fn shows(args: &[&str]) -> (Option<i32>, String) {
    let out = output(layerlens().args(args));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for c in [RLO, ZWSP] {
        assert!(
            !text.contains(c),
            "layerlens {args:?} printed U+{:04X} raw:\n{text}",
            c as u32
        );
    }
    assert!(!text.contains("panicked"), "{text}");
    (out.status.code(), text)
}

fn contains_all(args: &[&str], text: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(text.contains(w), "layerlens {args:?} lacks {w:?}:\n{text}");
    }
}

fn ok(args: &[&str], wanted: &[&str]) {
    let (code, text) = shows(args);
    assert_eq!(code, Some(0), "layerlens {args:?}:\n{text}");
    contains_all(args, &text, wanted);
}

fn fails(args: &[&str], code: i32, wanted: &[&str]) {
    let (got, text) = shows(args);
    assert_eq!(got, Some(code), "layerlens {args:?}:\n{text}");
    contains_all(args, &text, wanted);
}

#[test]
fn bidi_and_zero_width_characters_in_names_are_escaped_in_every_line() {
    let w = temp_dir("names");
    let file = write(w.path(), "names.tar", &hostile_names_archive());
    let f = file.to_str().unwrap();
    let evil = r"app/evil\u{202e}gnp.exe";
    let zero = r"tmp/zero\u{200b}width.txt";
    let tag = r"names:ev\u{202e}il";

    ok(
        &["analyze", f],
        &[tag, r"COPY app/evil\u{202e}gnp.exe", zero],
    );
    ok(&["analyze", f, "--findings", "50"], &[zero]);
    ok(
        &["why", f, "/app/evil\u{202e}gnp.exe"],
        &[&format!("/{evil}"), r"COPY app/evil\u{202e}gnp.exe"],
    );
    // The name as shown finds the same history.
    ok(
        &["why", f, &format!("/{evil}")],
        &[&format!("/{evil}"), "added in L0"],
    );
    ok(
        &["why", f, "tmp/zero\u{200b}width.txt"],
        &[
            &format!("/{zero}"),
            "deleted in L1",
            r"rm /tmp/zero\u{200b}width.txt",
        ],
    );
    // dive's default rules fail this image (exit 1); its report lists the deleted file.
    fails(&["ci", f], 1, &[tag, &format!("3.0 kB  /{zero}")]);

    // Error messages.
    fails(&["why", f, "app/n\u{202e}ope"], 2, &[r"app/n\u{202e}ope"]);
    fails(
        &["analyze", f, "--image", "x\u{202e}y"],
        2,
        &[r"x\u{202e}y"],
    );
    let out = w.path().join("out.tar");
    fails(
        &[
            "squash",
            f,
            "-o",
            out.to_str().unwrap(),
            "--tag",
            "bad\u{200b}:tag",
        ],
        2,
        &[r"bad\u{200b}:tag"],
    );
    // A manifest naming a layer member that is not there.
    let missing = serde_json::json!([{
        "Config": "config.json",
        "Layers": ["l\u{202e}9/layer.tar"],
    }]);
    let l = layer(&[(b"f", b'0', b"", b"x")]);
    let id = format!("sha256:{}", sha256_hex(&l));
    let broken = write(
        w.path(),
        "missing.tar",
        &archive_with(
            &[l],
            &[id],
            &[("manifest.json", missing.to_string().into_bytes())],
        ),
    );
    fails(
        &["analyze", broken.to_str().unwrap()],
        2,
        &[r"l\u{202e}9/layer.tar"],
    );
    assert!(!Path::new(&out).exists(), "a refused squash wrote a file");
}
