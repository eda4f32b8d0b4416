//! SSH key pairs: generated (ed25519, RSA 3072) or imported (any format
//! [`parse_private_key`] reads), the private key sealed in the OpenSSH format,
//! the public key readable.

use nascfg_credentials::ProviderKind;
use nascfg_credentials::secrecy::{ExposeSecret, SecretString};
use rusqlite::{OptionalExtension, params};
use serde_json::Value;
use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey};

use crate::datadir::WriteGuard;
use crate::error::Error;
use crate::private_key::parse_private_key;
use crate::store::{Store, keypair_context, new_uid, not_found, now, open_sealed};

/// A key's OpenSSH texts, as the store keeps them: the private key (to be
/// sealed; wiped when dropped) and the public line.
pub(crate) fn openssh_texts(
    key: &PrivateKey,
) -> Result<(zeroize::Zeroizing<String>, String), Error> {
    let invalid = |e: ssh_key::Error| Error::InvalidKey {
        reason: e.to_string(),
    };
    let private = key.to_openssh(LineEnding::LF).map_err(invalid)?;
    let public = key.public_key().to_openssh().map_err(invalid)?;
    Ok((private, public))
}

/// The kind of key to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// Ed25519 (the default).
    Ed25519,
    /// RSA, 3072 bits.
    Rsa,
}

/// A key pair as listed: no private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeypairSummary {
    /// The row id.
    pub id: i64,
    /// The unique name.
    pub name: String,
    /// "ed25519", "rsa", "ecdsa-sha2-nistp256", ...
    pub key_type: String,
    /// The public key as an OpenSSH line (`ssh-ed25519 AAAA... name`).
    pub public_key: String,
    /// `SHA256:...`
    pub fingerprint: String,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// Whether the private key was dropped by a restore without the seed.
    pub needs_secrets: bool,
}

pub(crate) fn key_type_name(alg: &Algorithm) -> String {
    match alg {
        Algorithm::Ed25519 => "ed25519".into(),
        Algorithm::Rsa { .. } => "rsa".into(),
        other => other.as_str().to_owned(),
    }
}

pub(crate) fn validate_name(name: &str) -> Result<(), Error> {
    let bad = |reason: &str| {
        Err(Error::InvalidName {
            name: name.to_owned(),
            reason: reason.into(),
        })
    };
    if name.trim().is_empty() {
        return bad("must not be empty");
    }
    if name.chars().count() > 100 {
        return bad("must be at most 100 characters");
    }
    if name.chars().any(char::is_control) {
        return bad("must not contain control characters");
    }
    Ok(())
}

impl Store {
    /// Generates a key pair with the operating system's random generator.
    pub fn generate_keypair(
        &mut self,
        name: &str,
        key_type: KeyType,
    ) -> Result<KeypairSummary, Error> {
        validate_name(name)?;
        let mut rng = ssh_key::rand_core::OsRng;
        let key = match key_type {
            KeyType::Ed25519 => PrivateKey::random(&mut rng, Algorithm::Ed25519),
            KeyType::Rsa => ssh_key::private::RsaKeypair::random(&mut rng, 3072)
                .and_then(|kp| PrivateKey::new(ssh_key::private::KeypairData::from(kp), name)),
        }
        .map_err(|e| Error::InvalidKey {
            reason: e.to_string(),
        })?;
        let mut key = key;
        key.set_comment(name);
        let guard = self.lock()?;
        self.insert_keypair(&guard, name, &key)
    }

    /// Imports an unencrypted private key in any format [`parse_private_key`]
    /// reads; an encrypted one gives [`Error::KeyPassphraseNeeded`]. Stored
    /// normalized, in the OpenSSH format. Takes the lock for this one change.
    pub fn import_keypair(
        &mut self,
        name: &str,
        private_key: &SecretString,
    ) -> Result<KeypairSummary, Error> {
        let guard = self.lock()?;
        self.import_keypair_under(&guard, name, private_key)
    }

    pub(crate) fn import_keypair_under(
        &mut self,
        guard: &WriteGuard,
        name: &str,
        private_key: &SecretString,
    ) -> Result<KeypairSummary, Error> {
        validate_name(name)?;
        let key = parse_private_key(private_key.expose_secret(), &mut || None)?;
        self.add_keypair_under(guard, name, &key)
    }

    /// Stores a key read by [`parse_private_key`] (decrypted) under `name`.
    /// A key without a comment (every format but OpenSSH's) gets `name` as its
    /// comment. Takes the lock for this one change.
    pub fn add_keypair(&mut self, name: &str, key: &PrivateKey) -> Result<KeypairSummary, Error> {
        let guard = self.lock()?;
        self.add_keypair_under(&guard, name, key)
    }

    fn add_keypair_under(
        &mut self,
        guard: &WriteGuard,
        name: &str,
        key: &PrivateKey,
    ) -> Result<KeypairSummary, Error> {
        validate_name(name)?;
        if key.is_encrypted() {
            return Err(Error::KeyPassphraseNeeded);
        }
        if key.comment().is_empty() {
            let mut key = key.clone();
            key.set_comment(name);
            return self.insert_keypair(guard, name, &key);
        }
        self.insert_keypair(guard, name, key)
    }

    fn insert_keypair(
        &mut self,
        _guard: &WriteGuard,
        name: &str,
        key: &PrivateKey,
    ) -> Result<KeypairSummary, Error> {
        let seal_key = self.key()?;
        let (private, public) = openssh_texts(key)?;
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let key_type = key_type_name(&key.algorithm());
        // A savepoint, so that `in_transaction` can hold several of these in one.
        let tx = self.conn.savepoint()?;
        if tx
            .query_row("SELECT 1 FROM keypair WHERE name = ?1", [name], |_| Ok(()))
            .optional()?
            .is_some()
        {
            return Err(Error::Duplicate {
                what: "key pair",
                name: name.to_owned(),
            });
        }
        let uid = new_uid();
        let sealed = nascfg_crypto::seal(&seal_key, private.as_bytes(), &keypair_context(&uid));
        tx.execute(
            "INSERT INTO keypair(uid, name, key_type, public_key, private_key_sealed, fingerprint, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![uid, name, key_type, public, sealed.to_text(), fingerprint, now()],
        )?;
        tx.commit()?;
        self.keypair(name)
    }

    /// Every key pair, by name.
    pub fn list_keypairs(&self) -> Result<Vec<KeypairSummary>, Error> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, key_type, public_key, fingerprint, created_at, private_key_sealed IS NULL FROM keypair ORDER BY name",
        )?;
        let rows = stmt
            .query_map([], row_to_summary)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One key pair.
    pub fn keypair(&self, name: &str) -> Result<KeypairSummary, Error> {
        self.conn
            .query_row(
                "SELECT id, name, key_type, public_key, fingerprint, created_at, private_key_sealed IS NULL FROM keypair WHERE name = ?1",
                [name],
                row_to_summary,
            )
            .optional()?
            .ok_or_else(|| not_found("key pair", name))
    }

    /// The private key (OpenSSH text), opened with the seed.
    pub fn keypair_private(&mut self, name: &str) -> Result<SecretString, Error> {
        let key = self.key()?;
        let (uid, sealed): (String, Option<String>) = self
            .conn
            .query_row(
                "SELECT uid, private_key_sealed FROM keypair WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| not_found("key pair", name))?;
        let sealed = sealed.ok_or_else(|| Error::NeedsSecrets {
            name: name.to_owned(),
        })?;
        open_sealed(&key, &sealed, &keypair_context(&uid), || {
            format!("key pair {name:?}")
        })
    }

    /// Deletes a key pair that no credential uses; one that SFTP credentials
    /// use is refused with [`Error::KeypairInUse`], naming them.
    pub fn delete_keypair(&mut self, name: &str) -> Result<(), Error> {
        self.delete_keypair_when_used(name, WhenUsed::Refuse)
            .map(|_| ())
    }

    /// Deletes a key pair even if SFTP credentials use it: they lose their
    /// `private_key` attribute. Returns their names.
    pub fn delete_keypair_and_unbind(&mut self, name: &str) -> Result<Vec<String>, Error> {
        self.delete_keypair_when_used(name, WhenUsed::Unbind)
    }

    fn delete_keypair_when_used(
        &mut self,
        name: &str,
        when_used: WhenUsed,
    ) -> Result<Vec<String>, Error> {
        let _guard = self.lock()?;
        let tx = self.conn.transaction()?;
        let mut users = Vec::new();
        {
            let mut stmt = tx.prepare(
                "SELECT id, name, attributes FROM credential WHERE provider = ?1 ORDER BY name",
            )?;
            let rows = stmt
                .query_map([ProviderKind::Sftp.type_str()], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            for (id, cred, attrs) in rows {
                let Ok(Value::Object(attrs)) = serde_json::from_str::<Value>(&attrs) else {
                    continue;
                };
                if attrs.get("private_key").and_then(Value::as_str) == Some(name) {
                    users.push((id, cred, attrs));
                }
            }
        }
        if tx
            .query_row("SELECT 1 FROM keypair WHERE name = ?1", [name], |_| Ok(()))
            .optional()?
            .is_none()
        {
            return Err(not_found("key pair", name));
        }
        match when_used {
            WhenUsed::Refuse if !users.is_empty() => {
                return Err(Error::KeypairInUse {
                    name: name.to_owned(),
                    credentials: users.into_iter().map(|(_, cred, _)| cred).collect(),
                });
            }
            WhenUsed::Refuse => {}
            WhenUsed::Unbind => {
                let mut update = tx.prepare(
                    "UPDATE credential SET attributes = ?1, updated_at = ?2 WHERE id = ?3",
                )?;
                for (id, _, attrs) in &mut users {
                    attrs.remove("private_key");
                    update.execute(params![
                        Value::Object(attrs.clone()).to_string(),
                        now(),
                        *id
                    ])?;
                }
            }
        }
        tx.execute("DELETE FROM keypair WHERE name = ?1", [name])?;
        tx.commit()?;
        Ok(users.into_iter().map(|(_, cred, _)| cred).collect())
    }
}

/// What deleting a key pair does to the SFTP credentials that use it.
#[derive(Clone, Copy)]
enum WhenUsed {
    /// Refuse the deletion, naming them.
    Refuse,
    /// Remove their `private_key` attribute.
    Unbind,
}

fn row_to_summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<KeypairSummary> {
    Ok(KeypairSummary {
        id: r.get(0)?,
        name: r.get(1)?,
        key_type: r.get(2)?,
        public_key: r.get(3)?,
        fingerprint: r.get(4)?,
        created_at: r.get(5)?,
        needs_secrets: r.get(6)?,
    })
}
