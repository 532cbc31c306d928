//! `layerlens`: analyze, export and squash container image archives from the command line.
//! Glue only: parse arguments, open the file, call the core, render the result.

mod args;
mod cmd;
mod open;
mod progress;
mod render;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`layerlens analyze … | head`) is not an error.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("layerlens: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
