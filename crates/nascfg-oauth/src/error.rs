//! The one error of the OAuth flows. No variant holds an authorization code, a token or a client
//! secret: what a server or a redirect says is cut to one line and scrubbed of them first.

use nascfg_credentials::ProviderKind;

/// Why a login or a refresh failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The provider has no OAuth login.
    #[error("{0} has no OAuth login")]
    NotOAuth(ProviderKind),
    /// No client id was given.
    #[error("{} needs your own OAuth app's client_id", .provider.title())]
    MissingClientId {
        /// The provider.
        provider: ProviderKind,
        /// Where docs/OAUTH.md explains it: `docs/OAUTH.md#box`.
        doc: String,
    },
    /// The provider needs the app's client secret and none was given.
    #[error("{} needs your OAuth app's client_secret", .provider.title())]
    MissingClientSecret {
        /// The provider.
        provider: ProviderKind,
        /// Where docs/OAUTH.md explains it.
        doc: String,
    },
    /// `--device` for a provider without the device grant.
    #[error("{0} has no device login")]
    NoDeviceGrant(ProviderKind),
    /// The redirect's `state` is not the one this login sent.
    #[error("the redirect's state does not match this login's (a stale or forged redirect)")]
    StateMismatch,
    /// The provider answered the authorization with an error (`error=access_denied`).
    #[error("the provider refused the authorization: {0}")]
    Denied(String),
    /// A pasted string that is not this login's redirect (or a code where one is taken).
    #[error("{0}")]
    NotARedirect(String),
    /// No redirect arrived before the login's time ran out.
    #[error("no redirect arrived within {0} s")]
    LoginTimedOut(u64),
    /// A request other than the redirect reached the loopback port first (another program,
    /// not the browser coming back from the provider).
    #[error("a request for {0} reached the login's loopback port before the provider's redirect")]
    StrayRequest(String),
    /// The loopback listener failed.
    #[error("the loopback listener failed: {0}")]
    Loopback(String),
    /// The token endpoint refused (`invalid_grant: ...`).
    #[error("the token endpoint refused: {0}")]
    Refused(String),
    /// The token endpoint's answer is not a token.
    #[error("the token endpoint's answer is not a token: {0}")]
    BadAnswer(String),
    /// The device code expired before the user approved.
    #[error("the device code expired before the login was approved")]
    DeviceExpired,
    /// The user declined the device login.
    #[error("the device login was declined")]
    DeviceDenied,
    /// The access token expired and there is no refresh token.
    #[error("the access token has expired and there is no refresh token")]
    NoRefreshToken,
    /// Saving a refreshed token failed; the new access token was not used.
    #[error("the refreshed token could not be saved, so it was not used: {0}")]
    Save(String),
    /// The stored token is not rclone token JSON.
    #[error("the token is not rclone token JSON: {0}")]
    BadToken(String),
    /// An API host that is not the provider's (pCloud's `hostname`).
    #[error("{0:?} is not one of the provider's API hosts")]
    BadHostname(String),
    /// The OneDrive account has no drive.
    #[error("the account has no OneDrive drive")]
    NoDrives,
    /// Several drives and no choice.
    #[error("the account has several drives; choose one:\n{0}")]
    ChooseDrive(String),
    /// `drive_id` names no drive of the account.
    #[error("drive {id:?} is not one of the account's drives:\n{listing}")]
    UnknownDrive {
        /// The id given.
        id: String,
        /// The drives, one per line.
        listing: String,
    },
    /// The drive list is not Graph's answer.
    #[error("listing the drives failed: {0}")]
    Drives(String),
    /// A network failure or time-out.
    #[error(transparent)]
    Net(#[from] nascfg_net::Error),
}

impl Error {
    /// What to do next.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::NotOAuth(_) => {
                "`nascfg cred add` stores the provider's credentials; only Google Drive, Google Photos, OneDrive, Dropbox, Box, pCloud and Yandex log in with OAuth".to_owned()
            }
            Error::MissingClientId { doc, .. } => format!(
                "nascfg ships no OAuth app: register your own and give --set client_id=... (and --set client_secret=...); {doc} says how"
            ),
            Error::MissingClientSecret { doc, .. } => {
                format!("give --set client_secret=...; {doc} says where to find it")
            }
            Error::NoDeviceGrant(_) => {
                "use --paste on a box without a browser (or the default loopback login)".to_owned()
            }
            Error::StateMismatch => {
                "start the login again and paste the address the browser shows for THIS login".to_owned()
            }
            Error::Denied(_) => "start the login again and approve the access".to_owned(),
            Error::NotARedirect(_) => {
                "paste the whole address from the browser's address bar (it starts with http://127.0.0.1)".to_owned()
            }
            Error::LoginTimedOut(_) => {
                "start again and finish the login in the browser in time, or give --timeout SECONDS".to_owned()
            }
            Error::StrayRequest(_) => {
                "another program on this machine reached the login's port; nothing was stored: \
                 start the login again (or use --paste)"
                    .to_owned()
            }
            Error::Loopback(_) => {
                "use --paste, or free the port (another program may be using it)".to_owned()
            }
            Error::Refused(_) => {
                "log in again; check the app's client_id and client_secret and its registered redirect URI".to_owned()
            }
            Error::BadAnswer(_) => "check the endpoints; try again later".to_owned(),
            Error::DeviceExpired => {
                "start again and approve within the time the provider allows".to_owned()
            }
            Error::DeviceDenied => "start again and approve the access".to_owned(),
            Error::NoRefreshToken | Error::BadToken(_) => {
                "log in to the provider again: `nascfg cred login NAME`".to_owned()
            }
            Error::Save(_) => {
                "check the data directory (disk space, permissions) and log in again if the refresh token was single use".to_owned()
            }
            Error::BadHostname(_) => "the host must be api.pcloud.com or eapi.pcloud.com".to_owned(),
            Error::NoDrives => "create the OneDrive (sign in once at onedrive.com) and log in again".to_owned(),
            Error::ChooseDrive(_) | Error::UnknownDrive { .. } => {
                "give --set drive_id=ID with one of the ids above".to_owned()
            }
            Error::Drives(_) => "try again; check that the app may read files (Files.ReadWrite.All)".to_owned(),
            Error::Net(e) => return e.hint().map(str::to_owned),
        })
    }
}
