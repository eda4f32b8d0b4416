//! Loopback stand-ins for services that exist only as cloud APIs; each checks what the real service checks.
//!
//! Every stand-in is a small HTTP server on a free loopback port, answering in a background thread the
//! way the provider's published API does (status codes, JSON bodies, headers), and stopping on drop.
//! The code under test reaches it through the verify endpoint override (`Standin::url`), which keeps
//! each request's path, so a stand-in routes on the provider's real paths.

pub mod b2;
pub mod bearer;
pub mod echo;
pub mod gcs;
pub mod mega;
pub mod oauth;
pub mod swift;

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The most of a request body a stand-in reads.
const MAX_BODY: u64 = 1 << 20;

/// One request as a stand-in sees it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// The query parameters (percent-decoded; the last of repeated names wins).
    pub query: BTreeMap<String, String>,
    /// The headers, names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The body as an `application/x-www-form-urlencoded` form.
    pub fn form(&self) -> BTreeMap<String, String> {
        parse_form(&String::from_utf8_lossy(&self.body))
    }

    /// The credential of an `Authorization: <scheme> <credential>` header, if the scheme matches (any case).
    pub fn authorization(&self, scheme: &str) -> Option<&str> {
        let value = self.header("authorization")?;
        let (given, rest) = value.split_once(' ')?;
        given.eq_ignore_ascii_case(scheme).then_some(rest.trim())
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON answer.
    pub fn json(status: u16, body: &serde_json::Value) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    /// A plain-text answer.
    pub fn text(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// An answer with no body.
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// The same answer with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// `404 Not Found` for a path the stand-in does not serve.
    pub fn not_found(request: &Request) -> Response {
        Response::text(
            404,
            &format!("no route for {} {}", request.method, request.path),
        )
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync + 'static;

/// A running stand-in: serves until dropped.
pub struct Standin {
    url: String,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    seen: Arc<Mutex<Vec<Request>>>,
}

impl std::fmt::Debug for Standin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Standin")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Standin {
    /// Starts a server on a free loopback port that answers every request with `handler`.
    /// It accepts connections as soon as this returns (the socket is bound and listening).
    pub fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> Standin {
        let server =
            Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind a loopback port"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let thread = {
            let server = Arc::clone(&server);
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    serve(request, &*handler, &seen);
                }
            })
        };
        Standin {
            url: format!("http://127.0.0.1:{port}"),
            server,
            thread: Some(thread),
            seen,
        }
    }

    /// `http://127.0.0.1:PORT`: the endpoint override that points the verifier here.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The requests served so far.
    pub fn requests(&self) -> Vec<Request> {
        self.seen.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(mut request: tiny_http::Request, handler: &Handler, seen: &Mutex<Vec<Request>>) {
    let url = request.url().to_owned();
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (percent_decode_path(p), parse_form(q)),
        None => (percent_decode_path(&url), BTreeMap::new()),
    };
    let headers = request
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    let _ = request.as_reader().take(MAX_BODY).read_to_end(&mut body);
    let ours = Request {
        method: request.method().as_str().to_owned(),
        path,
        query,
        headers,
        body,
    };
    let answer = handler(&ours);
    if let Ok(mut v) = seen.lock() {
        v.push(ours);
    }
    let mut response = tiny_http::Response::from_data(answer.body).with_status_code(answer.status);
    for (name, value) in answer.headers {
        if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(h);
        }
    }
    let _ = request.respond(response);
}

/// Parses `a=1&b=x%20y` (also `+` for space).
pub fn parse_form(text: &str) -> BTreeMap<String, String> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// A path with its percent-escapes decoded (`+` stays `+` in a path).
fn percent_decode_path(path: &str) -> String {
    decode(path, false)
}

fn percent_decode(text: &str) -> String {
    decode(text, true)
}

fn decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
