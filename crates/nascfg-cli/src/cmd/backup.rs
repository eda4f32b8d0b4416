//! `nascfg backup ...`

use crate::cli::{Cli, BackupCommand};

pub fn run(_cli: &Cli, _command: &BackupCommand) -> anyhow::Result<()> {
    anyhow::bail!("`nascfg backup` is not built yet")
}
