//! The TrueNAS-compatible API: JSON-RPC 2.0 over WebSocket at `/api/current`
//! (and TrueNAS's versioned paths, `/api/v25.04.0` and the like), with
//! TrueNAS's method names, shapes and error layout, so TrueNAS's clients
//! manage this box's cloud credentials unchanged (docs/API.md).
//!
//! Same listener rules as the web UI: the Host check, and an Origin check on
//! the upgrade (a page of another site must not open it; no Origin is a
//! non-browser client). Frames are at most [`MAX_MESSAGE`] bytes (an
//! unauthenticated session's at most [`MAX_UNAUTHENTICATED`]); bigger ones
//! close the connection, as TrueNAS's limits do. A connection that sends
//! nothing for [`IDLE`] is closed. Calls on one connection are answered in
//! order; each connection is its own task, so one slow or hostile client
//! holds up no other.

mod audit;
mod filter;
mod methods;
mod record;
mod rpc;
mod throttle;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::App;

/// The largest frame (text message) a logged-in client may send.
pub const MAX_MESSAGE: usize = 1024 * 1024;
/// The largest frame before login (a login is small).
pub const MAX_UNAUTHENTICATED: usize = 64 * 1024;
/// A connection that sends nothing (not even a ping) this long is closed.
pub const IDLE: Duration = Duration::from_secs(5 * 60);

/// WebSocket close codes (RFC 6455).
const CLOSE_TOO_BIG: u16 = 1009;
const CLOSE_UNSUPPORTED: u16 = 1003;
const CLOSE_NORMAL: u16 = 1000;

/// What every connection of one server shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) app: App,
    pub(crate) audit: audit::Audit,
    pub(crate) throttle: throttle::Throttle,
    pub(crate) stores: methods::Stores,
    idle: Duration,
}

/// The API's routes (outside the web UI's session and CSRF checks, which are
/// for browsers; the Host and Origin checks are made here).
pub(crate) fn routes(app: App) -> Router {
    let shared = Arc::new(Shared {
        audit: audit::Audit::new(app.inner.data_dir.path()),
        throttle: throttle::Throttle::default(),
        stores: methods::Stores::default(),
        idle: idle_timeout(),
        app,
    });
    Router::new()
        .route("/api/current", get(upgrade))
        .route("/api/{version}", get(upgrade))
        .with_state(shared)
}

/// [`IDLE`]; builds with the `test-endpoints` feature read
/// `NASCFG_TEST_API_IDLE_MS` so a test can watch an idle client be closed.
fn idle_timeout() -> Duration {
    #[cfg(feature = "test-endpoints")]
    if let Some(ms) = std::env::var("NASCFG_TEST_API_IDLE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return Duration::from_millis(ms);
    }
    IDLE
}

/// `/api/v25.04.0`-style paths: TrueNAS's versioned API (same shapes here).
fn version_ok(version: &str) -> bool {
    version == "current"
        || version.strip_prefix('v').is_some_and(|v| {
            !v.is_empty() && v.len() <= 16 && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        })
}

fn refuse(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

async fn upgrade(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    let host = crate::access::host_of(&parts.uri, &parts.headers).map(str::to_owned);
    if !crate::access::host_ok(&shared.app, host.as_deref()) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "refused: this server answers only to the address it listens on (Host header or :authority)",
        );
    }
    let version = parts.uri.path().trim_start_matches("/api/").to_owned();
    if !version_ok(&version) {
        return refuse(
            StatusCode::NOT_FOUND,
            "no such API version; use /api/current",
        );
    }
    // A browser's `Origin` must be this server: a page elsewhere must not talk to the
    // API with the user's network position. No `Origin`: not a browser.
    if !crate::access::origin_ok(&shared.app, &parts.headers, host.as_deref()) {
        return refuse(
            StatusCode::FORBIDDEN,
            "refused: a page of another site may not open the API (Origin header)",
        );
    }
    let peer: Option<IpAddr> = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let ws = match <WebSocketUpgrade as axum::extract::FromRequestParts<()>>::from_request_parts(
        &mut parts,
        &(),
    )
    .await
    {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| connection(socket, shared, peer))
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

/// One client: read a frame, answer it, until it leaves, errs, idles or
/// sends what the limits refuse.
async fn connection(mut socket: WebSocket, shared: Arc<Shared>, peer: Option<IpAddr>) {
    let mut session = methods::Session::new(peer);
    loop {
        let next = tokio::time::timeout(shared.idle, socket.recv()).await;
        let message = match next {
            Err(_) => {
                close(&mut socket, CLOSE_NORMAL, "idle for too long").await;
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                // Bigger than the frame limits (tungstenite refused it while
                // reading it: "Message too long"), else a broken connection.
                if e.to_string().contains("too long") {
                    close(&mut socket, CLOSE_TOO_BIG, "message too big").await;
                }
                break;
            }
            Ok(Some(Ok(m))) => m,
        };
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(_) => {
                close(&mut socket, CLOSE_UNSUPPORTED, "text frames only").await;
                break;
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            Message::Close(_) => break,
        };
        if !session.authenticated() && text.len() > MAX_UNAUTHENTICATED {
            close(&mut socket, CLOSE_TOO_BIG, "message too big before login").await;
            break;
        }
        let reply = methods::handle(&shared, &mut session, text.as_str()).await;
        if socket.send(Message::Text(reply.into())).await.is_err() {
            break;
        }
    }
}

/// Text from a client, for an error message: escaped, cut to 64 characters, quoted.
pub(crate) fn shown(text: &str) -> String {
    format!("\"{}\"", nascfg_credentials::Untrusted::new(text))
}

/// Text from a client, for the audit log (JSON escapes it): cut to 64 characters.
pub(crate) fn shown_plain(text: &str) -> String {
    nascfg_credentials::Untrusted::new(text).to_string()
}

/// The fuzz target `jsonrpc`'s work: a frame through the request check, and
/// a query's filters and options through their parsers and over a few records.
pub(crate) fn fuzz(data: &[u8]) {
    use serde_json::json;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let request = match rpc::parse_request(text) {
        Ok(r) => r,
        Err(e) => {
            let _ = rpc::answer(&serde_json::Value::Null, Err(e));
            return;
        }
    };
    let filters = filter::Filters::parse(request.params.first());
    let options = filter::Options::parse(request.params.get(1));
    if let (Ok(filters), Ok(options)) = (filters, options) {
        let mut records = vec![
            json!({"id": 1, "name": "b2", "provider": {"type": "B2", "account": "a", "key": "********"}}),
            json!({"id": 2, "name": "S3 \u{e9}", "provider": {"type": "S3", "region": null, "max_upload_parts": 10000}}),
            json!({"id": 3, "name": "sftp", "provider": {"type": "SFTP", "port": 22, "host": "h"}}),
        ];
        records.retain(|r| filters.matches(r));
        // The store's narrowing never leaves out a record the filters match.
        let narrow = filters.narrow();
        for r in &records {
            assert!(filter::narrow_reads(&narrow, r), "{narrow:?} loses {r}");
        }
        options.order_and_page(&mut records);
        for r in records {
            let _ = options.select(r);
        }
    }
}
