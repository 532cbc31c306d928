//! Checks that layer bytes match the digests the metadata declares: the diff_id (sha256 of the
//! decompressed tar) and, where the layout has one, the descriptor digest of the stored blob.
//! Streams each blob once.

use alloc::vec;
use alloc::vec::Vec;
use std::io::Read;

use serde::Serialize;

use super::Image;
use crate::digest::{Digest, Hasher};
use crate::error::{DigestKind, Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::progress::{Progress, Stage};
use crate::source::{RangeReader, Source};
use crate::stream::decode;
use crate::stream::decode::Counted;
use crate::stream::Compression;

/// What verification found for one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LayerDigests {
    /// sha256 of the decompressed tar (must equal the config's diff_id).
    pub diff_id: Digest,
    /// sha256 of the blob as stored.
    pub blob_digest: Digest,
}

/// Hashes every layer and compares with the config and descriptors.
///
/// # Errors
/// [`ErrorKind::DigestMismatch`] naming the layer, or a read/decoder failure.
pub fn verify<S: Source>(
    source: &mut S,
    image: &Image,
    limits: &Limits,
    progress: &mut dyn Progress,
) -> Result<Vec<LayerDigests>> {
    let total: u64 = image.stored_size();
    let mut done = 0u64;
    let mut out = Vec::with_capacity(image.layers.len());
    for layer in &image.layers {
        let blob = &layer.blob.blob;
        let compression = layer.index.compression;
        let raw = RangeReader::new(&mut *source, blob.offset, blob.size);
        let mut blob_hasher = Hasher::new();
        let tee = Tee {
            inner: raw,
            hasher: &mut blob_hasher,
            done: &mut done,
            total,
            progress: &mut *progress,
        };
        let at = |e: Error| e.in_layer(layer.position).in_member(&blob.member);
        let diff_id = if compression == Compression::None {
            let mut tee = tee;
            std::io::copy(&mut tee, &mut std::io::sink()).map_err(|e| at(e.into()))?;
            drop(tee);
            blob_hasher.clone().finish()
        } else {
            let dec = decode_tee(tee, compression).map_err(|e| at(e.into()))?;
            let mut dec = Counted {
                inner: dec,
                count: 0,
                limit: limits.max_decompressed,
            };
            let mut h = Hasher::new();
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = dec.read(&mut buf).map_err(|e| at(e.into()))?;
                if n == 0 {
                    break;
                }
                h.update(buf.get(..n).unwrap_or_default());
            }
            drop(dec);
            h.finish()
        };
        let blob_digest = blob_hasher.finish();
        if diff_id != layer.diff_id {
            return Err(at(Error::new(ErrorKind::DigestMismatch {
                digest: DigestKind::DiffId,
                expected: alloc::format!("{}", layer.diff_id),
                actual: alloc::format!("{diff_id}"),
            })));
        }
        if let Some(declared) = layer.blob.digest {
            if declared != blob_digest {
                return Err(at(Error::new(ErrorKind::DigestMismatch {
                    digest: DigestKind::Blob,
                    expected: alloc::format!("{declared}"),
                    actual: alloc::format!("{blob_digest}"),
                })));
            }
        }
        out.push(LayerDigests {
            diff_id,
            blob_digest,
        });
    }
    Ok(out)
}

fn decode_tee<'a, R: Read + 'a>(
    tee: R,
    compression: Compression,
) -> std::io::Result<alloc::boxed::Box<dyn Read + 'a>> {
    decode::decoder_for_reader(tee, compression)
}

struct Tee<'a, R> {
    inner: R,
    hasher: &'a mut Hasher,
    done: &'a mut u64,
    total: u64,
    progress: &'a mut dyn Progress,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = buf.get(..n).unwrap_or_default();
        self.hasher.update(chunk);
        *self.done += n as u64;
        if !self.progress.update(Stage::Hashing, *self.done, self.total) {
            return Err(std::io::Error::other(crate::progress::Cancelled));
        }
        Ok(n)
    }
}
