//! `layerlens ci`: dive's CI gate, read from the same `.dive-ci`, plus layerlens' rules.
//! Exit 0 when every rule passes (warnings allowed), 1 when one fails, 2 on an error or a
//! misconfigured rule.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use layerlens_core::analysis::ci::{check_model, CiConfig, Outcome, PathReport};
use layerlens_core::analysis::WasteReport;
use layerlens_core::dive::DiveTally;
use layerlens_core::sanitize::{display_bytes, display_text};
use serde::Serialize;

use crate::args::CiArgs;
use crate::input::Needs;
use crate::open::{deep_scan, display, load_with};
use crate::output::{Destination, WriteOptions};
use crate::progress::Bar;
use crate::render::ci_text::{dive_text, layerlens_text};
use crate::render::{junit, waste};

/// Where the rules came from.
#[derive(Serialize)]
struct ConfigDoc<'a> {
    /// The file read, or `null` for dive's defaults.
    file: Option<String>,
    #[serde(flatten)]
    config: &'a CiConfig,
}

#[derive(Serialize)]
struct CiDoc<'a> {
    schema: &'static str,
    file: String,
    outcome: Outcome,
    config: ConfigDoc<'a>,
    verdict: &'a layerlens_core::analysis::ci::Verdict,
    image_size: u64,
    waste: &'a WasteReport,
    /// What the path rules found (docs/ci.md).
    paths: &'a PathReport,
}

/// The configuration: `--config`, else `./.dive-ci` when present (as dive does), else the
/// defaults; then the command-line overrides.
fn config(args: &CiArgs) -> Result<(CiConfig, Option<PathBuf>)> {
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from(".dive-ci")).filter(|p| p.is_file()),
    };
    let mut c = match &path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the CI configuration {}", display(p)))?;
            CiConfig::parse(&text).with_context(|| display(p))?
        }
        None => CiConfig::default(),
    };
    let set = |slot: &mut String, v: &Option<String>| {
        if let Some(v) = v {
            *slot = v.clone();
        }
    };
    set(&mut c.dive.lowest_efficiency, &args.lowest_efficiency);
    set(&mut c.dive.highest_wasted_bytes, &args.highest_wasted_bytes);
    set(
        &mut c.dive.highest_user_wasted_percent,
        &args.highest_user_wasted_percent,
    );
    set(
        &mut c.layerlens.max_reclaimable_bytes,
        &args.max_reclaimable,
    );
    set(
        &mut c.layerlens.max_reclaimable_percent,
        &args.max_reclaimable_percent,
    );
    set(&mut c.layerlens.warn_above_size, &args.warn_above_size);
    set(&mut c.layerlens.fail_above_size, &args.fail_above_size);
    if args.allow_secrets {
        c.layerlens.fail_on_security_finding = "false".into();
    }
    Ok((c, path))
}

pub fn run(args: &CiArgs) -> Result<ExitCode> {
    let (config, config_path) = config(args)?;
    let junit_dest = match &args.junit {
        Some(j) => Some(Destination::resolve(j, &args.image.image)?),
        None => None,
    };
    let mut bar = Bar::new();
    let needs = if args.deep {
        Needs::Contents
    } else {
        Needs::Headers
    };
    let (l, tally) = load_with(&args.image, needs, &mut bar, DiveTally::new)?;
    // Freeing every path of a large image takes longer than the process's exit does.
    let l = Box::leak(Box::new(l));
    deep_scan(l, args.deep, &args.image, &mut bar)?;
    bar.finish();
    let report = l.waste(Some(tally));
    let image_size: u64 = l.image().tar_size();
    let (verdict, paths) = check_model(&config, l.model(), &report, image_size);
    for note in &config.notes {
        eprintln!("layerlens: note: {}", display_text(note));
    }
    if let Some(dest) = &junit_dest {
        let xml = junit::report(&verdict, &display(&args.image.image));
        let mut out = dest.create(xml.len() as u64, WriteOptions { space_check: true })?;
        out.write_all(xml.as_bytes())
            .with_context(|| format!("writing {}", dest.display()))?;
        out.commit()?;
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let doc = CiDoc {
            schema: "layerlens.ci/v1",
            file: display(&args.image.image),
            outcome: verdict.outcome,
            config: ConfigDoc {
                file: config_path.as_deref().map(display),
                config: &config,
            },
            verdict: &verdict,
            image_size,
            waste: &report,
            paths: &paths,
        };
        serde_json::to_writer(&mut out, &doc).context("writing JSON")?;
        writeln!(out)?;
    } else {
        text(
            &mut out,
            args,
            &config_path,
            &l.image().display_tags(),
            &report,
            &verdict,
        )?;
        paths_text(&mut out, &paths)?;
    }
    out.flush()?;
    Ok(match verdict.outcome {
        Outcome::Pass => ExitCode::SUCCESS,
        Outcome::Fail => ExitCode::from(1),
        Outcome::Misconfigured => ExitCode::from(2),
    })
}

/// The path rules' findings, under the verdict.
fn paths_text(out: &mut dyn Write, p: &PathReport) -> Result<()> {
    if let Some(i) = &p.ignored {
        writeln!(
            out,
            "  ignorePaths ({}): the waste rules used efficiency {:.4}, wasted bytes {}, user wasted {}, reclaimable {}",
            display_text(&p.ignore_paths.join(", ")),
            i.efficiency,
            i.wasted_bytes,
            i.user_wasted_ratio
                .map_or_else(|| "NaN".to_string(), |r| format!("{r:.4}")),
            i.reclaimable_bytes
        )?;
    }
    for f in &p.forbidden {
        writeln!(
            out,
            "  forbidden: {} (L{}, matches {})",
            display_text(&f.path),
            f.layer,
            display_text(&f.pattern)
        )?;
    }
    for (layer, size) in &p.over_budget {
        writeln!(out, "  over budget: L{layer} is {size} bytes")?;
    }
    Ok(())
}

fn text(
    out: &mut dyn Write,
    args: &CiArgs,
    config_path: &Option<PathBuf>,
    tags: &str,
    report: &WasteReport,
    verdict: &layerlens_core::analysis::ci::Verdict,
) -> Result<()> {
    let c = crate::color::stdout();
    match config_path {
        Some(p) => writeln!(out, "  Using CI config: {}", display(p))?,
        None => writeln!(out, "  Using default CI config")?,
    }
    writeln!(
        out,
        "Image: {} ({})",
        display_bytes(tags.as_bytes()),
        display(Path::new(&args.image.image))
    )?;
    writeln!(
        out,
        "dive-compatible report (dive 0.13.1's figures and rules):"
    )?;
    write!(out, "{}", dive_text(&report.dive, &verdict.dive, c))?;
    writeln!(out)?;
    waste::figures(out, report)?;
    waste::findings(out, &report.findings, 5)?;
    writeln!(out)?;
    writeln!(out, "layerlens rules:")?;
    write!(out, "{}", layerlens_text(&verdict.layerlens, c))?;
    writeln!(
        out,
        "Verdict: {}",
        match verdict.outcome {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Misconfigured => "MISCONFIGURED (fix the rules above)",
        }
    )?;
    Ok(())
}
