//! Streaming decoders for the encodings [`Compression`] tells apart.

use alloc::boxed::Box;
use std::io::{self, Read};

use super::Compression;
use crate::source::{RangeReader, Source};

/// A decoder over a byte range, yielding the decompressed stream.
pub fn decoder<'a, S: Source + 'a>(
    reader: RangeReader<S>,
    compression: Compression,
) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        Compression::None => Box::new(reader),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(reader)),
        Compression::Zstd => Box::new(ZstdFrames::new(reader)?),
    })
}

/// A decoder over any reader (no knowledge of where the input ends: a trailing skippable
/// zstd frame is not supported here).
pub fn decoder_for_reader<'a, R: Read + 'a>(
    reader: R,
    compression: Compression,
) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        Compression::None => Box::new(reader),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(reader)),
        Compression::Zstd => Box::new(ZstdAny {
            decoder: Some(ruzstd::decoding::StreamingDecoder::new(reader).map_err(zstd_err)?),
        }),
    })
}

/// Decodes consecutive zstd frames of a plain reader.
struct ZstdAny<R: Read> {
    decoder: Option<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>,
}

impl<R: Read> Read for ZstdAny<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(d) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = d.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let Some(d) = self.decoder.take() else {
                return Ok(0);
            };
            let (mut src, mut fd) = d.into_parts();
            match fd.reset(&mut src) {
                Ok(()) => {
                    self.decoder = Some(
                        ruzstd::decoding::StreamingDecoder::new_with_decoder(src, fd)
                            .map_err(zstd_err)?,
                    )
                }
                // End of input (or trailing junk we cannot tell apart without a length).
                Err(_) => return Ok(0),
            }
        }
    }
}

/// Decodes consecutive zstd frames, skipping skippable frames (zstd:chunked writes them).
struct ZstdFrames<S: Source> {
    decoder:
        Option<ruzstd::decoding::StreamingDecoder<RangeReader<S>, ruzstd::decoding::FrameDecoder>>,
}

impl<S: Source> ZstdFrames<S> {
    fn new(reader: RangeReader<S>) -> io::Result<Self> {
        let d = ruzstd::decoding::StreamingDecoder::new(reader).map_err(zstd_err)?;
        Ok(ZstdFrames { decoder: Some(d) })
    }
}

fn zstd_err(e: impl core::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, alloc::format!("zstd: {e}"))
}

impl<S: Source> Read for ZstdFrames<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
        loop {
            let Some(d) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = d.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // Frame finished: another frame follows unless the input is exhausted.
            let (mut src, mut fd) = match self.decoder.take() {
                Some(d) => d.into_parts(),
                None => return Ok(0),
            };
            loop {
                if src.position() >= src.len() {
                    return Ok(0);
                }
                match fd.reset(&mut src) {
                    Ok(()) => break,
                    Err(FrameDecoderError::ReadFrameHeaderError(
                        ReadFrameHeaderError::SkipFrame { length, .. },
                    )) => {
                        io::copy(&mut (&mut src).take(u64::from(length)), &mut io::sink())?;
                    }
                    Err(e) => return Err(zstd_err(e)),
                }
            }
            self.decoder = Some(
                ruzstd::decoding::StreamingDecoder::new_with_decoder(src, fd).map_err(zstd_err)?,
            );
        }
    }
}

/// Counts bytes read and stops with an error past a limit (decompression bombs).
pub(crate) struct Counted<R> {
    pub inner: R,
    pub count: u64,
    pub limit: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if self.count > self.limit {
            return Err(io::Error::other(crate::limits::DecompressedLimit(
                self.limit,
            )));
        }
        Ok(n)
    }
}
