//! The schema: its versions, the migrations from version 1 on, and opening a
//! database file safely (header check, pragmas).

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, io};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

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
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| map_open_error(path, e))?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(|e| map_open_error(path, e))?;
    Ok(conn)
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
