//! The server's state: configuration, the login token, sessions, uploads.
//! The routes are `app.rs`'s.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use nascfg_store::DataDir;
use nascfg_verify::VerifyOptions;
use rand::RngCore;
// Tokio's clock, so the route tests can pause and advance it (`tokio::time::advance`)
// instead of sleeping; outside a paused runtime it is the system's monotonic clock.
use tokio::time::Instant;

/// How long a session lives without a request, unless `Config::session_idle` says otherwise.
pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(30 * 60);
/// How long a client may take to send a request's headers (and the TLS handshake),
/// unless `Config::header_read_timeout` says otherwise.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How many connections are served at once, unless `Config::max_connections` says otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// A PEM certificate chain and its private key, for a non-loopback `--listen`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain (PEM).
    pub cert: PathBuf,
    /// The private key (PEM).
    pub key: PathBuf,
}

/// What `nascfg serve` was asked for.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory the store lives in.
    pub data_dir: DataDir,
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// TLS; required for a non-loopback address unless `insecure_http`.
    pub tls: Option<TlsFiles>,
    /// Serve plain HTTP on a non-loopback address anyway.
    pub insecure_http: bool,
    /// How Verify Credential checks (timeouts; the test endpoint override); Login to
    /// Provider uses the same timeouts and override.
    pub verify: VerifyOptions,
    /// A session unused this long is ended: the browser must log in again
    /// (default [`DEFAULT_SESSION_IDLE`], 30 minutes).
    pub session_idle: Duration,
    /// A connection that has not sent a whole request head (or finished the TLS
    /// handshake) in this time is closed (default [`DEFAULT_HEADER_READ_TIMEOUT`], 10 s).
    pub header_read_timeout: Duration,
    /// Connections served at once; more wait to be accepted until one ends
    /// (default [`DEFAULT_MAX_CONNECTIONS`], 256).
    pub max_connections: usize,
    /// Where uploaded bundles wait for restore, each in a private directory of
    /// its own (default: the system's temporary directory).
    pub upload_dir: PathBuf,
}

impl Config {
    /// Plain HTTP on `listen`, default verification options.
    pub fn new(data_dir: DataDir, listen: SocketAddr) -> Config {
        Config {
            data_dir,
            listen,
            tls: None,
            insecure_http: false,
            verify: VerifyOptions::default(),
            session_idle: DEFAULT_SESSION_IDLE,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            upload_dir: std::env::temp_dir(),
        }
    }
}

/// One logged-in browser.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) csrf: String,
    pub(crate) last_seen: Instant,
    pub(crate) flash: Option<String>,
}

/// The session of a request that passed the checks.
#[derive(Debug, Clone)]
pub(crate) struct Sess {
    pub(crate) id: String,
    pub(crate) csrf: String,
}

/// A bundle uploaded for restore: kept until restored, refused by inspection,
/// its session ends, or the server stops.
pub(crate) struct Upload {
    /// Removed (with the file) when the upload is dropped.
    pub(crate) _dir: tempfile::TempDir,
    /// The session it belongs to: it goes when the session expires.
    pub(crate) session: String,
    pub(crate) path: PathBuf,
    pub(crate) file_name: String,
    /// The passphrase or identities typed or uploaded with it: held in
    /// memory for this upload's inspection and restore only.
    pub(crate) unlock: nascfg_bundle::UnlockWith,
}

nascfg_credentials::redacted_debug!(Upload {
    path,
    file_name,
    ..
});

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) data_dir: DataDir,
    /// The bound address (port resolved): Login to Provider's redirect comes back here.
    pub(crate) addr: SocketAddr,
    /// `Host` header values accepted; `None`: any (a TLS wildcard listen).
    pub(crate) hosts: Option<Vec<String>>,
    pub(crate) secure: bool,
    pub(crate) cookie_name: String,
    pub(crate) verify: VerifyOptions,
    session_idle: Duration,
    pub(crate) upload_dir: PathBuf,
    login_token: Mutex<Option<String>>,
    pub(crate) sessions: Mutex<HashMap<String, Session>>,
    pub(crate) uploads: Mutex<HashMap<String, Upload>>,
    /// Pushes running in the background (and then their results), by session.
    pub(crate) pushes: Mutex<HashMap<String, Arc<crate::screens::remote::job::PushJob>>>,
    /// Logins to providers under way, by their `state`.
    pub(crate) logins: Mutex<HashMap<String, crate::screens::oauth::pending::Pending>>,
}

/// The web application: its routes and state, without a listener (the route
/// tests drive it in-process; [`crate::Server`] puts it on a socket).
#[derive(Debug, Clone)]
pub struct App {
    pub(crate) inner: Arc<Inner>,
    login_token: String,
}

/// 32 random bytes as hex: login tokens, session ids, CSRF tokens, upload ids.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// `::ffff:a.b.c.d` is `a.b.c.d`: every decision about an address (loopback?
/// wildcard? the Host names expected) is made on the IPv4 address it maps.
pub(crate) fn unmapped(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), addr.port()),
            None => addr,
        },
        IpAddr::V4(_) => addr,
    }
}

/// Equality that takes the same time wherever the first difference is.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl App {
    /// The application for a server reachable at `addr` (the bound address,
    /// port resolved), over TLS when `secure`, with the default session idle time.
    pub fn new(data_dir: DataDir, addr: SocketAddr, secure: bool, verify: VerifyOptions) -> App {
        let config = Config {
            verify,
            ..Config::new(data_dir, addr)
        };
        App::configured(config, addr, secure)
    }

    /// The application for `config`, reachable at `addr` (the bound address,
    /// port resolved; `config.listen` may name port 0), over TLS when `secure`.
    pub fn configured(config: Config, addr: SocketAddr, secure: bool) -> App {
        let Config {
            data_dir,
            verify,
            session_idle,
            upload_dir,
            ..
        } = config;
        let addr = unmapped(addr);
        let port = addr.port();
        let hosts = if addr.ip().is_unspecified() {
            // Any address of this machine: only under TLS, where the certificate's
            // name defeats DNS rebinding (Server::bind refuses it otherwise).
            None
        } else if addr.ip().is_loopback() {
            Some(vec![
                format!("{addr}"),
                format!("localhost:{port}"),
                format!("127.0.0.1:{port}"),
                format!("[::1]:{port}"),
            ])
        } else {
            Some(vec![format!("{addr}")])
        };
        let token = random_token();
        App {
            inner: Arc::new(Inner {
                data_dir,
                addr,
                hosts,
                secure,
                // Cookies are shared by every port of a host: one name per port keeps two
                // servers on one machine from logging each other out.
                cookie_name: format!("nascfg_session_{port}"),
                verify,
                session_idle,
                upload_dir,
                login_token: Mutex::new(Some(token.clone())),
                sessions: Mutex::new(HashMap::new()),
                uploads: Mutex::new(HashMap::new()),
                pushes: Mutex::new(HashMap::new()),
                logins: Mutex::new(HashMap::new()),
            }),
            login_token: token,
        }
    }

    /// The one-time token of the login URL (`/login?token=...`).
    pub fn login_token(&self) -> &str {
        &self.login_token
    }

    /// Exchanges the one-time login token for a new session id; `None` when the
    /// token is wrong or already used.
    pub(crate) fn exchange(&self, token: &str) -> Option<String> {
        let mut slot = self
            .inner
            .login_token
            .lock()
            .expect("no panics under the lock");
        match slot.as_deref() {
            Some(expected) if same(expected, token) => {
                *slot = None;
            }
            _ => return None,
        }
        let id = random_token();
        self.inner
            .sessions
            .lock()
            .expect("no panics under the lock")
            .insert(
                id.clone(),
                Session {
                    csrf: random_token(),
                    last_seen: Instant::now(),
                    flash: None,
                },
            );
        Some(id)
    }

    /// The session's CSRF token, refreshing its idle timer; `None` when there is
    /// no such session or it expired (then it is removed).
    pub(crate) fn touch(&self, id: &str) -> Option<String> {
        let mut sessions = self.live_sessions();
        let session = sessions.get_mut(id)?;
        session.last_seen = Instant::now();
        Some(session.csrf.clone())
    }

    /// The sessions, once those idle too long are ended and their uploads
    /// removed.
    fn live_sessions(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        let mut sessions = self
            .inner
            .sessions
            .lock()
            .expect("no panics under the lock");
        let now = Instant::now();
        let idle = self.inner.session_idle;
        let before = sessions.len();
        sessions.retain(|_, s| now.duration_since(s.last_seen) < idle);
        if sessions.len() != before {
            self.inner
                .uploads
                .lock()
                .expect("no panics under the lock")
                .retain(|_, u| sessions.contains_key(&u.session));
            self.inner
                .pushes
                .lock()
                .expect("no panics under the lock")
                .retain(|id, _| sessions.contains_key(id));
        }
        sessions
    }

    /// Ends expired sessions and removes their uploads (the server calls it
    /// now and then; a request does too).
    pub(crate) fn sweep(&self) {
        drop(self.live_sessions());
    }

    /// Removes every upload kept for restore (the server stops).
    pub(crate) fn remove_uploads(&self) {
        let gone: Vec<Upload> = self
            .inner
            .uploads
            .lock()
            .expect("no panics under the lock")
            .drain()
            .map(|(_, u)| u)
            .collect();
        drop(gone);
    }

    /// Leaves a message for the session's next page.
    pub(crate) fn flash(&self, id: &str, message: String) {
        if let Some(s) = self
            .inner
            .sessions
            .lock()
            .expect("no panics under the lock")
            .get_mut(id)
        {
            s.flash = Some(message);
        }
    }

    /// Takes the session's message, if any.
    pub(crate) fn take_flash(&self, id: &str) -> Option<String> {
        self.inner
            .sessions
            .lock()
            .expect("no panics under the lock")
            .get_mut(id)
            .and_then(|s| s.flash.take())
    }
}
