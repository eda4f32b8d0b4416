//! Google Cloud Storage with a service-account key file: a JWT (RFC 7519) signed RS256 with the key
//! file's private key, exchanged at the key file's `token_uri` for an access token (the JWT bearer
//! grant, RFC 7523), then `GET storage/v1/b?project=<project_id>` (the project's buckets).
//!
//! The key file's `token_uri` is used as it is (it is also the JWT's audience), the endpoint override
//! applies to the JSON API only.

use base64::Engine as _;
use nascfg_credentials::ServiceAccountKey;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use time::OffsetDateTime;
use url::Url;

use crate::oauth::{api_error, api_url, oauth_error};
use crate::{Check, Failure, Outcome, Success};

/// Read-only access to Cloud Storage is all a check needs.
const SCOPE: &str = "https://www.googleapis.com/auth/devstorage.read_only";
/// How long the signed assertion is good for (Google allows at most an hour).
const LIFETIME_SECS: i64 = 3600;

/// Gets an access token for the service account and lists the project's buckets.
pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let text = check.secret("service_account_credentials")?;
    let key = ServiceAccountKey::parse(text.expose_secret()).map_err(|e| {
        Failure::with_detail("the service account key file is not valid", e.to_string())
    })?;
    let assertion = sign_assertion(&key, OffsetDateTime::now_utc().unix_timestamp())?;
    let token_url = Url::parse(key.token_uri())
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http") && u.host_str().is_some())
        .ok_or_else(|| Failure::new("the key file's token_uri is not an http(s) URL"))?;
    // The signed assertion is as good as an access token for its hour.
    let form = SecretString::from(
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
            .append_pair("assertion", assertion.expose_secret())
            .finish(),
    );
    let response =
        check
            .http
            .post_secret(&token_url, "application/x-www-form-urlencoded", &form)?;
    if !response.is_success() {
        return Err(Failure::with_detail(
            oauth_error(&response),
            format!(
                "the token endpoint {} refused the service account: {}",
                key.token_uri(),
                api_error(&response)
            ),
        ));
    }
    let json: Value = serde_json::from_str(&response.body).map_err(|_| {
        Failure::new(format!(
            "{}, but the token answer is not JSON",
            response.status_line()
        ))
    })?;
    let Some(access) = json
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    else {
        return Err(Failure::new(format!(
            "{}, but the token answer has no access_token",
            response.status_line()
        )));
    };
    let authorization = SecretString::from(format!("Bearer {access}"));
    let project: String =
        url::form_urlencoded::byte_serialize(key.project_id().as_bytes()).collect();
    let url = api_url(
        check,
        &format!("https://storage.googleapis.com/storage/v1/b?project={project}&maxResults=1"),
    )?;
    let headers = [
        ("authorization", authorization.expose_secret()),
        ("accept", "application/json"),
    ];
    let response = check.http.get(&url, &headers)?;
    if !response.is_success() {
        return Err(Failure::new(api_error(&response)));
    }
    Ok(Success::default())
}

/// The signed JWT: header `{"alg":"RS256","typ":"JWT"}`, claims `iss`, `scope`, `aud` (= token_uri),
/// `iat`, `exp`; `base64url(header).base64url(claims).base64url(RSASSA-PKCS1-v1_5-SHA256 signature)`.
fn sign_assertion(key: &ServiceAccountKey, now: i64) -> Result<SecretString, Failure> {
    let pem = key.private_key_pem().expose_secret();
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|_| Failure::new("the key file's private_key is not an RSA private key in PEM"))?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
    let claims = serde_json::json!({
        "iss": key.client_email(),
        "scope": SCOPE,
        "aud": key.token_uri(),
        "iat": now,
        "exp": now + LIFETIME_SECS,
    });
    let signing_input = format!(
        "{}.{}",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string())
    );
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(private);
    let signature = signer.try_sign(signing_input.as_bytes()).map_err(|_| {
        Failure::new("signing the token request with the key file's private key failed")
    })?;
    Ok(SecretString::from(format!(
        "{signing_input}.{}",
        b64.encode(signature.to_bytes())
    )))
}
