//! `nascfg cred verify` and `cred add --verify`: the bridge to nascfg-verify.
//! Owned by the verify work; `cred.rs` calls into it.

use crate::cli::{Cli, VerifyArgs};

/// `nascfg cred verify NAME` or `nascfg cred verify --provider TYPE --set ...`.
pub fn run(
    _cli: &Cli,
    _name: Option<&str>,
    _provider: Option<&str>,
    _set: &[String],
    _args: &VerifyArgs,
) -> anyhow::Result<()> {
    anyhow::bail!("`nascfg cred verify` is not built yet")
}
