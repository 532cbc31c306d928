//! What a layer blob holds, guessed from its first bytes. Indexing a plain tar costs per
//! entry, not per byte (a large file is jumped over), so a host indexing several layers at
//! once starts the ones with the most entries first: a 154 MB layer of 100,000 small files
//! takes longer than a 943 MB layer of five. A compressed layer costs its entries too, and
//! every byte inflated, at a rate that depends on how it was compressed: natively the 943 MB
//! of incompressible files `large.oci` stores in one gzip stream index in ~150 ms, its 60 MB
//! stream of 101,102 small text files in ~290 ms.

use std::io::Read;

use crate::archive::is_tar_header;
use crate::stream::Compression;

/// A guess at a layer blob's tar, from its first bytes ([`guess_tar`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TarGuess {
    /// How the blob is compressed (from its magic bytes).
    pub compression: Compression,
    /// Entries in the tar.
    pub entries: u64,
    /// Bytes of the tar (the blob's size when it is not compressed).
    pub tar_bytes: u64,
    /// Whether the sample inflated to no more than 5 % over its size: the data is stored
    /// (already compressed, or random), which inflates at the speed of a copy.
    pub incompressible: bool,
}

/// Most bytes a sample inflates to: enough for a few dozen headers of small files.
const MAX_INFLATED: usize = 1 << 20;

/// Guesses the tar of a layer blob of `size` bytes whose first bytes are `sample`: a gzip
/// sample is inflated (as far as it goes) and its headers counted, the tar's size scaled by
/// how much the sample grew. A zstd blob, or a sample that is not a tar, guesses the blob's
/// own bytes and no entries.
pub fn guess_tar(sample: &[u8], size: u64) -> TarGuess {
    let compression = Compression::detect(sample);
    let plain = |entries| TarGuess {
        compression,
        entries,
        tar_bytes: size,
        incompressible: true,
    };
    match compression {
        Compression::None => plain(estimate_entries(sample, size)),
        Compression::Zstd => plain(0),
        Compression::Gzip => {
            let mut decoder = flate2::bufread::MultiGzDecoder::new(sample);
            let mut out = alloc::vec![0u8; MAX_INFLATED];
            let mut got = 0;
            while got < out.len() {
                match decoder.read(&mut out[got..]) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got += n,
                }
            }
            let used = (sample.len() - decoder.get_ref().len()) as u64;
            if got == 0 || used == 0 {
                return plain(0);
            }
            let tar_bytes = u128::from(size) * got as u128 / u128::from(used);
            let tar_bytes = u64::try_from(tar_bytes).unwrap_or(u64::MAX);
            TarGuess {
                compression,
                entries: estimate_entries(&out[..got], tar_bytes),
                tar_bytes,
                incompressible: (got as u64) * 100 <= used * 105,
            }
        }
    }
}

/// The entries of a tar of `size` bytes whose first bytes are `sample`: exact when the sample
/// reaches the end (or the headers jump past it), otherwise the headers seen scaled by how
/// far into the tar they reached. 0 for bytes that are not a tar.
pub fn estimate_entries(sample: &[u8], size: u64) -> u64 {
    let mut pos: u64 = 0;
    let mut seen: u64 = 0;
    while let Some(block) = usize::try_from(pos)
        .ok()
        .and_then(|p| sample.get(p..p.checked_add(512)?))
    {
        if block.iter().all(|&b| b == 0) {
            // The end-of-archive marker: nothing more to guess.
            return seen;
        }
        let Ok(header) = <&[u8; 512]>::try_from(block) else {
            return seen;
        };
        if !is_tar_header(header) {
            return seen;
        }
        let Ok(content) = tar::Header::from_byte_slice(header).entry_size() else {
            return seen;
        };
        seen += 1;
        pos = pos
            .saturating_add(512)
            .saturating_add(content.saturating_add(511) & !511);
    }
    if pos >= size || pos == 0 {
        return seen;
    }
    // `seen` headers in the first `pos` bytes: as many again in each such stretch.
    let scaled = u128::from(seen) * u128::from(size) / u128::from(pos);
    u64::try_from(scaled).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::{estimate_entries, guess_tar, TarGuess};
    use crate::stream::Compression;
    use crate::testing::LayerBuilder;
    use alloc::vec::Vec;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn tar_of(files: &[(&str, usize)]) -> Vec<u8> {
        files
            .iter()
            .fold(LayerBuilder::new(), |b, &(name, size)| {
                b.file(name, &alloc::vec![1u8; size])
            })
            .build()
    }

    #[test]
    fn many_small_files_are_told_from_a_few_large_ones() {
        let small: Vec<(alloc::string::String, usize)> =
            (0..2000).map(|i| (alloc::format!("d/f{i}"), 700)).collect();
        let small: Vec<(&str, usize)> = small.iter().map(|(n, s)| (n.as_str(), *s)).collect();
        let dense = tar_of(&small);
        let sparse = tar_of(&[("big/a", 3 << 20), ("big/b", 5 << 20), ("big/c", 2 << 20)]);
        let window = 64 << 10;
        let d = estimate_entries(&dense[..window], dense.len() as u64);
        let s = estimate_entries(&sparse[..window], sparse.len() as u64);
        // The dense layer's guess is within a few percent of its 2000 entries (every header
        // and file is the same size); the sparse one's first header jumps 3 MiB.
        assert!((1900..=2100).contains(&d), "dense: {d}");
        assert!(s <= 4, "sparse: {s}");
        assert!(d > 100 * s.max(1));
    }

    #[test]
    fn a_whole_tar_in_the_sample_is_counted_exactly() {
        let t = tar_of(&[("a", 10), ("b", 0), ("c", 5000)]);
        assert_eq!(estimate_entries(&t, t.len() as u64), 3);
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    /// Bytes gzip cannot shrink (xorshift).
    fn noise(len: usize) -> Vec<u8> {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn a_gzip_sample_is_inflated_and_its_headers_counted() {
        // Text-like small files (as `large.oci`'s 60 MB stream of 101,102) against a few
        // files of random bytes (its 943 MB stream of five).
        let names: Vec<alloc::string::String> = (0..20_000)
            .map(|i| alloc::format!("usr/share/doc/p{}/f{i}", i / 100))
            .collect();
        let text: Vec<u8> = b"the quick brown fox jumps over the lazy dog\n".repeat(20);
        let dense = names
            .iter()
            .fold(LayerBuilder::new(), |b, n| b.file(n, &text))
            .build();
        let dense_gz = gzip(&dense);
        let sparse = LayerBuilder::new()
            .file("big/a", &noise(3 << 20))
            .file("big/b", &noise(2 << 20))
            .build();
        let sparse_gz = gzip(&sparse);
        let window = 64 << 10;
        let d = guess_tar(&dense_gz[..window], dense_gz.len() as u64);
        let s = guess_tar(&sparse_gz[..window], sparse_gz.len() as u64);
        assert_eq!(d.compression, Compression::Gzip);
        assert!(!d.incompressible, "{d:?}");
        assert!((15_000..=25_000).contains(&d.entries), "{d:?}");
        let (lo, hi) = (dense.len() as u64 * 3 / 4, dense.len() as u64 * 5 / 4);
        assert!(
            (lo..=hi).contains(&d.tar_bytes),
            "{d:?} for {}",
            dense.len()
        );
        assert!(s.incompressible, "{s:?}");
        assert!(s.entries <= 2, "{s:?}");
        let (lo, hi) = (sparse.len() as u64 * 9 / 10, sparse.len() as u64 * 11 / 10);
        assert!(
            (lo..=hi).contains(&s.tar_bytes),
            "{s:?} for {}",
            sparse.len()
        );
    }

    #[test]
    fn what_cannot_be_inflated_guesses_the_blob_itself() {
        let size = 1 << 30;
        let plain = |g: TarGuess| (g.entries, g.tar_bytes);
        // A gzip header and nothing inflatable after it; a zstd frame's magic; nothing.
        let broken = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff];
        assert_eq!(plain(guess_tar(&broken, size)), (0, size));
        let zstd = [0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0];
        let z = guess_tar(&zstd, size);
        assert_eq!((z.compression, plain(z)), (Compression::Zstd, (0, size)));
        assert_eq!(plain(guess_tar(&[], size)), (0, size));
    }

    #[test]
    fn bytes_that_are_not_a_tar_guess_nothing() {
        let gzip = [0x1f, 0x8b, 8, 0].repeat(1000);
        assert_eq!(estimate_entries(&gzip, 1 << 30), 0);
        assert_eq!(estimate_entries(&[], 1 << 30), 0);
    }
}
