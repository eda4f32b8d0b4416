//! Checks and changes on a staged (untrusted) database file, for restore.
//! These never touch a live data directory.
//!
//! The file is data, never schema: it is opened read-only and defensively
//! (`schema::open_untrusted`) until its `sqlite_master` has been found equal
//! to the schema nascfg writes for its version, and its rows are checked as
//! the store's own writes would check them, before anything is installed.

use std::collections::HashSet;
use std::path::Path;

use nascfg_credentials::{Credential, ProviderKind};
use nascfg_crypto::{Fingerprint, SealedValue, SealingKey, Seed};
use rusqlite::Connection;
use rusqlite::types::Value;

use crate::schema::cell;
use serde_json::Map;

use crate::error::Error;
use crate::schema;
use crate::store::{META_FINGERPRINT, keypair_context, load_credential, open_sealed};

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

fn count(conn: &Connection, path: &Path, sql: &str) -> Result<usize, Error> {
    let n: i64 = conn
        .query_row(sql, [], |r| r.get(0))
        .map_err(|e| damaged(path, e))?;
    Ok(usize::try_from(n).expect("a count is never negative"))
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

/// Opens an untrusted database file and checks what every use of it needs:
/// SQLite, a schema version this build reads (not 0), and exactly nascfg's
/// schema of that version. Returns the connection (read-only) and the version.
pub(crate) fn open_checked(path: &Path) -> Result<(Connection, u32), Error> {
    let conn = schema::open_untrusted(path)?;
    let version = schema::check_version(path, &conn)?;
    if version == 0 {
        return Err(Error::Damaged {
            path: path.to_path_buf(),
            detail: "not a nascfg database (empty)".into(),
        });
    }
    schema::check_schema(path, &conn, version)?;
    Ok((conn, version))
}

/// Opens a database file read-only and checks it: SQLite, `PRAGMA integrity_check`,
/// a schema version this build reads, exactly nascfg's schema for that version
/// (no trigger, view, table or index of anyone else), and every row as the
/// store's writes would make it (credentials valid for their provider, sealed
/// values well-formed, names unique, ids and uids well-formed).
pub fn inspect_database(path: &Path) -> Result<DatabaseInfo, Error> {
    let conn = schema::open_untrusted(path)?;
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| damaged(path, e))?;
    if check != "ok" {
        return Err(Error::Damaged {
            path: path.to_path_buf(),
            detail: format!("integrity check: {check}"),
        });
    }
    drop(conn);
    let (conn, schema_version) = open_checked(path)?;
    check_rows(path, &conn)?;
    let fingerprint = match schema::meta_get(&conn, META_FINGERPRINT)? {
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

/// Opens a staged file read-write, after [`open_checked`] found it to be
/// exactly nascfg's schema (so it is ours to change).
fn open_staged(path: &Path) -> Result<Connection, Error> {
    drop(open_checked(path)?);
    let conn = schema::open_rw(path)?;
    schema::harden(path, &conn)?;
    conn.pragma_update(None, "journal_mode", "DELETE")
        .map_err(|e| schema::map_open_error(path, e))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Brings a staged database file's schema up to this build's version
/// (after checking that it is exactly nascfg's schema of its own version).
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

/// Checks that every sealed value of a staged database opens with `seed`, and
/// that every credential it holds, secrets included, is one the store would
/// write (decoded through the store's own path, so validated as on `cred show`).
pub fn verify_secrets_open(path: &Path, seed: &Seed) -> Result<(), Error> {
    let (conn, _) = open_checked(path)?;
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
    // One read transaction for every row below: without it each statement
    // takes and drops SQLite's shared lock and looks for a hot journal
    // (fcntl and stat calls, two statements per credential).
    let read = conn.unchecked_transaction()?;
    let names = read
        .prepare("SELECT name FROM credential WHERE needs_secrets = 0 ORDER BY id")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    for name in names {
        load_credential(&conn, &key, &name).map_err(|e| match e {
            Error::InvalidStored { name, reason } => Error::InvalidRow {
                path: path.to_path_buf(),
                row: format!("the credential {}", shown(&name)),
                reason,
            },
            other => other,
        })?;
    }
    let mut stmt = conn.prepare(
        "SELECT name, uid, public_key, private_key_sealed FROM keypair WHERE private_key_sealed IS NOT NULL",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (name, uid, public, sealed): (String, String, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let private = open_sealed(&key, &sealed, &keypair_context(&uid), || {
            format!("key pair {name:?}")
        })?;
        let bad = |reason: &str| Error::InvalidRow {
            path: path.to_path_buf(),
            row: format!("the key pair {}", shown(&name)),
            reason: reason.to_owned(),
        };
        use nascfg_credentials::secrecy::ExposeSecret;
        let private = ssh_key::PrivateKey::from_openssh(private.expose_secret())
            .map_err(|_| bad("its private key is not an OpenSSH private key"))?;
        let public = ssh_key::PublicKey::from_openssh(&public)
            .map_err(|_| bad("its public key is not an OpenSSH public key"))?;
        if private.public_key().key_data() != public.key_data() {
            return Err(bad("its public key is not the private key's"));
        }
    }
    Ok(())
}

/// A value from an untrusted file, short and quoted, for an error message.
fn shown(text: &str) -> String {
    let short: String = text.chars().take(64).collect();
    if short.len() < text.len() {
        format!("{short:?}...")
    } else {
        format!("{short:?}")
    }
}

fn as_text(v: Value) -> Option<String> {
    match v {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

fn as_int(v: Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(i),
        _ => None,
    }
}

/// A uid as `new_uid` makes them: 32 lowercase hexadecimal digits.
fn is_uid(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_timestamp(s: &str) -> bool {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

/// One row of `credential` or `keypair`, its columns as stored (any type).
struct RowCheck<'p> {
    path: &'p Path,
    row: String,
}

impl RowCheck<'_> {
    fn bad(&self, reason: impl Into<String>) -> Error {
        Error::InvalidRow {
            path: self.path.to_path_buf(),
            row: self.row.clone(),
            reason: reason.into(),
        }
    }

    fn text(&self, v: Value, what: &str) -> Result<String, Error> {
        as_text(v).ok_or_else(|| self.bad(format!("its {what} is not text")))
    }

    fn id(&self, v: Value) -> Result<i64, Error> {
        as_int(v)
            .filter(|i| *i > 0)
            .ok_or_else(|| self.bad("its id is not a positive integer"))
    }

    fn uid(&self, v: Value, seen: &mut HashSet<String>) -> Result<(), Error> {
        let uid = self.text(v, "uid")?;
        if !is_uid(&uid) {
            return Err(self.bad("its uid is not 32 lowercase hexadecimal digits"));
        }
        if !seen.insert(uid) {
            return Err(self.bad("its uid is not unique"));
        }
        Ok(())
    }

    fn timestamp(&self, v: Value, what: &str) -> Result<(), Error> {
        if is_timestamp(&self.text(v, what)?) {
            Ok(())
        } else {
            Err(self.bad(format!("its {what} is not an RFC 3339 time")))
        }
    }

    fn sealed(&self, v: Value, what: &str) -> Result<(), Error> {
        let text = self.text(v, what)?;
        SealedValue::parse(&text)
            .map(|_| ())
            .map_err(|e| self.bad(format!("its {what} is not a sealed value ({e})")))
    }
}

/// Every row checked as the store's writes would make it; see [`inspect_database`].
fn check_rows(path: &Path, conn: &Connection) -> Result<(), Error> {
    let mut uids = HashSet::new();
    let keypairs = check_keypairs(path, conn, &mut uids)?;
    check_credentials(path, conn, &mut uids, &keypairs)?;
    let orphans = count(
        conn,
        path,
        "SELECT count(*) FROM credential_secret WHERE credential_id NOT IN (SELECT id FROM credential)",
    )?;
    if orphans > 0 {
        return Err(Error::InvalidRow {
            path: path.to_path_buf(),
            row: format!("{orphans} sealed value(s)"),
            reason: "they belong to no credential".into(),
        });
    }
    check_known_hosts(path, conn)?;
    let mut stmt = conn.prepare("SELECT key, value FROM meta")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let key = as_text(cell(r, 0)?);
        if key.is_none() || as_text(cell(r, 1)?).is_none() {
            return Err(Error::InvalidRow {
                path: path.to_path_buf(),
                row: "a metadata row".into(),
                reason: "its key or value is not text".into(),
            });
        }
    }
    Ok(())
}

/// Checks the key pairs; returns their names.
fn check_keypairs(
    path: &Path,
    conn: &Connection,
    uids: &mut HashSet<String>,
) -> Result<HashSet<String>, Error> {
    let mut names = HashSet::new();
    let mut stmt = conn.prepare(
        "SELECT id, uid, name, key_type, public_key, private_key_sealed, fingerprint, created_at FROM keypair ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        n += 1;
        let mut check = RowCheck {
            path,
            row: format!("key pair row {n}"),
        };
        check.id(cell(r, 0)?)?;
        let name = check.text(cell(r, 2)?, "name")?;
        check.row = format!("the key pair {}", shown(&name));
        crate::keypair::validate_name(&name).map_err(|e| check.bad(e.to_string()))?;
        if !names.insert(name) {
            return Err(check.bad("its name is not unique"));
        }
        check.uid(cell(r, 1)?, uids)?;
        let key_type = check.text(cell(r, 3)?, "key type")?;
        let public = check.text(cell(r, 4)?, "public key")?;
        let public = ssh_key::PublicKey::from_openssh(&public)
            .map_err(|_| check.bad("its public key is not an OpenSSH public key"))?;
        if key_type != crate::keypair::key_type_name(&public.algorithm()) {
            return Err(check.bad("its key type is not its public key's"));
        }
        let fingerprint = check.text(cell(r, 6)?, "fingerprint")?;
        if fingerprint != public.fingerprint(ssh_key::HashAlg::Sha256).to_string() {
            return Err(check.bad("its fingerprint is not its public key's"));
        }
        match cell(r, 5)? {
            Value::Null => {}
            v => check.sealed(v, "private key")?,
        }
        check.timestamp(cell(r, 7)?, "creation time")?;
    }
    Ok(names)
}

fn check_credentials(
    path: &Path,
    conn: &Connection,
    uids: &mut HashSet<String>,
    keypairs: &HashSet<String>,
) -> Result<(), Error> {
    let mut names = HashSet::new();
    let mut stmt = conn.prepare(
        "SELECT id, uid, name, provider, attributes, needs_secrets, created_at, updated_at FROM credential ORDER BY id",
    )?;
    let mut secrets_of = conn.prepare(
        "SELECT field, sealed FROM credential_secret WHERE credential_id = ?1 ORDER BY field",
    )?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        n += 1;
        let mut check = RowCheck {
            path,
            row: format!("credential row {n}"),
        };
        let id = check.id(cell(r, 0)?)?;
        let name = check.text(cell(r, 2)?, "name")?;
        check.row = format!("the credential {}", shown(&name));
        if !names.insert(name.clone()) {
            return Err(check.bad("its name is not unique"));
        }
        check.uid(cell(r, 1)?, uids)?;
        let provider = check.text(cell(r, 3)?, "provider")?;
        let provider: ProviderKind = provider
            .parse()
            .map_err(|_| check.bad(format!("unknown provider {}", shown(&provider))))?;
        let attributes = check.text(cell(r, 4)?, "attributes")?;
        let Ok(serde_json::Value::Object(plain)) = serde_json::from_str(&attributes) else {
            return Err(check.bad("its attributes are not a JSON object"));
        };
        let needs_secrets = match as_int(cell(r, 5)?) {
            Some(0) => false,
            Some(1) => true,
            _ => return Err(check.bad("its needs_secrets flag is not 0 or 1")),
        };
        check.timestamp(cell(r, 6)?, "creation time")?;
        check.timestamp(cell(r, 7)?, "change time")?;

        let spec = provider.spec();
        let is_secret = |field: &str| spec.field(field).is_some_and(|f| f.secret());
        if let Some(field) = plain.keys().find(|k| is_secret(k)) {
            return Err(check.bad(format!(
                "its secret field {} is stored unsealed",
                shown(field)
            )));
        }
        let mut sealed_fields = Vec::new();
        let mut secrets = secrets_of.query([id])?;
        while let Some(s) = secrets.next()? {
            let field = check.text(s.get(0)?, "sealed field name")?;
            if !is_secret(&field) {
                return Err(check.bad(format!(
                    "it has a sealed value for {}, not a secret field of {}",
                    shown(&field),
                    provider.type_str()
                )));
            }
            check.sealed(s.get(1)?, &format!("sealed {field}"))?;
            sealed_fields.push(field);
        }
        if needs_secrets && !sealed_fields.is_empty() {
            return Err(check.bad("it is marked as needing its secrets but has sealed values"));
        }
        check_attributes(&check, &name, provider, plain.clone(), |field| {
            // Without the seed a secret cannot be checked here (verify_secrets_open
            // does, with it): a sealed one, or any one of a credential whose
            // secrets were dropped, is taken as present.
            is_secret(field) && (needs_secrets || sealed_fields.iter().any(|f| f == field))
        })?;
        if provider == ProviderKind::Sftp
            && let Some(serde_json::Value::String(k)) = plain.get("private_key")
            && !k.is_empty()
            && !keypairs.contains(k)
        {
            return Err(check.bad(format!("it uses the key pair {}, which it lacks", shown(k))));
        }
    }
    Ok(())
}

/// Validates a credential's readable attributes against the provider catalog,
/// as `cred add` would, except for the secret fields `unchecked` names.
fn check_attributes(
    check: &RowCheck<'_>,
    name: &str,
    provider: ProviderKind,
    plain: Map<String, serde_json::Value>,
    unchecked: impl Fn(&str) -> bool,
) -> Result<(), Error> {
    let Err(errors) = Credential::from_parts(name, provider, plain, Vec::new()) else {
        return Ok(());
    };
    let problems: Vec<String> = errors
        .iter()
        .filter(|e| !unchecked(e.field()))
        .map(|e| format!("{}: {}", e.field(), e.message()))
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(check.bad(problems.join("; ")))
    }
}

fn check_known_hosts(path: &Path, conn: &Connection) -> Result<(), Error> {
    let mut stmt = conn.prepare("SELECT host, port, key FROM known_host")?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        n += 1;
        let check = RowCheck {
            path,
            row: format!("known host row {n}"),
        };
        let host = check.text(cell(r, 0)?, "host")?;
        if host.is_empty() || host.len() > 255 || host.chars().any(char::is_control) {
            return Err(check.bad("its host is not a host name"));
        }
        if !as_int(cell(r, 1)?).is_some_and(|p| (1..=65535).contains(&p)) {
            return Err(check.bad("its port is not 1 to 65535"));
        }
        let key = check.text(cell(r, 2)?, "key")?;
        ssh_key::PublicKey::from_openssh(&key)
            .map_err(|_| check.bad("its key is not an OpenSSH public key"))?;
    }
    Ok(())
}
