//! Checks of the grammar itself (cli.rs), over clap's whole command tree.

use clap::{Command, CommandFactory};

use crate::cli::Cli;

/// Every command below `cmd` (itself included), with its path (`nascfg cred add`).
fn every_command(cmd: &Command, path: &str, out: &mut Vec<(String, Command)>) {
    out.push((path.to_owned(), cmd.clone()));
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        every_command(sub, &format!("{path} {}", sub.get_name()), out);
    }
}

fn all() -> Vec<(String, Command)> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = Vec::new();
    every_command(&cmd, "nascfg", &mut out);
    out
}

#[test]
fn the_grammar_is_consistent() {
    Cli::command().debug_assert();
}

/// `--help` and the man page say what every argument is: none is left without help.
#[test]
fn every_argument_has_help() {
    let mut missing = Vec::new();
    for (path, cmd) in all() {
        for arg in cmd.get_arguments() {
            let builtin = matches!(arg.get_id().as_str(), "help" | "version");
            let has_help = arg
                .get_help()
                .is_some_and(|h| !h.to_string().trim().is_empty());
            if !builtin && !has_help {
                missing.push(format!("{path}: {}", arg.get_id()));
            }
        }
        let has_about = cmd
            .get_about()
            .is_some_and(|h| !h.to_string().trim().is_empty());
        if path != "nascfg" && !has_about {
            missing.push(format!("{path}: the command itself"));
        }
    }
    assert!(missing.is_empty(), "without help:\n{}", missing.join("\n"));
}

/// Every argument that takes SECONDS is bounded at parse time (a huge value is a usage
/// error, not an overflow panic later).
#[test]
fn every_duration_is_bounded() {
    let huge = u64::MAX.to_string();
    let mut unbounded = Vec::new();
    for (path, cmd) in all() {
        for arg in cmd.get_arguments() {
            let seconds = arg
                .get_value_names()
                .is_some_and(|names| names.iter().any(|n| n.as_str() == "SECONDS"));
            if !seconds {
                continue;
            }
            // Parsed by the command alone: a value is checked as it is read, before any
            // missing argument is noticed.
            let Some(long) = arg.get_long() else {
                continue;
            };
            let rejects = |value: &str| {
                cmd.clone()
                    .try_get_matches_from(["nascfg", &format!("--{long}"), value])
                    .is_err_and(|e| e.kind() == clap::error::ErrorKind::ValueValidation)
            };
            let too_big = rejects(&huge);
            let ok = !rejects(&crate::cli::MAX_SECONDS.to_string());
            if !(too_big && ok) {
                unbounded.push(format!("{path}: --{}", arg.get_id()));
            }
        }
    }
    assert!(
        unbounded.is_empty(),
        "not bounded to 1..={}:\n{}",
        crate::cli::MAX_SECONDS,
        unbounded.join("\n")
    );
}
