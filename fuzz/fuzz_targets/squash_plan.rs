//! Any bytes as an image archive, squashed from every layer: planning must not panic, and
//! whatever is written must be exactly the planned size.
#![forbid(unsafe_code)]
#![no_main]

use layerlens_core::archive::{Archive, Selector};
use layerlens_core::fs::UnionFs;
use layerlens_core::image::Image;
use layerlens_core::layer::IndexOptions;
use layerlens_core::squash::{write_squash, SquashOptions, SquashPlan};
use layerlens_core::{Limits, NoProgress};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_entries: 100_000, max_decompressed: 64 << 20, max_json: 1 << 20, ..Limits::default() };
    let Ok(mut archive) = Archive::open(data, limits, &mut NoProgress) else { return };
    let Ok(which) = archive.select(&Selector::default()) else { return };
    let Ok(image) = Image::load(&mut archive, which, &IndexOptions { limits, hash_compressed: false }, &mut NoProgress) else { return };
    let (fs, changes) = UnionFs::build(image.indexes());
    for from in 0..image.layers.len() {
        let Ok(plan) = SquashPlan::new(&image, &fs, &changes, archive.len(), &SquashOptions { from, ..Default::default() }) else { continue };
        let mut out = Vec::new();
        if let Ok(w) = write_squash(archive.source_mut(), &image, &plan, &mut out, &mut NoProgress) {
            assert_eq!(w.size, plan.archive_size);
            assert_eq!(out.len() as u64, plan.archive_size);
        }
    }
});
