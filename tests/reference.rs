//! Reading image archives without layerlens, to have something independent to compare with:
//! the outer tar through the `tar` crate, `manifest.json` / `index.json` with serde_json,
//! layer blobs decompressed by the real `gzip` / `zstd` tools and listed by GNU `tar`.
//!
//! This is deliberately plain code for the layouts in the shared fixtures (Docker < 25,
//! Docker ≥ 25, containers/image, kaniko/ggcr and oci-archive), not a second implementation of
//! the core's reader.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::util;

/// One member of the outer archive.
enum Member {
    Data(Vec<u8>),
    Symlink(String),
    Hardlink(String),
    Dir,
}

/// An image found in an archive, with its layer blobs as stored.
pub struct RefImage {
    /// Position in the archive (manifest.json / index.json order).
    pub index: usize,
    /// `RepoTags` (docker) or `org.opencontainers.image.ref.name` (OCI).
    pub tags: Vec<String>,
    /// The layer blobs, bottom first, exactly as stored (possibly compressed).
    pub layers: Vec<Vec<u8>>,
    /// A skopeo source reference for this image.
    pub skopeo_ref: String,
    /// Where the config is (member name for docker archives, digest for OCI) and its bytes.
    pub config_name: String,
    pub config: Vec<u8>,
}

impl RefImage {
    /// The config, parsed.
    pub fn config_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.config).expect("image config JSON")
    }
}

/// The images an archive holds, in order.
pub fn images(archive: &Path) -> Vec<RefImage> {
    let members = members(archive);
    let file = archive.display();
    if let Some(manifest) = member_data(&members, "manifest.json") {
        let manifest: serde_json::Value = serde_json::from_slice(manifest)
            .unwrap_or_else(|e| panic!("{file}: manifest.json: {e}"));
        let list = manifest
            .as_array()
            .unwrap_or_else(|| panic!("{file}: manifest.json is not an array"));
        return list
            .iter()
            .enumerate()
            .map(|(index, m)| {
                let tags = m["RepoTags"]
                    .as_array()
                    .map(|t| {
                        t.iter()
                            .filter_map(|s| s.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                let layers = m["Layers"]
                    .as_array()
                    .expect("Layers")
                    .iter()
                    .map(|l| {
                        let name = l.as_str().expect("layer name");
                        member_data(&members, name)
                            .unwrap_or_else(|| panic!("{file}: layer {name} not found"))
                            .to_vec()
                    })
                    .collect();
                let config_name = m["Config"].as_str().expect("Config").to_string();
                let config = member_data(&members, &config_name)
                    .unwrap_or_else(|| panic!("{file}: config {config_name} not found"))
                    .to_vec();
                RefImage {
                    index,
                    tags,
                    layers,
                    skopeo_ref: format!("docker-archive:{}:@{index}", archive.display()),
                    config_name,
                    config,
                }
            })
            .collect();
    }
    let index = member_data(&members, "index.json")
        .unwrap_or_else(|| panic!("{file}: neither manifest.json nor index.json"));
    let index: serde_json::Value = serde_json::from_slice(index).expect("index.json");
    let blob = |digest: &str| -> &[u8] {
        let (alg, hex) = digest.split_once(':').expect("digest");
        member_data(&members, &format!("blobs/{alg}/{hex}"))
            .unwrap_or_else(|| panic!("{file}: blob {digest} not found"))
    };
    let mut manifests = Vec::new();
    let mut pending: Vec<serde_json::Value> =
        index["manifests"].as_array().cloned().unwrap_or_default();
    pending.reverse();
    while let Some(desc) = pending.pop() {
        let body: serde_json::Value =
            serde_json::from_slice(blob(desc["digest"].as_str().expect("digest")))
                .expect("manifest");
        if body["manifests"].is_array() {
            // A nested index: its manifests come in its place, in order.
            let mut nested = body["manifests"].as_array().cloned().unwrap_or_default();
            nested.reverse();
            pending.extend(nested);
        } else {
            manifests.push((desc, body));
        }
    }
    let single = manifests.len() == 1;
    manifests
        .into_iter()
        .enumerate()
        .map(|(index, (desc, body))| {
            let tag = desc["annotations"]["org.opencontainers.image.ref.name"].as_str();
            let layers = body["layers"]
                .as_array()
                .expect("layers")
                .iter()
                .map(|l| blob(l["digest"].as_str().expect("digest")).to_vec())
                .collect();
            assert!(
                single || tag.is_some(),
                "{file}: several OCI manifests and no ref names"
            );
            let skopeo_ref = match (single, tag) {
                (true, _) => format!("oci-archive:{}", archive.display()),
                (false, Some(t)) => format!("oci-archive:{}:{t}", archive.display()),
                (false, None) => unreachable!(),
            };
            let config_name = body["config"]["digest"]
                .as_str()
                .expect("config digest")
                .to_string();
            let config = blob(&config_name).to_vec();
            RefImage {
                index,
                tags: tag.map(String::from).into_iter().collect(),
                layers,
                skopeo_ref,
                config_name,
                config,
            }
        })
        .collect()
}

fn members(archive: &Path) -> BTreeMap<String, Member> {
    let f = std::fs::File::open(archive).unwrap_or_else(|e| panic!("{}: {e}", archive.display()));
    let mut ar = tar::Archive::new(f);
    let mut out = BTreeMap::new();
    for e in ar.entries().expect("outer tar") {
        let mut e = e.expect("outer tar entry");
        let name = clean(&String::from_utf8_lossy(&e.path_bytes()));
        let link =
            || String::from_utf8_lossy(&e.link_name_bytes().expect("link name")).into_owned();
        let m = match e.header().entry_type() {
            tar::EntryType::Directory => Member::Dir,
            // Relative to the member's directory, resolved when followed.
            tar::EntryType::Symlink => Member::Symlink(link()),
            tar::EntryType::Link => Member::Hardlink(clean(&link())),
            _ => {
                let mut data = Vec::new();
                e.read_to_end(&mut data).expect("reading a member");
                Member::Data(data)
            }
        };
        out.insert(name, m);
    }
    out
}

/// A member's bytes, following symlinks (relative to the member's directory) and hardlinks.
fn member_data<'a>(members: &'a BTreeMap<String, Member>, name: &str) -> Option<&'a [u8]> {
    let mut name = clean(name);
    for _ in 0..16 {
        match members.get(&name)? {
            Member::Data(d) => return Some(d),
            Member::Dir => return None,
            Member::Hardlink(t) => name = t.clone(),
            Member::Symlink(t) => {
                let base = name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                name = resolve(base, t);
            }
        }
    }
    None
}

fn clean(name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in name.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn resolve(base: &str, target: &str) -> String {
    if target.starts_with('/') {
        clean(target)
    } else {
        clean(&format!("{base}/{target}"))
    }
}

/// A layer blob decompressed by the real tool its magic bytes call for.
pub fn decompress(blob: &[u8], scratch: &Path) -> Vec<u8> {
    let tool = if blob.starts_with(&[0x1f, 0x8b]) {
        "gzip"
    } else if blob.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        "zstd"
    } else {
        return blob.to_vec();
    };
    let p = scratch.join(format!("blob-{}", util::sha256_hex(blob)));
    std::fs::write(&p, blob).expect("writing a blob");
    util::run(util::peer_cmd(tool).arg("-dc").arg(&p))
}

/// One entry as GNU `tar --list --verbose` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarListing {
    /// `-`, `d`, `l`, `h`, `p`, `c`, `b` as in the mode column.
    pub kind: char,
    /// Permission bits with setuid/setgid/sticky.
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// The size column (0 for devices, whose column holds major,minor).
    pub size: u64,
    /// Device numbers of `c` / `b` entries.
    pub device: Option<(u32, u32)>,
    /// Seconds since the epoch (UTC, fraction dropped).
    pub mtime: i64,
    /// The name as stored (unescaped).
    pub name: Vec<u8>,
    /// Symlink target or hardlink target as stored.
    pub link: Option<Vec<u8>>,
}

/// `tar -tv` of a plain tar, parsed. Runs GNU tar with C quoting so any name survives.
pub fn gnu_tar_list(plain_tar: &[u8], scratch: &Path) -> Vec<TarListing> {
    let p: PathBuf = scratch.join(format!("layer-{}.tar", util::sha256_hex(plain_tar)));
    std::fs::write(&p, plain_tar).expect("writing a layer tar");
    let out = util::run(
        util::peer_cmd("tar")
            .args([
                "--list",
                "--verbose",
                "--numeric-owner",
                "--full-time",
                "--quoting-style=c",
            ])
            .arg("-f")
            .arg(&p),
    );
    String::from_utf8(out)
        .expect("C-quoted tar output is ASCII")
        .lines()
        .map(parse_listing_line)
        .collect()
}

fn parse_listing_line(line: &str) -> TarListing {
    try_parse_listing_line(line).unwrap_or_else(|| panic!("unexpected `tar -tv` line: {line:?}"))
}

fn try_parse_listing_line(line: &str) -> Option<TarListing> {
    let mut rest = line;
    let mut field = || -> Option<&str> {
        let t = rest.trim_start();
        let (f, r) = t.split_at(t.find(' ')?);
        rest = r;
        Some(f)
    };
    let mode_str = field()?;
    let owner = field()?;
    let mut size_str = field()?.to_string();
    if size_str.ends_with(',') {
        // `c`/`b` entries: "major, minor" may be split by padding.
        size_str.push_str(field()?);
    }
    let date = field()?;
    let time = field()?;
    let rest = rest.trim_start();
    let kind = mode_str.chars().next()?;
    let mode = parse_mode(mode_str.get(1..)?)?;
    let (uid, gid) = owner.split_once('/')?;
    let (size, device) = match size_str.split_once(',') {
        Some((maj, min)) => (
            0,
            Some((maj.trim().parse().ok()?, min.trim().parse().ok()?)),
        ),
        None => (size_str.parse().ok()?, None),
    };
    let (name, after) = parse_c_string(rest)?;
    let link = if let Some(t) = after.strip_prefix(" -> ") {
        Some(parse_c_string(t)?.0)
    } else if let Some(t) = after.strip_prefix(" link to ") {
        Some(parse_c_string(t)?.0)
    } else if after.is_empty() {
        None
    } else {
        return None;
    };
    Some(TarListing {
        kind,
        mode,
        uid: uid.parse().ok()?,
        gid: gid.parse().ok()?,
        size,
        device,
        mtime: parse_utc(date, time)?,
        name,
        link,
    })
}

/// `rwsr-x--T` → 0o5750.
fn parse_mode(s: &str) -> Option<u32> {
    let b: Vec<char> = s.chars().collect();
    if b.len() < 9 {
        return None;
    }
    let mut m = 0u32;
    for (i, c) in b[..9].iter().enumerate() {
        let bit = 1 << (8 - i);
        match (i % 3, c) {
            (_, '-') => {}
            (0, 'r') | (1, 'w') | (2, 'x') => m |= bit,
            (2, 's') | (2, 't') => m |= bit | special(i),
            (2, 'S') | (2, 'T') => m |= special(i),
            _ => return None,
        }
    }
    Some(m)
}

fn special(i: usize) -> u32 {
    match i {
        2 => 0o4000,
        5 => 0o2000,
        _ => 0o1000,
    }
}

/// A C-quoted string at the start of `s` and what follows it.
fn parse_c_string(s: &str) -> Option<(Vec<u8>, &str)> {
    let bytes = s.as_bytes();
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Some((out, &s[i + 1..])),
            b'\\' => {
                let c = *bytes.get(i + 1)?;
                i += 2;
                match c {
                    b'0'..=b'7' => {
                        let mut v = u32::from(c - b'0');
                        for _ in 0..2 {
                            match bytes.get(i) {
                                Some(d @ b'0'..=b'7') => {
                                    v = v * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push(v as u8);
                    }
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'a' => out.push(7),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'v' => out.push(11),
                    other => out.push(other),
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    None
}

/// `2026-11-26` `04:51:27.554` (UTC) → seconds since the epoch.
fn parse_utc(date: &str, time: &str) -> Option<i64> {
    let mut d = date.splitn(3, '-');
    let (y, mo, da): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let time = time.split('.').next()?;
    let mut t = time.splitn(3, ':');
    let (h, mi, s): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + da - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + s)
}

/// A layer path as layerlens normalises it: no `./` or `/` prefix, no trailing `/`, and the
/// root itself as the empty string.
pub fn normalise(name: &[u8]) -> Vec<u8> {
    let mut n = name;
    loop {
        if let Some(r) = n.strip_prefix(b"./") {
            n = r;
        } else if let Some(r) = n.strip_prefix(b"/") {
            n = r;
        } else {
            break;
        }
    }
    while let Some(r) = n.strip_suffix(b"/") {
        n = r;
    }
    if n == b"." {
        n = b"";
    }
    n.to_vec()
}

#[test]
fn listing_lines_parse() {
    let l = parse_listing_line(r#"-rwsr-xr-x 0/0 4 2026-11-26 05:15:01 "data/setuid""#);
    assert_eq!(
        (l.kind, l.mode, l.size, l.name.as_slice()),
        ('-', 0o4755, 4, &b"data/setuid"[..])
    );
    assert_eq!(l.mtime, 1_795_670_101);
    let l = parse_listing_line(r#"hrw-r--r-- 1000/100 0 1970-01-01 00:00:00 "a b" link to "c\"d""#);
    assert_eq!(
        (l.kind, l.uid, l.gid, l.link.as_deref()),
        ('h', 1000, 100, Some(&b"c\"d"[..]))
    );
    let l = parse_listing_line(r#"lrwxrwxrwx 0/0 0 2020-01-01 00:00:00 "\303\261" -> "/x""#);
    assert_eq!(
        (l.name, l.link, l.mtime),
        ("ñ".as_bytes().to_vec(), Some(b"/x".to_vec()), 1_577_836_800)
    );
    let l = parse_listing_line(r#"crw-rw-rw- 0/0 1,3 2020-01-01 00:00:00 "dev/null""#);
    assert_eq!(l.device, Some((1, 3)));
    assert_eq!(parse_mode("rwxrwsrwT"), Some(0o3776));
}
