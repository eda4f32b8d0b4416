//! FTP: log in and list the login directory (what `rclone lsjson remote:`
//! lists), over nascfg-net's session: explicit TLS whenever the server's
//! `FEAT` offers `AUTH TLS`, before the password is sent.

use std::time::Duration;

use nascfg_net::{FtpOpenError, ftp_open};
use secrecy::{ExposeSecret, SecretString};
use suppaftp::FtpError;

use crate::deadline::{Deadline, run_bounded};
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
    let fail = |e: FtpError| ftp_failure(e, deadline);
    let mut ftp = ftp_open(host, port, connect_timeout, deadline).map_err(|e| match e {
        FtpOpenError::Connect(net) => net.into(),
        FtpOpenError::Ftp(e) => fail(e),
        FtpOpenError::Tls(e) => {
            let text = match e {
                FtpError::SecureError(msg) => msg,
                FtpError::ConnectionError(io) => io.to_string(),
                other => other.to_string(),
            };
            Failure::new(format!("TLS handshake failed: {}", first_line(&text)))
        }
    })?;
    ftp.login(user, pass.expose_secret()).map_err(fail)?;
    ftp.list(None).map_err(fail)?;
    let _ = ftp.quit();
    Ok(())
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
