//! `layerlens digests IMAGE [--verify] [--json]` and `layerlens tour IMAGE [--json]`: the
//! digests that name the image and its layers with their formulas, and the guided tour's
//! steps told with the image's numbers (the page shows the same).

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use layerlens_core::teach::digests::{
    BLOB_FORMULA, CHAIN_ID_FORMULA, DIFF_ID_FORMULA, IMAGE_ID_FORMULA,
};
use layerlens_core::teach::{Digests, Tour};

use crate::args::{DigestsArgs, TourArgs};
use crate::input::Needs;
use crate::open::{display, load};
use crate::progress::Bar;
use crate::render::table::size;

pub fn digests(args: &DigestsArgs) -> Result<ExitCode> {
    let mut bar = Bar::new();
    let needs = if args.verify {
        Needs::Contents
    } else {
        Needs::Headers
    };
    let mut l = load(&args.image, needs, &mut bar)?;
    let declared = Digests::of(l.image());
    // Verifying stops at the first mismatch, naming the layer and both digests.
    let verified = if args.verify {
        Some(l.verify(&mut bar).map_err(|e| e.to_string()))
    } else {
        None
    };
    bar.finish();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let failed = matches!(verified, Some(Err(_)));
    if args.json {
        let verify = verified.map(|v| match v {
            Ok(layers) => serde_json::json!({ "ok": true, "layers": layers }),
            Err(e) => serde_json::json!({ "ok": false, "error": e }),
        });
        let doc = serde_json::json!({
            "schema": "layerlens.digests/v1",
            "formulas": {
                "blob": BLOB_FORMULA,
                "diff_id": DIFF_ID_FORMULA,
                "chain_id": CHAIN_ID_FORMULA,
                "image_id": IMAGE_ID_FORMULA,
            },
            "digests": declared,
            "verify": verify,
        });
        serde_json::to_writer(&mut out, &doc).context("writing JSON")?;
        writeln!(out)?;
    } else {
        writeln!(out, "blob digest = {BLOB_FORMULA}")?;
        writeln!(out, "diff_id     = {DIFF_ID_FORMULA}")?;
        writeln!(out, "chain ID:     {CHAIN_ID_FORMULA}")?;
        writeln!(out, "image ID    = {IMAGE_ID_FORMULA}")?;
        writeln!(out)?;
        writeln!(
            out,
            "image ID {} ({} config bytes)",
            declared.image_id, declared.config_size
        )?;
        for d in &declared.layers {
            writeln!(
                out,
                "layer {}: {} blob, {}",
                d.position,
                d.compression.name(),
                size(d.blob_size)
            )?;
            match d.blob_digest {
                Some(b) => writeln!(out, "  blob     {b}")?,
                None => writeln!(out, "  blob     (not declared) {}", d.member)?,
            }
            writeln!(out, "  diff_id  {}", d.diff_id)?;
            writeln!(out, "  chain ID {}", d.chain_id)?;
        }
        match verified {
            Some(Ok(_)) => writeln!(
                out,
                "\nverified: every blob digest and diff_id matches the bytes"
            )?,
            Some(Err(e)) => writeln!(out, "\nMISMATCH: {e}")?,
            None => {}
        }
    }
    if failed {
        eprintln!(
            "layerlens: {}: a digest does not match",
            display(&args.image.image)
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn tour(args: &TourArgs) -> Result<ExitCode> {
    let mut bar = Bar::new();
    let l = load(&args.image, Needs::Headers, &mut bar)?;
    bar.finish();
    let tour = Tour::of(l.model());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let doc = serde_json::json!({ "schema": "layerlens.tour/v1", "tour": tour });
        serde_json::to_writer(&mut out, &doc).context("writing JSON")?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for (i, s) in tour.steps.iter().enumerate() {
        writeln!(out, "{}. {}", i + 1, s.title)?;
        writeln!(out, "   {}", s.text)?;
        writeln!(out, "   Lesson: {}", s.lesson)?;
        writeln!(out, "   Fix: {}", s.fix)?;
        writeln!(out)?;
    }
    Ok(ExitCode::SUCCESS)
}
