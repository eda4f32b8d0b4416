//! `nascfg providers [show TYPE]`

use crate::cli::{Cli, ProvidersArgs};

pub fn run(_cli: &Cli, _args: &ProvidersArgs) -> anyhow::Result<()> {
    anyhow::bail!("`nascfg providers` is not built yet")
}
