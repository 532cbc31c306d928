//! Any bytes as an image archive: open, pick, load, union. Must never panic or hang.
#![forbid(unsafe_code)]
#![no_main]

use layerlens_core::archive::{Archive, Selector};
use layerlens_core::fs::UnionFs;
use layerlens_core::image::Image;
use layerlens_core::layer::IndexOptions;
use layerlens_core::{Limits, NoProgress};
use libfuzzer_sys::fuzz_target;

fn limits() -> Limits {
    Limits { max_entries: 100_000, max_decompressed: 64 << 20, max_json: 1 << 20, ..Limits::default() }
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut archive) = Archive::open(data, limits(), &mut NoProgress) else { return };
    let Ok(which) = archive.select(&Selector::default()) else { return };
    let options = IndexOptions { limits: limits(), hash_compressed: true };
    let Ok(image) = Image::load(&mut archive, which, &options, &mut NoProgress) else { return };
    let _ = UnionFs::build(image.indexes());
});
