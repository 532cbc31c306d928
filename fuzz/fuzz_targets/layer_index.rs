//! Any bytes as one layer (plain, gzip or zstd): index it. Must never panic or hang.
#![forbid(unsafe_code)]
#![no_main]

use layerlens_core::layer::{index_layer, IndexOptions};
use layerlens_core::{Limits, NoProgress, Stage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_entries: 100_000, max_decompressed: 64 << 20, ..Limits::default() };
    let options = IndexOptions { limits, hash_compressed: true };
    let _ = index_layer(data, 0, data.len() as u64, &options, &mut NoProgress, Stage::Indexing(0), data.len() as u64);
});
