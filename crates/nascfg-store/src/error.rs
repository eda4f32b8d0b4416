//! The one error type of nascfg-store.

use std::path::PathBuf;

use nascfg_credentials::ValidationErrors;
use nascfg_crypto::Fingerprint;

/// Everything that can go wrong in the store. No variant ever carries a secret.
///
/// Every variant has its guidance in [`Error::hint`], so a new variant does
/// not compile until it has one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No credential or key pair of that name.
    #[error("no {what} named {name:?}")]
    NotFound {
        /// "credential", "key pair" or "API key".
        what: &'static str,
        /// The name asked for.
        name: String,
    },
    /// The name is taken.
    #[error("a {what} named {name:?} already exists")]
    Duplicate {
        /// "credential", "key pair" or "API key".
        what: &'static str,
        /// The name.
        name: String,
    },
    /// The credential does not validate (every problem listed).
    #[error("invalid credential:\n{0}")]
    Invalid(ValidationErrors),
    /// A credential's attributes do not form a valid credential any more.
    #[error("invalid credential {name:?}: {reason}")]
    InvalidStored {
        /// The credential.
        name: String,
        /// What is wrong (field names and messages, never values).
        reason: String,
    },
    /// The seed on disk is not the one the database was sealed under.
    #[error("the secret seed ({seed}) is not the one this database was sealed under ({database})")]
    SeedMismatch {
        /// The fingerprint recorded in the database.
        database: Fingerprint,
        /// The fingerprint of the seed file.
        seed: Fingerprint,
    },
    /// The seed file is missing although the database holds sealed values.
    #[error("the secret seed {path} is missing; this database was sealed under {database}")]
    SeedMissing {
        /// Where the seed should be.
        path: PathBuf,
        /// The fingerprint recorded in the database.
        database: Fingerprint,
    },
    /// A seed file is missing, cannot be read, is not 32 bytes, or is a
    /// passphrase-protected export that does not open (see
    /// [`load_seed`](crate::load_seed), [`load_seed_file`](crate::load_seed_file)).
    #[error("cannot read the secret seed {path}: {problem}")]
    SeedFile {
        /// The seed file.
        path: PathBuf,
        /// What is wrong with it.
        problem: crate::seed::SeedProblem,
    },
    /// A seed share file is missing, unreadable, too large, not a share
    /// file, or its share is mistyped (see [`load_seed_shares`](crate::load_seed_shares)).
    #[error("cannot read the seed share {}: {problem}", path.display())]
    ShareFile {
        /// The share file.
        path: PathBuf,
        /// What is wrong with it (never a word of it).
        problem: crate::seed_shares::ShareFileProblem,
    },
    /// Share files that each read well do not recover a seed: too few,
    /// another split, the same share twice, or not the seed their files name.
    #[error("cannot recover the seed from the shares: {problem}")]
    SeedShares {
        /// What is wrong, naming the files.
        problem: crate::seed_shares::SeedSharesProblem,
    },
    /// The data directory, `config.db` or `secret-seed` is not safe to use
    /// (StrictModes, see [`DataDir::check`](crate::DataDir::check)). Nothing was changed.
    #[error("refused: {}: {reason}", path.display())]
    Unsafe {
        /// The directory or file.
        path: PathBuf,
        /// What is wrong with it.
        reason: crate::permissions::UnsafeReason,
    },
    /// `seed import` of a seed the store is not sealed under, on a store that
    /// is not empty. Nothing was changed.
    #[error(
        "refused: this box's store holds {credentials} credential(s) and {keypairs} key pair(s) sealed under {}, \
         not under the seed file's {given}",
        database.as_ref().map_or_else(|| "an unknown seed".to_owned(), ToString::to_string)
    )]
    SeedImportRefused {
        /// The fingerprint the store records, if any.
        database: Option<Fingerprint>,
        /// The seed file's fingerprint.
        given: Fingerprint,
        /// Credentials in the store.
        credentials: usize,
        /// Key pairs in the store.
        keypairs: usize,
    },
    /// The database was written by a newer nascfg.
    #[error(
        "the database has schema version {found}, newer than this nascfg supports ({supported})"
    )]
    NewerSchema {
        /// The database's version.
        found: u32,
        /// The newest version this build knows.
        supported: u32,
    },
    /// The file is not an SQLite database.
    #[error("{path} is not an SQLite database")]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// The database is damaged or not a nascfg database.
    #[error("the database {path} is damaged: {detail}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A database that is to become a store (a bundle's, on restore or
    /// inspection) has a schema object that nascfg does not create for its
    /// version, lacks one, or has one that differs: its schema is not data
    /// nascfg can accept, whatever its rows hold.
    #[error("the database is not nascfg's: {object}")]
    ForeignSchema {
        /// The file (often a staged copy, so not in the message).
        path: PathBuf,
        /// The object and what is wrong with it (`the trigger "t" on credential is not nascfg's`).
        object: String,
    },
    /// A row of a database that is to become a store is not one nascfg's own
    /// writes produce (a credential `cred add` would refuse, a malformed
    /// sealed value, id or uid).
    #[error("the database holds {row} that nascfg would not write: {reason}")]
    InvalidRow {
        /// The file (often a staged copy, so not in the message).
        path: PathBuf,
        /// Which row (`the credential "offsite"`, `key pair row 3`).
        row: String,
        /// What is wrong (field names and messages, never secret values).
        reason: String,
    },
    /// The live database was replaced (by a restore in another process) after
    /// this store opened it; writing now would write into the replaced file.
    #[error("the database {path} was replaced while this command ran (by a restore?)")]
    Replaced {
        /// The live database.
        path: PathBuf,
    },
    /// The credential's (or key pair's) secrets were dropped by a restore and must be re-entered.
    #[error("the secrets of {name:?} must be re-entered")]
    NeedsSecrets {
        /// The credential or key pair.
        name: String,
    },
    /// A sealed value does not open with the seed it claims.
    #[error("a sealed value of {owner} does not open: {source}")]
    SealedValue {
        /// Which credential or key pair, and which field.
        owner: String,
        /// Why.
        source: nascfg_crypto::Error,
    },
    /// A text that is not a private key nascfg can read (format, algorithm, damage).
    #[error("invalid private key: {reason}")]
    InvalidKey {
        /// Why (never key material).
        reason: String,
    },
    /// The private key is encrypted and no passphrase was given.
    #[error("the private key is encrypted and no passphrase was given")]
    KeyPassphraseNeeded,
    /// The passphrase does not decrypt the private key (or the key is damaged:
    /// the two cannot be told apart).
    #[error("cannot decrypt the private key: wrong passphrase or damaged key")]
    KeyPassphraseWrong,
    /// A key pair that SFTP credentials use; deleting it was refused.
    #[error("the key pair {name:?} is used by the SFTP credential(s) {}", credentials.join(", "))]
    KeypairInUse {
        /// The key pair.
        name: String,
        /// The credentials whose `private_key` names it.
        credentials: Vec<String>,
    },
    /// A name that is not acceptable.
    #[error("invalid name {name:?}: {reason}")]
    InvalidName {
        /// The name.
        name: String,
        /// Why.
        reason: String,
    },
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// A cryptographic operation failed.
    #[error(transparent)]
    Crypto(#[from] nascfg_crypto::Error),
    /// The data directory cannot be found (no --data-dir and no home).
    #[error("cannot find a data directory: set --data-dir, NASCFG_DATA_DIR or XDG_DATA_HOME")]
    NoDataDir,
}

impl Error {
    /// What the user can do next, for a `hint:` line. Wrapped errors (a
    /// validation's, a cryptographic one) give their own.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            Error::NotFound {
                what: "key pair", ..
            } => "`nascfg keypair list` lists the key pairs".to_owned(),
            Error::NotFound {
                what: "API key", ..
            } => "`nascfg apikey list` lists the API keys".to_owned(),
            Error::NotFound { .. } => "`nascfg cred list` lists the credentials".to_owned(),
            Error::Duplicate {
                what: "key pair",
                name,
            } => format!(
                "choose another name, or delete the old one first: `nascfg keypair delete {name}`"
            ),
            Error::Duplicate {
                what: "API key",
                name,
            } => format!(
                "choose another name, or delete the old key first: `nascfg apikey delete {name}`"
            ),
            Error::Duplicate { name, .. } => format!(
                "choose another name, or change the existing one: `nascfg cred update {name} --set KEY=VALUE`"
            ),
            Error::Invalid(errors) => return errors.hint().map(str::to_owned),
            Error::InvalidStored { name, .. } => {
                format!("correct it with `nascfg cred update {name} --set KEY=VALUE`, or delete it")
            }
            Error::SeedMismatch { .. } | Error::SeedMissing { .. } => {
                "put back the seed this database was sealed under (a kept secret-seed.old-* file or a `nascfg seed export`), \
                 or restore a backup with `nascfg backup restore FILE --seed-file SEED` \
                 (or `--allow-lost-secrets` to re-enter the secrets); nothing was changed"
                    .to_owned()
            }
            Error::SeedFile { problem, .. } => problem.hint().to_owned(),
            Error::ShareFile { problem, .. } => problem.hint(),
            Error::SeedShares { problem } => problem.hint(),
            Error::Unsafe { path, reason } => reason.fix(path),
            Error::SeedImportRefused { .. } => {
                "a seed is imported on an empty box or on the box sealed under it; to bring a bundle's \
                 secrets here use `nascfg backup restore FILE --seed-file SEED`, to give this box a new seed \
                 `nascfg seed rotate`; nothing was changed"
                    .to_owned()
            }
            Error::NewerSchema { .. } => {
                "use the newer nascfg that wrote this database; it was left unchanged".to_owned()
            }
            Error::NotADatabase { .. } => {
                "move the file away or point --data-dir at another directory; it was left unchanged"
                    .to_owned()
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
                "the stored value is damaged; re-enter it with `nascfg cred update NAME --set FIELD=VALUE`"
                    .to_owned()
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
                "check the passphrase (`ssh-keygen -y -f FILE` asks for it too); nothing was stored"
                    .to_owned()
            }
            Error::KeypairInUse { name, .. } => format!(
                "point those credentials at another key pair (`nascfg cred update CRED --set private_key=OTHER`), \
                 or delete it anyway with `nascfg keypair delete {name} --force`; nothing was changed"
            ),
            Error::InvalidName { .. } => {
                "names are 1 to 100 characters, without control characters".to_owned()
            }
            Error::NoDataDir => "pass --data-dir DIR".to_owned(),
            Error::Sqlite(_) | Error::Io { .. } => {
                "check the data directory's permissions and free space (`--data-dir`)".to_owned()
            }
            Error::Crypto(inner) => return inner.hint().map(str::to_owned),
        };
        Some(hint)
    }
}

pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
