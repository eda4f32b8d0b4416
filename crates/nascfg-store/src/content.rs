//! The logical content of a config database: what a configuration is, without
//! row ids, timestamps or SQLite's layout. Read from the live store or from a
//! staged (checked) database file, for diffs and content digests.

use std::path::Path;

use nascfg_credentials::ProviderKind;
use nascfg_credentials::secrecy::SecretString;
use nascfg_crypto::{Fingerprint, SealingKey};
use rusqlite::Connection;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::schema;
use crate::store::{META_FINGERPRINT, Store, credential_context, keypair_context, open_sealed};

/// Everything a configuration holds, ordered by name (credentials, key pairs)
/// and by host and port (known hosts). Secrets stay sealed.
#[derive(Debug, Clone)]
pub struct Content {
    /// The fingerprint of the seed the database's secrets are sealed under,
    /// as the database records it.
    pub fingerprint: Option<Fingerprint>,
    /// The credentials, by name.
    pub credentials: Vec<CredentialContent>,
    /// The SSH key pairs, by name.
    pub keypairs: Vec<KeypairContent>,
    /// The known SFTP host keys, by host and port.
    pub known_hosts: Vec<KnownHostContent>,
}

/// One credential's content.
#[derive(Debug, Clone)]
pub struct CredentialContent {
    /// Its stable identifier (kept across renames, export and restore).
    pub uid: String,
    /// Its unique name.
    pub name: String,
    /// Its provider.
    pub provider: ProviderKind,
    /// Its readable (non-secret) attributes.
    pub attributes: Map<String, Value>,
    /// Its secret attributes that have a value, by field name.
    pub secrets: Vec<SealedSecret>,
    /// Whether its secrets were dropped by a restore without the seed.
    pub needs_secrets: bool,
}

/// One SSH key pair's content.
#[derive(Debug, Clone)]
pub struct KeypairContent {
    /// Its stable identifier.
    pub uid: String,
    /// Its unique name.
    pub name: String,
    /// `ed25519`, `rsa`, `ecdsa-sha2-nistp256`, ...
    pub key_type: String,
    /// The public key as an OpenSSH line.
    pub public_key: String,
    /// The public key's `SHA256:...` fingerprint.
    pub fingerprint: String,
    /// The private key, absent when a restore without the seed dropped it.
    pub private_key: Option<SealedSecret>,
}

/// One known SFTP host key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownHostContent {
    /// The host name or address.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Its public key as an OpenSSH line.
    pub key: String,
}

/// A secret value as stored: its sealed text and the context it is bound to.
/// Opening it needs the sealing key of the seed it was sealed under.
#[derive(Clone)]
pub struct SealedSecret {
    field: String,
    sealed: String,
    context: Vec<u8>,
}

impl SealedSecret {
    /// The attribute's name (`private_key` for a key pair).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The sealed text (`nsv1.<key id>.<base64url>`): ciphertext, no secret,
    /// but equal texts mean equal values only under one seed and context.
    pub fn sealed_text(&self) -> &str {
        &self.sealed
    }

    /// The associated data the value is bound to: its owner's uid and the
    /// field, so two owners' equal secrets never share a context.
    pub fn context(&self) -> &[u8] {
        &self.context
    }

    /// Opens the value with `key`; the error says whether the key is another
    /// seed's or the value is damaged, never the value.
    pub fn open(&self, key: &SealingKey) -> Result<SecretString, Error> {
        open_sealed(key, &self.sealed, &self.context, || {
            format!("the sealed {}", self.field)
        })
    }
}

nascfg_credentials::redacted_debug!(SealedSecret { field, .. });

/// One item of a configuration's content, as [`Store::visit_content`]
/// hands them over: every credential (by name), then every key pair (by
/// name), then every known host (by host and port).
#[derive(Debug, Clone)]
pub enum ContentItem {
    /// A credential.
    Credential(CredentialContent),
    /// A key pair.
    Keypair(KeypairContent),
    /// A known host key.
    KnownHost(KnownHostContent),
}

/// Reads the logical content of a staged database file (a bundle's, after
/// [`inspect_database`](crate::inspect_database) checked it), read-only and
/// defensively; never a live data directory.
pub fn read_content(path: &Path) -> Result<Content, Error> {
    let (conn, _) = crate::staged::open_checked(path)?;
    collect(&conn, path)
}

impl Store {
    /// The logical content of this store, read in one transaction (a
    /// consistent view under concurrent writers). No seed is needed.
    pub fn content(&self) -> Result<Content, Error> {
        let read = self.conn.unchecked_transaction()?;
        let content = collect(&read, &self.dir.db_path())?;
        read.finish()?;
        Ok(content)
    }

    /// Streams this store's content to `visit`, one item at a time, in one
    /// transaction, in the order [`ContentItem`] says; memory does not grow
    /// with the store. Returns the fingerprint the database records. Stops at
    /// the first error `visit` returns.
    pub fn visit_content(
        &self,
        visit: impl FnMut(ContentItem) -> Result<(), Error>,
    ) -> Result<Option<Fingerprint>, Error> {
        let read = self.conn.unchecked_transaction()?;
        let path = self.dir.db_path();
        let fingerprint = fingerprint(&read, &path)?;
        visit_rows(&read, &path, visit)?;
        read.finish()?;
        Ok(fingerprint)
    }
}

fn bad(path: &Path, row: String, reason: &str) -> Error {
    Error::InvalidRow {
        path: path.to_path_buf(),
        row,
        reason: reason.to_owned(),
    }
}

fn fingerprint(conn: &Connection, path: &Path) -> Result<Option<Fingerprint>, Error> {
    match schema::meta_get(conn, META_FINGERPRINT)? {
        None => Ok(None),
        Some(s) => Ok(Some(s.parse().map_err(|_| {
            bad(path, "the seed fingerprint".into(), "it is malformed")
        })?)),
    }
}

fn collect(conn: &Connection, path: &Path) -> Result<Content, Error> {
    let mut content = Content {
        fingerprint: fingerprint(conn, path)?,
        credentials: Vec::new(),
        keypairs: Vec::new(),
        known_hosts: Vec::new(),
    };
    visit_rows(conn, path, |item| {
        match item {
            ContentItem::Credential(c) => content.credentials.push(c),
            ContentItem::Keypair(k) => content.keypairs.push(k),
            ContentItem::KnownHost(h) => content.known_hosts.push(h),
        }
        Ok(())
    })?;
    Ok(content)
}

fn visit_rows(
    conn: &Connection,
    path: &Path,
    mut visit: impl FnMut(ContentItem) -> Result<(), Error>,
) -> Result<(), Error> {
    // One pass over credentials joined with their secrets, by name then field:
    // a credential is complete when the next row has another id.
    let mut stmt = conn.prepare(
        "SELECT c.id, c.uid, c.name, c.provider, c.attributes, c.needs_secrets, s.field, s.sealed
         FROM credential c LEFT JOIN credential_secret s ON s.credential_id = c.id
         ORDER BY c.name, s.field",
    )?;
    let mut rows = stmt.query([])?;
    let mut current: Option<(i64, CredentialContent)> = None;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        if current.as_ref().is_none_or(|(cur, _)| *cur != id) {
            if let Some((_, done)) = current.take() {
                visit(ContentItem::Credential(done))?;
            }
            let (uid, name, provider, attributes, needs_secrets): (
                String,
                String,
                String,
                String,
                bool,
            ) = (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
            let row = || format!("the credential {name:?}");
            let provider: ProviderKind = provider
                .parse()
                .map_err(|_| bad(path, row(), "its provider is unknown"))?;
            let Ok(Value::Object(attributes)) = serde_json::from_str(&attributes) else {
                return Err(bad(path, row(), "its attributes are not a JSON object"));
            };
            current = Some((
                id,
                CredentialContent {
                    uid,
                    name,
                    provider,
                    attributes,
                    secrets: Vec::new(),
                    needs_secrets,
                },
            ));
        }
        let (field, sealed): (Option<String>, Option<String>) = (r.get(6)?, r.get(7)?);
        if let (Some(field), Some(sealed), Some((_, credential))) = (field, sealed, &mut current) {
            credential.secrets.push(SealedSecret {
                context: credential_context(&credential.uid, &field),
                field,
                sealed,
            });
        }
    }
    if let Some((_, done)) = current.take() {
        visit(ContentItem::Credential(done))?;
    }

    let mut stmt = conn.prepare(
        "SELECT uid, name, key_type, public_key, fingerprint, private_key_sealed FROM keypair ORDER BY name",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let uid: String = r.get(0)?;
        let sealed: Option<String> = r.get(5)?;
        visit(ContentItem::Keypair(KeypairContent {
            private_key: sealed.map(|sealed| SealedSecret {
                field: "private_key".into(),
                sealed,
                context: keypair_context(&uid),
            }),
            uid,
            name: r.get(1)?,
            key_type: r.get(2)?,
            public_key: r.get(3)?,
            fingerprint: r.get(4)?,
        }))?;
    }

    let mut stmt = conn.prepare("SELECT host, port, key FROM known_host ORDER BY host, port")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (host, port, key): (String, i64, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let port = u16::try_from(port).map_err(|_| {
            bad(
                path,
                format!("the known host {host:?}"),
                "its port is not 0 to 65535",
            )
        })?;
        visit(ContentItem::KnownHost(KnownHostContent { host, port, key }))?;
    }
    Ok(())
}
