//! The outer archive's member table: every member's name, type and where its bytes are.
//! Members are resolved through symlinks and hardlinks (buildah/podman/skopeo write
//! `<id>/layer.tar` as a symlink to a top-level `<diffid>.tar`), with cycles detected.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use std::io::Read;

use crate::error::{Error, Result};
use crate::limits::{LimitKind, Limits};
use crate::progress::{Progress, Stage};
use crate::sanitize::display_bytes;
use crate::source::{RangeReader, Source};

/// What a member is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberKind {
    /// Regular file with contents at `offset..offset + size`.
    File,
    /// Directory.
    Dir,
    /// Symbolic link to another member (target relative to the link's directory).
    Symlink(String),
    /// Hard link to another member (target relative to the archive root).
    Hardlink(String),
    /// Anything else (devices, FIFOs): never an image part.
    Other,
}

/// One member of the outer archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Normalised name (no `./` prefix, no trailing `/`).
    pub name: String,
    /// Type.
    pub kind: MemberKind,
    /// Offset of the contents in the (decompressed) archive.
    pub offset: u64,
    /// Size of the contents.
    pub size: u64,
    /// Offset of the member's first header.
    pub header_offset: u64,
}

/// All members, by name.
#[derive(Debug, Clone, Default)]
pub struct Members {
    by_name: BTreeMap<String, Member>,
}

/// The read-ahead after a jump while listing members: a header and a small JSON member.
const MEMBER_READ: usize = 64 << 10;

/// Most symlink hops followed before calling it a cycle (Linux uses 40 too).
const MAX_HOPS: usize = 40;

impl Members {
    /// Reads the member table, seeking past contents.
    ///
    /// # Errors
    /// A malformed or truncated tar, or too many members.
    pub fn read<S: Source>(
        source: S,
        len: u64,
        limits: &Limits,
        progress: &mut dyn Progress,
    ) -> Result<Self> {
        // Most members are jumped over (layer blobs), so a header after a jump gets a small
        // read; runs of small members grow the window as usual. A 1 MiB read per header cost
        // the browser ~7 ms each (a `FileReaderSync` call copies every byte it reads).
        let max = source.max_read_ahead();
        let mut reader = RangeReader::with_windows(source, 0, len, MEMBER_READ, max);
        let mut archive = tar::Archive::new(crate::stream::guard::HeaderGuard::new(&mut reader));
        let mut by_name = BTreeMap::new();
        let mut prev_end = 0u64;
        for (i, item) in archive.entries_with_seek()?.enumerate() {
            let entry = item.map_err(|e| {
                let err = Error::from(e);
                match err.kind() {
                    crate::error::ErrorKind::Tar(msg) => Error::tar(alloc::format!(
                        "{msg} (the archive's header at byte {prev_end})"
                    )),
                    _ => err,
                }
            })?;
            let raw = entry.path_bytes();
            let Ok(name_str) = core::str::from_utf8(&raw) else {
                // Image parts always have ASCII names; skip anything else.
                continue;
            };
            let name = normalise(name_str);
            let header = entry.header();
            let kind = match header.entry_type().as_byte() {
                b'0' | b'\0' | b'7' => MemberKind::File,
                b'5' => MemberKind::Dir,
                b'2' | b'1' => {
                    let target = entry
                        .link_name_bytes()
                        .map(|t| String::from_utf8_lossy(&t).into_owned())
                        .ok_or_else(|| {
                            Error::archive("link member without a target").in_member(&name)
                        })?;
                    if header.entry_type().as_byte() == b'2' {
                        MemberKind::Symlink(target)
                    } else {
                        MemberKind::Hardlink(normalise(&target))
                    }
                }
                _ => MemberKind::Other,
            };
            let size = entry.size();
            let offset = entry.raw_file_position();
            let member = Member {
                name: name.clone(),
                kind,
                offset,
                size,
                header_offset: prev_end,
            };
            prev_end = offset.saturating_add(size.saturating_add(511) & !511);
            if prev_end > len {
                return Err(Error::archive(alloc::format!(
                    "member declares {size} bytes but the file ends {} bytes after its start (truncated?)",
                    len.saturating_sub(offset)
                ))
                .in_member(&name));
            }
            by_name.insert(name, member);
            if by_name.len() as u64 > limits.max_members {
                return Err(Error::limit(LimitKind::Members, limits.max_members));
            }
            if i % 1024 == 0 && !progress.update(Stage::Opening, prev_end, len) {
                return Err(crate::error::ErrorKind::Cancelled.into());
            }
        }
        Ok(Members { by_name })
    }

    /// The member called `name` (normalised), without following links.
    pub fn get(&self, name: &str) -> Option<&Member> {
        self.by_name.get(&normalise(name))
    }

    /// Whether a member of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// All members in name order.
    pub fn iter(&self) -> impl Iterator<Item = &Member> {
        self.by_name.values()
    }

    /// Follows symlinks and hardlinks from `name` to a regular file member.
    ///
    /// # Errors
    /// If the member is missing, a link dangles, escapes the archive, or loops.
    pub fn resolve(&self, name: &str) -> Result<&Member> {
        let mut current = normalise(name);
        for _ in 0..MAX_HOPS {
            let m = self.by_name.get(&current).ok_or_else(|| {
                Error::archive(alloc::format!(
                    "the archive has no member `{}`",
                    display_bytes(current.as_bytes())
                ))
            })?;
            current = match &m.kind {
                MemberKind::File => return Ok(m),
                MemberKind::Symlink(target) => {
                    let base = match m.name.rfind('/') {
                        Some(i) => &m.name[..i],
                        None => "",
                    };
                    let joined = if target.starts_with('/') {
                        target.clone()
                    } else {
                        alloc::format!("{base}/{target}")
                    };
                    resolve_dots(&joined).ok_or_else(|| {
                        Error::archive(alloc::format!(
                            "symlink to `{}` points outside the archive",
                            display_bytes(target.as_bytes())
                        ))
                        .in_member(&m.name)
                    })?
                }
                MemberKind::Hardlink(target) => target.clone(),
                MemberKind::Dir | MemberKind::Other => {
                    return Err(Error::archive(
                        "expected a file but found a directory or special file",
                    )
                    .in_member(&m.name));
                }
            };
        }
        Err(
            Error::archive(alloc::format!("symlinks loop (more than {MAX_HOPS} hops)"))
                .in_member(name),
        )
    }

    /// Reads a small member (JSON) whole, after resolving links.
    ///
    /// # Errors
    /// If it is missing, larger than `max`, or unreadable.
    pub fn read_small<S: Source>(&self, source: S, name: &str, max: u64) -> Result<Vec<u8>> {
        let m = self.resolve(name).map_err(|e| e.in_member(name))?;
        if m.size > max {
            return Err(Error::limit(LimitKind::Json { size: m.size }, max).in_member(name));
        }
        let mut buf = Vec::with_capacity(m.size as usize);
        RangeReader::with_window(source, m.offset, m.size, 0)
            .read_to_end(&mut buf)
            .map_err(|e| Error::from(e).in_member(name))?;
        Ok(buf)
    }
}

/// Strips `./` and `/` prefixes and a trailing `/`.
fn normalise(name: &str) -> String {
    let mut s = name;
    loop {
        if let Some(rest) = s.strip_prefix("./") {
            s = rest;
        } else if let Some(rest) = s.strip_prefix('/') {
            s = rest;
        } else {
            break;
        }
    }
    s.trim_end_matches('/').into()
}

/// Resolves `.` and `..` inside the archive; `None` if it climbs above the root.
fn resolve_dots(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn dots_resolve_within_the_archive_only() {
        assert_eq!(resolve_dots("abc/../def.tar").as_deref(), Some("def.tar"));
        assert_eq!(resolve_dots("a/./b").as_deref(), Some("a/b"));
        assert_eq!(resolve_dots("../x"), None);
    }

    /// A source that counts the bytes asked of it, with a browser-sized window limit.
    struct Counted<'a> {
        bytes: &'a [u8],
        read: u64,
    }

    impl Source for Counted<'_> {
        fn size(&mut self) -> std::io::Result<u64> {
            Ok(self.bytes.len() as u64)
        }
        fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = (&*self.bytes).read_at(offset, buf)?;
            self.read += n as u64;
            Ok(n)
        }
        fn max_read_ahead(&self) -> usize {
            8 << 20
        }
    }

    #[test]
    fn listing_reads_headers_not_the_members_it_jumps() {
        let bytes = [
            ("manifest.json", 300),
            ("layer1.tar", 3 << 20),
            ("config.json", 2000),
            ("layer2.tar", 5 << 20),
            ("repositories", 100),
        ]
        .iter()
        .fold(crate::testing::LayerBuilder::new(), |b, &(name, size)| {
            b.file(name, &alloc::vec![7u8; size])
        })
        .build();
        let mut source = Counted {
            bytes: &bytes,
            read: 0,
        };
        let len = bytes.len() as u64;
        let members = Members::read(
            &mut source,
            len,
            &Limits::default(),
            &mut crate::progress::NoProgress,
        )
        .unwrap();
        assert_eq!(members.by_name.len(), 5);
        // Three reads of a header after a jump (and the first), none of them a megabyte.
        assert!(
            source.read < 4 * MEMBER_READ as u64,
            "read {} bytes of {len} to list 5 members",
            source.read
        );
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalise("./manifest.json"), "manifest.json");
        assert_eq!(normalise("blobs/sha256/"), "blobs/sha256");
    }
}
