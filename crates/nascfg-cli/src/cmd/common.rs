//! What every command that touches the data directory shares: finding it,
//! opening the store, and reading passphrases.

use std::io::IsTerminal;

use nascfg_crypto::Seed;
use nascfg_crypto::secrecy::SecretString;
use nascfg_store::{DataDir, Store};

use crate::cli::{Cli, PassphraseArgs, SeedFileArgs};
use crate::output;

/// The data directory: `--data-dir`, `NASCFG_DATA_DIR`, else the XDG default.
/// An existing one must pass StrictModes ([`DataDir::check`]); what the
/// check made private is shown as a `notice:` line.
pub fn data_dir(cli: &Cli) -> anyhow::Result<DataDir> {
    let dir = DataDir::resolve(cli.data_dir.as_deref())?;
    for tightened in dir.check()? {
        eprintln!("notice: {tightened}");
    }
    Ok(dir)
}

/// Opens (creating on first use) the store of the data directory.
pub fn open_store(cli: &Cli) -> anyhow::Result<Store> {
    let dir = data_dir(cli)?;
    Ok(Store::open(&dir)?)
}

/// True when standard input is a terminal (so we may prompt).
pub fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

/// Reads a passphrase from `--passphrase-file` (first line), `--passphrase-env`,
/// or, on a terminal, a hidden prompt (twice when `confirm`). `None` when none
/// was given and standard input is not a terminal.
pub fn read_passphrase(
    args: &PassphraseArgs,
    confirm: bool,
) -> anyhow::Result<Option<SecretString>> {
    read_passphrase_as(args, confirm, "passphrase")
}

/// The seed given with `--seed-file` (any form `nascfg seed export` writes),
/// its passphrase asked for only when the file is passphrase-protected:
/// `--seed-passphrase-file`, `--seed-passphrase-env`, else a prompt on a
/// terminal (the seed file's own, not the bundle's). With `--seed-share`,
/// the seed the share files recover ([`nascfg_store::load_seed_shares`]).
pub fn seed_file(args: &SeedFileArgs) -> anyhow::Result<Option<Seed>> {
    if !args.seed_share.is_empty() {
        return Ok(Some(nascfg_store::load_seed_shares(&args.seed_share)?));
    }
    let Some(path) = &args.seed_file else {
        return Ok(None);
    };
    load_seed_file(
        path,
        args.seed_passphrase_file.as_deref(),
        args.seed_passphrase_env.as_deref(),
    )
    .map(Some)
}

/// Reads a seed file with the seed passphrase flags (see [`seed_file`]).
pub fn load_seed_file(
    path: &std::path::Path,
    passphrase_file: Option<&std::path::Path>,
    passphrase_env: Option<&str>,
) -> anyhow::Result<Seed> {
    let source = PassphraseArgs {
        passphrase_file: passphrase_file.map(ToOwned::to_owned),
        passphrase_env: passphrase_env.map(ToOwned::to_owned),
    };
    nascfg_store::load_seed_file(path, || {
        read_passphrase_as(&source, false, "passphrase of the seed file")
    })
}

/// [`read_passphrase`] with its own words on the prompt.
fn read_passphrase_as(
    args: &PassphraseArgs,
    confirm: bool,
    what: &str,
) -> anyhow::Result<Option<SecretString>> {
    if let Some(path) = &args.passphrase_file {
        let meta = std::fs::metadata(path).map_err(|e| {
            output::hint(
                anyhow::anyhow!("cannot read {}: {e}", path.display()),
                "check the path",
            )
        })?;
        if meta.len() > 64 * 1024 {
            anyhow::bail!(
                "the passphrase file {} is larger than 64 KiB",
                path.display()
            );
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            output::hint(
                anyhow::anyhow!("cannot read {}: {e}", path.display()),
                "check the path",
            )
        })?;
        let line = text.lines().next().unwrap_or("").to_owned();
        return non_empty(line).map(Some);
    }
    if let Some(var) = &args.passphrase_env {
        let value = std::env::var(var).map_err(|_| {
            output::hint(
                anyhow::anyhow!("the environment variable {var} is not set (or not UTF-8)"),
                format!("export {var}=... before running nascfg"),
            )
        })?;
        return non_empty(value).map(Some);
    }
    if !interactive() {
        return Ok(None);
    }
    let first = rpassword::prompt_password(format!("{what}: "))?;
    if confirm {
        let second = rpassword::prompt_password(format!("{what} (again): "))?;
        if first != second {
            return Err(output::hint(
                anyhow::anyhow!("the passphrases differ"),
                "type the same passphrase twice",
            ));
        }
    }
    non_empty(first).map(Some)
}

fn non_empty(s: String) -> anyhow::Result<SecretString> {
    if s.is_empty() {
        return Err(output::hint(
            anyhow::anyhow!("the passphrase is empty"),
            "give a non-empty passphrase",
        ));
    }
    Ok(SecretString::from(s))
}
