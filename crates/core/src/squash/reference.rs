//! Checks for what a person types into a squash: image references for `RepoTags` and RFC 3339
//! times for `created`. `docker load`, podman and skopeo refuse archives that break either, so
//! they are refused before anything is written.

use crate::error::{Error, Result};
use crate::sanitize::display_bytes;

/// Checks `name[:tag]` as Docker's reference grammar has it: an optional registry host
/// (`example.com:5000/`), lowercase path components separated by `.`, `_`, `__` or dashes, and
/// a tag of at most 128 word characters, dots and dashes.
///
/// # Errors
/// [`ErrorKind::Request`](crate::error::ErrorKind::Request) naming the bad part.
pub fn check_tag(reference: &str) -> Result<()> {
    let bad = |why: &str| {
        Error::request(alloc::format!(
            "`{}` is not a valid image tag: {why}",
            display_bytes(reference.as_bytes())
        ))
    };
    if reference.contains('@') {
        return Err(bad("digests cannot be tags"));
    }
    let slash = reference.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match reference[slash..].rfind(':') {
        Some(i) => (&reference[..slash + i], Some(&reference[slash + i + 1..])),
        None => (reference, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= 128
            && tag.bytes().enumerate().all(|(i, b)| {
                b.is_ascii_alphanumeric() || b == b'_' || (i > 0 && (b == b'.' || b == b'-'))
            });
        if !ok {
            return Err(bad("the tag must be 1 to 128 letters, digits, `_`, `.` or `-` (not starting with `.` or `-`)"));
        }
    }
    if name.is_empty() || name.len() > 255 {
        return Err(bad("the name must be 1 to 255 characters"));
    }
    let mut parts: alloc::vec::Vec<&str> = name.split('/').collect();
    if parts.len() > 1
        && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost")
    {
        let host = parts.remove(0);
        let (domain, port) = match host.split_once(':') {
            Some((d, p)) => (d, Some(p)),
            None => (host, None),
        };
        let domain_ok = !domain.is_empty()
            && domain.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if !domain_ok || !port_ok {
            return Err(bad("the registry host is malformed"));
        }
    }
    for p in parts {
        if !path_component(p) {
            return Err(bad("name components are lowercase letters and digits, separated by `.`, `_`, `__` or `-`"));
        }
    }
    Ok(())
}

fn path_component(p: &str) -> bool {
    let b = p.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator: `.`, `_`, `__`, or a run of dashes, always between alphanumerics.
        let sep_len = match b[i] {
            b'.' => 1,
            b'_' if b.get(i + 1) == Some(&b'_') => 2,
            b'_' => 1,
            b'-' => b[i..].iter().take_while(|&&c| c == b'-').count(),
            _ => return false,
        };
        i += sep_len;
        if !b.get(i).is_some_and(|&c| alnum(c)) {
            return false;
        }
    }
    true
}

/// Checks an RFC 3339 date-time (`2024-05-01T12:00:00Z`, with optional fraction and offset).
///
/// # Errors
/// [`ErrorKind::Request`](crate::error::ErrorKind::Request) naming the value.
pub fn check_time(s: &str) -> Result<()> {
    let bad = || {
        Error::request(alloc::format!(
            "`{}` is not an RFC 3339 time (like 2024-05-01T12:00:00Z)",
            display_bytes(s.as_bytes())
        ))
    };
    let b = s.as_bytes();
    let digits = |r: core::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        if part.iter().all(u8::is_ascii_digit) {
            core::str::from_utf8(part).ok()?.parse().ok()
        } else {
            None
        }
    };
    let ok = (|| {
        let (_y, mo, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        let (h, mi, sec) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
        if b.get(4) != Some(&b'-')
            || b.get(7) != Some(&b'-')
            || !matches!(b.get(10), Some(b'T' | b't' | b' '))
            || b.get(13) != Some(&b':')
            || b.get(16) != Some(&b':')
        {
            return None;
        }
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        let mut i = 19;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return None;
            }
        }
        match b.get(i) {
            Some(b'Z' | b'z') if i + 1 == b.len() => Some(()),
            Some(b'+' | b'-') if b.len() == i + 6 && b.get(i + 3) == Some(&b':') => {
                let (oh, om) = (digits(i + 1..i + 3)?, digits(i + 4..i + 6)?);
                (oh <= 23 && om <= 59).then_some(())
            }
            _ => None,
        }
    })();
    ok.ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn tags_follow_the_reference_grammar() {
        for good in [
            "nginx",
            "nginx:1.25",
            "library/nginx:latest",
            "localhost:5000/a/b_c__d-e.f:v1",
            "Registry.Example.com/team/app:TAG_1",
            "a--b",
        ] {
            assert!(check_tag(good).is_ok(), "{good}");
        }
        for bad in [
            "Bad Tag!",
            "UPPER/case:x",
            "a:",
            ":x",
            "a/-b",
            "a..b",
            "x@sha256:00",
            "a:.x",
            "-a",
        ] {
            assert!(check_tag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_are_rfc3339() {
        for good in [
            "2024-05-01T12:00:00Z",
            "2024-05-01T12:00:00.123456789Z",
            "2024-05-01T12:00:00+02:00",
            "2024-05-01t12:00:00z",
        ] {
            assert!(check_time(good).is_ok(), "{good}");
        }
        for bad in [
            "yesterday",
            "2024-05-01",
            "2024-13-01T00:00:00Z",
            "2024-05-01T12:00:00",
            "2024-05-01T12:00:00+2",
        ] {
            assert!(check_time(bad).is_err(), "{bad}");
        }
    }
}
