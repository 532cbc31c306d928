//! Test support: layers and whole docker-archives built in memory with the `tar` crate, so
//! every union and squash rule can be checked without files (and on wasm32).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::archive::Archive;
use crate::digest::Digest;
use crate::fs::{ChangeSet, UnionFs};
use crate::image::Image;
use crate::layer::{index_layer, IndexOptions, LayerIndex};
use crate::limits::Limits;
use crate::progress::{NoProgress, Stage};

/// Builds one layer tar.
pub struct LayerBuilder {
    b: tar::Builder<Vec<u8>>,
}

impl Default for LayerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(1_700_000_000);
    h
}

impl LayerBuilder {
    /// An empty layer.
    pub fn new() -> Self {
        LayerBuilder {
            b: tar::Builder::new(Vec::new()),
        }
    }
    /// A regular file.
    pub fn file(mut self, path: &str, content: &[u8]) -> Self {
        self.file_mode(path, content, 0o644);
        self
    }
    /// A regular file with a mode.
    pub fn file_mode(&mut self, path: &str, content: &[u8], mode: u32) {
        let mut h = header(tar::EntryType::Regular, mode, content.len() as u64);
        self.b.append_data(&mut h, path, content).unwrap();
    }
    /// A regular file whose name is written verbatim (even with `..`).
    pub fn raw_file(mut self, name: &[u8], content: &[u8]) -> Self {
        let mut h = header(tar::EntryType::Regular, 0o644, content.len() as u64);
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_cksum();
        self.b.append(&h, content).unwrap();
        self
    }
    /// A file with a given mode.
    pub fn chmod(mut self, path: &str, content: &[u8], mode: u32) -> Self {
        self.file_mode(path, content, mode);
        self
    }
    /// A directory.
    pub fn dir(mut self, path: &str) -> Self {
        let mut h = header(tar::EntryType::Directory, 0o755, 0);
        self.b.append_data(&mut h, path, &[][..]).unwrap();
        self
    }
    /// A symlink.
    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        let mut h = header(tar::EntryType::Symlink, 0o777, 0);
        self.b.append_link(&mut h, path, target).unwrap();
        self
    }
    /// A hardlink.
    pub fn hardlink(mut self, path: &str, target: &str) -> Self {
        let mut h = header(tar::EntryType::Link, 0o644, 0);
        self.b.append_link(&mut h, path, target).unwrap();
        self
    }
    /// A whiteout of `path`.
    pub fn whiteout(self, path: &str) -> Self {
        let (dir, name) = match path.rfind('/') {
            Some(i) => (&path[..=i], &path[i + 1..]),
            None => ("", path),
        };
        self.file(&alloc::format!("{dir}.wh.{name}"), b"")
    }
    /// An opaque marker in `dir`.
    pub fn opaque(self, dir: &str) -> Self {
        self.file(&alloc::format!("{dir}/.wh..wh..opq"), b"")
    }
    /// The tar bytes.
    pub fn build(self) -> Vec<u8> {
        self.b.into_inner().unwrap()
    }
}

/// Indexes one layer held in memory.
pub fn index(bytes: &[u8]) -> LayerIndex {
    index_layer(
        bytes,
        0,
        bytes.len() as u64,
        &IndexOptions::default(),
        &mut NoProgress,
        Stage::Indexing(0),
        bytes.len() as u64,
    )
    .unwrap()
}

/// Union of in-memory layers.
pub fn union(layers: &[Vec<u8>]) -> (Vec<LayerIndex>, UnionFs, Vec<ChangeSet>) {
    let idx: Vec<LayerIndex> = layers.iter().map(|l| index(l)).collect();
    let (fs, cs) = UnionFs::build(idx.iter());
    (idx, fs, cs)
}

/// A docker-archive holding one image made of `layers`.
pub fn docker_archive(layers: &[Vec<u8>]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| Digest::of(l).to_string()).collect();
    let history: Vec<serde_json::Value> =
        (0..layers.len()).map(|i| serde_json::json!({"created": alloc::format!("2024-01-0{}T00:00:00Z", i % 9 + 1), "created_by": alloc::format!("RUN step {i}")})).collect();
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": history,
    });
    let config = serde_json::to_vec(&config).unwrap();
    let names: Vec<String> = (0..layers.len())
        .map(|i| alloc::format!("l{i}/layer.tar"))
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!([{"Config": "config.json", "RepoTags": ["test:latest"], "Layers": names}])).unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = header(tar::EntryType::Regular, 0o644, data.len() as u64);
        b.append_data(&mut h, name, data).unwrap();
    };
    for (n, l) in names.iter().zip(layers) {
        add(n, l);
    }
    add("config.json", &config);
    add("manifest.json", &manifest);
    b.into_inner().unwrap()
}

/// Opens an in-memory archive and loads its image.
pub fn load(archive: &[u8]) -> (Archive<&[u8]>, Image) {
    let mut a = Archive::open(archive, Limits::default(), &mut NoProgress).unwrap();
    let img = Image::load(&mut a, 0, &IndexOptions::default(), &mut NoProgress).unwrap();
    (a, img)
}

/// Every archive of the repository's fixtures (tests/fixtures, any depth) and the app's
/// sample, real archives written by real tools. (Files: not on wasm32.)
#[cfg(not(target_arch = "wasm32"))]
pub fn fixture_archives() -> Vec<std::path::PathBuf> {
    fn tars(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                tars(&path, out);
            } else if path.extension().is_some_and(|e| e == "tar") {
                out.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    tars(&root.join("tests/fixtures"), &mut files);
    files.push(root.join("web/assets/sample.tar"));
    files
}
