//! A gzipped outer archive (`docker save | gzip`) seen as random-access bytes. Reading
//! forward decompresses as it goes; reading backwards restarts from the beginning. Callers
//! that visit members in order (the member table, then layers in archive order) decompress
//! the archive about twice.

use alloc::vec;
use alloc::vec::Vec;
use std::io::{self, Read};

use flate2::read::MultiGzDecoder;

use crate::source::{RangeReader, Source};

/// Random access to the decompressed bytes of a gzip source.
pub struct GunzipSource<S: Source> {
    state: State<S>,
    /// Decompressed bytes produced so far by the current decoder.
    pos: u64,
    len: Option<u64>,
    limit: u64,
    scratch: Vec<u8>,
}

enum State<S: Source> {
    Idle(S, u64),
    Decoding(alloc::boxed::Box<MultiGzDecoder<RangeReader<S>>>, u64),
    Poisoned,
}

impl<S: Source> GunzipSource<S> {
    /// Wraps a gzip source of `compressed_len` bytes; `limit` caps the decompressed size.
    pub fn new(source: S, compressed_len: u64, limit: u64) -> Self {
        GunzipSource {
            state: State::Idle(source, compressed_len),
            pos: 0,
            len: None,
            limit,
            scratch: vec![0; 64 * 1024],
        }
    }

    fn restart(&mut self) -> io::Result<()> {
        let (src, len) = match core::mem::replace(&mut self.state, State::Poisoned) {
            State::Idle(s, l) => (s, l),
            State::Decoding(d, l) => (d.into_inner().into_inner(), l),
            State::Poisoned => {
                return Err(io::Error::other(
                    "gzip source unusable after an earlier error",
                ))
            }
        };
        self.state = State::Decoding(
            alloc::boxed::Box::new(MultiGzDecoder::new(RangeReader::new(src, 0, len))),
            len,
        );
        self.pos = 0;
        Ok(())
    }

    fn decode(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let State::Decoding(d, _) = &mut self.state else {
            return Ok(0);
        };
        let n = d.read(buf)?;
        self.pos += n as u64;
        if self.pos > self.limit {
            return Err(io::Error::other(crate::limits::DecompressedLimit(
                self.limit,
            )));
        }
        if n == 0 {
            self.len = Some(self.pos);
        }
        Ok(n)
    }

    fn skip_to(&mut self, offset: u64) -> io::Result<bool> {
        if offset < self.pos || matches!(self.state, State::Idle(..)) {
            self.restart()?;
        }
        let mut scratch = core::mem::take(&mut self.scratch);
        let result = (|| {
            while self.pos < offset {
                let want = usize::try_from(offset - self.pos)
                    .map_or(scratch.len(), |w| w.min(scratch.len()));
                if self.decode(&mut scratch[..want])? == 0 {
                    return Ok(false);
                }
            }
            Ok(true)
        })();
        self.scratch = scratch;
        result
    }
}

impl<S: Source> Source for GunzipSource<S> {
    fn size(&mut self) -> io::Result<u64> {
        if let Some(len) = self.len {
            return Ok(len);
        }
        self.skip_to(u64::MAX)?;
        self.len
            .ok_or_else(|| io::Error::other("gzip size unknown"))
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if !self.skip_to(offset)? {
            return Ok(0);
        }
        let mut done = 0;
        while done < buf.len() {
            let n = self.decode(&mut buf[done..])?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }
}
