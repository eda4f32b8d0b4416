//! The FTP session that verify and remote both open (feature `ftp`): the control connection within
//! the connect timeout, passive data connections bounded by the same deadline, and explicit TLS
//! whenever the server's `FEAT` offers `AUTH TLS`, before any password is sent. The server's
//! certificate is checked against the web PKI roots.

use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use suppaftp::{FtpError, RustlsConnector, RustlsFtpStream};

use crate::deadline::{Deadline, connect_tcp};

/// Why an FTP session did not open.
#[derive(Debug)]
pub enum FtpOpenError {
    /// The control connection was not made.
    Connect(crate::Error),
    /// The server's greeting or its `FEAT` answer failed.
    Ftp(FtpError),
    /// The server offers `AUTH TLS` and the TLS handshake failed.
    Tls(FtpError),
}

/// An FTP control connection to `host:port`, not yet logged in, switched to TLS when offered.
pub fn ftp_open(
    host: &str,
    port: u16,
    connect_timeout: Duration,
    deadline: &Deadline,
) -> Result<RustlsFtpStream, FtpOpenError> {
    let stream =
        connect_tcp(host, port, connect_timeout, deadline).map_err(FtpOpenError::Connect)?;
    let mut ftp = RustlsFtpStream::connect_with_stream(stream).map_err(FtpOpenError::Ftp)?;
    let data_deadline = *deadline;
    ftp = ftp.passive_stream_builder(move |addr| {
        let remaining = data_deadline
            .remaining()
            .unwrap_or(Duration::from_millis(1));
        let stream = TcpStream::connect_timeout(&addr, remaining.min(connect_timeout))
            .map_err(FtpError::ConnectionError)?;
        stream
            .set_read_timeout(Some(remaining))
            .map_err(FtpError::ConnectionError)?;
        stream
            .set_write_timeout(Some(remaining))
            .map_err(FtpError::ConnectionError)?;
        Ok(stream)
    });
    // FEAT before login: servers that support explicit TLS say `AUTH TLS`.
    let offers_tls = match ftp.feat() {
        Ok(features) => features.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("AUTH")
                && value
                    .as_deref()
                    .is_some_and(|v| v.to_ascii_uppercase().contains("TLS"))
        }),
        Err(FtpError::UnexpectedResponse(_)) => false,
        Err(e) => return Err(FtpOpenError::Ftp(e)),
    };
    if offers_tls {
        // rustls handshakes on first use (PBSZ), so any error here is the handshake's.
        ftp = ftp
            .into_secure(tls_connector(), host)
            .map_err(FtpOpenError::Tls)?;
    }
    Ok(ftp)
}

/// rustls over ring, web PKI roots.
fn tls_connector() -> RustlsConnector {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    RustlsConnector::from(Arc::new(config))
}
