//! The one error type of nascfg-backup.

/// What went wrong pushing, listing or pulling a remote bundle. The wrapped
/// errors are shown as they are (their messages and hints): this crate adds
/// only what it alone decides.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The location or a transfer failed (scrubbed of the credential's secrets).
    #[error(transparent)]
    Remote(#[from] nascfg_remote::Error),
    /// The store could not give the credential, its key pair or host key.
    #[error(transparent)]
    Store(#[from] nascfg_store::Error),
    /// Writing or checking a bundle failed.
    #[error(transparent)]
    Bundle(#[from] nascfg_bundle::Error),
    /// A bundle with the seed but without a passphrase would leave the box.
    #[error(
        "refusing to push a bundle with the secret seed but without a passphrase: \
         anyone who can read {location} could open every secret"
    )]
    SeedWithoutPassphrase {
        /// `CRED:PATH`, where it would have gone.
        location: String,
    },
    /// The bytes could not be sent (the service or the bundle's source failed).
    #[error("upload to {location} failed")]
    Upload {
        /// `CRED:PATH/NAME`.
        location: String,
        /// What the copy said.
        #[source]
        source: std::io::Error,
    },
    /// The thread writing the bundle died.
    #[error("the export thread panicked")]
    ExportPanicked,
    /// A pulled bundle failed the checks of `backup inspect`.
    #[error("{location} failed its checks; nothing written")]
    Damaged {
        /// `CRED:PATH/NAME`.
        location: String,
        /// The check that failed.
        #[source]
        source: nascfg_bundle::Error,
    },
    /// A bundle file to push could not be read.
    #[error("cannot read {}", path.display())]
    ReadFile {
        /// The file.
        path: std::path::PathBuf,
        /// What reading said.
        #[source]
        source: std::io::Error,
    },
    /// The record of pushes could not be read or written.
    #[error("the push record {} cannot be used: {reason}", path.display())]
    Record {
        /// `push-record.json` in the data directory.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
    /// A file could not be written (`backup status --prometheus FILE`).
    #[error("cannot write {}", path.display())]
    WriteFile {
        /// The file.
        path: std::path::PathBuf,
        /// What writing said.
        #[source]
        source: std::io::Error,
    },
    /// A local file or pipe failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Remote(e) => e.hint(),
            Error::Store(e) => e.hint(),
            Error::Bundle(e) => e.hint(),
            Error::SeedWithoutPassphrase { .. } => {
                Some(
                    "give a passphrase, or recipients (--recipient, --recipients-file), or push without the seed"
                        .to_owned(),
                )
            }
            Error::Damaged { .. } => Some(
                "the copy on the service is damaged: pull another bundle (`nascfg backup list`)"
                    .to_owned(),
            ),
            Error::Record { path, .. } => Some(format!(
                "move {} aside: the next push starts a new record, and `backup status` reads the \
                 destination meanwhile",
                path.display()
            )),
            Error::WriteFile { .. } => Some(
                "check that the directory exists and is writable (node_exporter's \
                 --collector.textfile.directory)"
                    .to_owned(),
            ),
            Error::Upload { .. }
            | Error::ExportPanicked
            | Error::ReadFile { .. }
            | Error::Io(_) => None,
        }
    }

    /// A short, secret-free word for the kind of failure, as the record and
    /// the `fail` ping carry it: `service`, `timed-out`, `not-found`,
    /// `store`, `bundle`, `refused`, `upload`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Remote(e) => e.kind(),
            Error::Store(_) => "store",
            Error::Bundle(_) => "bundle",
            Error::SeedWithoutPassphrase { .. } => "refused",
            Error::Upload { .. } => "upload",
            Error::ExportPanicked => "export",
            Error::Damaged { .. } => "damaged",
            Error::ReadFile { .. } => "read-file",
            Error::Record { .. } => "record",
            Error::WriteFile { .. } => "write-file",
            Error::Io(_) => "io",
        }
    }
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
