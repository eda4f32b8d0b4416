//! rclone as an external engine, for the providers OpenDAL does not serve
//! here (the OAuth drives, B2, Swift, Mega, pCloud, S3 with signature v2).
//!
//! The credential reaches the child only through `RCLONE_CONFIG_<NAME>_<KEY>`
//! environment variables: no config file, and no argument holds a secret (an
//! argument is world-readable in `/proc/<pid>/cmdline`; the environment is
//! readable only by the same user). The remote's name is fixed
//! ([`REMOTE_NAME`]); the child gets `--config /dev/null`, so a config file of
//! the user's cannot add to or change it.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use nascfg_credentials::ProviderKind;
use secrecy::ExposeSecret;

use crate::access::{Access, Object, RcloneRemote};
use crate::error::{Error, Result};
use crate::location::Location;
use crate::runtime::partial_name;

/// The name of the remote the child sees (`NASCFG:path`).
pub const REMOTE_NAME: &str = "NASCFG";

impl RcloneRemote {
    /// The environment of the child: `RCLONE_CONFIG_NASCFG_<KEY>=value`.
    fn environment(&self) -> impl Iterator<Item = (String, &str)> {
        self.entries.iter().map(|(k, v)| {
            (
                format!("RCLONE_CONFIG_{REMOTE_NAME}_{}", k.to_ascii_uppercase()),
                v.expose_secret(),
            )
        })
    }

    /// The values to scrub from rclone's messages. The section holds plain values too (a port,
    /// `true`): values of 1 or 2 characters are left out, or [`nascfg_net::scrub`] would withhold
    /// every line holding `21`. The credential's own secrets, whatever their length, are scrubbed
    /// again by the storage.
    fn secrets(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|(k, _)| k != "type")
            .map(|(_, v)| v.expose_secret())
            .filter(|v| v.chars().count() >= 3)
            .collect()
    }
}

/// The rclone engine at one location.
pub(crate) struct Rclone {
    remote: RcloneRemote,
    location: Location,
    /// `NASCFG:path` (the path only; never a secret).
    base: String,
    connect_timeout: Duration,
    deadline: Duration,
    provider: ProviderKind,
}

impl Rclone {
    pub(crate) fn new(
        remote: RcloneRemote,
        location: &Location,
        access: &Access,
        provider: ProviderKind,
    ) -> Result<Rclone> {
        Ok(Rclone {
            remote,
            location: location.clone(),
            base: format!("{REMOTE_NAME}:{}", location.path()),
            connect_timeout: access.connect_timeout,
            deadline: access.deadline,
            provider,
        })
    }

    fn object(&self, name: &str) -> String {
        if self.location.segments().is_empty() {
            format!("{REMOTE_NAME}:{name}")
        } else {
            format!("{}/{name}", self.base)
        }
    }

    /// `rclone <args>` with the remote in the environment, and nothing else
    /// of rclone's configuration from the environment or a file.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("rclone");
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("RCLONE_") {
                cmd.env_remove(&key);
            }
        }
        // Debian's rclone 1.60 fails S3 with a custom CA bundle from the environment.
        cmd.env_remove("AWS_CA_BUNDLE");
        for (key, value) in self.remote.environment() {
            cmd.env(key, value);
        }
        cmd.args([
            "--config",
            "/dev/null",
            "--retries",
            "1",
            "--low-level-retries",
            "2",
        ])
        .arg(format!(
            "--contimeout={}s",
            self.connect_timeout.as_secs().max(1)
        ))
        .arg(format!("--timeout={}s", self.deadline.as_secs().max(1)))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        cmd
    }

    fn spawn(&self, cmd: &mut Command, operation: &'static str, at: String) -> Result<Child> {
        cmd.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::RcloneMissing {
                    provider: self.provider.type_str().to_owned(),
                }
            } else {
                Error::service(operation, at, format!("cannot run rclone: {e}"))
            }
        })
    }

    /// Runs rclone to the end; its standard output, or its error.
    fn run(&self, operation: &'static str, name: Option<&str>, args: &[&str]) -> Result<Vec<u8>> {
        let at = self.at(name);
        let child = self.spawn(&mut self.command(args), operation, at.clone())?;
        let out = child
            .wait_with_output()
            .map_err(|e| Error::service(operation, at.clone(), e.to_string()))?;
        if out.status.success() {
            return Ok(out.stdout);
        }
        Err(self.failure(operation, at, out.status.code(), &out.stderr))
    }

    fn at(&self, name: Option<&str>) -> String {
        match name {
            Some(n) => self.location.join(n),
            None => self.location.to_string(),
        }
    }

    /// rclone's error line, secrets scrubbed; exit 3 and 4 (directory or
    /// file not found) as `NotFound`.
    fn failure(
        &self,
        operation: &'static str,
        at: String,
        code: Option<i32>,
        stderr: &[u8],
    ) -> Error {
        if matches!(code, Some(3 | 4)) {
            return Error::NotFound { location: at };
        }
        let text = String::from_utf8_lossy(stderr);
        let line = text
            .lines()
            .rev()
            .find(|l| l.contains("ERROR") || l.contains("Failed"))
            .or_else(|| text.lines().rev().find(|l| !l.trim().is_empty()))
            .unwrap_or("rclone failed without a message");
        Error::service(
            operation,
            at,
            nascfg_net::scrub(&nascfg_net::first_line(line), &self.remote.secrets()),
        )
    }

    pub(crate) fn start(&self, name: &str) -> Result<Sink<'_>> {
        let temp = partial_name(name);
        let target = self.object(&temp);
        let mut cmd = self.command(&["rcat", &target]);
        cmd.stdin(Stdio::piped()).stdout(Stdio::null());
        let mut child = self.spawn(&mut cmd, "upload", self.at(Some(name)))?;
        let stdin = child.stdin.take().expect("rcat's stdin is piped");
        Ok(Sink {
            engine: self,
            name: name.to_owned(),
            temp,
            child,
            stdin,
        })
    }

    pub(crate) fn list(&self) -> Result<Vec<Object>> {
        #[derive(serde::Deserialize)]
        struct Entry {
            #[serde(rename = "Name")]
            name: String,
            #[serde(rename = "Size")]
            size: i64,
            #[serde(rename = "IsDir")]
            is_dir: bool,
        }
        let out = match self.run("list", None, &["lsjson", "--files-only", &self.base]) {
            Ok(out) => out,
            Err(Error::NotFound { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let entries: Vec<Entry> = serde_json::from_slice(&out).map_err(|e| {
            Error::service(
                "list",
                self.at(None),
                format!("rclone lsjson answered something else than its JSON: {e}"),
            )
        })?;
        Ok(entries
            .into_iter()
            .filter(|e| !e.is_dir && !e.name.contains('/'))
            .map(|e| Object {
                name: e.name,
                size: u64::try_from(e.size).unwrap_or(0),
            })
            .collect())
    }

    pub(crate) fn get(&self, name: &str, out: &mut dyn Write) -> Result<u64> {
        let at = self.at(Some(name));
        let object = self.object(name);
        let mut child = self.spawn(&mut self.command(&["cat", &object]), "read", at.clone())?;
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let errors = std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text);
            text
        });
        let copied = std::io::copy(&mut stdout, out);
        drop(stdout);
        let status = child
            .wait()
            .map_err(|e| Error::service("read", at.clone(), e.to_string()))?;
        let stderr = errors.join().unwrap_or_default();
        if !status.success() {
            return Err(self.failure("read", at, status.code(), &stderr));
        }
        copied.map_err(|e| Error::service("read", at, e.to_string()))
    }

    pub(crate) fn stat(&self, name: &str) -> Result<u64> {
        // lsjson of the folder, filtered: a missing file is then an empty answer.
        self.list()?
            .into_iter()
            .find(|o| o.name == name)
            .map(|o| o.size)
            .ok_or_else(|| Error::NotFound {
                location: self.at(Some(name)),
            })
    }

    pub(crate) fn delete(&self, name: &str) -> Result<()> {
        self.run("delete", Some(name), &["deletefile", &self.object(name)])
            .map(drop)
    }
}

/// An rclone upload in progress: `rclone rcat` of the temporary name, then
/// `rclone moveto` to the final one.
pub(crate) struct Sink<'a> {
    engine: &'a Rclone,
    name: String,
    temp: String,
    child: Child,
    stdin: ChildStdin,
}

impl Sink<'_> {
    pub(crate) fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.stdin.write_all(chunk).map_err(|e| {
            Error::service(
                "upload",
                self.engine.at(Some(&self.name)),
                format!("rclone stopped reading: {e}"),
            )
        })
    }

    pub(crate) fn finish(self) -> Result<()> {
        let Sink {
            engine,
            name,
            temp,
            child,
            stdin,
        } = self;
        // The end of the input ends rcat.
        drop(stdin);
        let at = engine.at(Some(&name));
        let out = child
            .wait_with_output()
            .map_err(|e| Error::service("upload", at.clone(), e.to_string()))?;
        if !out.status.success() {
            let _ = engine.run("delete", None, &["deletefile", &engine.object(&temp)]);
            return Err(engine.failure("upload", at, out.status.code(), &out.stderr));
        }
        let moved = engine.run(
            "upload",
            Some(&name),
            &["moveto", &engine.object(&temp), &engine.object(&name)],
        );
        if let Err(e) = moved {
            let _ = engine.run("delete", None, &["deletefile", &engine.object(&temp)]);
            return Err(e);
        }
        Ok(())
    }

    pub(crate) fn abort(self) {
        let Sink {
            engine,
            temp,
            mut child,
            stdin,
            ..
        } = self;
        drop(stdin);
        let _ = child.kill();
        let _ = child.wait();
        let _ = engine.run("delete", None, &["deletefile", &engine.object(&temp)]);
    }
}
