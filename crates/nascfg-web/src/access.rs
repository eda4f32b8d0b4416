//! Who may ask: the Host check, the session cookie, the CSRF token, and the
//! security headers on every answer. One middleware, so no route can forget it.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::{App, Sess, same};

/// The largest urlencoded form body (credential forms, key imports).
const MAX_FORM: usize = 1024 * 1024;

/// The Content-Security-Policy: nothing inline, nothing from elsewhere.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

fn refuse(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// Reads a cookie's value from the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The host a request is for: the URI's authority (HTTP/2's `:authority`, or an
/// absolute request target), else the `Host` header; when both are given they
/// must agree. `None`: no host, or two that disagree.
pub(crate) fn request_host(request: &Request) -> Option<&str> {
    host_of(request.uri(), request.headers())
}

/// [`request_host`] of a request taken apart (the API's upgrade).
pub(crate) fn host_of<'a>(uri: &'a axum::http::Uri, headers: &'a HeaderMap) -> Option<&'a str> {
    let from_uri = uri.authority().map(|a| a.as_str());
    let from_header = match headers.get(header::HOST) {
        Some(h) => Some(h.to_str().ok()?),
        None => None,
    };
    match (from_uri, from_header) {
        (Some(u), Some(h)) => u.eq_ignore_ascii_case(h).then_some(u),
        (Some(one), None) | (None, Some(one)) => Some(one),
        (None, None) => None,
    }
}

pub(crate) fn host_ok(app: &App, host: Option<&str>) -> bool {
    let Some(host) = host else {
        return false;
    };
    match &app.inner.hosts {
        Some(hosts) => hosts.iter().any(|h| h.eq_ignore_ascii_case(host)),
        None => true,
    }
}

/// A browser's `Origin` on a state-changing request must be this server.
pub(crate) fn origin_ok(app: &App, headers: &HeaderMap, host: Option<&str>) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Some(host) = host else {
        return false;
    };
    let scheme = if app.inner.secure { "https" } else { "http" };
    origin
        .to_str()
        .is_ok_and(|o| o.eq_ignore_ascii_case(&format!("{scheme}://{host}")))
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The middleware: every request passes here first.
pub(crate) async fn guard(State(app): State<App>, request: Request, next: Next) -> Response {
    let mut response = check(app, request, next).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn check(app: App, request: Request, next: Next) -> Response {
    let host = request_host(&request).map(str::to_owned);
    if !host_ok(&app, host.as_deref()) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "refused: this server answers only to the address it listens on (Host header or :authority)",
        );
    }
    let path = request.uri().path();
    if path.starts_with("/static/") || path == "/login" {
        return next.run(request).await;
    }
    let Some(id) = cookie(request.headers(), &app.inner.cookie_name).map(str::to_owned) else {
        if let Some(reload) = crate::screens::oauth::reload_without_session(&request) {
            return reload;
        }
        return refuse(
            StatusCode::UNAUTHORIZED,
            "not logged in: open the login URL that `nascfg serve` printed",
        );
    };
    let Some(csrf) = app.touch(&id) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "the session expired or is unknown: restart `nascfg serve` and open the login URL it prints",
        );
    };
    let mut request = request;
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD);
    if changes {
        if !origin_ok(&app, request.headers(), host.as_deref()) {
            return refuse(
                StatusCode::FORBIDDEN,
                "refused: the request came from another site",
            );
        }
        let given = if let Some(h) = request.headers().get("x-csrf-token") {
            h.to_str().ok().map(str::to_owned)
        } else if let Some(q) = request
            .uri()
            .query()
            .and_then(|q| form_field(q.as_bytes(), "csrf"))
        {
            // Multipart uploads carry it in the action URL.
            Some(q)
        } else if request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
        {
            let (parts, body) = request.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
                return refuse(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "the form is larger than 1 MiB",
                );
            };
            let field = form_field(&bytes, "csrf");
            request = Request::from_parts(parts, Body::from(bytes));
            field
        } else {
            None
        };
        if !given.is_some_and(|g| same(&g, &csrf)) {
            return refuse(
                StatusCode::FORBIDDEN,
                "refused: the form's CSRF token is missing or wrong; reload the page and try again",
            );
        }
    }
    request.extensions_mut().insert(Sess { id, csrf });
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (request target, Host header, the host checked)
    #[test]
    fn the_host_comes_from_the_authority_or_the_host_header() {
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            // HTTP/1.1: origin-form target, Host header.
            (
                "/credentials",
                Some("127.0.0.1:8787"),
                Some("127.0.0.1:8787"),
            ),
            ("/credentials", None, None),
            // HTTP/2: the authority, no Host header.
            (
                "https://127.0.0.1:8787/credentials",
                None,
                Some("127.0.0.1:8787"),
            ),
            (
                "https://evil.example/credentials",
                None,
                Some("evil.example"),
            ),
            // Both: they must agree (case aside).
            (
                "https://localhost:8787/",
                Some("LOCALHOST:8787"),
                Some("localhost:8787"),
            ),
            ("https://127.0.0.1:8787/", Some("evil.example"), None),
            ("http://evil.example/", Some("127.0.0.1:8787"), None),
        ];
        for &(target, host, expected) in cases {
            let mut builder = axum::http::Request::builder().uri(target);
            if let Some(h) = host {
                builder = builder.header(header::HOST, h);
            }
            let request = builder.body(Body::empty()).expect("a request");
            assert_eq!(
                request_host(&request),
                expected,
                "{target} with Host {host:?}"
            );
        }
    }
}
