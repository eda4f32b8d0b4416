//! What the cloud-API checks share: OAuth access tokens (refreshed with the
//! refresh token and the client credentials when expired, RFC 6749 section
//! 6), the endpoint override applied to a provider's real URL, and reading a
//! provider's error answer into one line.

use nascfg_credentials::OAuthToken;
use nascfg_oauth::{OAuthApp, Refresher};
use secrecy::ExposeSecret;
use serde_json::Value;
use time::OffsetDateTime;
use url::Url;

use crate::http::HttpResponse;
use crate::{Check, Failure, Success};

/// The real URL `real`, or with the test endpoint override (feature `test-endpoints`): the override's
/// scheme, host and port with `real`'s path and query.
pub(crate) fn api_url(check: &Check<'_>, real: &str) -> Result<Url, Failure> {
    Ok(check.options.endpoints().url(real)?)
}

/// An access token ready for use, and the refreshed token when it had to be refreshed.
#[derive(Debug)]
pub(crate) struct Access {
    /// The `Authorization` header value: `Bearer <token>` (or the token's own type, e.g. `OAuth <token>`).
    pub(crate) authorization: String,
    /// The refreshed token to save back, when the stored one had expired.
    pub(crate) refreshed: Option<OAuthToken>,
}

impl Access {
    /// The success of a check that used this access.
    pub(crate) fn success(self) -> Success {
        Success {
            refreshed_token: self.refreshed,
            ..Success::default()
        }
    }

    /// A failure after this access was got: still hands back a refreshed token (a provider whose refresh
    /// tokens are single use, like Box, has already spent the stored one).
    pub(crate) fn failure(&self, failure: impl Into<Failure>) -> Failure {
        Failure {
            refreshed_token: self.refreshed.clone(),
            ..failure.into()
        }
    }
}

/// The credential's `token` attribute, parsed.
pub(crate) fn stored_token(check: &Check<'_>) -> Result<OAuthToken, Failure> {
    let text = check.secret("token")?;
    OAuthToken::parse(text.expose_secret()).map_err(|e| {
        Failure::with_detail(
            "the token is not rclone token JSON: log in to the provider again",
            e.to_string(),
        )
    })
}

/// The stored access token while it is valid (until 10 s before its expiry); otherwise a new one
/// from the provider's token endpoint (nascfg-oauth's refresher; the endpoint override applies),
/// saved through the check's save callback before it is used.
pub(crate) fn access(check: &Check<'_>) -> Result<Access, Failure> {
    let token = stored_token(check)?;
    access_with(check, &token)
}

/// [`access`] for an already parsed token.
pub(crate) fn access_with(check: &Check<'_>, token: &OAuthToken) -> Result<Access, Failure> {
    if !token.is_expired_at(OffsetDateTime::now_utc()) {
        return Ok(Access {
            authorization: authorization(check, token),
            refreshed: None,
        });
    }
    let provider = nascfg_oauth::oauth_provider(check.credential.provider()).ok_or_else(|| {
        Failure::new(format!(
            "{} tokens cannot be refreshed",
            check.credential.provider()
        ))
    })?;
    let app = OAuthApp::for_refresh(
        check.optional_text("client_id").as_deref(),
        check.credential.secret("client_secret").cloned(),
    );
    let endpoints = check.options.endpoints();
    let hostname = check.optional_text("hostname");
    let refresher = Refresher {
        provider,
        app: &app,
        http: check.http,
        endpoints: &endpoints,
        hostname: hostname.as_deref(),
    };
    let mut save = check.save.0.borrow_mut();
    let fresh = refresher
        .fresh(token, OffsetDateTime::now_utc(), &mut **save)
        .map_err(|e| refresh_failure(e, provider, hostname.as_deref()))?;
    Ok(Access {
        authorization: authorization(check, &fresh.token),
        refreshed: Some(fresh.token),
    })
}

/// A refresh that failed, as a check's failure: the excerpt is the token endpoint's reason.
fn refresh_failure(
    error: nascfg_oauth::Error,
    provider: &nascfg_oauth::OAuthProvider,
    hostname: Option<&str>,
) -> Failure {
    use nascfg_oauth::Error as E;
    let token_url = provider
        .token_url_for(hostname)
        .unwrap_or_else(|_| provider.token_url().to_owned());
    match error {
        E::Refused(why) | E::BadAnswer(why) => Failure::with_detail(
            why.clone(),
            format!(
                "refreshing the access token at {token_url} was refused: {why}; log in to the provider again"
            ),
        ),
        E::NoRefreshToken => Failure::new(
            "the access token has expired and there is no refresh token: log in to the provider again",
        ),
        E::Net(net) => net.into(),
        // A refresh never starts a login or lists drives, but each is still worded as itself.
        other @ (E::NotOAuth(_)
        | E::MissingClientId { .. }
        | E::MissingClientSecret { .. }
        | E::NoDeviceGrant(_)
        | E::StateMismatch
        | E::Denied(_)
        | E::NotARedirect(_)
        | E::LoginTimedOut(_)
        | E::StrayRequest(_)
        | E::Loopback(_)
        | E::DeviceExpired
        | E::DeviceDenied
        | E::Save(_)
        | E::BadToken(_)
        | E::BadHostname(_)
        | E::NoDrives
        | E::ChooseDrive(_)
        | E::UnknownDrive { .. }
        | E::Drives(_)) => Failure::new(other.to_string()),
    }
}

/// The `Authorization` header: the scheme the provider's API takes (the OAuth table's; Yandex
/// Disk: `OAuth`, though its token endpoint says `bearer`), else `Bearer` or the token's own type.
fn authorization(check: &Check<'_>, token: &OAuthToken) -> String {
    let scheme = nascfg_oauth::oauth_provider(check.credential.provider())
        .map(nascfg_oauth::OAuthProvider::api_scheme);
    let kind = scheme.unwrap_or_else(|| token_scheme(token));
    format!("{kind} {}", token.access_token().expose_secret())
}

/// `Bearer`, or the token's own type as given.
fn token_scheme(token: &OAuthToken) -> &str {
    match token.token_type().trim() {
        "" => "Bearer",
        t if t.eq_ignore_ascii_case("bearer") => "Bearer",
        t => t,
    }
}

/// An OAuth error answer (RFC 6749 section 5.2) in one line: `invalid_grant: Token has been expired or revoked.`,
/// else the status and the API's reason.
pub(crate) fn oauth_error(response: &HttpResponse) -> String {
    let json: Option<Value> = serde_json::from_str(&response.body).ok();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|j| j.get(name))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match (field("error"), field("error_description")) {
        (Some(e), Some(d)) => format!("{e}: {d}"),
        (Some(e), None) => e,
        _ => api_error(response),
    }
}

/// A provider's error answer in one line: the status and the API's own reason,
/// e.g. `401 Unauthorized: invalid_access_token` or
/// `400 Bad Request: bad_auth_token: Invalid authorization token`.
pub(crate) fn api_error(response: &HttpResponse) -> String {
    match reason(response) {
        Some(reason) => format!("{}: {}", response.status_line(), reason),
        None => response.status_line(),
    }
}

/// The API's own reason for an error answer, from the shapes the providers use.
pub(crate) fn reason(response: &HttpResponse) -> Option<String> {
    let body = response.body.trim();
    if let Some(reason) = serde_json::from_str::<Value>(body)
        .ok()
        .as_ref()
        .and_then(json_reason)
    {
        return Some(crate::excerpt::first_line(&reason));
    }
    // RFC 6750: `WWW-Authenticate: Bearer error="invalid_token", error_description="..."` (Box).
    if let Some(challenge) = response.header("www-authenticate") {
        let error = challenge_param(challenge, "error");
        let description = challenge_param(challenge, "error_description");
        match (error, description) {
            (Some(e), Some(d)) => return Some(format!("{e}: {d}")),
            (Some(e), None) => return Some(e),
            _ => {}
        }
    }
    if body.is_empty() || body.starts_with('{') || body.starts_with('[') {
        return None;
    }
    let text = if body.starts_with('<') {
        strip_tags(body)
    } else {
        body.to_owned()
    };
    let line = crate::excerpt::first_line(&text);
    (!line.is_empty()).then_some(line)
}

/// Reads the error shapes of the cloud APIs:
/// `{"error": "x", "error_description": "y"}` (OAuth), `{"error_summary": "x/..."}` (Dropbox),
/// `{"code": "x", "message": "y"}` (B2, Box), `{"error": {"code", "message", "status"}}` (Google, Graph,
/// Keystone), `{"error": "x", "description": "y"}` (Yandex), `{"result": n, "error": "y"}` (pCloud).
fn json_reason(json: &Value) -> Option<String> {
    let text = |v: Option<&Value>| -> Option<String> {
        match v? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let join = |a: Option<String>, b: Option<String>| match (a, b) {
        (Some(a), Some(b)) if a != b => Some(format!("{a}: {b}")),
        (Some(a), _) => Some(a),
        (None, b) => b,
    };
    if let Some(summary) = text(json.get("error_summary")) {
        let summary = summary.trim_end_matches(['/', '.']).to_owned();
        return Some(summary);
    }
    match json.get("error") {
        Some(Value::Object(inner)) => {
            let code = match inner.get("code") {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                _ => text(inner.get("status")).or_else(|| {
                    inner
                        .get("errors")
                        .and_then(|e| e.get(0))
                        .and_then(|e| e.get("reason"))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                }),
            };
            join(code, text(inner.get("message")))
        }
        Some(Value::String(e)) if !e.trim().is_empty() => {
            if let Some(result) = json.get("result").and_then(Value::as_i64) {
                return Some(format!("{e} (result {result})"));
            }
            join(
                Some(e.trim().to_owned()),
                text(json.get("error_description")).or_else(|| text(json.get("description"))),
            )
        }
        _ => join(text(json.get("code")), text(json.get("message"))),
    }
}

/// The value of `name="value"` (or `name=value`) in an HTTP auth challenge.
fn challenge_param(challenge: &str, name: &str) -> Option<String> {
    let mut rest = challenge;
    while let Some(pos) = rest.find(name) {
        let before_ok = pos == 0 || matches!(rest.as_bytes()[pos - 1], b' ' | b',');
        let after = &rest[pos + name.len()..];
        if before_ok && after.starts_with('=') {
            let value = &after[1..];
            let value = match value.strip_prefix('"') {
                Some(quoted) => quoted.split('"').next().unwrap_or(""),
                None => value.split([',', ' ']).next().unwrap_or(""),
            };
            return (!value.is_empty()).then(|| value.to_owned());
        }
        rest = &rest[pos + name.len()..];
    }
    None
}

/// The text of an HTML answer: tags removed, runs of white space joined.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `GET url` with the access token; a 2xx answer is valid, anything else is the API's error.
pub(crate) fn get_with_token(
    check: &Check<'_>,
    access: &Access,
    url: &Url,
) -> Result<HttpResponse, Failure> {
    let headers = [
        ("authorization", access.authorization.as_str()),
        ("accept", "application/json"),
    ];
    let response = check
        .http
        .get(url, &headers)
        .map_err(|f| access.failure(f))?;
    if !response.is_success() {
        return Err(access.failure(Failure::new(api_error(&response))));
    }
    Ok(response)
}

/// The whole check of an OAuth provider whose API answers a `GET` of `api_url` with 2xx when the token works.
pub(crate) fn verify_get(check: &Check<'_>, api: &str) -> crate::Outcome {
    let access = access(check)?;
    let url = api_url(check, api).map_err(|f| access.failure(f))?;
    get_with_token(check, &access, &url)?;
    Ok(access.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.to_owned(),
        }
    }

    #[track_caller]
    fn check(status: u16, headers: &[(&str, &str)], body: &str, expected: &str) {
        assert_eq!(api_error(&response(status, headers, body)), expected);
    }

    #[test]
    fn error_shapes() {
        check(
            401,
            &[],
            r#"{"error_summary": "invalid_access_token/..", "error": {".tag": "invalid_access_token"}}"#,
            "401 Unauthorized: invalid_access_token",
        );
        check(
            401,
            &[],
            r#"{"code": "bad_auth_token", "message": "Invalid authorization token", "status": 401}"#,
            "401 Unauthorized: bad_auth_token: Invalid authorization token",
        );
        check(
            401,
            &[],
            r#"{"code": "unauthorized", "message": "", "status": 401}"#,
            "401 Unauthorized: unauthorized",
        );
        check(
            401,
            &[],
            r#"{"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}}"#,
            "401 Unauthorized: InvalidAuthenticationToken: Access token is empty.",
        );
        check(
            401,
            &[],
            r#"{"error": {"code": 401, "message": "Invalid Credentials", "status": "UNAUTHENTICATED"}}"#,
            "401 Unauthorized: UNAUTHENTICATED: Invalid Credentials",
        );
        check(
            401,
            &[],
            r#"{"error": {"code": 401, "message": "Invalid Credentials", "errors": [{"reason": "authError"}]}}"#,
            "401 Unauthorized: authError: Invalid Credentials",
        );
        check(
            401,
            &[],
            r#"{"message": "x", "description": "Unauthorized", "error": "UnauthorizedError"}"#,
            "401 Unauthorized: UnauthorizedError: Unauthorized",
        );
        check(
            200,
            &[],
            r#"{"result": 2094, "error": "Invalid 'access_token' provided."}"#,
            "200 OK: Invalid 'access_token' provided. (result 2094)",
        );
        check(
            401,
            &[(
                "www-authenticate",
                r#"Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid.""#,
            )],
            "",
            "401 Unauthorized: invalid_token: The access token provided is invalid.",
        );
        check(
            401,
            &[],
            "<html><h1>Unauthorized</h1><p>This server could not verify.</p></html>",
            "401 Unauthorized: Unauthorized This server could not verify.",
        );
        check(503, &[], "", "503 Service Unavailable");
        check(500, &[], "{not json", "500 Internal Server Error");
    }

    #[test]
    fn oauth_errors() {
        let r = response(
            400,
            &[],
            r#"{"error": "invalid_grant", "error_description": "Token has been expired or revoked."}"#,
        );
        assert_eq!(
            oauth_error(&r),
            "invalid_grant: Token has been expired or revoked."
        );
        let r = response(401, &[], r#"{"error": "invalid_client"}"#);
        assert_eq!(oauth_error(&r), "invalid_client");
        let r = response(502, &[], "");
        assert_eq!(oauth_error(&r), "502 Bad Gateway");
    }

    #[test]
    fn token_types() {
        let token = |t: &str| {
            OAuthToken::parse(&format!(
                r#"{{"access_token": "abc", "token_type": "{t}"}}"#
            ))
            .unwrap()
        };
        assert_eq!(token_scheme(&token("bearer")), "Bearer");
        assert_eq!(token_scheme(&token("")), "Bearer");
        assert_eq!(token_scheme(&token("OAuth")), "OAuth");
        let yandex = nascfg_oauth::oauth_provider(nascfg_credentials::ProviderKind::Yandex);
        assert_eq!(
            yandex.map(nascfg_oauth::OAuthProvider::api_scheme),
            Some("OAuth")
        );
    }
}
