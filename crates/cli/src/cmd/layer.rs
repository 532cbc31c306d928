//! `layerlens layer IMAGE N [--json]`: one layer exactly as stored, member by member, each
//! whiteout marker with what it removes from the layers below.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use layerlens_core::teach::{raw_layer, LayerPlace, MarkerKind};
use layerlens_core::Limits;

use crate::args::LayerArgs;
use crate::input::Needs;
use crate::open::{display, load};
use crate::progress::Bar;
use crate::render::table::size;

pub fn run(args: &LayerArgs) -> Result<ExitCode> {
    let mut bar = Bar::new();
    let mut l = load(&args.image, Needs::Contents, &mut bar)?;
    let n = l.layer(&args.layer)?;
    let what = || format!("reading layer {n} of {}", display(&args.image.image));
    let no_layer = || format!("{} has no layer {n}", display(&args.image.image));
    let place = LayerPlace::of(l.image(), n).with_context(no_layer)?;
    let mut raw =
        raw_layer(l.source_mut(), &place, &Limits::default(), &mut bar).with_context(what)?;
    let changes = l.changes().get(n).with_context(no_layer)?;
    raw.link(l.image(), changes);
    let image = l.image();
    bar.finish();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let doc = serde_json::json!({ "schema": "layerlens.layer/v1", "layer": raw });
        serde_json::to_writer(&mut out, &doc).context("writing JSON")?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let d = &image.layers[n];
    writeln!(
        out,
        "layer {n}: {} blob of {} ({}), tar of {}, {} members",
        raw.compression.name(),
        size(raw.blob_size),
        d.blob
            .digest
            .map_or_else(|| d.blob.blob.member.clone(), |x| x.to_string()),
        size(raw.tar_size),
        raw.members.len()
    )?;
    writeln!(out, "  diff_id  {}", d.diff_id)?;
    writeln!(out, "  chain ID {}", d.chain_id)?;
    writeln!(out)?;
    writeln!(
        out,
        "{:>10}  T  {:>4}  {:>11}  {:>10}  {:>11}  NAME",
        "OFFSET", "MODE", "OWNER", "SIZE", "MTIME"
    )?;
    for m in &raw.members {
        let link = match (&m.link, m.kind.as_ref()) {
            (Some(t), "symlink") => format!(" -> {t}"),
            (Some(t), "hardlink") => format!(" link to {t}"),
            _ => String::new(),
        };
        writeln!(
            out,
            "{:>10}  {}  {:04o}  {:>11}  {:>10}  {:>11}  {}{link}",
            m.offset,
            m.flag,
            m.mode,
            format!("{}/{}", m.uid, m.gid),
            m.size,
            m.mtime,
            m.name
        )?;
        for p in &m.pax {
            writeln!(out, "{:>10}  pax {}={}", "", p.key, p.value)?;
        }
        if let Some(mk) = &m.marker {
            let verb = match mk.kind {
                MarkerKind::Whiteout => "deletes",
                MarkerKind::Opaque => "makes opaque",
            };
            writeln!(
                out,
                "{:>10}  {verb} {}: removes {} paths, {} still shipped below",
                "",
                mk.target,
                mk.removed_count,
                size(mk.removed_bytes)
            )?;
            for r in &mk.removes {
                writeln!(
                    out,
                    "{:>10}    {} {} (layer {}, {} B)",
                    "", r.kind, r.path, r.layer, r.size
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
