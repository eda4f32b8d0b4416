//! Pushing a bundle: this box's export, or a bundle file made before.

use std::collections::BTreeSet;
use std::io::Read;

use nascfg_bundle::{ExportOptions, Manifest};
use nascfg_remote::{BundleName, HostName, Location, Pushed, Storage};
use nascfg_store::Store;
use secrecy::SecretString;

use crate::Protection;
use crate::error::{Error, Result};
use crate::list::bundles;
use crate::progress::{Counting, Progress, Transfer, transfer};
use crate::pull::{download, private_dir};

/// What an export for a push includes: checked when made, so a bundle with
/// the seed never leaves the box without a passphrase.
pub struct Export {
    include_seed: bool,
    passphrase: Option<SecretString>,
    recipients: Vec<nascfg_crypto::Recipient>,
}

nascfg_credentials::redacted_debug!(Export {
    include_seed,
    encrypted: |e| e.encrypted(),
    recipients
});

impl Export {
    /// An export for `location`, with the seed when `include_seed`, encrypted
    /// to `passphrase` when given. The seed without a passphrase is refused
    /// (anyone who can read `location` could open every secret).
    pub fn new(
        location: &Location,
        include_seed: bool,
        passphrase: Option<SecretString>,
    ) -> Result<Export> {
        Export::encrypted_to(location, include_seed, passphrase, Vec::new())
    }

    /// [`Export::new`], encrypted to a passphrase or to public-key
    /// `recipients` (not both: refused). With recipients the seed may go
    /// without a passphrase: the box holds nothing that opens the bundle.
    pub fn encrypted_to(
        location: &Location,
        include_seed: bool,
        passphrase: Option<SecretString>,
        recipients: Vec<nascfg_crypto::Recipient>,
    ) -> Result<Export> {
        if passphrase.is_some() && !recipients.is_empty() {
            return Err(Error::Bundle(nascfg_bundle::Error::PassphraseAndRecipients));
        }
        if include_seed && passphrase.is_none() && recipients.is_empty() {
            return Err(Error::SeedWithoutPassphrase {
                location: location.to_string(),
            });
        }
        Ok(Export {
            include_seed,
            passphrase,
            recipients,
        })
    }

    fn encrypted(&self) -> bool {
        self.protection() != Protection::Plain
    }

    fn protection(&self) -> Protection {
        if self.passphrase.is_some() {
            Protection::Passphrase
        } else if self.recipients.is_empty() {
            Protection::Plain
        } else {
            Protection::Recipients
        }
    }
}

/// A bundle made before (by `backup export`), pushed as it is.
pub struct BundleFile {
    /// Its bytes.
    pub reader: Box<dyn Read + Send>,
    /// The name to push it under (a free one is made from it when taken:
    /// `-1`, `-2`, ... before `.tar.gz`).
    pub name: String,
    /// Whether it is encrypted, and to what.
    pub protection: Protection,
    /// Its manifest when known (an unencrypted bundle's, or one opened with
    /// its passphrase); `if_changed` compares its `content_sha256`.
    pub manifest: Option<Manifest>,
    /// The passphrase that opens the newest bundle at the location, for
    /// `if_changed` (without it an encrypted newest bundle counts as changed).
    pub passphrase: Option<SecretString>,
}

impl BundleFile {
    /// The bundle file at `path`, made before by `backup export`, for a push to `location`.
    ///
    /// An unencrypted file must start with a nascfg manifest (read from its first bytes, not the
    /// whole file: restore and inspect check everything where the bundle is used), and must not
    /// carry the seed: that would put every secret off the box with nothing to protect it. A
    /// passphrase-protected file is pushed as it is; given `passphrase`, it is opened and checked
    /// whole first, and its manifest is known for `if_changed`. The name pushed under is the
    /// file's own when it is a bundle's name (`nascfg-<host>-<time>.tar.gz[.age]`), else one made
    /// from this host and the manifest's time (or now).
    pub fn open(
        path: &std::path::Path,
        location: &Location,
        passphrase: Option<SecretString>,
    ) -> Result<BundleFile> {
        // Not a question before a reading (each reading asks for what opens
        // it): this sniff decides which reading a push makes, the manifest
        // alone from a plain file's first bytes or, given the passphrase, an
        // encrypted file read whole, and what the file is sent as
        // (`.tar.gz.age`).
        let protection = protection_of(path)?;
        let encrypted = protection != Protection::Plain;
        let manifest = if encrypted {
            match &passphrase {
                Some(pass) => Some(
                    nascfg_bundle::inspect(
                        path,
                        &nascfg_bundle::UnlockWith::with_passphrase(pass.clone()),
                        None,
                    )?
                    .manifest,
                ),
                None => None,
            }
        } else {
            let mut head = Vec::new();
            std::fs::File::open(path)
                .and_then(|f| f.take(2 << 20).read_to_end(&mut head))
                .map_err(|source| Error::ReadFile {
                    path: path.to_owned(),
                    source,
                })?;
            let manifest = nascfg_bundle::peek_manifest(&head)?;
            if manifest.seed_included {
                return Err(Error::SeedWithoutPassphrase {
                    location: location.to_string(),
                });
            }
            Some(manifest)
        };
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let name = match BundleName::parse(file_name) {
            Some(parsed) if parsed.encrypted() == encrypted => file_name.to_owned(),
            Some(_) | None => {
                let created = manifest
                    .as_ref()
                    .and_then(|m| {
                        time::OffsetDateTime::parse(
                            &m.created,
                            &time::format_description::well_known::Rfc3339,
                        )
                        .ok()
                    })
                    .unwrap_or_else(time::OffsetDateTime::now_utc);
                nascfg_bundle::default_bundle_name(&nascfg_bundle::host_name(), created, encrypted)
            }
        };
        let reader = std::fs::File::open(path).map_err(|source| Error::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        Ok(BundleFile {
            reader: Box::new(std::io::BufReader::with_capacity(1 << 20, reader)),
            name,
            protection,
            manifest,
            passphrase,
        })
    }
}

/// How the file at `path` is encrypted, by its first bytes: age's header
/// and its first stanza (a passphrase's scrypt stanza is always alone).
fn protection_of(path: &std::path::Path) -> Result<Protection> {
    let mut head = Vec::with_capacity(64);
    std::fs::File::open(path)
        .and_then(|f| f.take(64).read_to_end(&mut head))
        .map_err(|source| Error::ReadFile {
            path: path.to_owned(),
            source,
        })?;
    Ok(if !nascfg_crypto::is_passphrase_protected(&head) {
        Protection::Plain
    } else if nascfg_crypto::is_encrypted_to_passphrase(&head) {
        Protection::Passphrase
    } else {
        Protection::Recipients
    })
}

impl PushReport {
    /// Whether the bundle is encrypted (to a passphrase or to recipients).
    pub fn encrypted(&self) -> bool {
        self.protection != Protection::Plain
    }
}

nascfg_credentials::redacted_debug!(BundleFile {
    name,
    protection,
    manifest: |b| b.manifest.is_some(),
    ..
});

/// What a push sends.
#[derive(Debug)]
pub enum Source {
    /// A new export of this store, streamed to the service as it is written
    /// (nothing of it touches the disk but the database snapshot).
    Export(Store, Export),
    /// A bundle file made before.
    Bundle(BundleFile),
}

/// What a push did.
#[derive(Debug, Clone, PartialEq)]
pub enum PushOutcome {
    /// `if_changed`, and the newest bundle there holds this configuration.
    Unchanged {
        /// `CRED:PATH/NAME` of that newest bundle.
        newest: String,
    },
    /// A bundle was uploaded and read back.
    Pushed(Box<PushReport>),
}

/// A bundle pushed and read back intact.
#[derive(Debug, Clone, PartialEq)]
pub struct PushReport {
    /// Where it is, its size and SHA-256 as read back.
    pub pushed: Pushed,
    /// Whether it is encrypted, and to what.
    pub protection: Protection,
    /// Its manifest (always known for an export).
    pub manifest: Option<Manifest>,
    /// The engine that moved it (`opendal`, `ftp`, `sftp`, `rclone`).
    pub engine: &'static str,
}

/// Pushes `source` to `storage`'s location under a free name: the export's
/// default name (`nascfg-<host>-<time>.tar.gz[.age]`) or the bundle file's.
/// The object gets its name only once complete, and is read back (size and
/// SHA-256) before this returns. With `if_changed`, nothing is pushed when
/// the newest bundle there holds the same configuration (see
/// [`PushOutcome::Unchanged`]); a name dated beyond [`nascfg_remote::CLOCK_SKEW`]
/// after now is never that newest.
pub fn push(
    storage: &Storage,
    source: Source,
    if_changed: bool,
    progress: &dyn Progress,
) -> Result<PushOutcome> {
    push_as(storage, source, if_changed, None, progress)
}

/// [`push`] under the host name `host` (`backup push --host`): an export is
/// named `nascfg-<host>-<time>...`, a bundle file is renamed to it (its time
/// kept), and `if_changed` compares with that host's newest bundle only, so
/// boxes sharing a location keep apart. Without `host`, an export takes this
/// box's name and a bundle file keeps its own.
pub fn push_as(
    storage: &Storage,
    mut source: Source,
    if_changed: bool,
    host: Option<&HostName>,
    progress: &dyn Progress,
) -> Result<PushOutcome> {
    let location = storage.location().clone();
    let this_box = HostName::this_box(&nascfg_bundle::host_name());
    if let (Some(host), Source::Bundle(file)) = (host, &mut source)
        && let Some(parsed) = BundleName::parse(&file.name)
        && parsed.host() != host.as_str()
    {
        file.name =
            nascfg_bundle::default_bundle_name(host.as_str(), parsed.created(), parsed.encrypted());
    }
    let own_host = match (&source, host) {
        (_, Some(h)) => h.clone(),
        (Source::Bundle(file), None) => BundleName::parse(&file.name)
            .and_then(|b| HostName::parse(b.host()).ok())
            .unwrap_or_else(|| this_box.clone()),
        (Source::Export(..), None) => this_box.clone(),
    };
    let existing = bundles(storage)?;
    // A name dated in the future is not ours: comparing against it would let a planted object
    // decide whether this box's configuration is pushed.
    let now = time::OffsetDateTime::now_utc();
    if if_changed
        && let Some((newest, _)) = existing.iter().find(|(b, _)| {
            b.host() == own_host.as_str() && !b.is_future(now, nascfg_remote::CLOCK_SKEW)
        })
        && unchanged(storage, newest, &source, progress)?
    {
        return Ok(PushOutcome::Unchanged {
            newest: location.join(newest.name()),
        });
    }
    let taken: BTreeSet<String> = storage.list()?.into_iter().map(|o| o.name).collect();
    match source {
        Source::Export(store, export) => {
            push_export(storage, store, export, &own_host, &taken, progress)
        }
        Source::Bundle(file) => {
            let name = free_name(&file.name, &taken);
            let mut reader = file.reader;
            let pushed = upload(storage, &name, &mut reader, progress)?;
            Ok(PushOutcome::Pushed(Box::new(PushReport {
                pushed,
                protection: file.protection,
                manifest: file.manifest,
                engine: storage.engine_name(),
            })))
        }
    }
}

/// Streams the export through a pipe into the upload (the export runs on
/// its own thread, which owns the store).
fn push_export(
    storage: &Storage,
    store: Store,
    export: Export,
    host: &HostName,
    taken: &BTreeSet<String>,
    progress: &dyn Progress,
) -> Result<PushOutcome> {
    let location = storage.location().clone();
    let now = time::OffsetDateTime::now_utc();
    let encrypted = export.encrypted();
    let protection = export.protection();
    let name = free_name(
        &nascfg_bundle::default_bundle_name(host.as_str(), now, encrypted),
        taken,
    );
    let (reader, writer) = std::io::pipe()?;
    let exporter = std::thread::spawn(move || {
        let options = ExportOptions {
            include_seed: export.include_seed,
            passphrase: export.passphrase,
            recipients: export.recipients,
            created: Some(now),
            // What the next `if_changed` compares.
            content_digest: true,
            ..ExportOptions::default()
        };
        nascfg_bundle::export_to_writer(
            &store,
            std::io::BufWriter::with_capacity(1 << 20, writer),
            &options,
        )
        .map(|(written, _)| written)
    });
    progress.start(Transfer::Uploading);
    let upload = storage.upload(&name);
    let (copied, upload) = match upload {
        Ok(mut upload) => {
            let mut counting = Counting {
                inner: &mut upload,
                done: 0,
                total: 0,
                progress,
            };
            let mut reader = reader;
            let copied = std::io::copy(&mut reader, &mut counting);
            drop(reader);
            (copied, upload)
        }
        Err(e) => {
            drop(reader);
            let _ = exporter.join();
            progress.finish();
            return Err(e.into());
        }
    };
    let exported = exporter.join().map_err(|_| Error::ExportPanicked)?;
    if let Err(source) = copied {
        progress.finish();
        drop(upload);
        return Err(Error::Upload {
            location: location.join(&name),
            source,
        });
    }
    let written = match exported {
        Ok(w) => w,
        Err(e) => {
            progress.finish();
            drop(upload);
            return Err(e.into());
        }
    };
    let pushed = upload.finish();
    progress.finish();
    Ok(PushOutcome::Pushed(Box::new(PushReport {
        pushed: pushed?,
        protection,
        manifest: Some(written.manifest),
        engine: storage.engine_name(),
    })))
}

/// Uploads everything `reader` gives as `name`, counting for `progress`.
fn upload(
    storage: &Storage,
    name: &str,
    reader: &mut dyn Read,
    progress: &dyn Progress,
) -> Result<Pushed> {
    transfer(progress, Transfer::Uploading, || {
        let mut upload = storage.upload(name)?;
        let copied = {
            let mut counting = Counting {
                inner: &mut upload,
                done: 0,
                total: 0,
                progress,
            };
            std::io::copy(reader, &mut counting)
        };
        if let Err(source) = copied {
            drop(upload);
            return Err(Error::Upload {
                location: storage.location().join(name),
                source,
            });
        }
        Ok(upload.finish()?)
    })
}

/// `name`, or `name` with `-1`, `-2`, ... before `.tar.gz` when taken.
fn free_name(name: &str, taken: &BTreeSet<String>) -> String {
    if !taken.contains(name) {
        return name.to_owned();
    }
    let split = name.find(".tar").unwrap_or(name.len());
    let (stem, ext) = name.split_at(split);
    (1u32..)
        .map(|n| format!("{stem}-{n}{ext}"))
        .find(|candidate| !taken.contains(candidate))
        .expect("some number is free")
}

/// Whether `source` holds the configuration of the bundle `newest` (whether
/// the seed is included, and the content digest, which covers the seed
/// fingerprint). The bundle is read whole and checked, so a damaged newest
/// bundle is replaced rather than trusted. A bundle that cannot be read
/// (encrypted without the passphrase, damaged) counts as changed.
fn unchanged(
    storage: &Storage,
    newest: &BundleName,
    source: &Source,
    progress: &dyn Progress,
) -> Result<bool> {
    let pass = match source {
        Source::Export(_, export) => export.passphrase.as_ref(),
        Source::Bundle(file) => file.passphrase.as_ref(),
    };
    if newest.encrypted() && pass.is_none() {
        return Ok(false);
    }
    let dir = private_dir()?;
    let path = dir.path().join(newest.name());
    transfer(progress, Transfer::ReadingNewest, || {
        download(storage, newest.name(), &path, progress)
    })?;
    let unlock = nascfg_bundle::UnlockWith::from_passphrase(pass.cloned());
    let theirs = match nascfg_bundle::inspect(&path, &unlock, None) {
        Ok(inspection) => inspection.manifest,
        Err(_) => return Ok(false),
    };
    match source {
        Source::Export(store, export) => {
            if theirs.seed_included != export.include_seed {
                return Ok(false);
            }
            same_configuration(store, &theirs)
        }
        Source::Bundle(file) => Ok(file.manifest.as_ref().is_some_and(|ours| {
            ours.seed_included == theirs.seed_included
                && ours.content_sha256.is_some()
                && ours.content_sha256 == theirs.content_sha256
        })),
    }
}

/// The configuration comparison behind `if_changed`: this box's content
/// digest (the logical content of its credentials, key pairs and known hosts,
/// each secret as a MAC under a seed-derived key, and the seed fingerprint)
/// against the one the bundle's manifest records. Not the database's bytes:
/// a VACUUM or a secret re-sealed with the same value changes those and not
/// the configuration. Either digest absent (an older bundle, a box whose seed
/// does not open its secrets) counts as changed.
fn same_configuration(store: &Store, manifest: &Manifest) -> Result<bool> {
    let Some(theirs) = manifest.content_sha256.as_deref() else {
        return Ok(false);
    };
    let Some(ours) = nascfg_bundle::content_digest(store)? else {
        return Ok(false);
    };
    Ok(ours == theirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, taken: &[&str], expected: &str) {
        let taken: BTreeSet<String> = taken.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(free_name(name, &taken), expected, "{name} {taken:?}");
    }

    #[test]
    fn free_names() {
        check("n-1.tar.gz", &[], "n-1.tar.gz");
        check("n.tar.gz", &["n.tar.gz"], "n-1.tar.gz");
        check(
            "n.tar.gz.age",
            &["n.tar.gz.age", "n-1.tar.gz.age"],
            "n-2.tar.gz.age",
        );
        check("plain", &["plain"], "plain-1");
    }

    #[test]
    fn the_seed_needs_a_passphrase() {
        let at = Location::parse("c:b/p").expect("a location");
        let refused = Export::new(&at, true, None).expect_err("refused");
        assert!(refused.to_string().contains("c:b/p"), "{refused}");
        assert!(Export::new(&at, true, Some(SecretString::from("pw"))).is_ok());
        assert!(Export::new(&at, false, None).is_ok());
    }
}
