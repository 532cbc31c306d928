//! The package databases: dpkg's status file (`/var/lib/dpkg/status`) and apk's installed
//! database (`/lib/apk/db/installed`), parsed into packages, and the difference between two
//! versions of a database (what one layer installed, upgraded and removed).
//!
//! Formats. dpkg: RFC 822-style stanzas separated by blank lines; `Package`, `Version`,
//! `Architecture`, `Status` (`want flag state`; only `installed` counts) and
//! `Installed-Size` (KiB); continuation lines start with a space. apk: stanzas of
//! `letter:value` lines separated by blank lines; `P` name, `V` version, `A` architecture, `I`
//! installed size in bytes; every stanza in the file is installed.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// Which package manager's database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Manager {
    /// Debian's dpkg (`/var/lib/dpkg/status`).
    Dpkg,
    /// Alpine's apk (`/lib/apk/db/installed`).
    Apk,
}

impl Manager {
    /// Every manager, with its database path (normalised: no leading `/`).
    pub const ALL: [(Manager, &'static [u8]); 2] = [
        (Manager::Dpkg, b"var/lib/dpkg/status"),
        (Manager::Apk, b"lib/apk/db/installed"),
    ];

    /// The manager's name.
    pub fn name(self) -> &'static str {
        match self {
            Manager::Dpkg => "dpkg",
            Manager::Apk => "apk",
        }
    }

    /// Parses a database of this manager.
    pub fn parse(self, db: &[u8]) -> Vec<Installed> {
        match self {
            Manager::Dpkg => parse_dpkg(db),
            Manager::Apk => parse_apk(db),
        }
    }
}

/// One installed package as its database records it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Installed {
    /// Package name.
    pub name: String,
    /// Version string, as recorded.
    pub version: String,
    /// Architecture, if recorded (`amd64`, `all`, `x86_64`).
    pub arch: String,
    /// Installed size in bytes (dpkg records KiB: × 1024), 0 if not recorded.
    pub installed_size: u64,
}

/// Stanzas: runs of non-blank lines. Lines are text (lossy UTF-8), `\r` trimmed.
fn stanzas(db: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8_lossy(db);
    let mut out = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(core::mem::take(&mut cur));
            }
        } else {
            cur.push(line.into());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn parse_dpkg(db: &[u8]) -> Vec<Installed> {
    let mut out = Vec::new();
    for st in stanzas(db) {
        let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
        for line in &st {
            if line.starts_with([' ', '\t']) {
                continue; // a continuation (Description, Conffiles)
            }
            if let Some((k, v)) = line.split_once(':') {
                fields.insert(k.trim(), v.trim());
            }
        }
        let installed = fields
            .get("Status")
            .and_then(|s| s.split_whitespace().nth(2))
            == Some("installed");
        let Some(name) = fields.get("Package").filter(|_| installed) else {
            continue;
        };
        let kib: u64 = fields
            .get("Installed-Size")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        out.push(Installed {
            name: (*name).into(),
            version: fields.get("Version").copied().unwrap_or("").into(),
            arch: fields.get("Architecture").copied().unwrap_or("").into(),
            installed_size: kib.saturating_mul(1024),
        });
    }
    out.sort();
    out
}

fn parse_apk(db: &[u8]) -> Vec<Installed> {
    let mut out = Vec::new();
    for st in stanzas(db) {
        let field = |key: char| {
            st.iter().find_map(|l| {
                let mut c = l.chars();
                (c.next() == Some(key) && c.next() == Some(':')).then(|| l.get(2..).unwrap_or(""))
            })
        };
        let Some(name) = field('P') else { continue };
        out.push(Installed {
            name: name.into(),
            version: field('V').unwrap_or("").into(),
            arch: field('A').unwrap_or("").into(),
            installed_size: field('I').and_then(|s| s.trim().parse().ok()).unwrap_or(0),
        });
    }
    out.sort();
    out
}

/// What one version of a database changed against the one before it, by package name
/// (a package counts once per name and architecture).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    /// New, or with another version: the packages this layer wrote.
    pub installed: Vec<Installed>,
    /// Present before, gone now.
    pub removed: Vec<Installed>,
}

/// The packages `after` has that `before` had not (or had at another version), and those it
/// lost.
pub fn delta(before: &[Installed], after: &[Installed]) -> Delta {
    let key = |p: &Installed| (p.name.clone(), p.arch.clone());
    let old: BTreeMap<_, &Installed> = before.iter().map(|p| (key(p), p)).collect();
    let new: BTreeMap<_, &Installed> = after.iter().map(|p| (key(p), p)).collect();
    Delta {
        installed: after
            .iter()
            .filter(|p| old.get(&key(p)).is_none_or(|o| o.version != p.version))
            .cloned()
            .collect(),
        removed: before
            .iter()
            .filter(|p| !new.contains_key(&key(p)))
            .cloned()
            .collect(),
    }
}
