//! The `nascfg` command line.
//!
//! Architecture invariant: this crate is the only one that knows clap, the
//! terminal and exit codes. Each subcommand lives in its own module under
//! `cmd/`; `main` parses, dispatches and turns errors into `error:`/`hint:`
//! lines (with `--json`, one JSON object on standard error) and exit codes
//! (0 done, 1 failed or refused, 2 usage error).

mod cli;
mod cmd;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    match cmd::dispatch(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => ExitCode::from(output::report(&err, cli.json)),
    }
}

/// What clap could not parse: its own text and exit status, or with `--json` (wherever it
/// was on the command line) a `usage` error object and exit status 2. `--help` and
/// `--version` print as always.
fn usage_error(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let informational = matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    );
    if informational || !json_requested() {
        err.exit();
    }
    // clap's first paragraph is the error; the usage and "try --help" follow.
    let rendered = err.render().to_string();
    let message = rendered
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    let message = message.trim_start_matches("error: ");
    output::print_json_error_parts(
        "usage",
        message,
        Some("`nascfg COMMAND --help` shows what the command takes"),
    );
    ExitCode::from(output::EXIT_USAGE)
}

/// Whether `--json` was given before any `--` (the command line could not be parsed whole).
fn json_requested() -> bool {
    std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

#[cfg(test)]
mod tests;
