//! The one refresher (RFC 6749 section 6), on the `oauth2` crate: used by `cred verify` and, later,
//! by remote backups. A refreshed token is handed to the caller's save callback, which stores it
//! under the data directory's writer lock, BEFORE the new access token is returned for use: a
//! single-use refresh token (Box) is never lost to a crash between the refresh and the save.

use nascfg_credentials::OAuthToken;
use nascfg_net::{Endpoints, HttpClient};
use oauth2::RefreshToken;
use secrecy::ExposeSecret as _;
use time::OffsetDateTime;

use crate::client::{adapter, request_error, token_client};
use crate::provider::OAuthProvider;
use crate::{Error, OAuthApp};

/// Stores a refreshed token (under the writer lock); an error text says why it could not.
pub type SaveToken<'a> = dyn FnMut(&OAuthToken) -> Result<(), String> + 'a;

/// A token ready for use.
#[derive(Debug)]
pub struct Fresh {
    /// The token whose access token is valid now.
    pub token: OAuthToken,
    /// Whether it was refreshed (and saved) to get there.
    pub refreshed: bool,
}

/// What one refresh needs: the provider, the app, and the way out.
#[derive(Debug)]
pub struct Refresher<'a> {
    /// The provider's facts.
    pub provider: &'static OAuthProvider,
    /// The app the token was issued to.
    pub app: &'a OAuthApp,
    /// The HTTP client (bounded by the caller's deadline).
    pub http: &'a HttpClient,
    /// The real services, or a test server.
    pub endpoints: &'a Endpoints,
    /// The API host the credential names (pCloud's `hostname`).
    pub hostname: Option<&'a str>,
}

impl Refresher<'_> {
    /// `token` when its access token is still valid at `now` (until 10 s before expiry);
    /// otherwise the refreshed token, which `save` has stored before this returns. A failed save
    /// fails the refresh: the new access token is not used.
    pub fn fresh(
        &self,
        token: &OAuthToken,
        now: OffsetDateTime,
        save: &mut SaveToken<'_>,
    ) -> Result<Fresh, Error> {
        if !token.is_expired_at(now) {
            return Ok(Fresh {
                token: token.clone(),
                refreshed: false,
            });
        }
        let refreshed = self.refresh(token, now)?;
        save(&refreshed).map_err(|e| Error::Save(crate::excerpt(&e)))?;
        Ok(Fresh {
            token: refreshed,
            refreshed: true,
        })
    }

    /// Refreshes `token` at the provider's token endpoint, whatever its expiry.
    pub fn refresh(&self, token: &OAuthToken, now: OffsetDateTime) -> Result<OAuthToken, Error> {
        let Some(refresh_token) = token.refresh_token() else {
            return Err(Error::NoRefreshToken);
        };
        let token_url = self
            .endpoints
            .url(&self.provider.token_url_for(self.hostname)?)?;
        let client = token_client(self.app, token_url);
        let mut secrets = self.app.secrets();
        secrets.push(refresh_token.expose_secret().to_owned());
        secrets.push(token.access_token().expose_secret().to_owned());
        let refresh = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let status = std::cell::Cell::new(None);
        let answer = client
            .exchange_refresh_token(&refresh)
            .request(&adapter(self.http, &status))
            .map_err(|e| request_error(e, status.get(), &secrets))?;
        Ok(answer.refresh_of(token, now))
    }
}
