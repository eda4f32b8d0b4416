//! The schema: its versions, the migrations from version 1 on, and opening a
//! database file safely (header check, pragmas).

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, io};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 3;

/// The migrations, in order: `MIGRATIONS[i]` takes a database from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // Version 1: the first schema.
    "CREATE TABLE meta (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    );
    CREATE TABLE credential (
        id            INTEGER PRIMARY KEY,
        uid           TEXT NOT NULL UNIQUE,
        name          TEXT NOT NULL UNIQUE,
        provider      TEXT NOT NULL,
        attributes    TEXT NOT NULL,
        needs_secrets INTEGER NOT NULL DEFAULT 0,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    );
    CREATE TABLE credential_secret (
        credential_id INTEGER NOT NULL REFERENCES credential(id) ON DELETE CASCADE,
        field         TEXT NOT NULL,
        sealed        TEXT NOT NULL,
        PRIMARY KEY (credential_id, field)
    ) WITHOUT ROWID;
    CREATE TABLE keypair (
        id                 INTEGER PRIMARY KEY,
        uid                TEXT NOT NULL UNIQUE,
        name               TEXT NOT NULL UNIQUE,
        key_type           TEXT NOT NULL,
        public_key         TEXT NOT NULL,
        private_key_sealed TEXT,
        fingerprint        TEXT NOT NULL,
        created_at         TEXT NOT NULL
    );
    CREATE TABLE known_host (
        host TEXT NOT NULL,
        port INTEGER NOT NULL,
        key  TEXT NOT NULL,
        PRIMARY KEY (host, port)
    );",
    // Version 2: keys for the TrueNAS-compatible API (`nascfg apikey`), each an
    // Argon2id hash of the key's secret part in the PHC string form.
    "CREATE TABLE api_key (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        role       TEXT NOT NULL,
        hash       TEXT NOT NULL,
        created_at TEXT NOT NULL
    );",
    // Version 3: the box's bundle-signing key (`nascfg signer`), one Ed25519
    // key whose private half (OpenSSH form) is sealed like every secret.
    "CREATE TABLE signing_key (
        id                 INTEGER PRIMARY KEY CHECK (id = 1),
        public_key         TEXT NOT NULL,
        private_key_sealed TEXT NOT NULL,
        created_at         TEXT NOT NULL
    );",
];

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Refuses a file that exists, is not empty and does not start with SQLite's header.
pub(crate) fn check_header(path: &Path) -> Result<(), Error> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source: e,
            });
        }
    };
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]).map_err(io(path))? {
            0 => break,
            n => read += n,
        }
    }
    if read == 0 || &header == SQLITE_MAGIC {
        Ok(())
    } else {
        Err(Error::NotADatabase {
            path: path.to_path_buf(),
        })
    }
}

/// Turns SQLite's "not a database" and "corrupt" codes into our errors.
pub(crate) fn map_open_error(path: &Path, e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => Error::NotADatabase {
            path: path.to_path_buf(),
        },
        Some(ErrorCode::DatabaseCorrupt) => Error::Damaged {
            path: path.to_path_buf(),
            detail: e.to_string(),
        },
        _ => Error::Sqlite(e),
    }
}

/// Opens a database file read-write with our pragmas; does not migrate.
pub(crate) fn open_rw(path: &Path) -> Result<Connection, Error> {
    check_header(path)?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            // Never a database through a symbolic link (DataDir::check refuses it first).
            | OpenFlags::SQLITE_OPEN_NOFOLLOW,
    )
    .map_err(|e| map_open_error(path, e))?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(|e| map_open_error(path, e))?;
    Ok(conn)
}

/// Opens a database file that is not ours yet (a bundle's, another system's):
/// read-only, defensive (no writable schema, no shadow-table writes), and with
/// `trusted_schema` off, so that views and triggers it carries cannot call
/// functions with side effects.
pub(crate) fn open_untrusted(path: &Path) -> Result<Connection, Error> {
    let conn = open_ro(path)?;
    harden(path, &conn)?;
    Ok(conn)
}

/// The defensive settings of [`open_untrusted`], for any connection to a
/// database that came from outside (also read-write ones to a checked copy).
pub(crate) fn harden(path: &Path, conn: &Connection) -> Result<(), Error> {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)
        .map_err(|e| map_open_error(path, e))?;
    conn.pragma_update(None, "trusted_schema", false)
        .map_err(|e| map_open_error(path, e))?;
    // SQLite's advice for untrusted files (security.html): every cell's size
    // checked as its page is read, so that the row checks, which read beside
    // the integrity check rather than after it, meet a malformed cell as an
    // error, never as an out-of-bounds read. Memory-mapped I/O stays off.
    conn.pragma_update(None, "cell_size_check", true)
        .map_err(|e| map_open_error(path, e))?;
    Ok(())
}

/// One entry of `sqlite_master`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SchemaObject {
    kind: String,
    name: String,
    table: String,
    sql: Option<String>,
}

/// Column `i` of a row of an untrusted database as an owned value. Text that
/// is not UTF-8 comes back as a blob, which every check refuses as "not text":
/// rusqlite's own conversion to `Value` panics on it (found by the
/// `bundle_builder` fuzz target).
pub(crate) fn cell(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<rusqlite::types::Value> {
    use rusqlite::types::{Value, ValueRef};
    Ok(match row.get_ref(i)? {
        ValueRef::Text(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => Value::Text(text.to_owned()),
            Err(_) => Value::Blob(bytes.to_vec()),
        },
        other => other.into(),
    })
}

fn schema_objects(conn: &Connection) -> rusqlite::Result<Vec<SchemaObject>> {
    let mut stmt =
        conn.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name, type")?;
    let text = |v: rusqlite::types::Value| match v {
        rusqlite::types::Value::Text(s) => s,
        // Not text in sqlite_master: never equal to ours, and shown as such.
        other => format!("{other:?}"),
    };
    let rows = stmt.query_map([], |r| {
        Ok(SchemaObject {
            kind: text(cell(r, 0)?),
            name: text(cell(r, 1)?),
            table: text(cell(r, 2)?),
            sql: match cell(r, 3)? {
                rusqlite::types::Value::Null => None,
                other => Some(text(other)),
            },
        })
    })?;
    rows.collect()
}

/// The schema nascfg writes at `version`: this build's own migrations run on
/// an empty in-memory database.
fn canonical_schema(version: u32) -> Vec<SchemaObject> {
    let conn = Connection::open_in_memory().expect("an in-memory database opens");
    for migration in &MIGRATIONS[..version as usize] {
        conn.execute_batch(migration)
            .expect("nascfg's own migrations run on an empty database");
    }
    schema_objects(&conn).expect("sqlite_master of an in-memory database reads")
}

/// An object's type from an untrusted file, for an error message.
fn kind(kind: &str) -> String {
    match kind {
        "table" | "index" | "view" | "trigger" => kind.to_owned(),
        other => format!("object of type {}", shown(other)),
    }
}

/// A name or value from an untrusted file, short and quoted, for an error
/// message.
pub(crate) fn shown(name: &str) -> String {
    let short: String = name.chars().take(64).collect();
    if short.len() < name.len() {
        format!("{short:?}...")
    } else {
        format!("{short:?}")
    }
}

/// Refuses every difference between the file's `sqlite_master` and the schema
/// nascfg writes at `version` (the file's): an object nascfg does not create
/// (trigger, view, table, index), one it lacks, one whose SQL differs.
pub(crate) fn check_schema(path: &Path, conn: &Connection, version: u32) -> Result<(), Error> {
    let found = schema_objects(conn).map_err(|e| match map_open_error(path, e) {
        Error::Sqlite(e) => Error::Damaged {
            path: path.to_path_buf(),
            detail: format!("its schema cannot be read: {e}"),
        },
        other => other,
    })?;
    let ours = canonical_schema(version);
    let foreign = |object: String| Error::ForeignSchema {
        path: path.to_path_buf(),
        object,
    };
    for object in &found {
        match ours.iter().find(|o| o.name == object.name) {
            None => {
                let on = if object.table != object.name {
                    format!(" on {}", shown(&object.table))
                } else {
                    String::new()
                };
                return Err(foreign(format!(
                    "it has the {} {}{on}, which nascfg does not create",
                    kind(&object.kind),
                    shown(&object.name)
                )));
            }
            Some(o) if o != object => {
                return Err(foreign(format!(
                    "its {} {} differs from nascfg's schema version {version}",
                    kind(&object.kind),
                    shown(&object.name)
                )));
            }
            Some(_) => {}
        }
    }
    if let Some(missing) = ours
        .iter()
        .find(|o| !found.iter().any(|f| f.name == o.name))
    {
        return Err(foreign(format!(
            "it lacks the {} {} of nascfg's schema version {version}",
            missing.kind,
            shown(&missing.name)
        )));
    }
    Ok(())
}

/// Opens a database file read-only (for inspecting untrusted files).
pub(crate) fn open_ro(path: &Path) -> Result<Connection, Error> {
    check_header(path)?;
    if !path.exists() {
        return Err(Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| map_open_error(path, e))?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(|e| map_open_error(path, e))?;
    Ok(conn)
}

/// The database's schema version (`PRAGMA user_version`).
pub(crate) fn version(path: &Path, conn: &Connection) -> Result<u32, Error> {
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| map_open_error(path, e))?;
    u32::try_from(v).map_err(|_| Error::Damaged {
        path: path.to_path_buf(),
        detail: format!("schema version {v}"),
    })
}

/// Refuses a newer schema, and a non-empty database that is not ours.
pub(crate) fn check_version(path: &Path, conn: &Connection) -> Result<u32, Error> {
    let v = version(path, conn)?;
    if v > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            found: v,
            supported: SCHEMA_VERSION,
        });
    }
    if v == 0 {
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| map_open_error(path, e))?;
        if tables > 0 {
            return Err(Error::Damaged {
                path: path.to_path_buf(),
                detail: "not a nascfg database (no schema version)".into(),
            });
        }
    }
    Ok(v)
}

/// Brings the schema up to [`SCHEMA_VERSION`], one migration per transaction.
pub(crate) fn migrate(path: &Path, conn: &mut Connection) -> Result<u32, Error> {
    let mut v = check_version(path, conn)?;
    while v < SCHEMA_VERSION {
        let tx = conn.transaction()?;
        tx.execute_batch(MIGRATIONS[v as usize])?;
        tx.pragma_update(None, "user_version", v + 1)?;
        tx.commit()?;
        v += 1;
    }
    Ok(v)
}

/// The pragmas of the live database.
pub(crate) fn live_pragmas(path: &Path, conn: &Connection) -> Result<(), Error> {
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| map_open_error(path, e))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

pub(crate) fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>, Error> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What SQLite advises for untrusted database files (security.html),
    /// on every connection `open_untrusted` makes.
    #[test]
    fn an_untrusted_file_is_opened_hardened() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("foreign.db");
        Connection::open(&path)
            .and_then(|c| c.execute_batch("CREATE TABLE t (x)"))
            .expect("a database");
        let conn = open_untrusted(&path).expect("opens");
        let pragma = |name: &str| -> i64 {
            conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
                .expect("a pragma")
        };
        assert_eq!(pragma("trusted_schema"), 0);
        assert_eq!(pragma("cell_size_check"), 1);
        assert_eq!(pragma("mmap_size"), 0);
        assert!(
            conn.db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE)
                .expect("db config")
        );
        assert!(
            conn.execute_batch("CREATE TABLE u (y)").is_err(),
            "read-only"
        );
    }
}
