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
use layerlens_core::layer::{guess_tar, index_layer, IndexOptions, LayerIndex, TarGuess};
use layerlens_core::{Compression, Progress, Source, Stage};

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

/// Bytes of each blob read to guess what indexing it costs.
const SAMPLE: usize = 64 << 10;

/// The order the blobs start in: the longest jobs first, so that the last to start is a short
/// one. With more blobs than threads, each blob's cost is guessed from its first 64 KiB
/// ([`guess_tar`]); otherwise every blob starts at once and the order is by size.
fn start_order(file: &File, blobs: &[BlobRef], threads: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..blobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(blobs[i].size));
    if blobs.len() <= threads {
        return order;
    }
    let mut sample = vec![0u8; SAMPLE];
    let cost: Vec<u64> = blobs
        .iter()
        .map(|b| {
            let want = usize::try_from(b.size).map_or(SAMPLE, |s| s.min(SAMPLE));
            let got = Positional(file.try_clone().ok()?)
                .read_at(b.offset, &mut sample[..want])
                .ok()?;
            Some(native_cost(&guess_tar(&sample[..got], b.size)))
        })
        .map(|c| c.unwrap_or(0))
        .collect();
    // Stable: equal guesses keep the larger blob first.
    order.sort_by_key(|&i| std::cmp::Reverse(cost[i]));
    order
}

/// Nanoseconds of one thread indexing a blob, on this project's 2-core benchmark machine: a
/// tar entry ~1.2 µs (the layer of 101,102 small files of `large`: 120 ms plain); a byte
/// inflated ~1.2 ns (its 60 MB gzip stream, 154 MB of tar: ~290 ms with the entries), or
/// ~0.16 ns when the gzip stream stores its data (`large.oci`'s 943 MB of random bytes:
/// ~150 ms, the copy and the CRC-32); zstd, not measured, as gzip.
fn native_cost(guess: &TarGuess) -> u64 {
    let entries = guess.entries.saturating_mul(1_200);
    let bytes = match guess.compression {
        Compression::None => 0,
        _ if guess.incompressible => guess.tar_bytes / 6,
        _ => guess.tar_bytes.saturating_mul(6) / 5,
    };
    entries.saturating_add(bytes)
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
    let order = start_order(file, blobs, threads);
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, data.as_slice()).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    /// Like `large.oci`: a small gzip stream of thousands of text files costs more than a
    /// stream ten times its size that stores random bytes, and a plain layer of two files
    /// costs least: they start in that order, not by size.
    #[test]
    fn blobs_start_by_guessed_cost_not_size() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let noise: Vec<u8> = (0..2 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let stored = gzip(&tar_of(&[("big".into(), noise)]));
        let text = b"lorem ipsum dolor sit amet, consectetur\n".repeat(30);
        let files: Vec<(String, Vec<u8>)> = (0..6000)
            .map(|i| (format!("doc/p{}/f{i}", i / 50), text.clone()))
            .collect();
        let dense = gzip(&tar_of(&files));
        let plain = tar_of(&[("a".into(), vec![1; 3 << 20]), ("b".into(), vec![2; 5])]);
        assert!(stored.len() > 10 * dense.len() && plain.len() > dense.len());
        let mut file = tempfile::tempfile().unwrap();
        let mut blobs = Vec::new();
        for (name, bytes) in [("stored", &stored), ("dense", &dense), ("plain", &plain)] {
            blobs.push(BlobRef {
                member: name.into(),
                resolved: name.into(),
                offset: file.metadata().unwrap().len(),
                size: bytes.len() as u64,
            });
            file.write_all(bytes).unwrap();
        }
        let names = |order: Vec<usize>| -> Vec<&str> {
            order.iter().map(|&i| blobs[i].member.as_str()).collect()
        };
        assert_eq!(
            names(start_order(&file, &blobs, 2)),
            ["dense", "stored", "plain"]
        );
        // As many threads as blobs: all start at once, largest first.
        assert_eq!(
            names(start_order(&file, &blobs, 3)),
            ["plain", "stored", "dense"]
        );
    }
}
