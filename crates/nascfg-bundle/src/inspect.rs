//! Reading a bundle as untrusted input into a staging directory, and
//! reporting on it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nascfg_crypto::{Fingerprint, Seed};
use nascfg_store::{DatabaseInfo, SecretsOpened};
use sha2::{Digest, Sha256};

use crate::archive::{Limits, MemberReader, visit_members_strict};
use crate::error::{Error, Result};
use crate::manifest::{DATABASE_NAME, MANIFEST_NAME, MAX_MANIFEST_SIZE, Manifest, SEED_NAME};
use crate::progress::{IO_BUFFER, Progress, ProgressFn};
use crate::signature::{
    MAX_SIGNATURE_SIZE, SIGNATURE_NAME, Signer, signed_by as signed_by_key, verify_manifest,
};
use crate::unlock::Unlock;
use nascfg_store::ssh_key::PublicKey;

/// The default caps for reading a bundle: five members (four known, one
/// more to name an unknown one in the error), the database up to 16 GiB, gzip
/// expansion up to 200 times.
pub fn bundle_limits() -> Limits {
    Limits {
        max_members: 5,
        max_member_size: 16 << 30,
        max_total_size: 16 << 30,
        max_ratio: 200,
    }
}

/// A bundle read, checked and staged: its manifest, its database in a
/// staging directory, and its seed when it carries one.
pub(crate) struct Staged {
    pub(crate) manifest: Manifest,
    pub(crate) db_path: PathBuf,
    pub(crate) seed: Option<Seed>,
    pub(crate) info: DatabaseInfo,
    pub(crate) encrypted: bool,
    /// Encrypted to public-key recipients (not a passphrase).
    pub(crate) to_recipients: bool,
    /// Every credential opened under the seed `read_bundle` was given (or
    /// the bundle's own), checked in the same pass as the rows.
    pub(crate) opened: Option<SecretsOpened>,
    /// The staged database's fsync, under way (restore only).
    pub(crate) syncing: Option<std::thread::JoinHandle<()>>,
    /// Who signed the manifest (the signature verified), or unsigned.
    pub(crate) signer: Signer,
}

/// Reads `path` into `staging` (a private directory the caller owns and
/// removes), checking everything: format, member order and names, sizes,
/// hashes, the seed's length and fingerprint, the database's integrity and
/// schema version, and that the manifest agrees with the database. An
/// encrypted bundle asks `unlock` for its passphrase or identities, once,
/// before its payload is read. With the
/// bundle's seed, else a restore's likely seed, the rows are also opened and
/// validated with their secrets in the same pass ([`Staged::opened`]); for a
/// restore the staged database's fsync starts as soon as it is written
/// ([`Staged::syncing`]).
pub(crate) fn read_bundle(
    path: &Path,
    unlock: &dyn Unlock,
    staging: &Path,
    limits: &Limits,
    progress: Option<ProgressFn<'_>>,
    restore: Option<&RestoreHints<'_>>,
) -> Result<Staged> {
    let likely_seed = restore.and_then(|r| r.likely_seed);
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let total = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut head = Vec::with_capacity(64);
    (&mut file)
        .take(64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    file.rewind().map_err(|e| Error::io(path, e))?;
    let encrypted = nascfg_crypto::is_passphrase_protected(&head);
    // The recipients named before anything goes through the progress report,
    // so a front end asked for identities is asked before a bar is drawn.
    let recipients = if encrypted && !nascfg_crypto::is_encrypted_to_passphrase(&head) {
        let named = nascfg_crypto::read_recipient_stanzas(BufReader::new(&mut file))
            .map_err(|e| Error::io(path, e))?;
        file.rewind().map_err(|e| Error::io(path, e))?;
        named
    } else {
        Vec::new()
    };
    let input = Progress {
        inner: BufReader::with_capacity(IO_BUFFER, file),
        done: 0,
        total,
        report: progress,
    };
    let db_path = staging.join(DATABASE_NAME);
    let mut state = Reading {
        manifest: None,
        manifest_bytes: Vec::new(),
        signed_by: None,
        seen: 0,
        seed: None,
        db_path: &db_path,
        early_sync: restore.is_some(),
        syncing: None,
    };
    let truncated = |e: nascfg_crypto::Error| match e {
        nascfg_crypto::Error::WrongPassphrase => Error::WrongPassphrase,
        nascfg_crypto::Error::Stream(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            Error::Archive(nascfg_tar::Error::Truncated)
        }
        other => Error::Crypto(other),
    };
    let to_recipients = encrypted && !nascfg_crypto::is_encrypted_to_passphrase(&head);
    if encrypted && !to_recipients {
        let pass = unlock
            .request_passphrase(path)
            .ok_or(Error::PassphraseRequired)?;
        let reader = nascfg_crypto::decrypt_with_passphrase(&pass, input).map_err(truncated)?;
        visit_members_strict(reader, limits, true, |m| state.visit(m))?;
    } else if to_recipients {
        let identities = unlock.request_identities(path, &recipients);
        let reader =
            nascfg_crypto::decrypt_with_identities(&identities, input).map_err(truncated)?;
        visit_members_strict(reader, limits, true, |m| state.visit(m))?;
    } else {
        if !crate::archive::is_gzip(&head) {
            return Err(Error::NotGzip);
        }
        visit_members_strict(input, limits, true, |m| state.visit(m))?;
    }
    let manifest = state.manifest.ok_or(Error::ManifestMissing)?;
    if let Some(missing) = manifest.members.get(state.seen) {
        return Err(Error::MissingMember {
            name: missing.name.clone(),
        });
    }
    let seed = state.seed;
    let syncing = state.syncing;
    let signed_by = state.signed_by;
    let (info, opened) = nascfg_store::check_database(&db_path, seed.as_ref().or(likely_seed))?;
    let disagrees = |what: &str| Error::Manifest {
        reason: format!("its {what} disagrees with the database"),
    };
    if info.schema_version != manifest.schema_version {
        return Err(disagrees("schema version"));
    }
    if info.credentials as u64 != manifest.counts.credentials
        || info.keypairs as u64 != manifest.counts.keypairs
    {
        return Err(disagrees("counts"));
    }
    if let Some(db_fp) = &info.fingerprint
        && manifest.seed_fingerprint.as_deref() != Some(db_fp.to_string().as_str())
    {
        return Err(disagrees("seed fingerprint"));
    }
    if let Some(seed) = &seed
        && manifest.seed_fingerprint.as_deref() != Some(seed.fingerprint().to_string().as_str())
    {
        return Err(Error::Manifest {
            reason: "the bundled seed is not the one its manifest names".into(),
        });
    }
    let signer = match signed_by {
        None => Signer::Unsigned,
        Some(key) => Signer::Signed(signed_by_key(&key, info.signer.as_ref())),
    };
    Ok(Staged {
        manifest,
        db_path,
        seed,
        info,
        encrypted,
        to_recipients,
        opened,
        syncing,
        signer,
    })
}

/// [`read_bundle`] with the default limits into a new private directory
/// (named with `prefix`) in the system's temporary directory, for reading a
/// bundle without restoring it; the directory goes when the first is dropped.
pub(crate) fn read_bundle_staged(
    path: &Path,
    unlock: &dyn Unlock,
    prefix: &str,
) -> Result<(tempfile::TempDir, Staged)> {
    let staging = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let staged = read_bundle(path, unlock, staging.path(), &bundle_limits(), None, None)?;
    Ok((staging, staged))
}

/// What a restore adds to [`read_bundle`].
pub(crate) struct RestoreHints<'a> {
    /// The seed the sealed values will most likely be opened under when the
    /// bundle does not carry its own.
    pub(crate) likely_seed: Option<&'a Seed>,
}

struct Reading<'p> {
    manifest: Option<Manifest>,
    /// The manifest's exact bytes, which the signature covers.
    manifest_bytes: Vec<u8>,
    /// The key the manifest's signature verified under, once read.
    signed_by: Option<PublicKey>,
    /// Members after the manifest seen so far.
    seen: usize,
    seed: Option<Seed>,
    db_path: &'p Path,
    early_sync: bool,
    syncing: Option<std::thread::JoinHandle<()>>,
}

/// A small member (the manifest, the signature) read whole: refused by the
/// size its header declares, before a byte is read, when that is over `max`.
fn read_whole(member: &mut MemberReader<'_>, max: u64) -> Result<Vec<u8>> {
    if member.size() > max {
        return Err(Error::Archive(nascfg_tar::Error::MemberTooLarge {
            name: member.name().into(),
            size: member.size(),
            max,
        }));
    }
    let mut bytes = Vec::new();
    member
        .read_to_end(&mut bytes)
        .map_err(crate::archive::read_error)?;
    Ok(bytes)
}

impl Reading<'_> {
    fn visit(&mut self, member: &mut MemberReader<'_>) -> Result<()> {
        let Some(manifest) = &self.manifest else {
            if member.name() != MANIFEST_NAME {
                return Err(Error::ManifestNotFirst);
            }
            let bytes = read_whole(member, MAX_MANIFEST_SIZE)?;
            self.manifest = Some(Manifest::parse(&bytes)?);
            self.manifest_bytes = bytes;
            return Ok(());
        };
        // The signature, right after the manifest: verified at once, so a
        // bundle whose manifest changed is refused before anything is staged.
        if member.name() == SIGNATURE_NAME && self.seen == 0 && self.signed_by.is_none() {
            let bytes = read_whole(member, MAX_SIGNATURE_SIZE)?;
            self.signed_by = Some(verify_manifest(&bytes, &self.manifest_bytes)?);
            return Ok(());
        }
        let Some(entry) = manifest.members.get(self.seen) else {
            return Err(Error::UnknownMember {
                name: member.name().to_owned(),
            });
        };
        if entry.name != member.name() {
            return Err(if manifest.member(member.name()).is_some() {
                Error::MissingMember {
                    name: entry.name.clone(),
                }
            } else {
                Error::UnknownMember {
                    name: member.name().to_owned(),
                }
            });
        }
        if entry.size != member.size() {
            return Err(Error::SizeMismatch {
                name: entry.name.clone(),
                expected: entry.size,
                found: member.size(),
            });
        }
        if entry.name == SEED_NAME {
            let mut bytes = nascfg_crypto::zeroize::Zeroizing::new(Vec::with_capacity(32));
            member
                .read_to_end(&mut bytes)
                .map_err(crate::archive::read_error)?;
            check_hash(
                &entry.name,
                &entry.sha256,
                Sha256::new_with_prefix(&bytes[..]),
            )?;
            self.seed = Some(Seed::from_bytes(&bytes).map_err(|_| Error::SeedLength {
                len: bytes.len() as u64,
            })?);
        } else {
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(self.db_path)
                .map_err(|e| Error::io(self.db_path, e))?;
            let (file, hasher) = copy_hashed(member, file, self.db_path)?;
            // No fsync needed: the staged copy is thrown away after a crash,
            // and `DataDir::install` (`StagedDb::Take`) syncs it before moving it in. For a
            // restore that sync starts now, on its own thread, so the disk
            // writes while the database is checked, not after.
            if self.early_sync {
                self.syncing = Some(std::thread::spawn(move || {
                    // Errors surface at the install's own sync.
                    let _ = file.sync_all();
                }));
            }
            check_hash(&entry.name, &entry.sha256, hasher)?;
        }
        self.seen += 1;
        Ok(())
    }
}

/// Buffers in flight between [`copy_hashed`]'s two threads, and their size.
const COPY_BUFFERS: usize = 4;
const COPY_BUFFER: usize = 256 << 10;

/// Copies a member into `file` and hashes it: this thread reads (inflates)
/// while another hashes and writes what was read, so the inflate no longer
/// waits for SHA-256 and the writes. A read error wins over a write error
/// (it is the bundle's).
fn copy_hashed(member: &mut dyn Read, file: File, path: &Path) -> Result<(File, Sha256)> {
    use std::sync::mpsc::sync_channel;
    let (full_tx, full_rx) = sync_channel::<(Vec<u8>, usize)>(COPY_BUFFERS);
    let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(COPY_BUFFERS);
    for _ in 0..COPY_BUFFERS {
        empty_tx
            .send(vec![0u8; COPY_BUFFER])
            .expect("the channel holds every buffer");
    }
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            let mut file = file;
            let mut hasher = Sha256::new();
            for (buf, n) in full_rx {
                hasher.update(&buf[..n]);
                file.write_all(&buf[..n])?;
                // The reader may be gone (it failed): then nothing more comes.
                let _ = empty_tx.send(buf);
            }
            io::Result::Ok((file, hasher))
        });
        // The writer stopped (it failed) when no buffer comes back.
        let mut read = Ok(());
        while let Ok(mut buf) = empty_rx.recv() {
            match fill(member, &mut buf) {
                Ok(0) => break,
                Ok(n) if full_tx.send((buf, n)).is_ok() => {}
                Ok(_) => break,
                Err(e) => {
                    read = Err(crate::archive::read_error(e));
                    break;
                }
            }
        }
        drop(full_tx);
        let written = writer.join().expect("the staging writer does not panic");
        read?;
        written.map_err(|e| Error::io(path, e))
    })
}

/// Reads until `buf` is full or the input ends; how many bytes it read.
fn fill(from: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match from.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn check_hash(name: &str, expected: &str, hasher: Sha256) -> Result<()> {
    if hex::encode(hasher.finalize()) == expected {
        Ok(())
    } else {
        Err(Error::HashMismatch {
            name: name.to_owned(),
        })
    }
}

/// Whether this box could restore a bundle with its secrets. Its JSON (in
/// [`Inspection::to_json`]) is `{"case": "seed-matches", "fingerprint": …}`:
/// the variant in kebab-case under `case`, then its fields.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "case", rename_all = "kebab-case")]
pub enum Restorability {
    /// The bundle carries its seed: every secret comes along.
    SeedInBundle,
    /// This box's seed is the one the secrets are sealed under.
    SeedMatches {
        /// The shared fingerprint.
        fingerprint: Fingerprint,
    },
    /// The bundle holds no secrets at all.
    NoSecrets,
    /// Without the right seed (`--seed-file`), these secrets would be lost.
    SecretsWouldBeLost {
        /// The fingerprint of the seed needed.
        fingerprint: Option<Fingerprint>,
        /// Credentials whose secrets would be lost (those holding at least
        /// one; the count a restore's refusal names too).
        credentials: usize,
        /// Key pairs whose private keys would be lost.
        keypairs: usize,
        /// Sealed values (secrets and private keys) in the bundle.
        sealed_values: usize,
    },
}

/// What [`inspect`] found.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The bundle's manifest (checked).
    pub manifest: Manifest,
    /// Whether the bundle is encrypted (a passphrase or recipients).
    pub encrypted: bool,
    /// Whether it is encrypted to public-key recipients: that hides it, but
    /// proves nothing about who made it (anyone with the public keys can).
    pub encrypted_to_recipients: bool,
    /// The database's schema version.
    pub schema_version: u32,
    /// Sealed values in the database.
    pub sealed_values: usize,
    /// Whether this box could restore it with its secrets.
    pub restorability: Restorability,
    /// Who signed the manifest (its signature verified), or unsigned; apply
    /// `--allowed-signers` with [`SignerPolicy::check`](crate::SignerPolicy::check).
    pub signer: Signer,
}

impl Inspection {
    /// Whether the bundle's contents are authenticated: a passphrase-protected
    /// bundle is (age authenticates every chunk under the passphrase); a plain
    /// one is not, since whoever can write it can change its database and
    /// recompute the manifest's sizes and SHA-256 sums, which only detect damage;
    /// nor is one encrypted to recipients, which anyone with their public
    /// keys can write.
    ///
    /// A signature authenticates it only to whoever trusts the key: it counts
    /// once `--allowed-signers` accepted it (a principal is set).
    pub fn authenticated(&self) -> bool {
        (self.encrypted && !self.encrypted_to_recipients)
            || matches!(
                &self.signer,
                Signer::Signed(by) if by.principal.is_some()
            )
    }

    /// A JSON report (no secret in it).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "manifest": serde_json::to_value(&self.manifest)
                .expect("a manifest is strings and numbers, which always serialize"),
            "encrypted": self.encrypted,
            "encrypted_to_recipients": self.encrypted_to_recipients,
            "authenticated": self.authenticated(),
            "checks": {"members": "ok", "database": "ok"},
            "schema_version": self.schema_version,
            "sealed_values": self.sealed_values,
            "restore": self.restorability,
            "signer": self.signer.to_json(),
        })
    }
}

/// Reads and checks a bundle (every check a restore makes, on a copy in a
/// temporary directory) and tells whether a box whose seed has the
/// fingerprint `this_box` could restore it with its secrets.
pub fn inspect(
    path: &Path,
    unlock: &dyn Unlock,
    this_box: Option<&Fingerprint>,
) -> Result<Inspection> {
    let (_staging, staged) = read_bundle_staged(path, unlock, "nascfg-inspect-")?;
    let restorability = restorability(&staged, this_box);
    Ok(Inspection {
        schema_version: staged.info.schema_version,
        sealed_values: staged.info.sealed_values,
        encrypted: staged.encrypted,
        encrypted_to_recipients: staged.to_recipients,
        manifest: staged.manifest,
        restorability,
        signer: staged.signer,
    })
}

/// What a restore without the right seed loses: the credentials holding at
/// least one sealed secret (a credential whose secrets are all empty has
/// none) and the key pairs holding a private key. The one count behind
/// `inspect`'s "would lose" and `restore`'s refusal and report.
pub(crate) fn secrets_at_stake(info: &DatabaseInfo) -> (usize, usize) {
    (
        info.credentials_with_secrets,
        info.keypairs_with_private_key,
    )
}

pub(crate) fn restorability(staged: &Staged, this_box: Option<&Fingerprint>) -> Restorability {
    if staged.seed.is_some() {
        return Restorability::SeedInBundle;
    }
    if staged.info.sealed_values == 0 {
        return Restorability::NoSecrets;
    }
    match (&staged.info.fingerprint, this_box) {
        (Some(db), Some(this)) if db == this => Restorability::SeedMatches {
            fingerprint: db.clone(),
        },
        (fp, _) => {
            let (credentials, keypairs) = secrets_at_stake(&staged.info);
            Restorability::SecretsWouldBeLost {
                fingerprint: fp.clone(),
                credentials,
                keypairs,
                sealed_values: staged.info.sealed_values,
            }
        }
    }
}

/// The manifest of an unencrypted bundle, from the start of its bytes alone
/// (the manifest is the first member): for listing bundles on a remote
/// without reading them whole. Checks nothing but the manifest's own rules;
/// [`inspect`] and [`crate::restore`] check everything.
pub fn peek_manifest(head: &[u8]) -> Result<crate::Manifest> {
    let mut found = None;
    let result = crate::archive::visit_members(head, &bundle_limits(), |member| {
        if member.name() != crate::MANIFEST_NAME || member.size() > 1 << 20 {
            return Err(Error::Manifest {
                reason: "the first member is not the manifest".into(),
            });
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(member, &mut bytes).map_err(|e| Error::Manifest {
            reason: e.to_string(),
        })?;
        found = Some(crate::Manifest::parse(&bytes)?);
        // Stop here: what follows is not needed (and may be cut off).
        Err(Error::Manifest {
            reason: String::new(),
        })
    });
    match (found, result) {
        (Some(manifest), _) => Ok(manifest),
        (None, Err(e)) => Err(e),
        (None, Ok(())) => Err(Error::Manifest {
            reason: "the bundle has no manifest".into(),
        }),
    }
}
