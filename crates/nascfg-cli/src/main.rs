//! The `nascfg` command line.
//!
//! Architecture invariant: this crate is the only one that knows clap, the
//! terminal and exit codes. Each subcommand lives in its own module under
//! `cmd/`; `main` parses, dispatches and turns errors into `error:`/`hint:`
//! lines and exit codes (0 done, 1 failed or refused, 2 usage error).

mod cli;
mod cmd;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cmd::dispatch(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => ExitCode::from(output::report(&err)),
    }
}
