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
    /// A seed file is missing, cannot be read, or is not 32 bytes (see [`load_seed`](crate::load_seed)).
    #[error("cannot read the secret seed {path}: {problem}")]
    SeedFile {
        /// The seed file.
        path: PathBuf,
        /// What is wrong with it.
        problem: crate::seed::SeedProblem,
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

pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
