//! The one error type of nascfg-store.

use std::path::PathBuf;

use nascfg_credentials::ValidationErrors;
use nascfg_crypto::Fingerprint;

/// Everything that can go wrong in the store. No variant ever carries a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No credential or key pair of that name.
    #[error("no {what} named {name:?}")]
    NotFound {
        /// "credential" or "key pair".
        what: &'static str,
        /// The name asked for.
        name: String,
    },
    /// The name is taken.
    #[error("a {what} named {name:?} already exists")]
    Duplicate {
        /// "credential" or "key pair".
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
    /// The seed file cannot be read or is not a seed.
    #[error("cannot read the secret seed {path}: {reason}")]
    SeedUnreadable {
        /// The seed file.
        path: PathBuf,
        /// Why.
        reason: String,
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

pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
