//! One module per subcommand; each has `run(args) -> Result<ExitCode>`.

mod analyze;
mod export;
mod squash;

use std::process::ExitCode;

use anyhow::Result;

use crate::args::{Cli, Command};

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Analyze(a) => analyze::run(&a),
        Command::Export(a) => export::run(&a),
        Command::Squash(a) => squash::run(&a),
    }
}
