//! `nascfg keypair ...`

use crate::cli::{Cli, KeypairCommand};

pub fn run(_cli: &Cli, _command: &KeypairCommand) -> anyhow::Result<()> {
    anyhow::bail!("`nascfg keypair` is not built yet")
}
