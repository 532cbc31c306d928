//! A root filesystem as a comparable manifest, read either from a directory on disk (what umoci
//! or podman unpacked) or from a plain tar (what `layerlens export` wrote), and a comparison
//! that prints every difference.
//!
//! Compared per path: type, permission bits including setuid/setgid/sticky, uid, gid, size,
//! sha256 of regular-file content, symlink target, device numbers, optionally mtime (not for
//! directories: creating children changes it on disk) and xattrs; plus hardlink groups (which
//! paths share one inode). Not compared: the root directory itself (umoci makes it from the
//! runtime bundle, not from the layers) and the permission bits of symlinks (Linux has none:
//! always 0777 on disk, whatever the tar header said).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use sha2::Digest;

/// The type of a filesystem node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    Fifo,
    CharDevice,
    BlockDevice,
    Socket,
}

/// One path of a root filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: Kind,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub size: u64,
    pub sha256: Option<String>,
    pub target: Option<Vec<u8>>,
    pub device: Option<(u32, u32)>,
    pub mtime: i64,
    pub xattrs: BTreeMap<String, Vec<u8>>,
}

/// A root filesystem: nodes by path (no leading `/`), hardlink groups, and anything odd met
/// while reading it (a tar that names a path twice, a hardlink to nothing).
#[derive(Debug, Default, Clone)]
pub struct Tree {
    pub nodes: BTreeMap<Vec<u8>, Node>,
    /// For each path that shares its inode with another, all paths of that inode.
    pub groups: BTreeMap<Vec<u8>, BTreeSet<Vec<u8>>>,
    pub problems: Vec<String>,
}

/// What to compare beyond the always-compared fields.
#[derive(Debug, Clone, Default)]
pub struct Compare {
    /// Compare mtimes of everything but directories.
    pub mtime: bool,
    /// Compare extended attributes.
    pub xattrs: bool,
    /// Directories that may exist only in the second tree (parents umoci creates for entries
    /// whose layers never list them).
    pub implicit_dirs: BTreeSet<Vec<u8>>,
}

pub fn show(p: &[u8]) -> String {
    format!("/{}", String::from_utf8_lossy(p))
}

impl Tree {
    /// Reads an unpacked root filesystem (lstat; symlinks are not followed).
    pub fn from_dir(root: &Path) -> Tree {
        let mut t = Tree::default();
        let mut inodes: BTreeMap<(u64, u64), BTreeSet<Vec<u8>>> = BTreeMap::new();
        // Content hashes by inode: hardlinked files (392 of them in dive's busybox image) are
        // hashed once.
        let mut hashes: BTreeMap<(u64, u64), String> = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let rd = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            for de in rd {
                let de = de.expect("read_dir entry");
                let p = de.path();
                let rel = p
                    .strip_prefix(root)
                    .expect("below root")
                    .as_os_str()
                    .as_bytes()
                    .to_vec();
                let md = std::fs::symlink_metadata(&p)
                    .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                let ft = md.file_type();
                let kind = if ft.is_file() {
                    Kind::File
                } else if ft.is_dir() {
                    stack.push(p.clone());
                    Kind::Dir
                } else if ft.is_symlink() {
                    Kind::Symlink
                } else if ft.is_fifo() {
                    Kind::Fifo
                } else if ft.is_char_device() {
                    Kind::CharDevice
                } else if ft.is_block_device() {
                    Kind::BlockDevice
                } else {
                    Kind::Socket
                };
                let mut node = Node {
                    kind,
                    mode: md.mode() & 0o7777,
                    uid: md.uid().into(),
                    gid: md.gid().into(),
                    size: 0,
                    sha256: None,
                    target: None,
                    device: None,
                    mtime: md.mtime(),
                    xattrs: BTreeMap::new(),
                };
                match kind {
                    Kind::File => {
                        node.size = md.len();
                        let sha = hashes
                            .entry((md.dev(), md.ino()))
                            .or_insert_with(|| crate::util::sha256_file(&p));
                        node.sha256 = Some(sha.clone());
                    }
                    Kind::Symlink => {
                        node.target = Some(
                            std::fs::read_link(&p)
                                .expect("readlink")
                                .as_os_str()
                                .as_bytes()
                                .to_vec(),
                        )
                    }
                    Kind::CharDevice | Kind::BlockDevice => {
                        let r = md.rdev();
                        node.device = Some((major(r), minor(r)));
                    }
                    _ => {}
                }
                // Hardlinks: any non-directory can have several names (tar can hardlink a
                // symlink, a FIFO or a device node too).
                if kind != Kind::Dir && md.nlink() > 1 {
                    inodes
                        .entry((md.dev(), md.ino()))
                        .or_default()
                        .insert(rel.clone());
                }
                if let Ok(names) = xattr::list(&p) {
                    for n in names {
                        let v = xattr::get(&p, &n).ok().flatten().unwrap_or_default();
                        node.xattrs.insert(n.to_string_lossy().into_owned(), v);
                    }
                }
                t.nodes.insert(rel, node);
            }
        }
        for paths in inodes.into_values() {
            if paths.len() > 1 {
                for p in &paths {
                    t.groups.insert(p.clone(), paths.clone());
                }
            }
        }
        t
    }

    /// Reads a plain tar of a root filesystem, as extraction would leave it: a later entry
    /// replaces an earlier one (recorded as a problem, an export should name each path once),
    /// a hardlink shares its target's node.
    pub fn from_tar(reader: impl Read) -> Tree {
        let mut t = Tree::default();
        // Hardlink groups as group ids.
        let mut group_of: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        let mut next_group = 0usize;
        let mut ar = tar::Archive::new(reader);
        for e in ar.entries().expect("reading the tar") {
            let mut e = e.expect("a tar entry");
            let raw = e.path_bytes().into_owned();
            let path = crate::reference::normalise(&raw);
            let h = e.header().clone();
            let mut pax: BTreeMap<String, Vec<u8>> = BTreeMap::new();
            if let Ok(Some(exts)) = e.pax_extensions() {
                for x in exts.flatten() {
                    if let Ok(k) = x.key() {
                        pax.insert(k.to_string(), x.value_bytes().to_vec());
                    }
                }
            }
            let num = |key: &str, fallback: u64| -> u64 {
                pax.get(key)
                    .and_then(|v| std::str::from_utf8(v).ok())
                    .and_then(|v| v.split('.').next()?.parse().ok())
                    .unwrap_or(fallback)
            };
            // PAX mtime may be negative (before 1970) and fractional; stat shows its floor.
            let mtime = pax
                .get("mtime")
                .and_then(|v| std::str::from_utf8(v).ok())
                .and_then(|v| {
                    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
                    let int: i64 = int.parse().ok()?;
                    let below = int < 0 || v.starts_with('-');
                    Some(if below && !frac.trim_matches('0').is_empty() {
                        int - 1
                    } else {
                        int
                    })
                })
                .unwrap_or_else(|| h.mtime().unwrap_or(0) as i64);
            let xattrs: BTreeMap<String, Vec<u8>> = pax
                .iter()
                .filter_map(|(k, v)| {
                    k.strip_prefix("SCHILY.xattr.")
                        .map(|n| (n.to_string(), v.clone()))
                })
                .collect();
            if path.is_empty() {
                continue;
            }
            if t.nodes.contains_key(&path) {
                t.problems
                    .push(format!("{} appears more than once in the tar", show(&path)));
            }
            // A path named again leaves whatever hardlink group it was in.
            group_of.remove(&path);
            let et = h.entry_type();
            let kind = match et {
                tar::EntryType::Regular | tar::EntryType::Continuous => Kind::File,
                tar::EntryType::Directory => Kind::Dir,
                tar::EntryType::Symlink => Kind::Symlink,
                tar::EntryType::Fifo => Kind::Fifo,
                tar::EntryType::Char => Kind::CharDevice,
                tar::EntryType::Block => Kind::BlockDevice,
                tar::EntryType::Link => {
                    let target =
                        crate::reference::normalise(&e.link_name_bytes().expect("hardlink target"));
                    match t.nodes.get(&target) {
                        Some(n) if n.kind != Kind::Dir => {
                            let n = n.clone();
                            let g = *group_of.entry(target.clone()).or_insert_with(|| {
                                next_group += 1;
                                next_group
                            });
                            group_of.insert(path.clone(), g);
                            t.nodes.insert(path, n);
                        }
                        _ => t.problems.push(format!(
                            "{} is a hardlink to {}, which is not an earlier non-directory entry",
                            show(&path),
                            show(&target)
                        )),
                    }
                    continue;
                }
                other => {
                    t.problems
                        .push(format!("{} has unexpected tar type {other:?}", show(&path)));
                    continue;
                }
            };
            let mut node = Node {
                kind,
                mode: h.mode().unwrap_or(0) & 0o7777,
                uid: num("uid", h.uid().unwrap_or(0)),
                gid: num("gid", h.gid().unwrap_or(0)),
                size: 0,
                sha256: None,
                target: None,
                device: None,
                mtime,
                xattrs,
            };
            match kind {
                Kind::File => {
                    let mut hasher = sha2::Sha256::new();
                    node.size = std::io::copy(&mut e, &mut hasher).expect("reading a file entry");
                    node.sha256 = Some(
                        hasher
                            .finalize()
                            .iter()
                            .map(|b| format!("{b:02x}"))
                            .collect(),
                    );
                }
                Kind::Symlink => {
                    node.target = Some(e.link_name_bytes().expect("symlink target").into_owned())
                }
                Kind::CharDevice | Kind::BlockDevice => {
                    node.device = Some((
                        h.device_major().ok().flatten().unwrap_or(0),
                        h.device_minor().ok().flatten().unwrap_or(0),
                    ))
                }
                _ => {}
            }
            t.nodes.insert(path, node);
        }
        let mut by_group: BTreeMap<usize, BTreeSet<Vec<u8>>> = BTreeMap::new();
        for (p, g) in group_of {
            by_group.entry(g).or_default().insert(p);
        }
        for paths in by_group.into_values() {
            if paths.len() > 1 {
                for p in &paths {
                    t.groups.insert(p.clone(), paths.clone());
                }
            }
        }
        t
    }

    /// Every difference between `self` (labelled `a`) and `other` (`b`), one line each.
    pub fn differences(&self, other: &Tree, cmp: &Compare) -> Vec<String> {
        let mut out = Vec::new();
        for p in &self.problems {
            out.push(format!("A: {p}"));
        }
        for p in &other.problems {
            out.push(format!("B: {p}"));
        }
        for (p, a) in &self.nodes {
            let Some(b) = other.nodes.get(p) else {
                out.push(format!("only in A: {} ({:?})", show(p), a.kind));
                continue;
            };
            let mut d = Vec::new();
            let mut field = |name: &str, x: String, y: String| {
                if x != y {
                    d.push(format!("{name}: {x} != {y}"));
                }
            };
            field("type", format!("{:?}", a.kind), format!("{:?}", b.kind));
            // Linux has no symlink permissions (always 0777 on disk), so a symlink's tar mode
            // cannot survive an unpack; it is not compared.
            if a.kind != Kind::Symlink || b.kind != Kind::Symlink {
                field("mode", format!("{:o}", a.mode), format!("{:o}", b.mode));
            }
            field("uid", a.uid.to_string(), b.uid.to_string());
            field("gid", a.gid.to_string(), b.gid.to_string());
            field("size", a.size.to_string(), b.size.to_string());
            field(
                "sha256",
                format!("{:?}", a.sha256),
                format!("{:?}", b.sha256),
            );
            let lossy =
                |t: &Option<Vec<u8>>| format!("{:?}", t.as_deref().map(String::from_utf8_lossy));
            field("target", lossy(&a.target), lossy(&b.target));
            field(
                "device",
                format!("{:?}", a.device),
                format!("{:?}", b.device),
            );
            if cmp.mtime && a.kind != Kind::Dir {
                field("mtime", a.mtime.to_string(), b.mtime.to_string());
            }
            if cmp.xattrs {
                field(
                    "xattrs",
                    format!("{:?}", a.xattrs),
                    format!("{:?}", b.xattrs),
                );
            }
            if !d.is_empty() {
                out.push(format!("differs: {} {}", show(p), d.join(", ")));
            }
            let ga = self.groups.get(p);
            let gb = other.groups.get(p);
            if ga != gb {
                let fmt = |g: Option<&BTreeSet<Vec<u8>>>| {
                    g.map(|s| s.iter().map(|x| show(x)).collect::<Vec<_>>().join(" "))
                        .unwrap_or_else(|| "(single link)".into())
                };
                out.push(format!(
                    "hardlinks: {} A [{}] B [{}]",
                    show(p),
                    fmt(ga),
                    fmt(gb)
                ));
            }
        }
        for (p, b) in &other.nodes {
            if self.nodes.contains_key(p) {
                continue;
            }
            if b.kind == Kind::Dir && cmp.implicit_dirs.contains(p) {
                continue;
            }
            out.push(format!("only in B: {} ({:?})", show(p), b.kind));
        }
        out
    }

    /// Fails with every difference listed.
    pub fn assert_same(&self, a_label: &str, other: &Tree, b_label: &str, cmp: &Compare) {
        let d = self.differences(other, cmp);
        if d.is_empty() {
            return;
        }
        let shown: Vec<&str> = d.iter().take(60).map(String::as_str).collect();
        panic!(
            "root filesystems differ\n  A = {a_label} ({} paths)\n  B = {b_label} ({} paths)\n  {}{}",
            self.nodes.len(),
            other.nodes.len(),
            shown.join("\n  "),
            if d.len() > 60 { format!("\n  … {} more", d.len() - 60) } else { String::new() }
        );
    }
}

fn major(dev: u64) -> u32 {
    (((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff)) as u32
}

fn minor(dev: u64) -> u32 {
    (((dev >> 12) & 0xffff_ff00) | (dev & 0xff)) as u32
}

/// The comparison itself: what a tar says, GNU tar extracts to the same tree, and each kind of
/// difference is reported (so a passing comparison means something).
#[cfg(test)]
mod self_test {
    use super::*;

    /// A small rootfs tar: a file with a user xattr and setuid, a hardlink to it, a symlink,
    /// a directory; `variant` changes one thing.
    fn sample(variant: &str) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut dir = tar::Header::new_gnu();
        dir.set_entry_type(tar::EntryType::Directory);
        dir.set_mode(0o755);
        dir.set_mtime(1_600_000_000);
        dir.set_size(0);
        dir.set_cksum();
        b.append_data(&mut dir.clone(), "d/", &[][..]).unwrap();
        let xattr_value: &[u8] = if variant == "xattr" {
            b"other"
        } else {
            b"value"
        };
        b.append_pax_extensions([("SCHILY.xattr.user.test", xattr_value)])
            .unwrap();
        let mut f = tar::Header::new_gnu();
        f.set_mode(if variant == "mode" { 0o755 } else { 0o4755 });
        f.set_mtime(if variant == "mtime" {
            1_600_000_001
        } else {
            1_600_000_000
        });
        f.set_uid(if variant == "uid" { 1 } else { 0 });
        let content: &[u8] = if variant == "content" {
            b"hellO\n"
        } else {
            b"hello\n"
        };
        f.set_size(content.len() as u64);
        f.set_cksum();
        b.append_data(&mut f.clone(), "d/f", content).unwrap();
        if variant == "copy" {
            // The same content as its own file instead of a hardlink.
            b.append_data(&mut f, "d/g", content).unwrap();
        } else {
            let mut l = tar::Header::new_gnu();
            l.set_entry_type(tar::EntryType::Link);
            l.set_mode(0o4755);
            l.set_size(0);
            b.append_link(&mut l, "d/g", "d/f").unwrap();
        }
        let mut s = tar::Header::new_gnu();
        s.set_entry_type(tar::EntryType::Symlink);
        s.set_mode(0o777);
        s.set_mtime(1_600_000_000);
        s.set_size(0);
        b.append_link(&mut s, "d/s", if variant == "target" { "g" } else { "f" })
            .unwrap();
        if variant == "extra" {
            b.append_data(&mut dir, "d/extra/", &[][..]).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn each_difference_is_reported() {
        let base = Tree::from_tar(&sample("")[..]);
        assert!(base.problems.is_empty(), "{:?}", base.problems);
        assert_eq!(
            base.groups.get(b"d/f".as_slice()).map(|g| g.len()),
            Some(2),
            "hardlink group"
        );
        let cmp = Compare {
            mtime: true,
            xattrs: true,
            ..Compare::default()
        };
        assert!(base
            .differences(&Tree::from_tar(&sample("")[..]), &cmp)
            .is_empty());
        for (variant, word) in [
            ("mode", "mode"),
            ("mtime", "mtime"),
            ("uid", "uid"),
            ("content", "sha256"),
            ("copy", "hardlinks"),
            ("target", "target"),
            ("xattr", "xattrs"),
            ("extra", "only in B"),
        ] {
            let d = base.differences(&Tree::from_tar(&sample(variant)[..]), &cmp);
            assert!(
                d.iter().any(|l| l.contains(word)),
                "{variant}: {word:?} not reported in {d:?}"
            );
        }
        // An unlisted directory may be allowed, and only that.
        let extra = Tree::from_tar(&sample("extra")[..]);
        let allow = Compare {
            implicit_dirs: [b"d/extra".to_vec()].into(),
            ..cmp.clone()
        };
        assert!(base.differences(&extra, &allow).is_empty());
    }

    /// GNU tar extracts the sample to a tree that reads back equal, xattrs and hardlinks
    /// included: `from_dir` and `from_tar` agree on what they record.
    #[test]
    fn gnu_tar_extraction_reads_back_equal() {
        crate::util::require_root();
        let work = crate::util::temp_dir("rootfs-self-test");
        let tar_path = work.path().join("sample.tar");
        std::fs::write(&tar_path, sample("")).unwrap();
        let root = work.path().join("root");
        std::fs::create_dir(&root).unwrap();
        crate::util::run(
            crate::util::peer_cmd("tar")
                .args(["--xattrs", "--xattrs-include=*", "--same-owner", "-xpf"])
                .arg(&tar_path)
                .arg("-C")
                .arg(&root),
        );
        let from_tar = Tree::from_tar(&sample("")[..]);
        let from_dir = Tree::from_dir(&root);
        let cmp = Compare {
            mtime: true,
            xattrs: true,
            ..Compare::default()
        };
        from_tar.assert_same("sample.tar", &from_dir, "GNU tar -x of sample.tar", &cmp);
    }
}
