//! The whole squash: which layers are kept, the new layer, and the output archive around
//! them, with every size known before a byte is written.
//!
//! The output is a docker-archive that `docker load` accepts: `N/layer.tar` for each layer
//! (kept layers copied byte-identical, then the squashed one), then the config (named by the
//! new image ID) and `manifest.json`. Config and manifest come last because they hold the new
//! diff_id, known only once the layer has been hashed; their length does not depend on it, so
//! the archive size is exact in advance.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Serialize;
use serde_json::{json, Value};

use super::layer::{plan_layer, LayerOptions, LayerPlan, Savings};
use super::part::Parts;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::layer::{pad, padding, HeaderSpec};
use crate::model::Model;

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
    /// Size of the whole output archive.
    pub archive_size: u64,
    /// Size of the input archive (decompressed view).
    pub input_archive_size: u64,
    /// Tags the output will carry.
    pub tags: Vec<String>,
    /// `created` of the output.
    pub created: Option<String>,
    /// Savings of the new layer against the layers it replaces.
    pub savings: Savings,
    #[serde(skip)]
    head: Parts,
    #[serde(skip)]
    config_template: Value,
    #[serde(skip)]
    kept_diff_ids: Vec<Digest>,
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
        let layer = plan_layer(m, options.from, LayerOptions { whiteouts: true });
        let layer_size = layer.parts.len();
        let tags = options
            .tags
            .clone()
            .unwrap_or_else(|| image.reference.tags.clone())
            .iter()
            .map(|t| with_tag(t))
            .collect();
        let created = options.created.clone().or_else(|| newest_time(image));
        let config_template = rewrite_config(image, options.from, created.as_deref())?;

        let mut head = Parts::new();
        for (i, l) in image.layers.iter().enumerate().take(options.from) {
            head.push_literal(
                &HeaderSpec::file(layer_member(i).as_bytes(), l.blob.blob.size, 0).to_bytes(),
            );
            head.push_archive(l.blob.blob.offset, l.blob.blob.size);
            head.push_literal(&alloc::vec![0u8; padding(l.blob.blob.size) as usize]);
        }
        head.push_literal(
            &HeaderSpec::file(layer_member(options.from).as_bytes(), layer_size, 0).to_bytes(),
        );
        let mut plan = SquashPlan {
            savings: layer.savings,
            layer,
            kept: options.from,
            squashed: n - options.from,
            layer_size,
            archive_size: 0,
            input_archive_size,
            tags,
            created,
            head,
            config_template,
            kept_diff_ids: image
                .layers
                .iter()
                .take(options.from)
                .map(|l| l.diff_id)
                .collect(),
        };
        let tail = plan.tail(Digest::of(b"")).1;
        plan.archive_size = plan.head.len() + layer_size + padding(layer_size) + tail.len() as u64;
        Ok(plan)
    }

    /// Parts before the new layer's bytes: kept layers and the new layer's member header.
    pub fn head(&self) -> &Parts {
        &self.head
    }

    /// Padding after the new layer, then config, `manifest.json` and the end of the archive,
    /// for the new layer's diff_id. Returns the new image ID and the bytes.
    pub fn tail(&self, diff_id: Digest) -> (Digest, Vec<u8>) {
        let mut config = self.config_template.clone();
        let mut ids: Vec<Value> = self
            .kept_diff_ids
            .iter()
            .map(|d| Value::String(d.to_string()))
            .collect();
        ids.push(Value::String(diff_id.to_string()));
        if let Some(rootfs) = config.get_mut("rootfs").and_then(Value::as_object_mut) {
            rootfs.insert("type".into(), Value::String("layers".into()));
            rootfs.insert("diff_ids".into(), Value::Array(ids));
        }
        let config_bytes = serde_json::to_vec(&config).unwrap_or_default();
        let image_id = Digest::of(&config_bytes);
        let config_name = alloc::format!("{}.json", image_id.hex());
        let layers: Vec<String> = (0..=self.kept).map(layer_member).collect();
        let repo_tags = if self.tags.is_empty() {
            Value::Null
        } else {
            json!(self.tags)
        };
        let manifest = json!([{ "Config": config_name, "RepoTags": repo_tags, "Layers": layers }]);
        let manifest_bytes = serde_json::to_vec(&manifest).unwrap_or_default();

        let mut out = alloc::vec![0u8; padding(self.layer_size) as usize];
        for (name, bytes) in [
            (config_name.as_bytes(), &config_bytes),
            (b"manifest.json".as_slice(), &manifest_bytes),
        ] {
            out.extend_from_slice(&HeaderSpec::file(name, bytes.len() as u64, 0).to_bytes());
            out.extend_from_slice(bytes);
            pad(&mut out);
        }
        out.extend_from_slice(&[0u8; 1024]);
        (image_id, out)
    }
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
fn rewrite_config(image: &Image, from: usize, created: Option<&str>) -> Result<Value> {
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
