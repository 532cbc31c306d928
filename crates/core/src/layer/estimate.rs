//! How many entries an uncompressed layer holds, guessed from its first bytes. Indexing a
//! plain tar costs per entry, not per byte (a large file is jumped over), so a host indexing
//! several layers at once starts the ones with the most entries first: a 154 MB layer of
//! 100,000 small files takes longer than a 943 MB layer of five.

use crate::archive::is_tar_header;

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
    use super::estimate_entries;
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

    #[test]
    fn bytes_that_are_not_a_tar_guess_nothing() {
        let gzip = [0x1f, 0x8b, 8, 0].repeat(1000);
        assert_eq!(estimate_entries(&gzip, 1 << 30), 0);
        assert_eq!(estimate_entries(&[], 1 << 30), 0);
    }
}
