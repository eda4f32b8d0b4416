//! Backblaze B2 (native API v2): `b2_authorize_account` with HTTP Basic `keyID:applicationKey`, then
//! `b2_list_buckets` at the returned `apiUrl` with the returned `authorizationToken` and `accountId`
//! (and the key's bucket, when the key is restricted to one).

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::oauth::{api_error, api_url};
use crate::{Check, Failure, Outcome, Success};

/// Where every B2 session starts.
const AUTHORIZE_URL: &str = "https://api.backblazeb2.com/b2api/v2/b2_authorize_account";

/// Authorizes the account and lists its buckets.
pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let account = check.secret("account")?.expose_secret().trim().to_owned();
    let key = check.secret("key")?.expose_secret().trim().to_owned();
    let basic = SecretString::from(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{account}:{key}"))
    ));
    let url = api_url(check, AUTHORIZE_URL)?;
    let response = check
        .http
        .get(&url, &[("authorization", basic.expose_secret())])?;
    if !response.is_success() {
        return Err(Failure::new(api_error(&response)));
    }
    let json: Value = serde_json::from_str(&response.body).map_err(|_| {
        Failure::new(format!(
            "{}, but the answer is not B2's JSON",
            response.status_line()
        ))
    })?;
    let field = |name: &str| {
        json.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let (Some(token), Some(api), Some(account_id)) = (
        field("authorizationToken"),
        field("apiUrl"),
        field("accountId"),
    ) else {
        return Err(Failure::new(format!(
            "{}, but the answer lacks authorizationToken, apiUrl or accountId",
            response.status_line()
        )));
    };
    let token = SecretString::from(token.to_owned());
    let mut body = serde_json::json!({"accountId": account_id});
    if let Some(bucket) = json.pointer("/allowed/bucketId").and_then(Value::as_str) {
        body["bucketId"] = bucket.into();
    }
    let list = api_url(
        check,
        &format!("{}/b2api/v2/b2_list_buckets", api.trim_end_matches('/')),
    )?;
    if !matches!(list.scheme(), "https" | "http") {
        return Err(Failure::new(
            "B2 answered with an apiUrl that is not an http(s) URL",
        ));
    }
    let headers = [
        ("authorization", token.expose_secret()),
        ("content-type", "application/json"),
    ];
    let response = check
        .http
        .send("POST", &list, &headers, Some(body.to_string().as_bytes()))?;
    if !response.is_success() {
        return Err(Failure::new(api_error(&response)));
    }
    Ok(Success::default())
}
