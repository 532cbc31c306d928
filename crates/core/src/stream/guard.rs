//! A guard between a tar stream and the `tar` crate. The crate reads extension headers (PAX
//! `x`/`g`, GNU long names `L`/`K`) whole into memory, whatever size they declare, so one
//! hostile header could make it allocate gigabytes (from a few kilobytes of gzip). The guard
//! follows the header chain as the bytes pass and stops any extension header larger than a
//! limit before the crate reads it.

use alloc::vec::Vec;
use std::io::{self, Read, Seek, SeekFrom};

/// Largest extension header accepted (real ones are a few hundred bytes).
pub const MAX_EXTENSION: u64 = 1 << 20;

/// Tracks tar headers in the bytes read through it.
pub struct HeaderGuard<R> {
    inner: R,
    pos: u64,
    /// Where the next header starts.
    next_header: u64,
    header: [u8; 512],
    filled: usize,
    /// Collecting a PAX header's records (for a `size` that moves the next header).
    pax: Option<(u64, Vec<u8>)>,
    /// A PAX `size` for the entry after the current extension header.
    pax_size: Option<u64>,
    max: u64,
}

fn extension_error(flag: u8, size: u64, max: u64) -> io::Error {
    io::Error::other(alloc::format!(
        "an extension header (type '{}') declares {size} bytes, more than the {max} a real archive needs",
        flag as char
    ))
}

impl<R> HeaderGuard<R> {
    /// Guards `inner`, whose position 0 is the start of a tar stream.
    pub fn new(inner: R) -> Self {
        HeaderGuard {
            inner,
            pos: 0,
            next_header: 0,
            header: [0; 512],
            filled: 0,
            pax: None,
            pax_size: None,
            max: MAX_EXTENSION,
        }
    }

    /// The guarded reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn observe(&mut self, bytes: &[u8]) -> io::Result<()> {
        let start = self.pos;
        let end = start + bytes.len() as u64;
        // PAX record bytes of the previous header.
        if let Some((data_start, buf)) = self.pax.as_mut() {
            let want_end = *data_start + buf.capacity() as u64;
            if start < want_end && end > *data_start {
                let from = start.max(*data_start);
                let to = end.min(want_end);
                let slice = bytes
                    .get((from - start) as usize..(to - start) as usize)
                    .unwrap_or_default();
                if from == *data_start + buf.len() as u64 {
                    buf.extend_from_slice(slice);
                }
            }
            if buf.len() == buf.capacity() {
                self.pax_size = pax_size(buf);
                self.pax = None;
            }
        }
        let hs = self.next_header;
        let he = hs + 512;
        if end <= hs || start >= he {
            return Ok(());
        }
        let from = start.max(hs);
        let to = end.min(he);
        if from != hs + self.filled as u64 {
            // Not contiguous with what we have (a seek inside a header): resynchronise.
            self.filled = 0;
            if from != hs {
                return Ok(());
            }
        }
        let slice = bytes
            .get((from - start) as usize..(to - start) as usize)
            .unwrap_or_default();
        let dst = self
            .header
            .get_mut(self.filled..self.filled + slice.len())
            .ok_or_else(|| io::Error::other("header guard overflow"))?;
        dst.copy_from_slice(slice);
        self.filled += slice.len();
        if self.filled < 512 {
            return Ok(());
        }
        self.filled = 0;
        if self.header.iter().all(|&b| b == 0) {
            self.next_header += 512;
            return Ok(());
        }
        let flag = self.header[156];
        let declared = parse_size(&self.header[124..136]).unwrap_or(0);
        let is_ext = matches!(flag, b'x' | b'g' | b'L' | b'K' | b'X');
        let size = if is_ext {
            declared
        } else {
            self.pax_size.take().unwrap_or(declared)
        };
        if is_ext {
            if size > self.max {
                return Err(extension_error(flag, size, self.max));
            }
            if flag == b'x' || flag == b'X' {
                self.pax = Some((he, Vec::with_capacity(size as usize)));
                if size == 0 {
                    self.pax = None;
                }
            }
        }
        let padded = size
            .checked_add(511)
            .map(|s| s & !511)
            .ok_or_else(|| io::Error::other("entry size overflows"))?;
        self.next_header = he
            .checked_add(padded)
            .ok_or_else(|| io::Error::other("entry size overflows"))?;
        Ok(())
    }
}

/// A tar numeric field: octal text, or base-256 when the high bit is set.
fn parse_size(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|&b| b & 0x80 != 0) {
        let mut v: u64 = 0;
        for (i, &b) in field.iter().enumerate() {
            let b = if i == 0 { b & 0x7f } else { b };
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let text = core::str::from_utf8(field).ok()?;
    let t = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if t.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(t, 8).ok()
}

/// The `size` record of PAX extension data, if any.
fn pax_size(records: &[u8]) -> Option<u64> {
    let mut rest = records;
    let mut found = None;
    while !rest.is_empty() {
        let sp = rest.iter().position(|&b| b == b' ')?;
        let len: usize = core::str::from_utf8(rest.get(..sp)?).ok()?.parse().ok()?;
        let rec = rest.get(sp + 1..len)?;
        if let Some(v) = rec.strip_prefix(b"size=") {
            let v = v.strip_suffix(b"\n").unwrap_or(v);
            found = core::str::from_utf8(v).ok()?.parse().ok();
        }
        rest = rest.get(len..)?;
    }
    found
}

impl<R: Read> Read for HeaderGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.observe(buf.get(..n).unwrap_or_default())?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for HeaderGuard<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.pos = self.inner.seek(pos)?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn ext_header(flag: u8, size: u64) -> Vec<u8> {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::new(flag));
        h.set_size(size);
        h.set_path("PaxHeaders/x").unwrap();
        h.set_cksum();
        h.as_bytes().to_vec()
    }

    #[test]
    fn huge_extension_header_is_refused_before_it_is_read() {
        let mut bytes = ext_header(b'x', 10 << 30);
        bytes.extend_from_slice(&[b'7'; 4096]);
        let mut ar = tar::Archive::new(HeaderGuard::new(bytes.as_slice()));
        let err = ar.entries().unwrap().next().unwrap().err().unwrap();
        assert!(
            alloc::format!("{err}").contains("extension header"),
            "{err}"
        );
    }

    #[test]
    fn pax_size_moves_the_next_header() {
        // A PAX `size` record for the next entry must be honoured, or the guard would look
        // for the following header in the wrong place.
        let mut b = tar::Builder::new(Vec::new());
        b.append_pax_extensions([("size", b"600".as_slice())])
            .unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(600);
        h.set_cksum();
        b.append_data(&mut h, "f", &[1u8; 600][..]).unwrap();
        let mut h = ext_header(b'x', 10 << 30);
        h.extend_from_slice(&[0u8; 1024]);
        let mut bytes = b.into_inner().unwrap();
        bytes.truncate(bytes.len() - 1024);
        bytes.extend_from_slice(&h);
        let mut ar = tar::Archive::new(HeaderGuard::new(bytes.as_slice()));
        let mut it = ar.entries().unwrap();
        assert!(it.next().unwrap().is_ok());
        assert!(it.next().unwrap().is_err());
    }

    #[test]
    fn sizes_parse_in_octal_and_base256() {
        assert_eq!(parse_size(b"00000001000\0"), Some(512));
        let mut f = [0u8; 12];
        f[0] = 0x80;
        f[11] = 5;
        assert_eq!(parse_size(&f), Some(5));
    }
}
