//! containers/image's `dir:` layout (`skopeo copy … dir:DIR`, `podman save --format
//! docker-dir`): `manifest.json` is one image manifest (Docker schema 2 or OCI), not
//! docker-archive's array; blobs, the config included, are files named by the hex of their
//! sha256 digest (`<hex>.tar` before layout version 1.1); `version` says which. With
//! `--all`, `manifest.json` is a manifest list and each platform's manifest is
//! `<hex>.manifest.json`.

use alloc::string::String;
use alloc::vec::Vec;

use super::{check_size, looks_like_index, Archive, BlobRef, ImageRef, LayerRef};
use crate::archive::descriptor::{is_index_media_type, Descriptor, Index, Manifest};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::source::Source;

const MANIFEST: &str = "manifest.json";

/// Whether `manifest.json` holds a JSON object (a `dir:` manifest) rather than an array.
pub(super) fn is_object(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

/// The few fields that tell a schema 1 manifest, which has no config blob.
#[derive(serde::Deserialize)]
struct Schema {
    #[serde(default, rename = "schemaVersion")]
    schema_version: Option<u32>,
    #[serde(default, rename = "fsLayers")]
    fs_layers: Option<serde_json::Value>,
}

impl<S: Source> Archive<S> {
    /// Lists the image (or the platforms of a manifest list) of a `dir:` layout.
    pub(super) fn list_containers_dir(&mut self, bytes: &[u8]) -> Result<()> {
        let schema: Schema = serde_json::from_slice(bytes)
            .map_err(|e| Error::json(alloc::format!("invalid JSON: {e}")).in_member(MANIFEST))?;
        if schema.schema_version == Some(1) || schema.fs_layers.is_some() {
            return Err(Error::archive(
                "a Docker schema 1 manifest has no image config; copy the image again with `skopeo copy --format v2s2` (or `--format oci`)",
            )
            .in_member(MANIFEST));
        }
        if looks_like_index(bytes) || media_type_is_index(bytes) {
            let list: Index = serde_json::from_slice(bytes).map_err(|e| {
                Error::json(alloc::format!("invalid manifest list: {e}")).in_member(MANIFEST)
            })?;
            for child in list.manifests.unwrap_or_default() {
                // Attestations (buildkit's `unknown/unknown`) are not images.
                if child.platform.as_ref().is_some_and(|p| p.os == "unknown") {
                    continue;
                }
                let path = alloc::format!("{}.manifest.json", child.digest.hex());
                if !self.members.contains(&path) {
                    // `skopeo copy` without `--all` keeps the list but one platform only.
                    continue;
                }
                let child_bytes = self.read_verified(&path, &child)?;
                let platform = child.platform.as_ref().map(|p| p.text());
                self.add_dir_manifest(&child_bytes, &path, platform, child.digest)?;
            }
            if self.images.is_empty() {
                return Err(Error::archive(
                    "`manifest.json` is a manifest list but none of its manifests (`<hex>.manifest.json`) is in the directory",
                )
                .in_member(MANIFEST));
            }
            return Ok(());
        }
        self.add_dir_manifest(bytes, MANIFEST, None, Digest::of(bytes))
    }

    fn add_dir_manifest(
        &mut self,
        bytes: &[u8],
        path: &str,
        platform: Option<String>,
        digest: Digest,
    ) -> Result<()> {
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| {
            Error::json(alloc::format!("invalid image manifest: {e}")).in_member(path)
        })?;
        let config = self
            .dir_blob(&manifest.config)
            .map_err(|e| e.in_member(path))?;
        self.check_layer_count(manifest.layers.len())?;
        let mut layers = Vec::with_capacity(manifest.layers.len());
        for l in &manifest.layers {
            layers.push(LayerRef {
                blob: self.dir_blob(l).map_err(|e| e.in_member(path))?,
                digest: Some(l.digest),
                media_type: l.media_type.clone(),
            });
        }
        self.images.push(ImageRef {
            tags: Vec::new(),
            platform,
            config,
            config_digest: Some(manifest.config.digest),
            layers,
            manifest_digest: Some(digest),
            // Platforms of one list are one image, as in an OCI index.
            group: 0,
        });
        Ok(())
    }

    /// The blob a descriptor names: `<hex>`, or `<hex>.tar` as layout version 1.0 wrote it.
    fn dir_blob(&self, d: &Descriptor) -> Result<BlobRef> {
        let hex = d.digest.hex();
        let old = alloc::format!("{hex}.tar");
        let name = if !self.members.contains(&hex) && self.members.contains(&old) {
            old
        } else {
            hex
        };
        if !self.members.contains(&name) {
            return Err(Error::archive(alloc::format!(
                "the manifest names blob {} but there is no file `{name}` (a `dir:` folder names each blob by its hex digest)",
                d.digest
            )));
        }
        let blob = self.blob(&name)?;
        check_size(&blob, d)?;
        Ok(blob)
    }
}

fn media_type_is_index(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(default, rename = "mediaType")]
        media_type: Option<String>,
    }
    serde_json::from_slice::<Probe>(bytes)
        .is_ok_and(|p| is_index_media_type(p.media_type.as_deref()))
}
