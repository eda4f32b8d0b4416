//! Backblaze B2 native API v2: `b2_authorize_account` (HTTP Basic `keyID:applicationKey`) and
//! `b2_list_buckets` (the returned `authorizationToken`, for the returned `accountId`).

use std::sync::{Arc, Mutex};

use base64::Engine as _;

use super::{Request, Response, Standin};

/// The account ID the stand-in reports (a master key's key ID equals it; an application key's does not).
pub const ACCOUNT_ID: &str = "e0a1b2c3d4e5";

/// A running B2 stand-in.
#[derive(Debug)]
pub struct B2 {
    /// The server.
    pub standin: Standin,
    tokens: Arc<Mutex<Vec<String>>>,
}

impl B2 {
    /// Starts a stand-in that knows one application key.
    pub fn start(key_id: &str, application_key: &str) -> B2 {
        let tokens = Arc::new(Mutex::new(Vec::new()));
        let (key_id, application_key) = (key_id.to_owned(), application_key.to_owned());
        let issued = Arc::clone(&tokens);
        let standin =
            Standin::start(move |request| answer(request, &key_id, &application_key, &issued));
        B2 { standin, tokens }
    }

    /// The endpoint override for the verifier.
    pub fn url(&self) -> &str {
        self.standin.url()
    }

    /// The authorization tokens issued so far.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.tokens.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

fn error(status: u16, code: &str, message: &str) -> Response {
    Response::json(
        status,
        &serde_json::json!({"status": status, "code": code, "message": message}),
    )
}

fn answer(
    request: &Request,
    key_id: &str,
    application_key: &str,
    tokens: &Mutex<Vec<String>>,
) -> Response {
    match request.path.as_str() {
        "/b2api/v2/b2_authorize_account" => {
            let given = request
                .authorization("Basic")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            if given.as_deref() != Some(&format!("{key_id}:{application_key}")) {
                return error(401, "unauthorized", "");
            }
            let token = {
                let mut t = tokens.lock().unwrap_or_else(|e| e.into_inner());
                let token = format!("4_002a{}_auth_token", t.len() + 1);
                t.push(token.clone());
                token
            };
            Response::json(
                200,
                &serde_json::json!({
                    "accountId": ACCOUNT_ID,
                    "authorizationToken": token,
                    "allowed": {"capabilities": ["listBuckets", "listFiles", "readFiles"], "bucketId": null, "bucketName": null, "namePrefix": null},
                    "apiUrl": "https://api002.backblazeb2.com",
                    "downloadUrl": "https://f002.backblazeb2.com",
                    "recommendedPartSize": 100000000,
                    "absoluteMinimumPartSize": 5000000,
                    "s3ApiUrl": "https://s3.us-west-002.backblazeb2.com"
                }),
            )
        }
        "/b2api/v2/b2_list_buckets" => {
            let token = request.header("authorization").unwrap_or("");
            let known = tokens
                .lock()
                .map(|t| t.iter().any(|k| k == token))
                .unwrap_or(false);
            if !known {
                return error(401, "bad_auth_token", "Invalid authorization token");
            }
            let account = request
                .json()
                .get("accountId")
                .and_then(|a| a.as_str())
                .map(str::to_owned);
            if account.as_deref() != Some(ACCOUNT_ID) {
                return error(401, "unauthorized", "");
            }
            Response::json(
                200,
                &serde_json::json!({"buckets": [{"accountId": ACCOUNT_ID, "bucketId": "4a48fe8875c6214145260818",
                    "bucketName": "nas-backups", "bucketType": "allPrivate", "bucketInfo": {}, "revision": 1}]}),
            )
        }
        _ => Response::not_found(request),
    }
}
