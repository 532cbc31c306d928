//! Hashing a set of files of one image in one pass per layer ([`Pass`]: each layer read
//! once, front to back, at those files' offsets), so settling many pairs costs one read.

use alloc::collections::BTreeMap;

use crate::digest::{Digest, Hasher};
use crate::error::Result;
use crate::image::{ContentSink, Image, Pass, Wanted};
use crate::layer::EntryRef;
use crate::progress::Progress;
use crate::source::Source;

/// Plans hashing `files` of `image` (owned, so the image's source can be borrowed mutably to
/// carry it out).
pub fn plan(image: &Image, files: &[EntryRef]) -> Pass<()> {
    Pass::new(
        image,
        files
            .iter()
            .filter_map(|&r| image.entry(r).map(|e| (r, e.size, ()))),
    )
}

/// The sha256 of every file of a plan, and the bytes hashed.
#[derive(Default)]
pub struct Hashes {
    /// By entry.
    pub of: BTreeMap<EntryRef, Digest>,
    /// Content bytes hashed.
    pub bytes: u64,
    current: Option<Hasher>,
}

impl ContentSink<()> for Hashes {
    fn start(&mut self, _: &Wanted<()>) {
        self.current = Some(Hasher::new());
    }

    fn bytes(&mut self, _: &Wanted<()>, chunk: &[u8]) -> bool {
        if let Some(h) = self.current.as_mut() {
            h.update(chunk);
        }
        self.bytes += chunk.len() as u64;
        true
    }

    fn end(&mut self, w: &Wanted<()>, _: u64) {
        if let Some(h) = self.current.take() {
            self.of.insert(w.at, h.finish());
        }
    }
}

/// Carries out `plan` on `source`, the archive the image was loaded from. `done`/`total` count
/// the work of both sides' passes, for one progress figure.
///
/// # Errors
/// A read or decoder failure (with the layer and member), or cancelled through `progress`.
pub fn hash_files<S: Source>(
    source: &mut S,
    plan: &Pass<()>,
    done: &mut u64,
    total: u64,
    progress: &mut dyn Progress,
) -> Result<Hashes> {
    let mut hashes = Hashes::default();
    plan.read(source, done, total, progress, &mut hashes)?;
    Ok(hashes)
}
