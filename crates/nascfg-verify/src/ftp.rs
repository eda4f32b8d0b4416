//! FTP: log in and list the login directory (what `rclone lsjson remote:`
//! lists). When the server's `FEAT` offers `AUTH TLS`, the session switches
//! to explicit TLS before the password is sent; the server's certificate is
//! checked against the web PKI roots.

use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use suppaftp::{FtpError, RustlsConnector, RustlsFtpStream};

use crate::deadline::{Deadline, connect_tcp, run_bounded};
use crate::excerpt::first_line;
use crate::{Check, Failure, Outcome, Success};

pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let host = check.text("host")?;
    let port = u16::try_from(check.credential.integer("port").unwrap_or(21))
        .map_err(|_| Failure::new("the port is out of range"))?;
    let user = check.text("user")?;
    let pass = SecretString::from(
        check
            .credential
            .secret("pass")
            .map(|p| p.expose_secret().to_owned())
            .unwrap_or_default(),
    );
    let deadline = check.deadline;
    let connect_timeout = check.options.connect_timeout;
    run_bounded(&deadline, move || {
        session(&host, port, &user, &pass, connect_timeout, &deadline)
    })?;
    Ok(Success::default())
}

fn session(
    host: &str,
    port: u16,
    user: &str,
    pass: &SecretString,
    connect_timeout: Duration,
    deadline: &Deadline,
) -> Result<(), Failure> {
    let stream = connect_tcp(host, port, connect_timeout, deadline)?;
    let fail = |e: FtpError| ftp_failure(e, deadline);
    let mut ftp = RustlsFtpStream::connect_with_stream(stream).map_err(fail)?;
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
        Err(e) => return Err(fail(e)),
    };
    if offers_tls {
        // rustls handshakes on first use (PBSZ), so any error here is the handshake's.
        ftp = ftp.into_secure(tls_connector()?, host).map_err(|e| {
            let text = match e {
                FtpError::SecureError(msg) => msg,
                FtpError::ConnectionError(io) => io.to_string(),
                other => other.to_string(),
            };
            Failure::new(format!("TLS handshake failed: {}", first_line(&text)))
        })?;
    }
    ftp.login(user, pass.expose_secret()).map_err(fail)?;
    ftp.list(None).map_err(fail)?;
    let _ = ftp.quit();
    Ok(())
}

/// rustls over ring, web PKI roots.
fn tls_connector() -> Result<RustlsConnector, Failure> {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Failure::new(format!("TLS setup failed: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(RustlsConnector::from(Arc::new(config)))
}

/// The server's reply line (`530 Login incorrect.`) or the transport problem.
fn ftp_failure(err: FtpError, deadline: &Deadline) -> Failure {
    match err {
        FtpError::UnexpectedResponse(response) => {
            let text = String::from_utf8_lossy(&response.body).into_owned();
            let line = first_line(&text);
            let excerpt = if line.is_empty() {
                format!("{} (no text)", response.status.code())
            } else {
                line
            };
            Failure::with_detail(excerpt, text.trim().to_owned())
        }
        FtpError::ConnectionError(io) => {
            if matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) {
                Failure::with_detail(
                    crate::deadline::timed_out_text(deadline.limit()),
                    io.to_string(),
                )
            } else {
                Failure::with_detail(crate::http::io_excerpt(&io), io.to_string())
            }
        }
        FtpError::SecureError(msg) => Failure::new(format!("TLS failed: {msg}")),
        FtpError::BadResponse => Failure::new("the server's answer is not FTP"),
        other => Failure::new(other.to_string()),
    }
}
