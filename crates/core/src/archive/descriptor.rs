//! OCI content descriptors and the JSON documents built from them (index, manifest), plus
//! Docker's `manifest.json`.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use crate::digest::Digest;

/// An OCI descriptor.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Descriptor {
    #[serde(default)]
    pub media_type: Option<String>,
    pub digest: Digest,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub platform: Option<Platform>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Platform {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl Platform {
    pub fn text(&self) -> String {
        match &self.variant {
            Some(v) => alloc::format!("{}/{}/{v}", self.os, self.architecture),
            None => alloc::format!("{}/{}", self.os, self.architecture),
        }
    }
}

/// `index.json` or a nested image index. `manifests` may be `null` (Docker 25).
#[derive(Debug, Deserialize)]
pub(crate) struct Index {
    #[serde(default)]
    pub manifests: Option<Vec<Descriptor>>,
}

/// An image manifest.
#[derive(Debug, Deserialize)]
pub(crate) struct Manifest {
    #[serde(default, rename = "mediaType")]
    pub media_type: Option<String>,
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

/// One entry of Docker's `manifest.json`.
#[derive(Debug, Deserialize)]
pub(crate) struct DockerManifestEntry {
    #[serde(rename = "Config")]
    pub config: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    pub layers: Vec<String>,
    /// Docker 25+: layer path → descriptor (with the media type and compressed digest).
    #[serde(rename = "LayerSources", default)]
    pub layer_sources: Option<BTreeMap<String, Descriptor>>,
}

pub(crate) fn is_index_media_type(mt: Option<&str>) -> bool {
    matches!(
        mt,
        Some("application/vnd.oci.image.index.v1+json")
            | Some("application/vnd.docker.distribution.manifest.list.v2+json")
    )
}

/// The member path of a blob in an OCI layout.
pub(crate) fn blob_path(d: &Digest) -> String {
    alloc::format!("blobs/sha256/{}", d.hex())
}
