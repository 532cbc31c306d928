//! The whole squash: which layers are kept, the new layer, and the output archive around
//! them, with every size known before a byte is written.
//!
//! The output is a docker-archive that `docker load` accepts: `N/layer.tar` for each layer
//! (kept layers copied byte-identical, then the squashed one), then the config (named by the
//! new image ID) and `manifest.json`. Config and manifest come last because they hold the new
//! diff_id, known only once the layer has been hashed; their length does not depend on it, so
//! the archive size is exact in advance.
//!
//! Or an oci-archive (`--format oci`): `oci-layout`, the kept blobs, the new layer's blob,
//! config, manifest (all under `blobs/sha256/`) and `index.json`. A blob's member name is its
//! digest, and a compressed layer's size is known only once compressed, so those outputs are
//! laid out ([`SquashPlan::layout`]) after a first pass has measured the new layer
//! ([`NewLayer`]); the archive size is then exact for an uncompressed layer and an estimate
//! until that pass for a compressed one.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Serialize;
use serde_json::{json, Value};

use super::drop::DropSet;
use super::layer::{plan_layer_with, Edits, LayerOptions, LayerPlan, Savings};
use super::output::{layer_media_type, Compress, Format};
use super::part::Parts;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::layer::{pad, padding, HeaderSpec};
use crate::model::Model;
use crate::stream::Compression;

/// What to squash and how to label the result.
#[derive(Debug, Clone, Default)]
pub struct SquashOptions {
    /// First layer to squash (0 = all). Layers below are kept byte-identical.
    pub from: usize,
    /// Tags for the output (`RepoTags`); `None` keeps the input's.
    pub tags: Option<Vec<String>>,
    /// `created` time for the new history entry and config (RFC 3339); default: the newest
    /// time in the input's history, so the output is reproducible.
    pub created: Option<String>,
    /// Globs of absolute paths to leave out of the output's filesystem.
    pub drop: Vec<String>,
    /// `SOURCE_DATE_EPOCH`: mtimes in the new layer newer than it are clamped to it, and it
    /// is the `created` of the config and the new history entry (unless `created` is given);
    /// history times newer than it are clamped too.
    pub source_date_epoch: Option<i64>,
    /// Archive layout.
    pub format: Format,
    /// Compression of the new layer.
    pub compress: Compress,
}

/// The new layer once measured: what the config and manifest name it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NewLayer {
    /// sha256 of the uncompressed tar.
    pub diff_id: Digest,
    /// sha256 of the blob as written (= diff_id when uncompressed).
    pub digest: Digest,
    /// Size of the blob as written.
    pub size: u64,
}

/// A kept layer as the output copies it.
#[derive(Debug, Clone)]
struct Kept {
    offset: u64,
    size: u64,
    diff_id: Digest,
    /// Digest of the stored blob, when known without reading it.
    digest: Option<Digest>,
    compression: Compression,
}

/// A planned squash.
#[derive(Debug, Clone, Serialize)]
pub struct SquashPlan {
    /// The new layer.
    pub layer: LayerPlan,
    /// Positions of the kept layers (`0..from`).
    pub kept: usize,
    /// Layers squashed into one.
    pub squashed: usize,
    /// Size of the new layer tar.
    pub layer_size: u64,
    /// Size of the whole output archive: exact when `archive_size_exact`, otherwise
    /// estimated from `layer_blob_size`.
    pub archive_size: u64,
    /// Whether `archive_size` and `layer_blob_size` are exact (an uncompressed new layer).
    pub archive_size_exact: bool,
    /// Size of the new layer's blob: `layer_size` when uncompressed, an estimate (see
    /// `archive_size_exact`) when compressed, until [`SquashPlan::set_estimate`].
    pub layer_blob_size: u64,
    /// Archive layout.
    pub format: Format,
    /// Compression of the new layer.
    pub compress: Compress,
    /// `SOURCE_DATE_EPOCH`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_date_epoch: Option<i64>,
    /// Size of the input archive (decompressed view).
    pub input_archive_size: u64,
    /// Tags the output will carry.
    pub tags: Vec<String>,
    /// `created` of the output.
    pub created: Option<String>,
    /// Savings of the new layer against the layers it replaces.
    pub savings: Savings,
    #[serde(skip)]
    config_template: Value,
    #[serde(skip)]
    kept_layers: Vec<Kept>,
}

/// Member name of layer `i` in the output.
fn layer_member(i: usize) -> String {
    alloc::format!("{i}/layer.tar")
}

impl SquashPlan {
    /// Plans a squash of `image` (whose union is `top` with change sets `changes`).
    ///
    /// # Errors
    /// `from` out of range; a config that is not a JSON object.
    pub fn new(m: Model<'_>, input_archive_size: u64, options: &SquashOptions) -> Result<Self> {
        let image = m.image;
        let n = image.layers.len();
        if n == 0 {
            return Err(Error::request("the image has no layers to squash"));
        }
        if options.from >= n {
            return Err(Error::request(alloc::format!(
                "cannot squash from layer {}: the image has layers 0 to {}",
                options.from,
                n - 1
            )));
        }
        for t in options.tags.iter().flatten() {
            super::reference::check_tag(t)?;
        }
        if let Some(c) = &options.created {
            super::reference::check_time(c)?;
        }
        if options.source_date_epoch.is_some_and(|e| e < 0) {
            return Err(Error::request("SOURCE_DATE_EPOCH must not be negative"));
        }
        let drop = DropSet::new(&options.drop)?;
        let layer = plan_layer_with(
            m,
            options.from,
            LayerOptions { whiteouts: true },
            Edits {
                drop: Some(&drop),
                clamp_mtime: options.source_date_epoch,
            },
        );
        let layer_size = layer.parts.len();
        let tags = options
            .tags
            .clone()
            .unwrap_or_else(|| image.reference.tags.clone())
            .iter()
            .map(|t| with_tag(t))
            .collect();
        let created = options
            .created
            .clone()
            .or_else(|| options.source_date_epoch.map(super::epoch::rfc3339))
            .or_else(|| newest_time(image));
        let config_template = rewrite_config(
            image,
            options.from,
            created.as_deref(),
            options.source_date_epoch,
        )?;
        let exact = options.compress == Compress::None;
        let mut plan = SquashPlan {
            savings: layer.savings,
            layer,
            kept: options.from,
            squashed: n - options.from,
            layer_size,
            archive_size: 0,
            archive_size_exact: exact,
            layer_blob_size: layer_size,
            format: options.format,
            compress: options.compress,
            source_date_epoch: options.source_date_epoch,
            input_archive_size,
            tags,
            created,
            config_template,
            kept_layers: image
                .layers
                .iter()
                .take(options.from)
                .map(|l| Kept {
                    offset: l.blob.blob.offset,
                    size: l.blob.blob.size,
                    diff_id: l.diff_id,
                    digest: l
                        .blob
                        .digest
                        .or((l.index.compression == Compression::None).then_some(l.diff_id)),
                    compression: l.index.compression,
                })
                .collect(),
        };
        plan.set_estimate(layer_size);
        Ok(plan)
    }

    /// Sets the new layer's (estimated) blob size and the archive size that follows.
    pub fn set_estimate(&mut self, blob_size: u64) {
        self.layer_blob_size = blob_size;
        // Stand-ins of the same length, distinct so that no blob is taken for another.
        let kept: Vec<Digest> = self
            .kept_layers
            .iter()
            .map(|k| k.digest.unwrap_or(k.diff_id))
            .collect();
        let placeholder = Digest::of(b"the new layer");
        let new = NewLayer {
            diff_id: placeholder,
            digest: placeholder,
            size: blob_size,
        };
        let (head, _, tail) = self.layout(&new, &kept);
        self.archive_size = head.len() + blob_size + tail.len() as u64;
    }

    /// Whether the output is the single-pass one: a docker-archive with an uncompressed
    /// layer, whose member names and sizes do not depend on the layer's digest.
    pub fn single_pass(&self) -> bool {
        self.format == Format::Docker && self.compress == Compress::None
    }

    /// Kept layers whose blob digest must be read to name them (`--format oci` over a
    /// compressed blob whose input did not record one): (position, offset, size).
    pub fn kept_to_hash(&self) -> Vec<(usize, u64, u64)> {
        if self.format != Format::Oci {
            return Vec::new();
        }
        self.kept_layers
            .iter()
            .enumerate()
            .filter(|(_, k)| k.digest.is_none())
            .map(|(i, k)| (i, k.offset, k.size))
            .collect()
    }

    /// Digests of the kept blobs, `hashed` filling the gaps [`SquashPlan::kept_to_hash`] named.
    pub fn kept_digests(&self, hashed: &[(usize, Digest)]) -> Vec<Digest> {
        self.kept_layers
            .iter()
            .enumerate()
            .map(|(i, k)| {
                k.digest
                    .or_else(|| hashed.iter().find(|(j, _)| *j == i).map(|(_, d)| *d))
                    .unwrap_or(k.diff_id)
            })
            .collect()
    }

    /// The archive around the new layer: parts before its bytes, the new image ID, and the
    /// bytes after it. `kept` holds the kept blobs' digests ([`SquashPlan::kept_digests`]).
    pub fn layout(&self, new: &NewLayer, kept: &[Digest]) -> (Parts, Digest, Vec<u8>) {
        let config = self.config(new.diff_id);
        let config_bytes = serde_json::to_vec(&config).unwrap_or_default();
        let image_id = Digest::of(&config_bytes);
        let mut head = Parts::new();
        // Members after the blob, aligned on their own (`pad` rounds the Vec's length); the
        // blob's padding goes in front at the end.
        let mut tail = Vec::new();
        match self.format {
            Format::Docker => {
                for (i, k) in self.kept_layers.iter().enumerate() {
                    push_blob(&mut head, &layer_member(i), k.offset, k.size);
                }
                head.push_literal(
                    &HeaderSpec::file(layer_member(self.kept).as_bytes(), new.size, 0).to_bytes(),
                );
                let config_name = alloc::format!("{}.json", image_id.hex());
                let layers: Vec<String> = (0..=self.kept).map(layer_member).collect();
                let repo_tags = if self.tags.is_empty() {
                    Value::Null
                } else {
                    json!(self.tags)
                };
                let manifest =
                    json!([{ "Config": config_name, "RepoTags": repo_tags, "Layers": layers }]);
                let manifest_bytes = serde_json::to_vec(&manifest).unwrap_or_default();
                push_member(&mut tail, &config_name, &config_bytes);
                push_member(&mut tail, "manifest.json", &manifest_bytes);
            }
            Format::Oci => {
                let mut written: Vec<Digest> = Vec::new();
                let mut layers = Vec::new();
                let mut lit = Vec::new();
                push_member(&mut lit, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
                head.push_literal(&lit);
                for (k, d) in self.kept_layers.iter().zip(kept) {
                    layers.push(json!({
                        "mediaType": layer_media_type(k.compression),
                        "digest": d.to_string(),
                        "size": k.size,
                    }));
                    // One member per blob, however many layers share it.
                    if !written.contains(d) && *d != new.digest {
                        written.push(*d);
                        push_blob(&mut head, &blob_member(d), k.offset, k.size);
                    }
                }
                layers.push(json!({
                    "mediaType": layer_media_type(self.compress.compression()),
                    "digest": new.digest.to_string(),
                    "size": new.size,
                }));
                head.push_literal(
                    &HeaderSpec::file(blob_member(&new.digest).as_bytes(), new.size, 0).to_bytes(),
                );
                let manifest = json!({
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {
                        "mediaType": "application/vnd.oci.image.config.v1+json",
                        "digest": image_id.to_string(),
                        "size": config_bytes.len(),
                    },
                    "layers": layers,
                });
                let manifest_bytes = serde_json::to_vec(&manifest).unwrap_or_default();
                let manifest_digest = Digest::of(&manifest_bytes);
                let descriptor = |tag: Option<&String>| {
                    let mut d = json!({
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": manifest_digest.to_string(),
                        "size": manifest_bytes.len(),
                    });
                    if let (Some(t), Some(o)) = (tag, d.as_object_mut()) {
                        o.insert(
                            "annotations".into(),
                            json!({ "org.opencontainers.image.ref.name": t }),
                        );
                    }
                    d
                };
                let manifests: Vec<Value> = if self.tags.is_empty() {
                    alloc::vec![descriptor(None)]
                } else {
                    self.tags.iter().map(|t| descriptor(Some(t))).collect()
                };
                let index = json!({
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": manifests,
                });
                let index_bytes = serde_json::to_vec(&index).unwrap_or_default();
                push_member(&mut tail, &blob_member(&image_id), &config_bytes);
                push_member(&mut tail, &blob_member(&manifest_digest), &manifest_bytes);
                push_member(&mut tail, "index.json", &index_bytes);
            }
        }
        tail.extend_from_slice(&[0u8; 1024]);
        let mut padded = alloc::vec![0u8; padding(new.size) as usize];
        padded.extend_from_slice(&tail);
        (head, image_id, padded)
    }

    /// The output's config for the new layer's diff_id.
    fn config(&self, diff_id: Digest) -> Value {
        let mut config = self.config_template.clone();
        let mut ids: Vec<Value> = self
            .kept_layers
            .iter()
            .map(|k| Value::String(k.diff_id.to_string()))
            .collect();
        ids.push(Value::String(diff_id.to_string()));
        if let Some(rootfs) = config.get_mut("rootfs").and_then(Value::as_object_mut) {
            rootfs.insert("type".into(), Value::String("layers".into()));
            rootfs.insert("diff_ids".into(), Value::Array(ids));
        }
        config
    }
}

/// `blobs/sha256/<hex>`.
fn blob_member(d: &Digest) -> String {
    alloc::format!("blobs/sha256/{}", d.hex())
}

/// A member whose bytes are a range of the input.
fn push_blob(parts: &mut Parts, name: &str, offset: u64, size: u64) {
    parts.push_literal(&HeaderSpec::file(name.as_bytes(), size, 0).to_bytes());
    parts.push_archive(offset, size);
    parts.push_literal(&alloc::vec![0u8; padding(size) as usize]);
}

/// A member with new bytes.
fn push_member(out: &mut Vec<u8>, name: &str, bytes: &[u8]) {
    out.extend_from_slice(&HeaderSpec::file(name.as_bytes(), bytes.len() as u64, 0).to_bytes());
    out.extend_from_slice(bytes);
    pad(out);
}

/// `name` → `name:latest`, as `docker load` reads a reference without a tag.
fn with_tag(reference: &str) -> String {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    if last.contains(':') || reference.contains('@') {
        reference.to_string()
    } else {
        alloc::format!("{reference}:latest")
    }
}

/// The newest `created` time in the history or config (RFC 3339 strings compare in time
/// order when they share a format, which every writer's do).
fn newest_time(image: &Image) -> Option<String> {
    image
        .config
        .history
        .iter()
        .filter_map(|h| h.created.clone())
        .chain(image.config.created.clone())
        .max()
}

fn step_text(h: &crate::image::History) -> String {
    let s = h.created_by.as_deref().unwrap_or("").trim();
    let s = s.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(s);
    let s: String = s.chars().take(200).collect();
    s
}

/// The input config with history rewritten for the squash (diff_ids are filled in later).
fn rewrite_config(
    image: &Image,
    from: usize,
    created: Option<&str>,
    epoch: Option<i64>,
) -> Result<Value> {
    let mut config: Value = serde_json::from_slice(&image.config_bytes)
        .map_err(|e| Error::json(alloc::format!("image config is not valid JSON: {e}")))?;
    let obj = config
        .as_object_mut()
        .ok_or_else(|| Error::json("image config is not a JSON object"))?;
    if let Some(c) = created {
        obj.insert("created".into(), Value::String(c.to_string()));
    }
    if !obj.contains_key("rootfs") {
        obj.insert("rootfs".into(), json!({ "type": "layers", "diff_ids": [] }));
    }
    let n = image.layers.len();
    if let Some(history) = obj.get("history").and_then(Value::as_array).cloned() {
        let hist = &image.config.history;
        // Keep entries up to (not including) the history entry of layer `from`.
        let mut non_empty = 0usize;
        let mut cut = hist.len();
        for (i, h) in hist.iter().enumerate() {
            if !h.empty_layer {
                if non_empty == from {
                    cut = i;
                    break;
                }
                non_empty += 1;
            }
        }
        let mut kept: Vec<Value> = history.into_iter().take(cut).collect();
        if let Some(epoch) = epoch {
            for h in &mut kept {
                let newer = h
                    .get("created")
                    .and_then(Value::as_str)
                    .and_then(super::epoch::seconds)
                    .is_some_and(|t| t > epoch);
                if let (true, Some(o)) = (newer, h.as_object_mut()) {
                    o.insert(
                        "created".into(),
                        Value::String(super::epoch::rfc3339(epoch)),
                    );
                }
            }
        }
        // A history shorter than the kept layers gets placeholders so that non-empty entries
        // and diff_ids stay one to one.
        for _ in non_empty..from {
            kept.push(json!({ "created_by": "(no history recorded for this layer)" }));
        }
        let steps: Vec<String> = hist
            .iter()
            .skip(cut)
            .map(step_text)
            .filter(|s| !s.is_empty())
            .collect();
        let mut entry = serde_json::Map::new();
        if let Some(c) = created {
            entry.insert("created".into(), Value::String(c.to_string()));
        }
        entry.insert(
            "created_by".into(),
            Value::String(alloc::format!("layerlens squash --from {from}")),
        );
        entry.insert(
            "comment".into(),
            Value::String(alloc::format!(
                "squashed layers {from}..{} ({} layers): {}",
                n - 1,
                n - from,
                steps.join(" && ")
            )),
        );
        kept.push(Value::Object(entry));
        obj.insert("history".into(), Value::Array(kept));
    }
    Ok(config)
}
