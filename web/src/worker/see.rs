//! The worker's side of the "see inside" views: a file's pages and metadata, downloads of a
//! file or a subtree built like the squash output (slices of the input `File` where the bytes
//! are stored plain), content and range diffs, and the history as a Dockerfile.

use js_sys::Uint8Array;
use layerlens_core::fs::{ChangeKind, Follow, RangeDiff};
use layerlens_core::layer::EntryRef;
use layerlens_core::view::FileInfo;
use layerlens_core::Compression;
use wasm_bindgen::JsValue;

use super::build::BlobSink;
use super::{post, PostProgress, Session};
use crate::protocol::{Event, Failure, RangeRow, SeeEvent, SeeRequest};

/// Answers one request of the viewer (synchronous ones; downloads go through [`download`]).
pub(super) fn answer(s: &mut Session, request: SeeRequest) -> Result<(), Failure> {
    let mut progress = PostProgress::new();
    match request {
        SeeRequest::Read {
            layer,
            path,
            offset,
            len,
        } => {
            let (info, r) = file_info(s, layer, &path)?;
            let bytes = s
                .analysis
                .read_file(r, offset, len.min(64 << 20), &mut progress)?;
            let carried = Uint8Array::from(bytes.as_slice());
            post(
                &Event::See(SeeEvent::Page {
                    asked: path,
                    layer,
                    info: Box::new(info),
                    offset,
                }),
                Some(&carried),
            );
        }
        SeeRequest::ContentDiff { path, from, to } => {
            let old = version(s, from, &path)?;
            let new = version(s, to, &path)?;
            if old.is_none() && new.is_none() {
                return Err(format!("{path} is in neither filesystem").into());
            }
            let diff = s.analysis.content_diff(old, new, &mut progress)?;
            post(
                &Event::See(SeeEvent::ContentDiff {
                    path,
                    from,
                    to,
                    diff: Box::new(diff),
                }),
                None,
            );
        }
        SeeRequest::RangeDiff { from, to } => {
            let d = s.analysis.range_diff(from, to)?;
            let rows = rows(s, d, &mut progress)?;
            post(&Event::See(SeeEvent::RangeDiff { from, to, rows }), None);
        }
        SeeRequest::History => {
            let steps = s.analysis.dockerfile();
            post(&Event::See(SeeEvent::History { steps }), None);
        }
        SeeRequest::DownloadFile { .. } | SeeRequest::DownloadTree { .. } => {
            return Err("internal error: a download is built asynchronously".into())
        }
    }
    Ok(())
}

/// Builds a download (one file's bytes, or a subtree's tar) as a `Blob` and posts it.
pub(super) async fn download(s: &mut Session, request: SeeRequest) -> Result<(), Failure> {
    let (parts, name, mime) = match &request {
        SeeRequest::DownloadFile { layer, path } => {
            let (info, r) = file_info(s, *layer, path)?;
            let name = info.path.rsplit('/').next().unwrap_or("file").to_string();
            (
                s.analysis.content_parts(r),
                name,
                "application/octet-stream",
            )
        }
        SeeRequest::DownloadTree { layer, path } => {
            let layer = layer.unwrap_or(last(s));
            let (real, plan) = s
                .analysis
                .extract_plan(layer, &s.analysis.path_as_shown(path))?;
            let stem = match real.file_name() {
                b"" => "rootfs".to_string(),
                n => String::from_utf8_lossy(n).into_owned(),
            };
            (
                plan.parts,
                format!("{stem}-layer{layer}.tar"),
                "application/x-tar",
            )
        }
        _ => return Err("internal error: not a download".into()),
    };
    let sliceable = s.analysis.archive().compression() == Compression::None;
    let mut sink = BlobSink::plain(s.file.clone().into(), sliceable);
    let mut progress = PostProgress::new();
    s.analysis
        .emit_parts(&parts, &mut sink, &mut progress)
        .await?;
    let blob = sink.into_blob(mime)?;
    if blob.size() as u64 != parts.len() {
        return Err(format!(
            "internal error: planned {} bytes, assembled {}",
            parts.len(),
            blob.size()
        )
        .into());
    }
    post(
        &Event::See(SeeEvent::Download {
            name,
            size: blob.size(),
        }),
        Some(&JsValue::from(blob)),
    );
    Ok(())
}

fn last(s: &Session) -> usize {
    s.analysis.image().layers.len().saturating_sub(1)
}

/// The regular file at `path` after `layer` and its metadata.
fn file_info(
    s: &Session,
    layer: Option<usize>,
    path: &str,
) -> Result<(FileInfo, EntryRef), Failure> {
    let at = layer.unwrap_or(last(s));
    let (real, node) = s
        .analysis
        .file_at(Some(at), &s.analysis.path_as_shown(path))?;
    let fs = s.analysis.fs_after(at)?;
    // The link the path named, when it was one (the viewer shows it).
    let asked = s
        .analysis
        .lookup(&fs, &s.analysis.path_as_shown(path), Follow::Parents)?;
    let link = asked
        .node
        .and_then(|n| s.analysis.entry(n.inode_entry))
        .filter(|e| e.kind == layerlens_core::layer::EntryKind::Symlink)
        .and_then(|e| e.link.as_deref());
    let model =
        layerlens_core::model::Model::new(s.analysis.image(), &fs, &s.analysis.changes()[..=at]);
    let info = FileInfo::new(model, &fs, &real, node, link)
        .ok_or_else(|| Failure::from("the file's entry is missing"))?;
    Ok((info, node.inode_entry))
}

/// The file at `path` after `layer` (`None`: empty), absent when it is not there.
fn version(s: &Session, layer: Option<usize>, path: &str) -> Result<Option<EntryRef>, Failure> {
    let Some(layer) = layer else { return Ok(None) };
    let fs = s.analysis.fs_after(layer)?;
    let Ok(r) = s
        .analysis
        .lookup(&fs, &s.analysis.path_as_shown(path), Follow::All)
    else {
        return Ok(None);
    };
    let Some(node) = r.node else {
        return Err(format!("{path} is a directory").into());
    };
    match s.analysis.entry(node.inode_entry) {
        Some(e) if e.is_file() => Ok(Some(node.inode_entry)),
        Some(e) if e.is_dir() => Err(format!("{path} is a directory").into()),
        _ => Err(format!("{path} is not a regular file").into()),
    }
}

/// The range diff as the CLI's `diff` lists it: files written again with the same metadata
/// are compared by their bytes and dropped when equal.
fn rows(
    s: &mut Session,
    d: RangeDiff,
    progress: &mut PostProgress,
) -> Result<Vec<RangeRow>, Failure> {
    let mut out = Vec::with_capacity(d.changes.len());
    for c in d.changes {
        let kind_of =
            |s: &Session, r: Option<EntryRef>| r.and_then(|r| s.analysis.entry(r)).map(|e| e.kind);
        let (before, after) = (kind_of(s, c.before), kind_of(s, c.after));
        let changed = match c.kind {
            ChangeKind::Readded => {
                let file = Some(layerlens_core::layer::EntryKind::File);
                let files = before == file && after == file;
                let (Some(a), Some(b)) = (c.before, c.after) else {
                    continue;
                };
                if !files
                    || s.analysis.file_digest(a, progress)?
                        == s.analysis.file_digest(b, progress)?
                {
                    continue;
                }
                vec!["content".to_string()]
            }
            ChangeKind::Modified(diff) => diff.names().into_iter().map(String::from).collect(),
            _ => Vec::new(),
        };
        out.push(RangeRow {
            mark: match c.kind {
                ChangeKind::Added => '+',
                ChangeKind::Removed(_) => '-',
                _ => '~',
            },
            path: format!("/{}", c.path.display()),
            kind_before: before.map(|k| k.letter()),
            kind_after: after.map(|k| k.letter()),
            size_before: c.size_before,
            size_after: c.size_after,
            changed,
        });
    }
    Ok(out)
}
