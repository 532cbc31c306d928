//! The only way bytes come in: a [`Source`] reads at any offset. The CLI wraps a file, tests a
//! byte slice, the browser worker a `Blob` (through `FileReaderSync`). [`RangeReader`] turns a
//! byte range of a source into `Read + Seek` with a read-ahead window, which is what the tar
//! parser needs: a layer is indexed by reading headers and seeking past contents.

use alloc::vec;
use alloc::vec::Vec;
use std::io::{self, Read, Seek, SeekFrom};

/// A [`Source`] could not read its bytes (a browser read that failed, a file gone): carried
/// through `io::Error` so the error says "read failed" rather than blaming the archive's
/// format. Sources whose failures would otherwise look like any other `io::Error` wrap them
/// in this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFailed(pub alloc::string::String);

impl core::fmt::Display for ReadFailed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::error::Error for ReadFailed {}

/// Random-access bytes: an archive file, a `Blob`, a buffer.
pub trait Source {
    /// Total size in bytes.
    ///
    /// # Errors
    /// If the size cannot be determined (an I/O failure).
    fn size(&mut self) -> io::Result<u64>;

    /// Reads up to `buf.len()` bytes at `offset`; fewer only at the end (0 = end).
    ///
    /// # Errors
    /// On an I/O failure.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// The largest read-ahead window worth growing to where reads follow each other. A source
    /// whose every call is expensive (a browser `Blob`) says more than the default, which
    /// keeps the window cache-sized for files.
    fn max_read_ahead(&self) -> usize {
        READ_AHEAD
    }
}

impl<S: Source + ?Sized> Source for &mut S {
    fn size(&mut self) -> io::Result<u64> {
        (**self).size()
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        (**self).read_at(offset, buf)
    }
    fn max_read_ahead(&self) -> usize {
        (**self).max_read_ahead()
    }
}

impl Source for &[u8] {
    fn size(&mut self) -> io::Result<u64> {
        Ok(self.len() as u64)
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        let Some(rest) = self.get(start..) else {
            return Ok(0);
        };
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }
}

impl Source for Vec<u8> {
    fn size(&mut self) -> io::Result<u64> {
        Ok(self.len() as u64)
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.as_slice().read_at(offset, buf)
    }
}

/// Any `Read + Seek` (a `std::fs::File`, a `Cursor`) as a [`Source`].
#[derive(Debug)]
pub struct SeekSource<T> {
    inner: T,
    pos: Option<u64>,
}

impl<T: Read + Seek> SeekSource<T> {
    /// Wraps a seekable reader.
    pub fn new(inner: T) -> Self {
        SeekSource { inner, pos: None }
    }

    /// The wrapped reader (to open another handle on the same file).
    pub fn get_ref(&self) -> &T {
        &self.inner
    }
}

impl<T: Read + Seek> Source for SeekSource<T> {
    fn size(&mut self) -> io::Result<u64> {
        self.pos = None;
        self.inner.seek(SeekFrom::End(0))
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos != Some(offset) {
            self.inner.seek(SeekFrom::Start(offset))?;
        }
        let mut done = 0;
        while done < buf.len() {
            match self.inner.read(&mut buf[done..]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.pos = None;
                    return Err(e);
                }
            }
        }
        self.pos = Some(offset + done as u64);
        Ok(done)
    }
}

/// Read-ahead window size. Each browser read costs ~0.7 ms whatever its size, so small
/// header reads must be served from a large window (see docs/browser-io.md: 1 MiB ≈ 160× fewer
/// calls than 512-byte reads).
pub(crate) const READ_AHEAD: usize = 1 << 20;

/// `Read + Seek` over `[start, start + len)` of a source, positions relative to `start`.
/// Small reads are served from a read-ahead window; reads at least a window long go straight
/// into the caller's buffer.
pub struct RangeReader<S> {
    source: S,
    start: u64,
    len: u64,
    pos: u64,
    window: Vec<u8>,
    /// Position (relative) of `window[0]`; the window holds `window_len` valid bytes.
    window_pos: u64,
    window_len: usize,
    /// The size of the next refill: the base size after a jump, doubled (up to `window_max`)
    /// on each refill that continues the previous window.
    window_cap: usize,
    window_base: usize,
    window_max: usize,
}

impl<S: Source> RangeReader<S> {
    /// A reader over `len` bytes of `source` starting at `start`.
    pub fn new(source: S, start: u64, len: u64) -> Self {
        Self::with_window(source, start, len, READ_AHEAD)
    }

    /// Same, with an explicit read-ahead window (0 disables it) that does not grow.
    pub fn with_window(source: S, start: u64, len: u64, window: usize) -> Self {
        Self::with_windows(source, start, len, window, window)
    }

    /// Same, with a window of `base` bytes that doubles up to `max` while refills follow each
    /// other (see [`Source::max_read_ahead`]).
    pub fn with_windows(source: S, start: u64, len: u64, base: usize, max: usize) -> Self {
        let cap = usize::try_from(len).map_or(base, |l| l.min(base));
        RangeReader {
            source,
            start,
            len,
            pos: 0,
            window: Vec::new(),
            window_pos: 0,
            window_len: 0,
            window_cap: cap,
            window_base: base,
            window_max: max.max(base),
        }
    }

    /// Reads ahead into `window` (its bytes are overwritten) instead of a buffer of its own,
    /// so a caller making a reader after another can keep one allocation.
    pub fn reusing(mut self, window: Vec<u8>) -> Self {
        self.window = window;
        self.window_len = 0;
        self
    }

    /// Gives the read-ahead buffer back (for [`RangeReader::reusing`]).
    pub fn take_window(&mut self) -> Vec<u8> {
        self.window_len = 0;
        core::mem::take(&mut self.window)
    }

    /// Current position relative to the start of the range.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Length of the range.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the range is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Gives the source back.
    pub fn into_inner(self) -> S {
        self.source
    }

    fn read_direct(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            let n = self
                .source
                .read_at(self.start + self.pos + done as u64, &mut buf[done..])?;
            if n == 0 {
                return Err(truncated(self.start + self.pos + done as u64));
            }
            done += n;
        }
        Ok(done)
    }
}

fn truncated(at: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        alloc::format!("the file ends at byte {at}, earlier than its contents say (truncated?)"),
    )
}

impl<S: Source> Read for RangeReader<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let remaining = self.len.saturating_sub(self.pos);
        let want = usize::try_from(remaining).map_or(buf.len(), |r| r.min(buf.len()));
        if want == 0 {
            return Ok(0);
        }
        let buf = &mut buf[..want];
        // Inside the window?
        if self.pos >= self.window_pos && self.pos < self.window_pos + self.window_len as u64 {
            let off = (self.pos - self.window_pos) as usize;
            let n = (self.window_len - off).min(want);
            buf[..n].copy_from_slice(&self.window[off..off + n]);
            self.pos += n as u64;
            return Ok(n);
        }
        if want >= self.window_cap {
            let n = self.read_direct(buf)?;
            self.pos += n as u64;
            return Ok(n);
        }
        // Refill the window at pos: larger when this continues the previous window (the
        // bytes skipped since are fewer than a window), back to the base size after a jump.
        let end = self.window_pos + self.window_len as u64;
        if self.window_len > 0 && self.pos >= end {
            self.window_cap = if self.pos - end < self.window_cap as u64 {
                (self.window_cap * 2).min(self.window_max)
            } else {
                self.window_base
            };
        }
        let fill = usize::try_from(remaining).map_or(self.window_cap, |r| r.min(self.window_cap));
        if self.window.len() < fill {
            self.window = vec![0; fill];
        }
        let mut done = 0;
        while done < fill {
            // A read-ahead is a guess: a failure past bytes already read ends the window
            // there, and fails only if the caller asks for those bytes (a piped archive keeps
            // a header but not the contents after it).
            let n = match self.source.read_at(
                self.start + self.pos + done as u64,
                &mut self.window[done..fill],
            ) {
                Ok(n) => n,
                Err(_) if done > 0 => break,
                Err(e) => return Err(e),
            };
            if n == 0 {
                break;
            }
            done += n;
        }
        if done == 0 {
            return Err(truncated(self.start + self.pos));
        }
        self.window_pos = self.pos;
        self.window_len = done;
        let n = done.min(want);
        buf[..n].copy_from_slice(&self.window[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<S: Source> Seek for RangeReader<S> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the range",
            )
        })?;
        // Seeking past the end is allowed (as for files); the next read reports truncation
        // through the tar parser's short read.
        self.pos = target;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A source that returns at most 7 bytes per call, to catch code assuming full reads.
    struct Stingy(Vec<u8>);
    impl Source for Stingy {
        fn size(&mut self) -> io::Result<u64> {
            Ok(self.0.len() as u64)
        }
        fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(7);
            self.0.as_slice().read_at(offset, &mut buf[..n])
        }
    }

    #[test]
    fn range_reader_reads_and_seeks_within_its_range() {
        let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let mut r = RangeReader::with_window(Stingy(data.clone()), 100, 3000, 64);
        let mut buf = [0u8; 10];
        r.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, &data[100..110]);
        r.seek(SeekFrom::Current(1000)).unwrap();
        r.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, &data[1110..1120]);
        let mut big = vec![0u8; 500];
        r.seek(SeekFrom::Start(2000)).unwrap();
        r.read_exact(&mut big).unwrap();
        assert_eq!(&big[..], &data[2100..2600]);
        r.seek(SeekFrom::End(-5)).unwrap();
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(&rest[..], &data[3095..3100]);
    }

    /// Records the length of every call.
    struct Calls<'a>(&'a [u8], Vec<usize>);
    impl Source for Calls<'_> {
        fn size(&mut self) -> io::Result<u64> {
            Ok(self.0.len() as u64)
        }
        fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
            self.1.push(buf.len());
            self.0.read_at(offset, buf)
        }
    }

    #[test]
    fn window_grows_while_reads_follow_each_other_and_resets_after_a_jump() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
        let mut r = RangeReader::with_windows(Calls(&data, Vec::new()), 0, 1 << 20, 1024, 8192);
        let mut header = [0u8; 512];
        // Dense: a 512-byte header every 1,024 bytes for 64 KiB.
        for i in 0..64u64 {
            r.seek(SeekFrom::Start(i * 1024)).unwrap();
            r.read_exact(&mut header).unwrap();
            assert_eq!(header[..], data[(i * 1024) as usize..][..512]);
        }
        // A jump far past the window (a big file's contents), then one more header.
        r.seek(SeekFrom::Start(512 << 10)).unwrap();
        r.read_exact(&mut header).unwrap();
        assert_eq!(header[..], data[512 << 10..][..512]);
        let calls = r.into_inner().1;
        assert_eq!(&calls[..4], &[1024, 2048, 4096, 8192]);
        assert!(calls[4..calls.len() - 1].iter().all(|&n| n == 8192));
        assert_eq!(calls.last(), Some(&1024));
        // Fixed windows would have taken 64 calls.
        assert_eq!(
            calls.len(),
            4 + (64usize * 1024 - 15 * 1024).div_ceil(8192) + 1
        );
    }

    #[test]
    fn a_reused_window_is_refilled_not_read_stale() {
        let data: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let mut first = RangeReader::with_window(data.as_slice(), 0, 4096, 1024);
        let mut buf = [0u8; 16];
        first.read_exact(&mut buf).unwrap();
        let window = first.take_window();
        assert_eq!(window.len(), 1024);
        let ptr = window.as_ptr();
        // The next reader starts where the first left its window (offset 0 of its own range
        // is byte 16 of the data): the stale bytes must not be served.
        let mut next =
            RangeReader::with_window(Calls(&data, Vec::new()), 16, 4000, 1024).reusing(window);
        next.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, &data[16..32]);
        next.seek(SeekFrom::Start(2000)).unwrap();
        next.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, &data[2016..2032]);
        // Refilled in place: the same allocation, no new one.
        let window = next.take_window();
        assert_eq!(window.as_ptr(), ptr);
        assert_eq!(next.into_inner().1, [1024, 1024]);
    }

    #[test]
    fn range_past_end_of_source_is_truncation() {
        let data = vec![1u8; 100];
        let mut r = RangeReader::new(data.as_slice(), 50, 100);
        let mut buf = vec![0u8; 100];
        let err = r.read_exact(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}

/// A read of bytes that were not kept when the archive streamed by (a layer's contents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotKept {
    /// The offset asked for, in the decompressed archive.
    pub offset: u64,
}

impl core::fmt::Display for NotKept {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "the archive was read once from a pipe, and its bytes at offset {} (layer contents) were not kept; this needs the archive as a file",
            self.offset
        )
    }
}

impl std::error::Error for NotKept {}
