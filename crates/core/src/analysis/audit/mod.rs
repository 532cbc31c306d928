//! The content audit: an inventory of what the final image holds, each item linked to its
//! paths and to the layer (and build step) that put it there.
//!
//! - duplicates: regular files with the same bytes under different paths (hardlinks of one
//!   inode count once), with the bytes a dedup would save;
//! - special permissions: setuid, setgid and world-writable paths (symlinks aside: their mode
//!   means nothing);
//! - shells and package managers in the usual `bin` directories;
//! - users and groups from `/etc/passwd` and `/etc/group`;
//! - private keys and certificates in files named like them (`*.pem`, `*.key`, `*.crt`,
//!   `id_rsa`, …), by their PEM blocks;
//! - the packages each layer installed, upgraded and removed, from every version of dpkg's
//!   status file and apk's installed database the layers wrote ([`packages`]).
//!
//! Two steps, like the deep scan: [`wanted`] says which file contents the audit needs (pure),
//! the host reads them ([`read_contents`] over a [`Source`](crate::Source)), then [`audit`]
//! builds the report from the model and those contents (pure). Only files whose size another
//! file shares are hashed, so the cost is the bytes of would-be duplicates, not of the image.

pub mod accounts;
pub mod packages;
#[cfg(feature = "std")]
mod read;
#[cfg(test)]
mod tests;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::bytes::find;
use crate::digest::Digest;
use crate::image::step;
use crate::layer::{EntryKind, EntryRef};
use crate::model::Model;
use crate::sanitize::display_bytes;
use accounts::{parse_group, parse_passwd, Group, User};
use packages::{delta, Installed, Manager};
#[cfg(feature = "std")]
pub use read::read_contents;

/// Largest package database or account file read (a larger one is read up to this).
pub const DATABASE_LIMIT: u64 = 64 << 20;
/// Largest key or certificate file read; larger files named so are not keys.
pub const KEY_LIMIT: u64 = 1 << 20;

/// One file the audit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    /// The entry holding the bytes.
    pub at: EntryRef,
    /// Its content size.
    pub size: u64,
    /// Hash all of it (a possible duplicate).
    pub hash: bool,
    /// Keep its first bytes, up to this many (0: keep nothing).
    pub keep: u64,
}

/// What the host read for [`wanted`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contents {
    /// Kept bytes, by entry.
    pub kept: BTreeMap<EntryRef, Vec<u8>>,
    /// sha256 of hashed entries.
    pub hashes: BTreeMap<EntryRef, Digest>,
    /// Content bytes read.
    pub bytes_read: u64,
}

/// A path of the final filesystem and the layer that put it in its state.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Located {
    /// Absolute path, for display (`/etc/passwd`).
    pub path: String,
    /// Layer position.
    pub layer: u32,
}

/// Files with the same content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicates {
    /// sha256 of the content, hex.
    pub sha256: String,
    /// Size of one copy.
    pub size: u64,
    /// Distinct copies (inodes); hardlinked paths share one.
    pub copies: u64,
    /// What keeping one copy saves: `size × (copies − 1)`.
    pub saving: u64,
    /// Every path with this content, sorted.
    pub paths: Vec<Located>,
}

/// A path with special permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Special {
    /// Where.
    #[serde(flatten)]
    pub at: Located,
    /// Permission bits, octal (`4755`).
    pub mode: String,
    /// Entry type (`file`, `dir`, …).
    pub kind: String,
    /// Set-user-id.
    pub setuid: bool,
    /// Set-group-id.
    pub setgid: bool,
    /// Anyone may write it.
    pub world_writable: bool,
    /// Sticky (a world-writable `/tmp` is fine with it).
    pub sticky: bool,
}

/// A shell or package manager found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// Its name (`bash`, `apt-get`).
    pub name: String,
    /// Where.
    #[serde(flatten)]
    pub at: Located,
    /// A symlink's target, if it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// What a key or certificate file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFile {
    /// Where.
    #[serde(flatten)]
    pub at: Located,
    /// Private key blocks.
    pub private_keys: u64,
    /// Certificate blocks.
    pub certificates: u64,
}

/// A package as one layer wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Which database.
    pub manager: Manager,
    /// Name, version, architecture, installed size.
    #[serde(flatten)]
    pub package: Installed,
    /// The layer that installed this version.
    pub layer: u32,
}

/// What one layer did to one package database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerPackages {
    /// Layer position.
    pub layer: u32,
    /// Its build step.
    pub step: String,
    /// Which database.
    pub manager: Manager,
    /// The database's path.
    pub database: String,
    /// Installed or upgraded here.
    pub installed: Vec<Installed>,
    /// Removed here.
    pub removed: Vec<Installed>,
    /// Installed size of `installed`.
    pub installed_bytes: u64,
}

/// The audit of one image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audit {
    /// Same content under different paths, largest saving first.
    pub duplicates: Vec<Duplicates>,
    /// What deduplicating every group saves.
    pub duplicate_bytes: u64,
    /// Setuid, setgid and world-writable paths, by path.
    pub special: Vec<Special>,
    /// Shells, by path.
    pub shells: Vec<Tool>,
    /// Package managers, by path.
    pub package_managers: Vec<Tool>,
    /// `/etc/passwd`, if the image has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passwd: Option<Located>,
    /// Its users, in file order.
    pub users: Vec<User>,
    /// `/etc/group`, if the image has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Located>,
    /// Its groups, in file order.
    pub groups: Vec<Group>,
    /// Files holding private keys or certificates, by path.
    pub keys: Vec<KeyFile>,
    /// The packages of the final image, by manager and name, each with its layer.
    pub packages: Vec<Package>,
    /// What each layer did to each package database, base first.
    pub layers: Vec<LayerPackages>,
    /// Content bytes read.
    pub bytes_read: u64,
}

const BIN_DIRS: [&[u8]; 6] = [
    b"bin",
    b"sbin",
    b"usr/bin",
    b"usr/sbin",
    b"usr/local/bin",
    b"usr/local/sbin",
];
const SHELLS: [&str; 12] = [
    "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "fish", "csh", "tcsh", "rbash", "busybox",
];
const PACKAGE_MANAGERS: [&str; 17] = [
    "apt", "apt-get", "aptitude", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm", "zypper",
    "pacman", "pip", "pip3", "npm", "yarn", "gem", "cargo",
];

/// The name of a program in a `bin` directory, if `path` is one.
fn program(path: &[u8]) -> Option<&str> {
    let cut = path.iter().rposition(|&b| b == b'/')?;
    let (dir, name) = (path.get(..cut)?, path.get(cut + 1..)?);
    BIN_DIRS
        .contains(&dir)
        .then(|| core::str::from_utf8(name).ok())
        .flatten()
}

/// Whether a file is named like a key or certificate.
fn key_named(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    [&b".pem"[..], b".key", b".crt", b".cer", b".cert"]
        .iter()
        .any(|s| name.ends_with(s))
        || [&b"id_rsa"[..], b"id_dsa", b"id_ecdsa", b"id_ed25519"].contains(&name)
        || (name.starts_with(b"ssh_host_") && name.ends_with(b"_key"))
}

fn shown(path: &[u8]) -> String {
    format!("/{}", display_bytes(path))
}

/// The dpkg and apk databases each layer wrote: `(manager, layer, entry)`; `None` where the
/// layer removed the database.
fn database_versions(m: Model<'_>) -> Vec<(Manager, u32, Option<EntryRef>)> {
    let mut out = Vec::new();
    for cs in m.changes {
        for (manager, db) in Manager::ALL {
            let Some(c) = cs.changes.iter().find(|c| c.path.as_bytes() == db) else {
                continue;
            };
            let at = c.entry.map(|entry| EntryRef {
                layer: cs.layer,
                entry,
            });
            if c.kind.is_removed() || at.and_then(|r| m.entry(r)).is_some_and(|e| e.is_file()) {
                out.push((manager, cs.layer, at.filter(|_| !c.kind.is_removed())));
            }
        }
    }
    out
}

/// The live regular files of the final filesystem, one per inode: `(inode entry, paths)`.
fn inodes(m: Model<'_>) -> BTreeMap<u32, (EntryRef, Vec<Located>)> {
    let mut out: BTreeMap<u32, (EntryRef, Vec<Located>)> = BTreeMap::new();
    for (path, node) in m.fs.iter() {
        if !m.entry(node.inode_entry).is_some_and(|e| e.is_file()) {
            continue;
        }
        out.entry(node.inode)
            .or_insert_with(|| (node.inode_entry, Vec::new()))
            .1
            .push(Located {
                path: shown(path.as_bytes()),
                layer: node.entry.layer,
            });
    }
    out
}

/// The file contents the audit needs, sorted by entry.
pub fn wanted(m: Model<'_>) -> Vec<Want> {
    let mut want: BTreeMap<EntryRef, Want> = BTreeMap::new();
    let mut add = |m: Model<'_>, at: EntryRef, hash: bool, keep: u64| {
        let size = m.entry(at).map_or(0, |e| e.size);
        let w = want.entry(at).or_insert(Want {
            at,
            size,
            hash: false,
            keep: 0,
        });
        w.hash |= hash;
        w.keep = w.keep.max(keep.min(size));
    };
    // Possible duplicates: non-empty files whose size another inode shares.
    let files = inodes(m);
    let mut by_size: BTreeMap<u64, u32> = BTreeMap::new();
    for (r, _) in files.values() {
        let size = m.entry(*r).map_or(0, |e| e.size);
        *by_size.entry(size).or_default() += 1;
    }
    for (r, paths) in files.values() {
        let size = m.entry(*r).map_or(0, |e| e.size);
        if size > 0 && by_size.get(&size).is_some_and(|&n| n > 1) {
            add(m, *r, true, 0);
        }
        if size <= KEY_LIMIT && paths.iter().any(|p| key_named(p.path.as_bytes())) {
            add(m, *r, false, KEY_LIMIT);
        }
    }
    for path in [&b"etc/passwd"[..], b"etc/group"] {
        if let Some(n) = m.fs.get(path) {
            if m.entry(n.inode_entry).is_some_and(|e| e.is_file()) {
                add(m, n.inode_entry, false, DATABASE_LIMIT);
            }
        }
    }
    for (_, _, at) in database_versions(m) {
        if let Some(at) = at {
            add(m, at, false, DATABASE_LIMIT);
        }
    }
    want.into_values().collect()
}

/// The audit of the model, from the contents the host read for [`wanted`].
pub fn audit(m: Model<'_>, contents: &Contents) -> Audit {
    let mut a = Audit {
        bytes_read: contents.bytes_read,
        ..Audit::default()
    };
    let files = inodes(m);
    // Duplicates: hashed inodes grouped by digest.
    let mut groups: BTreeMap<Digest, Vec<&(EntryRef, Vec<Located>)>> = BTreeMap::new();
    for f in files.values() {
        if let Some(d) = contents.hashes.get(&f.0) {
            groups.entry(*d).or_default().push(f);
        }
    }
    for (digest, copies) in groups.into_iter().filter(|(_, c)| c.len() > 1) {
        let size = copies
            .first()
            .and_then(|c| m.entry(c.0))
            .map_or(0, |e| e.size);
        let mut paths: Vec<Located> = copies.iter().flat_map(|c| c.1.iter().cloned()).collect();
        paths.sort();
        let n = copies.len() as u64;
        a.duplicates.push(Duplicates {
            sha256: digest.hex(),
            size,
            copies: n,
            saving: size * (n - 1),
            paths,
        });
    }
    a.duplicates
        .sort_by(|x, y| y.saving.cmp(&x.saving).then_with(|| x.paths.cmp(&y.paths)));
    a.duplicate_bytes = a.duplicates.iter().map(|d| d.saving).sum();

    for (path, node) in m.fs.iter() {
        let Some(e) = m.entry(node.inode_entry) else {
            continue;
        };
        let at = || Located {
            path: shown(path.as_bytes()),
            layer: node.entry.layer,
        };
        let (setuid, setgid) = (e.mode & 0o4000 != 0, e.mode & 0o2000 != 0);
        let world = e.mode & 0o002 != 0 && e.kind != EntryKind::Symlink;
        if setuid || setgid || world {
            a.special.push(Special {
                at: at(),
                mode: format!("{:04o}", e.mode & 0o7777),
                kind: kind_name(e.kind).into(),
                setuid,
                setgid,
                world_writable: world,
                sticky: e.mode & 0o1000 != 0,
            });
        }
        if let Some(name) = program(path.as_bytes()) {
            let list = if SHELLS.contains(&name) {
                Some(&mut a.shells)
            } else if PACKAGE_MANAGERS.contains(&name) {
                Some(&mut a.package_managers)
            } else {
                None
            };
            if let (Some(list), true) = (list, e.kind != EntryKind::Dir) {
                let link = m.entry(node.entry).and_then(|l| {
                    (l.kind == EntryKind::Symlink)
                        .then(|| l.link.as_deref().map(display_bytes))
                        .flatten()
                });
                list.push(Tool {
                    name: name.into(),
                    at: at(),
                    link,
                });
            }
        }
    }

    let kept = |r: EntryRef| contents.kept.get(&r).map(Vec::as_slice);
    for (path, list) in [(&b"etc/passwd"[..], 0), (b"etc/group", 1)] {
        let Some(n) = m.fs.get(path) else { continue };
        let Some(text) = kept(n.inode_entry) else {
            continue;
        };
        let loc = Some(Located {
            path: shown(path),
            layer: n.entry.layer,
        });
        if list == 0 {
            a.users = parse_passwd(text);
            a.passwd = loc;
        } else {
            a.groups = parse_group(text);
            a.group = loc;
        }
    }

    for (r, paths) in files.values() {
        if !paths.iter().any(|p| key_named(p.path.as_bytes())) {
            continue;
        }
        let Some(text) = kept(*r) else { continue };
        let (keys, certs) = pem_blocks(text);
        if keys + certs == 0 {
            continue;
        }
        for p in paths.iter().filter(|p| key_named(p.path.as_bytes())) {
            a.keys.push(KeyFile {
                at: p.clone(),
                private_keys: keys,
                certificates: certs,
            });
        }
    }
    a.keys.sort_by(|x, y| x.at.cmp(&y.at));

    packages_by_layer(m, &kept, &mut a);
    a
}

/// Fills `a.layers` and `a.packages` from every version of the databases.
fn packages_by_layer<'c>(m: Model<'_>, kept: &dyn Fn(EntryRef) -> Option<&'c [u8]>, a: &mut Audit) {
    // Per manager: the packages now, each with the layer that installed its version.
    let mut state: BTreeMap<Manager, Vec<(Installed, u32)>> = BTreeMap::new();
    for (manager, layer, at) in database_versions(m) {
        let now = at
            .and_then(kept)
            .map(|db| manager.parse(db))
            .unwrap_or_default();
        let before = state.remove(&manager).unwrap_or_default();
        let old: Vec<Installed> = before.iter().map(|(p, _)| p.clone()).collect();
        let d = delta(&old, &now);
        let by_key: BTreeMap<(&str, &str, &str), u32> = before
            .iter()
            .map(|(p, l)| ((p.name.as_str(), p.arch.as_str(), p.version.as_str()), *l))
            .collect();
        let next: Vec<(Installed, u32)> = now
            .iter()
            .map(|p| {
                let key = (p.name.as_str(), p.arch.as_str(), p.version.as_str());
                (p.clone(), by_key.get(&key).copied().unwrap_or(layer))
            })
            .collect();
        state.insert(manager, next);
        let db = Manager::ALL
            .iter()
            .find(|(x, _)| *x == manager)
            .map_or(&b""[..], |(_, p)| p);
        a.layers.push(LayerPackages {
            layer,
            step: m
                .image
                .layers
                .get(layer as usize)
                .and_then(|l| l.history.as_ref())
                .and_then(|h| h.created_by.as_deref())
                .map(step)
                .unwrap_or_default(),
            manager,
            database: shown(db),
            installed_bytes: d.installed.iter().map(|p| p.installed_size).sum(),
            installed: d.installed,
            removed: d.removed,
        });
    }
    // A database the final filesystem lost has no packages left.
    for (manager, list) in state {
        for (package, layer) in list {
            a.packages.push(Package {
                manager,
                package,
                layer,
            });
        }
    }
}

/// Private key and certificate PEM blocks in a text.
fn pem_blocks(text: &[u8]) -> (u64, u64) {
    let (mut keys, mut certs) = (0, 0);
    let mut rest = text;
    const BEGIN: &[u8] = b"-----BEGIN ";
    while let Some(i) = find(rest, BEGIN) {
        rest = rest.get(i + BEGIN.len()..).unwrap_or_default();
        let label_end = find(rest, b"-----").unwrap_or(rest.len());
        let label = rest.get(..label_end).unwrap_or_default();
        if label.ends_with(b"PRIVATE KEY") || label == b"PGP PRIVATE KEY BLOCK" {
            keys += 1;
        } else if label == b"CERTIFICATE" || label == b"TRUSTED CERTIFICATE" {
            certs += 1;
        }
    }
    (keys, certs)
}

fn kind_name(k: EntryKind) -> &'static str {
    match k {
        EntryKind::File => "file",
        EntryKind::Dir => "dir",
        EntryKind::Symlink => "symlink",
        EntryKind::Hardlink => "hardlink",
        EntryKind::CharDevice => "char_device",
        EntryKind::BlockDevice => "block_device",
        EntryKind::Fifo => "fifo",
    }
}
