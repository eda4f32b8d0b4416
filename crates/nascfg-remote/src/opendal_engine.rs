//! OpenDAL for S3, Azure Blob, Google Cloud Storage and WebDAV, configured
//! from the credential alone: no `AWS_*` variables, no `~/.aws`, no instance
//! metadata, no proxies from the environment, no redirects followed.

use std::io::Write;

use base64::Engine as _;
use nascfg_credentials::{Credential, ProviderKind};
use opendal::{ErrorKind, HttpTransporter, OperationContext, Operator};
use opendal_http_transport_reqwest::ReqwestTransport;
use secrecy::ExposeSecret;

use crate::access::{Access, CHUNK, Object};
use crate::error::{Error, Result};
use crate::location::Location;
use crate::runtime::{Runner, partial_name};
use crate::s3_checksum::S3Checksum;

/// One OpenDAL operator rooted at the location.
pub(crate) struct OpenDal {
    op: Operator,
    runner: Runner,
    /// Upload under a temporary name, then rename (WebDAV); object stores
    /// make an object visible only when its upload completes.
    rename: bool,
    /// The service takes one write per object (WebDAV): the upload is
    /// collected and sent at the end.
    one_shot: bool,
    /// S3: an upload of one part goes up checked by the service's SHA-256.
    s3: Option<S3Checksum>,
}

/// A field's value, secret or not (some catalogs mark an identifier secret).
fn text(cred: &Credential, field: &str) -> String {
    match cred.text(field) {
        Some(t) => t.trim().to_owned(),
        None => secret(cred, field).trim().to_owned(),
    }
}

fn secret(cred: &Credential, field: &str) -> String {
    cred.secret(field)
        .map(|s| s.expose_secret().to_owned())
        .unwrap_or_default()
}

fn with_scheme(endpoint: &str) -> String {
    if endpoint.contains("://") {
        endpoint.to_owned()
    } else {
        format!("https://{endpoint}")
    }
}

impl OpenDal {
    pub(crate) fn new(cred: &Credential, location: &Location, access: &Access) -> Result<OpenDal> {
        let kind = cred.provider();
        let unsupported = |reason: &str| Error::Unsupported {
            credential: cred.name().to_owned(),
            provider: kind.type_str().to_owned(),
            reason: reason.to_owned(),
        };
        let segments = location.segments();
        let bucket_and_root = || -> Result<(String, String)> {
            let (bucket, rest) = segments.split_first().ok_or_else(|| Error::Location {
                given: location.to_string(),
                reason: "the first segment of the path is the bucket or container".into(),
            })?;
            Ok((bucket.clone(), format!("/{}", rest.join("/"))))
        };
        let config = |e: opendal::Error| unsupported(&e.to_string());
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(access.connect_timeout)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| unsupported(&format!("cannot set up HTTP: {e}")))?;
        let mut s3 = None;
        let (op, rename, one_shot) = match kind {
            ProviderKind::S3 => {
                let (bucket, root) = bucket_and_root()?;
                let region = match text(cred, "region") {
                    r if r.is_empty() => "us-east-1".to_owned(),
                    r => r,
                };
                let mut b = opendal::services::S3::default()
                    .bucket(&bucket)
                    .root(&root)
                    .region(&region)
                    .access_key_id(&text(cred, "access_key_id"))
                    .secret_access_key(&secret(cred, "secret_access_key"))
                    .disable_config_load()
                    .disable_ec2_metadata();
                let endpoint = text(cred, "endpoint");
                let endpoint = if endpoint.is_empty() {
                    // AWS's regional endpoint (other partitions name theirs).
                    format!("https://s3.{region}.amazonaws.com")
                } else {
                    let endpoint = with_scheme(&endpoint);
                    b = b.endpoint(&endpoint);
                    endpoint
                };
                s3 = Some(S3Checksum::new(
                    client.clone(),
                    &endpoint,
                    &bucket,
                    &segments[1..],
                    &region,
                    text(cred, "access_key_id"),
                    secret(cred, "secret_access_key"),
                ));
                (Operator::new(b).map_err(config)?, false, false)
            }
            ProviderKind::AzureBlob => {
                let (container, root) = bucket_and_root()?;
                let account = text(cred, "account");
                let endpoint = match text(cred, "endpoint") {
                    e if e.is_empty() => format!("https://{account}.blob.core.windows.net"),
                    e => with_scheme(&e),
                };
                let b = opendal::services::Azblob::default()
                    .container(&container)
                    .root(&root)
                    .endpoint(&endpoint)
                    .account_name(&account)
                    .account_key(&secret(cred, "key"));
                (Operator::new(b).map_err(config)?, false, false)
            }
            ProviderKind::GoogleCloudStorage => {
                let (bucket, root) = bucket_and_root()?;
                let key = secret(cred, "service_account_credentials");
                let b = opendal::services::Gcs::default()
                    .bucket(&bucket)
                    .root(&root)
                    .credential(&base64::engine::general_purpose::STANDARD.encode(key))
                    .disable_vm_metadata()
                    .disable_config_load();
                (Operator::new(b).map_err(config)?, false, false)
            }
            ProviderKind::Webdav => {
                let mut b = opendal::services::Webdav::default()
                    .endpoint(text(cred, "url").trim_end_matches('/'))
                    .root(&format!("/{}", location.path()));
                let user = text(cred, "user");
                if !user.is_empty() {
                    b = b.username(&user).password(&secret(cred, "pass"));
                }
                (Operator::new(b).map_err(config)?, true, true)
            }
            other => {
                return Err(unsupported(&format!(
                    "OpenDAL is not used for {}",
                    other.type_str()
                )));
            }
        };
        let op = op.with_context(
            OperationContext::new()
                .with_http_transport(HttpTransporter::new(ReqwestTransport::new(client))),
        );
        Ok(OpenDal {
            op,
            runner: Runner::new(access.deadline, location)?,
            rename,
            one_shot,
            s3,
        })
    }

    fn error(&self, operation: &'static str, name: Option<&str>, e: opendal::Error) -> Error {
        if e.kind() == ErrorKind::NotFound {
            return Error::NotFound {
                location: self.runner.at(name),
            };
        }
        Error::service(
            operation,
            self.runner.at(name),
            nascfg_net::first_line(&e.to_string()),
        )
    }

    pub(crate) fn start(&self, name: &str) -> Result<Sink<'_>> {
        let target = if self.rename {
            partial_name(name)
        } else {
            name.to_owned()
        };
        Ok(Sink {
            engine: self,
            name: name.to_owned(),
            target,
            writer: None,
            collected: Vec::new(),
        })
    }

    fn open_writer(&self, name: &str, target: &str) -> Result<opendal::Writer> {
        self.runner.run("upload", Some(name), async {
            self.op
                .writer_with(target)
                .chunk(CHUNK)
                .await
                .map_err(|e| self.error("upload", Some(name), e))
        })
    }

    pub(crate) fn list(&self) -> Result<Vec<Object>> {
        let entries = self.runner.run("list", None, async {
            match self.op.list("/").await {
                Ok(entries) => Ok(entries),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(self.error("list", None, e)),
            }
        })?;
        let mut out = Vec::new();
        for entry in entries {
            let meta = entry.metadata();
            if !meta.is_file() {
                continue;
            }
            let name = entry.name().trim_end_matches('/').to_owned();
            if name.is_empty() || name.contains('/') {
                continue;
            }
            let size = meta.content_length();
            out.push(Object { name, size });
        }
        Ok(out)
    }

    /// Hands each object at the location to `each` as the service's pages
    /// arrive (S3 answers 1,000 names a page): a bucket of any size is walked
    /// without holding its names.
    pub(crate) fn for_each(&self, each: &mut dyn FnMut(Object)) -> Result<()> {
        let lister = self.runner.run("list", None, async {
            match self.op.lister("/").await {
                Ok(lister) => Ok(Some(lister)),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(self.error("list", None, e)),
            }
        })?;
        let Some(mut lister) = lister else {
            return Ok(());
        };
        loop {
            let next = self.runner.run("list", None, async {
                std::future::poll_fn(|cx| {
                    futures_core::Stream::poll_next(std::pin::Pin::new(&mut lister), cx)
                })
                .await
                .transpose()
                .map_err(|e| self.error("list", None, e))
            })?;
            let Some(entry) = next else {
                return Ok(());
            };
            let meta = entry.metadata();
            if !meta.is_file() {
                continue;
            }
            let name = entry.name().trim_end_matches('/');
            if name.is_empty() || name.contains('/') {
                continue;
            }
            each(Object {
                name: name.to_owned(),
                size: meta.content_length(),
            });
        }
    }

    pub(crate) fn get(&self, name: &str, out: &mut dyn Write) -> Result<u64> {
        let size = self.stat(name)?;
        let reader = self.runner.run("read", Some(name), async {
            self.op
                .reader_with(name)
                .chunk(CHUNK)
                .await
                .map_err(|e| self.error("read", Some(name), e))
        })?;
        let mut done = 0u64;
        while done < size {
            let end = (done + CHUNK as u64).min(size);
            let buffer = self.runner.run("read", Some(name), async {
                reader
                    .read(done..end)
                    .await
                    .map_err(|e| self.error("read", Some(name), e))
            })?;
            if buffer.is_empty() {
                break;
            }
            for chunk in buffer {
                out.write_all(&chunk).map_err(|e| {
                    Error::service(
                        "read",
                        self.runner.at(Some(name)),
                        format!("cannot write what was read: {e}"),
                    )
                })?;
                done += chunk.len() as u64;
            }
        }
        if done != size {
            return Err(Error::service(
                "read",
                self.runner.at(Some(name)),
                format!("the service sent {done} of {size} bytes"),
            ));
        }
        Ok(done)
    }

    pub(crate) fn stat(&self, name: &str) -> Result<u64> {
        self.runner.run("stat", Some(name), async {
            self.op
                .stat(name)
                .await
                .map(|m| m.content_length())
                .map_err(|e| self.error("stat", Some(name), e))
        })
    }

    pub(crate) fn delete(&self, name: &str) -> Result<()> {
        self.runner.run("delete", Some(name), async {
            self.op
                .delete(name)
                .await
                .map_err(|e| self.error("delete", Some(name), e))
        })
    }
}

/// reqwest is built without a TLS crypto provider of its own; ring is the
/// workspace's (as for verify's SFTP and FTP clients).
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An OpenDAL upload in progress.
pub(crate) struct Sink<'a> {
    engine: &'a OpenDal,
    name: String,
    target: String,
    /// Opened with the first chunk (never for a one-shot service).
    writer: Option<opendal::Writer>,
    collected: Vec<u8>,
}

impl Sink<'_> {
    pub(crate) fn write(&mut self, chunk: Vec<u8>) -> Result<()> {
        let engine = self.engine;
        if engine.one_shot {
            self.collected.extend_from_slice(&chunk);
            return Ok(());
        }
        let name = self.name.clone();
        if self.writer.is_none() {
            self.writer = Some(engine.open_writer(&name, &self.target)?);
        }
        let writer = self.writer.as_mut().expect("opened above");
        engine.runner.run("upload", Some(&name), async {
            writer
                .write(chunk)
                .await
                .map_err(|e| engine.error("upload", Some(&name), e))
        })
    }

    /// Whether [`Sink::put_whole`] can take the upload: the service keeps a
    /// SHA-256 of its own (S3), and nothing has been sent yet.
    pub(crate) fn checks_sha256(&self) -> bool {
        self.engine.s3.is_some() && self.writer.is_none()
    }

    /// Sends the whole upload, `body`, in one request that the service
    /// checks against `sha256`: `Some(size)` when the service kept that same
    /// SHA-256, `None` when it keeps none and the object must be read back.
    /// A PutObject either names the object whole or leaves nothing: there is
    /// nothing for `abort` to stop.
    pub(crate) fn put_whole(self, body: Vec<u8>, sha256: &[u8; 32]) -> Result<Option<u64>> {
        let engine = self.engine;
        let s3 = engine
            .s3
            .as_ref()
            .expect("put_whole is called after checks_sha256");
        s3.put(&engine.runner, &self.target, body, sha256)
    }

    pub(crate) fn finish(mut self) -> Result<()> {
        let engine = self.engine;
        let name = self.name.clone();
        let target = self.target.clone();
        if !engine.one_shot && self.writer.is_none() {
            // Nothing was written: an empty object.
            self.writer = Some(engine.open_writer(&name, &target)?);
        }
        match self.writer.take() {
            Some(mut writer) => {
                engine.runner.run("upload", Some(&name), async {
                    writer
                        .close()
                        .await
                        .map_err(|e| engine.error("upload", Some(&name), e))
                })?;
            }
            None => {
                let body = std::mem::take(&mut self.collected);
                engine.runner.run("upload", Some(&name), async {
                    engine
                        .op
                        .write(&target, body)
                        .await
                        .map_err(|e| engine.error("upload", Some(&name), e))
                })?;
            }
        }
        if engine.rename {
            let renamed = engine.runner.run("upload", Some(&name), async {
                engine
                    .op
                    .rename(&target, &name)
                    .await
                    .map_err(|e| engine.error("rename", Some(&name), e))
            });
            if let Err(e) = renamed {
                let _ = engine.runner.run("delete", Some(&target), async {
                    engine
                        .op
                        .delete(&target)
                        .await
                        .map_err(|e| engine.error("delete", Some(&target), e))
                });
                return Err(e);
            }
        }
        Ok(())
    }

    /// Stops an unfinished upload: an object store discards its parts; a
    /// one-shot service has been sent nothing yet.
    pub(crate) fn abort(mut self) {
        let engine = self.engine;
        if let Some(mut writer) = self.writer.take() {
            let _ = engine.runner.run("abort", None, async {
                writer
                    .abort()
                    .await
                    .map_err(|e| engine.error("abort", None, e))
            });
        }
    }
}
