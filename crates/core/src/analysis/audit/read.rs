//! Reads what [`wanted`](super::wanted) lists in one pass per layer ([`Pass`]), hashing and
//! keeping bytes as each [`Want`] asks.

use alloc::vec::Vec;

use super::{Contents, Want};
use crate::digest::Hasher;
use crate::error::Result;
use crate::image::{ContentSink, Image, Pass, Wanted};
use crate::progress::{Progress, Stage};
use crate::source::Source;

/// Reads `wants` (as [`wanted`](super::wanted) returns them for `image`) from `source`, the
/// archive the image was loaded from.
///
/// # Errors
/// A read or decoder failure (with the layer and member), or
/// [`crate::ErrorKind::Cancelled`] when `progress` asks to stop.
pub fn read_contents<S: Source>(
    source: &mut S,
    image: &Image,
    wants: &[Want],
    progress: &mut dyn Progress,
) -> Result<Contents> {
    let reads = |w: &Want| if w.hash { w.size } else { w.keep };
    let pass = Pass::new(image, wants.iter().map(|w| (w.at, reads(w), *w)));
    let total = pass.work();
    let mut sink = Keep::default();
    pass.read(source, &mut 0, total, progress, &mut sink)?;
    progress.update(Stage::Hashing, total, total);
    Ok(sink.out)
}

/// The audit's [`ContentSink`]: the entry being read's hasher and kept bytes, and the results.
#[derive(Default)]
struct Keep {
    hasher: Option<Hasher>,
    kept: Vec<u8>,
    out: Contents,
}

impl ContentSink<Want> for Keep {
    fn start(&mut self, w: &Wanted<Want>) {
        self.hasher = w.what.hash.then(Hasher::new);
        self.kept.clear();
    }

    fn bytes(&mut self, w: &Wanted<Want>, chunk: &[u8]) -> bool {
        if let Some(h) = self.hasher.as_mut() {
            h.update(chunk);
        }
        let room = usize::try_from(w.what.keep)
            .unwrap_or(usize::MAX)
            .saturating_sub(self.kept.len());
        self.kept
            .extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
        true
    }

    fn end(&mut self, w: &Wanted<Want>, read: u64) {
        self.out.bytes_read += read;
        if let Some(h) = self.hasher.take() {
            self.out.hashes.insert(w.at, h.finish());
        }
        if w.what.keep > 0 {
            self.out.kept.insert(w.at, core::mem::take(&mut self.kept));
        }
    }
}
