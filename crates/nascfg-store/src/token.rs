//! Saving a refreshed OAuth token: the one path every refresher's save callback takes
//! (`cred verify`, the web UI's Verify, the rclone engine of remote backups).

use nascfg_credentials::OAuthToken;
use secrecy::ExposeSecret as _;
use serde_json::{Map, Value};

use crate::{Error, Store, WriteGuard};

impl Store {
    /// Stores `token` as credential `name`'s `token`, under `guard` (the caller took the writer
    /// lock before it read the token it refreshed, so that no other command spends the same
    /// single-use refresh token meanwhile). Call it before the new access token is used.
    pub fn save_token(
        &mut self,
        guard: &WriteGuard,
        name: &str,
        token: &OAuthToken,
    ) -> Result<(), Error> {
        let mut changes = Map::new();
        changes.insert(
            "token".to_owned(),
            Value::String(token.to_json_string().expose_secret().to_owned()),
        );
        let updated = self
            .credential(name)?
            .updated(changes)
            .map_err(Error::Invalid)?;
        self.replace_credential_under(guard, name, &updated)
    }
}
