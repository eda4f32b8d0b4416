//! `nascfg import ...`

use crate::cli::{Cli, ImportCommand};

pub fn run(_cli: &Cli, _command: &ImportCommand) -> anyhow::Result<()> {
    anyhow::bail!("`nascfg import` is not built yet")
}
