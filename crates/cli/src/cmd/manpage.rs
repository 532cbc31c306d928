//! `layerlens manpage [--dir DIR]`: man pages generated from the argument definitions: the
//! main page on standard output, or `layerlens.1` and one `layerlens-COMMAND.1` per
//! subcommand written into DIR (each file whole or not at all).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::args::{Cli, ManpageArgs};

pub fn run(args: &ManpageArgs) -> Result<ExitCode> {
    let cmd = Cli::command();
    let Some(dir) = &args.dir else {
        std::io::stdout()
            .lock()
            .write_all(&render(&cmd)?)
            .context("writing the man page")?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write(dir, "layerlens.1", &render(&cmd)?)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("layerlens-{}", sub.get_name());
        let version = cmd.get_version().unwrap_or_default().to_string();
        let page = sub.clone().name(name.clone()).version(version);
        write(dir, &format!("{name}.1"), &render(&page)?)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn render(cmd: &clap::Command) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut out)
        .context("rendering the man page")?;
    Ok(out)
}

/// Writes `bytes` to `dir/name` through a temporary file renamed over it.
fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let dest = dir.join(name);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", dest.display()))?;
    tmp.persist(&dest)
        .with_context(|| format!("writing {}", dest.display()))?;
    Ok(())
}
