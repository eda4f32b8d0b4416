//! Checks and changes on a staged (untrusted) database file, for restore.
//! These never touch a live data directory.

use std::path::Path;

use nascfg_crypto::{Fingerprint, SealingKey, Seed};

use crate::error::Error;
use crate::schema;
use crate::store::{META_FINGERPRINT, credential_context, keypair_context, open_sealed};

/// What [`inspect_database`] found in a database file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseInfo {
    /// Its schema version (at most [`SCHEMA_VERSION`](crate::SCHEMA_VERSION)).
    pub schema_version: u32,
    /// The fingerprint of the seed its secrets are sealed under, if recorded.
    pub fingerprint: Option<Fingerprint>,
    /// How many credentials it holds.
    pub credentials: usize,
    /// How many key pairs it holds.
    pub keypairs: usize,
    /// How many sealed values (credential secrets and private keys) it holds.
    pub sealed_values: usize,
}

fn count(conn: &rusqlite::Connection, path: &Path, sql: &str) -> Result<usize, Error> {
    let n: i64 = conn
        .query_row(sql, [], |r| r.get(0))
        .map_err(|e| damaged(path, e))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

fn damaged(path: &Path, e: rusqlite::Error) -> Error {
    match schema::map_open_error(path, e) {
        Error::Sqlite(e) => Error::Damaged {
            path: path.to_path_buf(),
            detail: e.to_string(),
        },
        other => other,
    }
}

/// Opens a database file read-only and checks it: SQLite, `PRAGMA integrity_check`,
/// a schema version this build reads, our tables.
pub fn inspect_database(path: &Path) -> Result<DatabaseInfo, Error> {
    let conn = schema::open_ro(path)?;
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| damaged(path, e))?;
    if check != "ok" {
        return Err(Error::Damaged {
            path: path.to_path_buf(),
            detail: format!("integrity check: {check}"),
        });
    }
    let schema_version = schema::check_version(path, &conn)?;
    if schema_version == 0 {
        return Err(Error::Damaged {
            path: path.to_path_buf(),
            detail: "not a nascfg database (empty)".into(),
        });
    }
    let fingerprint =
        match schema::meta_get(&conn, META_FINGERPRINT).map_err(|_| Error::Damaged {
            path: path.to_path_buf(),
            detail: "no metadata table".into(),
        })? {
            None => None,
            Some(s) => Some(s.parse().map_err(|_| Error::Damaged {
                path: path.to_path_buf(),
                detail: "malformed seed fingerprint".into(),
            })?),
        };
    Ok(DatabaseInfo {
        schema_version,
        fingerprint,
        credentials: count(&conn, path, "SELECT count(*) FROM credential")?,
        keypairs: count(&conn, path, "SELECT count(*) FROM keypair")?,
        sealed_values: count(&conn, path, "SELECT count(*) FROM credential_secret")?
            + count(
                &conn,
                path,
                "SELECT count(*) FROM keypair WHERE private_key_sealed IS NOT NULL",
            )?,
    })
}

fn open_staged(path: &Path) -> Result<rusqlite::Connection, Error> {
    if !path.exists() {
        return Err(Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    let conn = schema::open_rw(path)?;
    conn.pragma_update(None, "journal_mode", "DELETE")
        .map_err(|e| schema::map_open_error(path, e))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Brings a staged database file's schema up to this build's version.
pub fn migrate_database(path: &Path) -> Result<(), Error> {
    let mut conn = open_staged(path)?;
    schema::migrate(path, &mut conn)?;
    Ok(())
}

/// Drops every sealed value of a staged database: credentials that had secrets are
/// marked as needing them re-entered, private keys are cleared, the seed fingerprint
/// is forgotten (the box's seed is recorded on first open). Returns how many
/// credentials were marked.
pub fn strip_secrets(path: &Path) -> Result<usize, Error> {
    let mut conn = open_staged(path)?;
    schema::migrate(path, &mut conn)?;
    let tx = conn.transaction()?;
    let marked = tx.execute(
        "UPDATE credential SET needs_secrets = 1 WHERE id IN (SELECT DISTINCT credential_id FROM credential_secret)",
        [],
    )?;
    tx.execute("DELETE FROM credential_secret", [])?;
    tx.execute("UPDATE keypair SET private_key_sealed = NULL", [])?;
    tx.execute("DELETE FROM meta WHERE key = ?1", [META_FINGERPRINT])?;
    tx.commit()?;
    conn.execute_batch("VACUUM")?;
    Ok(marked)
}

/// Checks that every sealed value of a staged database opens with `seed`.
pub fn verify_secrets_open(path: &Path, seed: &Seed) -> Result<(), Error> {
    let conn = schema::open_ro(path)?;
    schema::check_version(path, &conn)?;
    if let Some(db) = schema::meta_get(&conn, META_FINGERPRINT)? {
        let db: Fingerprint = db.parse()?;
        if db != seed.fingerprint() {
            return Err(Error::SeedMismatch {
                database: db,
                seed: seed.fingerprint(),
            });
        }
    }
    let key = SealingKey::derive(seed);
    let mut stmt = conn.prepare(
        "SELECT c.name, c.uid, s.field, s.sealed FROM credential_secret s JOIN credential c ON c.id = s.credential_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (name, uid, field, sealed): (String, String, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        open_sealed(&key, &sealed, &credential_context(&uid, &field), || {
            format!("credential {name:?} ({field})")
        })?;
    }
    let mut stmt = conn.prepare(
        "SELECT name, uid, private_key_sealed FROM keypair WHERE private_key_sealed IS NOT NULL",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (name, uid, sealed): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        open_sealed(&key, &sealed, &keypair_context(&uid), || {
            format!("key pair {name:?}")
        })?;
    }
    Ok(())
}
