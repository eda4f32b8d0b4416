//! `nascfg man`: the manual page nascfg(1) in roff, generated from the grammar
//! in `cli.rs` (clap_mangen), so it cannot drift from the commands it documents.
//!
//! One page holds everything: clap_mangen renders the title, synopsis,
//! description and global options; the COMMANDS section below them lists every
//! command of the tree with its usage, its summary and its own options.

use std::io::Write;

use clap::{Arg, ArgAction, Command, CommandFactory};
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};

use crate::cli::Cli;

pub fn run() -> anyhow::Result<()> {
    let mut cmd = Cli::command();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    let mut roff = Roff::default();
    roff.control("SH", ["COMMANDS"]);
    commands(&mut roff, &cmd);
    timeouts(&mut roff);
    exit_status(&mut roff);
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(
        "nascfg COMMAND --help prints the same for one command. \
         The project's README.md, docs/ARCHITECTURE.md, docs/FORMAT.md and docs/SECURITY.md.",
    )]);
    roff.to_writer(&mut page)?;
    man.render_version_section(&mut page)?;
    let page = String::from_utf8(page).expect("roff of UTF-8 text is UTF-8");
    std::io::stdout()
        .lock()
        .write_all(once_preamble(&page).as_bytes())?;
    Ok(())
}

/// Each section rendered on its own starts with roff's two-line apostrophe
/// preamble; the page needs it once, at the top.
fn once_preamble(page: &str) -> String {
    const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    match page.split_once(PREAMBLE) {
        Some((before, after)) => format!("{before}{PREAMBLE}{}", after.replace(PREAMBLE, "")),
        None => page.to_owned(),
    }
}

/// Every command below `parent`, depth first: its usage line, its summary and
/// its options and arguments (the global ones are in OPTIONS already).
fn commands(roff: &mut Roff, parent: &Command) {
    for sub in parent
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let usage = sub.clone().render_usage().to_string();
        let usage = usage.trim().trim_start_matches("Usage:").trim();
        roff.control("TP", []);
        roff.text([bold(usage)]);
        if let Some(about) = sub.get_long_about().or_else(|| sub.get_about()) {
            roff.text([roman(about.to_string())]);
        }
        let args: Vec<&Arg> = sub
            .get_arguments()
            .filter(|a| !a.is_hide_set() && !a.is_global_set() && !is_builtin(a))
            .collect();
        if !args.is_empty() {
            roff.control("RS", []);
            for arg in args {
                roff.control("TP", []);
                roff.text(arg_names(arg));
                let help = arg_help(arg);
                if !help.is_empty() {
                    roff.text([roman(help)]);
                }
            }
            roff.control("RE", []);
        }
        commands(roff, sub);
    }
}

/// One meaning per timeout flag, on every command that has it.
fn timeouts(roff: &mut Roff) {
    roff.control("SH", ["TIMEOUTS"]);
    roff.text([roman(format!(
        "Every duration is in seconds, from 1 to {} (one week); anything else is a usage error.",
        crate::cli::MAX_SECONDS
    ))]);
    for (flag, meaning) in [
        (
            "--timeout",
            "bounds the whole operation: the whole check (cred verify, cred add --verify, serve's \
             Verify), the whole login (cred login, authorize: its wait for the browser or for the \
             device code's approval), all the transfers of a backup command (push, list, pull, prune, \
             inspect and restore of CRED:PATH/NAME).",
        ),
        (
            "--connect-timeout",
            "bounds each attempt to connect to a service.",
        ),
        (
            "--request-timeout",
            "bounds each single request of a login to the provider (cred login, authorize); \
             --deadline is its old name.",
        ),
    ] {
        roff.control("TP", []);
        roff.text([bold(flag)]);
        roff.text([roman(meaning)]);
    }
}

/// The exit statuses, and the error object of `--json` with its stable kinds.
fn exit_status(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in [
        ("0", "done."),
        (
            "1",
            "the operation failed or was refused (an invalid credential, a refused restore, a wrong \
             passphrase, a credential that did not verify); nothing was changed unless the message says so.",
        ),
        ("2", "usage error: the command line is wrong."),
    ] {
        roff.control("TP", []);
        roff.text([bold(code)]);
        roff.text([roman(meaning)]);
    }
    roff.control("SH", ["ERRORS WITH --json"]);
    roff.text([roman(
        "With --json an error is one line of JSON on standard error, and standard output holds \
         nothing of it: {\"error\": {\"kind\": KIND, \"message\": TEXT, \"hint\": TEXT or null}}. \
         The exit status is as above. KIND is one of these names, which do not change:",
    )]);
    for (kind, meaning) in crate::output::KINDS {
        roff.control("TP", []);
        roff.text([bold(*kind)]);
        roff.text([roman(*meaning)]);
    }
}

/// clap's own `--help` and `--version`, which every command has.
fn is_builtin(arg: &Arg) -> bool {
    matches!(
        arg.get_action(),
        ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong | ArgAction::Version
    )
}

/// `-o, --output FILE` or `NAME`, the way `--help` writes them.
fn arg_names(arg: &Arg) -> Vec<Inline> {
    let value = arg
        .get_value_names()
        .map(|names| names.join(" "))
        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
    if arg.is_positional() {
        return vec![italic(value)];
    }
    let mut line = Vec::new();
    if let Some(short) = arg.get_short() {
        line.push(bold(format!("-{short}")));
    }
    if let Some(long) = arg.get_long() {
        if !line.is_empty() {
            line.push(roman(", "));
        }
        line.push(bold(format!("--{long}")));
    }
    if arg.get_action().takes_values() {
        line.push(roman(" "));
        line.push(italic(value));
    }
    line
}

/// The argument's help, followed by its default, its environment variable and
/// its possible values, as `--help` gives them.
fn arg_help(arg: &Arg) -> String {
    let mut help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
    let mut extra = Vec::new();
    let takes_values = arg.get_action().takes_values();
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if takes_values && !defaults.is_empty() {
        extra.push(format!("default: {}", defaults.join(", ")));
    }
    if let Some(env) = arg.get_env() {
        extra.push(format!("env: {}", env.to_string_lossy()));
    }
    let possible: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_owned())
        .collect();
    if takes_values && !possible.is_empty() {
        extra.push(format!("possible values: {}", possible.join(", ")));
    }
    if !extra.is_empty() {
        help.push_str(&format!(" [{}]", extra.join("; ")));
    }
    help
}
