//! The `analyze --json` document (schema `layerlens.analyze/v1`, documented in docs/json.md).
//! Field names and meanings are stable within a schema version; new fields may be added.
//!
//! Built here, not in the CLI, so the page exports the very document `layerlens analyze
//! --json` prints for the same image: [`analyze_json`] is what both write.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Serialize;

use crate::analysed::Analysis;
use crate::analysis::WasteReport;
use crate::archive::{Format, ImageRef};
use crate::fs::{Change, ChangeCounts, FsSummary};
use crate::image::{History, LayerDigests, RuntimeConfig};
use crate::layer::{Entry, Notice};
use crate::source::Source;
use crate::stream::Compression;

/// The document: the archive, the image, every layer with its entries and changes.
#[allow(missing_docs)]
#[derive(Serialize)]
pub struct AnalyzeDoc<'a> {
    pub schema: &'static str,
    pub file: String,
    pub archive: ArchiveDoc<'a>,
    pub image: ImageDoc<'a>,
}

#[allow(missing_docs)]
#[derive(Serialize)]
pub struct ArchiveDoc<'a> {
    pub format: Format,
    pub compression: Compression,
    pub size: u64,
    pub images: &'a [ImageRef],
}

#[allow(missing_docs)]
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
    pub filesystem: FsSummary,
    pub layers: Vec<LayerDoc<'a>>,
}

#[allow(missing_docs)]
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

/// The document for `analysis` of the archive named `file`, with the digests `verify` found.
pub fn doc<'a, S: Source>(
    file: String,
    analysis: &'a Analysis<S>,
    verified: Option<&[LayerDigests]>,
) -> AnalyzeDoc<'a> {
    let (archive, image) = (analysis.archive(), analysis.image());
    let layers = image
        .layers
        .iter()
        .zip(analysis.changes())
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
            index: analysis.which(),
            tags: &image.reference.tags,
            id: image.id.to_string(),
            platform: image.config.platform(),
            created: image.config.created.as_deref(),
            config: &image.config.runtime,
            history: &image.config.history,
            size: image.stored_size(),
            tar_size: image.tar_size(),
            filesystem: analysis.final_fs(),
            layers,
        },
    }
}

/// `analyze --json`: the v1 document plus the `waste` field (docs/json.md).
#[derive(Serialize)]
pub struct WithWaste<'a> {
    /// The v1 document.
    #[serde(flatten)]
    pub doc: AnalyzeDoc<'a>,
    /// The waste report (absent with `--no-waste`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waste: Option<WasteDoc<'a>>,
}

/// The `waste` field of `analyze --json` (docs/json.md, docs/waste.md).
#[derive(Serialize)]
pub struct WasteDoc<'a> {
    /// The report.
    #[serde(flatten)]
    pub report: &'a WasteReport,
}

/// The `analyze --json` document as written (without the final newline the CLI adds).
///
/// # Errors
/// None in practice (every field serialises); serde_json's error otherwise.
pub fn analyze_json<S: Source>(
    file: String,
    analysis: &Analysis<S>,
    verified: Option<&[LayerDigests]>,
    waste: Option<&WasteReport>,
) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::new();
    write_analyze_json(&mut out, file, analysis, verified, waste)?;
    Ok(out)
}

/// [`analyze_json`] written to `out` as it is serialised: a million-entry image's document
/// is hundreds of megabytes, which need never be held at once.
///
/// # Errors
/// From `out`, or (none in practice) serde_json's.
pub fn write_analyze_json<S: Source, W: std::io::Write>(
    out: W,
    file: String,
    analysis: &Analysis<S>,
    verified: Option<&[LayerDigests]>,
    waste: Option<&WasteReport>,
) -> serde_json::Result<()> {
    let d = WithWaste {
        doc: doc(file, analysis, verified),
        waste: waste.map(|report| WasteDoc { report }),
    };
    serde_json::to_writer(out, &d)
}
