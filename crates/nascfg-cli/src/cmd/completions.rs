//! `nascfg completions SHELL`: a completion script for bash, zsh, fish, elvish
//! or PowerShell, generated from the grammar in `cli.rs` (clap_complete), so
//! it cannot drift from the commands it completes.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

pub fn run(shell: Shell) -> anyhow::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "nascfg", &mut script);
    std::io::stdout().lock().write_all(&script)?;
    Ok(())
}
