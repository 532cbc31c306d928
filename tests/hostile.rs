//! Malformed, hostile and huge archives (issue 6): each case gets a specific message and exit
//! code 2 — never a panic (exit 101), a hang or unbounded memory — and outputs made from
//! hostile input never escape their root. Inputs are built here with the `tar` crate.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::rootfs::Tree;
use crate::util::{fixture, layerlens, output, sha256_hex, temp_dir};

/// A layer entry: (raw path bytes, type flag, link target, contents).
pub(crate) type Spec<'a> = (&'a [u8], u8, &'a [u8], &'a [u8]);

/// A layer tar with raw (unchecked) names, so hostile paths can be written.
pub(crate) fn layer(entries: &[Spec<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (path, flag, link, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::new(*flag));
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(data.len() as u64);
        h.set_mtime(1_700_000_000);
        h.as_old_mut().name[..path.len()].copy_from_slice(path);
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

/// A docker-archive holding `layers` (diff_ids computed from `diff_of`, normally the layer).
pub(crate) fn archive_with(
    layers: &[Vec<u8>],
    diff_ids: &[String],
    extra: &[(&str, Vec<u8>)],
) -> Vec<u8> {
    let names: Vec<String> = (0..layers.len())
        .map(|i| format!("l{i}/layer.tar"))
        .collect();
    let history: Vec<String> = layers
        .iter()
        .map(|_| r#"{"created_by":"test"}"#.to_string())
        .collect();
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[{}]}},"history":[{}]}}"#,
        diff_ids
            .iter()
            .map(|d| format!("\"{d}\""))
            .collect::<Vec<_>>()
            .join(","),
        history.join(",")
    );
    let manifest = format!(
        r#"[{{"Config":"config.json","RepoTags":["hostile:latest"],"Layers":[{}]}}]"#,
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).unwrap();
    };
    for (n, l) in names.iter().zip(layers) {
        add(n, l);
    }
    add("config.json", config.as_bytes());
    for (name, data) in extra {
        add(name, data);
    }
    if !extra.iter().any(|(n, _)| *n == "manifest.json") {
        add("manifest.json", manifest.as_bytes());
    }
    b.into_inner().unwrap()
}

pub(crate) fn archive(layers: &[Vec<u8>]) -> Vec<u8> {
    let ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha256_hex(l)))
        .collect();
    archive_with(layers, &ids, &[])
}

pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Runs `layerlens ARGS FILE` and expects exit 2 with `expect` in the message.
fn refuses(file: &Path, args: &[&str], expect: &str) {
    let out = output(layerlens().args(args).arg(file));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{file:?} {args:?}: want exit 2, got {}; stderr: {stderr}",
        out.status
    );
    assert!(
        stderr.contains(expect),
        "{file:?} {args:?}: message lacks {expect:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn accepts(file: &Path, args: &[&str]) -> String {
    let out = output(layerlens().args(args).arg(file));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{file:?} {args:?}: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn good() -> Vec<u8> {
    archive(&[layer(&[
        (b"etc/", b'5', b"", b""),
        (b"etc/hello", b'0', b"", b"hello\n"),
    ])])
}

#[test]
fn not_an_archive_empty_and_truncated_files() {
    let w = temp_dir("hostile");
    refuses(
        &write(w.path(), "random.bin", &[0x5a; 10_000]),
        &["analyze"],
        "not a tar archive",
    );
    refuses(
        &write(w.path(), "empty.tar", b""),
        &["analyze"],
        "the file is empty",
    );
    let real = std::fs::read(fixture("built/whiteouts.docker.tar")).unwrap();
    // Inside the first member's header, inside its contents, and inside a later layer.
    refuses(
        &write(w.path(), "cut-header.tar", &real[..300]),
        &["analyze"],
        "not a tar archive",
    );
    refuses(
        &write(w.path(), "cut-contents.tar", &real[..700]),
        &["analyze"],
        "the file ends",
    );
    refuses(
        &write(w.path(), "cut-layer.tar", &real[..3_000_000]),
        &["analyze"],
        "the file ends",
    );
    // A layer whose own tar is cut short while the archive around it is whole.
    let mut l = layer(&[(b"big", b'0', b"", &[7u8; 5000])]);
    l.truncate(2048);
    refuses(
        &write(w.path(), "short-layer.tar", &archive(&[l])),
        &["analyze"],
        "layer 0",
    );
}

#[test]
fn damaged_headers_are_located() {
    let w = temp_dir("hostile");
    let mut a = good();
    a[10] ^= 0x55;
    refuses(
        &write(w.path(), "badsum.tar", &a),
        &["analyze"],
        "checksum mismatch (the archive's header at byte 0)",
    );
    let mut l = layer(&[(b"a", b'0', b"", b"x"), (b"b", b'0', b"", b"y")]);
    l[1024 + 5] ^= 0x55;
    refuses(
        &write(w.path(), "badsum-layer.tar", &archive(&[l])),
        &["analyze"],
        "header at byte 1024 of the layer",
    );
}

#[test]
fn broken_metadata() {
    let w = temp_dir("hostile");
    let l = layer(&[(b"f", b'0', b"", b"x")]);
    let id = format!("sha256:{}", sha256_hex(&l));
    let no_manifest = {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_cksum();
        b.append_data(&mut h, "x", &b"x"[..]).unwrap();
        b.into_inner().unwrap()
    };
    refuses(
        &write(w.path(), "nomanifest.tar", &no_manifest),
        &["analyze"],
        "neither `manifest.json`",
    );
    let null = archive_with(
        std::slice::from_ref(&l),
        std::slice::from_ref(&id),
        &[("manifest.json", b"null".to_vec())],
    );
    refuses(
        &write(w.path(), "null.tar", &null),
        &["analyze"],
        "is `null`",
    );
    let invalid = archive_with(
        std::slice::from_ref(&l),
        std::slice::from_ref(&id),
        &[("manifest.json", b"[{".to_vec())],
    );
    refuses(
        &write(w.path(), "invalid.tar", &invalid),
        &["analyze"],
        "invalid JSON",
    );
    let missing = archive_with(
        std::slice::from_ref(&l),
        std::slice::from_ref(&id),
        &[(
            "manifest.json",
            br#"[{"Config":"config.json","Layers":["nope.tar"]}]"#.to_vec(),
        )],
    );
    refuses(
        &write(w.path(), "missing.tar", &missing),
        &["analyze"],
        "the archive has no member `nope.tar`",
    );
    let counts = archive_with(std::slice::from_ref(&l), &[id.clone(), id.clone()], &[]);
    refuses(
        &write(w.path(), "counts.tar", &counts),
        &["analyze"],
        "the config lists 2 diff_ids but the manifest lists 1 layers",
    );
    let wrong = archive_with(
        std::slice::from_ref(&l),
        &[format!("sha256:{}", "0".repeat(64))],
        &[],
    );
    let wrong = write(w.path(), "diffid.tar", &wrong);
    accepts(&wrong, &["analyze"]);
    refuses(
        &wrong,
        &["analyze", "--verify"],
        "digest mismatch: expected diff_id",
    );
}

#[test]
fn oci_config_digest_mismatch() {
    // Take a real oci-archive and swap its config for different bytes under the same name.
    let w = temp_dir("hostile");
    let src = std::fs::read(fixture("built/tiny.oci-uncompressed.tar")).unwrap();
    let mut ar = tar::Archive::new(src.as_slice());
    let mut config_name = String::new();
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        if e.header().entry_type().is_file() {
            members.push((name, data));
        }
    }
    for (name, data) in &members {
        if data.starts_with(b"{") && String::from_utf8_lossy(data).contains("\"rootfs\"") {
            config_name = name.clone();
        }
    }
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in &members {
        let data = if *name == config_name {
            String::from_utf8_lossy(data)
                .replace("amd64", "arm64")
                .into_bytes()
        } else {
            data.clone()
        };
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_cksum();
        b.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    let p = write(w.path(), "config-digest.tar", &b.into_inner().unwrap());
    refuses(&p, &["analyze"], "digest mismatch");
}

#[test]
fn escaping_entries_are_reported_and_never_written_out() {
    let w = temp_dir("hostile");
    let l0 = layer(&[
        (b"../../etc/passwd", b'0', b"", b"evil\n"),
        (
            b"/abs/file",
            b'0',
            b"",
            b"absolute is relative to the root\n",
        ),
        (b"evil", b'2', b"/etc", b""),
        (b"evil/passwd", b'0', b"", b"through the symlink\n"),
        (b"hl", b'1', b"../../etc/shadow", b""),
        (b"dup", b'0', b"", b"first\n"),
        (b"dup", b'0', b"", b"second\n"),
    ]);
    let p = write(w.path(), "escape.tar", &archive(&[l0]));
    let json: serde_json::Value =
        serde_json::from_str(&accepts(&p, &["analyze", "--json"])).unwrap();
    let notices = json["image"]["layers"][0]["notices"].to_string();
    assert!(
        notices.contains("escaping_path")
            && notices.contains("escaping_link")
            && notices.contains("duplicate"),
        "{notices}"
    );
    for cmd in ["export", "squash"] {
        let out = w.path().join(format!("{cmd}.tar"));
        accepts(&p, &[cmd, "-o", out.to_str().unwrap()]);
        let tar_bytes = std::fs::read(&out).unwrap();
        let rootfs = if cmd == "export" {
            tar_bytes
        } else {
            member(&tar_bytes, "0/layer.tar")
        };
        let mut names = Vec::new();
        let mut ar = tar::Archive::new(rootfs.as_slice());
        let mut symlinks = Vec::new();
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            let path = e.path_bytes().into_owned();
            assert!(
                !path.starts_with(b"/") && !path.split(|&b| b == b'/').any(|c| c == b".."),
                "{cmd} wrote an escaping path {:?}",
                String::from_utf8_lossy(&path)
            );
            if e.header().entry_type().is_symlink() {
                symlinks.push(path.clone());
            }
            names.push(path);
        }
        // Nothing is written below a symlink (a careful extractor refuses that).
        for s in &symlinks {
            let mut prefix = s.clone();
            prefix.push(b'/');
            assert!(
                !names.iter().any(|n| n.starts_with(&prefix)),
                "{cmd}: entries below symlink {:?}",
                String::from_utf8_lossy(s)
            );
        }
        let tree = Tree::from_tar(rootfs.as_slice());
        assert!(tree.nodes.contains_key(b"dup".as_slice()), "{cmd} lost dup");
    }
}

fn member(archive: &[u8], name: &str) -> Vec<u8> {
    let mut ar = tar::Archive::new(archive);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if *e.path_bytes() == *name.as_bytes() {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut v).unwrap();
            return v;
        }
    }
    panic!("no member {name}");
}

#[test]
fn decompression_bombs_stop_at_the_limit() {
    let w = temp_dir("hostile");
    let inner = layer(&[(b"zeros", b'0', b"", &vec![0u8; 40 << 20])]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&inner).unwrap();
    let gz = gz.finish().unwrap();
    let zst = ruzstd::encoding::compress_to_vec(
        inner.as_slice(),
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    let id = format!("sha256:{}", sha256_hex(&inner));
    for (name, blob) in [("gzip-bomb.tar", gz), ("zstd-bomb.tar", zst)] {
        let p = write(
            w.path(),
            name,
            &archive_with(&[blob], std::slice::from_ref(&id), &[]),
        );
        refuses(
            &p,
            &["analyze", "--max-decompressed", "8M"],
            "decompressed size exceeds the limit of 8388608 bytes",
        );
        refuses(
            &p,
            &["analyze", "--verify", "--max-decompressed", "8M"],
            "limit",
        );
        accepts(&p, &["analyze"]);
    }
    // Endless zeros after the end of the tar are a bomb whatever the limit.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&layer(&[(b"a", b'0', b"", b"a")])).unwrap();
    gz.write_all(&vec![0u8; 64 << 20]).unwrap();
    let p = write(
        w.path(),
        "trailing-bomb.tar",
        &archive_with(&[gz.finish().unwrap()], &[id], &[]),
    );
    refuses(&p, &["analyze"], "its compressed stream goes on");
}

#[test]
fn huge_extension_headers_are_refused() {
    let w = temp_dir("hostile");
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::XHeader);
    h.set_size(8 << 30);
    h.set_path("PaxHeaders/x").unwrap();
    h.set_cksum();
    let mut l = h.as_bytes().to_vec();
    l.extend_from_slice(&vec![b'1'; 1 << 20]);
    l.extend_from_slice(&[0u8; 1024]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&l).unwrap();
    let p = write(
        w.path(),
        "pax.tar",
        &archive_with(
            &[gz.finish().unwrap()],
            &[format!("sha256:{}", sha256_hex(&l))],
            &[],
        ),
    );
    refuses(
        &p,
        &["analyze"],
        "extension header (type 'x') declares 8589934592 bytes",
    );
}

#[test]
fn deep_paths_and_many_entries_are_bounded() {
    let w = temp_dir("hostile");
    // 10,000 levels deep: longer than the path limit, refused by name.
    let deep = vec!["d"; 10_000].join("/");
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_cksum();
    b.append_data(&mut h, &deep, &b"x"[..]).unwrap();
    let l = b.into_inner().unwrap();
    refuses(
        &write(w.path(), "deep.tar", &archive(&[l])),
        &["analyze"],
        "entry path longer than 16384 bytes",
    );
    // 2,000 levels deep works (4 KB path) and exports.
    let deep = vec!["d"; 2_000].join("/");
    let mut b = tar::Builder::new(Vec::new());
    b.append_data(&mut h, &deep, &b"x"[..]).unwrap();
    let p = write(
        w.path(),
        "deep-ok.tar",
        &archive(&[b.into_inner().unwrap()]),
    );
    accepts(&p, &["analyze"]);
    accepts(
        &p,
        &["export", "-o", w.path().join("deep.out").to_str().unwrap()],
    );
    // Many tiny entries (300,000: a million takes minutes in a debug build): refused by the
    // entry limit, quickly and by name.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut hdr = tar::Header::new_gnu();
    hdr.set_size(0);
    hdr.set_mode(0o644);
    hdr.set_uid(0);
    hdr.set_gid(0);
    hdr.set_mtime(0);
    for i in 0..300_000u32 {
        hdr.set_path(format!("f/{i}")).unwrap();
        hdr.set_cksum();
        gz.write_all(hdr.as_bytes()).unwrap();
    }
    gz.write_all(&[0u8; 1024]).unwrap();
    let p = write(
        w.path(),
        "many.tar",
        &archive_with(
            &[gz.finish().unwrap()],
            &["sha256:".to_string() + &"0".repeat(64)],
            &[],
        ),
    );
    refuses(
        &p,
        &["analyze", "--max-entries", "100000"],
        "more than 100000 entries",
    );
    // Within the default limits it is indexed, and memory stays proportional to entries.
    let out = output(
        std::process::Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(crate::util::layerlens_bin())
            .arg("analyze")
            .arg(&p),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rss_kb: u64 = String::from_utf8_lossy(&out.stderr)
        .trim()
        .lines()
        .last()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(rss_kb < 500_000, "300,000 entries took {rss_kb} KB");
}

#[test]
fn member_symlink_cycles_are_detected() {
    let w = temp_dir("hostile");
    let mut b = tar::Builder::new(Vec::new());
    for (name, target) in [
        ("a/layer.tar", "../b/layer.tar"),
        ("b/layer.tar", "../a/layer.tar"),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, name, target).unwrap();
    }
    let mut h = tar::Header::new_gnu();
    let m = br#"[{"Config":"c.json","Layers":["a/layer.tar"]}]"#;
    h.set_size(m.len() as u64);
    h.set_cksum();
    b.append_data(&mut h, "manifest.json", &m[..]).unwrap();
    let c = br#"{"rootfs":{"diff_ids":[]}}"#;
    h.set_size(c.len() as u64);
    h.set_cksum();
    b.append_data(&mut h, "c.json", &c[..]).unwrap();
    refuses(
        &write(w.path(), "cycle.tar", &b.into_inner().unwrap()),
        &["analyze"],
        "symlinks loop",
    );
}

#[test]
fn non_utf8_names_are_kept_byte_exact() {
    let w = temp_dir("hostile");
    let name: &[u8] = b"caf\xe9-\x1b[2J.txt";
    let p = write(
        w.path(),
        "latin1.tar",
        &archive(&[layer(&[(name, b'0', b"", b"bytes")])]),
    );
    let shown = accepts(&p, &["analyze", "--json"]);
    assert!(
        !shown.contains('\x1b'),
        "a control character reached the terminal"
    );
    let out = w.path().join("export.tar");
    accepts(&p, &["export", "-o", out.to_str().unwrap()]);
    let exported = std::fs::read(&out).unwrap();
    let mut ar = tar::Archive::new(exported.as_slice());
    let e = ar.entries().unwrap().next().unwrap().unwrap();
    assert_eq!(&*e.path_bytes(), name);
}
