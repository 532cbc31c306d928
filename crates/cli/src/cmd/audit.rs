//! `layerlens audit IMAGE [--json]`: what the final image holds (duplicates, special
//! permissions, shells and package managers, users and groups, keys and certificates) and
//! the packages each layer installed.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::args::AuditArgs;
use crate::input::Needs;
use crate::open::{display, load};
use crate::progress::Bar;
use crate::render::audit::write_text;

pub fn run(args: &AuditArgs) -> Result<ExitCode> {
    let mut bar = Bar::new();
    let mut l = load(&args.image, Needs::Contents, &mut bar)?;
    let audit = l
        .audit(&mut bar)
        .with_context(|| display(&args.image.image))?;
    bar.finish();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let mut doc = serde_json::to_value(&audit).context("encoding JSON")?;
        if let Some(o) = doc.as_object_mut() {
            o.insert("schema".into(), "layerlens.audit/v1".into());
        }
        serde_json::to_writer(&mut out, &doc).context("writing JSON")?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &audit)?;
    }
    out.flush().context("writing to standard output")?;
    Ok(ExitCode::SUCCESS)
}
