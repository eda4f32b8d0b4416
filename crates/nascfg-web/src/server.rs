//! The listener: plain HTTP on loopback, TLS (rustls) elsewhere.

use std::net::{SocketAddr, TcpListener};

use crate::app::{App, Config, TlsFiles};
use crate::error::Error;

/// A bound server, ready to run; its login URL is known before it runs.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    app: App,
    tls: Option<TlsFiles>,
    login_url: String,
}

impl Server {
    /// Binds the address. A non-loopback address needs TLS files or
    /// `insecure_http`; a wildcard address (`0.0.0.0`) needs TLS.
    pub fn bind(config: Config) -> Result<Server, Error> {
        let addr = config.listen;
        let loopback = addr.ip().is_loopback();
        if !loopback
            && config.tls.is_none()
            && (!config.insecure_http || addr.ip().is_unspecified())
        {
            return Err(Error::NeedsTls { addr });
        }
        let listener = TcpListener::bind(addr).map_err(|source| Error::Bind { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| Error::Bind { addr, source })?;
        let secure = config.tls.is_some();
        let tls = config.tls.clone();
        let app = App::configured(config, bound, secure);
        let login_url = login_url(bound, secure, app.login_token());
        Ok(Server {
            listener,
            app,
            tls,
            login_url,
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
        runtime.block_on(async move {
            let router = self.app.router();
            match self.tls {
                None => {
                    let listener =
                        tokio::net::TcpListener::from_std(self.listener).map_err(Error::Serve)?;
                    // The peer's address: the API slows down failed logins per address.
                    axum::serve(
                        listener,
                        router.into_make_service_with_connect_info::<SocketAddr>(),
                    )
                    .await
                    .map_err(Error::Serve)
                }
                Some(files) => {
                    // One provider for the process; a second install (another server
                    // in the same process) is refused harmlessly.
                    let _ = rustls::crypto::ring::default_provider().install_default();
                    let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(
                        &files.cert,
                        &files.key,
                    )
                    .await
                    .map_err(|e| Error::Tls {
                        cert: files.cert.clone(),
                        key: files.key.clone(),
                        message: e.to_string(),
                    })?;
                    axum_server::from_tcp_rustls(self.listener, tls)
                        .serve(router.into_make_service_with_connect_info::<SocketAddr>())
                        .await
                        .map_err(Error::Serve)
                }
            }
        })
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
