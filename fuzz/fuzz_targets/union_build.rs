//! Several layers cut from the input (split at 0xFF 0xFF markers), each indexed, then stacked
//! into the union filesystem with change sets and the per-layer views. Must never panic.
#![forbid(unsafe_code)]
#![no_main]

use layerlens_core::fs::UnionFs;
use layerlens_core::layer::{index_layer, IndexOptions, LayerIndex};
use layerlens_core::view::FileTree;
use layerlens_core::{Limits, NoProgress, Stage};
use libfuzzer_sys::fuzz_target;

fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + 1 < data.len() {
        if data[i] == 0xff && data[i + 1] == 0xff {
            out.push(&data[start..i]);
            start = i + 2;
            i += 2;
        } else {
            i += 1;
        }
    }
    out.push(&data[start..]);
    out
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_entries: 100_000, max_decompressed: 64 << 20, ..Limits::default() };
    let options = IndexOptions { limits, hash_compressed: false };
    let layers: Vec<LayerIndex> = split(data)
        .into_iter()
        .take(8)
        .filter_map(|l| index_layer(l, 0, l.len() as u64, &options, &mut NoProgress, Stage::Indexing(0), 0).ok())
        .collect();
    let (fs, changes) = UnionFs::build(layers.iter());
    let _ = (fs.len(), changes.len());
    let rows: Vec<_> = fs.iter().map(|(p, _)| layerlens_core::view::TreeRow {
        path: p.display(),
        kind: '-',
        size: 1,
        mode: 0,
        uid: 0,
        gid: 0,
        link: None,
        mark: layerlens_core::view::Mark::Added,
        layer: 0,
    }).collect();
    let t = FileTree::new(rows);
    let _ = t.visible(&t.dirs(), &Default::default());
});
