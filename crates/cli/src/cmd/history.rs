//! `layerlens history IMAGE [--dockerfile|--json]`: every step of the image's history (empty
//! layers included), each linked to the layer it made.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use layerlens_core::sanitize::display_text;

use crate::args::HistoryArgs;
use crate::input::Needs;
use crate::open::load;
use crate::progress::Bar;
use crate::render::table::{ellipsize, size};

pub fn run(args: &HistoryArgs) -> Result<ExitCode> {
    let mut bar = Bar::new();
    let l = load(&args.image, Needs::Headers, &mut bar)?;
    bar.finish();
    let steps = l.dockerfile();
    let layer_size = |n: usize| l.image().layers.get(n).map_or(0, |x| x.index.tar_size);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let doc = serde_json::json!({
            "schema": "layerlens.history/v1",
            "steps": steps.iter().map(|s| serde_json::json!({
                "step": s.step,
                "layer": s.layer,
                "layer_size": s.layer.map(layer_size),
                "keyword": s.keyword,
                "instruction": s.text,
                "dockerfile": s.line(),
                "created": s.created,
                "comment": s.comment,
            })).collect::<Vec<_>>(),
        });
        serde_json::to_writer(&mut out, &doc).context("writing JSON")?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.dockerfile {
        for s in &steps {
            match s.layer {
                Some(n) => writeln!(out, "# layer {n} ({})", size(layer_size(n)))?,
                None => writeln!(out, "# empty layer")?,
            }
            // Escaped line by line: the continuations' line ends are the Dockerfile's own.
            let line = s.line();
            let lines: Vec<String> = line.split('\n').map(display_text).collect();
            writeln!(out, "{}", lines.join("\n"))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:>4}  {:>5}  {:>9}  {:<20}  INSTRUCTION",
        "STEP", "LAYER", "SIZE", "CREATED"
    )?;
    for s in &steps {
        let text = s.line().replace('\n', " ");
        writeln!(
            out,
            "{:>4}  {:>5}  {:>9}  {:<20}  {}",
            s.step,
            s.layer.map_or_else(|| "-".to_string(), |n| n.to_string()),
            s.layer.map(|n| size(layer_size(n))).unwrap_or_default(),
            ellipsize(s.created.as_deref().unwrap_or(""), 20),
            ellipsize(&display_text(&text), 100)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
