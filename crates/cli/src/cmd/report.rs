//! `layerlens report IMAGE -o report.html`: the self-contained HTML report the page also
//! writes (the same core function, so the same bytes); `--json` prints the size map.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use layerlens_core::report::{of_analysis, SCHEMA};
use layerlens_core::sanitize::display_text;
use layerlens_core::view::treemap::{Scope, Treemap, TreemapOptions};

use crate::args::ReportArgs;
use crate::input::Needs;
use crate::open::{deep_scan, display, load};
use crate::output::{Destination, WriteOptions};
use crate::progress::Bar;

pub fn run(args: &ReportArgs) -> Result<ExitCode> {
    // Checked before the input is read: a refusal costs nothing.
    let dest = match &args.output {
        Some(o) => Some(Destination::resolve(o, &args.image.image)?),
        None => None,
    };
    let mut bar = Bar::new();
    let needs = if args.deep {
        Needs::Contents
    } else {
        Needs::Headers
    };
    let mut l = load(&args.image, needs, &mut bar)?;
    deep_scan(&mut l, args.deep, &args.image, &mut bar)?;
    bar.finish();
    // The file's name, as the page knows it (a dropped file has no directory).
    let file = args.image.image.file_name().map_or_else(
        || display(&args.image.image),
        |n| display_text(&n.to_string_lossy()),
    );
    let Some(dest) = dest else {
        let scope = match &args.layer {
            Some(spec) => Scope::Layer(l.layer(spec)?),
            None => Scope::Final,
        };
        let map = Treemap::new(l.model(), scope, &TreemapOptions::default());
        let doc = serde_json::json!({ "schema": SCHEMA, "file": file, "map": map });
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        serde_json::to_writer(&mut out, &doc).context("writing JSON")?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    };
    let waste = l.waste(None);
    let html = of_analysis(&file, &l, &waste);
    let write = WriteOptions {
        space_check: !args.write.no_space_check,
    };
    let mut out = dest.create(html.len() as u64, write)?;
    out.write_all(html.as_bytes())
        .with_context(|| format!("writing {}", dest.display()))?;
    out.commit()?;
    if !dest.is_stdout() {
        eprintln!("wrote {} ({} bytes)", dest.display(), html.len());
    }
    Ok(ExitCode::SUCCESS)
}
