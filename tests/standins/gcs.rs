//! Google Cloud Storage with a service account: the OAuth 2.0 token endpoint for the JWT bearer grant
//! (RFC 7523; the assertion's RS256 signature checked with the service account's public key, its
//! `iss`, `aud`, `scope`, `iat` and `exp`), and the JSON API's bucket listing.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rsa::pkcs8::{EncodePrivateKey as _, LineEnding};
use rsa::signature::Verifier as _;
use rsa::{RsaPrivateKey, RsaPublicKey};

use super::oauth::oauth_error;
use super::{Request, Response, Standin};

/// The project of the test service account.
pub const PROJECT_ID: &str = "nascfg-test-project";
/// The service account's e-mail (the JWT's `iss`).
pub const CLIENT_EMAIL: &str = "backup@nascfg-test-project.iam.gserviceaccount.com";

/// A service account key pair, generated once per test process (2048-bit, as Google issues).
pub fn service_account_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(generate_key)
}

/// Another key pair: a key file signed with it is refused ("Invalid JWT Signature.").
pub fn other_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(generate_key)
}

fn generate_key() -> RsaPrivateKey {
    RsaPrivateKey::new(&mut rand_core::OsRng, 2048).expect("generate an RSA key")
}

/// A service-account JSON key file as Google's console downloads it, with `token_uri` pointing where given.
pub fn key_file(key: &RsaPrivateKey, token_uri: &str) -> String {
    let pem = key.to_pkcs8_pem(LineEnding::LF).expect("PKCS#8 PEM");
    serde_json::json!({
        "type": "service_account",
        "project_id": PROJECT_ID,
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": pem.as_str(),
        "client_email": CLIENT_EMAIL,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/backup%40nascfg-test-project.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com"
    })
    .to_string()
}

/// A running GCS stand-in (token endpoint at `/token`, JSON API at `/storage/v1`).
#[derive(Debug)]
pub struct Gcs {
    /// The server.
    pub standin: Standin,
    tokens: Arc<Mutex<Vec<String>>>,
}

impl Gcs {
    /// Starts a stand-in that trusts the public half of `key` for [`CLIENT_EMAIL`].
    pub fn start(key: &RsaPrivateKey) -> Gcs {
        let public = RsaPublicKey::from(key);
        let tokens = Arc::new(Mutex::new(Vec::new()));
        let issued = Arc::clone(&tokens);
        let audience: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
        let aud = Arc::clone(&audience);
        let standin = Standin::start(move |request| {
            answer(request, &public, aud.get().map(String::as_str), &issued)
        });
        let _ = audience.set(format!("{}/token", standin.url()));
        Gcs { standin, tokens }
    }

    /// The base URL (the endpoint override for the JSON API).
    pub fn url(&self) -> &str {
        self.standin.url()
    }

    /// The `token_uri` to write into the key file (also the JWT audience the stand-in expects).
    pub fn token_uri(&self) -> String {
        format!("{}/token", self.standin.url())
    }

    /// The access tokens issued so far.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.tokens.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

fn answer(
    request: &Request,
    public: &RsaPublicKey,
    audience: Option<&str>,
    tokens: &Mutex<Vec<String>>,
) -> Response {
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/token") => token(request, public, audience.unwrap_or(""), tokens),
        ("GET", "/storage/v1/b") => {
            let token = request.authorization("Bearer").unwrap_or("");
            let known = tokens
                .lock()
                .map(|t| t.iter().any(|k| k == token))
                .unwrap_or(false);
            if !known {
                return Response::json(
                    401,
                    &serde_json::json!({"error": {"code": 401, "message": "Invalid Credentials",
                        "errors": [{"message": "Invalid Credentials", "domain": "global", "reason": "authError", "locationType": "header", "location": "Authorization"}]}}),
                );
            }
            if request.query.get("project").map(String::as_str) != Some(PROJECT_ID) {
                let message =
                    "The project to be billed is associated with an absent billing account.";
                return Response::json(
                    403,
                    &serde_json::json!({"error": {"code": 403, "message": message, "errors": [{"message": message, "domain": "global", "reason": "accountDisabled"}]}}),
                );
            }
            Response::json(
                200,
                &serde_json::json!({"kind": "storage#buckets", "items": [{"kind": "storage#bucket", "id": "nas-backups", "name": "nas-backups", "projectNumber": "123456789012", "location": "EU"}]}),
            )
        }
        _ => Response::not_found(request),
    }
}

fn token(
    request: &Request,
    public: &RsaPublicKey,
    audience: &str,
    tokens: &Mutex<Vec<String>>,
) -> Response {
    let form = request.form();
    let grant = form.get("grant_type").map(String::as_str).unwrap_or("");
    if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
        return oauth_error(
            400,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {grant}"),
        );
    }
    let Some(assertion) = form.get("assertion") else {
        return oauth_error(
            400,
            "invalid_request",
            "Missing required parameter: assertion",
        );
    };
    let parts: Vec<&str> = assertion.split('.').collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let decoded: Option<(serde_json::Value, serde_json::Value, Vec<u8>)> = (|| {
        let [header, claims, signature] = parts.as_slice() else {
            return None;
        };
        Some((
            serde_json::from_slice(&b64.decode(header).ok()?).ok()?,
            serde_json::from_slice(&b64.decode(claims).ok()?).ok()?,
            b64.decode(signature).ok()?,
        ))
    })();
    let Some((header, claims, signature)) = decoded else {
        return oauth_error(
            400,
            "invalid_grant",
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
        );
    };
    if header.get("alg").and_then(|a| a.as_str()) != Some("RS256") {
        return oauth_error(400, "invalid_grant", "Invalid JWT: unsupported algorithm.");
    }
    let verifying = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(public.clone());
    let signed = format!("{}.{}", parts[0], parts[1]);
    let good = rsa::pkcs1v15::Signature::try_from(signature.as_slice())
        .is_ok_and(|s| verifying.verify(signed.as_bytes(), &s).is_ok());
    if !good {
        return oauth_error(400, "invalid_grant", "Invalid JWT Signature.");
    }
    if claims.get("iss").and_then(|v| v.as_str()) != Some(CLIENT_EMAIL) {
        return oauth_error(400, "invalid_grant", "Invalid JWT Signature.");
    }
    if claims.get("aud").and_then(|v| v.as_str()) != Some(audience) {
        return oauth_error(400, "invalid_grant", "Invalid JWT: Failed audience check.");
    }
    let scope = claims.get("scope").and_then(|v| v.as_str()).unwrap_or("");
    if !scope
        .split(' ')
        .any(|s| s.starts_with("https://www.googleapis.com/auth/devstorage."))
    {
        return oauth_error(
            400,
            "invalid_scope",
            "Invalid OAuth scope or ID token audience provided.",
        );
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let iat = claims
        .get("iat")
        .and_then(|v| v.as_i64())
        .unwrap_or(i64::MIN);
    let exp = claims
        .get("exp")
        .and_then(|v| v.as_i64())
        .unwrap_or(i64::MIN);
    if iat > now + 300 || exp < now || exp - iat > 3600 || exp <= iat {
        return oauth_error(
            400,
            "invalid_grant",
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
        );
    }
    let access = {
        let mut t = tokens.lock().unwrap_or_else(|e| e.into_inner());
        let access = format!("ya29.gcs-access-{}", t.len() + 1);
        t.push(access.clone());
        access
    };
    Response::json(
        200,
        &serde_json::json!({"access_token": access, "expires_in": 3599, "token_type": "Bearer"}),
    )
}
