//! `nascfg export ...`

use crate::cli::{Cli, ExportCommand};

pub fn run(_cli: &Cli, _command: &ExportCommand) -> anyhow::Result<()> {
    anyhow::bail!("`nascfg export` is not built yet")
}
