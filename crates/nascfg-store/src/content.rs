//! The logical content of a config database: what a configuration is, without
//! row ids, timestamps or SQLite's layout. Read from the live store or from a
//! staged (checked) database file, for diffs and content digests.

use std::collections::HashMap;
use std::fmt;
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

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedSecret")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

/// Reads the logical content of a staged database file (a bundle's, after
/// [`inspect_database`](crate::inspect_database) checked it), read-only and
/// defensively; never a live data directory.
pub fn read_content(path: &Path) -> Result<Content, Error> {
    let (conn, _) = crate::staged::open_checked(path)?;
    query_content(&conn, path)
}

impl Store {
    /// The logical content of this store, read in one transaction (a
    /// consistent view under concurrent writers). No seed is needed.
    pub fn content(&self) -> Result<Content, Error> {
        let read = self.conn.unchecked_transaction()?;
        let content = query_content(&read, &self.dir.db_path())?;
        read.finish()?;
        Ok(content)
    }
}

fn query_content(conn: &Connection, path: &Path) -> Result<Content, Error> {
    let bad = |row: String, reason: &str| Error::InvalidRow {
        path: path.to_path_buf(),
        row,
        reason: reason.to_owned(),
    };
    let fingerprint = match schema::meta_get(conn, META_FINGERPRINT)? {
        None => None,
        Some(s) => Some(
            s.parse()
                .map_err(|_| bad("the seed fingerprint".into(), "it is malformed"))?,
        ),
    };

    let mut credentials = Vec::new();
    let mut by_id = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT id, uid, name, provider, attributes, needs_secrets FROM credential ORDER BY name",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (id, uid, name, provider, attributes, needs_secrets): (
            i64,
            String,
            String,
            String,
            String,
            bool,
        ) = (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        );
        let row = || format!("the credential {name:?}");
        let provider: ProviderKind = provider
            .parse()
            .map_err(|_| bad(row(), "its provider is unknown"))?;
        let Ok(Value::Object(attributes)) = serde_json::from_str(&attributes) else {
            return Err(bad(row(), "its attributes are not a JSON object"));
        };
        by_id.insert(id, credentials.len());
        credentials.push(CredentialContent {
            uid,
            name,
            provider,
            attributes,
            secrets: Vec::new(),
            needs_secrets,
        });
    }
    let mut stmt =
        conn.prepare("SELECT credential_id, field, sealed FROM credential_secret ORDER BY field")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (id, field, sealed): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let Some(&index) = by_id.get(&id) else {
            return Err(bad("a sealed value".into(), "it belongs to no credential"));
        };
        let credential = &mut credentials[index];
        credential.secrets.push(SealedSecret {
            context: credential_context(&credential.uid, &field),
            field,
            sealed,
        });
    }

    let mut stmt = conn.prepare(
        "SELECT uid, name, key_type, public_key, fingerprint, private_key_sealed FROM keypair ORDER BY name",
    )?;
    let keypairs = stmt
        .query_map([], |r| {
            let uid: String = r.get(0)?;
            let sealed: Option<String> = r.get(5)?;
            Ok(KeypairContent {
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
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;

    let mut stmt = conn.prepare("SELECT host, port, key FROM known_host ORDER BY host, port")?;
    let mut known_hosts = Vec::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (host, port, key): (String, i64, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let port = u16::try_from(port).map_err(|_| {
            bad(
                format!("the known host {host:?}"),
                "its port is not 0 to 65535",
            )
        })?;
        known_hosts.push(KnownHostContent { host, port, key });
    }
    Ok(Content {
        fingerprint,
        credentials,
        keypairs,
        known_hosts,
    })
}
