//! Looking a path up in a filesystem state as a process inside the container would: symlinks
//! are followed, but only inside the image (a target that climbs above the root is refused, not
//! clamped, so a link meant for the host is never read as some file of the image), with a loop
//! limit like the kernel's.

use alloc::string::String;
use alloc::vec::Vec;

use super::union::{Node, UnionFs};
use crate::error::{Error, Result};
use crate::layer::{Entry, EntryKind, EntryPath, EntryRef};
use crate::sanitize::display_bytes;

/// Most symlinks followed in one lookup (Linux's `MAXSYMLINKS`).
pub const MAX_SYMLINKS: usize = 40;

/// Whether the last component is followed when it is a symlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// Like `stat`/`cat`: the path names what the link points at.
    All,
    /// Like `lstat`/`tar`: the path names the link itself; only its directories are followed.
    Parents,
}

/// Where a lookup ended: the real path and its state (`None` for the root, which no layer
/// need list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The path with every followed symlink replaced by its target.
    pub path: EntryPath,
    /// Its node.
    pub node: Option<Node>,
}

/// Looks `path` (`/etc/passwd`, `etc/passwd`, raw bytes) up in `fs`; `entry` finds the entries
/// the nodes point at.
///
/// # Errors
/// A missing path (dangling links included), a non-directory used as a directory, a symlink
/// whose target leaves the image, more than [`MAX_SYMLINKS`] links.
pub fn resolve<'e>(
    fs: &UnionFs,
    entry: impl Fn(EntryRef) -> Option<&'e Entry>,
    path: &[u8],
    follow: Follow,
) -> Result<Resolved> {
    // Components still to walk, last first (so a link's target is pushed on top).
    let mut pending: Vec<Vec<u8>> = components(path).rev().map(<[u8]>::to_vec).collect();
    let mut done: Vec<Vec<u8>> = Vec::new();
    let mut links = 0usize;
    while let Some(c) = pending.pop() {
        if c == b".." {
            if done.pop().is_none() {
                return Err(Error::request(alloc::format!(
                    "{} leaves the image (`..` above its root)",
                    shown(path)
                )));
            }
            continue;
        }
        let here = join(&done, &c);
        let Some(node) = fs.get(here.as_bytes()).copied() else {
            return Err(Error::request(alloc::format!(
                "no such file: /{}",
                display_bytes(here.as_bytes())
            )));
        };
        let e = entry(node.inode_entry);
        let last = pending.is_empty();
        if let Some(link) = e
            .filter(|e| e.kind == EntryKind::Symlink)
            .and_then(|e| e.link.as_deref())
        {
            if !last || follow == Follow::All {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(Error::request(alloc::format!(
                        "too many levels of symbolic links resolving {}",
                        shown(path)
                    )));
                }
                if link.first() == Some(&b'/') {
                    done.clear();
                }
                let target: Vec<&[u8]> = components(link).collect();
                // A link climbing above the root leaves the image: refused, not clamped.
                let mut depth = done.len() as isize;
                for t in &target {
                    depth += if *t == b".." { -1 } else { 1 };
                    if depth < 0 {
                        return Err(Error::request(alloc::format!(
                            "/{} is a symlink to {}, which leaves the image",
                            display_bytes(here.as_bytes()),
                            display_bytes(link)
                        )));
                    }
                }
                pending.extend(target.into_iter().rev().map(<[u8]>::to_vec));
                continue;
            }
        }
        if !last && !e.is_some_and(Entry::is_dir) {
            return Err(Error::request(alloc::format!(
                "/{} is not a directory",
                display_bytes(here.as_bytes())
            )));
        }
        done.push(c);
    }
    let path = EntryPath::from_normal(&join_all(&done));
    let node = if path.is_root() {
        None
    } else {
        fs.get(path.as_bytes()).copied()
    };
    Ok(Resolved { path, node })
}

fn shown(path: &[u8]) -> String {
    display_bytes(path)
}

/// Non-empty components other than `.`.
fn components(path: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
}

fn join(done: &[Vec<u8>], c: &[u8]) -> EntryPath {
    let mut p = join_all(done);
    if !p.is_empty() {
        p.push(b'/');
    }
    p.extend_from_slice(c);
    EntryPath::from_normal(&p)
}

fn join_all(done: &[Vec<u8>]) -> Vec<u8> {
    done.join(&b'/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{union, LayerBuilder as L};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn look(layers: &[alloc::vec::Vec<u8>], path: &str, follow: Follow) -> Result<String> {
        let (idx, fs, _) = union(layers);
        let entry = |r: EntryRef| {
            idx.get(r.layer as usize)
                .and_then(|l| l.entries.get(r.entry as usize))
        };
        resolve(&fs, entry, path.as_bytes(), follow).map(|r| r.path.display())
    }

    #[test]
    fn symlinks_are_followed_inside_the_image_only() {
        let l0 = L::new()
            .dir("etc")
            .file("etc/real", b"x")
            .symlink("etc/rel", "real")
            .symlink("etc/abs", "/etc/real")
            .symlink("bin", "usr/bin")
            .dir("usr")
            .dir("usr/bin")
            .file("usr/bin/sh", b"sh")
            .symlink("etc/up", "../../host")
            .symlink("etc/loop", "loop")
            .symlink("etc/dangling", "nowhere")
            .build();
        let l = [l0];
        assert_eq!(look(&l, "/etc/rel", Follow::All).unwrap(), "etc/real");
        assert_eq!(look(&l, "etc/abs", Follow::All).unwrap(), "etc/real");
        assert_eq!(look(&l, "/bin/sh", Follow::All).unwrap(), "usr/bin/sh");
        assert_eq!(look(&l, "/bin/sh", Follow::Parents).unwrap(), "usr/bin/sh");
        assert_eq!(look(&l, "/etc/rel", Follow::Parents).unwrap(), "etc/rel");
        assert_eq!(
            look(&l, "/usr/bin/../bin/sh", Follow::All).unwrap(),
            "usr/bin/sh"
        );
        let up = look(&l, "/etc/up", Follow::All).unwrap_err();
        assert!(alloc::format!("{up}").contains("leaves the image"), "{up}");
        let lp = look(&l, "/etc/loop", Follow::All).unwrap_err();
        assert!(alloc::format!("{lp}").contains("too many levels"), "{lp}");
        assert!(look(&l, "/etc/dangling", Follow::All).is_err());
        assert!(look(&l, "/etc/real/x", Follow::All).is_err());
        assert!(look(&l, "/..", Follow::All).is_err());
        assert_eq!(look(&l, "/", Follow::All).unwrap(), "");
    }
}
