//! The error of starting the server (requests answer with pages, not errors).

use std::path::PathBuf;

/// Why `nascfg serve` could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A non-loopback address without TLS and without `--insecure-http`.
    #[error(
        "refusing to listen on {addr} without TLS: browsers on the network would send the session in clear text"
    )]
    NeedsTls {
        /// The address asked for.
        addr: std::net::SocketAddr,
    },
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// The certificate or key could not be read or used.
    #[error("cannot use the TLS certificate {cert} with key {key}: {message}")]
    Tls {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The server stopped with an I/O error.
    #[error("the web server stopped: {0}")]
    Serve(std::io::Error),
}

impl Error {
    /// What to do next.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::NeedsTls { .. } => Some(
                "give --tls-cert FILE --tls-key FILE (PEM), or --insecure-http on a network you trust, or listen on 127.0.0.1"
                    .to_owned(),
            ),
            Error::Bind { .. } => Some(
                "choose another port with --listen ADDR:PORT, or stop what uses this one".to_owned(),
            ),
            Error::Tls { .. } => Some(
                "give a PEM certificate chain and its PEM private key (PKCS#8, PKCS#1 or SEC1)"
                    .to_owned(),
            ),
            Error::Serve(_) => None,
        }
    }
}
