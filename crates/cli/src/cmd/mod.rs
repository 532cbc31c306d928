//! One module per subcommand; each has `run(args) -> Result<ExitCode>`.

mod analyze;
mod ci;
mod completions;
mod export;
mod manpage;
mod squash;
mod why;

use std::process::ExitCode;

use anyhow::Result;

use crate::args::{Cli, Command};

pub fn run(cli: Cli) -> Result<ExitCode> {
    crate::color::choose(cli.color);
    match cli.command {
        Command::Analyze(a) => analyze::run(&a),
        Command::Export(a) => export::run(&a),
        Command::Squash(a) => squash::run(&a),
        Command::Ci(a) => ci::run(&a),
        Command::Why(a) => why::run(&a),
        Command::Completions(a) => completions::run(&a),
        Command::Manpage(a) => manpage::run(&a),
    }
}
