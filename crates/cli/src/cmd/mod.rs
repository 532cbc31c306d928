//! One module per subcommand; each has `run(args) -> Result<ExitCode>`.

mod analyze;
mod audit;
mod cat;
mod ci;
mod compare;
mod completions;
mod diff;
mod export;
mod extract;
mod history;
mod layer;
mod manpage;
mod report;
mod squash;
mod teach;
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
        Command::Cat(a) => cat::run(&a),
        Command::Extract(a) => extract::run(&a),
        Command::Diff(a) => diff::run(&a),
        Command::Compare(a) => compare::run(&a),
        Command::History(a) => history::run(&a),
        Command::Audit(a) => audit::run(&a),
        Command::Report(a) => report::run(&a),
        Command::Layer(a) => layer::run(&a),
        Command::Digests(a) => teach::digests(&a),
        Command::Tour(a) => teach::tour(&a),
    }
}
