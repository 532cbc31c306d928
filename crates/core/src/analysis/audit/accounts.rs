//! Users and groups: `/etc/passwd` (`name:password:uid:gid:gecos:home:shell`) and
//! `/etc/group` (`name:password:gid:member,member`), one record a line; comments, blank and
//! malformed lines are skipped.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// A user of `/etc/passwd`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Login name.
    pub name: String,
    /// User id.
    pub uid: u64,
    /// Primary group id.
    pub gid: u64,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
    /// Whether the shell lets the user log in (not `nologin`, `false` or empty).
    pub login: bool,
}

/// A group of `/etc/group`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// Group id.
    pub gid: u64,
    /// Supplementary members, as listed.
    pub members: Vec<String>,
}

fn records(text: &[u8], fields: usize) -> Vec<Vec<String>> {
    String::from_utf8_lossy(text)
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split(':').map(String::from).collect::<Vec<_>>())
        .filter(|f| f.len() == fields)
        .collect()
}

/// The users of a passwd file, in file order.
pub fn parse_passwd(text: &[u8]) -> Vec<User> {
    records(text, 7)
        .into_iter()
        .filter_map(|f| {
            let shell = f.get(6)?.clone();
            let base = shell.rsplit('/').next().unwrap_or("");
            Some(User {
                name: f.first()?.clone(),
                uid: f.get(2)?.parse().ok()?,
                gid: f.get(3)?.parse().ok()?,
                home: f.get(5)?.clone(),
                login: !matches!(base, "" | "nologin" | "false"),
                shell,
            })
        })
        .collect()
}

/// The groups of a group file, in file order.
pub fn parse_group(text: &[u8]) -> Vec<Group> {
    records(text, 4)
        .into_iter()
        .filter_map(|f| {
            Some(Group {
                name: f.first()?.clone(),
                gid: f.get(2)?.parse().ok()?,
                members: f
                    .get(3)?
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(String::from)
                    .collect(),
            })
        })
        .collect()
}
