//! Token endpoint answers (RFC 6749 section 5.1), read leniently, and their conversion to rclone's
//! token JSON (`nascfg_credentials::OAuthToken`).
//!
//! Lenient where providers differ: `token_type` may be missing (then `Bearer`) and is kept as
//! given; `expires_in` may be a number or a string of digits; pCloud answers errors with HTTP 200
//! and `{"result": 2012, "error": "..."}`; unknown fields are ignored except pCloud's `hostname`.

use std::time::Duration;

use nascfg_credentials::OAuthToken;
use oauth2::basic::BasicTokenType;
use oauth2::{AccessToken, RefreshToken, Scope};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The longest token lifetime believed (a bigger `expires_in` is cut to it).
const MAX_LIFETIME: u64 = 10 * 365 * 86_400;

/// A token endpoint's successful answer.
#[derive(Debug)]
pub struct TokenAnswer {
    access_token: AccessToken,
    token_type: BasicTokenType,
    token_type_text: String,
    expires_in: Option<u64>,
    refresh_token: Option<RefreshToken>,
    hostname: Option<String>,
}

impl TokenAnswer {
    /// Reads a token endpoint's JSON body. The error says why it is not a token (the server's
    /// `error` and `error_description` when it sent them); it never holds a token.
    pub fn parse(body: &[u8]) -> Result<TokenAnswer, String> {
        let value: Value = serde_json::from_slice(body).map_err(|_| "not JSON".to_owned())?;
        let Value::Object(map) = value else {
            return Err("not a JSON object".to_owned());
        };
        TokenAnswer::try_from(map)
    }

    /// The API host the answer names (pCloud's `hostname`), if any.
    pub fn hostname(&self) -> Option<&str> {
        self.hostname.as_deref()
    }

    /// The seconds the access token lives, as the answer says.
    pub fn lifetime(&self) -> Option<u64> {
        self.expires_in
    }

    /// The answer as a new token in rclone's JSON shape; `now` dates its expiry.
    pub fn into_token(self, now: OffsetDateTime) -> Result<OAuthToken, crate::Error> {
        let mut map = Map::new();
        map.insert(
            "access_token".into(),
            Value::String(self.access_token.secret().clone()),
        );
        let token_type = if self.token_type_text.is_empty() {
            "Bearer".to_owned()
        } else {
            self.token_type_text.clone()
        };
        map.insert("token_type".into(), Value::String(token_type));
        if let Some(refresh) = &self.refresh_token {
            map.insert(
                "refresh_token".into(),
                Value::String(refresh.secret().clone()),
            );
        }
        map.insert(
            "expiry".into(),
            Value::String(expiry_text(self.expiry(now))),
        );
        let text = SecretString::from(Value::Object(map).to_string());
        OAuthToken::parse(text.expose_secret()).map_err(|_| {
            crate::Error::BadAnswer("the token does not form rclone token JSON".into())
        })
    }

    /// `old` after this refresh answer: the new access token and expiry, and the new refresh
    /// token when the answer brings one (else the old one is kept).
    pub fn refresh_of(self, old: &OAuthToken, now: OffsetDateTime) -> OAuthToken {
        let expiry = self.expiry(now);
        old.refreshed(
            SecretString::from(self.access_token.secret().clone()),
            self.refresh_token
                .map(|r| SecretString::from(r.secret().clone())),
            expiry,
        )
    }

    fn expiry(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        self.expires_in.filter(|s| *s > 0).map(|s| {
            now + time::Duration::seconds(i64::try_from(s.min(MAX_LIFETIME)).expect("capped"))
        })
    }
}

/// rclone's expiry text: RFC 3339, or the zero time for "does not expire".
fn expiry_text(expiry: Option<OffsetDateTime>) -> String {
    expiry
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "0001-01-01T00:00:00Z".to_owned())
}

impl TryFrom<Map<String, Value>> for TokenAnswer {
    type Error = String;

    fn try_from(mut map: Map<String, Value>) -> Result<TokenAnswer, String> {
        let access = match map.remove("access_token") {
            Some(Value::String(s)) if !s.is_empty() => s,
            _ => {
                return Err(match error_of(&map) {
                    Some(reason) => reason,
                    None => "the answer has no access_token".to_owned(),
                });
            }
        };
        let token_type_text = match map.get("token_type") {
            Some(Value::String(s)) => s.trim().to_owned(),
            _ => String::new(),
        };
        let token_type = match token_type_text.to_ascii_lowercase().as_str() {
            "" | "bearer" => BasicTokenType::Bearer,
            "mac" => BasicTokenType::Mac,
            _ => BasicTokenType::Extension(token_type_text.clone()),
        };
        let expires_in = match map.get("expires_in") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        let refresh_token = match map.remove("refresh_token") {
            Some(Value::String(s)) if !s.is_empty() => Some(RefreshToken::new(s)),
            _ => None,
        };
        let hostname = match map.get("hostname") {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            _ => None,
        };
        Ok(TokenAnswer {
            access_token: AccessToken::new(access),
            token_type,
            token_type_text,
            expires_in,
            refresh_token,
            hostname,
        })
    }
}

/// An OAuth error answer's reason in one line: `invalid_grant: Token has been expired or revoked.`,
/// pCloud's `Invalid 'code' provided. (result 2012)`; none when the object says nothing.
pub(crate) fn error_of(map: &Map<String, Value>) -> Option<String> {
    let text = |name: &str| match map.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(crate::excerpt(s)),
        _ => None,
    };
    let error = text("error");
    let description = text("error_description").or_else(|| text("description"));
    let reason = match (error, description) {
        (Some(e), Some(d)) => format!("{e}: {d}"),
        (Some(e), None) => e,
        (None, Some(d)) => d,
        (None, None) => return None,
    };
    Some(match map.get("result").and_then(Value::as_i64) {
        Some(result) => format!("{reason} (result {result})"),
        None => reason,
    })
}

/// The `error` code of an OAuth error answer (`authorization_pending`), if the body is one.
pub(crate) fn error_code(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    value
        .get("error")
        .and_then(Value::as_str)
        .map(|s| s.trim().to_owned())
}

/// The reason of an error answer body in one line, or its status when it says nothing.
pub(crate) fn error_reason(status: u16, body: &[u8]) -> String {
    let reason = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| match v {
            Value::Object(map) => error_of(&map),
            _ => None,
        });
    match reason {
        Some(reason) => reason,
        None => nascfg_net::status_line(status),
    }
}

impl serde::Serialize for TokenAnswer {
    /// Only oauth2's `TokenResponse` bound asks for this; nascfg never serializes an answer, and
    /// this writes none of its secrets.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        serializer.serialize_map(Some(0))?.end()
    }
}

impl<'de> serde::Deserialize<'de> for TokenAnswer {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(deserializer)?;
        TokenAnswer::try_from(map).map_err(serde::de::Error::custom)
    }
}

impl oauth2::TokenResponse for TokenAnswer {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }

    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }

    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    fn scopes(&self) -> Option<&Vec<Scope>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(body: &str, expected: Result<&str, &str>) {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("a time");
        let got = TokenAnswer::parse(body.as_bytes()).map(|a| {
            let hostname = a.hostname().map(str::to_owned);
            let token = a.into_token(now).expect("a token");
            format!(
                "{} {} {} {:?} {:?}",
                token.access_token().expose_secret(),
                token.token_type(),
                token.refresh_token().map_or("-", |r| r.expose_secret()),
                token.expiry().map(|e| e.unix_timestamp() - 1_800_000_000),
                hostname,
            )
        });
        assert_eq!(got.as_deref().map_err(String::as_str), expected, "{body}");
    }

    #[test]
    fn answers() {
        check(
            r#"{"access_token":"at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt"}"#,
            Ok("at Bearer rt Some(3600) None"),
        );
        check(
            r#"{"access_token":"at","expires_in":"60"}"#,
            Ok("at Bearer - Some(60) None"),
        );
        check(
            r#"{"access_token":"at","token_type":"bearer","hostname":"eapi.pcloud.com","result":0}"#,
            Ok("at bearer - None Some(\"eapi.pcloud.com\")"),
        );
        check(
            r#"{"access_token":"at","token_type":"OAuth","expires_in":-5}"#,
            Ok("at OAuth - None None"),
        );
        check(
            r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
            Err("invalid_grant: Token has been expired or revoked."),
        );
        check(
            r#"{"result":2012,"error":"Invalid 'code' provided."}"#,
            Err("Invalid 'code' provided. (result 2012)"),
        );
        check(
            r#"{"access_token":""}"#,
            Err("the answer has no access_token"),
        );
        check(
            r#"{"access_token":5}"#,
            Err("the answer has no access_token"),
        );
        check("[]", Err("not a JSON object"));
        check("<html>", Err("not JSON"));
    }

    #[test]
    fn refresh_keeps_the_old_refresh_token_unless_rotated() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("a time");
        let old = OAuthToken::parse(
            r#"{"access_token":"a0","token_type":"OAuth","refresh_token":"r0","expiry":"2020-01-01T00:00:00Z"}"#,
        )
        .expect("a token");
        let kept = TokenAnswer::parse(br#"{"access_token":"a1","expires_in":60}"#)
            .expect("an answer")
            .refresh_of(&old, now);
        assert_eq!(kept.refresh_token().map(|r| r.expose_secret()), Some("r0"));
        assert_eq!(kept.token_type(), "OAuth");
        let rotated = TokenAnswer::parse(br#"{"access_token":"a2","refresh_token":"r2"}"#)
            .expect("an answer")
            .refresh_of(&old, now);
        assert_eq!(
            rotated.refresh_token().map(|r| r.expose_secret()),
            Some("r2")
        );
        assert_eq!(rotated.expiry(), None);
    }
}
