//! `layerlens compare A B [--json] [--image-a N] [--image-b M] [--strict-…]`: what differs
//! between two images. Exit 0 equal, 1 different, 2 error, so CI can assert that a rebuild
//! is reproducible or that an optimisation changed nothing but size.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use layerlens_core::compare::{compare, Strictness};

use crate::args::{CompareArgs, ImageArgs};
use crate::input::Needs;
use crate::open::{display, load};
use crate::progress::Bar;
use crate::render::compare::{json, text};

pub fn run(args: &CompareArgs) -> Result<ExitCode> {
    if args.a.as_os_str() == "-" && args.b.as_os_str() == "-" {
        bail!("standard input can be only one of the two images");
    }
    let side = |image: &std::path::Path, select: &Option<String>| ImageArgs {
        image: image.to_path_buf(),
        select: select.clone(),
        platform: args.platform.clone(),
        limits: args.limits.clone(),
    };
    let (sa, sb) = (side(&args.a, &args.select_a), side(&args.b, &args.select_b));
    let mut bar = Bar::new();
    let mut a = load(&sa, Needs::Contents, &mut bar).context("image A")?;
    let mut b = load(&sb, Needs::Contents, &mut bar).context("image B")?;
    let strict = Strictness {
        mtime: args.strict_mtime || args.strict,
        history: args.strict_history || args.strict,
        layers: args.strict_layers || args.strict,
    };
    let c = compare(&mut a, &mut b, strict, &mut bar)
        .with_context(|| format!("comparing {} with {}", display(&args.a), display(&args.b)))?;
    bar.finish();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        json(&mut out, &c, [&a, &b])?;
    } else {
        text(&mut out, &c, [&args.a, &args.b], args.dirs)?;
    }
    out.flush().context("writing to standard output")?;
    Ok(if c.equal {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
