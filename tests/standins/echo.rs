//! A server that echoes every request back in its error answer, as careless services and
//! debugging proxies do: the request line, the `Authorization` header, the HTTP Basic
//! credentials decoded, and the body, each line in another encoding (as sent, upper-cased,
//! HTML-escaped, percent-encoded, form-encoded, JSON-escaped, base64). It answers `401` (or `400`
//! to a `POST`, as a token endpoint does) so that every client reports the answer as an error.
//! The lines rotate with each request, so that every encoding is the first line of some answer
//! (the one a one-line excerpt shows).

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use base64::Engine as _;

/// How many encodings each answer holds, one a line.
pub const ENCODINGS: usize = 7;

/// A running echo server: serves until dropped.
pub struct Echo {
    url: String,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    served: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Echo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Echo")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Echo {
    /// Starts the server on a free loopback port; it accepts connections once this returns.
    pub fn start() -> Echo {
        let server =
            Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind a loopback port"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let served = Arc::new(AtomicUsize::new(0));
        let thread = {
            let server = Arc::clone(&server);
            let served = Arc::clone(&served);
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    let n = served.fetch_add(1, Ordering::SeqCst);
                    answer(request, n);
                }
            })
        };
        Echo {
            url: format!("http://127.0.0.1:{port}"),
            server,
            thread: Some(thread),
            served,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many requests it answered.
    pub fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn answer(mut request: tiny_http::Request, n: usize) {
    let mut body = Vec::new();
    let _ = request.as_reader().take(64 << 10).read_to_end(&mut body);
    let header = |name: &str| {
        request
            .headers()
            .iter()
            .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str().to_owned())
    };
    let authorization = header("authorization").unwrap_or_default();
    let basic = authorization
        .strip_prefix("Basic ")
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .map(|d| String::from_utf8_lossy(&d).into_owned())
        .unwrap_or_default();
    let echoed = format!(
        "{} {} | authorization: {authorization} | basic: {basic} | body: {}",
        request.method(),
        request.url(),
        String::from_utf8_lossy(&body[..body.len().min(400)]),
    );
    let json = serde_json::to_string(&echoed).expect("a string serializes");
    let mut lines = [
        format!("as sent: {echoed}"),
        format!("upper: {}", echoed.to_uppercase()),
        format!("html: {}", html(&echoed)),
        format!("url: {}", percent(&echoed, "%20")),
        format!("form: {}", percent(&echoed, "+")),
        format!("json: {}", &json[1..json.len() - 1]),
        format!(
            "base64: {}",
            base64::engine::general_purpose::STANDARD.encode(&echoed)
        ),
    ];
    assert_eq!(lines.len(), ENCODINGS);
    lines.rotate_left(n % ENCODINGS);
    let status = if request.method() == &tiny_http::Method::Post {
        400
    } else {
        401
    };
    let response = tiny_http::Response::from_data(lines.join("\n").into_bytes())
        .with_status_code(status)
        .with_header(
            tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"text/plain"[..])
                .expect("a valid header"),
        );
    let _ = request.respond(response);
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn percent(text: &str, space: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            b' ' => space.to_owned(),
            b => format!("%{b:02X}"),
        })
        .collect()
}
