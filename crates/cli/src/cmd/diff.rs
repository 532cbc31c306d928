//! `layerlens diff IMAGE [--from N|empty] [--to M] [PATH…] [--json]`: what differs between the
//! filesystem after layer N and the one after layer M. Without a path, every differing path;
//! with a file, how its content differs. Exit 0 same, 1 different, 2 error, like `diff`.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use layerlens_core::analysis::content_diff::ContentDiff;
use layerlens_core::fs::{ChangeKind, Diff, Follow, RangeChange, RangeDiff};
use layerlens_core::layer::{EntryPath, EntryRef};
use layerlens_core::sanitize::display_bytes;

use crate::args::DiffArgs;
use crate::input::Needs;
use crate::open::{display, load, Loaded};
use crate::progress::Bar;

pub fn run(args: &DiffArgs) -> Result<ExitCode> {
    let mut bar = Bar::new();
    let mut l = load(&args.image, Needs::Contents, &mut bar)?;
    let what = || display(&args.image.image);
    let last = l.image().layers.len().checked_sub(1);
    let to = match args.to.as_deref() {
        Some("empty") => None,
        Some(s) => Some(l.layer(s)?),
        None => last,
    };
    let from = match args.from.as_deref() {
        Some("empty") => None,
        Some(s) => Some(l.layer(s)?),
        None => to.and_then(|t| t.checked_sub(1)),
    };
    let mut d = l.range_diff(from, to).with_context(what)?;
    settle_rewrites(&mut l, &mut d, &mut bar).with_context(what)?;
    bar.finish();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut differ = false;
    if args.paths.is_empty() {
        differ = !d.changes.is_empty();
        list(&mut out, &d, args.json, &l)?;
    } else {
        for p in &args.paths {
            differ |= one_path(&mut out, &mut l, &d, p.as_bytes(), args.json, &mut bar)
                .with_context(what)?;
        }
    }
    out.flush().context("writing to standard output")?;
    Ok(if differ {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Files written again with the same metadata: compared by their bytes (sha256, streamed),
/// dropped when equal, marked as a content change when not.
fn settle_rewrites(l: &mut Loaded, d: &mut RangeDiff, bar: &mut Bar) -> Result<()> {
    let mut kept = Vec::with_capacity(d.changes.len());
    for mut c in std::mem::take(&mut d.changes) {
        if c.kind == ChangeKind::Readded {
            let file =
                |r: Option<EntryRef>| r.and_then(|r| l.entry(r)).is_some_and(|e| e.is_file());
            if !(file(c.before) && file(c.after)) {
                continue;
            }
            let (Some(a), Some(b)) = (c.before, c.after) else {
                continue;
            };
            if l.file_digest(a, bar)? == l.file_digest(b, bar)? {
                continue;
            }
            c.kind = ChangeKind::Modified(Diff::CONTENT);
        }
        kept.push(c);
    }
    d.changes = kept;
    Ok(())
}

fn mark(c: &RangeChange) -> char {
    match c.kind {
        ChangeKind::Added => '+',
        ChangeKind::Removed(_) => '-',
        _ => '~',
    }
}

fn change_name(c: &RangeChange) -> &'static str {
    match c.kind {
        ChangeKind::Added => "added",
        ChangeKind::Removed(_) => "removed",
        _ => "modified",
    }
}

fn attributes(c: &RangeChange) -> Vec<&'static str> {
    match c.kind {
        ChangeKind::Modified(d) => d.names(),
        _ => Vec::new(),
    }
}

fn list(out: &mut impl Write, d: &RangeDiff, json: bool, l: &Loaded) -> Result<()> {
    let kind = |r: Option<EntryRef>| r.and_then(|r| l.entry(r)).map(|e| e.kind.letter());
    if json {
        let doc = serde_json::json!({
            "schema": "layerlens.diff/v1",
            "from": d.from,
            "to": d.to,
            "changes": d.changes.iter().map(|c| serde_json::json!({
                "path": format!("/{}", String::from_utf8_lossy(c.path.as_bytes())),
                "change": change_name(c),
                "attributes": attributes(c),
                "type_before": kind(c.before).map(String::from),
                "type_after": kind(c.after).map(String::from),
                "size_before": c.before.map(|_| c.size_before),
                "size_after": c.after.map(|_| c.size_after),
            })).collect::<Vec<_>>(),
        });
        serde_json::to_writer(&mut *out, &doc).context("writing JSON")?;
        writeln!(out)?;
        return Ok(());
    }
    for c in &d.changes {
        let detail = match c.kind {
            ChangeKind::Added => format!("{} {}", kind(c.after).unwrap_or('?'), c.size_after),
            ChangeKind::Removed(_) => {
                format!("{} {}", kind(c.before).unwrap_or('?'), c.size_before)
            }
            _ => format!(
                "{} {} -> {}",
                attributes(c).join(","),
                c.size_before,
                c.size_after
            ),
        };
        writeln!(
            out,
            "{} /{}\t{detail}",
            mark(c),
            display_bytes(c.path.as_bytes())
        )?;
    }
    Ok(())
}

/// A path's two versions compared: a file's content, or a directory's differing paths.
/// Returns whether they differ.
fn one_path(
    out: &mut impl Write,
    l: &mut Loaded,
    d: &RangeDiff,
    path: &[u8],
    json: bool,
    bar: &mut Bar,
) -> Result<bool> {
    let from = d.from.map(|x| x as usize);
    let to = d.to.map(|x| x as usize);
    let (old, old_dir) = version(l, from, path)?;
    let (new, new_dir) = version(l, to, path)?;
    let shown = display_bytes(path);
    if old_dir || new_dir {
        let dir = EntryPath::parse(path).unwrap_or_default();
        let below = RangeDiff {
            from: d.from,
            to: d.to,
            changes: d
                .changes
                .iter()
                .filter(|c| c.path == dir || dir.is_ancestor_of(&c.path))
                .cloned()
                .collect(),
        };
        list(out, &below, json, l)?;
        return Ok(!below.changes.is_empty());
    }
    if old.is_none() && new.is_none() {
        bail!("{shown} is in neither filesystem");
    }
    let at =
        |l: Option<usize>| l.map_or_else(|| "empty".to_string(), |n| format!("after layer {n}"));
    let diff = l.content_diff(old, new, bar)?;
    if json {
        serde_json::to_writer(
            &mut *out,
            &serde_json::json!({
                "schema": "layerlens.content-diff/v1",
                "path": String::from_utf8_lossy(path),
                "from": d.from,
                "to": d.to,
                "diff": diff,
            }),
        )
        .context("writing JSON")?;
        writeln!(out)?;
        return Ok(diff != ContentDiff::Same);
    }
    let label = |r: Option<EntryRef>, layer: Option<usize>| match r {
        Some(_) => format!("{shown}\t{}", at(layer)),
        None => "/dev/null".to_string(),
    };
    match &diff {
        ContentDiff::Same => {}
        ContentDiff::Text(t) => {
            out.write_all(t.unified(&label(old, from), &label(new, to)).as_bytes())?;
        }
        ContentDiff::Binary(b) => {
            writeln!(
                out,
                "Binary {shown} differs ({}, {}): {} bytes from {} to {} bytes, {} range{}",
                at(from),
                at(to),
                b.changed_bytes,
                b.old_size,
                b.new_size,
                b.ranges.len() as u64 + b.more,
                if b.ranges.len() as u64 + b.more == 1 {
                    ""
                } else {
                    "s"
                }
            )?;
            for r in &b.ranges {
                writeln!(
                    out,
                    "  {:#010x}..{:#010x}  {} bytes",
                    r.offset,
                    r.offset + r.len,
                    r.len
                )?;
            }
            if b.more > 0 {
                writeln!(out, "  … and {} more ranges", b.more)?;
            }
        }
    }
    Ok(diff != ContentDiff::Same)
}

/// The file at `path` after `layer` (`None`: the empty filesystem): its inode entry, or
/// `None` when it is not there; and whether it is a directory.
fn version(l: &Loaded, layer: Option<usize>, path: &[u8]) -> Result<(Option<EntryRef>, bool)> {
    let Some(layer) = layer else {
        return Ok((None, false));
    };
    let fs = l.fs_after(layer)?;
    let Ok(r) = l.lookup(&fs, path, Follow::All) else {
        return Ok((None, false));
    };
    let Some(node) = r.node else {
        return Ok((None, true));
    };
    match l.entry(node.inode_entry) {
        Some(e) if e.is_dir() => Ok((None, true)),
        Some(e) if e.is_file() => Ok((Some(node.inode_entry), false)),
        Some(_) => bail!("/{} is not a regular file", r.path.display()),
        None => Ok((None, false)),
    }
}
