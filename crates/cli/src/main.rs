//! `layerlens`: analyze, export and squash container image archives from the command line.
//! Glue only: parse arguments, open the file, call the core, render the result.
#![forbid(unsafe_code)]

mod args;
mod cmd;
mod color;
mod input;
mod message;
mod open;
mod output;
mod parallel;
mod progress;
mod render;

use std::process::ExitCode;

use clap::Parser;

fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let pipe = Some(std::io::ErrorKind::BrokenPipe);
    e.downcast_ref::<std::io::Error>().map(std::io::Error::kind) == pipe
        || e.downcast_ref::<serde_json::Error>()
            .and_then(serde_json::Error::io_error_kind)
            == pipe
        || e.downcast_ref::<layerlens_core::Error>()
            .and_then(|c| match c.kind() {
                layerlens_core::ErrorKind::Write(io) => Some(io.kind()),
                _ => None,
            })
            == pipe
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`layerlens analyze … | head`) is not an error.
            if err.chain().any(is_broken_pipe) {
                return ExitCode::SUCCESS;
            }
            // Messages quote names from the archive (through the tar crate too): escape control
            // characters so a hostile name cannot drive the terminal.
            let message =
                layerlens_core::sanitize::display_bytes(message::message(&err).as_bytes());
            eprintln!("layerlens: error: {message}");
            ExitCode::from(2)
        }
    }
}
