//! Images built here with buildah for the union-filesystem edge cases, on both storage
//! drivers: `overlay` (diffs the way Docker's overlay2 does: opaque directories, copy-up) and
//! `vfs` (a naive directory diff: one `.wh.` per removed entry). Each image is built once per
//! test process (`buildah bud --layers --no-cache --isolation chroot`, a private
//! `--root`/`--runroot`), pushed to a docker-archive, kept in memory and the buildah store
//! removed. For every image:
//!
//! - `analyze`: layerlens's listing of every layer agrees with GNU tar's (as for the fixtures);
//! - `export`: the exported rootfs equals umoci's (the same check as for the shared fixtures);
//! - `squash`: a full squash and a squash `--from` every layer above the busybox base pass all
//!   of `squash::Squash::check` (skopeo, umoci, podman, plan size, determinism, config);
//! - the unpacked original has the state the Containerfile meant to produce, so a broken build
//!   cannot make the comparisons vacuous.
//!
//! Every image starts `FROM scratch` with busybox-static's `/bin/busybox` and its applets
//! (layers 0 and 1), so `RUN` steps have a shell.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use crate::peers;
use crate::reference;
use crate::rootfs::{Kind, Tree};
use crate::squash::{panic_message, Squash};
use crate::util::{self, run, temp_dir};

/// One image to build: the steps after the busybox base, files for the build context, and
/// what the final rootfs must look like.
pub struct Case {
    name: &'static str,
    steps: &'static str,
    context: fn(&Path),
    expect: fn(&Tree),
}

const BASE: &str = "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n";

fn no_context(_: &Path) {}

/// A hardlink whose target a later layer deletes: in one layer (`link1`) and across layers
/// (`link2`, which overlay's copy-up records next to a re-sent `target2`).
pub static HARDLINK_TARGET_DELETED: Case = Case {
    name: "hardlink_target_deleted",
    steps: r#"
RUN mkdir -p /hl && echo "same layer" > /hl/target1 && ln /hl/target1 /hl/link1
RUN echo "cross layer" > /hl/target2
RUN ln /hl/target2 /hl/link2 && rm /hl/target1
RUN rm /hl/target2
"#,
    context: no_context,
    expect: |t| {
        file(t, "hl/link1", b"same layer\n");
        file(t, "hl/link2", b"cross layer\n");
        absent(t, "hl/target1");
        absent(t, "hl/target2");
    },
};

/// A passwd file changed in the last layer as `useradd` changes it (a user appended) plus an
/// edited line (busybox-static has no `adduser`): `see_inside` compares `layerlens diff`
/// with `diff -u` on it.
pub static PASSWD_CHANGED: Case = Case {
    name: "passwd_changed",
    steps: r#"
RUN mkdir -p /etc && printf 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\n' > /etc/passwd && printf 'root:x:0:\ndaemon:x:1:\n' > /etc/group && touch /etc/shadow
RUN echo 'app:x:1000:1000:app:/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group && sed -i 's,daemon:/usr/sbin:/bin/false,daemon:/usr/sbin:/usr/sbin/nologin,' /etc/passwd
"#,
    context: no_context,
    expect: |t| {
        kind(t, "etc/passwd", Kind::File);
    },
};

/// A directory replaced by a file and back, and a file replaced by a directory and back.
pub static DIR_FILE_DIR: Case = Case {
    name: "dir_file_dir",
    steps: r#"
RUN mkdir -p /p/sub && echo x > /p/sub/f && echo y > /p/g && echo "a file" > /q
RUN rm -rf /p && echo "now a file" > /p && rm /q && mkdir -p /q/d && echo in > /q/d/f
RUN rm /p && mkdir -p /p/new && echo z > /p/new/h && rm -rf /q && echo "a file again" > /q
"#,
    context: no_context,
    expect: |t| {
        kind(t, "p", Kind::Dir);
        file(t, "p/new/h", b"z\n");
        absent(t, "p/sub");
        absent(t, "p/g");
        file(t, "q", b"a file again\n");
        absent(t, "q/d");
    },
};

/// A directory removed and re-created (overlay writes an opaque marker), then filled again by
/// a later layer.
pub static OPAQUE_REFILLED: Case = Case {
    name: "opaque_refilled",
    steps: r#"
RUN mkdir -p /o/a/deep /o/b && echo 1 > /o/a/deep/x && echo 2 > /o/keep && echo 3 > /o/b/y
RUN rm -rf /o && mkdir -p /o/a && echo new > /o/a/z && echo 4 > /o/keep
RUN echo 5 > /o/later && mkdir -p /o/b && echo 6 > /o/b/w
"#,
    context: no_context,
    expect: |t| {
        file(t, "o/a/z", b"new\n");
        file(t, "o/keep", b"4\n");
        file(t, "o/later", b"5\n");
        file(t, "o/b/w", b"6\n");
        absent(t, "o/a/deep");
        absent(t, "o/b/y");
    },
};

/// Files and a directory deleted from the layer that created them; a squash `--from` above
/// that layer keeps them and must keep their whiteouts.
pub static DELETED_FROM_BASE: Case = Case {
    name: "deleted_from_base",
    steps: r#"
RUN echo base > /base_file && mkdir -p /base_dir/sub && echo q > /base_dir/sub/q && echo keep > /keep
RUN rm /base_file && rm -rf /base_dir
RUN echo top > /top
"#,
    context: no_context,
    expect: |t| {
        absent(t, "base_file");
        absent(t, "base_dir");
        file(t, "keep", b"keep\n");
        file(t, "top", b"top\n");
    },
};

/// A file replaced by a hardlink to another file, then that file's name re-pointed at a third
/// inode (`ln -f`), which leaves `victim` alone with the old content.
pub static HARDLINK_OVERWRITES_FILE: Case = Case {
    name: "hardlink_overwrites_file",
    steps: r#"
RUN mkdir /h && echo src > /h/src && echo "victim, to be replaced" > /h/victim
RUN rm /h/victim && ln /h/src /h/victim
RUN echo v2 > /h/other && ln -f /h/other /h/src
"#,
    context: no_context,
    expect: |t| {
        file(t, "h/victim", b"src\n");
        file(t, "h/src", b"v2\n");
        file(t, "h/other", b"v2\n");
        linked(t, &["h/other", "h/src"]);
        assert!(
            !t.groups.contains_key(b"h/victim".as_slice()),
            "/h/victim should have one link"
        );
    },
};

/// Symlinks whose target a later layer deletes: they must survive, dangling.
pub static DANGLING_SYMLINK: Case = Case {
    name: "dangling_symlink",
    steps: r#"
RUN mkdir /s && echo t > /s/target && ln -s /s/target /s/abs && ln -s target /s/rel && mkdir /s/dir && ln -s dir /s/dirlink
RUN rm /s/target && rmdir /s/dir
"#,
    context: no_context,
    expect: |t| {
        symlink(t, "s/abs", b"/s/target");
        symlink(t, "s/rel", b"target");
        symlink(t, "s/dirlink", b"dir");
        absent(t, "s/target");
        absent(t, "s/dir");
    },
};

/// setuid, setgid and sticky bits, a file capability (`security.capability`, as
/// `setcap cap_net_raw+ep` writes it) and a `user.*` xattr. busybox has no setfattr/setcap,
/// so the xattrs are set on the build context and `COPY` carries them into the layer (buildah
/// writes them as PAX `SCHILY.xattr.*` records); the `RUN chmod` layer re-sends the files.
pub static SETUID_XATTR: Case = Case {
    name: "setuid_xattr",
    steps: r#"
COPY capfile userx /x/
RUN chmod 4755 /x/capfile && chmod 2755 /x/userx && mkdir -m 1777 /x/sticky && echo g > /x/setgid && chmod 2711 /x/setgid
"#,
    context: |dir| {
        std::fs::write(dir.join("capfile"), b"pretend binary\n").unwrap();
        std::fs::write(dir.join("userx"), b"has a user xattr\n").unwrap();
        xattr::set(dir.join("capfile"), "security.capability", &NET_RAW_EP)
            .expect("setting security.capability (are we root?)");
        xattr::set(dir.join("userx"), "user.note", b"hello")
            .expect("setting user.note (does the temp dir's filesystem support user xattrs?)");
    },
    expect: |t| {
        mode(t, "x/capfile", 0o4755);
        mode(t, "x/userx", 0o2755);
        mode(t, "x/sticky", 0o1777);
        mode(t, "x/setgid", 0o2711);
        xattr(t, "x/capfile", "security.capability", &NET_RAW_EP);
        xattr(t, "x/userx", "user.note", b"hello");
    },
};

/// Metadata that needs more than ustar: a uid/gid above 2^31 (PAX), an mtime before 1970
/// (negative, PAX), a symlink target longer than 100 bytes (PAX linkpath), a name that is
/// not UTF-8, hardlinks to a symlink and to a FIFO, and device nodes (built with
/// `--cap-add CAP_MKNOD`; chroot isolation refuses mknod otherwise). An mtime after 2038 is
/// left out: the unpacked reference cannot hold it where the filesystem clamps it.
pub static ODD_METADATA: Case = Case {
    name: "odd_metadata",
    steps: r#"
RUN mkdir /m && echo big > /m/bigid && chown 3000000000:3000000001 /m/bigid && echo old > /m/old && touch -d "1960-01-01 00:00:00" /m/old
RUN T=$(printf 'target_%0150d' 0) && echo x > "/m/$T" && ln -s "/m/$T" /m/longlink && echo raw > "/m/$(printf 'latin1_\377_name')" && ln -s old /m/sym && ln /m/sym /m/sym_hardlink && mkfifo /m/fifo && ln /m/fifo /m/fifo_hardlink
RUN mknod /m/null c 1 3 && mknod /m/loop b 7 0
"#,
    context: no_context,
    expect: |t| {
        let n = node(t, "m/bigid");
        assert_eq!(
            (n.uid, n.gid),
            (3_000_000_000, 3_000_000_001),
            "owner of /m/bigid"
        );
        assert_eq!(
            node(t, "m/old").mtime,
            -315_619_200,
            "mtime of /m/old (1960-01-01)"
        );
        kind(t, "m/longlink", Kind::Symlink);
        assert!(
            t.nodes.contains_key(b"m/latin1_\xff_name".as_slice()),
            "no /m/latin1_\\xff_name"
        );
        linked(t, &["m/sym", "m/sym_hardlink"]);
        linked(t, &["m/fifo", "m/fifo_hardlink"]);
        assert_eq!(node(t, "m/null").device, Some((1, 3)), "/m/null");
        assert_eq!(node(t, "m/loop").device, Some((7, 0)), "/m/loop");
        kind(t, "m/loop", Kind::BlockDevice);
    },
};

/// `cap_net_raw+ep` in the VFS_CAP_REVISION_2 layout.
const NET_RAW_EP: [u8; 20] = [
    1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

fn node<'t>(t: &'t Tree, p: &str) -> &'t crate::rootfs::Node {
    t.nodes
        .get(p.as_bytes())
        .unwrap_or_else(|| panic!("the built image has no /{p}"))
}
fn kind(t: &Tree, p: &str, k: Kind) {
    assert_eq!(node(t, p).kind, k, "type of /{p} in the built image");
}
fn file(t: &Tree, p: &str, content: &[u8]) {
    kind(t, p, Kind::File);
    assert_eq!(
        node(t, p).sha256.as_deref(),
        Some(util::sha256_hex(content).as_str()),
        "content of /{p}"
    );
}
fn symlink(t: &Tree, p: &str, target: &[u8]) {
    kind(t, p, Kind::Symlink);
    assert_eq!(node(t, p).target.as_deref(), Some(target), "target of /{p}");
}
fn mode(t: &Tree, p: &str, m: u32) {
    assert_eq!(
        node(t, p).mode,
        m,
        "mode of /{p}: {:o} != {m:o}",
        node(t, p).mode
    );
}
fn xattr(t: &Tree, p: &str, name: &str, value: &[u8]) {
    assert_eq!(
        node(t, p).xattrs.get(name).map(Vec::as_slice),
        Some(value),
        "xattr {name} of /{p}"
    );
}
fn absent(t: &Tree, p: &str) {
    assert!(
        !t.nodes.contains_key(p.as_bytes()),
        "/{p} should not be in the built image"
    );
}
fn linked(t: &Tree, paths: &[&str]) {
    let want: std::collections::BTreeSet<Vec<u8>> =
        paths.iter().map(|p| p.as_bytes().to_vec()).collect();
    assert_eq!(
        t.groups.get(paths[0].as_bytes()),
        Some(&want),
        "hardlink group of /{}",
        paths[0]
    );
}

/// The docker-archive of `case` built on `driver`, built at most once per test process.
fn image(case: &'static Case, driver: &'static str) -> Arc<OnceLock<Vec<u8>>> {
    type Registry = Mutex<HashMap<(&'static str, &'static str), Arc<OnceLock<Vec<u8>>>>>;
    static IMAGES: OnceLock<Registry> = OnceLock::new();
    let slot = IMAGES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry((case.name, driver))
        .or_default()
        .clone();
    slot.get_or_init(|| build(case, driver));
    slot
}

fn build(case: &Case, driver: &str) -> Vec<u8> {
    util::require_root();
    let work = temp_dir(&format!("buildah-{}-{driver}", case.name));
    let ctx = work.path().join("ctx");
    std::fs::create_dir(&ctx).unwrap();
    let busybox = util::peer("busybox");
    std::fs::copy(&busybox, ctx.join("busybox")).expect("copying busybox into the build context");
    (case.context)(&ctx);
    std::fs::write(ctx.join("Containerfile"), format!("{BASE}{}", case.steps)).unwrap();
    // A short store path, like podman's (containers/storage keeps sockets below the runroot).
    let store = tempfile::Builder::new()
        .prefix("llb")
        .tempdir()
        .expect("temp dir");
    let buildah = || {
        let mut c = util::peer_cmd("buildah");
        c.arg("--root")
            .arg(store.path().join("root"))
            .arg("--runroot")
            .arg(store.path().join("run"))
            .args(["--storage-driver", driver]);
        c
    };
    let name = format!("layerlens-test/{}-{driver}", case.name);
    run(buildah()
        .args([
            "bud",
            "--cap-add",
            "CAP_MKNOD",
            "--layers",
            "--no-cache",
            "--isolation",
            "chroot",
            "-q",
            "-t",
            &name,
        ])
        .arg(&ctx));
    let archive = work.path().join("image.tar");
    run(buildah().args(["push", "-q", &name]).arg(format!(
        "docker-archive:{}:{name}:latest",
        archive.display()
    )));
    // Empty the store before its directory goes (nothing stays mounted).
    run(buildah().args(["rmi", "--all", "--force"]));
    std::fs::read(&archive).expect("the pushed archive")
}

/// Writes the image into `work` and returns its path.
pub(crate) fn archive(
    case: &'static Case,
    driver: &'static str,
    work: &Path,
) -> std::path::PathBuf {
    let bytes = image(case, driver);
    let p = work.join(format!("{}-{driver}.tar", case.name));
    std::fs::write(&p, bytes.get().expect("built")).unwrap();
    p
}

/// `layerlens analyze` agrees with GNU tar on the built layers (as for the fixtures).
fn analyze(case: &'static Case, driver: &'static str) {
    let work = temp_dir("buildah-analyze");
    let path = archive(case, driver, work.path());
    crate::analyze::analysis_agrees_with_gnu_tar(
        &path,
        &format!("buildah {} ({driver})", case.name),
    );
}

fn export(case: &'static Case, driver: &'static str) {
    let work = temp_dir("buildah-export");
    let path = archive(case, driver, work.path());
    let label = format!("buildah {} ({driver})", case.name);
    let img = &reference::images(&path)[0];
    let original = Tree::from_dir(&peers::umoci_rootfs(
        &img.skopeo_ref,
        work.path(),
        "orig",
        false,
    ));
    (case.expect)(&original);
    crate::export::export_equals_umoci(&path, &label);
}

fn squash(case: &'static Case, driver: &'static str) {
    let work = temp_dir("buildah-squash");
    let path = archive(case, driver, work.path());
    let rel = format!("buildah {} ({driver})", case.name);
    let img = &reference::images(&path)[0];
    let original = Tree::from_dir(&peers::umoci_rootfs(
        &img.skopeo_ref,
        work.path(),
        "orig",
        false,
    ));
    (case.expect)(&original);
    let n = img.layers.len();
    // The full squash, and `--from` each layer above the busybox base (layers 0 and 1).
    let froms = std::iter::once(None).chain((2..n).map(Some));
    let mut failures = Vec::new();
    for from in froms {
        let case_label = from.map_or("all".to_string(), |f| format!("from{f}"));
        let s = Squash {
            input: &path,
            rel: &rel,
            img,
            from,
            tag: from.map(|f| format!("layerlens-test/{}-{driver}:from{f}", case.name)),
            work: work.path(),
            label: case_label,
            // podman for the full squash and the lowest `--from`; umoci for all.
            podman: from.is_none() || from == Some(2),
        };
        if let Err(e) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.check(&original)))
        {
            failures.push(panic_message(&e));
        }
    }
    assert!(
        failures.is_empty(),
        "{} squash case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

macro_rules! buildah_tests {
    ($($name:ident => $case:ident),* $(,)?) => {
        $(
            mod $name {
                use super::*;
                #[test]
                fn overlay_analyze() {
                    analyze(&$case, "overlay");
                }
                #[test]
                fn vfs_analyze() {
                    analyze(&$case, "vfs");
                }
                #[test]
                fn overlay_export() {
                    export(&$case, "overlay");
                }
                #[test]
                fn overlay_squash() {
                    squash(&$case, "overlay");
                }
                #[test]
                fn vfs_export() {
                    export(&$case, "vfs");
                }
                #[test]
                fn vfs_squash() {
                    squash(&$case, "vfs");
                }
            }
        )*
    };
}

buildah_tests! {
    hardlink_target_deleted => HARDLINK_TARGET_DELETED,
    dir_file_dir => DIR_FILE_DIR,
    opaque_refilled => OPAQUE_REFILLED,
    deleted_from_base => DELETED_FROM_BASE,
    hardlink_overwrites_file => HARDLINK_OVERWRITES_FILE,
    dangling_symlink => DANGLING_SYMLINK,
    setuid_xattr => SETUID_XATTR,
    odd_metadata => ODD_METADATA,
}

/// The overlay builds really contain what makes them interesting (opaque markers, hardlink
/// entries), so the cases above test those paths and not something simpler.
#[test]
fn overlay_layers_have_opaque_markers_and_hardlinks() {
    let work = temp_dir("buildah-layers");
    let listing = |case: &'static Case| -> Vec<reference::TarListing> {
        let path = archive(case, "overlay", work.path());
        reference::images(&path)[0]
            .layers
            .iter()
            .flat_map(|b| {
                reference::gnu_tar_list(&reference::decompress(b, work.path()), work.path())
            })
            .collect()
    };
    let opaque = listing(&OPAQUE_REFILLED);
    assert!(
        opaque.iter().any(|e| e.name.ends_with(b"o/.wh..wh..opq")),
        "overlay storage wrote no opaque marker for /o"
    );
    let hl = listing(&HARDLINK_TARGET_DELETED);
    assert!(
        hl.iter().any(|e| e.kind == 'h'),
        "no hardlink entry in the hardlink image's layers"
    );
    assert!(
        hl.iter().any(|e| e.name.ends_with(b"hl/.wh.target2")),
        "no whiteout for /hl/target2"
    );
}
