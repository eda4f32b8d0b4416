//! Import of a TrueNAS configuration backup: the uncompressed tar that holds
//! `freenas-v1.db` and `pwenc_secret` (TrueNAS's "Export Password Secret
//! Seed"), or the bare database with the secret given separately.
//!
//! The input is untrusted and never modified: it is opened read-only, a tar
//! goes through the safe reader (`nascfg_tar::visit_members`,
//! with [`Limits`] sized for a TrueNAS backup), and the database is
//! copied to a private temporary file that nascfg-store opens read-only.
//! The secret is checked against `system_settings.stg_pwenc_check` before any
//! credential is read, so a wrong or missing secret is an error, never an
//! import of empty credentials.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::str::FromStr as _;

use nascfg_credentials::{FieldKind, ProviderKind, Untrusted};
use nascfg_store::{Store, TruenasRow, read_truenas_db};
use nascfg_tar::{Limits, visit_members};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::Error;
use crate::import::{CredentialCandidate, ImportOptions, ImportReport, KeyCandidate, apply};
use crate::pwenc::Secret;

/// The largest TrueNAS database read (TrueNAS itself takes uploads up to 10 MiB).
pub const MAX_DB: u64 = 256 << 20;
const DB_MEMBER: &str = "freenas-v1.db";
const SECRET_MEMBER: &str = "pwenc_secret";
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// A TrueNAS backup read and decrypted, ready to be imported: everything up
/// to storing. Holds secrets; `Debug` shows only counts.
pub struct Backup {
    keys: Vec<KeyCandidate>,
    credentials: Vec<CredentialCandidate>,
}

nascfg_credentials::redacted_debug!(Backup {
    credentials: |b| b.credentials.len(),
    keypairs: |b| b.keys.len()
});

impl Backup {
    /// Reads a backup (tar or bare database). `pwenc_secret` is the file
    /// holding the 32-byte secret; it is needed for a bare database and, for
    /// a tar, overrides the one inside.
    pub fn read(input: &Path, pwenc_secret: Option<&Path>) -> Result<Backup, Error> {
        let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let db_path = dir.path().join(DB_MEMBER);
        let mut file = File::open(input).map_err(|e| Error::io(input, e))?;
        let mut head = [0u8; 16];
        let n = read_up_to(&mut file, &mut head).map_err(|e| Error::io(input, e))?;
        let mut file = File::open(input).map_err(|e| Error::io(input, e))?;
        let embedded_secret = if n == 16 && &head == SQLITE_MAGIC {
            copy_bounded(&mut file, &db_path).map_err(|e| match e {
                CopyError::Io(e) => Error::io(input, e),
                CopyError::TooLarge => Error::NotTruenasBackup {
                    reason: format!("the database is larger than {MAX_DB} bytes"),
                },
            })?;
            None
        } else {
            read_tar(&mut file, &db_path)?
        };
        let secret = match pwenc_secret {
            Some(path) => Some(read_secret_file(path)?),
            None => embedded_secret
                .map(|b| Secret::from_bytes(&b))
                .transpose()?,
        };
        let tables = read_truenas_db(&db_path).map_err(|e| match e {
            nascfg_store::Error::NotADatabase { .. } => Error::NotTruenasBackup {
                reason: "neither a tar nor an SQLite database".into(),
            },
            nascfg_store::Error::Damaged { detail, .. } => {
                Error::NotTruenasBackup { reason: detail }
            }
            other => Error::Store(other),
        })?;
        let secret = secret.ok_or(Error::PwencSecretMissing)?;
        match &tables.pwenc_check {
            Some(check) if !secret.check(check) => return Err(Error::PwencSecretWrong),
            _ => {}
        }
        let credentials: Vec<CredentialCandidate> = tables
            .cloud_credentials
            .iter()
            .map(|row| credential_candidate(&secret, row))
            .collect();
        // Without a check value, a secret that opens none of the encrypted
        // values is the wrong one.
        if tables.pwenc_check.is_none()
            && !credentials.is_empty()
            && credentials
                .iter()
                .all(|c| c.skip.as_deref() == Some(UNREADABLE))
        {
            return Err(Error::PwencSecretWrong);
        }
        let keys = tables
            .keychain
            .iter()
            .filter(|row| row.kind == "SSH_KEY_PAIR")
            .map(|row| key_candidate(&secret, row))
            .collect();
        Ok(Backup { keys, credentials })
    }

    /// How many cloud credentials the backup holds.
    pub fn credential_count(&self) -> usize {
        self.credentials.len()
    }

    /// How many SSH key pairs the backup holds.
    pub fn keypair_count(&self) -> usize {
        self.keys.len()
    }

    /// Validates every credential, then (unless a dry run) stores the key
    /// pairs and credentials in one transaction, sealed under this box's seed.
    pub fn import(self, store: &mut Store, options: &ImportOptions) -> Result<ImportReport, Error> {
        apply(store, self.keys, self.credentials, |c| c, options)
    }
}

const UNREADABLE: &str = "its attributes cannot be decrypted (damaged value)";

fn decrypt_json(
    secret: &Secret,
    text: &str,
) -> Result<serde_json::Map<String, Value>, &'static str> {
    let plain = secret.decrypt(text).map_err(|_| UNREADABLE)?;
    match serde_json::from_str::<Value>(plain.expose_secret()) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("its attributes are not a JSON object"),
        Err(_) => Err(UNREADABLE),
    }
}

fn credential_candidate(secret: &Secret, row: &TruenasRow) -> CredentialCandidate {
    let mut cand = CredentialCandidate::new(&row.name, &row.kind);
    let Ok(kind) = ProviderKind::from_str(row.kind.trim()) else {
        cand.skip(format!("unknown provider {:?}", Untrusted::new(&row.kind)));
        return cand;
    };
    cand.provider = Some(kind);
    cand.provider_text = kind.type_str().to_owned();
    let mut attrs = match decrypt_json(secret, &row.attributes) {
        Ok(a) => a,
        Err(why) => {
            cand.skip(why.to_owned());
            return cand;
        }
    };
    if kind == ProviderKind::Sftp {
        match attrs.remove("private_key") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) => cand.key_ref = Some(n.to_string()),
            Some(Value::String(s)) if !s.trim().is_empty() => {
                cand.key_ref = Some(s.trim().to_owned())
            }
            Some(_) => cand
                .notes
                .push("private_key is not a key pair id: ignored".to_owned()),
        }
    }
    let spec = kind.spec();
    let mut ignored = Vec::new();
    attrs.retain(|k, v| match spec.field(k) {
        None => {
            ignored.push(k.clone());
            false
        }
        // TrueNAS writes null for some unset optional fields.
        Some(f) => {
            let nullable = matches!(
                f.kind(),
                FieldKind::NullableInteger { .. } | FieldKind::NullableEnum { .. }
            );
            nullable || !v.is_null()
        }
    });
    if !ignored.is_empty() {
        cand.notes.push(format!(
            "attributes nascfg does not keep were ignored: {}",
            crate::import::untrusted_list(&ignored)
        ));
    }
    cand.attributes = attrs;
    cand
}

fn key_candidate(secret: &Secret, row: &TruenasRow) -> KeyCandidate {
    let private = decrypt_json(secret, &row.attributes)
        .map_err(str::to_owned)
        .and_then(|attrs| match attrs.get("private_key") {
            Some(Value::String(pem)) if !pem.trim().is_empty() => {
                Ok(SecretString::from(pem.clone()))
            }
            _ => Err(
                "the key pair has no private key (TrueNAS allows public-key-only key pairs)"
                    .to_owned(),
            ),
        });
    KeyCandidate::new(&row.id.to_string(), &row.name, private)
}

/// Reads the tar through nascfg-tar's safe reader: the database goes to
/// `db_path`, the secret is returned.
fn read_tar(input: &mut File, db_path: &Path) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
    let limits = Limits {
        max_members: 16,
        max_member_size: MAX_DB,
        max_total_size: MAX_DB + (1 << 20),
        ..Limits::default()
    };
    let mut secret = None;
    // The visitor answers in the reader's error type; a secret of the wrong
    // size is ours to report, once the whole archive has passed the reader.
    let mut secret_len = None;
    let mut have_db = false;
    visit_members(input, &limits, |member| {
        match member.name() {
            DB_MEMBER => {
                copy_bounded(member, db_path).map_err(|e| match e {
                    CopyError::Io(_) => nascfg_tar::Error::Truncated,
                    CopyError::TooLarge => nascfg_tar::Error::MemberTooLarge {
                        name: DB_MEMBER.into(),
                        size: MAX_DB + 1,
                        max: MAX_DB,
                    },
                })?;
                have_db = true;
            }
            SECRET_MEMBER => {
                if member.size() != 32 {
                    secret_len = Some(member.size());
                    return Ok(());
                }
                let mut bytes = Zeroizing::new(Vec::with_capacity(32));
                member
                    .take(33)
                    .read_to_end(&mut bytes)
                    .map_err(|_| nascfg_tar::Error::Truncated)?;
                secret = Some(bytes);
            }
            // root_authorized_keys and the like, and anything newer: not ours.
            _ => {}
        }
        Ok(())
    })
    .map_err(archive_error)?;
    if let Some(len) = secret_len {
        return Err(Error::PwencSecretLength {
            len: usize::try_from(len).unwrap_or(usize::MAX),
        });
    }
    if !have_db {
        return Err(Error::NotTruenasBackup {
            reason: format!("the archive has no {DB_MEMBER}"),
        });
    }
    Ok(secret)
}

/// An error of the safe reader: a tar it cannot read at all means the input
/// is not a TrueNAS backup; a tar that breaks its rules stays an archive error.
fn archive_error(e: nascfg_tar::Error) -> Error {
    match e.class() {
        nascfg_tar::Class::NotAnArchive => Error::NotTruenasBackup {
            reason: "neither an SQLite database nor a tar archive".to_owned(),
        },
        nascfg_tar::Class::Damaged => Error::NotTruenasBackup {
            reason: format!("neither an SQLite database nor a readable tar ({e})"),
        },
        nascfg_tar::Class::Refused => Error::Archive(e),
    }
}

fn read_secret_file(path: &Path) -> Result<Secret, Error> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(33));
    file.take(1024)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    Secret::from_bytes(&bytes)
}

enum CopyError {
    Io(std::io::Error),
    TooLarge,
}

/// Copies at most [`MAX_DB`] bytes into a new private file.
fn copy_bounded(input: &mut impl Read, dest: &Path) -> Result<(), CopyError> {
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dest)
        .map_err(CopyError::Io)?;
    let copied = std::io::copy(&mut input.take(MAX_DB + 1), &mut out).map_err(CopyError::Io)?;
    if copied > MAX_DB {
        return Err(CopyError::TooLarge);
    }
    out.flush().map_err(CopyError::Io)?;
    Ok(())
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
