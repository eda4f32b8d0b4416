//! An OAuth 2.0 authorization server's token endpoint (RFC 6749 section 6, refreshing an access token),
//! and the book of tokens the resource APIs accept.

use std::collections::BTreeSet;
use std::sync::Mutex;

use base64::Engine as _;

use super::{Request, Response};

/// The tokens and client credentials one provider's stand-in knows.
#[derive(Debug)]
pub struct TokenBook {
    client_id: String,
    client_secret: String,
    token_type: String,
    rotates_refresh_tokens: bool,
    invalid_grant_description: String,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    access: BTreeSet<String>,
    refresh: BTreeSet<String>,
    issued_access: Vec<String>,
    issued_refresh: Vec<String>,
}

impl TokenBook {
    /// A book for an OAuth client; `token_type` is what the token endpoint says (`Bearer`, `OAuth`).
    pub fn new(client_id: &str, client_secret: &str, token_type: &str) -> TokenBook {
        TokenBook {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            token_type: token_type.into(),
            rotates_refresh_tokens: false,
            invalid_grant_description: "Token has been expired or revoked.".into(),
            state: Mutex::new(State::default()),
        }
    }

    /// Refresh tokens are single use: each refresh answers with a new one (as Box and Microsoft do).
    pub fn rotating_refresh_tokens(mut self) -> TokenBook {
        self.rotates_refresh_tokens = true;
        self
    }

    /// The `error_description` of an `invalid_grant` answer.
    pub fn invalid_grant_says(mut self, description: &str) -> TokenBook {
        self.invalid_grant_description = description.into();
        self
    }

    /// Accepts `token` as an access token.
    pub fn grant_access(&self, token: &str) {
        self.with(|s| {
            s.access.insert(token.into());
        });
    }

    /// Accepts `token` as a refresh token.
    pub fn grant_refresh(&self, token: &str) {
        self.with(|s| {
            s.refresh.insert(token.into());
        });
    }

    /// Whether `token` is a live access token.
    pub fn is_valid_access(&self, token: &str) -> bool {
        self.with(|s| s.access.contains(token))
    }

    /// The access tokens issued by refreshing, oldest first.
    pub fn issued_access(&self) -> Vec<String> {
        self.with(|s| s.issued_access.clone())
    }

    /// The refresh tokens issued by rotation, oldest first.
    pub fn issued_refresh(&self) -> Vec<String> {
        self.with(|s| s.issued_refresh.clone())
    }

    /// The token type the endpoint issues.
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Answers a token request: `POST` with a form `grant_type=refresh_token&refresh_token=...`,
    /// client credentials in the form (`client_id`, `client_secret`) or as HTTP Basic.
    pub fn token_endpoint(&self, request: &Request) -> Response {
        if request.method != "POST" {
            return Response::json(
                405,
                &serde_json::json!({"error": "invalid_request", "error_description": "POST required"}),
            );
        }
        let form = request.form();
        let (mut client_id, mut client_secret) = (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        );
        if let Some(basic) = request.authorization("Basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(basic)
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&decoded).into_owned();
            if let Some((id, secret)) = text.split_once(':') {
                client_id = super::parse_form(&format!("a={id}"))
                    .remove("a")
                    .unwrap_or_default();
                client_secret = super::parse_form(&format!("a={secret}"))
                    .remove("a")
                    .unwrap_or_default();
            }
        }
        if client_id != self.client_id {
            return oauth_error(401, "invalid_client", "The OAuth client was not found.");
        }
        if client_secret != self.client_secret {
            return oauth_error(401, "invalid_client", "Unauthorized");
        }
        match form.get("grant_type").map(String::as_str) {
            Some("refresh_token") => {}
            Some(other) => {
                return oauth_error(
                    400,
                    "unsupported_grant_type",
                    &format!("Invalid grant_type: {other}"),
                );
            }
            None => {
                return oauth_error(
                    400,
                    "invalid_request",
                    "Missing required parameter: grant_type",
                );
            }
        }
        let Some(refresh) = form.get("refresh_token") else {
            return oauth_error(
                400,
                "invalid_request",
                "Missing required parameter: refresh_token",
            );
        };
        let rotates = self.rotates_refresh_tokens;
        let issued = self.with(|s| {
            if !s.refresh.contains(refresh) {
                return None;
            }
            let n = s.issued_access.len() + 1;
            let access = format!("issued-access-{n}");
            s.access.insert(access.clone());
            s.issued_access.push(access.clone());
            let new_refresh = rotates.then(|| {
                s.refresh.remove(refresh);
                let r = format!("issued-refresh-{n}");
                s.refresh.insert(r.clone());
                s.issued_refresh.push(r.clone());
                r
            });
            Some((access, new_refresh))
        });
        let Some((access, new_refresh)) = issued else {
            return oauth_error(400, "invalid_grant", &self.invalid_grant_description);
        };
        let mut body = serde_json::json!({
            "access_token": access,
            "token_type": self.token_type,
            "expires_in": 3599,
        });
        if let Some(r) = new_refresh {
            body["refresh_token"] = r.into();
        }
        Response::json(200, &body).with_header("Cache-Control", "no-store")
    }
}

/// An RFC 6749 section 5.2 error answer.
pub fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    Response::json(
        status,
        &serde_json::json!({"error": error, "error_description": description}),
    )
}
