//! "Log in to provider": the OAuth facts of the seven OAuth providers as one table
//! ([`PROVIDERS`]), the authorization-code flow with PKCE (S256) and `state` on a loopback
//! redirect (RFC 8252) or a pasted redirect ([`Login`], [`Loopback`]), the device grant
//! (RFC 8628, [`DeviceLogin`]), and the one token refresher ([`Refresher`]).
//!
//! Token exchange and refresh go through the `oauth2` crate over a small adapter to
//! nascfg-net's HTTP client: one HTTP stack. Tokens keep rclone's JSON shape
//! ([`nascfg_credentials::OAuthToken`]). Errors never hold an authorization code, a token or a
//! client secret.
//!
//! Architecture invariant: nascfg-oauth knows nothing of verification or of the store; it
//! returns tokens and its own errors, and saving a refreshed token is the caller's callback.
//!
//! ```
//! use nascfg_credentials::ProviderKind;
//! use nascfg_oauth::{Login, Network, OAuthApp, oauth_provider, redirect_uri};
//!
//! let box_com = oauth_provider(ProviderKind::Box).unwrap();
//! let app = OAuthApp::for_login(box_com, Some("my-app"), Some("s3cret".to_owned().into())).unwrap();
//! let login = Login::start(box_com, app, redirect_uri(53682), &Network::default()).unwrap();
//! assert!(login.authorization_url().as_str().starts_with("https://account.box.com/api/oauth2/authorize?"));
//! assert!(login.pasted("http://127.0.0.1:53682/?code=x&state=wrong").is_err());
//! ```
#![deny(missing_docs)]

mod client;
mod device;
mod doc;
mod drives;
mod error;
mod login;
mod provider;
mod refresh;
mod token;

/// One line of untrusted text, at most 200 characters, for an error.
pub(crate) fn excerpt(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let clean: String = line.chars().filter(|c| !c.is_control()).collect();
    nascfg_net::truncate(&clean, 200)
}

/// `text` with every one of `secrets` replaced.
pub(crate) fn scrubbed(text: &str, secrets: &[String]) -> String {
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    nascfg_net::scrub(text, &secrets)
}

pub use crate::client::{Network, OAuthApp};
pub use crate::device::DeviceLogin;
pub use crate::doc::oauth_doc;
pub use crate::drives::{
    ChooseDrive, Drive, GRAPH_DRIVES, choose_drive, onedrive_drives, parse_drives,
};
pub use crate::error::Error;
pub use crate::login::{
    Callback, Login, Loopback, Obtained, loopback_port, parse_pasted, paste_port, redirect_uri,
};
pub use crate::provider::{
    ClientSecret, FIXED_PORT, OAuthProvider, PROVIDERS, Pkce, RedirectPort, RefreshTokens,
    TokenHost, oauth_provider,
};
pub use crate::refresh::{Fresh, Refresher, SaveToken};
pub use crate::token::TokenAnswer;
pub use nascfg_net;
pub use oauth2;
