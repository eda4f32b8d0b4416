//! `nascfg seed ...`

use crate::cli::{Cli, SeedCommand};

pub fn run(_cli: &Cli, _command: &SeedCommand) -> anyhow::Result<()> {
    anyhow::bail!("`nascfg seed` is not built yet")
}
