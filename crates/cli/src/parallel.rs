//! Indexing an image's layer blobs on several threads, each reading the archive file through
//! its own handle: decoding gzip or zstd layers is bound by the CPU, so an N-layer
//! oci-archive can use up to N cores. The core assembles the image from the indexes
//! ([`layerlens_core::Indexed::open_indexing`]) exactly as from its own sequential loop.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use layerlens_core::archive::{Archive, ArchiveSource, BlobRef};
use layerlens_core::image::BlobIndexes;
use layerlens_core::layer::{index_layer, IndexOptions, LayerIndex};
use layerlens_core::{Progress, Source, Stage};

use crate::input::Input;

/// How often the waiting thread redraws the progress bar.
const TICK: Duration = Duration::from_millis(50);

/// A handle on the archive file read with positional reads, so threads never share an offset.
struct Positional(File);

impl Source for Positional {
    fn size(&mut self) -> io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.0.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}

/// One thread's progress: how far into its current blob it has read.
struct Slot<'a> {
    offset: u64,
    read: &'a AtomicU64,
}

impl Progress for Slot<'_> {
    fn update(&mut self, _: Stage, done: u64, _: u64) -> bool {
        self.read
            .store(done.saturating_sub(self.offset), Ordering::Relaxed);
        true
    }
}

/// Indexes `blobs` (the distinct layer blobs of the picked image), on as many threads as there
/// are cores and blobs when the archive is a plain file, else one after another through the
/// archive's own source (a gzipped archive can only be read front to back; an image
/// directory is many files).
pub fn index_blobs(
    archive: &mut Archive<Input>,
    blobs: &[BlobRef],
    options: &IndexOptions,
    progress: &mut dyn Progress,
) -> layerlens_core::Result<BlobIndexes> {
    let total = archive.len();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let file = match archive.source_mut() {
        ArchiveSource::Plain(Input::File(s)) if threads > 1 && blobs.len() > 1 => {
            s.get_ref().try_clone().ok()
        }
        _ => None,
    };
    let Some(file) = file else {
        return Ok(blobs
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let stage = Stage::Indexing(i);
                let index = index_layer(
                    archive.source_mut(),
                    b.offset,
                    b.size,
                    options,
                    progress,
                    stage,
                    total,
                );
                (b.offset, index)
            })
            .collect());
    };
    Ok(in_parallel(
        &file,
        blobs,
        options,
        progress,
        threads.min(blobs.len()),
        total,
    )
    .collect())
}

/// The work of [`index_blobs`] on `threads` threads; the calling thread draws the progress.
fn in_parallel<'a>(
    file: &File,
    blobs: &'a [BlobRef],
    options: &IndexOptions,
    progress: &mut dyn Progress,
    threads: usize,
    total: u64,
) -> impl Iterator<Item = (u64, layerlens_core::Result<LayerIndex>)> + 'a {
    // Largest first, so the last blob to start is a small one.
    let mut order: Vec<usize> = (0..blobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(blobs[i].size));
    let next = AtomicUsize::new(0);
    let read: Vec<AtomicU64> = (0..threads).map(|_| AtomicU64::new(0)).collect();
    let finished = AtomicU64::new(0);
    let results = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (order, next, read, finished) = (&order, &next, &read[t], &finished);
                s.spawn(move || {
                    let mut out = Vec::new();
                    let handle = file.try_clone();
                    while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let blob = &blobs[i];
                        let index = match &handle {
                            Ok(f) => match f.try_clone() {
                                Ok(f) => {
                                    let mut slot = Slot {
                                        offset: blob.offset,
                                        read,
                                    };
                                    index_layer(
                                        Positional(f),
                                        blob.offset,
                                        blob.size,
                                        options,
                                        &mut slot,
                                        Stage::Indexing(i),
                                        total,
                                    )
                                }
                                Err(e) => Err(e.into()),
                            },
                            Err(e) => Err(io::Error::new(e.kind(), e.to_string()).into()),
                        };
                        read.store(0, Ordering::Relaxed);
                        finished.fetch_add(blob.size, Ordering::Relaxed);
                        out.push((blob.offset, index));
                    }
                    out
                })
            })
            .collect();
        let start = blobs.first().map_or(0, |b| b.offset);
        while !workers.iter().all(|w| w.is_finished()) {
            let done = finished.load(Ordering::Relaxed)
                + read.iter().map(|r| r.load(Ordering::Relaxed)).sum::<u64>();
            let layer = next
                .load(Ordering::Relaxed)
                .min(blobs.len())
                .saturating_sub(1);
            progress.update(Stage::Indexing(layer), start + done, total);
            std::thread::sleep(TICK);
        }
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect::<Vec<_>>()
    });
    results.into_iter()
}
