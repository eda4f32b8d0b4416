//! The two JSON documents that live inside secret fields: an rclone OAuth
//! token and a Google service-account key file.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Error, FieldError, ValidationErrors};

/// The most text a JSON document field may hold.
pub(crate) const MAX_DOCUMENT: usize = 64 * 1024;

/// A token is treated as expired this long before its expiry (as rclone does).
const EXPIRY_SLACK: time::Duration = time::Duration::seconds(10);

/// Google's token endpoint, when the key file names none.
const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// rclone's (and Go's) zero time: no expiry.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Parses `text` as a JSON object, with messages that never quote the input.
fn parse_object(text: &str, problems: &mut Vec<String>) -> Option<Map<String, Value>> {
    if text.len() > MAX_DOCUMENT {
        problems.push(format!(
            "must be at most {} bytes of JSON (got {})",
            MAX_DOCUMENT,
            text.len()
        ));
        return None;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Some(map),
        Ok(other) => {
            problems.push(format!("must be a JSON object (got {})", json_type(&other)));
            None
        }
        Err(e) => {
            problems.push(format!(
                "is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ));
            None
        }
    }
}

/// The JSON type of a value, for messages (never the value itself).
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn to_errors(field: &str, problems: Vec<String>) -> Error {
    Error::Invalid(ValidationErrors::from(
        problems
            .into_iter()
            .map(|m| FieldError::new(field, m))
            .collect::<Vec<_>>(),
    ))
}

// ---------------------------------------------------------------------------
// OAuth token
// ---------------------------------------------------------------------------

/// An OAuth token in rclone's JSON form:
/// `{"access_token", "token_type", "refresh_token", "expiry"}`.
///
/// Parsed leniently: `token_type` is kept as given (Yandex says `OAuth`),
/// unknown fields are kept and written back. `Debug` never shows the tokens.
#[derive(Clone)]
pub struct OAuthToken {
    access_token: SecretString,
    token_type: String,
    refresh_token: Option<SecretString>,
    expiry: Option<OffsetDateTime>,
    /// The expiry text as given (kept so that a token round-trips unchanged).
    expiry_text: Option<String>,
    /// Unknown fields, kept. They may hold secrets (an `id_token`), so they are
    /// never shown either.
    extra: Map<String, Value>,
}

impl OAuthToken {
    /// Parses rclone token JSON. Needs a non-empty `access_token` string; an
    /// `expiry` must be RFC 3339 (`0001-01-01T00:00:00Z` means none).
    pub fn parse(text: &str) -> Result<OAuthToken, Error> {
        check_token(text).map_err(|p| to_errors("token", p))
    }

    /// The access token.
    pub fn access_token(&self) -> &SecretString {
        &self.access_token
    }

    /// The refresh token, if there is one.
    pub fn refresh_token(&self) -> Option<&SecretString> {
        self.refresh_token.as_ref()
    }

    /// The token type as given (`Bearer`, `OAuth`, ...; empty if absent).
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// When the access token expires; `None` when it does not (or it is not said).
    pub fn expiry(&self) -> Option<OffsetDateTime> {
        self.expiry
    }

    /// Whether the access token should be refreshed at `now`: it is valid
    /// until 10 seconds before its expiry.
    pub fn is_expired_at(&self, now: OffsetDateTime) -> bool {
        self.expiry.is_some_and(|e| now >= e - EXPIRY_SLACK)
    }

    /// The token after a refresh: the new access token and expiry; the old
    /// refresh token is kept when the response brought none.
    pub fn refreshed(
        &self,
        access_token: SecretString,
        refresh_token: Option<SecretString>,
        expiry: Option<OffsetDateTime>,
    ) -> OAuthToken {
        OAuthToken {
            access_token,
            token_type: self.token_type.clone(),
            refresh_token: refresh_token.or_else(|| self.refresh_token.clone()),
            expiry,
            expiry_text: Some(match expiry {
                Some(t) => t.format(&Rfc3339).unwrap_or_else(|_| ZERO_TIME.to_owned()),
                None => ZERO_TIME.to_owned(),
            }),
            extra: self.extra.clone(),
        }
    }

    /// The token as rclone token JSON (one line), for storing back.
    pub fn to_json_string(&self) -> SecretString {
        let mut map = Map::new();
        map.insert(
            "access_token".into(),
            Value::String(self.access_token.expose_secret().to_owned()),
        );
        map.insert("token_type".into(), Value::String(self.token_type.clone()));
        if let Some(r) = &self.refresh_token {
            map.insert(
                "refresh_token".into(),
                Value::String(r.expose_secret().to_owned()),
            );
        }
        if let Some(e) = &self.expiry_text {
            map.insert("expiry".into(), Value::String(e.clone()));
        }
        for (k, v) in &self.extra {
            map.insert(k.clone(), v.clone());
        }
        SecretString::from(Value::Object(map).to_string())
    }
}

crate::redacted_debug!(OAuthToken {
    access_token: |_o| crate::REDACTED,
    token_type,
    refresh_token: |o| o.refresh_token.as_ref().map(|_| crate::REDACTED),
    expiry,
    extra_fields: |o| o.extra.keys().collect::<Vec<_>>()
});

impl PartialEq for OAuthToken {
    fn eq(&self, other: &OAuthToken) -> bool {
        crate::credential::secret_eq(&self.access_token, &other.access_token)
            && self.token_type == other.token_type
            && match (&self.refresh_token, &other.refresh_token) {
                (Some(a), Some(b)) => crate::credential::secret_eq(a, b),
                (None, None) => true,
                _ => false,
            }
            && self.expiry == other.expiry
            && self.extra == other.extra
    }
}

/// Parses a token, or lists every problem with it.
pub(crate) fn check_token(text: &str) -> Result<OAuthToken, Vec<String>> {
    let mut problems = Vec::new();
    let trimmed = text.trim_start();
    if !trimmed.starts_with(['{', '[', '"'])
        && text.len() <= MAX_DOCUMENT
        && serde_json::from_str::<Value>(text).is_err()
    {
        return Err(vec![
            "must be rclone token JSON such as {\"access_token\": \"...\", \"token_type\": \"Bearer\", \"refresh_token\": \"...\", \"expiry\": \"...\"} (a bare access token is not enough)"
                .to_owned(),
        ]);
    }
    let Some(mut map) = parse_object(text, &mut problems) else {
        return Err(problems);
    };
    let access_token = required_string(
        &mut map,
        "access_token",
        |s| !s.is_empty(),
        "must not be empty",
        &mut problems,
    )
    .map(SecretString::from);
    let token_type = match map.remove("token_type") {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) => String::new(),
        Some(other) => {
            problems.push(format!(
                "\"token_type\" must be a string (got {})",
                json_type(&other)
            ));
            String::new()
        }
    };
    let refresh_token = match map.remove("refresh_token") {
        Some(Value::String(s)) if !s.is_empty() => Some(SecretString::from(s)),
        Some(Value::String(_)) | None | Some(Value::Null) => None,
        Some(other) => {
            problems.push(format!(
                "\"refresh_token\" must be a string (got {})",
                json_type(&other)
            ));
            None
        }
    };
    let (expiry, expiry_text) = match map.remove("expiry") {
        Some(Value::String(s)) => match OffsetDateTime::parse(&s, &Rfc3339) {
            Ok(t) if is_zero_time(t) => (None, Some(s)),
            Ok(t) => (Some(t), Some(s)),
            Err(_) => {
                problems.push(format!(
                    "\"expiry\" must be an RFC 3339 time such as 2026-11-27T10:00:00Z (got {:?})",
                    crate::provider::truncate(&s, 40)
                ));
                (None, None)
            }
        },
        None | Some(Value::Null) => (None, None),
        Some(other) => {
            problems.push(format!(
                "\"expiry\" must be a string (got {})",
                json_type(&other)
            ));
            (None, None)
        }
    };
    match access_token {
        Some(access_token) if problems.is_empty() => Ok(OAuthToken {
            access_token,
            token_type,
            refresh_token,
            expiry,
            expiry_text,
            extra: map,
        }),
        _ => Err(problems),
    }
}

fn is_zero_time(t: OffsetDateTime) -> bool {
    t.year() <= 1 && t.ordinal() == 1 && t.unix_timestamp() <= -62135596800
}

// ---------------------------------------------------------------------------
// Google service-account key
// ---------------------------------------------------------------------------

/// A Google service-account key file (the JSON the Cloud Console downloads).
///
/// Only the parts nascfg needs are kept; `Debug` never shows the private key.
#[derive(Clone)]
pub struct ServiceAccountKey {
    project_id: String,
    client_email: String,
    private_key_pem: SecretString,
    token_uri: String,
}

impl ServiceAccountKey {
    /// Parses and checks a key file: a JSON object with `type` =
    /// `service_account`, `project_id`, `client_email` and a PEM `private_key`.
    pub fn parse(text: &str) -> Result<ServiceAccountKey, Error> {
        check_service_account(text).map_err(|p| to_errors("service_account_credentials", p))
    }

    /// The Google Cloud project.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The service account's e-mail address (the JWT issuer).
    pub fn client_email(&self) -> &str {
        &self.client_email
    }

    /// The private key, PEM (PKCS#8).
    pub fn private_key_pem(&self) -> &SecretString {
        &self.private_key_pem
    }

    /// Where to exchange a signed JWT for an access token.
    pub fn token_uri(&self) -> &str {
        &self.token_uri
    }
}

crate::redacted_debug!(ServiceAccountKey {
    project_id,
    client_email,
    private_key: |_s| crate::REDACTED,
    token_uri
});

/// Takes the string field `key` out of `map`: its value when `ok` accepts
/// it, else `None` and a problem (`"key" ` then `otherwise` for a string
/// that `ok` refuses; missing, or not a string).
fn required_string(
    map: &mut Map<String, Value>,
    key: &str,
    ok: fn(&str) -> bool,
    otherwise: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    match map.remove(key) {
        Some(Value::String(s)) if ok(&s) => Some(s),
        Some(Value::String(_)) => {
            problems.push(format!("\"{key}\" {otherwise}"));
            None
        }
        None | Some(Value::Null) => {
            problems.push(format!("missing \"{key}\""));
            None
        }
        Some(other) => {
            problems.push(format!(
                "\"{key}\" must be a string (got {})",
                json_type(&other)
            ));
            None
        }
    }
}

/// Parses a key file, or lists every problem with it.
pub(crate) fn check_service_account(text: &str) -> Result<ServiceAccountKey, Vec<String>> {
    let mut problems = Vec::new();
    let Some(mut map) = parse_object(text, &mut problems) else {
        return Err(problems);
    };
    match map.get("type") {
        Some(Value::String(s)) if s == "service_account" => {}
        Some(Value::String(s)) => problems.push(format!(
            "\"type\" must be \"service_account\" (got {:?}); download a service account key, not an OAuth client file",
            crate::provider::truncate(s, 40)
        )),
        None | Some(Value::Null) => {
            problems.push("missing \"type\" (must be \"service_account\")".to_owned())
        }
        Some(other) => problems.push(format!(
            "\"type\" must be \"service_account\" (got {})",
            json_type(other)
        )),
    }
    let not_blank = |s: &str| !s.trim().is_empty();
    let project_id = required_string(
        &mut map,
        "project_id",
        not_blank,
        "must not be empty",
        &mut problems,
    );
    let client_email = required_string(
        &mut map,
        "client_email",
        not_blank,
        "must not be empty",
        &mut problems,
    );
    let private_key = required_string(
        &mut map,
        "private_key",
        looks_like_pem_private_key,
        "must be a PEM private key (-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----)",
        &mut problems,
    )
    .map(SecretString::from);
    let token_uri = match map.get("token_uri") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        None | Some(Value::Null) | Some(Value::String(_)) => DEFAULT_TOKEN_URI.to_owned(),
        Some(other) => {
            problems.push(format!(
                "\"token_uri\" must be a string (got {})",
                json_type(other)
            ));
            String::new()
        }
    };
    match (project_id, client_email, private_key) {
        (Some(project_id), Some(client_email), Some(private_key_pem)) if problems.is_empty() => {
            Ok(ServiceAccountKey {
                project_id,
                client_email,
                private_key_pem,
                token_uri,
            })
        }
        _ => Err(problems),
    }
}

fn looks_like_pem_private_key(s: &str) -> bool {
    const LABELS: [&str; 2] = ["PRIVATE KEY", "RSA PRIVATE KEY"];
    LABELS.iter().any(|label| {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        let Some(b) = s.find(&begin) else {
            return false;
        };
        let body = &s[b + begin.len()..];
        match body.find(&end) {
            Some(e) => is_der_sequence_in_base64(&body[..e]),
            None => false,
        }
    })
}

/// Whether a PEM body is base64 (whitespace aside) of DER that opens with a SEQUENCE, as every
/// PKCS#8 and PKCS#1 key does: text between the markers that is no key at all ("paste your
/// key here", a truncated line) is refused at save, not at the first sign-in. The shape only:
/// nascfg-credentials does no cryptography, Google checks the key itself.
fn is_der_sequence_in_base64(body: &str) -> bool {
    use base64::Engine as _;
    const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let text: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let data = text.trim_end_matches('=');
    if data.len() < 4
        || !data
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
    {
        return false;
    }
    // Whole groups of four characters; a short last group is the writer's business.
    let whole = &data[..data.len() / 4 * 4];
    matches!(LENIENT.decode(whole).as_deref(), Ok([0x30, ..]))
}
