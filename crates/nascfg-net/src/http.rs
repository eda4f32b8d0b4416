//! The one HTTP client configuration every outbound HTTP request uses.
//!
//! ureq 3 over rustls (webpki roots), synchronous. Proxies are never read
//! from the environment, redirects are not followed (the caller sees the
//! 3xx itself), non-2xx statuses are answers, not errors. Every request is
//! bounded by the connect timeout and by the time left before the deadline.

use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use ureq::http;
use url::Url;

use crate::{Deadline, Error};

/// The most of a response body that is read, in bytes.
const MAX_BODY: u64 = 1024 * 1024;

/// A synchronous HTTP client bounded by a [`Deadline`].
#[derive(Debug)]
pub struct HttpClient {
    agent: ureq::Agent,
    deadline: Deadline,
    connect_timeout: Duration,
}

/// An HTTP answer: status, headers (names lower-case) and at most 1 MiB of body.
#[derive(Debug)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-case, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy UTF-8), at most 1 MiB.
    pub body: String,
}

impl HttpResponse {
    /// The first header of that (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `2xx`.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `404 Not Found`: the status code and its reason phrase.
    pub fn status_line(&self) -> String {
        status_line(self.status)
    }
}

/// Each header as its name and its value's text (bytes that are not UTF-8 replaced).
pub fn header_texts(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// `404 Not Found` for 404, `599` for a code without a canonical reason.
pub fn status_line(status: u16) -> String {
    match http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

impl HttpClient {
    /// A client for one job: connecting is bounded by `connect_timeout`, every
    /// request by the time left before `deadline`.
    pub fn new(connect_timeout: Duration, deadline: Deadline) -> HttpClient {
        let config = ureq::Agent::config_builder()
            .proxy(None)
            .http_status_as_error(false)
            .max_redirects(0)
            .allow_non_standard_methods(true)
            .timeout_connect(Some(connect_timeout))
            .timeout_global(Some(deadline.limit()))
            .user_agent(concat!("nascfg/", env!("CARGO_PKG_VERSION")))
            .build();
        HttpClient {
            agent: config.into(),
            deadline,
            connect_timeout,
        }
    }

    /// `GET url` with these headers.
    pub fn get(&self, url: &Url, headers: &[(&str, &str)]) -> Result<HttpResponse, Error> {
        self.send("GET", url, headers, None)
    }

    /// `POST url` with a body that holds a secret (a password, a refresh token, a login hash),
    /// asking for a JSON answer. The caller keeps the body in a `SecretString` until it is sent.
    pub fn post_secret(
        &self,
        url: &Url,
        content_type: &str,
        body: &SecretString,
    ) -> Result<HttpResponse, Error> {
        let headers = [
            ("content-type", content_type),
            ("accept", "application/json"),
        ];
        self.send("POST", url, &headers, Some(body.expose_secret().as_bytes()))
    }

    /// [`HttpClient::post_secret`] of `body` as JSON; the serialized text is held as a secret.
    pub fn post_json_secret(
        &self,
        url: &Url,
        body: &serde_json::Value,
    ) -> Result<HttpResponse, Error> {
        self.post_secret(
            url,
            "application/json",
            &SecretString::from(body.to_string()),
        )
    }

    /// Sends one request; the body (if any) is sent with a Content-Length.
    /// Transport problems become failures such as `connection refused` or
    /// `timed out after 30 s`.
    pub fn send(
        &self,
        method: &str,
        url: &Url,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<HttpResponse, Error> {
        let remaining = self.deadline.remaining_or_fail()?;
        let method = http::Method::from_bytes(method.as_bytes())
            .map_err(|e| Error::BadRequest(format!("method: {e}")))?;
        let mut builder = http::Request::builder().method(method).uri(url.as_str());
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let mut response = match body {
            Some(body) => self.run(builder.body(body.to_vec()), remaining)?,
            None => self.run(builder.body(()), remaining)?,
        };
        let status = response.status().as_u16();
        let headers = header_texts(response.headers());
        // Read at most MAX_BODY bytes; a longer body is cut, not an error.
        let mut bytes = Vec::new();
        let mut reader = std::io::Read::take(response.body_mut().as_reader(), MAX_BODY);
        if let Err(e) = std::io::Read::read_to_end(&mut reader, &mut bytes) {
            return Err(self.transport_error(ureq::Error::from(e)));
        }
        Ok(HttpResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    /// Runs one built request, bounded by `remaining`.
    fn run(
        &self,
        request: Result<http::Request<impl ureq::AsSendBody>, http::Error>,
        remaining: Duration,
    ) -> Result<http::Response<ureq::Body>, Error> {
        let request = request.map_err(|e| Error::BadRequest(e.to_string()))?;
        let request = self
            .agent
            .configure_request(request)
            .timeout_global(Some(remaining))
            .build();
        self.agent.run(request).map_err(|e| self.transport_error(e))
    }

    /// The deadline every request of this client is bounded by.
    pub fn deadline(&self) -> Deadline {
        self.deadline
    }

    /// Turns a ureq error into an error with a short, actionable excerpt.
    fn transport_error(&self, err: ureq::Error) -> Error {
        let detail = err.to_string();
        let excerpt = match &err {
            ureq::Error::Timeout(ureq::Timeout::Connect) if self.deadline.remaining().is_some() => {
                return Error::ConnectTimedOut {
                    limit: self.connect_timeout,
                    detail,
                };
            }
            ureq::Error::Timeout(_) => {
                return Error::TimedOut {
                    limit: self.deadline.limit(),
                };
            }
            ureq::Error::Io(io) => io_excerpt(io),
            ureq::Error::HostNotFound => "host not found".to_owned(),
            ureq::Error::ConnectionFailed => "connection failed".to_owned(),
            ureq::Error::Tls(msg) => format!("TLS handshake failed: {msg}"),
            ureq::Error::Rustls(e) => format!("TLS handshake failed: {e}"),
            ureq::Error::BodyExceedsLimit(_) => "the answer is too large".to_owned(),
            ureq::Error::BadUri(uri) => format!("bad URL: {uri}"),
            other => crate::excerpt::first_line(&other.to_string()),
        };
        Error::Transport { excerpt, detail }
    }
}

/// A short text for an I/O error: `connection refused`, `connection reset`, ...
pub fn io_excerpt(err: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match err.kind() {
        K::ConnectionRefused => "connection refused".to_owned(),
        K::ConnectionReset => "connection reset by peer".to_owned(),
        K::ConnectionAborted => "connection aborted".to_owned(),
        K::TimedOut | K::WouldBlock => "timed out".to_owned(),
        K::UnexpectedEof => "the server closed the connection".to_owned(),
        K::HostUnreachable => "host unreachable".to_owned(),
        K::NetworkUnreachable => "network unreachable".to_owned(),
        K::AddrNotAvailable => "address not available".to_owned(),
        _ => crate::excerpt::first_line(&err.to_string()),
    }
}
