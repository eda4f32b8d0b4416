//! Keys for the TrueNAS-compatible API (`nascfg apikey`): TrueNAS's
//! `<id>-<secret>` form, shown once; the store keeps only an Argon2id hash of
//! the secret part (salted, slow), so a copy of the database (a backup bundle)
//! does not let anyone in.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use nascfg_credentials::secrecy::{ExposeSecret, SecretString};
use rusqlite::{OptionalExtension, params};

use crate::error::Error;
use crate::store::{Store, now};

/// Characters of a key's secret part: 64 of them, as TrueNAS's keys have.
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// Length of a key's secret part.
const SECRET_LEN: usize = 64;

/// What a key may do through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiKeyRole {
    /// Reads only; every secret value shows as `********` (TrueNAS's read-only roles).
    Readonly,
    /// Reads secrets and writes (TrueNAS's full admin).
    Admin,
}

impl ApiKeyRole {
    /// The role's name as stored and printed: `readonly` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeyRole::Readonly => "readonly",
            ApiKeyRole::Admin => "admin",
        }
    }

    /// The role named `text` (as [`ApiKeyRole::as_str`] writes it).
    pub fn parse(text: &str) -> Option<ApiKeyRole> {
        match text {
            "readonly" => Some(ApiKeyRole::Readonly),
            "admin" => Some(ApiKeyRole::Admin),
            _ => None,
        }
    }
}

/// A stored API key as listed: never its secret (the store does not have it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeySummary {
    /// The number before the `-` of the key.
    pub id: i64,
    /// The unique name given at creation.
    pub name: String,
    /// What it may do.
    pub role: ApiKeyRole,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
}

/// A key just created: its summary and the whole key, which exists only here.
pub struct NewApiKey {
    /// The stored key's summary.
    pub summary: ApiKeySummary,
    /// `<id>-<secret>`: print it once; it cannot be shown again.
    pub key: SecretString,
}

nascfg_credentials::redacted_debug!(NewApiKey { summary, .. });

/// A random secret part: 64 characters of [`SECRET_ALPHABET`], by rejection
/// sampling of OS random bytes (no bias).
fn new_secret() -> SecretString {
    use rand_core::RngCore;
    let mut out = String::with_capacity(SECRET_LEN);
    let mut buf = [0u8; 128];
    // 62 letters and digits: a byte below 248 (4 * 62) maps without bias.
    while out.len() < SECRET_LEN {
        rand_core::OsRng.fill_bytes(&mut buf);
        for &b in &buf {
            if out.len() == SECRET_LEN {
                break;
            }
            if b < 248 {
                out.push(char::from(SECRET_ALPHABET[usize::from(b % 62)]));
            }
        }
    }
    zeroize::Zeroize::zeroize(&mut buf);
    SecretString::from(out)
}

/// The Argon2id hash (PHC string, default parameters: 19 MiB, 2 passes) of `secret`.
fn hash_secret(secret: &str) -> String {
    let salt = SaltString::generate(&mut rand_core::OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .expect("Argon2id with its default parameters hashes any input")
        .to_string()
}

/// Whether `hash` is a PHC string this build writes (Argon2id).
pub(crate) fn is_key_hash(hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| h.algorithm.as_str() == "argon2id")
}

/// Splits `<id>-<secret>`; `None` for anything else.
fn split_key(key: &str) -> Option<(i64, &str)> {
    let (id, secret) = key.split_once('-')?;
    if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if secret.len() != SECRET_LEN || !secret.bytes().all(|b| SECRET_ALPHABET.contains(&b)) {
        return None;
    }
    Some((id.parse().ok()?, secret))
}

/// The columns `id, name, role, created_at` of an `api_key` row, in that
/// order at the start of the query, for [`summary`].
fn summary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn summary(id: i64, name: String, role: &str, created_at: String) -> Result<ApiKeySummary, Error> {
    let role = ApiKeyRole::parse(role).ok_or_else(|| Error::InvalidStored {
        name: name.clone(),
        reason: "unknown API key role".into(),
    })?;
    Ok(ApiKeySummary {
        id,
        name,
        role,
        created_at,
    })
}

impl Store {
    /// Creates an API key: the whole key is returned once, only its hash is stored.
    pub fn create_api_key(&mut self, name: &str, role: ApiKeyRole) -> Result<NewApiKey, Error> {
        crate::keypair::validate_name(name)?;
        let secret = new_secret();
        let hash = hash_secret(secret.expose_secret());
        let _guard = self.lock()?;
        let created_at = now();
        self.conn
            .execute(
                "INSERT INTO api_key(name, role, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![name, role.as_str(), hash, created_at],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
                {
                    Error::Duplicate {
                        what: "API key",
                        name: name.to_owned(),
                    }
                }
                other => Error::from(other),
            })?;
        let id = self.conn.last_insert_rowid();
        let key = SecretString::from(format!("{id}-{}", secret.expose_secret()));
        Ok(NewApiKey {
            summary: ApiKeySummary {
                id,
                name: name.to_owned(),
                role,
                created_at,
            },
            key,
        })
    }

    /// Every API key, by id.
    pub fn api_keys(&self) -> Result<Vec<ApiKeySummary>, Error> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, role, created_at FROM api_key ORDER BY id")?;
        let rows = stmt
            .query_map([], summary_row)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, name, role, created)| summary(id, name, &role, created))
            .collect()
    }

    /// Deletes the API key `name`; sessions it opened end at their next call.
    pub fn delete_api_key(&mut self, name: &str) -> Result<(), Error> {
        self.delete_named("DELETE FROM api_key WHERE name = ?1", "API key", name)
    }

    /// The API key with this id, if it still exists (a session checks that its key was not deleted).
    pub fn api_key(&self, id: i64) -> Result<Option<ApiKeySummary>, Error> {
        let row = self
            .conn
            .query_row(
                "SELECT id, name, role, created_at FROM api_key WHERE id = ?1",
                [id],
                summary_row,
            )
            .optional()?;
        row.map(|(id, name, role, created)| summary(id, name, &role, created))
            .transpose()
    }

    /// The key `<id>-<secret>` checked against the stored hash: its summary
    /// when it is right, `None` otherwise (malformed, unknown id, wrong
    /// secret: not told apart). Slow on purpose (Argon2id), also for an
    /// unknown id, so timing does not tell which ids exist.
    pub fn authenticate_api_key(&self, key: &str) -> Result<Option<ApiKeySummary>, Error> {
        let Some((id, secret)) = split_key(key) else {
            return Ok(None);
        };
        let row = self
            .conn
            .query_row(
                "SELECT id, name, role, created_at, hash FROM api_key WHERE id = ?1",
                [id],
                |r| Ok((summary_row(r)?, r.get::<_, String>(4)?)),
            )
            .optional()?;
        let Some(((_, name, role, created), hash)) = row else {
            // The same work as a wrong secret.
            drop(hash_secret(secret));
            return Ok(None);
        };
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return Err(Error::InvalidStored {
                name,
                reason: "its key hash is not a PHC string".into(),
            });
        };
        if Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_err()
        {
            return Ok(None);
        }
        summary(id, name, &role, created).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::{SECRET_LEN, is_key_hash, new_secret, split_key};
    use nascfg_credentials::secrecy::ExposeSecret;

    #[test]
    fn secrets_and_keys() {
        let s = new_secret();
        assert_eq!(s.expose_secret().len(), SECRET_LEN);
        assert_ne!(s.expose_secret(), new_secret().expose_secret());
        let key = format!("12-{}", s.expose_secret());
        assert_eq!(split_key(&key).map(|(id, _)| id), Some(12));
        for bad in [
            "",
            "12",
            "-abc",
            "x-abc",
            "12-short",
            "99999999999999999999-aaaa",
            &format!("12-{}!", &s.expose_secret()[1..]),
            &format!("+1-{}", s.expose_secret()),
        ] {
            assert_eq!(split_key(bad), None, "{bad}");
        }
        assert!(is_key_hash(&super::hash_secret("x")));
        assert!(!is_key_hash("$pbkdf2-sha256$i=1$c2FsdA$aGFzaA"));
        assert!(!is_key_hash("plain"));
    }
}
