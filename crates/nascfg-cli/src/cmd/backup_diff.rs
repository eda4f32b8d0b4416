//! `nascfg backup diff A B`.

use std::path::Path;

use nascfg_bundle::Configuration;

use crate::cli::{BackupCommand, Cli, ReadArgs};
use crate::cmd::changes::print_diff;
use crate::cmd::{common, keys, signers, storage};
use crate::output;

/// The command-line name of this box in `backup diff`.
const THIS_BOX: &str = "-";

/// `backup diff`: `command` is its [`BackupCommand::Diff`].
pub fn run(cli: &Cli, command: &BackupCommand) -> anyhow::Result<()> {
    let BackupCommand::Diff {
        a,
        b,
        read:
            ReadArgs {
                passphrase,
                identities,
                seed,
                remote: remote_args,
            },
        allowed_signers,
    } = command
    else {
        anyhow::bail!("backup diff's arguments expected");
    };
    let signers = &signers::policy(allowed_signers.as_deref())?;
    let dir = common::data_dir(cli)?;
    // The seed from --seed-file, else this box's, opens a bundle's secrets
    // sealed under it (nothing is created).
    let box_seed = match common::seed_file(seed)? {
        Some(seed) => Some(seed),
        None => nascfg_store::load_seed(&dir.seed_path()).ok(),
    };
    let load = |spec: &str| -> anyhow::Result<Configuration> {
        if spec == THIS_BOX {
            return Ok(Configuration::from_data_dir(&dir)?);
        }
        // A remote bundle is pulled whole into a private 0600 file first, then read
        // like a local one; the file goes when its view is built.
        let bundle = storage::local(cli, Path::new(spec), remote_args)?;
        let config = keys::Asking::new(passphrase, identities)
            .read(|unlock| bundle.configuration(unlock, signers, box_seed.as_ref()))?;
        if let Some(signer) = config.signer() {
            signers::notice_if_unsigned(bundle.shown(), signer);
        }
        Ok(config)
    };
    let before = load(a)?;
    let after = load(b)?;
    let diff = nascfg_bundle::diff(&before, &after);
    if cli.json {
        return output::print_json(&diff.to_json());
    }
    let name = |spec: &str| {
        if spec == THIS_BOX {
            "this box".to_owned()
        } else {
            spec.to_owned()
        }
    };
    println!("--- {}", name(a));
    println!("+++ {}", name(b));
    print_diff(&diff);
    Ok(())
}
