//! `nascfg init`

use crate::cli::Cli;

pub fn run(_cli: &Cli) -> anyhow::Result<()> {
    anyhow::bail!("`nascfg init` is not built yet")
}
