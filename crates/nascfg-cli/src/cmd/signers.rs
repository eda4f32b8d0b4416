//! `--allowed-signers FILE`, and the notice an unsigned bundle gets.

use std::path::Path;

use nascfg_bundle::{AllowedSigners, Signer, SignerPolicy};

/// `--allowed-signers FILE` read and checked (its notes on standard error),
/// or any valid signer without it.
pub fn policy(file: Option<&Path>) -> anyhow::Result<SignerPolicy> {
    let Some(file) = file else {
        return Ok(SignerPolicy::AnyValid);
    };
    let allowed = AllowedSigners::read(file)?;
    for note in allowed.notes() {
        eprintln!("note: {note}");
    }
    Ok(SignerPolicy::Only(allowed))
}

/// An accepted unsigned bundle (read without `--allowed-signers`) gets a
/// notice on standard error, naming it `shown`.
pub fn notice_if_unsigned(shown: &Path, signer: &Signer) {
    if *signer == Signer::Unsigned {
        eprintln!(
            "notice: {} is not signed (made before nascfg signed bundles, or its signature was removed): \
             who made it cannot be checked",
            shown.display()
        );
    }
}
