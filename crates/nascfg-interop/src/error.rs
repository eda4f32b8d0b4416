//! The crate's one error type, and the guidance each error carries.

use std::path::PathBuf;

/// Everything that can go wrong reading another system's backup or
/// configuration file, importing it, or writing an rclone.conf.
///
/// No variant ever carries secret bytes. Every variant has its guidance in
/// [`Error::hint`], so a new variant does not compile until it has one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading an input file (a TrueNAS backup, a pwenc_secret file) failed,
    /// or the private temporary directory for the database copy could not be
    /// made.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A TrueNAS backup tar failed the safe reader's checks (a link, an
    /// unsafe name, a duplicate or oversized member). Truncated or damaged
    /// tars are reported as [`Error::NotTruenasBackup`] instead.
    #[error(transparent)]
    Archive(nascfg_tar::Error),
    /// A TrueNAS pwenc secret is not exactly 32 bytes.
    #[error("the TrueNAS pwenc secret must be exactly 32 bytes, not {len}")]
    PwencSecretLength {
        /// Its length.
        len: usize,
    },
    /// A pwenc value cannot be decrypted: not base64, too short, or not
    /// UTF-8 once decrypted (a wrong secret or a damaged value).
    #[error("a TrueNAS encrypted value cannot be read (wrong pwenc secret or damaged value)")]
    PwencMalformed,
    /// The TrueNAS backup carries no pwenc secret and none was given.
    #[error("the TrueNAS backup has no pwenc_secret, so its credentials cannot be read")]
    PwencSecretMissing,
    /// The pwenc secret does not open the backup's check value (or, without
    /// one, none of its encrypted values).
    #[error(
        "the pwenc secret does not match this TrueNAS database (stg_pwenc_check does not open), so its credentials cannot be read"
    )]
    PwencSecretWrong,
    /// The input is neither a TrueNAS backup tar nor a TrueNAS database.
    #[error("not a TrueNAS configuration backup: {reason}")]
    NotTruenasBackup {
        /// Why, in words.
        reason: String,
    },
    /// An rclone.conf cannot be read.
    #[error("cannot read the rclone.conf (line {line}): {message}")]
    RcloneConf {
        /// The line (1-based; 0 for the whole file).
        line: usize,
        /// What is wrong (never a value).
        message: String,
    },
    /// The rclone.conf is encrypted and no password was given.
    #[error("the rclone.conf is encrypted and no password was given")]
    RclonePasswordNeeded,
    /// The rclone.conf password is wrong (or the file is damaged).
    #[error("the rclone.conf password is wrong, or the file is damaged")]
    RcloneWrongPassword,
    /// A value is not obscured the way rclone obscures.
    #[error("a value is not obscured as rclone obscures (input too short or not base64)")]
    NotObscured,
    /// The store refused or failed (a name that does not exist, a secret
    /// that cannot be opened, the transaction).
    #[error(transparent)]
    Store(#[from] nascfg_store::Error),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What to do about any input that is not a readable TrueNAS backup.
const GIVE_A_TRUENAS_BACKUP: &str = "give a TrueNAS configuration backup (the .tar with freenas-v1.db and pwenc_secret, \
     or freenas-v1.db with --pwenc-secret); nothing was imported";

impl Error {
    /// What the user can do next, for a `hint:` line. A store error gives
    /// the store's guidance.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            Error::Io { .. } => "check the path and its permissions; nothing was imported",
            Error::Archive(_) | Error::NotTruenasBackup { .. } => GIVE_A_TRUENAS_BACKUP,
            Error::PwencSecretMissing => {
                "give the TrueNAS pwenc_secret with --pwenc-secret FILE, or export the configuration from TrueNAS \
                 with \"Export Password Secret Seed\"; nothing was imported"
            }
            Error::PwencSecretWrong | Error::PwencMalformed => {
                "give the pwenc_secret of the TrueNAS system that wrote this backup (--pwenc-secret FILE); \
                 nothing was imported"
            }
            Error::PwencSecretLength { .. } => {
                "a TrueNAS pwenc_secret file is exactly 32 bytes; nothing was imported"
            }
            Error::RclonePasswordNeeded => {
                "give the rclone config password with --passphrase-env VAR or --passphrase-file FILE (or RCLONE_CONFIG_PASS); nothing was imported"
            }
            Error::RcloneWrongPassword => "check the rclone config password; nothing was imported",
            Error::RcloneConf { .. } => {
                "check that the file is an rclone.conf (`rclone --config FILE config dump`)"
            }
            Error::NotObscured => {
                "give the value as `rclone obscure` writes it (or as it stands in rclone.conf)"
            }
            Error::Store(inner) => return inner.hint(),
        };
        Some(hint.to_owned())
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
