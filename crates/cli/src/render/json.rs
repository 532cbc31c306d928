//! The `analyze --json` document (schema `layerlens.analyze/v1`, documented in docs/json.md).
//! Field names and meanings are stable within a schema version; new fields may be added.

use layerlens_core::archive::{Archive, Format, ImageRef};
use layerlens_core::fs::{Change, ChangeCounts, UnionFs};
use layerlens_core::image::{History, Image, LayerDigests, RuntimeConfig};
use layerlens_core::layer::{Compression, Entry, Notice};
use layerlens_core::Source;
use serde::Serialize;

#[derive(Serialize)]
pub struct AnalyzeDoc<'a> {
    pub schema: &'static str,
    pub file: String,
    pub archive: ArchiveDoc<'a>,
    pub image: ImageDoc<'a>,
}

#[derive(Serialize)]
pub struct ArchiveDoc<'a> {
    pub format: Format,
    pub compression: Compression,
    pub size: u64,
    pub images: &'a [ImageRef],
}

#[derive(Serialize)]
pub struct ImageDoc<'a> {
    pub index: usize,
    pub tags: &'a [String],
    pub id: String,
    pub platform: String,
    pub created: Option<&'a str>,
    pub config: &'a RuntimeConfig,
    pub history: &'a [History],
    /// Sum of layer blob sizes as stored.
    pub size: u64,
    /// Sum of decompressed layer tar sizes.
    pub tar_size: u64,
    pub filesystem: FsDoc,
    pub layers: Vec<LayerDoc<'a>>,
}

#[derive(Serialize)]
pub struct FsDoc {
    /// Paths in the final filesystem.
    pub entries: u64,
    /// Regular files among them.
    pub files: u64,
    /// Content bytes of the final filesystem (each hardlinked inode once).
    pub size: u64,
}

#[derive(Serialize)]
pub struct LayerDoc<'a> {
    pub position: usize,
    pub diff_id: String,
    pub chain_id: String,
    pub blob_digest: Option<String>,
    pub member: &'a str,
    pub media_type: Option<&'a str>,
    pub compression: Compression,
    pub blob_size: u64,
    pub tar_size: u64,
    pub content_size: u64,
    pub entry_count: usize,
    pub counts: ChangeCounts,
    /// Content bytes of lower layers that this layer removes or replaces.
    pub hidden_size: u64,
    pub created_by: Option<&'a str>,
    pub created: Option<&'a str>,
    pub comment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<LayerDigests>,
    pub notices: &'a [Notice],
    pub entries: &'a [Entry],
    pub changes: &'a [Change],
}

pub fn fs_summary(image: &Image, fs: &UnionFs) -> FsDoc {
    let mut files = 0u64;
    let mut size = 0u64;
    let mut seen = std::collections::HashSet::new();
    for (_, node) in fs.iter() {
        let Some(e) = image
            .layers
            .get(node.inode_entry.layer as usize)
            .and_then(|l| l.index.entries.get(node.inode_entry.entry as usize))
        else {
            continue;
        };
        if e.is_file() {
            files += 1;
            if seen.insert(node.inode) {
                size += e.size;
            }
        }
    }
    FsDoc {
        entries: fs.len() as u64,
        files,
        size,
    }
}

pub fn doc<'a, S: Source>(
    file: String,
    archive: &'a Archive<S>,
    which: usize,
    image: &'a Image,
    fs: &UnionFs,
    changes: &'a [layerlens_core::fs::ChangeSet],
    verified: Option<&[LayerDigests]>,
) -> AnalyzeDoc<'a> {
    let layers = image
        .layers
        .iter()
        .zip(changes)
        .map(|(l, cs)| LayerDoc {
            position: l.position,
            diff_id: l.diff_id.to_string(),
            chain_id: l.chain_id.to_string(),
            blob_digest: l.blob.digest.map(|d| d.to_string()),
            member: &l.blob.blob.member,
            media_type: l.blob.media_type.as_deref(),
            compression: l.index.compression,
            blob_size: l.blob.blob.size,
            tar_size: l.index.tar_size,
            content_size: l.index.content_size(),
            entry_count: l.index.entries.len(),
            counts: cs.counts(),
            hidden_size: cs.hidden_size(),
            created_by: l.history.as_ref().and_then(|h| h.created_by.as_deref()),
            created: l.history.as_ref().and_then(|h| h.created.as_deref()),
            comment: l.history.as_ref().and_then(|h| h.comment.as_deref()),
            verified: verified.and_then(|v| v.get(l.position).copied()),
            notices: &l.index.notices,
            entries: &l.index.entries,
            changes: &cs.changes,
        })
        .collect();
    AnalyzeDoc {
        schema: "layerlens.analyze/v1",
        file,
        archive: ArchiveDoc {
            format: archive.format(),
            compression: archive.compression(),
            size: archive.len(),
            images: archive.images(),
        },
        image: ImageDoc {
            index: which,
            tags: &image.reference.tags,
            id: image.id.to_string(),
            platform: image.config.platform(),
            created: image.config.created.as_deref(),
            config: &image.config.runtime,
            history: &image.config.history,
            size: image.layers.iter().map(|l| l.blob.blob.size).sum(),
            tar_size: image.layers.iter().map(|l| l.index.tar_size).sum(),
            filesystem: fs_summary(image, fs),
            layers,
        },
    }
}
