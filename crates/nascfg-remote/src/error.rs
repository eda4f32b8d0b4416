//! The one error type of nascfg-remote.

use std::path::PathBuf;

/// What went wrong with a remote location or a transfer. Never holds a secret:
/// a service's answer is scrubbed of the credential's secrets before it gets here.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `CRED:PATH` could not be parsed.
    #[error("{given:?} is not a remote location: {reason}")]
    Location {
        /// What was given.
        given: String,
        /// Why it is not one.
        reason: String,
    },
    /// The credential's provider has no engine here, or its fields do not
    /// configure one.
    #[error("credential {credential} ({provider}) cannot hold backups: {reason}")]
    Unsupported {
        /// The credential's name.
        credential: String,
        /// Its provider.
        provider: String,
        /// Why.
        reason: String,
    },
    /// The service refused or failed an operation.
    #[error("{operation} {location}: {message}")]
    Service {
        /// `upload`, `list`, `read`, `stat`, `delete`, `connect`.
        operation: &'static str,
        /// `CRED:PATH[/NAME]`.
        location: String,
        /// What the service or transport said (one line, secrets scrubbed).
        message: String,
    },
    /// The object does not exist.
    #[error("{location} does not exist")]
    NotFound {
        /// `CRED:PATH/NAME`.
        location: String,
    },
    /// The operation ran past its deadline.
    #[error("{operation} {location}: timed out after {seconds} s")]
    TimedOut {
        /// What was running.
        operation: &'static str,
        /// Where.
        location: String,
        /// The limit that was hit.
        seconds: u64,
    },
    /// The object read back differs from what was uploaded.
    #[error("{location}: the upload did not read back intact ({what})")]
    ReadBack {
        /// `CRED:PATH/NAME`.
        location: String,
        /// `size 10 != 12`, `sha256 ... != ...`.
        what: String,
    },
    /// The credential's OAuth token had to be refreshed before rclone could be handed it,
    /// and that failed (or the new token could not be saved).
    #[error("credential {credential}: refreshing its OAuth token failed: {message}")]
    TokenRefresh {
        /// The credential's name.
        credential: String,
        /// Why (never a token).
        message: String,
    },
    /// The rclone binary is not installed.
    #[error("rclone is not installed (needed for {provider} credentials)")]
    RcloneMissing {
        /// The provider that needs it.
        provider: String,
    },
    /// A `--ping-url` is not one.
    #[error("not a usable ping URL: {reason}")]
    PingUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// A ping was not answered with success.
    #[error("the {signal} ping to {url} failed: {message}")]
    Ping {
        /// `start`, `success`, `fail`.
        signal: &'static str,
        /// The URL's scheme and host only (its path is a capability).
        url: String,
        /// What the transport or the service said.
        message: String,
    },
    /// A local file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl Error {
    /// An [`Error::Service`]: what `operation` at `location` met.
    pub(crate) fn service(operation: &'static str, location: String, message: String) -> Error {
        Error::Service {
            operation,
            location,
            message,
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::Location { .. } => "give CRED:PATH, e.g. `s3-backups:my-bucket/nas1` (bucket first for S3, B2, GCS, Azure, Swift; a folder for SFTP, FTP and WebDAV)".into(),
            Error::Unsupported { credential, .. } => format!("`nascfg cred show {credential}` shows its fields; see docs/ARCHITECTURE.md (nascfg-remote) for the engines"),
            Error::Service { .. } => "check the location and the credential (`nascfg cred verify NAME`); `-v` may say more".into(),
            Error::NotFound { .. } => "`nascfg backup list CRED:PATH` lists the bundles there".into(),
            Error::TimedOut { .. } => "raise --timeout / --connect-timeout, or check the network".into(),
            Error::ReadBack { .. } => "the copy on the service cannot be trusted: push again, and check the service".into(),
            Error::TokenRefresh { credential, .. } => format!("`nascfg cred verify {credential}` checks the token; if the provider refuses it, log in again with `nascfg cred login {credential}`"),
            Error::RcloneMissing { .. } => "install rclone (`apt-get install rclone` on Debian)".into(),
            Error::PingUrl { .. } => "give the check's ping URL, e.g. https://hc-ping.com/<uuid>".into(),
            Error::Ping { .. } => "check the ping URL and the network; the push itself is not affected".into(),
            Error::Io { .. } => return None,
        })
    }

    /// A short, secret-free word for the kind of failure (for the push
    /// record and the `fail` ping).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Location { .. } => "location",
            Error::Unsupported { .. } => "unsupported",
            Error::Service { .. } => "service",
            Error::NotFound { .. } => "not-found",
            Error::TimedOut { .. } => "timed-out",
            Error::ReadBack { .. } => "read-back",
            Error::RcloneMissing { .. } => "rclone-missing",
            Error::TokenRefresh { .. } => "token-refresh",
            Error::PingUrl { .. } | Error::Ping { .. } => "ping",
            Error::Io { .. } => "io",
        }
    }

    /// Whether the error means the object does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
