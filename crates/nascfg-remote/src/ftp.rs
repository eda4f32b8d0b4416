//! FTP through suppaftp, as verify logs in: explicit TLS whenever the server
//! offers it (before the password is sent), paths under the login's home
//! directory, an upload under a temporary name then `RNFR`/`RNTO`.
//!
//! Not OpenDAL's FTP service: it roots paths at `/` rather than the login's
//! home and sends the password in clear unless told `ftps://`.

use std::cell::RefCell;
use std::io::Write;

use nascfg_credentials::Credential;
use nascfg_net::{Deadline, FtpOpenError, ftp_open};
use secrecy::ExposeSecret;
use suppaftp::types::FileType;
use suppaftp::{FtpError, RustlsFtpStream};

use crate::access::{Access, Object};
use crate::error::{Error, Result};
use crate::location::Location;
use crate::runtime::partial_name;

/// One logged-in FTP session at the location's directory.
pub(crate) struct Ftp {
    ftp: RefCell<RustlsFtpStream>,
    /// The absolute directory of the location.
    dir: String,
    location: Location,
    deadline: Deadline,
}

impl Ftp {
    pub(crate) fn connect(cred: &Credential, location: &Location, access: &Access) -> Result<Ftp> {
        let deadline = Deadline::after(access.deadline);
        let at = location.to_string();
        let fail = |e: FtpError| ftp_error("connect", &at, e, &deadline);
        let host = cred.text("host").unwrap_or_default().to_owned();
        let port = u16::try_from(cred.integer("port").unwrap_or(21)).map_err(|_| {
            Error::service("connect", at.clone(), "the port is out of range".into())
        })?;
        let mut ftp =
            ftp_open(&host, port, access.connect_timeout, &deadline).map_err(|e| match e {
                FtpOpenError::Connect(net) => {
                    Error::service("connect", at.clone(), net.to_string())
                }
                FtpOpenError::Ftp(e) | FtpOpenError::Tls(e) => fail(e),
            })?;
        let user = cred.text("user").unwrap_or_default().to_owned();
        let pass = cred
            .secret("pass")
            .map(|p| p.expose_secret().to_owned())
            .unwrap_or_default();
        ftp.login(user.as_str(), pass.as_str()).map_err(fail)?;
        drop(pass);
        ftp.transfer_type(FileType::Binary).map_err(fail)?;
        let home = ftp.pwd().map_err(fail)?;
        let home = home.trim_end_matches('/');
        let dir = if location.segments().is_empty() {
            if home.is_empty() {
                "/".to_owned()
            } else {
                home.to_owned()
            }
        } else {
            format!("{home}/{}", location.path())
        };
        Ok(Ftp {
            ftp: RefCell::new(ftp),
            dir,
            location: location.clone(),
            deadline,
        })
    }

    fn path(&self, name: &str) -> String {
        format!("{}/{name}", self.dir.trim_end_matches('/'))
    }

    fn error(&self, operation: &'static str, name: Option<&str>, e: FtpError) -> Error {
        let at = match name {
            Some(n) => self.location.join(n),
            None => self.location.to_string(),
        };
        if let FtpError::UnexpectedResponse(r) = &e
            && r.status.code() == 550
            && matches!(operation, "stat" | "read" | "delete")
        {
            return Error::NotFound { location: at };
        }
        ftp_error(operation, &at, e, &self.deadline)
    }

    pub(crate) fn start(&self, name: &str) -> Result<Sink<'_>> {
        let mut ftp = self.ftp.borrow_mut();
        // `mkdir -p`: each level may exist already.
        let mut dir = String::new();
        for segment in self.dir.split('/').filter(|s| !s.is_empty()) {
            dir.push('/');
            dir.push_str(segment);
            let _ = ftp.mkdir(&dir);
        }
        let temp = partial_name(name);
        let stream = ftp
            .put_with_stream(self.path(&temp))
            .map_err(|e| self.error("upload", Some(name), e))?;
        Ok(Sink {
            engine: self,
            name: name.to_owned(),
            temp,
            stream: Box::new(stream),
        })
    }

    pub(crate) fn list(&self) -> Result<Vec<Object>> {
        let lines = match self.ftp.borrow_mut().list(Some(&self.dir)) {
            Ok(lines) => lines,
            Err(FtpError::UnexpectedResponse(r)) if r.status.code() == 550 => Vec::new(),
            Err(e) => return Err(self.error("list", None, e)),
        };
        Ok(lines
            .iter()
            .filter_map(|line| line.parse::<suppaftp::list::File>().ok())
            .filter(|f| f.is_file())
            .map(|f| Object {
                name: f.name().to_owned(),
                size: f.size() as u64,
            })
            .collect())
    }

    pub(crate) fn get(&self, name: &str, out: &mut dyn Write) -> Result<u64> {
        let mut ftp = self.ftp.borrow_mut();
        let mut stream = ftp
            .retr_as_stream(self.path(name))
            .map_err(|e| self.error("read", Some(name), e))?;
        let copied = std::io::copy(&mut stream, out);
        let finished = stream.finish();
        let copied =
            copied.map_err(|e| Error::service("read", self.location.join(name), e.to_string()))?;
        finished.map_err(|e| self.error("read", Some(name), e))?;
        Ok(copied)
    }

    pub(crate) fn stat(&self, name: &str) -> Result<u64> {
        self.ftp
            .borrow_mut()
            .size(self.path(name))
            .map(|s| s as u64)
            .map_err(|e| self.error("stat", Some(name), e))
    }

    pub(crate) fn delete(&self, name: &str) -> Result<()> {
        self.ftp
            .borrow_mut()
            .rm(self.path(name))
            .map_err(|e| self.error("delete", Some(name), e))
    }
}

impl Drop for Ftp {
    fn drop(&mut self) {
        let _ = self.ftp.get_mut().quit();
    }
}

/// A data connection of an upload, whatever its TLS type.
trait Transfer: Write {
    /// Closes the data connection and reads the server's verdict.
    fn finish(self: Box<Self>) -> suppaftp::FtpResult<()>;
}

impl<T: suppaftp::TlsStream> Transfer for suppaftp::TransferStream<T> {
    fn finish(self: Box<Self>) -> suppaftp::FtpResult<()> {
        suppaftp::TransferStream::finish(*self)
    }
}

/// An FTP upload in progress: `STOR` of the temporary name.
pub(crate) struct Sink<'a> {
    engine: &'a Ftp,
    name: String,
    temp: String,
    stream: Box<dyn Transfer>,
}

impl Sink<'_> {
    pub(crate) fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.stream.write_all(chunk).map_err(|e| {
            Error::service(
                "upload",
                self.engine.location.join(&self.name),
                e.to_string(),
            )
        })
    }

    pub(crate) fn finish(self) -> Result<()> {
        let Sink {
            engine,
            name,
            temp,
            stream,
        } = self;
        let finished = stream.finish();
        let mut ftp = engine.ftp.borrow_mut();
        let result = finished.and_then(|()| ftp.rename(engine.path(&temp), engine.path(&name)));
        if let Err(e) = result {
            let _ = ftp.rm(engine.path(&temp));
            return Err(engine.error("upload", Some(&name), e));
        }
        Ok(())
    }

    pub(crate) fn abort(self) {
        // Closing the data connection ends the transfer; then the partial file goes.
        let _ = self.stream.finish();
        let _ = self
            .engine
            .ftp
            .borrow_mut()
            .rm(self.engine.path(&self.temp));
    }
}

fn ftp_error(operation: &'static str, at: &str, e: FtpError, deadline: &Deadline) -> Error {
    let message = match e {
        FtpError::UnexpectedResponse(r) => {
            let text = String::from_utf8_lossy(&r.body).into_owned();
            match nascfg_net::first_line(&text) {
                l if l.is_empty() => format!("{} (no text)", r.status.code()),
                l => l,
            }
        }
        FtpError::ConnectionError(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) =>
        {
            return Error::TimedOut {
                operation,
                location: at.to_owned(),
                seconds: deadline.limit().as_secs(),
            };
        }
        FtpError::ConnectionError(io) => nascfg_net::io_excerpt(&io),
        FtpError::SecureError(msg) => format!("TLS failed: {}", nascfg_net::first_line(&msg)),
        FtpError::BadResponse => "the server's answer is not FTP".into(),
        other => other.to_string(),
    };
    Error::service(operation, at.to_owned(), message)
}
