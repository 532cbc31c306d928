//! Issue 13, "see inside": `cat`, `extract` and `diff` against real tools.
//!
//! - `cat IMAGE PATH --layer N` gives the bytes GNU tar extracts (`tar -xO`) from the layer
//!   blob that wrote the file (blobs decompressed by the real gzip and zstd), and the bytes of
//!   the file in `umoci unpack` of an OCI layout whose manifest lists only layers `0..=N`
//!   (symlinks resolved inside that rootfs): text, binary, hardlinked files, symlinks, files a
//!   later layer deletes, gzip and zstd layers, long and non-UTF-8 names.
//! - `extract IMAGE PATH --layer N`, unpacked, equals the same subtree of umoci's rootfs of
//!   layers `0..=N`, and of GNU tar extracting the blobs `0..=N` in order where no whiteout
//!   is involved.
//! - `diff --from N --to M PATH` prints the hunks `diff -u` prints for the two versions as
//!   umoci unpacks them (a passwd changed by busybox's `adduser` in a buildah-built image).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::reference::{self, RefImage};
use crate::rootfs::{Compare, Tree};
use crate::util::{self, fixture, layerlens, output, run, temp_dir};

/// One file read at one layer, and where its bytes really are.
struct Cat {
    fixture: &'static str,
    path: &'static [u8],
    layer: usize,
    /// The layer whose blob holds the bytes, and the member's name there.
    source: (usize, &'static [u8]),
}

const CATS: &[Cat] = &[
    // Text; overwritten by layer 2, read at its own layer.
    Cat {
        fixture: "built/tiny.docker.tar",
        path: b"/hello.txt",
        layer: 0,
        source: (0, b"hello.txt"),
    },
    Cat {
        fixture: "built/tiny.oci.tar",
        path: b"/hello.txt",
        layer: 2,
        source: (2, b"hello.txt"),
    },
    Cat {
        fixture: "built/tiny.oci-uncompressed.tar",
        path: b"etc/os-release",
        layer: 2,
        source: (0, b"etc/os-release"),
    },
    // Binary.
    Cat {
        fixture: "built/whiteouts.docker.tar",
        path: b"/bin/busybox",
        layer: 4,
        source: (0, b"bin/busybox"),
    },
    // Through a symlink (`/bin/sh -> /bin/busybox`).
    Cat {
        fixture: "built/whiteouts.oci.tar",
        path: b"/bin/sh",
        layer: 1,
        source: (0, b"bin/busybox"),
    },
    // Deleted by layer 3, read at layer 2, from a gzip layer.
    Cat {
        fixture: "built/whiteouts.oci.tar",
        path: b"/data/delfile",
        layer: 2,
        source: (2, b"data/delfile"),
    },
    Cat {
        fixture: "built/whiteouts_vfs.oci.tar",
        path: b"/data/opaquedir/old/x",
        layer: 2,
        source: (2, b"data/opaquedir/old/x"),
    },
    Cat {
        fixture: "built/whiteouts.docker.tar",
        path: "/data/unicode_ñandú_日本語_😀.txt".as_bytes(),
        layer: 2,
        source: (2, "data/unicode_ñandú_日本語_😀.txt".as_bytes()),
    },
    // Hardlinks: across layers, and one that replaced a lower file.
    Cat {
        fixture: "built/whiteouts.docker.tar",
        path: b"/data/hardlink_cross_layer",
        layer: 3,
        source: (2, b"data/hardlink_same_layer"),
    },
    Cat {
        fixture: "built/whiteouts.oci.tar",
        path: b"/data/hl_victim",
        layer: 4,
        source: (2, b"data/hardlink_same_layer"),
    },
    Cat {
        fixture: "built/whiteouts.oci.tar",
        path: b"/data/hl_victim",
        layer: 2,
        source: (2, b"data/hl_victim"),
    },
    // A symlink retargeted by layer 3, read on both sides.
    Cat {
        fixture: "built/whiteouts_vfs.oci-uncompressed.tar",
        path: b"/data/symlink_rel",
        layer: 2,
        source: (2, b"data/hardlink_same_layer"),
    },
    Cat {
        fixture: "built/whiteouts_vfs.oci-uncompressed.tar",
        path: b"/data/symlink_rel",
        layer: 4,
        source: (4, b"data/overwrite.txt"),
    },
    // A 4 MiB mostly-zero file and a 134-character name.
    Cat {
        fixture: "built/whiteouts.oci.tar",
        path: b"/data/sparse.bin",
        layer: 4,
        source: (2, b"data/sparse.bin"),
    },
    Cat {
        fixture: "built/whiteouts.docker.tar",
        path: b"/data/long_name_000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000.txt",
        layer: 2,
        source: (2, b"data/long_name_000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000.txt"),
    },
    // zstd (BuildKit) and Docker 18's own layout; a file `rm -rf` removes in layer 9.
    Cat {
        fixture: "real/dive/test-oci-zstd-image.tar",
        path: b"/README.md",
        layer: 0,
        source: (0, b"README.md"),
    },
    Cat {
        fixture: "real/dive/test-docker-image.tar",
        path: b"/root/example/somefile1.txt",
        layer: 4,
        source: (4, b"root/example/somefile1.txt"),
    },
];

/// `layerlens cat` of `path` after `layer`.
fn cat(image: &Path, path: &[u8], layer: Option<usize>) -> std::process::Output {
    let mut c = layerlens();
    c.arg("cat").arg(image).arg(OsStr::from_bytes(path));
    if let Some(l) = layer {
        c.args(["--layer", &l.to_string()]);
    }
    output(&mut c)
}

fn cat_ok(image: &Path, path: &[u8], layer: Option<usize>) -> Vec<u8> {
    let out = cat(image, path, layer);
    assert!(
        out.status.success(),
        "layerlens cat {} {} --layer {layer:?}: {}",
        image.display(),
        String::from_utf8_lossy(path),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// GNU tar's bytes of `member` (matched after normalising `./` and `/`) in a layer blob.
fn gnu_tar_member(blob: &[u8], member: &[u8], scratch: &Path) -> Vec<u8> {
    let plain = reference::decompress(blob, scratch);
    let name = reference::gnu_tar_list(&plain, scratch)
        .into_iter()
        .map(|e| e.name)
        .rfind(|n| reference::normalise(n) == member)
        .unwrap_or_else(|| panic!("no member {} in the blob", String::from_utf8_lossy(member)));
    let p = scratch.join(format!("plain-{}.tar", util::sha256_hex(&plain)));
    std::fs::write(&p, &plain).unwrap();
    // One occurrence: the fixtures name no path twice in a layer.
    run(util::peer_cmd("tar")
        .args([
            "--extract",
            "--to-stdout",
            "--no-wildcards",
            "--occurrence=1",
        ])
        .arg("-f")
        .arg(&p)
        .arg("--")
        .arg(OsStr::from_bytes(&name)))
}

/// The rootfs `umoci unpack` makes of layers `0..=last` of `img`: skopeo copies the image into
/// an OCI layout, then a manifest (and config) listing only those layers is added and unpacked.
pub fn umoci_upto(img: &RefImage, last: usize, work: &Path, label: &str) -> PathBuf {
    util::require_root();
    let layout = work.join(format!("{label}-oci"));
    let bundle = work.join(format!("{label}-bundle-{last}"));
    if bundle.exists() {
        return bundle.join("rootfs");
    }
    if !layout.exists() {
        let mut copy = util::peer_cmd("skopeo");
        copy.args(["copy", "--quiet"]);
        if crate::export::has_zstd(img) {
            // umoci 0.4.7 reads no zstd: skopeo recompresses (see peers::umoci_rootfs).
            copy.args(["--dest-compress-format", "gzip"]);
        }
        copy.arg(&img.skopeo_ref)
            .arg(format!("oci:{}:img", layout.display()));
        run(&mut copy);
    }
    let read = |digest: &str| -> Vec<u8> {
        let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
        std::fs::read(layout.join("blobs/sha256").join(hex)).expect("blob")
    };
    let write = |bytes: &[u8]| -> (String, usize) {
        let hex = util::sha256_hex(bytes);
        std::fs::write(layout.join("blobs/sha256").join(&hex), bytes).unwrap();
        (format!("sha256:{hex}"), bytes.len())
    };
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let top = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == "img")
        .expect("the copied image in index.json")
        .clone();
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&read(top["digest"].as_str().unwrap())).unwrap();
    let mut config: serde_json::Value =
        serde_json::from_slice(&read(manifest["config"]["digest"].as_str().unwrap())).unwrap();
    let keep = last + 1;
    manifest["layers"] =
        serde_json::Value::Array(manifest["layers"].as_array().unwrap()[..keep].to_vec());
    config["rootfs"]["diff_ids"] =
        serde_json::Value::Array(config["rootfs"]["diff_ids"].as_array().unwrap()[..keep].to_vec());
    config.as_object_mut().unwrap().remove("history");
    let (cd, cs) = write(&serde_json::to_vec(&config).unwrap());
    manifest["config"]["digest"] = cd.into();
    manifest["config"]["size"] = cs.into();
    let (md, ms) = write(&serde_json::to_vec(&manifest).unwrap());
    let tag = format!("upto{last}");
    let mut index = index.clone();
    let mut entry = top.clone();
    entry["digest"] = md.into();
    entry["size"] = ms.into();
    entry["annotations"]["org.opencontainers.image.ref.name"] = tag.clone().into();
    index["manifests"].as_array_mut().unwrap().push(entry);
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    run(util::peer_cmd("umoci")
        .args(["unpack", "--image"])
        .arg(format!("{}:{tag}", layout.display()))
        .arg(&bundle));
    bundle.join("rootfs")
}

/// Reads `path` inside `root` as the container would: symlinks resolved against `root`.
fn read_inside(root: &Path, path: &[u8]) -> Vec<u8> {
    let mut pending: Vec<Vec<u8>> = path
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(<[u8]>::to_vec)
        .collect();
    let mut here: Vec<Vec<u8>> = Vec::new();
    let mut links = 0;
    while let Some(c) = pending.pop() {
        if c == b".." {
            here.pop();
            continue;
        }
        let mut p = root.to_path_buf();
        for h in &here {
            p.push(OsStr::from_bytes(h));
        }
        p.push(OsStr::from_bytes(&c));
        let meta = std::fs::symlink_metadata(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        if meta.file_type().is_symlink() {
            links += 1;
            assert!(links < 40, "symlink loop at {}", p.display());
            let target = std::fs::read_link(&p).unwrap();
            let t = target.as_os_str().as_bytes();
            if t.first() == Some(&b'/') {
                here.clear();
            }
            pending.extend(
                t.split(|&b| b == b'/')
                    .filter(|c| !c.is_empty())
                    .rev()
                    .map(<[u8]>::to_vec),
            );
            continue;
        }
        here.push(c);
    }
    let mut p = root.to_path_buf();
    for h in &here {
        p.push(OsStr::from_bytes(h));
    }
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn cat_gives_the_bytes_gnu_tar_and_umoci_give() {
    let work = temp_dir("cat");
    let mut failures = Vec::new();
    for (i, c) in CATS.iter().enumerate() {
        let image = fixture(c.fixture);
        let img = &reference::images(&image)[0];
        let got = cat_ok(&image, c.path, Some(c.layer));
        let shown = String::from_utf8_lossy(c.path);
        let tar = gnu_tar_member(&img.layers[c.source.0], c.source.1, work.path());
        if got != tar {
            failures.push(format!(
                "{} {shown} --layer {}: {} bytes, GNU tar gives {} bytes",
                c.fixture,
                c.layer,
                got.len(),
                tar.len()
            ));
        }
        let rootfs = umoci_upto(img, c.layer, work.path(), &format!("c{i}"));
        let unpacked = read_inside(&rootfs, c.path);
        if got != unpacked {
            failures.push(format!(
                "{} {shown} --layer {}: differs from umoci's unpack of layers 0..={}",
                c.fixture, c.layer, c.layer
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cat_defaults_to_the_final_filesystem() {
    let image = fixture("built/whiteouts.docker.tar");
    assert_eq!(cat_ok(&image, b"/data/overwrite.txt", None), b"v3\n");
    assert_eq!(
        cat_ok(&image, b"/data/overwrite.txt", Some(3)),
        b"v2-longer-content\n"
    );
}

#[test]
fn cat_refuses_directories_missing_paths_and_links_out_of_the_image() {
    let image = fixture("built/whiteouts.docker.tar");
    for (path, layer, expect) in [
        (&b"/data"[..], None, "is a directory"),
        (b"/data/delfile", Some(3), "no such file"),
        (b"/nowhere", None, "no such file"),
        (b"/data/symlink_dangling", None, "no such file"),
        (b"/data/fifo", None, "not a regular file"),
        (b"/data/setuid/x", None, "not a directory"),
        (b"/../etc/passwd", None, "leaves the image"),
    ] {
        let out = cat(&image, path, layer);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}: {err}",
            String::from_utf8_lossy(path)
        );
        assert!(
            err.contains(expect),
            "{}: {err}",
            String::from_utf8_lossy(path)
        );
        assert!(out.stdout.is_empty());
    }
    // A link climbing out of the image, in a layer made here.
    let work = temp_dir("cat-escape");
    let link = crate::hostile::layer(&[
        (b"etc/", b'5', b"", b""),
        (b"etc/up", b'2', b"../../../host/secret", b""),
    ]);
    let p = crate::hostile::write(work.path(), "up.tar", &crate::hostile::archive(&[link]));
    let out = cat(&p, b"/etc/up", None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("leaves the image"));
}

#[test]
fn non_utf8_names_are_read_byte_exact() {
    let work = temp_dir("cat-latin1");
    let l0 = crate::hostile::layer(&[
        (b"caf\xe9.txt", b'0', b"", b"version one\n"),
        (b"d\xff/", b'5', b"", b""),
        (b"d\xff/f", b'0', b"", b"\x00\x01binary"),
    ]);
    let l1 = crate::hostile::layer(&[(b"caf\xe9.txt", b'0', b"", b"version two\n")]);
    let p = crate::hostile::write(
        work.path(),
        "latin1.tar",
        &crate::hostile::archive(&[l0.clone(), l1]),
    );
    let img = &reference::images(&p)[0];
    for (path, layer, source) in [
        (&b"/caf\xe9.txt"[..], 0, 0),
        (b"/caf\xe9.txt", 1, 1),
        (b"/d\xff/f", 1, 0),
    ] {
        let got = cat_ok(&p, path, Some(layer));
        let member = reference::normalise(path);
        assert_eq!(
            got,
            gnu_tar_member(&img.layers[source], &member, work.path())
        );
        let rootfs = umoci_upto(img, layer, work.path(), "latin1");
        assert_eq!(got, read_inside(&rootfs, path));
    }
    // extract keeps the name's bytes.
    let out = work.path().join("x.tar");
    run(layerlens()
        .arg("extract")
        .arg(&p)
        .arg(OsStr::from_bytes(b"/d\xff"))
        .arg("-o")
        .arg(&out));
    let tree = Tree::from_tar(std::fs::File::open(&out).unwrap());
    assert!(
        tree.nodes.contains_key(&b"d\xff/f"[..]),
        "{:?}",
        tree.nodes.keys()
    );
}

/// One subtree extracted at one layer.
struct Extract {
    fixture: &'static str,
    path: &'static str,
    layer: usize,
    /// No whiteout touches layers `0..=layer`: GNU tar extracting them in order is a reference.
    plain: bool,
}

const EXTRACTS: &[Extract] = &[
    Extract {
        fixture: "built/whiteouts.docker.tar",
        path: "/data",
        layer: 2,
        plain: true,
    },
    Extract {
        fixture: "built/whiteouts.oci.tar",
        path: "/data",
        layer: 3,
        plain: false,
    },
    Extract {
        fixture: "built/whiteouts_vfs.oci-uncompressed.tar",
        path: "/data",
        layer: 4,
        plain: false,
    },
    Extract {
        fixture: "built/tiny.oci.tar",
        path: "/",
        layer: 1,
        plain: true,
    },
    Extract {
        fixture: "built/tiny_umoci.oci.tar",
        path: "/etc",
        layer: 0,
        plain: true,
    },
    Extract {
        fixture: "real/dive/test-docker-image.tar",
        path: "/root",
        layer: 8,
        plain: false,
    },
    Extract {
        fixture: "real/dive/test-oci-zstd-image.tar",
        path: "/README.md",
        layer: 0,
        plain: true,
    },
];

/// Unpacks a tar with GNU tar into `dir` (as root: owners, modes, xattrs kept).
fn gnu_untar(tar: &Path, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    run(util::peer_cmd("tar")
        .args([
            "--extract",
            "--same-owner",
            "--preserve-permissions",
            "--xattrs",
            "--xattrs-include=*",
            "--numeric-owner",
        ])
        .arg("-f")
        .arg(tar)
        .arg("-C")
        .arg(dir));
}

/// The subtree at `rel` of a tree read from a directory, as a tree of its own.
fn subtree(root: &Path, rel: &str) -> Tree {
    let rel = rel.trim_start_matches('/');
    let at = root.join(rel);
    if std::fs::symlink_metadata(&at).is_ok_and(|m| m.is_dir()) {
        Tree::from_dir(&at)
    } else {
        // A single file: the tree of its parent, narrowed to it.
        let mut t = Tree::from_dir(at.parent().unwrap());
        let name = at.file_name().unwrap().as_bytes().to_vec();
        t.nodes.retain(|k, _| *k == name);
        t.groups.clear();
        t
    }
}

#[test]
fn extract_equals_umoci_and_gnu_tar_unpacks() {
    let work = temp_dir("extract");
    for (i, x) in EXTRACTS.iter().enumerate() {
        let image = fixture(x.fixture);
        let img = &reference::images(&image)[0];
        let out = work.path().join(format!("x{i}.tar"));
        run(layerlens()
            .arg("extract")
            .arg(&image)
            .arg(x.path)
            .args(["--layer", &x.layer.to_string()])
            .arg("-o")
            .arg(&out));
        let mine = work.path().join(format!("x{i}-mine"));
        gnu_untar(&out, &mine);
        let got = subtree(&mine, x.path);
        let label = format!(
            "layerlens extract {} {} --layer {}",
            x.fixture, x.path, x.layer
        );
        let cmp = Compare {
            mtime: true,
            xattrs: true,
            implicit_dirs: Default::default(),
        };
        let rootfs = umoci_upto(img, x.layer, work.path(), &format!("x{i}"));
        got.assert_same(
            &label,
            &subtree(&rootfs, x.path),
            &format!("umoci unpack of layers 0..={}", x.layer),
            &Compare {
                implicit_dirs: crate::export::unlisted_dirs(img, &got, work.path()),
                ..cmp.clone()
            },
        );
        if x.plain {
            let theirs = work.path().join(format!("x{i}-gnu"));
            for blob in &img.layers[..=x.layer] {
                let plain = reference::decompress(blob, work.path());
                let p = work.path().join(format!("x{i}-layer.tar"));
                std::fs::write(&p, plain).unwrap();
                gnu_untar(&p, &theirs);
            }
            got.assert_same(
                &label,
                &subtree(&theirs, x.path),
                &format!("GNU tar extracting layers 0..={}", x.layer),
                &cmp,
            );
        }
    }
}

#[test]
fn extract_of_a_hardlink_whose_inode_is_outside_gives_a_file() {
    let work = temp_dir("extract-link");
    let image = fixture("built/whiteouts.docker.tar");
    let out = work.path().join("one.tar");
    run(layerlens()
        .arg("extract")
        .arg(&image)
        .arg("/data/hardlink_cross_layer")
        .arg("-o")
        .arg(&out));
    let t = Tree::from_tar(std::fs::File::open(&out).unwrap());
    let node = &t.nodes[&b"data/hardlink_cross_layer"[..]];
    assert_eq!(node.kind, crate::rootfs::Kind::File);
    assert_eq!(
        cat_ok(&image, b"/data/hardlink_cross_layer", None),
        b"orig\n"
    );
}

#[test]
fn diff_lists_what_a_range_of_layers_changes() {
    let image = fixture("built/whiteouts.docker.tar");
    let out = output(
        layerlens()
            .arg("diff")
            .arg(&image)
            .args(["--from", "3", "--to", "4"]),
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            "+ /data/deldir",
            "+ /data/deldir/newfile",
            "+ /data/delfile",
            "~ /data/overwrite.txt",
            "- /emptydir"
        ]
    );
    // The same range twice: nothing differs.
    let same = output(
        layerlens()
            .arg("diff")
            .arg(&image)
            .args(["--from", "4", "--to", "4"]),
    );
    assert_eq!(same.status.code(), Some(0));
    assert!(same.stdout.is_empty());
    // From the empty filesystem: everything is added; the other way, removed.
    let all = output(
        layerlens()
            .arg("diff")
            .arg(&image)
            .args(["--from", "empty", "--to", "1"]),
    );
    let up = String::from_utf8(all.stdout).unwrap();
    assert!(up.lines().all(|l| l.starts_with("+ ")), "{up}");
    let down = output(
        layerlens()
            .arg("diff")
            .arg(&image)
            .args(["--from", "1", "--to", "empty"]),
    );
    let down = String::from_utf8(down.stdout).unwrap();
    assert_eq!(up.lines().count(), down.lines().count());
    assert!(down.lines().all(|l| l.starts_with("- ")), "{down}");
}

#[test]
fn range_diff_equals_comparing_umoci_unpacks() {
    // Layers 2..=4 of the whiteouts image together, against umoci's rootfs after 1 and 4.
    let work = temp_dir("range");
    for fx in ["built/whiteouts.oci.tar", "built/whiteouts_vfs.docker.tar"] {
        let image = fixture(fx);
        let img = &reference::images(&image)[0];
        let out = output(
            layerlens()
                .arg("diff")
                .arg(&image)
                .args(["--from", "1", "--to", "4"]),
        );
        assert_eq!(out.status.code(), Some(1));
        let listed: std::collections::BTreeMap<Vec<u8>, char> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let (mark, rest) = l.split_at(2);
                let path = rest.split('\t').next().unwrap();
                (
                    path.trim_start_matches('/').as_bytes().to_vec(),
                    mark.chars().next().unwrap(),
                )
            })
            .collect();
        let label = fx.replace(['/', '.'], "-");
        let below = Tree::from_dir(&umoci_upto(img, 1, work.path(), &label));
        let after = Tree::from_dir(&umoci_upto(img, 4, work.path(), &label));
        let mut want = std::collections::BTreeMap::new();
        for (p, n) in &after.nodes {
            match below.nodes.get(p) {
                None => {
                    want.insert(p.clone(), '+');
                }
                Some(o) if o != n => {
                    want.insert(p.clone(), '~');
                }
                _ => {}
            }
        }
        for p in below.nodes.keys() {
            if !after.nodes.contains_key(p) {
                want.insert(p.clone(), '-');
            }
        }
        // Paths layerlens lists as changed whose unpacked state is equal (a directory whose
        // mtime umoci cannot keep, a file rewritten with identical attributes) must be `~`.
        for (p, m) in &listed {
            match want.get(p) {
                Some(w) => assert_eq!(m, w, "{fx}: {}", String::from_utf8_lossy(p)),
                None => assert_eq!(*m, '~', "{fx}: {}", String::from_utf8_lossy(p)),
            }
        }
        for (p, w) in &want {
            if *w == '~' && below.nodes[p].kind == crate::rootfs::Kind::Dir {
                continue; // directory mtimes: umoci sets them as it unpacks
            }
            assert!(
                listed.contains_key(p),
                "{fx}: {} ({w}) not listed",
                String::from_utf8_lossy(p)
            );
        }
    }
}

#[test]
fn text_diff_matches_diff_u_of_umoci_unpacks() {
    let work = temp_dir("diff-u");
    let image = crate::buildah::archive(&crate::buildah::PASSWD_CHANGED, "vfs", work.path());
    let img = &reference::images(&image)[0];
    let last = img.layers.len() - 1;
    let old = read_inside(
        &umoci_upto(img, last - 1, work.path(), "pw"),
        b"/etc/passwd",
    );
    let new = read_inside(&umoci_upto(img, last, work.path(), "pw"), b"/etc/passwd");
    assert_ne!(old, new, "adduser did not change /etc/passwd");
    let (a, b) = (work.path().join("old"), work.path().join("new"));
    std::fs::write(&a, &old).unwrap();
    std::fs::write(&b, &new).unwrap();
    let reference = output(util::peer_cmd("diff").arg("-u").arg(&a).arg(&b));
    assert_eq!(reference.status.code(), Some(1));
    let mine = output(
        layerlens()
            .arg("diff")
            .arg(&image)
            .args(["--to", &last.to_string()])
            .arg("/etc/passwd"),
    );
    assert_eq!(
        mine.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&mine.stderr)
    );
    // The `---` / `+++` lines name different files; the hunks must be the same.
    let hunks = |o: &[u8]| -> String {
        String::from_utf8_lossy(o)
            .lines()
            .skip(2)
            .map(|l| format!("{l}\n"))
            .collect()
    };
    assert_eq!(hunks(&mine.stdout), hunks(&reference.stdout));
    assert!(hunks(&mine.stdout).contains("+app:x:"));
    // Nothing differs in a file the layer left alone.
    let same = output(
        layerlens()
            .arg("diff")
            .arg(&image)
            .args(["--to", &last.to_string()])
            .arg("/bin/busybox"),
    );
    assert_eq!(same.status.code(), Some(0));
}

#[test]
fn history_as_dockerfile_names_every_step_and_layer() {
    let image = fixture("built/tiny.docker.tar");
    let out = run(layerlens().arg("history").arg(&image).arg("--dockerfile"));
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let wanted_steps = [
        "COPY dir:b34162185280d822c98b3f16ff0d8b2d628b3e6862402d00bb2170c55bd6f7f4 /",
        "ENV TINY=1",
        "COPY dir:98faf1f71a2a12ac440da07ca2e539240036e632ba3d0a292ac6173f60cd15d8 /app/",
        "COPY file:ac1bb9c678d16c54164737d0f0854991e0d9fbf5d0310ea1cbc1f8c7245307e0 /hello.txt",
        "LABEL org.example.fixture=tiny",
        "CMD [\"/hello.txt\"]",
    ];
    let steps: Vec<&str> = lines.iter().skip(1).step_by(2).copied().collect();
    assert_eq!(steps, wanted_steps, "{text}");
    let marks: Vec<&str> = lines
        .iter()
        .step_by(2)
        .map(|l| l.split(" (").next().unwrap())
        .collect();
    assert_eq!(
        marks,
        [
            "# layer 0",
            "# empty layer",
            "# layer 1",
            "# layer 2",
            "# empty layer",
            "# empty layer"
        ]
    );
}
