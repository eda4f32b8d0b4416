//! SFTP over russh and russh-sftp, logged in as verify does: the key pair's
//! private key (held in memory, never written to a file) and/or the
//! password; the host key checked against the one recorded on first use.
//!
//! Not OpenDAL's SFTP service: it wants a key *file* and drives the system
//! `ssh` binary, and a secret never goes into a temporary file.

use std::io::Write;
use std::sync::Arc;

use nascfg_credentials::Credential;
use nascfg_net::{HostKeyCheck, HostKeys, SshAuthError, ssh_authenticate};
use russh::client::{self, Handle};
use russh::keys::PublicKey;
use russh_sftp::client::SftpSession;
use secrecy::{ExposeSecret, SecretString};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::access::{Access, Object};
use crate::error::{Error, Result};
use crate::location::Location;
use crate::runtime::{Runner, partial_name};

/// One SSH connection with its SFTP session, at the location's directory.
pub(crate) struct Sftp {
    runner: Runner,
    _handle: Handle<HostKeyCheck>,
    sftp: SftpSession,
    /// The location's directory: relative to the login's home (`.` for the home).
    dir: String,
    keys: HostKeys,
}

fn ssh_message(e: &russh::Error) -> String {
    match e {
        russh::Error::IO(io) => nascfg_net::io_excerpt(io),
        russh::Error::Disconnect => "the server closed the connection".into(),
        other => other.to_string(),
    }
}

impl Sftp {
    pub(crate) fn connect(cred: &Credential, location: &Location, access: &Access) -> Result<Sftp> {
        let runner = Runner::new(access.deadline, location)?;
        let at = location.to_string();
        let host = cred.text("host").unwrap_or_default().to_owned();
        let port = u16::try_from(cred.integer("port").unwrap_or(22)).map_err(|_| {
            Error::service("connect", at.clone(), "the port is out of range".into())
        })?;
        let user = cred.text("user").unwrap_or_default().to_owned();
        let password = cred
            .secret("pass")
            .filter(|p| !p.expose_secret().is_empty())
            .cloned();
        let known = match &access.known_host_key {
            Some(line) => Some(PublicKey::from_openssh(line.trim()).map_err(|e| {
                Error::service(
                    "connect",
                    at.clone(),
                    format!("the recorded host key is not an OpenSSH public key: {e}"),
                )
            })?),
            None => None,
        };
        let (handler, keys) = HostKeyCheck::new(known);
        let connect_timeout = access.connect_timeout;
        let private_key = access.private_key.clone();
        let remaining = runner.remaining();
        let (handle, sftp) = runner.run("connect", None, async {
            let stream = match tokio::time::timeout(
                connect_timeout.min(remaining),
                tokio::net::TcpStream::connect((host.as_str(), port)),
            )
            .await
            {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => {
                    return Err(Error::service("connect", at.clone(), nascfg_net::io_excerpt(&e)));
                }
                Err(_) => {
                    return Err(Error::TimedOut {
                        operation: "connect",
                        location: at.clone(),
                        seconds: connect_timeout.as_secs(),
                    });
                }
            };
            let _ = stream.set_nodelay(true);
            let config = Arc::new(client::Config {
                inactivity_timeout: Some(remaining),
                ..client::Config::default()
            });
            let mut handle = client::connect_stream(config, stream, handler)
                .await
                .map_err(|e| {
                    if keys.changed() {
                        Error::service(
                            "connect",
                            at.clone(),
                            format!(
                                "host key changed: {host}:{port} presents a different host key than the one recorded on first use"
                            ),
                        )
                    } else {
                        Error::service("connect", at.clone(), format!("SSH handshake failed: {}", ssh_message(&e)))
                    }
                })?;
            authenticate(&mut handle, &user, private_key.as_ref(), password.as_ref(), &at).await?;
            let channel = handle
                .channel_open_session()
                .await
                .map_err(|e| Error::service("connect", at.clone(), ssh_message(&e)))?;
            channel
                .request_subsystem(true, "sftp")
                .await
                .map_err(|e| Error::service("connect", at.clone(), ssh_message(&e)))?;
            let sftp = SftpSession::new(channel.into_stream()).await.map_err(|e| {
                Error::service("connect", at.clone(), format!("the server did not start SFTP: {e}"))
            })?;
            sftp.set_timeout(remaining.as_secs().max(1));
            Ok((handle, sftp))
        })?;
        let dir = if location.segments().is_empty() {
            ".".to_owned()
        } else {
            location.path()
        };
        Ok(Sftp {
            runner,
            _handle: handle,
            sftp,
            dir,
            keys,
        })
    }

    pub(crate) fn host_key_seen(&self) -> Option<String> {
        self.keys.seen()
    }

    fn path(&self, name: &str) -> String {
        format!("{}/{name}", self.dir)
    }

    /// Removes an upload's temporary object, at `path`, as well as it can: a
    /// failure leaves a `.partial-` name, never a final one.
    fn remove_quietly(&self, path: &str) {
        let _ = self.runner.run("delete", None, async {
            self.sftp
                .remove_file(path)
                .await
                .map_err(|e| self.error("delete", None, e))
        });
    }

    fn error(
        &self,
        operation: &'static str,
        name: Option<&str>,
        e: russh_sftp::client::error::Error,
    ) -> Error {
        let at = self.runner.at(name);
        if let russh_sftp::client::error::Error::Status(status) = &e
            && status.status_code == russh_sftp::protocol::StatusCode::NoSuchFile
        {
            return Error::NotFound { location: at };
        }
        Error::service(operation, at, e.to_string())
    }

    pub(crate) fn start(&self, name: &str) -> Result<Sink<'_>> {
        let temp = partial_name(name);
        let file = self.runner.run("upload", Some(name), async {
            let mut dir = String::new();
            for segment in self.dir.split('/').filter(|s| *s != ".") {
                if !dir.is_empty() {
                    dir.push('/');
                }
                dir.push_str(segment);
                if !self.sftp.try_exists(dir.as_str()).await.unwrap_or(false) {
                    let _ = self.sftp.create_dir(dir.as_str()).await;
                }
            }
            self.sftp
                .create(self.path(&temp))
                .await
                .map_err(|e| self.error("upload", Some(name), e))
        })?;
        Ok(Sink {
            engine: self,
            name: name.to_owned(),
            temp,
            file: Some(file),
        })
    }

    pub(crate) fn list(&self) -> Result<Vec<Object>> {
        self.runner.run("list", None, async {
            let entries = match self.sftp.read_dir(self.dir.as_str()).await {
                Ok(entries) => entries,
                Err(e) => {
                    return match self.error("list", None, e) {
                        Error::NotFound { .. } => Ok(Vec::new()),
                        other => Err(other),
                    };
                }
            };
            Ok(entries
                .filter(|e| e.file_type().is_file())
                .map(|e| Object {
                    name: e.file_name(),
                    size: e.metadata().size.unwrap_or(0),
                })
                .collect())
        })
    }

    pub(crate) fn get(&self, name: &str, out: &mut dyn Write) -> Result<u64> {
        let mut file = self.runner.run("read", Some(name), async {
            self.sftp
                .open(self.path(name))
                .await
                .map_err(|e| self.error("read", Some(name), e))
        })?;
        let mut done = 0u64;
        let mut buffer = vec![0u8; 256 << 10];
        loop {
            let n = self.runner.run("read", Some(name), async {
                file.read(&mut buffer)
                    .await
                    .map_err(|e| Error::service("read", self.runner.at(Some(name)), e.to_string()))
            })?;
            if n == 0 {
                break;
            }
            out.write_all(&buffer[..n])
                .map_err(|e| Error::service("read", self.runner.at(Some(name)), e.to_string()))?;
            done += n as u64;
        }
        Ok(done)
    }

    pub(crate) fn stat(&self, name: &str) -> Result<u64> {
        self.runner.run("stat", Some(name), async {
            self.sftp
                .metadata(self.path(name))
                .await
                .map(|m| m.size.unwrap_or(0))
                .map_err(|e| self.error("stat", Some(name), e))
        })
    }

    pub(crate) fn delete(&self, name: &str) -> Result<()> {
        self.runner.run("delete", Some(name), async {
            self.sftp
                .remove_file(self.path(name))
                .await
                .map_err(|e| self.error("delete", Some(name), e))
        })
    }
}

async fn authenticate(
    handle: &mut Handle<HostKeyCheck>,
    user: &str,
    private_key: Option<&SecretString>,
    password: Option<&SecretString>,
    at: &str,
) -> Result<()> {
    let message = match ssh_authenticate(handle, user, private_key, password).await {
        Ok(()) => return Ok(()),
        Err(SshAuthError::BadPrivateKey) => {
            "the key pair's private key cannot be read (not an unencrypted OpenSSH key)".to_owned()
        }
        Err(SshAuthError::Ssh(e)) => ssh_message(&e),
        Err(SshAuthError::Denied(tried)) if tried.is_empty() => {
            "the credential has neither a password nor a key pair".to_owned()
        }
        Err(SshAuthError::Denied(tried)) => format!(
            "Permission denied ({}): the server refused the login of {user}",
            tried.join(",")
        ),
    };
    Err(Error::service("connect", at.to_owned(), message))
}

/// An SFTP upload in progress, into the temporary name.
pub(crate) struct Sink<'a> {
    engine: &'a Sftp,
    name: String,
    temp: String,
    file: Option<russh_sftp::client::fs::File>,
}

impl Sink<'_> {
    pub(crate) fn write(&mut self, chunk: &[u8]) -> Result<()> {
        let engine = self.engine;
        let name = self.name.clone();
        let file = self
            .file
            .as_mut()
            .expect("an unfinished upload has its file");
        engine.runner.run("upload", Some(&name), async {
            file.write_all(chunk)
                .await
                .map_err(|e| Error::service("upload", engine.runner.at(Some(&name)), e.to_string()))
        })
    }

    pub(crate) fn finish(mut self) -> Result<()> {
        let engine = self.engine;
        let name = self.name.clone();
        let temp = engine.path(&self.temp);
        let mut file = self.file.take().expect("an unfinished upload has its file");
        let result = engine.runner.run("upload", Some(&name), async {
            file.flush().await.map_err(|e| {
                Error::service("upload", engine.runner.at(Some(&name)), e.to_string())
            })?;
            file.shutdown().await.map_err(|e| {
                Error::service("upload", engine.runner.at(Some(&name)), e.to_string())
            })?;
            drop(file);
            engine
                .sftp
                .rename(temp.as_str(), engine.path(&name))
                .await
                .map_err(|e| engine.error("upload", Some(&name), e))
        });
        if result.is_err() {
            engine.remove_quietly(&temp);
        }
        result
    }

    pub(crate) fn abort(mut self) {
        let engine = self.engine;
        if let Some(file) = self.file.take() {
            drop(file);
            engine.remove_quietly(&engine.path(&self.temp));
        }
    }
}
