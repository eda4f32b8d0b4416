//! [`Storage`]: one location on one credential's storage, and the engines
//! behind it (OpenDAL, SFTP over russh, rclone).

use std::io::{Read, Write};

use nascfg_credentials::{Credential, ProviderKind};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::access::{Access, CHUNK, EngineChoice, Object};
use crate::error::{Error, Result};
use crate::ftp::Ftp;
use crate::location::Location;
use crate::opendal_engine::OpenDal;
use crate::rclone::Rclone;
use crate::sftp::Sftp;

/// What a finished upload wrote and read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// `CRED:PATH/NAME`.
    pub location: String,
    /// The object's name.
    pub name: String,
    /// Its size in bytes, as read back.
    pub size: u64,
    /// Its SHA-256 (hex), as read back or as the service keeps it.
    pub sha256: String,
    /// How size and SHA-256 were confirmed.
    pub checked_by: Checked,
}

/// How a finished upload's size and SHA-256 were confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// The object was read back whole and hashed.
    ReadBack,
    /// The service checked the upload against our SHA-256, kept it, and gave
    /// it back with the object's size (S3's `x-amz-checksum-sha256`).
    ServiceSha256,
}

impl Checked {
    /// `read-back` or `service-sha256`, as `--json` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Checked::ReadBack => "read-back",
            Checked::ServiceSha256 => "service-sha256",
        }
    }
}

/// Whether an engine of this crate (OpenDAL, FTP, SFTP) serves `provider`
/// without rclone (S3 with signature v2 still goes through rclone).
pub fn serves_natively(provider: ProviderKind) -> bool {
    matches!(
        provider,
        ProviderKind::S3
            | ProviderKind::AzureBlob
            | ProviderKind::GoogleCloudStorage
            | ProviderKind::Webdav
            | ProviderKind::Ftp
            | ProviderKind::Sftp
    )
}

/// Whether [`Storage::open`] sends `credential` through the rclone engine with `engine`: not
/// served natively (or S3 with signature v2), or rclone asked for.
pub fn uses_rclone(credential: &Credential, engine: EngineChoice) -> bool {
    let kind = credential.provider();
    !(engine == EngineChoice::Auto
        && serves_natively(kind)
        && !(kind == ProviderKind::S3 && credential.boolean("signatures_v2") == Some(true)))
}

/// The engine behind a [`Storage`].
pub(crate) enum Engine {
    OpenDal(OpenDal),
    Ftp(Ftp),
    Sftp(Sftp),
    Rclone(Rclone),
}

/// One location (`CRED:PATH`) on a credential's storage, open for the
/// length of a command: the credential's secrets are held by the engine until
/// the storage is dropped, and go only to the credential's own service.
pub struct Storage {
    location: Location,
    engine: Engine,
    /// The credential's secret values, scrubbed from every message.
    secrets: Vec<SecretString>,
}

nascfg_credentials::redacted_debug!(Storage {
    location: |s| s.location.to_string(),
    engine: |s| s.engine_name(),
    ..
});

impl Storage {
    /// Opens `location` on `credential`'s storage (`location.credential()`
    /// names it; the caller has looked it up). Connects where the engine keeps
    /// a session (SFTP); the HTTP engines connect on first use.
    pub fn open(credential: &Credential, location: &Location, access: Access) -> Result<Storage> {
        let mut secrets: Vec<SecretString> = credential
            .secret_attributes()
            .into_iter()
            .map(|(_, s)| s.clone())
            .filter(|s| !s.expose_secret().is_empty())
            .chain(access.private_key.clone())
            .collect();
        // An OAuth token's parts, which a service may echo one by one.
        if let Some(token) = credential
            .secret("token")
            .and_then(|t| nascfg_credentials::OAuthToken::parse(t.expose_secret()).ok())
        {
            secrets.push(token.access_token().clone());
            secrets.extend(token.refresh_token().cloned());
        }
        let kind = credential.provider();
        let unsupported = |reason: &str| Error::Unsupported {
            credential: credential.name().to_owned(),
            provider: kind.type_str().to_owned(),
            reason: reason.to_owned(),
        };
        let native = !uses_rclone(credential, access.engine);
        // Opening connects and logs in (SFTP, FTP): what the server answers then is
        // scrubbed like any transfer's error.
        let opened = if native {
            if kind == ProviderKind::Sftp {
                Sftp::connect(credential, location, &access).map(Engine::Sftp)
            } else if kind == ProviderKind::Ftp {
                Ftp::connect(credential, location, &access).map(Engine::Ftp)
            } else {
                OpenDal::new(credential, location, &access).map(Engine::OpenDal)
            }
        } else {
            if kind == ProviderKind::Http {
                return Err(unsupported("an HTTP credential is read-only"));
            }
            let remote = access.rclone.clone().ok_or_else(|| {
                unsupported("rclone has no backend for it, and no other engine serves it")
            })?;
            Rclone::new(remote, location, &access, kind).map(Engine::Rclone)
        };
        let engine = opened.map_err(|e| scrub(&secrets, e))?;
        Ok(Storage {
            location: location.clone(),
            engine,
            secrets,
        })
    }

    /// `opendal`, `ftp`, `sftp` or `rclone`.
    pub fn engine_name(&self) -> &'static str {
        match &self.engine {
            Engine::OpenDal(_) => "opendal",
            Engine::Ftp(_) => "ftp",
            Engine::Sftp(_) => "sftp",
            Engine::Rclone(_) => "rclone",
        }
    }

    /// The location this storage is open at.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The SSH host key the SFTP server presented (an OpenSSH line), for the
    /// caller to record on first use.
    pub fn host_key_seen(&self) -> Option<String> {
        match &self.engine {
            Engine::Sftp(s) => s.host_key_seen(),
            Engine::OpenDal(_) | Engine::Ftp(_) | Engine::Rclone(_) => None,
        }
    }

    /// Starts an upload of `name`. Write the bytes into it, then
    /// [`Upload::finish`]: only then does the object carry its name (a
    /// temporary name then a rename, or a multipart upload completed at the
    /// end); dropping it unfinished removes what was sent where it can.
    pub fn upload(&self, name: &str) -> Result<Upload<'_>> {
        check_name(&self.location, name)?;
        let sink = match &self.engine {
            Engine::OpenDal(e) => Sink::OpenDal(e.start(name).map_err(|e| self.scrubbed(e))?),
            Engine::Ftp(e) => Sink::Ftp(e.start(name).map_err(|e| self.scrubbed(e))?),
            Engine::Sftp(e) => Sink::Sftp(e.start(name).map_err(|e| self.scrubbed(e))?),
            Engine::Rclone(e) => Sink::Rclone(e.start(name).map_err(|e| self.scrubbed(e))?),
        };
        Ok(Upload {
            storage: self,
            name: name.to_owned(),
            sink: Some(sink),
            buffer: Vec::with_capacity(CHUNK),
            size: 0,
            hash: Sha256::new(),
        })
    }

    /// Uploads everything `reader` gives as `name` (see [`Storage::upload`]).
    pub fn put(&self, name: &str, reader: &mut dyn Read) -> Result<Pushed> {
        let mut upload = self.upload(name)?;
        std::io::copy(reader, &mut upload).map_err(|e| self.io_error("upload", name, e))?;
        upload.finish()
    }

    /// The objects directly at this location (not in folders below it),
    /// unsorted. A location that does not exist yet has none.
    pub fn list(&self) -> Result<Vec<Object>> {
        match &self.engine {
            Engine::OpenDal(e) => e.list(),
            Engine::Ftp(e) => e.list(),
            Engine::Sftp(e) => e.list(),
            Engine::Rclone(e) => e.list(),
        }
        .map_err(|e| self.scrubbed(e))
    }

    /// Hands every object directly at this location to `each`, unsorted.
    /// OpenDAL's services are walked page by page as the service answers, so
    /// a fleet's bucket is never held whole; the other engines list the
    /// folder first (their listings are one answer). A location that does not
    /// exist yet has none.
    pub fn for_each_object(&self, each: &mut dyn FnMut(Object)) -> Result<()> {
        let listed = match &self.engine {
            Engine::OpenDal(e) => return e.for_each(each).map_err(|e| self.scrubbed(e)),
            Engine::Ftp(e) => e.list(),
            Engine::Sftp(e) => e.list(),
            Engine::Rclone(e) => e.list(),
        }
        .map_err(|e| self.scrubbed(e))?;
        listed.into_iter().for_each(each);
        Ok(())
    }

    /// Streams object `name` into `out`; returns its size.
    pub fn get(&self, name: &str, out: &mut dyn Write) -> Result<u64> {
        check_name(&self.location, name)?;
        match &self.engine {
            Engine::OpenDal(e) => e.get(name, out),
            Engine::Ftp(e) => e.get(name, out),
            Engine::Sftp(e) => e.get(name, out),
            Engine::Rclone(e) => e.get(name, out),
        }
        .map_err(|e| self.scrubbed(e))
    }

    /// The size of object `name`.
    pub fn stat(&self, name: &str) -> Result<u64> {
        check_name(&self.location, name)?;
        match &self.engine {
            Engine::OpenDal(e) => e.stat(name),
            Engine::Ftp(e) => e.stat(name),
            Engine::Sftp(e) => e.stat(name),
            Engine::Rclone(e) => e.stat(name),
        }
        .map_err(|e| self.scrubbed(e))
    }

    /// Deletes object `name`.
    pub fn delete(&self, name: &str) -> Result<()> {
        check_name(&self.location, name)?;
        match &self.engine {
            Engine::OpenDal(e) => e.delete(name),
            Engine::Ftp(e) => e.delete(name),
            Engine::Sftp(e) => e.delete(name),
            Engine::Rclone(e) => e.delete(name),
        }
        .map_err(|e| self.scrubbed(e))
    }

    /// Reads object `name` back whole: its size and SHA-256 (hex).
    pub fn digest(&self, name: &str) -> Result<(u64, String)> {
        let mut hasher = HashWriter(Sha256::new());
        let size = self.get(name, &mut hasher)?;
        Ok((size, hex::encode(hasher.0.finalize())))
    }

    fn io_error(&self, operation: &'static str, name: &str, e: std::io::Error) -> Error {
        // An engine's error travels through io::Write as its own Error.
        match e.downcast::<Error>() {
            Ok(inner) => self.scrubbed(inner),
            Err(e) => self.scrubbed(Error::service(
                operation,
                self.location.join(name),
                e.to_string(),
            )),
        }
    }

    /// `e` with every secret of the credential replaced.
    fn scrubbed(&self, e: Error) -> Error {
        scrub(&self.secrets, e)
    }
}

/// `e` with every one of `secrets` replaced.
fn scrub(secrets: &[SecretString], e: Error) -> Error {
    let secrets: Vec<&str> = secrets.iter().map(|s| s.expose_secret()).collect();
    let clean = |text: String| nascfg_net::scrub(&text, &secrets);
    match e {
        Error::Service {
            operation,
            location,
            message,
        } => Error::service(operation, location, clean(message)),
        Error::Unsupported {
            credential,
            provider,
            reason,
        } => Error::Unsupported {
            credential,
            provider,
            reason: clean(reason),
        },
        Error::Location { given, reason } => Error::Location {
            given,
            reason: clean(reason),
        },
        Error::TokenRefresh {
            credential,
            message,
        } => Error::TokenRefresh {
            credential,
            message: clean(message),
        },
        other @ (Error::NotFound { .. }
        | Error::TimedOut { .. }
        | Error::ReadBack { .. }
        | Error::RcloneMissing { .. }
        | Error::PingUrl { .. }
        | Error::Ping { .. }
        | Error::Io { .. }) => other,
    }
}

/// An object name is one path segment.
fn check_name(location: &Location, name: &str) -> Result<()> {
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.chars().any(char::is_control)
    {
        return Err(Error::Location {
            given: location.join(name),
            reason: "an object name is one path segment".into(),
        });
    }
    Ok(())
}

struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An engine's half of an upload in progress.
pub(crate) enum Sink<'a> {
    OpenDal(crate::opendal_engine::Sink<'a>),
    Ftp(crate::ftp::Sink<'a>),
    Sftp(crate::sftp::Sink<'a>),
    Rclone(crate::rclone::Sink<'a>),
}

/// An upload in progress (see [`Storage::upload`]): an [`std::io::Write`]
/// that hashes what passes and hands the engine chunks of 8 MiB.
pub struct Upload<'a> {
    storage: &'a Storage,
    name: String,
    sink: Option<Sink<'a>>,
    buffer: Vec<u8>,
    size: u64,
    hash: Sha256,
}

nascfg_credentials::redacted_debug!(Upload<'a> { name, size, .. });

impl Upload<'_> {
    fn send_buffer(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        let sink = self
            .sink
            .as_mut()
            .expect("an unfinished upload has its sink");
        let result = match sink {
            Sink::OpenDal(s) => s.write(chunk),
            Sink::Ftp(s) => s.write(&chunk),
            Sink::Sftp(s) => s.write(&chunk),
            Sink::Rclone(s) => s.write(&chunk),
        };
        result.map_err(|e| self.storage.scrubbed(e))
    }

    /// Completes the upload: the object gets its name, then must have the
    /// size and SHA-256 of what was written. Where the service checks an
    /// upload against a SHA-256 of ours and keeps it (S3, an upload of one
    /// part), its answer is that check; otherwise the object is read back whole.
    pub fn finish(mut self) -> Result<Pushed> {
        let digest: [u8; 32] = std::mem::take(&mut self.hash).finalize().into();
        let sha256 = hex::encode(digest);
        let location = self.storage.location.join(&self.name);
        let whole = matches!(&self.sink, Some(Sink::OpenDal(s)) if s.checks_sha256());
        let kept = if whole {
            let Some(Sink::OpenDal(sink)) = self.sink.take() else {
                unreachable!("checked above")
            };
            let body = std::mem::take(&mut self.buffer);
            sink.put_whole(body, &digest)
                .map_err(|e| self.storage.scrubbed(e))?
        } else {
            self.send_buffer()?;
            let sink = self.sink.take().expect("an unfinished upload has its sink");
            let result = match sink {
                Sink::OpenDal(s) => s.finish(),
                Sink::Ftp(s) => s.finish(),
                Sink::Sftp(s) => s.finish(),
                Sink::Rclone(s) => s.finish(),
            };
            result.map_err(|e| self.storage.scrubbed(e))?;
            None
        };
        let (size, checked_by) = match kept {
            Some(size) => (size, Checked::ServiceSha256),
            None => {
                let (size, read_back) = self.storage.digest(&self.name)?;
                // A wrong size is reported below, before a hash that must differ.
                if size == self.size && read_back != sha256 {
                    return Err(Error::ReadBack {
                        location,
                        what: format!("sha256 {read_back} != {sha256}"),
                    });
                }
                (size, Checked::ReadBack)
            }
        };
        if size != self.size {
            return Err(Error::ReadBack {
                location,
                what: format!("size {size} != {}", self.size),
            });
        }
        Ok(Pushed {
            location,
            name: self.name.clone(),
            size,
            sha256,
            checked_by,
        })
    }
}

impl Write for Upload<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.sink.is_none() {
            return Err(std::io::Error::other("the upload is finished"));
        }
        let room = CHUNK - self.buffer.len();
        let n = buf.len().min(room);
        self.buffer.extend_from_slice(&buf[..n]);
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        if self.buffer.len() == CHUNK {
            self.send_buffer().map_err(std::io::Error::other)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Upload<'_> {
    fn drop(&mut self) {
        if let Some(sink) = self.sink.take() {
            match sink {
                Sink::OpenDal(s) => s.abort(),
                Sink::Ftp(s) => s.abort(),
                Sink::Sftp(s) => s.abort(),
                Sink::Rclone(s) => s.abort(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::time::Duration;

    use nascfg_credentials::{Credential, ProviderKind};

    use super::*;

    const PASSWORD: &str = "Ftp-Pw-echoed-9c1d";

    /// An FTP server on loopback that refuses the login quoting the password
    /// back (as some servers quote the command they refuse).
    fn echoing_ftp_server() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("local address").port();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            let mut out = stream.try_clone().expect("clone the stream");
            let mut lines = BufReader::new(stream);
            out.write_all(b"220 echo\r\n").expect("greet");
            let mut line = String::new();
            while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
                let command = line.trim_end().to_owned();
                line.clear();
                let answer = if command.starts_with("USER") {
                    "331 password please".to_owned()
                } else if command.starts_with("PASS") {
                    format!("530 refused: {command}")
                } else {
                    "502 no".to_owned()
                };
                if out.write_all(format!("{answer}\r\n").as_bytes()).is_err() {
                    break;
                }
            }
        });
        port
    }

    #[test]
    fn a_login_error_is_scrubbed() {
        let port = echoing_ftp_server();
        let mut attributes = serde_json::Map::new();
        attributes.insert("host".into(), "127.0.0.1".into());
        attributes.insert("port".into(), port.into());
        attributes.insert("user".into(), "u".into());
        attributes.insert("pass".into(), PASSWORD.into());
        let credential =
            Credential::new("ftp", ProviderKind::Ftp, attributes).expect("a valid credential");
        let location = Location::parse("ftp:backups").expect("a location");
        let access = Access {
            connect_timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(20),
            ..Access::default()
        };
        let error = Storage::open(&credential, &location, access).expect_err("the login fails");
        let text = format!("{error} {error:?}");
        assert!(text.contains("530 refused"), "{text}");
        assert!(!text.contains(PASSWORD), "{text}");
    }
}
