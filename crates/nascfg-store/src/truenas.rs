//! Reading the tables of a TrueNAS configuration database (`freenas-v1.db`).
//!
//! Only the SQL lives here: the rows come back with their attributes still
//! pwenc-encrypted; nascfg-bundle decrypts, maps and validates them. The file
//! is untrusted: it is opened read-only, defensive (`SQLITE_DBCONFIG_DEFENSIVE`),
//! with `trusted_schema` off, and only real tables (not views) of the expected
//! names are read.

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::Error;

/// One row of `system_cloudcredentials` or `system_keychaincredential`.
pub struct TruenasRow {
    /// The row's `id`.
    pub id: i64,
    /// The row's `name`.
    pub name: String,
    /// `provider` (cloud credentials) or `type` (keychain).
    pub kind: String,
    /// `attributes`: pwenc-encrypted JSON, as stored.
    pub attributes: String,
}

nascfg_credentials::redacted_debug!(TruenasRow { id, name, kind, .. });

/// What a TrueNAS database holds that an import needs.
#[derive(Debug)]
pub struct TruenasTables {
    /// `system_settings.stg_pwenc_check`: pwenc("Donuts!"), when present.
    pub pwenc_check: Option<String>,
    /// `system_cloudcredentials(id, name, provider, attributes)`.
    pub cloud_credentials: Vec<TruenasRow>,
    /// `system_keychaincredential(id, name, type, attributes)`.
    pub keychain: Vec<TruenasRow>,
}

/// Reads the cloud credentials, key pairs and pwenc check value of a
/// TrueNAS database file, opened read-only. A file that is not SQLite, or has
/// no `system_cloudcredentials` table, is an error.
pub fn read_truenas_db(path: &Path) -> Result<TruenasTables, Error> {
    let not_truenas = |detail: &str| Error::Damaged {
        path: path.to_owned(),
        detail: detail.to_owned(),
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    crate::schema::harden(path, &conn)?;
    conn.pragma_update(None, "query_only", true)?;
    let is_table = |name: &str| -> Result<bool, Error> {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::NotADatabase =>
                {
                    Error::NotADatabase {
                        path: path.to_owned(),
                    }
                }
                other => Error::Sqlite(other),
            })?;
        Ok(n > 0)
    };
    if !is_table("system_cloudcredentials")? {
        return Err(not_truenas(
            "not a TrueNAS database: it has no system_cloudcredentials table",
        ));
    }
    let pwenc_check = if is_table("system_settings")? {
        conn.query_row(
            "SELECT stg_pwenc_check FROM system_settings ORDER BY id LIMIT 1",
            [],
            |r| Ok(text_of(r.get_ref(0)?)),
        )
        .ok()
        .filter(|s| !s.is_empty())
    } else {
        None
    };
    let cloud_credentials = rows(
        &conn,
        "SELECT id, name, provider, attributes FROM system_cloudcredentials ORDER BY id",
    )?;
    let keychain = if is_table("system_keychaincredential")? {
        rows(
            &conn,
            "SELECT id, name, type, attributes FROM system_keychaincredential ORDER BY id",
        )?
    } else {
        Vec::new()
    };
    Ok(TruenasTables {
        pwenc_check,
        cloud_credentials,
        keychain,
    })
}

fn rows(conn: &Connection, sql: &str) -> Result<Vec<TruenasRow>, Error> {
    let mut stmt = conn.prepare(sql)?;
    let mapped = stmt.query_map([], |r| {
        Ok(TruenasRow {
            id: match r.get_ref(0)? {
                ValueRef::Integer(i) => i,
                _ => -1,
            },
            name: text_of(r.get_ref(1)?),
            kind: text_of(r.get_ref(2)?),
            attributes: text_of(r.get_ref(3)?),
        })
    })?;
    Ok(mapped.collect::<Result<Vec<_>, _>>()?)
}

/// A column value as text, whatever type the (untrusted) file gave it. Read
/// as a `ValueRef`: SQLite does not check that TEXT is UTF-8, and rusqlite's
/// `Value` conversion panics on text that is not (found by fuzzing).
fn text_of(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => String::new(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(b) | ValueRef::Blob(b) => String::from_utf8_lossy(b).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_truenas_databases() {
        let tmp = tempfile::tempdir().unwrap();
        let junk = tmp.path().join("junk");
        std::fs::write(
            &junk,
            b"not a database at all, just some bytes that are long enough",
        )
        .unwrap();
        assert!(read_truenas_db(&junk).is_err());
        let empty = tmp.path().join("empty.db");
        Connection::open(&empty)
            .unwrap()
            .execute_batch("CREATE TABLE t(x)")
            .unwrap();
        assert!(matches!(
            read_truenas_db(&empty),
            Err(Error::Damaged { .. })
        ));
        let ok = tmp.path().join("ok.db");
        Connection::open(&ok)
            .unwrap()
            .execute_batch(
                "CREATE TABLE system_cloudcredentials(id INTEGER PRIMARY KEY, name, provider, attributes);
                 INSERT INTO system_cloudcredentials VALUES (3, 'n', 'S3', X'41');",
            )
            .unwrap();
        let tables = read_truenas_db(&ok).unwrap();
        assert_eq!(tables.pwenc_check, None);
        assert_eq!(tables.cloud_credentials.len(), 1);
        assert_eq!(tables.cloud_credentials[0].attributes, "A");
        assert!(tables.keychain.is_empty());
    }

    /// TEXT that is not UTF-8 (SQLite does not check it) in any column read
    /// is taken lossily, never a panic. The last case is the input the
    /// truenas_import fuzz target found (a check value with damaged bytes).
    #[test]
    fn text_that_is_not_utf8_is_read_lossily() {
        let tmp = tempfile::tempdir().unwrap();
        let bad = "CAST(X'A993FF41' AS TEXT)";
        let cases = [
            format!("INSERT INTO system_settings VALUES (1, {bad})"),
            format!("INSERT INTO system_cloudcredentials VALUES (1, {bad}, 'S3', 'x')"),
            format!("INSERT INTO system_cloudcredentials VALUES (1, 'n', {bad}, 'x')"),
            format!("INSERT INTO system_cloudcredentials VALUES (1, 'n', 'S3', {bad})"),
            format!("INSERT INTO system_keychaincredential VALUES (1, {bad}, {bad}, {bad})"),
        ];
        for (i, insert) in cases.iter().enumerate() {
            let path = tmp.path().join(format!("{i}.db"));
            Connection::open(&path)
                .unwrap()
                .execute_batch(&format!(
                    "CREATE TABLE system_settings(id INTEGER PRIMARY KEY, stg_pwenc_check);
                     CREATE TABLE system_cloudcredentials(id INTEGER PRIMARY KEY, name, provider, attributes);
                     CREATE TABLE system_keychaincredential(id INTEGER PRIMARY KEY, name, type, attributes);
                     {insert};"
                ))
                .unwrap();
            let tables = read_truenas_db(&path).unwrap();
            let texts: Vec<&str> = (tables.pwenc_check.iter().map(String::as_str))
                .chain(
                    tables
                        .cloud_credentials
                        .iter()
                        .chain(&tables.keychain)
                        .flat_map(|r| [r.name.as_str(), r.kind.as_str(), r.attributes.as_str()]),
                )
                .collect();
            assert!(
                texts.contains(&"\u{fffd}\u{fffd}\u{fffd}A"),
                "{insert}: {texts:?}"
            );
        }
        let found = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fuzz/truenas-check-not-utf8.db");
        // Damaged further on: an error, but no panic.
        let tables = read_truenas_db(&found);
        assert!(tables.is_err() || tables.is_ok_and(|t| t.pwenc_check.is_some()));
    }
}
