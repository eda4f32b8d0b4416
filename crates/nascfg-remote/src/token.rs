//! The OAuth token the rclone engine is handed.
//!
//! rclone gets the credential through its environment with `--config /dev/null`: a token it
//! refreshed itself could not be written back, and a provider whose refresh tokens work once
//! (Box, Microsoft) would then hold a spent one, so the credential would be dead after one push.
//! So rclone never refreshes: it is handed an access token that lasts the whole operation and no
//! refresh token. When the stored access token would expire within the operation's deadline,
//! nascfg-oauth's [`Refresher`] refreshes it first, and the caller's save callback stores the
//! new token (under the data directory's writer lock) before it is used — the same callback
//! `cred verify` hands the refresher.

use std::time::Duration;

use nascfg_credentials::{Credential, OAuthToken};
use nascfg_net::{Deadline, Endpoints, HttpClient};
use nascfg_oauth::{OAuthApp, Refresher, SaveToken};
use secrecy::ExposeSecret as _;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::{Error, Result};

/// The credential as the rclone engine gets it.
#[derive(Debug)]
pub struct RcloneCredential {
    /// The credential with its `token` replaced by one without a refresh token (unchanged
    /// when it holds no OAuth token).
    pub credential: Credential,
    /// Whether the token was refreshed (and saved) to get there.
    pub refreshed: bool,
}

/// `credential`'s OAuth token (if it has one) made fit for the rclone engine: refreshed first,
/// and handed to `save` before use, when its access token expires within `lasting` (the
/// operation's deadline; one refresh per operation at worst); then stripped of its refresh
/// token, so that rclone cannot spend it. A credential without an OAuth token, or whose token
/// does not expire, is left as is but for the refresh token.
pub fn rclone_credential(
    credential: &Credential,
    lasting: Duration,
    connect_timeout: Duration,
    save: &mut SaveToken<'_>,
) -> Result<RcloneCredential> {
    let unchanged = || RcloneCredential {
        credential: credential.clone(),
        refreshed: false,
    };
    let Some(text) = credential.secret("token") else {
        return Ok(unchanged());
    };
    let Ok(token) = OAuthToken::parse(text.expose_secret()) else {
        return Ok(unchanged());
    };
    let now = OffsetDateTime::now_utc();
    let lasting = time::Duration::try_from(lasting).unwrap_or(time::Duration::MAX);
    let ends = now.saturating_add(lasting);
    let expires_during = token.expiry().is_some_and(|e| e <= ends) || token.is_expired_at(now);
    let (token, refreshed) = match nascfg_oauth::oauth_provider(credential.provider()) {
        Some(provider) if expires_during => {
            let app = OAuthApp::for_refresh(
                credential.text("client_id"),
                credential.secret("client_secret").cloned(),
            );
            let http = HttpClient::new(connect_timeout, Deadline::after(connect_timeout * 4));
            let endpoints = endpoints();
            let refresher = Refresher {
                provider,
                app: &app,
                http: &http,
                endpoints: &endpoints,
                hostname: credential.text("hostname").filter(|h| !h.is_empty()),
            };
            let refused = |message: String| Error::TokenRefresh {
                credential: credential.name().to_owned(),
                message,
            };
            let new = refresher
                .refresh(&token, now)
                .map_err(|e| refused(e.to_string()))?;
            save(&new)
                .map_err(|e| refused(format!("the refreshed token could not be saved: {e}")))?;
            (new, true)
        }
        _ => (token, false),
    };
    let mut json: Map<String, Value> = serde_json::from_str(token.to_json_string().expose_secret())
        .expect("a token serializes to a JSON object");
    json.remove("refresh_token");
    let mut changes = Map::new();
    changes.insert(
        "token".to_owned(),
        Value::String(Value::Object(json).to_string()),
    );
    let credential = credential
        .updated(changes)
        .map_err(|e| Error::TokenRefresh {
            credential: credential.name().to_owned(),
            message: format!("the token without its refresh token is refused: {e}"),
        })?;
    Ok(RcloneCredential {
        credential,
        refreshed,
    })
}

/// Where token requests go: the real token endpoints; in builds with the feature
/// `test-endpoints` (tests only), the base URL in `NASCFG_VERIFY_ENDPOINT` when set, as for
/// `cred verify` and `cred login`.
fn endpoints() -> Endpoints {
    #[cfg(feature = "test-endpoints")]
    if let Some(base) = std::env::var("NASCFG_VERIFY_ENDPOINT")
        .ok()
        .and_then(|v| url::Url::parse(&v).ok())
    {
        return Endpoints::overridden(base);
    }
    Endpoints::real()
}
