//! Who may ask: the Host check, the session cookie, the CSRF token, and the
//! security headers on every answer. One middleware, so no route can forget it.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::{App, same};

/// The largest urlencoded form body (credential forms, key imports).
const MAX_FORM: usize = 1024 * 1024;

/// The session of a request that passed the checks.
#[derive(Debug, Clone)]
pub(crate) struct Sess {
    pub(crate) id: String,
    pub(crate) csrf: String,
}

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

pub(crate) fn host_ok(app: &App, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    match &app.inner.hosts {
        Some(hosts) => hosts.iter().any(|h| h.eq_ignore_ascii_case(host)),
        None => true,
    }
}

/// A browser's `Origin` on a state-changing request must be this server.
fn origin_ok(app: &App, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let scheme = if app.inner.secure { "https" } else { "http" };
    origin
        .to_str()
        .is_ok_and(|o| o == format!("{scheme}://{host}"))
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
    if !host_ok(&app, request.headers()) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "refused: this server answers only to the address it listens on (Host header)",
        );
    }
    let path = request.uri().path();
    if path.starts_with("/static/") || path == "/login" {
        return next.run(request).await;
    }
    let Some(id) = cookie(request.headers(), &app.inner.cookie_name).map(str::to_owned) else {
        if let Some(reload) = crate::oauth::reload_without_session(&request) {
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
        if !origin_ok(&app, request.headers()) {
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
