//! The core on wasm32 (run with wasm-bindgen-test-runner): real fixtures, embedded at compile
//! time, read through a short-read source, analysed and squashed entirely in memory.
#![forbid(unsafe_code)]
#![cfg(target_arch = "wasm32")]

use std::io;

use layerlens_core::archive::Archive;
use layerlens_core::fs::UnionFs;
use layerlens_core::image::{verify, Image};
use layerlens_core::squash::{write_squash, SquashOptions, SquashPlan};
use layerlens_core::{Limits, NoProgress, Source};
use wasm_bindgen_test::wasm_bindgen_test;

/// At most 1000 bytes per read, as a browser source may return.
struct Stingy(&'static [u8]);

impl Source for Stingy {
    fn size(&mut self) -> io::Result<u64> {
        Ok(self.0.len() as u64)
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(1000);
        self.0.read_at(offset, &mut buf[..n])
    }
}

const DOCKER: &[u8] = include_bytes!("../../../tests/fixtures/built/whiteouts.docker.tar");
const OCI_GZIP: &[u8] = include_bytes!("../../../tests/fixtures/built/whiteouts.oci.tar");
const OCI_ZSTD: &[u8] = include_bytes!("../../../tests/fixtures/real/dive/test-oci-zstd-image.tar");
const LEGACY: &[u8] = include_bytes!("../../../tests/fixtures/real/dive/test-docker-image.tar");

fn load(bytes: &'static [u8]) -> (Archive<Stingy>, Image) {
    let mut a = Archive::open(Stingy(bytes), Limits::default(), &mut NoProgress).unwrap();
    let which = a.select(&Default::default()).unwrap();
    let img = Image::load(&mut a, which, &Default::default(), &mut NoProgress).unwrap();
    (a, img)
}

#[wasm_bindgen_test]
fn docker_and_oci_forms_give_the_same_filesystem() {
    let (_, a) = load(DOCKER);
    let (_, b) = load(OCI_GZIP);
    let (fa, _) = UnionFs::build(a.indexes());
    let (fb, _) = UnionFs::build(b.indexes());
    assert_eq!(fa.len(), 307);
    let pa: Vec<_> = fa.iter().map(|(p, _)| p.clone()).collect();
    let pb: Vec<_> = fb.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(pa, pb);
}

#[wasm_bindgen_test]
fn digests_verify_for_plain_gzip_and_zstd_layers() {
    for bytes in [DOCKER, OCI_GZIP, OCI_ZSTD, LEGACY] {
        let (mut a, img) = load(bytes);
        verify(a.source_mut(), &img, &Limits::default(), &mut NoProgress).unwrap();
    }
}

#[wasm_bindgen_test]
fn squash_writes_exactly_the_planned_bytes() {
    for bytes in [DOCKER, OCI_GZIP, LEGACY] {
        let (mut a, img) = load(bytes);
        let (fs, cs) = UnionFs::build(img.indexes());
        for from in [0, img.layers.len() / 2] {
            let plan = SquashPlan::new(
                &img,
                &fs,
                &cs,
                a.len(),
                &SquashOptions {
                    from,
                    ..Default::default()
                },
            )
            .unwrap();
            let mut out = Vec::new();
            let w = write_squash(a.source_mut(), &img, &plan, &mut out, &mut NoProgress).unwrap();
            assert_eq!(out.len() as u64, plan.archive_size);
            assert_eq!(w.size, plan.archive_size);
            // The output reads back as an image with from + 1 layers.
            let leaked: &'static [u8] = Box::leak(out.into_boxed_slice());
            let (_, back) = load(leaked);
            assert_eq!(back.layers.len(), from + 1);
        }
    }
}
