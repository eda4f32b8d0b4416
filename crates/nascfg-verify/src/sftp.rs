//! SFTP: SSH login (the key pair's private key and/or the password), then the
//! `sftp` subsystem lists the home directory. The server's host key is
//! returned for the caller to record on first use; when a recorded key is
//! given, a different key fails with `host key changed`.
//!
//! russh (pure Rust, ring) inside a small current-thread tokio runtime,
//! bounded as a whole by the deadline.

use std::sync::Arc;
use std::time::Duration;

use nascfg_net::{HostKeyCheck, HostKeys, SshAuthError, ssh_authenticate};
use russh::client::{self, Handle};
use russh::keys::PublicKey;
use secrecy::{ExposeSecret, SecretString};

use crate::deadline::{Deadline, timed_out_text};
use crate::{Check, Failure, Outcome, Success};

/// The inputs of one SFTP check, owned.
struct Login {
    host: String,
    port: u16,
    user: String,
    password: Option<SecretString>,
    private_key: Option<SecretString>,
    known: Option<PublicKey>,
}

pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let host = check.text("host")?;
    let port = u16::try_from(check.credential.integer("port").unwrap_or(22))
        .map_err(|_| Failure::new("the port is out of range"))?;
    let user = check.text("user")?;
    let password = check
        .credential
        .secret("pass")
        .filter(|p| !p.expose_secret().is_empty())
        .cloned();
    let names_key_pair = check.optional_text("private_key");
    let private_key = check.options.private_key.clone();
    if let (Some(name), None) = (&names_key_pair, &private_key) {
        return Err(Failure::new(format!(
            "the private key of key pair {name} was not given"
        )));
    }
    if password.is_none() && private_key.is_none() {
        return Err(Failure::new(
            "the credential has neither a password nor a key pair",
        ));
    }
    let known = match &check.options.known_host_key {
        Some(line) => Some(PublicKey::from_openssh(line.trim()).map_err(|e| {
            Failure::new(format!(
                "the recorded host key is not an OpenSSH public key: {e}"
            ))
        })?),
        None => None,
    };
    let login = Login {
        host,
        port,
        user,
        password,
        private_key,
        known,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(format!("cannot start the SSH client: {e}")))?;
    let (handler, keys) = HostKeyCheck::new(login.known.clone());
    let deadline = check.deadline;
    let remaining = deadline.remaining_or_fail()?;
    let result = runtime.block_on(async {
        match tokio::time::timeout(
            remaining,
            session(
                &login,
                check.options.connect_timeout,
                &deadline,
                handler,
                &keys,
            ),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => Err(deadline.timed_out().into()),
        }
    });
    // Do not wait for a DNS lookup still blocked in the background.
    runtime.shutdown_background();
    let seen = keys.seen();
    match result {
        Ok(()) => Ok(Success {
            refreshed_token: None,
            host_key_seen: seen,
        }),
        Err(mut failure) => {
            failure.host_key_seen = seen;
            Err(failure)
        }
    }
}

async fn session(
    login: &Login,
    connect_timeout: Duration,
    deadline: &Deadline,
    handler: HostKeyCheck,
    keys: &HostKeys,
) -> Result<(), Failure> {
    let limit = deadline.cap(connect_timeout);
    let stream = match tokio::time::timeout(
        limit,
        tokio::net::TcpStream::connect((login.host.as_str(), login.port)),
    )
    .await
    {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            return Err(Failure::with_detail(
                crate::http::io_excerpt(&e),
                e.to_string(),
            ));
        }
        Err(_) if limit < deadline.remaining().unwrap_or_default() || limit == connect_timeout => {
            return Err(Failure::new(format!(
                "connect {}",
                timed_out_text(connect_timeout)
            )));
        }
        Err(_) => return Err(deadline.timed_out().into()),
    };
    let _ = stream.set_nodelay(true);
    let config = Arc::new(client::Config {
        inactivity_timeout: deadline.remaining(),
        ..client::Config::default()
    });
    let mut handle = match client::connect_stream(config, stream, handler).await {
        Ok(handle) => handle,
        Err(e) => {
            if keys.changed() {
                return Err(Failure::new(format!(
                    "host key changed: {}:{} presents a different host key than the one recorded on first use (possibly a man-in-the-middle; confirm the new key with the server's administrator)",
                    login.host, login.port
                )));
            }
            return Err(ssh_failure(&e, "SSH handshake failed"));
        }
    };
    authenticate(&mut handle, login).await?;
    list_home(&handle).await?;
    let _ = handle
        .disconnect(russh::Disconnect::ByApplication, "", "en")
        .await;
    Ok(())
}

/// Public key first (when given), then password; `Permission denied (...)`
/// when neither is accepted.
async fn authenticate(handle: &mut Handle<HostKeyCheck>, login: &Login) -> Result<(), Failure> {
    let auth = ssh_authenticate(
        handle,
        &login.user,
        login.private_key.as_ref(),
        login.password.as_ref(),
    )
    .await;
    match auth {
        Ok(()) => Ok(()),
        Err(SshAuthError::BadPrivateKey) => Err(Failure::new(
            "the key pair's private key cannot be read (not an unencrypted OpenSSH key)",
        )),
        Err(SshAuthError::Ssh(e)) => Err(ssh_failure(&e, "SSH authentication failed")),
        Err(SshAuthError::Denied(tried)) => Err(Failure::new(format!(
            "Permission denied ({}): the server refused the login of {}",
            tried.join(","),
            login.user
        ))),
    }
}

/// Opens the `sftp` subsystem and reads the home directory.
async fn list_home(handle: &Handle<HostKeyCheck>) -> Result<(), Failure> {
    let channel = handle
        .channel_open_session()
        .await
        .map_err(|e| ssh_failure(&e, "cannot open an SSH session channel"))?;
    channel
        .request_subsystem(true, "sftp")
        .await
        .map_err(|e| ssh_failure(&e, "the server refused the sftp subsystem"))?;
    let sftp = russh_sftp::client::SftpSession::new(channel.into_stream())
        .await
        .map_err(|e| Failure::with_detail("the server did not start SFTP", e.to_string()))?;
    let home = sftp
        .canonicalize(".")
        .await
        .map_err(|e| Failure::with_detail(format!("SFTP: {e}"), e.to_string()))?;
    sftp.read_dir(home.as_str()).await.map_err(|e| {
        Failure::with_detail(format!("SFTP cannot list {home}: {e}"), e.to_string())
    })?;
    let _ = sftp.close().await;
    Ok(())
}

fn ssh_failure(err: &russh::Error, what: &str) -> Failure {
    let excerpt = match err {
        russh::Error::IO(io) => crate::http::io_excerpt(io),
        russh::Error::Disconnect => format!("{what}: the server closed the connection"),
        russh::Error::InactivityTimeout => "timed out".to_owned(),
        other => format!("{what}: {other}"),
    };
    Failure::with_detail(excerpt, err.to_string())
}
