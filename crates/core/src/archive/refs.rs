//! What an archive holds, as plain data: its layout, and for each image where its config
//! and layers lie. [`Archive`](super::Archive) finds them.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::digest::Digest;

/// Which layout the archive uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `docker save` before Docker 25: `<id>/layer.tar`, `<id>/json`, `manifest.json`.
    DockerLegacy,
    /// docker-archive as buildah, podman and skopeo write it: top-level `<diffid>.tar`.
    DockerArchive,
    /// `docker save` from Docker 25 on: an OCI layout with `manifest.json` beside it.
    DockerOci,
    /// An OCI image layout (oci-archive): `index.json`, `oci-layout`, `blobs/`.
    OciLayout,
    /// containers/image's `dir:` layout (skopeo, podman `docker-dir`): one image manifest in
    /// `manifest.json`, blobs named by hex digest, a `version` file.
    ContainersDir,
}

impl Format {
    /// Name as shown to people.
    pub fn describe(self) -> &'static str {
        match self {
            Format::DockerLegacy => "docker-archive (Docker < 25)",
            Format::DockerArchive => "docker-archive (buildah/podman/skopeo)",
            Format::DockerOci => "docker-archive (Docker 25+, OCI layout)",
            Format::OciLayout => "OCI image layout",
            Format::ContainersDir => "containers/image `dir:` layout (skopeo, podman)",
        }
    }
}

/// A blob in the archive: the name it is referred to by and the bytes it resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlobRef {
    /// Name as the metadata refers to it (`abc/layer.tar`, `blobs/sha256/…`).
    pub member: String,
    /// Name of the regular-file member after following links.
    pub resolved: String,
    /// Offset of the bytes in the (decompressed) archive.
    pub offset: u64,
    /// Size in bytes.
    pub size: u64,
}

/// A layer blob and what the metadata declares about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerRef {
    /// Where the bytes are.
    pub blob: BlobRef,
    /// The descriptor digest (of the blob as stored), when the layout has one.
    pub digest: Option<Digest>,
    /// The declared media type (informative only: content decides).
    pub media_type: Option<String>,
}

/// One image in the archive, before its config and layers are read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRef {
    /// Tags (`RepoTags`, or OCI `ref.name` annotations).
    pub tags: Vec<String>,
    /// Platform from an image index, when the image came from one.
    pub platform: Option<String>,
    /// Config blob.
    pub config: BlobRef,
    /// Declared config digest (OCI descriptors, Docker 25 blob paths): checked on load.
    pub config_digest: Option<Digest>,
    /// Layers, base first.
    pub layers: Vec<LayerRef>,
    /// Digest of the image manifest, for OCI layouts.
    pub manifest_digest: Option<Digest>,
    /// Position of the top-level index entry this image came from (platform variants of one
    /// multi-platform image share it).
    pub group: usize,
}

/// Which image to take from an archive with several.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    /// By tag or position (`0`, `1`, …); default: the first.
    pub image: Option<String>,
    /// Platform (`linux/arm64`) for multi-platform images; default: the only one, else
    /// `linux/amd64`.
    pub platform: Option<String>,
}
