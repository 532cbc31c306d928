//! An image: where its parts are in the archive ([`ImageRef`]), its configuration
//! ([`ImageConfig`]) and the index of each layer.

mod config;
#[cfg(feature = "std")]
mod content;
#[cfg(feature = "std")]
mod indexes;
#[cfg(feature = "std")]
mod pass;
#[cfg(feature = "std")]
mod piped;
#[cfg(feature = "std")]
mod verify;

pub use config::{step, ConfigPlace, ConfigSecret, History, ImageConfig, RuntimeConfig};
#[cfg(feature = "std")]
pub use content::{open_content, read_content, WithProgress};
#[cfg(feature = "std")]
pub use indexes::BlobIndexes;
#[cfg(feature = "std")]
pub use pass::{ContentSink, Pass, Wanted};
#[cfg(feature = "std")]
pub use piped::{Piped, Recorded};
#[cfg(feature = "std")]
pub use verify::{verify, LayerDigests};

use alloc::string::String;
#[cfg(feature = "std")]
use alloc::string::ToString;
use alloc::vec::Vec;

use serde::Serialize;

#[cfg(feature = "std")]
use crate::archive::Archive;
use crate::archive::{ImageRef, LayerRef};
#[cfg(feature = "std")]
use crate::digest::chain_ids;
use crate::digest::Digest;
#[cfg(feature = "std")]
use crate::error::ErrorKind;
use crate::error::{Error, Result};
use crate::layer::EntryRef;
#[cfg(feature = "std")]
use crate::layer::{index_layer, IndexOptions};
use crate::layer::{Entry, LayerIndex};
#[cfg(feature = "std")]
use crate::limits::LimitKind;
#[cfg(feature = "std")]
use crate::progress::{Progress, Stage};
#[cfg(feature = "std")]
use crate::source::Source;

/// One layer of an image: where its blob is, what the config says about it, and its index.
#[derive(Debug, Clone, Serialize)]
pub struct Layer {
    /// Position (0 = base).
    pub position: usize,
    /// The blob in the archive.
    pub blob: LayerRef,
    /// diff_id from the config.
    pub diff_id: Digest,
    /// Chain ID (identifies this layer together with all below it).
    pub chain_id: Digest,
    /// The history entry that made it, if the history covers it.
    pub history: Option<History>,
    /// Every entry.
    #[serde(skip)]
    pub index: LayerIndex,
}

/// A loaded image: its config and every layer indexed.
#[derive(Debug, Clone, Serialize)]
pub struct Image {
    /// Where its parts are in the archive.
    pub reference: ImageRef,
    /// Image ID: sha256 of the config bytes.
    pub id: Digest,
    /// The parsed config.
    pub config: ImageConfig,
    /// The config bytes exactly as stored.
    #[serde(skip)]
    pub config_bytes: Vec<u8>,
    /// Layers, base first.
    pub layers: Vec<Layer>,
}

/// How [`Image::load_with`] gets layer `i`'s index from its blob: by reading it, or from
/// indexes made while a pipe streamed by.
#[cfg(feature = "std")]
type IndexLayer<'a, S> =
    dyn FnMut(&mut Archive<S>, usize, &crate::archive::BlobRef) -> Result<LayerIndex> + 'a;

impl Image {
    #[cfg(feature = "std")]
    /// Reads the config and indexes every layer of image `which`.
    ///
    /// Layers are indexed in archive order (matters for a gzipped archive, where going back
    /// means decompressing again).
    ///
    /// # Errors
    /// Config unreadable or inconsistent with the layer list, a malformed layer, a limit.
    pub fn load<S: Source>(
        archive: &mut Archive<S>,
        which: usize,
        options: &IndexOptions,
        progress: &mut dyn Progress,
    ) -> Result<Self> {
        let total = archive.len();
        Self::load_with(archive, which, options, &mut |archive, i, blob| {
            index_layer(
                archive.source_mut(),
                blob.offset,
                blob.size,
                options,
                progress,
                Stage::Indexing(i),
                total,
            )
        })
    }

    #[cfg(feature = "std")]
    /// [`Image::load`] with the layers indexed beforehand, keyed by where their bytes start: as
    /// they streamed by from a pipe ([`Piped`]), or by the host on several threads.
    ///
    /// # Errors
    /// As [`Image::load`]; a layer blob missing from `indexes` or that failed to index.
    pub fn load_indexed<S: Source>(
        archive: &mut Archive<S>,
        which: usize,
        options: &IndexOptions,
        indexes: &mut BlobIndexes,
    ) -> Result<Self> {
        Self::load_with(archive, which, options, &mut |_, _, blob| {
            indexes.take(blob)
        })
    }

    #[cfg(feature = "std")]
    fn load_with<S: Source>(
        archive: &mut Archive<S>,
        which: usize,
        options: &IndexOptions,
        index: &mut IndexLayer<'_, S>,
    ) -> Result<Self> {
        let reference = archive
            .images()
            .get(which)
            .cloned()
            .ok_or_else(|| Error::request(alloc::format!("no image {which}")))?;
        let config_bytes = archive.read_json_member(&reference.config.member)?;
        let id = Digest::of(&config_bytes);
        if let Some(declared) = reference.config_digest {
            if declared != id {
                return Err(Error::new(ErrorKind::DigestMismatch {
                    digest: crate::error::DigestKind::Config,
                    expected: declared.to_string(),
                    actual: id.to_string(),
                })
                .in_member(&reference.config.member));
            }
        }
        let config =
            ImageConfig::parse(&config_bytes).map_err(|e| e.in_member(&reference.config.member))?;
        if config.diff_ids.len() != reference.layers.len() {
            return Err(Error::archive(alloc::format!(
                "the config lists {} diff_ids but the manifest lists {} layers",
                config.diff_ids.len(),
                reference.layers.len()
            ))
            .in_member(&reference.config.member));
        }
        let mut order: Vec<usize> = (0..reference.layers.len()).collect();
        order.sort_by_key(|&i| reference.layers[i].blob.offset);
        let mut indexes: Vec<Option<LayerIndex>> = (0..order.len()).map(|_| None).collect();
        let mut entries_total = 0u64;
        for &i in &order {
            let blob = &reference.layers[i].blob;
            // A layer shared by several positions (the same blob twice) is indexed once.
            if let Some(j) = order
                .iter()
                .copied()
                .find(|&j| indexes[j].is_some() && reference.layers[j].blob.offset == blob.offset)
            {
                indexes[i] = indexes[j].clone();
            } else {
                let idx =
                    index(archive, i, blob).map_err(|e| e.in_layer(i).in_member(&blob.member))?;
                indexes[i] = Some(idx);
            }
            entries_total += indexes[i].as_ref().map_or(0, |x| x.entries.len() as u64);
            if entries_total > options.limits.max_entries {
                return Err(Error::limit(
                    LimitKind::ImageEntries,
                    options.limits.max_entries,
                ));
            }
        }
        let chains = chain_ids(&config.diff_ids);
        let history = config.layer_history(reference.layers.len());
        let mut layers = Vec::with_capacity(order.len());
        for (i, idx) in indexes.into_iter().enumerate() {
            let index = idx.ok_or_else(|| Error::archive("layer not indexed"))?;
            layers.push(Layer {
                position: i,
                blob: reference.layers[i].clone(),
                diff_id: config.diff_ids[i],
                chain_id: chains[i],
                history: history[i].cloned(),
                index,
            });
        }
        Ok(Image {
            reference,
            id,
            config,
            config_bytes,
            layers,
        })
    }

    /// Tags, or `<none>`.
    pub fn display_tags(&self) -> String {
        crate::present::label(&self.reference.tags)
    }

    /// Layer indexes, base first.
    pub fn indexes(&self) -> impl Iterator<Item = &LayerIndex> {
        self.layers.iter().map(|l| &l.index)
    }

    /// Bytes of the layer blobs as stored (compressed where they are).
    pub fn stored_size(&self) -> u64 {
        self.layers.iter().map(|l| l.blob.blob.size).sum()
    }

    /// Bytes of the layers' decompressed tars.
    pub fn tar_size(&self) -> u64 {
        self.layers.iter().map(|l| l.index.tar_size).sum()
    }

    /// The entry `r` points at.
    pub fn entry(&self, r: EntryRef) -> Option<&Entry> {
        self.layers
            .get(r.layer as usize)
            .and_then(|l| l.index.entries.get(r.entry as usize))
    }

    /// A layer by position (`3`, not checked against the layer count) or by a digest or
    /// unique hex prefix (at least 4 digits) of its diff_id, chain ID or blob digest.
    ///
    /// # Errors
    /// Neither a position nor a digest; no layer matches; several do.
    pub fn find_layer(&self, spec: &str) -> Result<usize> {
        if let Ok(n) = spec.parse::<usize>() {
            return Ok(n);
        }
        let hex = spec
            .strip_prefix("sha256:")
            .unwrap_or(spec)
            .to_ascii_lowercase();
        if hex.len() < 4 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::request(
                "expected a layer position or a sha256 digest",
            ));
        }
        let mut matches = self.layers.iter().filter(|l| {
            [Some(l.diff_id), Some(l.chain_id), l.blob.digest]
                .iter()
                .flatten()
                .any(|d| d.hex().starts_with(&hex))
        });
        match (matches.next(), matches.next()) {
            (Some(one), None) => Ok(one.position),
            (None, _) => Err(Error::request("no layer has that digest")),
            (Some(_), Some(_)) => Err(Error::request("several layers match; give more digits")),
        }
    }
}
