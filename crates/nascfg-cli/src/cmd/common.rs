//! What every command that touches the data directory shares: finding it,
//! opening the store, turning store errors into `error:`/`hint:` lines, and
//! reading passphrases.

use std::io::IsTerminal;

use nascfg_crypto::secrecy::SecretString;
use nascfg_store::{DataDir, Error, Store};

use crate::cli::{Cli, PassphraseArgs};
use crate::output;

/// The data directory: `--data-dir`, `NASCFG_DATA_DIR`, else the XDG default.
pub fn data_dir(cli: &Cli) -> anyhow::Result<DataDir> {
    DataDir::resolve(cli.data_dir.as_deref()).map_err(store_error)
}

/// Opens (creating on first use) the store of the data directory.
pub fn open_store(cli: &Cli) -> anyhow::Result<Store> {
    let dir = data_dir(cli)?;
    Store::open(&dir).map_err(store_error)
}

/// A store error with the hint that says what to do next.
pub fn store_error(err: Error) -> anyhow::Error {
    let hint = match &err {
        Error::NotFound { what: "key pair", .. } => "`nascfg keypair list` lists the key pairs".to_owned(),
        Error::NotFound { .. } => "`nascfg cred list` lists the credentials".to_owned(),
        Error::Duplicate { what: "key pair", name } => {
            format!("choose another name, or delete the old one first: `nascfg keypair delete {name}`")
        }
        Error::Duplicate { name, .. } => {
            format!("choose another name, or change the existing one: `nascfg cred update {name} --set KEY=VALUE`")
        }
        Error::Invalid(_) => "fix the fields listed above; `nascfg providers show TYPE` lists a provider's fields".to_owned(),
        Error::InvalidStored { name, .. } => {
            format!("correct it with `nascfg cred update {name} --set KEY=VALUE`, or delete it")
        }
        Error::SeedMismatch { .. } | Error::SeedMissing { .. } => {
            "put back the seed this database was sealed under (a kept secret-seed.old-* file or a `nascfg seed export`), \
             or restore a backup with `nascfg backup restore FILE --seed-file SEED` \
             (or `--allow-lost-secrets` to re-enter the secrets); nothing was changed"
                .to_owned()
        }
        Error::SeedFile { .. } => {
            "the secret seed must be a readable file of exactly 32 bytes; put back the box's seed \
             (from a `nascfg seed export` or a kept secret-seed.old-* file); nothing was changed"
                .to_owned()
        }
        Error::NewerSchema { .. } => "use the newer nascfg that wrote this database; it was left unchanged".to_owned(),
        Error::NotADatabase { .. } => {
            "move the file away or point --data-dir at another directory; it was left unchanged".to_owned()
        }
        Error::Damaged { .. } => "restore a backup with `nascfg backup restore FILE`".to_owned(),
        Error::ForeignSchema { .. } | Error::InvalidRow { .. } => {
            "this database was altered or is not nascfg's: do not restore it; use a copy you trust \
             (a passphrase-protected bundle is authenticated, a plain one is not). Nothing was changed"
                .to_owned()
        }
        Error::Replaced { .. } => "run the command again; it changed nothing".to_owned(),
        Error::NeedsSecrets { name } => format!(
            "its secrets were not restored; re-enter them with `nascfg cred update {name} --set FIELD=VALUE` \
             (or delete and re-create a key pair)"
        ),
        Error::SealedValue { .. } => {
            "the stored value is damaged; re-enter it with `nascfg cred update NAME --set FIELD=VALUE`".to_owned()
        }
        Error::InvalidKey { .. } => {
            "give a private key that `ssh-keygen -y -f FILE` reads (OpenSSH, PEM PKCS#1, SEC1 or PKCS#8); \
             nothing was stored"
                .to_owned()
        }
        Error::KeyPassphraseNeeded => {
            "give its passphrase with --passphrase-file FILE or --passphrase-env VAR (or run on a terminal \
             to be asked); nothing was stored"
                .to_owned()
        }
        Error::KeyPassphraseWrong => {
            "check the passphrase (`ssh-keygen -y -f FILE` asks for it too); nothing was stored".to_owned()
        }
        Error::KeypairInUse { name, .. } => format!(
            "point those credentials at another key pair (`nascfg cred update CRED --set private_key=OTHER`), \
             or delete it anyway with `nascfg keypair delete {name} --force`; nothing was changed"
        ),
        Error::InvalidName { .. } => "names are 1 to 100 characters, without control characters".to_owned(),
        Error::NoDataDir => "pass --data-dir DIR".to_owned(),
        _ => "check the data directory's permissions and free space (`--data-dir`)".to_owned(),
    };
    output::hint(err, hint)
}

/// An import or rclone export error with the hint it carries (a store error
/// with the store's hint).
pub fn interop_error(err: nascfg_interop::Error) -> anyhow::Error {
    match err {
        nascfg_interop::Error::Store(inner) => store_error(inner),
        other => match other.hint() {
            Some(hint) => output::hint(other, hint),
            None => other.into(),
        },
    }
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
    let first = rpassword::prompt_password("passphrase: ")?;
    if confirm {
        let second = rpassword::prompt_password("passphrase (again): ")?;
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
