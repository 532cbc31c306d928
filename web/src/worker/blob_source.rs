//! A `Blob` (the dropped `File`) as the core's [`Source`]: every read is a synchronous
//! `FileReaderSync` of a `Blob.slice`, which exists only in dedicated workers. Each call costs
//! about 0.7 ms whatever its size, so the core's read-ahead window (1 MiB, growing to 8 MiB
//! through stretches of small files) matters here.

use std::io;

use js_sys::Uint8Array;
use layerlens_core::{ReadFailed, Source};
use web_sys::{Blob, FileReaderSync};

/// Random access to a `Blob`.
pub struct BlobSource {
    blob: Blob,
    reader: FileReaderSync,
    /// Bytes read through `FileReaderSync` since the last [`BlobSource::take_read`].
    read: u64,
}

impl BlobSource {
    /// Wraps a blob.
    ///
    /// # Errors
    /// When `FileReaderSync` is unavailable (not in a dedicated worker).
    pub fn new(blob: Blob) -> io::Result<Self> {
        let reader = FileReaderSync::new().map_err(|e| {
            io::Error::other(ReadFailed(format!("FileReaderSync unavailable: {e:?}")))
        })?;
        Ok(BlobSource {
            blob,
            reader,
            read: 0,
        })
    }

    /// The blob.
    pub fn blob(&self) -> &Blob {
        &self.blob
    }

    /// Bytes read since the last call (to pace garbage collection of read buffers).
    pub fn take_read(&mut self) -> u64 {
        std::mem::take(&mut self.read)
    }
}

impl Source for BlobSource {
    fn size(&mut self) -> io::Result<u64> {
        Ok(self.blob.size() as u64)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.blob.size() as u64;
        if offset >= size || buf.is_empty() {
            return Ok(0);
        }
        let end = (offset + buf.len() as u64).min(size);
        let slice = self
            .blob
            .slice_with_f64_and_f64(offset as f64, end as f64)
            .map_err(|e| io::Error::other(ReadFailed(format!("Blob.slice failed: {e:?}"))))?;
        let ab = self
            .reader
            .read_as_array_buffer(&slice)
            .map_err(|e| io::Error::other(ReadFailed(format!("reading the file failed: {e:?}"))))?;
        let arr = Uint8Array::new(&ab);
        let n = (arr.length() as usize).min(buf.len());
        arr.subarray(0, n as u32).copy_to(&mut buf[..n]);
        self.read += n as u64;
        Ok(n)
    }

    /// Each call costs ~0.7 ms, plus ~0.3 ms for the slice: in stretches of small files the
    /// window grows to 8 MiB, so a third as many calls read the same bytes (measurements in
    /// docs/history.md).
    fn max_read_ahead(&self) -> usize {
        8 << 20
    }
}
