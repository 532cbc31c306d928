//! Opening an archive: the member table, the layout, and the images (std: the tar crate
//! reads through `std::io`).

mod containers_dir;

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::io;

use super::refs::{BlobRef, Format, ImageRef, LayerRef, Selector};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::limits::{LimitKind, Limits};
use crate::progress::Progress;
use crate::sanitize::display_bytes;
use crate::source::Source;
use crate::stream::Compression;

use super::descriptor::{
    blob_path, is_index_media_type, Descriptor, DockerManifestEntry, Index, Manifest,
};
use super::gunzip::GunzipSource;
use super::members::{MemberKind, Members};

/// An opened image archive.
pub struct Archive<S: Source> {
    source: ArchiveSource<S>,
    len: u64,
    members: Members,
    format: Format,
    compression: Compression,
    images: Vec<ImageRef>,
    limits: Limits,
}

/// The archive's bytes: as stored, or decompressed on the fly.
pub enum ArchiveSource<S: Source> {
    /// A plain tar.
    Plain(S),
    /// A gzipped tar.
    Gzip(alloc::boxed::Box<GunzipSource<S>>),
}

impl<S: Source> Source for ArchiveSource<S> {
    fn size(&mut self) -> io::Result<u64> {
        match self {
            ArchiveSource::Plain(s) => s.size(),
            ArchiveSource::Gzip(s) => s.size(),
        }
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ArchiveSource::Plain(s) => s.read_at(offset, buf),
            ArchiveSource::Gzip(s) => s.read_at(offset, buf),
        }
    }
    fn max_read_ahead(&self) -> usize {
        match self {
            ArchiveSource::Plain(s) => s.max_read_ahead(),
            // Served from memory by the decompressor: no per-call cost to save.
            ArchiveSource::Gzip(_) => crate::source::READ_AHEAD,
        }
    }
}

impl<S: Source> Archive<S> {
    /// Opens an archive: reads the member table and lists the images.
    ///
    /// # Errors
    /// Not a tar (or gzipped tar), no `manifest.json` nor `index.json`, malformed metadata,
    /// or metadata naming members that are missing.
    pub fn open(mut source: S, limits: Limits, progress: &mut dyn Progress) -> Result<Self> {
        let stored = source.size()?;
        if stored == 0 {
            return Err(Error::archive("the file is empty"));
        }
        let mut magic = [0u8; 4];
        let n = source.read_at(0, &mut magic)?;
        let compression = Compression::detect(&magic[..n]);
        let mut source = match compression {
            Compression::None => ArchiveSource::Plain(source),
            Compression::Gzip => ArchiveSource::Gzip(alloc::boxed::Box::new(GunzipSource::new(
                source,
                stored,
                limits.max_decompressed,
            ))),
            Compression::Zstd => {
                return Err(Error::archive("the file is zstd-compressed; decompress it first (`zstd -d`) or save it as a plain or gzipped tar"));
            }
        };
        let len = source
            .size()
            .map_err(|e| Error::from(e).in_member("(gzip stream)"))?;
        Self::from_tar(source, len, compression, limits, progress)
    }

    /// Opens the tar in `source` (`len` bytes, decompressed), stored with `compression`.
    pub(crate) fn from_tar(
        mut source: ArchiveSource<S>,
        len: u64,
        compression: Compression,
        limits: Limits,
        progress: &mut dyn Progress,
    ) -> Result<Self> {
        check_tar_magic(&mut source, len)?;
        let members = Members::read(&mut source, len, &limits, progress)?;
        let mut archive = Archive {
            source,
            len,
            members,
            format: Format::OciLayout,
            compression,
            images: Vec::new(),
            limits,
        };
        archive.list_images()?;
        Ok(archive)
    }

    /// The layout.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the archive itself is gzipped.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Size of the (decompressed) archive.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the archive is empty (never true for an opened archive).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The member table.
    pub fn members(&self) -> &Members {
        &self.members
    }

    /// Images in the archive, in order.
    pub fn images(&self) -> &[ImageRef] {
        &self.images
    }

    /// Limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The archive bytes (decompressed view), for reading layers and writing outputs.
    pub fn source_mut(&mut self) -> &mut ArchiveSource<S> {
        &mut self.source
    }

    /// Reads a member's bytes whole (for JSON).
    ///
    /// # Errors
    /// Missing member, over the JSON limit, or unreadable.
    pub fn read_json_member(&mut self, name: &str) -> Result<Vec<u8>> {
        self.members
            .read_small(&mut self.source, name, self.limits.max_json)
    }

    /// Picks an image.
    ///
    /// # Errors
    /// No image matches, or several platforms match and none was chosen.
    pub fn select(&self, sel: &Selector) -> Result<usize> {
        let candidates: Vec<usize> = match sel.image.as_deref() {
            None => match self.images.first() {
                Some(first) => (0..self.images.len())
                    .filter(|&i| self.images[i].group == first.group)
                    .collect(),
                None => Vec::new(),
            },
            Some(s) => match s.parse::<usize>() {
                Ok(pos) => {
                    let groups = self.groups();
                    let Some(&g) = groups.get(pos) else {
                        return Err(Error::request(alloc::format!(
                            "there is no image {pos}: the archive holds {} (0 to {})",
                            groups.len(),
                            groups.len().saturating_sub(1)
                        )));
                    };
                    (0..self.images.len())
                        .filter(|&i| self.images[i].group == g)
                        .collect()
                }
                Err(_) => (0..self.images.len())
                    .filter(|&i| self.images[i].tags.iter().any(|t| tag_matches(t, s)))
                    .collect(),
            },
        };
        if candidates.is_empty() {
            let all: Vec<String> = self
                .images
                .iter()
                .flat_map(|i| i.tags.iter().cloned())
                .collect();
            return Err(Error::request(alloc::format!(
                "no image tagged `{}` (tags here: {})",
                display_bytes(sel.image.as_deref().unwrap_or("").as_bytes()),
                if all.is_empty() {
                    "none".into()
                } else {
                    all.join(", ")
                }
            )));
        }
        if candidates.len() == 1 && sel.platform.is_none() {
            return Ok(candidates[0]);
        }
        let want = sel.platform.as_deref();
        let by_platform = |p: &str| {
            candidates
                .iter()
                .copied()
                .find(|&i| self.images[i].platform.as_deref() == Some(p))
        };
        match want {
            Some(p) => by_platform(p).or_else(|| {
                // Match `linux/arm64` against `linux/arm64/v8` too.
                candidates.iter().copied().find(|&i| {
                    self.images[i]
                        .platform
                        .as_deref()
                        .is_some_and(|q| q.starts_with(p) && q[p.len()..].starts_with('/'))
                })
            }),
            None => by_platform("linux/amd64"),
        }
        .ok_or_else(|| {
            let have: Vec<&str> = candidates
                .iter()
                .filter_map(|&i| self.images[i].platform.as_deref())
                .collect();
            Error::request(alloc::format!(
                "choose a platform: this image has {}",
                have.join(", ")
            ))
        })
    }

    fn groups(&self) -> Vec<usize> {
        let mut g: Vec<usize> = self.images.iter().map(|i| i.group).collect();
        g.dedup();
        g
    }

    fn blob(&self, name: &str) -> Result<BlobRef> {
        let m = self.members.resolve(name).map_err(|e| e.in_member(name))?;
        Ok(BlobRef {
            member: name.into(),
            resolved: m.name.clone(),
            offset: m.offset,
            size: m.size,
        })
    }

    /// Refuses an image with more layers than the limit allows.
    fn check_layer_count(&self, n: usize) -> Result<()> {
        if n > self.limits.max_layers {
            return Err(Error::limit(
                LimitKind::Layers,
                self.limits.max_layers as u64,
            ));
        }
        Ok(())
    }

    fn list_images(&mut self) -> Result<()> {
        if self.members.contains("manifest.json") {
            let bytes = self.read_json_member("manifest.json")?;
            if containers_dir::is_object(&bytes) {
                self.format = Format::ContainersDir;
                return self.list_containers_dir(&bytes);
            }
            self.format = if self.members.contains("oci-layout") {
                Format::DockerOci
            } else if self
                .members
                .iter()
                .any(|m| m.name.ends_with("/layer.tar") && m.kind == MemberKind::File)
            {
                Format::DockerLegacy
            } else {
                Format::DockerArchive
            };
            self.list_docker()
        } else if self.members.contains("index.json") {
            self.format = Format::OciLayout;
            self.list_oci()
        } else if self.members.contains("repositories") {
            Err(Error::archive("this is a very old docker-archive with only `repositories` and no `manifest.json` (Docker < 1.10); re-save it with a newer Docker"))
        } else {
            Err(Error::archive("not an image archive: it has neither `manifest.json` (docker-archive) nor `index.json` (OCI layout)"))
        }
    }

    fn list_docker(&mut self) -> Result<()> {
        let bytes = self.read_json_member("manifest.json")?;
        let entries: Option<Vec<DockerManifestEntry>> =
            serde_json::from_slice(&bytes).map_err(|e| {
                Error::json(alloc::format!("invalid JSON: {e}")).in_member("manifest.json")
            })?;
        let entries = entries.ok_or_else(|| {
            Error::archive("`manifest.json` is `null`: it lists no images")
                .in_member("manifest.json")
        })?;
        if entries.is_empty() {
            return Err(
                Error::archive("`manifest.json` lists no images").in_member("manifest.json")
            );
        }
        for (group, e) in entries.into_iter().enumerate() {
            let config = self
                .blob(&e.config)
                .map_err(|err| err.in_member("manifest.json"))?;
            self.check_layer_count(e.layers.len())?;
            let mut layers = Vec::with_capacity(e.layers.len());
            for l in &e.layers {
                let source = e.layer_sources.as_ref().and_then(|s| s.get(l));
                layers.push(LayerRef {
                    blob: self.blob(l).map_err(|err| err.in_member("manifest.json"))?,
                    digest: source.map(|d| d.digest),
                    media_type: source.and_then(|d| d.media_type.clone()),
                });
            }
            // Docker 25 names blobs by digest: the config's digest is its path.
            // Docker 25 names blobs by digest, so a mismatch is corruption. Other writers'
            // `<hex>.json` names are a convention that hand-edited archives break (ggcr's
            // fixtures do) and that `docker load` ignores, so they are not checked.
            let config_digest = e
                .config
                .strip_prefix("blobs/sha256/")
                .and_then(|h| Digest::from_hex(h).ok());
            self.images.push(ImageRef {
                tags: e.repo_tags.unwrap_or_default(),
                platform: None,
                config,
                config_digest,
                layers,
                manifest_digest: None,
                group,
            });
        }
        Ok(())
    }

    fn list_oci(&mut self) -> Result<()> {
        let bytes = self.read_json_member("index.json")?;
        let index: Index = serde_json::from_slice(&bytes).map_err(|e| {
            Error::json(alloc::format!("invalid JSON: {e}")).in_member("index.json")
        })?;
        let manifests = index.manifests.unwrap_or_default();
        if manifests.is_empty() {
            return Err(Error::archive("`index.json` lists no images").in_member("index.json"));
        }
        for (group, d) in manifests.iter().enumerate() {
            let tags = ref_names(d);
            self.add_oci_descriptor(d, &tags, group, 0)?;
        }
        Ok(())
    }

    fn add_oci_descriptor(
        &mut self,
        d: &Descriptor,
        tags: &[String],
        group: usize,
        depth: usize,
    ) -> Result<()> {
        if depth > 4 {
            return Err(
                Error::archive("image indexes nested too deeply").in_member(&blob_path(&d.digest))
            );
        }
        let path = blob_path(&d.digest);
        let bytes = self.read_verified(&path, d)?;
        if is_index_media_type(d.media_type.as_deref()) || looks_like_index(&bytes) {
            let nested: Index = serde_json::from_slice(&bytes).map_err(|e| {
                Error::json(alloc::format!("invalid image index: {e}")).in_member(&path)
            })?;
            for child in nested.manifests.unwrap_or_default() {
                // Skip attestation manifests (buildkit's `unknown/unknown` entries).
                if child.platform.as_ref().is_some_and(|p| p.os == "unknown") {
                    continue;
                }
                self.add_oci_descriptor(&child, tags, group, depth + 1)?;
            }
            return Ok(());
        }
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            Error::json(alloc::format!("invalid image manifest: {e}")).in_member(&path)
        })?;
        let _ = manifest.media_type;
        let config = self
            .blob(&blob_path(&manifest.config.digest))
            .map_err(|e| e.in_member(&path))?;
        check_size(&config, &manifest.config)?;
        self.check_layer_count(manifest.layers.len())?;
        let mut layers = Vec::with_capacity(manifest.layers.len());
        for l in &manifest.layers {
            let blob = self
                .blob(&blob_path(&l.digest))
                .map_err(|e| e.in_member(&path))?;
            check_size(&blob, l)?;
            layers.push(LayerRef {
                blob,
                digest: Some(l.digest),
                media_type: l.media_type.clone(),
            });
        }
        self.images.push(ImageRef {
            tags: tags.to_vec(),
            platform: d.platform.as_ref().map(|p| p.text()),
            config,
            config_digest: Some(manifest.config.digest),
            layers,
            manifest_digest: Some(d.digest),
            group,
        });
        Ok(())
    }

    /// Reads a small blob and checks it against its descriptor's digest (cheap for JSON).
    fn read_verified(&mut self, path: &str, d: &Descriptor) -> Result<Vec<u8>> {
        let bytes = self.read_json_member(path)?;
        let actual = Digest::of(&bytes);
        if actual != d.digest {
            return Err(Error::new(crate::error::ErrorKind::DigestMismatch {
                digest: crate::error::DigestKind::Descriptor,
                expected: d.digest.to_string(),
                actual: actual.to_string(),
            })
            .in_member(path));
        }
        Ok(bytes)
    }
}

fn check_size(blob: &BlobRef, d: &Descriptor) -> Result<()> {
    match d.size {
        Some(s) if s != blob.size => Err(Error::archive(alloc::format!(
            "descriptor says {s} bytes but the blob has {}",
            blob.size
        ))
        .in_member(&blob.member)),
        _ => Ok(()),
    }
}

fn looks_like_index(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        manifests: Option<serde_json::Value>,
        config: Option<serde_json::Value>,
    }
    serde_json::from_slice::<Probe>(bytes)
        .is_ok_and(|p| p.manifests.is_some() && p.config.is_none())
}

fn ref_names(d: &Descriptor) -> Vec<String> {
    let mut tags = Vec::new();
    if let Some(a) = &d.annotations {
        for key in [
            "io.containerd.image.name",
            "org.opencontainers.image.ref.name",
        ] {
            if let Some(v) = a.get(key) {
                if !tags.contains(v) {
                    tags.push(v.clone());
                }
            }
        }
    }
    tags
}

/// `nginx` matches `nginx:latest` and `docker.io/library/nginx:latest`; `foo:1` matches
/// `example.com/foo:1`.
fn tag_matches(tag: &str, wanted: &str) -> bool {
    let with_latest = |s: &str| -> String {
        let name_part = s.rsplit('/').next().unwrap_or(s);
        if name_part.contains(':') || s.contains('@') {
            s.into()
        } else {
            alloc::format!("{s}:latest")
        }
    };
    let t = with_latest(tag);
    let w = with_latest(wanted);
    t == w || t.ends_with(&alloc::format!("/{w}"))
}

/// A tar's first header has `ustar` at 257 (or is an old v7 header with a valid checksum);
/// anything else is "not a tar" rather than a confusing checksum error.
fn check_tar_magic<S: Source>(source: &mut S, len: u64) -> Result<()> {
    let mut h = [0u8; 512];
    let mut done = 0;
    while done < 512 && (done as u64) < len {
        let n = source.read_at(done as u64, &mut h[done..])?;
        if n == 0 {
            break;
        }
        done += n;
    }
    check_tar_start(&h[..done])
}

/// Refuses an archive whose first block (`first`, fewer than 512 bytes if that is all
/// there is) is not a tar header, with what it looks like instead.
pub(crate) fn check_tar_start(first: &[u8]) -> Result<()> {
    let Ok(h) = <&[u8; 512]>::try_from(first) else {
        return Err(Error::archive(alloc::format!(
            "not a tar archive: only {} bytes",
            first.len()
        )));
    };
    if h.iter().all(|&b| b == 0) {
        return Err(Error::archive("the archive is an empty tar (no members)"));
    }
    if !is_tar_header(h) {
        return Err(Error::archive("not a tar archive (and not gzip): is this an image saved with `docker save`, `podman save` or `skopeo copy … docker-archive:`?"));
    }
    Ok(())
}

/// Whether `h` reads as a tar header: the `ustar` magic, or a checksum that adds up (v7).
pub(crate) fn is_tar_header(h: &[u8; 512]) -> bool {
    if &h[257..262] == b"ustar" {
        return true;
    }
    let sum: u32 = h[..148]
        .iter()
        .chain(&h[156..])
        .map(|&b| u32::from(b))
        .sum::<u32>()
        + 8 * 32;
    let declared = core::str::from_utf8(&h[148..156])
        .ok()
        .and_then(|s| u32::from_str_radix(s.trim_matches(|c: char| c == '\0' || c == ' '), 8).ok());
    declared == Some(sum)
}

#[cfg(test)]
mod tests {
    use super::tag_matches;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn tags_match_with_implicit_latest_and_registry() {
        assert!(tag_matches("nginx:latest", "nginx"));
        assert!(tag_matches("docker.io/library/nginx:latest", "nginx"));
        assert!(tag_matches("localhost/foo:1", "foo:1"));
        assert!(!tag_matches("foo:1", "foo:2"));
        assert!(!tag_matches("xfoo:1", "foo:1"));
    }
}
