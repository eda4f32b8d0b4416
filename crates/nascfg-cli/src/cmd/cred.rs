//! `nascfg cred ...`

use crate::cli::{Cli, CredCommand};

pub fn run(_cli: &Cli, _command: &CredCommand) -> anyhow::Result<()> {
    anyhow::bail!("`nascfg cred` is not built yet")
}
