//! Writing tar headers: for entries the squash must rewrite (whiteouts, hardlinks turned into
//! files, links re-pointed) and for the members of the output archive. Fields that do not
//! fit ustar (long names, large ids, xattrs) go into a PAX `x` header before the entry.

use alloc::string::String;
use alloc::vec::Vec;

use super::{Entry, EntryKind};

/// Metadata for a header.
#[derive(Debug, Clone, Default)]
pub struct HeaderSpec<'a> {
    /// Full path bytes.
    pub path: &'a [u8],
    /// Type flag byte.
    pub flag: u8,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Owner name.
    pub uname: &'a str,
    /// Group name.
    pub gname: &'a str,
    /// Content size.
    pub size: u64,
    /// Modification time.
    pub mtime: i64,
    /// Link target.
    pub link: &'a [u8],
    /// Device numbers.
    pub device: (u32, u32),
    /// Extended attributes (name, value).
    pub xattrs: Vec<(&'a str, &'a [u8])>,
}

impl<'a> HeaderSpec<'a> {
    /// A header describing `entry` at `path` as type `kind`.
    pub fn from_entry(entry: &'a Entry, path: &'a [u8], kind: EntryKind) -> Self {
        HeaderSpec {
            path,
            flag: flag_of(kind),
            mode: entry.mode,
            uid: entry.uid,
            gid: entry.gid,
            uname: entry.uname().unwrap_or(""),
            gname: entry.gname().unwrap_or(""),
            size: if kind == EntryKind::File {
                entry.size
            } else {
                0
            },
            mtime: entry.mtime,
            link: entry.link.as_deref().unwrap_or(b""),
            device: entry.device().unwrap_or((0, 0)),
            xattrs: entry
                .xattrs()
                .iter()
                .map(|x| (&*x.name, &*x.value))
                .collect(),
        }
    }

    /// A plain regular file (archive members, whiteouts).
    pub fn file(path: &'a [u8], size: u64, mtime: i64) -> Self {
        HeaderSpec {
            path,
            flag: b'0',
            mode: 0o644,
            size,
            mtime,
            ..Default::default()
        }
    }

    /// The header bytes (a PAX header first when needed): a multiple of 512.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut pax: Vec<u8> = Vec::new();
        let needs_path = self.path.len() > 100;
        if needs_path {
            pax_record(&mut pax, "path", self.path);
        }
        if self.link.len() > 100 {
            pax_record(&mut pax, "linkpath", self.link);
        }
        if self.uid > 0o7777777 {
            pax_record(&mut pax, "uid", alloc::format!("{}", self.uid).as_bytes());
        }
        if self.gid > 0o7777777 {
            pax_record(&mut pax, "gid", alloc::format!("{}", self.gid).as_bytes());
        }
        if self.uname.len() > 32 {
            pax_record(&mut pax, "uname", self.uname.as_bytes());
        }
        if self.gname.len() > 32 {
            pax_record(&mut pax, "gname", self.gname.as_bytes());
        }
        if self.mtime < 0 || self.mtime > 0o77777777777 {
            pax_record(
                &mut pax,
                "mtime",
                alloc::format!("{}", self.mtime).as_bytes(),
            );
        }
        if self.size > 0o77777777777 {
            pax_record(&mut pax, "size", alloc::format!("{}", self.size).as_bytes());
        }
        for (name, value) in &self.xattrs {
            pax_record(&mut pax, &alloc::format!("SCHILY.xattr.{name}"), value);
        }
        let mut out = Vec::with_capacity(1024 + pax.len());
        if !pax.is_empty() {
            let mut name = Vec::from(&b"PaxHeaders/"[..]);
            name.extend_from_slice(&self.path[self.path.len().saturating_sub(80)..]);
            out.extend_from_slice(&ustar(&HeaderSpec {
                path: &name,
                flag: b'x',
                mode: 0o644,
                size: pax.len() as u64,
                mtime: self.mtime.max(0),
                ..Default::default()
            }));
            out.extend_from_slice(&pax);
            pad(&mut out);
        }
        out.extend_from_slice(&ustar(self));
        out
    }
}

/// The tar type flag for a kind.
pub fn flag_of(kind: EntryKind) -> u8 {
    match kind {
        EntryKind::File => b'0',
        EntryKind::Hardlink => b'1',
        EntryKind::Symlink => b'2',
        EntryKind::CharDevice => b'3',
        EntryKind::BlockDevice => b'4',
        EntryKind::Dir => b'5',
        EntryKind::Fifo => b'6',
    }
}

/// Zero bytes up to the next multiple of 512.
pub fn pad(out: &mut Vec<u8>) {
    let rem = out.len() % 512;
    if rem != 0 {
        out.resize(out.len() + 512 - rem, 0);
    }
}

/// Padding length after `size` bytes of content.
pub fn padding(size: u64) -> u64 {
    (512 - size % 512) % 512
}

fn pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    // "LEN key=value\n" where LEN counts itself.
    let body = key.len() + value.len() + 3;
    let mut len = body + 1;
    loop {
        let digits = alloc::format!("{len}").len();
        if body + digits == len {
            break;
        }
        len = body + digits;
    }
    out.extend_from_slice(alloc::format!("{len} {key}=").as_bytes());
    out.extend_from_slice(value);
    out.push(b'\n');
}

fn octal(field: &mut [u8], value: u64) {
    // Width-1 digits plus NUL; values that do not fit were put in PAX (write 0 here).
    let width = field.len() - 1;
    let s: String = alloc::format!("{value:0width$o}");
    let s = if s.len() > width {
        alloc::format!("{:0width$o}", 0)
    } else {
        s
    };
    field[..width].copy_from_slice(s.as_bytes());
    field[width] = 0;
}

fn copy_trunc(field: &mut [u8], value: &[u8]) {
    let n = value.len().min(field.len());
    field[..n].copy_from_slice(&value[..n]);
}

fn ustar(h: &HeaderSpec<'_>) -> [u8; 512] {
    let mut b = [0u8; 512];
    // name (100) or prefix (155) + name when it splits at a '/'.
    if h.path.len() <= 100 {
        copy_trunc(&mut b[0..100], h.path);
    } else if let Some((prefix, name)) = split_ustar(h.path) {
        copy_trunc(&mut b[0..100], name);
        copy_trunc(&mut b[345..500], prefix);
    } else {
        copy_trunc(&mut b[0..100], h.path);
    }
    octal(&mut b[100..108], u64::from(h.mode));
    octal(&mut b[108..116], h.uid);
    octal(&mut b[116..124], h.gid);
    octal(&mut b[124..136], h.size);
    octal(&mut b[136..148], u64::try_from(h.mtime).unwrap_or(0));
    b[156] = h.flag;
    copy_trunc(&mut b[157..257], h.link);
    b[257..263].copy_from_slice(b"ustar\0");
    b[263..265].copy_from_slice(b"00");
    copy_trunc(&mut b[265..297], h.uname.as_bytes());
    copy_trunc(&mut b[297..329], h.gname.as_bytes());
    if h.flag == b'3' || h.flag == b'4' {
        octal(&mut b[329..337], u64::from(h.device.0));
        octal(&mut b[337..345], u64::from(h.device.1));
    }
    b[148..156].fill(b' ');
    let sum: u32 = b.iter().map(|&x| u32::from(x)).sum();
    let s = alloc::format!("{sum:06o}\0 ");
    b[148..156].copy_from_slice(s.as_bytes());
    b
}

fn split_ustar(path: &[u8]) -> Option<(&[u8], &[u8])> {
    // prefix ≤ 155, name ≤ 100, split at a '/'.
    let start = path.len().saturating_sub(101);
    let mut i = start;
    while i < path.len() && i <= 155 {
        if path[i] == b'/' && path.len() - i - 1 <= 100 && i > 0 {
            return Some((&path[..i], &path[i + 1..]));
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use std::io::Read;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn long_names_large_ids_and_xattrs_round_trip_through_tar() {
        let long = alloc::vec![b'x'; 300];
        let mut path = Vec::from(&b"dir/"[..]);
        path.extend_from_slice(&long);
        let spec = HeaderSpec {
            path: &path,
            flag: b'0',
            mode: 0o4755,
            uid: 5_000_000_000,
            gid: 7,
            uname: "someone",
            gname: "grp",
            size: 3,
            mtime: 1_700_000_000,
            xattrs: alloc::vec![("security.capability", &b"\x01\x02"[..])],
            ..Default::default()
        };
        let mut bytes = spec.to_bytes();
        bytes.extend_from_slice(b"abc");
        pad(&mut bytes);
        bytes.extend_from_slice(&[0u8; 1024]);
        let mut ar = tar::Archive::new(bytes.as_slice());
        let mut entries = ar.entries().unwrap();
        let mut e = entries.next().unwrap().unwrap();
        assert_eq!(&*e.path_bytes(), path.as_slice());
        assert_eq!(e.header().mode().unwrap(), 0o4755);
        assert_eq!(e.header().uid().unwrap(), 5_000_000_000);
        let x: Vec<_> = e
            .pax_extensions()
            .unwrap()
            .unwrap()
            .map(|x| x.unwrap().key().unwrap().to_string())
            .collect();
        assert!(x.contains(&"SCHILY.xattr.security.capability".to_string()));
        let mut s = String::new();
        e.read_to_string(&mut s).unwrap();
        assert_eq!(s, "abc");
    }

    #[test]
    fn medium_names_split_into_prefix() {
        let path = b"a/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/c.txt";
        let mut bytes = HeaderSpec::file(path, 0, 0).to_bytes();
        bytes.extend_from_slice(&[0u8; 1024]);
        let mut ar = tar::Archive::new(bytes.as_slice());
        let e = ar.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(&*e.path_bytes(), &path[..]);
    }
}
