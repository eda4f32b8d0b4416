//! The listener: plain HTTP on loopback, TLS (rustls) elsewhere; one accept
//! loop for both, with a bound on connections and on the time to send headers.

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;

use crate::error::Error;
use crate::state::{App, Config, TlsFiles, unmapped};

/// How often expired sessions (and their uploads) are swept while the server runs.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// A bound server, ready to run; its login URL is known before it runs.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    app: App,
    tls: Option<TlsFiles>,
    login_url: String,
    header_read_timeout: Duration,
    max_connections: usize,
}

/// Whether `addr` may be listened on without TLS: loopback always; another
/// address only with `insecure_http`, and a wildcard (every address) never.
fn plain_allowed(addr: SocketAddr, insecure_http: bool) -> bool {
    let ip = unmapped(addr).ip();
    ip.is_loopback() || (insecure_http && !ip.is_unspecified())
}

impl Server {
    /// Binds the address. A non-loopback address needs TLS files or
    /// `insecure_http`; a wildcard address (`0.0.0.0`, `::`) needs TLS. An
    /// IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is its IPv4 address.
    pub fn bind(config: Config) -> Result<Server, Error> {
        let asked = config.listen;
        if config.tls.is_none() && !plain_allowed(asked, config.insecure_http) {
            return Err(Error::NeedsTls { addr: asked });
        }
        let addr = unmapped(asked);
        let listener = TcpListener::bind(addr).map_err(|source| Error::Bind { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| Error::Bind { addr, source })?;
        let secure = config.tls.is_some();
        let tls = config.tls.clone();
        let header_read_timeout = config.header_read_timeout;
        let max_connections = config.max_connections.max(1);
        let app = App::configured(config, bound, secure);
        let login_url = login_url(bound, secure, app.login_token());
        Ok(Server {
            listener,
            app,
            tls,
            login_url,
            header_read_timeout,
            max_connections,
        })
    }

    /// The one-time URL that logs a browser in; print it for the user.
    pub fn login_url(&self) -> &str {
        &self.login_url
    }

    /// The address bound (the port resolved when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until the process ends.
    pub fn run(self) -> Result<(), Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(Error::Serve)?;
        runtime.block_on(self.serve(std::future::pending()))
    }

    /// Serves on the current tokio runtime until `shutdown` completes; then
    /// stops accepting, and the uploads kept for restore are removed.
    /// Connections still open are left to end on their own.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
        let tls = match &self.tls {
            None => None,
            Some(files) => {
                // One provider for the process; a second install (another server
                // in the same process) is refused harmlessly.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let config =
                    axum_server::tls_rustls::RustlsConfig::from_pem_file(&files.cert, &files.key)
                        .await
                        .map_err(|e| Error::Tls {
                            cert: files.cert.clone(),
                            key: files.key.clone(),
                            message: e.to_string(),
                        })?;
                // The handshake gets the same bound as the request headers.
                Some(
                    axum_server::tls_rustls::RustlsAcceptor::new(config)
                        .handshake_timeout(self.header_read_timeout),
                )
            }
        };
        let listener = tokio::net::TcpListener::from_std(self.listener).map_err(Error::Serve)?;
        let app = self.app;
        let sweeper = {
            let app = app.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(SWEEP_EVERY);
                loop {
                    every.tick().await;
                    app.sweep();
                }
            })
        };
        let limits = Limits {
            header_read_timeout: self.header_read_timeout,
            permits: Arc::new(Semaphore::new(self.max_connections)),
        };
        let result = tokio::select! {
            r = accept_loop(listener, tls, app.clone(), limits) => r,
            () = shutdown => Ok(()),
        };
        sweeper.abort();
        app.remove_uploads();
        result
    }
}

#[derive(Clone)]
struct Limits {
    /// A connection that has not sent a whole request head in this time is closed
    /// (HTTP/1.1; the TLS handshake has the same bound).
    header_read_timeout: Duration,
    /// One per open connection; at the limit, new connections wait in the
    /// kernel's backlog until one ends.
    permits: Arc<Semaphore>,
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    tls: Option<axum_server::tls_rustls::RustlsAcceptor>,
    app: App,
    limits: Limits,
) -> Result<(), Error> {
    use axum_server::accept::Accept;
    let router = app.router();
    loop {
        let permit = limits
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of descriptors or a connection reset before it was accepted:
            // the listener itself is fine, so keep serving.
            Err(e) if accept_error_is_transient(&e) => {
                drop(permit);
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => return Err(Error::Serve(e)),
        };
        // The peer's address: the API slows down failed logins per address.
        let router = router
            .clone()
            .layer(axum::Extension(axum::extract::ConnectInfo(peer)));
        let limits = limits.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                None => serve_connection(stream, false, router, &limits).await,
                Some(acceptor) => {
                    let Ok((stream, ())) = acceptor.accept(stream, ()).await else {
                        return;
                    };
                    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                    serve_connection(stream, h2, router, &limits).await;
                }
            }
        });
    }
}

fn accept_error_is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        e.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted
    ) || e.raw_os_error().is_some_and(|code| {
        // EMFILE, ENFILE, ENOBUFS, ENOMEM: wait for a connection to end.
        [24, 23, 105, 12].contains(&code)
    })
}

/// One connection: HTTP/2 when TLS negotiated it (browsers over TLS), else
/// HTTP/1.1 with the header timeout running from the first byte awaited.
async fn serve_connection<S>(stream: S, h2: bool, router: axum::Router, limits: &Limits)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(stream);
    let service = TowerToHyperService::new(router);
    // Errors here are the client's (a reset, a timeout, a malformed request):
    // the connection ends, the server goes on.
    if h2 {
        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .max_concurrent_streams(64)
            .serve_connection(io, service)
            .await;
    } else {
        let _ = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(io, service)
            // The API's WebSocket takes the connection over after its upgrade.
            .with_upgrades()
            .await;
    }
}

fn login_url(addr: SocketAddr, secure: bool, token: &str) -> String {
    let scheme = if secure { "https" } else { "http" };
    let host = if addr.ip().is_unspecified() {
        format!("localhost:{}", addr.port())
    } else {
        addr.to_string()
    };
    format!("{scheme}://{host}/login?token={token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (address, TLS-free with --insecure-http?, TLS-free without it?, address used)
    #[test]
    fn mapped_addresses_are_their_ipv4_address() {
        let cases: &[(&str, bool, bool, &str)] = &[
            ("127.0.0.1:80", true, true, "127.0.0.1:80"),
            ("[::1]:80", true, true, "[::1]:80"),
            ("[::ffff:127.0.0.1]:80", true, true, "127.0.0.1:80"),
            ("[::ffff:127.1.2.3]:80", true, true, "127.1.2.3:80"),
            ("0.0.0.0:80", false, false, "0.0.0.0:80"),
            ("[::]:80", false, false, "[::]:80"),
            ("[::ffff:0.0.0.0]:80", false, false, "0.0.0.0:80"),
            ("192.0.2.7:80", true, false, "192.0.2.7:80"),
            ("[::ffff:192.0.2.7]:80", true, false, "192.0.2.7:80"),
            ("[2001:db8::1]:80", true, false, "[2001:db8::1]:80"),
            // IPv4-compatible (deprecated), not mapped: an IPv6 address of its own.
            ("[::127.0.0.1]:80", true, false, "[::7f00:1]:80"),
        ];
        for &(addr, insecure, plain, used) in cases {
            let a: SocketAddr = addr.parse().expect("an address");
            assert_eq!(
                plain_allowed(a, true),
                insecure,
                "{addr} with --insecure-http"
            );
            assert_eq!(plain_allowed(a, false), plain, "{addr} without it");
            assert_eq!(unmapped(a).to_string(), used, "{addr}");
        }
    }
}
