//! Checks and changes on a staged (untrusted) database file, for restore.
//! These never touch a live data directory.
//!
//! The file is data, never schema: it is opened read-only and defensively
//! (`schema::open_untrusted`) until its `sqlite_master` has been found equal
//! to the schema nascfg writes for its version, and its rows are checked as
//! the store's own writes would check them, before anything is installed.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use fallible_streaming_iterator::FallibleStreamingIterator;
use nascfg_credentials::{Credential, ProviderKind};
use nascfg_crypto::{Fingerprint, SealedValue, SealingKey, Seed};
use rusqlite::Connection;
use rusqlite::types::{Value, ValueRef};

use crate::schema::{cell, shown};

use crate::error::Error;
use crate::schema;
use crate::store::{
    META_FINGERPRINT, credential_context_into, keypair_context, load_credential, open_parsed,
    open_sealed,
};

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
    /// How many credentials hold at least one sealed secret (an empty
    /// secret is not stored, so a credential whose only secret is empty has
    /// none to lose).
    pub credentials_with_secrets: usize,
    /// How many key pairs hold a sealed private key.
    pub keypairs_with_private_key: usize,
    /// The public half of the box's signing key it holds (schema version 3
    /// on), if any.
    pub signer: Option<ssh_key::PublicKey>,
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
    check_database(path, None).map(|(info, _)| info)
}

/// The proof, from [`check_database`], that every credential's sealed values
/// opened under one seed and every credential (secrets included) is one the
/// store would write: what [`verify_secrets_open`] checks of credentials, done
/// in the same pass as the row checks; and whether the signing key and every
/// key pair's private key opened too (checked beside the key pairs' rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretsOpened {
    fingerprint: Fingerprint,
    /// The signing key and every key pair's private key opened too (in the
    /// same pass, before the rows): nothing is left to open again.
    all: bool,
}

/// [`inspect_database`], and with `seed` (when the database records that
/// seed's fingerprint) also what [`verify_secrets_open`] checks of every
/// credential, in the same pass over the rows: each row is read, parsed and
/// validated once, not once per check. SQLite's integrity check runs on a
/// second thread and connection beside the row checks (shares of 1,024
/// credentials by id) and, when it is done, takes shares of them too; errors
/// are the ones a single pass in id order reports.
///
/// Returns [`SecretsOpened`] when every credential opened and validated under
/// `seed`; a credential that did not is not an error here (a restore may yet
/// drop its secrets or use another seed): [`verify_secrets_open_after`] then
/// checks every credential again and reports it.
pub fn check_database(
    path: &Path,
    seed: Option<&Seed>,
) -> Result<(DatabaseInfo, Option<SecretsOpened>), Error> {
    // SQLite's integrity check (a third of the work on a large store) runs on
    // its own connection and thread, beside the schema and row checks; its
    // verdict comes first, as if it had run first: the other checks only read
    // (a damaged file makes them fail, never write or loop), and nothing they
    // found counts when the file is damaged. On two cores, giving it a core
    // of its own and sharing out the rows once it is done keeps both busy
    // to the end (a third thread for rows left it running alone at the end).
    let integrity = schema::open_untrusted(path)?;
    let cache = check_cache_pages(path)?;
    set_cache(path, &integrity, cache)?;
    let work: OnceLock<RowWork<'_>> = OnceLock::new();
    let work = &work;
    std::thread::scope(|scope| {
        let helper = scope.spawn(move || {
            // The sealed values' count (for the orphan check after the rows)
            // is taken here too, while the main thread still walks rows.
            let verdict = integrity_check(path, &integrity)
                .and_then(|()| count(&integrity, path, COUNT_SEALED));
            let helped = match (&verdict, work.get()) {
                (Ok(_), Some(work)) => work.run(&integrity),
                _ => Vec::new(),
            };
            (verdict, helped)
        });
        let planned = plan_checks(path, seed, cache, work);
        let mine = match (&planned, work.get()) {
            (Ok(planned), Some(work)) => work.run(&planned.conn),
            _ => Vec::new(),
        };
        let (verdict, helped) = helper
            .join()
            .expect("the integrity check thread does not panic");
        let sealed = verdict?;
        let planned = planned?;
        let work = work.get().expect("planned, so the rows' work is set");
        let walked = work.outcome(mine, helped)?;
        finish_checks(path, planned, seed, walked, sealed)
    })
}

/// The page cache of each connection [`check_database`] reads with, in
/// pages: about one page in 64 of the file (a B-tree's interior pages, which
/// every seek of the integrity check passes through, are about 1% of it),
/// at least 64 and at most SQLite's default of 2 MiB. Each page is read once
/// or twice in order, so a cache that holds the interior pages and little
/// more stays in the CPU's caches: at 50,000 credentials 64 pages check in
/// 4-8% less time than SQLite's default (names inserted in order or
/// shuffled), and 16 pages are slower again when the names are shuffled.
fn check_cache_pages(path: &Path) -> Result<i64, Error> {
    const PAGE: u64 = 4096;
    let len = std::fs::metadata(path)
        .map_err(crate::error::io(path))?
        .len();
    Ok(i64::try_from(len / PAGE / 64)
        .unwrap_or(i64::MAX)
        .clamp(64, 2048 * 1024 / PAGE as i64))
}

fn set_cache(path: &Path, conn: &Connection, pages: i64) -> Result<(), Error> {
    conn.pragma_update(None, "cache_size", pages)
        .map_err(|e| damaged(path, e))
}

fn integrity_check(path: &Path, conn: &Connection) -> Result<(), Error> {
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| damaged(path, e))?;
    if check != "ok" {
        return Err(Error::Damaged {
            path: path.to_path_buf(),
            detail: format!("integrity check: {check}"),
        });
    }
    Ok(())
}

/// What [`plan_checks`] opened and found, for [`finish_checks`].
struct Planned {
    conn: Connection,
    schema_version: u32,
    /// The signing key and every key pair's private key opened with the
    /// seed's key (when the seed was the database's).
    others_opened: bool,
}

/// The checks before the credential rows: the schema, the key pairs, and
/// the plan of the credential rows' checks, set in `work`.
fn plan_checks<'a>(
    path: &'a Path,
    seed: Option<&Seed>,
    cache: i64,
    work: &OnceLock<RowWork<'a>>,
) -> Result<Planned, Error> {
    let (conn, schema_version) = open_checked(path)?;
    set_cache(path, &conn, cache)?;
    // Only a hint, for choosing whether to open secrets as the rows are
    // read: the fingerprint itself is checked after the rows, as before.
    let recorded: Option<Fingerprint> = schema::meta_get(&conn, META_FINGERPRINT)
        .ok()
        .flatten()
        .and_then(|s| s.parse().ok());
    let key = seed
        .filter(|seed| recorded.as_ref() == Some(&seed.fingerprint()))
        .map(SealingKey::derive);
    let mut keypair_uids = HashSet::new();
    let keypairs = check_keypairs(path, &conn, &mut keypair_uids)?;
    // Only a shortcut for verify_secrets_open_after: any failure here is
    // found and reported there.
    let others_opened = key
        .as_ref()
        .is_some_and(|key| others_open(path, &conn, schema_version, key).is_ok());
    let chunks = plan_chunks(path, &conn)?;
    let planned = RowWork {
        path,
        keypair_uids,
        keypairs,
        key,
        chunks,
        next: AtomicUsize::new(0),
        first_bad: AtomicUsize::new(usize::MAX),
    };
    // Set once: plan_checks runs once per check_database.
    let _ = work.set(planned);
    Ok(Planned {
        conn,
        schema_version,
        others_opened,
    })
}

/// The sealed values of credentials, for the orphan check.
const COUNT_SEALED: &str = "SELECT count(*) FROM credential_secret";

/// The checks after the credential rows (what their walk counted, and
/// `sealed`, the count of [`COUNT_SEALED`]), and what the file holds.
fn finish_checks(
    path: &Path,
    planned: Planned,
    seed: Option<&Seed>,
    walked: Walked,
    sealed: usize,
) -> Result<(DatabaseInfo, Option<SecretsOpened>), Error> {
    let Planned {
        conn,
        schema_version,
        others_opened,
    } = planned;
    // Every sealed value whose credential_id is a credential's id was met by
    // the walk, beside that credential (the shares cover every integer id);
    // any other is an orphan, whatever its credential_id holds.
    let orphans = sealed.saturating_sub(walked.sealed);
    if orphans > 0 {
        return Err(Error::InvalidRow {
            path: path.to_path_buf(),
            row: format!("{orphans} sealed value(s)"),
            reason: "they belong to no credential".into(),
        });
    }
    let signer = check_other_rows(path, &conn)?;
    let fingerprint = match schema::meta_get(&conn, META_FINGERPRINT)? {
        None => None,
        Some(s) => Some(s.parse().map_err(|_| Error::Damaged {
            path: path.to_path_buf(),
            detail: "malformed seed fingerprint".into(),
        })?),
    };
    let keypairs_with_private_key = count(
        &conn,
        path,
        "SELECT count(*) FROM keypair WHERE private_key_sealed IS NOT NULL",
    )?;
    let info = DatabaseInfo {
        schema_version,
        fingerprint,
        credentials: walked.credentials,
        keypairs: count(&conn, path, "SELECT count(*) FROM keypair")?,
        sealed_values: sealed + keypairs_with_private_key,
        credentials_with_secrets: walked.with_sealed,
        keypairs_with_private_key,
        signer,
    };
    let opened = match seed {
        Some(seed) if walked.all_opened => Some(SecretsOpened {
            fingerprint: seed.fingerprint(),
            all: others_opened,
        }),
        _ => None,
    };
    Ok((info, opened))
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
    // The signing key cannot be opened either: the box makes a new one.
    tx.execute("DELETE FROM signing_key", [])?;
    tx.execute("DELETE FROM meta WHERE key = ?1", [META_FINGERPRINT])?;
    tx.commit()?;
    conn.execute_batch("VACUUM")?;
    Ok(marked)
}

/// Checks that every sealed value of a staged database opens with `seed`, and
/// that every credential it holds, secrets included, is one the store would
/// write (decoded through the store's own path, so validated as on `cred show`).
pub fn verify_secrets_open(path: &Path, seed: &Seed) -> Result<(), Error> {
    verify_secrets_open_after(path, seed, None)
}

/// [`verify_secrets_open`] after [`check_database`] of the same, unchanged
/// file: when `opened` says every credential already opened and validated
/// under `seed`, only the rest (the recorded fingerprint, the signing key, the
/// key pairs) is checked again, and nothing when it says those opened too
/// (the proof was made only when the recorded fingerprint is `seed`'s). The
/// caller passes `None` once it changed the file (a migration, secrets
/// stripped) or with another seed's proof.
pub fn verify_secrets_open_after(
    path: &Path,
    seed: &Seed,
    opened: Option<&SecretsOpened>,
) -> Result<(), Error> {
    let proven = opened.filter(|o| o.fingerprint == seed.fingerprint());
    if proven.is_some_and(|o| o.all) {
        return Ok(());
    }
    let (conn, version) = open_checked(path)?;
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
    let names = if proven.is_some() {
        Vec::new()
    } else {
        read.prepare("SELECT name FROM credential WHERE needs_secrets = 0 ORDER BY id")?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?
    };
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
    others_open(path, &conn, version, &key)
}

/// Opens the signing key (schema version 3 on) and every key pair's private
/// key under `key`, and checks each against its public key.
fn others_open(
    path: &Path,
    conn: &Connection,
    version: u32,
    key: &SealingKey,
) -> Result<(), Error> {
    if version >= 3
        && let Some((public, sealed)) = crate::signer::stored(conn)?
    {
        crate::signer::open_signing_key(key, &public, &sealed).map_err(|e| match e {
            Error::InvalidStored { name, reason } => Error::InvalidRow {
                path: path.to_path_buf(),
                row: name,
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
        let private = open_sealed(key, &sealed, &keypair_context(&uid), || {
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

/// One row of a table being checked (`credential`, `keypair`, `api_key`, ...),
/// its columns as stored (any type).
struct RowCheck<'p> {
    path: &'p Path,
    row: Label<'p>,
}

/// How an error names a row (made into text only for an error).
#[derive(Clone, Copy)]
enum Label<'n> {
    /// `credential row 7`: before its name is known.
    Numbered(&'static str, usize),
    /// `the credential "x"`.
    Named(&'static str, &'n str),
}

impl Label<'_> {
    fn text(self) -> String {
        match self {
            Label::Numbered(kind, n) => format!("{kind} row {n}"),
            Label::Named(kind, name) => format!("the {kind} {}", shown(name)),
        }
    }
}

impl RowCheck<'_> {
    fn bad(&self, reason: impl Into<String>) -> Error {
        Error::InvalidRow {
            path: self.path.to_path_buf(),
            row: self.row.text(),
            reason: reason.into(),
        }
    }

    fn text(&self, v: Value, what: &str) -> Result<String, Error> {
        as_text(v).ok_or_else(|| self.bad(format!("its {what} is not text")))
    }

    /// A text column read in place (no copy), as [`RowCheck::text`] checks it.
    fn text_ref<'r>(
        &self,
        r: &'r rusqlite::Row<'_>,
        i: usize,
        what: &str,
    ) -> Result<&'r str, Error> {
        match r.get_ref(i)? {
            rusqlite::types::ValueRef::Text(bytes) => {
                std::str::from_utf8(bytes).map_err(|_| self.bad(format!("its {what} is not text")))
            }
            _ => Err(self.bad(format!("its {what} is not text"))),
        }
    }

    fn timestamp_ref(&self, r: &rusqlite::Row<'_>, i: usize, what: &str) -> Result<(), Error> {
        if is_timestamp(self.text_ref(r, i, what)?) {
            Ok(())
        } else {
            Err(self.bad(format!("its {what} is not an RFC 3339 time")))
        }
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

/// The rows after the key pairs and credentials, checked as the store's
/// writes would make them: no sealed value of no credential, the known
/// hosts, the metadata. Returns the signing key's public half.
fn check_other_rows(path: &Path, conn: &Connection) -> Result<Option<ssh_key::PublicKey>, Error> {
    check_known_hosts(path, conn)?;
    check_api_keys(path, conn)?;
    let signer = check_signing_key(path, conn)?;
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
    Ok(signer)
}

/// Whether the staged database has the table `name` (one that a later
/// schema version added).
fn has_table(conn: &Connection, name: &str) -> Result<bool, Error> {
    Ok(conn
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?
        .exists([name])?)
}

/// Runs `each` on every row that `sql` selects from `table`, with a
/// [`RowCheck`] that names it `<kind> row N` (N from 1); nothing when the
/// staged database has no such table (one a later schema version added).
fn check_rows(
    path: &Path,
    conn: &Connection,
    table: &str,
    sql: &str,
    kind: &'static str,
    mut each: impl FnMut(&RowCheck<'_>, &rusqlite::Row<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    if !has_table(conn, table)? {
        return Ok(());
    }
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        n += 1;
        let check = RowCheck {
            path,
            row: Label::Numbered(kind, n),
        };
        each(&check, r)?;
    }
    Ok(())
}

/// Checks the API keys (schema version 2 on): names as `apikey create`
/// takes them, a known role, an Argon2id PHC hash, an RFC 3339 time.
fn check_api_keys(path: &Path, conn: &Connection) -> Result<(), Error> {
    let sql = "SELECT id, name, role, hash, created_at FROM api_key ORDER BY id";
    check_rows(path, conn, "api_key", sql, "API key", |check, r| {
        check.id(cell(r, 0)?)?;
        let name = check.text(cell(r, 1)?, "name")?;
        crate::keypair::validate_name(&name).map_err(|_| {
            check.bad("its name is empty, longer than 100 characters or has control characters")
        })?;
        let role = check.text(cell(r, 2)?, "role")?;
        if crate::apikey::ApiKeyRole::parse(&role).is_none() {
            return Err(check.bad("its role is neither readonly nor admin"));
        }
        let hash = check.text(cell(r, 3)?, "hash")?;
        if !crate::apikey::is_key_hash(&hash) {
            return Err(check.bad("its hash is not an Argon2id PHC string"));
        }
        if as_text(cell(r, 4)?).is_none_or(|t| !is_timestamp(&t)) {
            return Err(check.bad("its creation time is not an RFC 3339 time"));
        }
        Ok(())
    })
}

/// Checks the signing key (schema version 3 on): an Ed25519 OpenSSH public
/// key, a well-formed sealed value, an RFC 3339 time (the table's CHECK keeps
/// it to one row); returns its public key.
fn check_signing_key(path: &Path, conn: &Connection) -> Result<Option<ssh_key::PublicKey>, Error> {
    let sql = "SELECT id, public_key, private_key_sealed, created_at FROM signing_key";
    let mut signer = None;
    check_rows(path, conn, "signing_key", sql, "signing key", |check, r| {
        if as_int(cell(r, 0)?) != Some(1) {
            return Err(check.bad("its id is not 1"));
        }
        let public = check.text(cell(r, 1)?, "public key")?;
        let public = ssh_key::PublicKey::from_openssh(&public)
            .map_err(|_| check.bad("its public key is not an OpenSSH public key"))?;
        if public.algorithm() != ssh_key::Algorithm::Ed25519 {
            return Err(check.bad("its public key is not an Ed25519 key"));
        }
        check.sealed(cell(r, 2)?, "private key")?;
        check.timestamp(cell(r, 3)?, "creation time")?;
        signer = Some(public);
        Ok(())
    })?;
    Ok(signer)
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
            row: Label::Numbered("key pair", n),
        };
        check.id(cell(r, 0)?)?;
        let name = check.text(cell(r, 2)?, "name")?;
        check.row = Label::Named("key pair", &name);
        crate::keypair::validate_name(&name).map_err(|e| check.bad(e.to_string()))?;
        if !names.insert(name.clone()) {
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

/// Credential rows per share of the row checks (when their ids are dense).
const CHUNK_ROWS: i128 = 512;

/// The most shares, however sparse the ids (each costs two seeks).
const MAX_SHARES: i128 = 4096;

/// The credential ids in shares of about [`CHUNK_ROWS`] ids: for each, its
/// first and last id. The shares cover every integer id (the first starts at
/// `i64::MIN`, the last ends at `i64::MAX`). Found from the smallest and the
/// largest id (two seeks, not a walk of the table).
fn plan_chunks(path: &Path, conn: &Connection) -> Result<Vec<(i64, i64)>, Error> {
    let (min, max): (Option<i64>, Option<i64>) = conn
        // Two subqueries: SQLite seeks for a min() or max() only when it
        // stands alone (both in one SELECT scan the table).
        .query_row(
            "SELECT (SELECT min(id) FROM credential), (SELECT max(id) FROM credential)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| damaged(path, e))?;
    let (Some(min), Some(max)) = (min, max) else {
        return Ok(vec![(i64::MIN, i64::MAX)]);
    };
    let (min, max) = (i128::from(min), i128::from(max));
    let span = max - min + 1;
    let shares = ((span + CHUNK_ROWS - 1) / CHUNK_ROWS).clamp(1, MAX_SHARES);
    let width = (span + shares - 1) / shares;
    // Every bound lies between i64::MIN and max, so none saturates.
    let id = |v: i128| i64::try_from(v).unwrap_or(i64::MAX);
    let mut chunks = Vec::new();
    let mut from = i128::from(i64::MIN);
    let mut next = min + width;
    while next <= max {
        chunks.push((id(from), id(next - 1)));
        from = next;
        next += width;
    }
    chunks.push((id(from), i64::MAX));
    Ok(chunks)
}

/// How many credential rows come before the id `from` (for an error's row
/// number: only a share that found a bad row asks).
fn rows_before(path: &Path, conn: &Connection, from: i64) -> Result<usize, Error> {
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM credential WHERE id < ?1",
            [from],
            |r| r.get(0),
        )
        .map_err(|e| damaged(path, e))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The credential rows' checks (see [`check_part`]), in shares by id that
/// the threads of [`check_database`] take in turn, each with its own
/// read-only connection; the first bad row in id order is the one reported.
///
/// That names and uids are unique within the table is SQLite's to check: the
/// schema (checked) declares them `UNIQUE` and `PRAGMA integrity_check`
/// reports a non-unique entry in any unique index. A uid must also differ
/// from every key pair's (`keypair_uids`), which no index covers.
struct RowWork<'a> {
    path: &'a Path,
    keypair_uids: HashSet<String>,
    keypairs: HashSet<String>,
    key: Option<SealingKey>,
    /// First id, last id.
    chunks: Vec<(i64, i64)>,
    /// The next share to take.
    next: AtomicUsize,
    /// The lowest share found bad so far: shares after it are not checked.
    first_bad: AtomicUsize,
}

/// What one thread found: each share it took, and whether every credential
/// in it opened (with a key).
type Shares = Vec<(usize, Result<Walked, Error>)>;

/// What the walk of credential rows counted (of a share, or of all).
#[derive(Clone, Copy, Debug)]
struct Walked {
    /// Every credential's secrets opened (never without a key).
    all_opened: bool,
    /// Credential rows.
    credentials: usize,
    /// Sealed values met beside their credential.
    sealed: usize,
    /// Credentials with at least one sealed value.
    with_sealed: usize,
}

impl RowWork<'_> {
    /// Takes shares until none is left.
    fn run(&self, conn: &Connection) -> Shares {
        let mut done = Vec::new();
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(&(from, to)) = self.chunks.get(i) else {
                return done;
            };
            if i > self.first_bad.load(Ordering::Relaxed) {
                continue;
            }
            // A bad row is checked again once the rows before it are
            // counted, so that its error names its row number.
            let checked = check_part(self, conn, from, to, 0).or_else(|_| {
                let before = rows_before(self.path, conn, from)?;
                check_part(self, conn, from, to, before)
            });
            if checked.is_err() {
                self.first_bad.fetch_min(i, Ordering::Relaxed);
            }
            done.push((i, checked));
        }
    }

    /// The first bad share's error, in id order; else what the shares
    /// counted together. Every share before the first bad one was checked
    /// (only shares after a bad one are skipped), so without an error every
    /// share was.
    fn outcome(&self, mine: Shares, helped: Shares) -> Result<Walked, Error> {
        let mut all: Shares = mine.into_iter().chain(helped).collect();
        all.sort_unstable_by_key(|(i, _)| *i);
        let mut walked = Walked {
            all_opened: self.key.is_some(),
            credentials: 0,
            sealed: 0,
            with_sealed: 0,
        };
        let shares = all.len();
        for (n, (i, checked)) in all.into_iter().enumerate() {
            debug_assert_eq!(n, i, "every share before a bad one was checked");
            let share = checked?;
            walked.all_opened &= share.all_opened;
            walked.credentials += share.credentials;
            walked.sealed += share.sealed;
            walked.with_sealed += share.with_sealed;
        }
        debug_assert_eq!(
            shares,
            self.chunks.len(),
            "without an error every share was checked"
        );
        Ok(walked)
    }
}

/// Checks the credential rows with ids `from..=to` (after `before` rows) as
/// the store's writes would make them and, with a key, opens the sealed
/// values of each one not marked as needing its secrets and validates it
/// with them, as [`load_credential`] would; returns whether every one opened,
/// and what it counted. The sealed values are read in one pass over
/// `credential_secret` beside the credentials, both in id order.
fn check_part(
    work: &RowWork<'_>,
    conn: &Connection,
    from: i64,
    to: i64,
    before: usize,
) -> Result<Walked, Error> {
    let RowWork {
        path,
        keypair_uids,
        keypairs,
        ..
    } = work;
    let key = work.key.as_ref();
    let mut all_opened = key.is_some();
    // One read transaction for both statements (one shared lock, not one per step).
    let _read = conn.unchecked_transaction()?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, uid, name, provider, attributes, needs_secrets, created_at, updated_at FROM credential WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
    )?;
    let mut secrets_stmt = conn.prepare_cached(
        "SELECT credential_id, field, sealed FROM credential_secret WHERE credential_id BETWEEN ?1 AND ?2 ORDER BY credential_id, field",
    )?;
    let mut secret_rows = secrets_stmt.query([from, to])?;
    // The credential id of the sealed value not yet matched to a credential
    // (`Some(None)`: not an integer), which is `secret_rows`' current row.
    let mut pending: Option<Option<i64>> = None;
    let mut rows = stmt.query([from, to])?;
    let mut n = before;
    let (mut sealed_met, mut with_sealed) = (0, 0);
    // Reused from row to row: the sealed fields met, and a sealed value's
    // context (`credential_context`).
    let mut sealed_fields: Vec<&'static str> = Vec::new();
    let mut context = Vec::new();
    while let Some(r) = rows.next()? {
        n += 1;
        let mut check = RowCheck {
            path,
            row: Label::Numbered("credential", n),
        };
        let id = check.id(cell(r, 0)?)?;
        let name = check.text_ref(r, 2, "name")?;
        check.row = Label::Named("credential", name);
        let uid = check.text_ref(r, 1, "uid")?;
        if !is_uid(uid) {
            return Err(check.bad("its uid is not 32 lowercase hexadecimal digits"));
        }
        if keypair_uids.contains(uid) {
            return Err(check.bad("its uid is not unique"));
        }
        let provider = check.text_ref(r, 3, "provider")?;
        let provider: ProviderKind = provider
            .parse()
            .map_err(|_| check.bad(format!("unknown provider {}", shown(provider))))?;
        let attributes = check.text_ref(r, 4, "attributes")?;
        let Ok(Members(plain)) = serde_json::from_str(attributes) else {
            return Err(check.bad("its attributes are not a JSON object"));
        };
        let needs_secrets = match as_int(cell(r, 5)?) {
            Some(0) => false,
            Some(1) => true,
            _ => return Err(check.bad("its needs_secrets flag is not 0 or 1")),
        };
        check.timestamp_ref(r, 6, "creation time")?;
        check.timestamp_ref(r, 7, "change time")?;

        let spec = provider.spec();
        let is_secret = |field: &str| spec.field(field).is_some_and(|f| f.secret());
        if let Some((field, _)) = plain.iter().find(|(k, _)| is_secret(k)) {
            return Err(check.bad(format!(
                "its secret field {} is stored unsealed",
                shown(field)
            )));
        }
        sealed_fields.clear();
        let mut secrets = Vec::new();
        let mut open = key.filter(|_| !needs_secrets);
        loop {
            if pending.is_none() {
                pending = match secret_rows.next()? {
                    Some(s) => Some(match s.get_ref(0)? {
                        ValueRef::Integer(c) => Some(c),
                        _ => None,
                    }),
                    None => None,
                };
            }
            match pending {
                // A value of no credential (before this one, or not an id at
                // all): the orphan check reports it.
                Some(cid) if cid.is_none_or(|c| c < id) => pending = None,
                Some(Some(c)) if c == id => {
                    pending = None;
                    // Read in place, as the current row (no copies).
                    let s = secret_rows
                        .get()
                        .expect("the pending value is the current row");
                    let name = check.text_ref(s, 1, "sealed field name")?;
                    let Some(field) = spec.field(name).filter(|f| f.secret()).map(|f| f.name())
                    else {
                        return Err(check.bad(format!(
                            "it has a sealed value for {}, not a secret field of {}",
                            shown(name),
                            provider.type_str()
                        )));
                    };
                    let text = match s.get_ref(2)? {
                        ValueRef::Text(bytes) => std::str::from_utf8(bytes).ok(),
                        _ => None,
                    };
                    let Some(text) = text else {
                        return Err(check.bad(format!("its sealed {field} is not text")));
                    };
                    let sealed = SealedValue::parse(text).map_err(|e| {
                        check.bad(format!("its sealed {field} is not a sealed value ({e})"))
                    })?;
                    if let Some(k) = open {
                        // As load_credential opens it; a value that does not
                        // open is reported by verify_secrets_open.
                        credential_context_into(&mut context, uid, field);
                        match open_parsed(k, &sealed, &context) {
                            Ok(value) => secrets.push((Cow::Borrowed(field), value)),
                            Err(_) => open = None,
                        }
                    }
                    sealed_fields.push(field);
                }
                _ => break,
            }
        }
        if needs_secrets && !sealed_fields.is_empty() {
            return Err(check.bad("it is marked as needing its secrets but has sealed values"));
        }
        sealed_met += sealed_fields.len();
        with_sealed += usize::from(!sealed_fields.is_empty());
        // Of a name given twice the later wins, as in a JSON map.
        let private_key = plain.iter().rev().find(|(k, _)| k == "private_key");
        let missing_keypair = match private_key.map(|(_, v)| v) {
            Some(serde_json::Value::String(k))
                if provider == ProviderKind::Sftp && !k.is_empty() && !keypairs.contains(k) =>
            {
                Some(k.clone())
            }
            _ => None,
        };
        // Without the seed a secret cannot be checked here (with it, it is
        // opened and checked; else verify_secrets_open does): a sealed one,
        // or any one of a credential whose secrets were dropped, is taken as
        // present. Validation is per field, so with its secrets a credential
        // fails on every field the check without them fails on, and more.
        let unchecked =
            |field: &str| is_secret(field) && (needs_secrets || sealed_fields.contains(&field));
        let with = if open.is_some() {
            secrets
        } else {
            all_opened &= needs_secrets;
            Vec::new()
        };
        let opened_one = open.is_some();
        if let Err(errors) = Credential::from_parts(name, provider, plain, with) {
            attribute_problems(&check, &errors, unchecked)?;
            // Only its secrets are wrong: verify_secrets_open reports it.
            all_opened &= !opened_one;
        }
        if let Some(k) = missing_keypair {
            return Err(check.bad(format!(
                "it uses the key pair {}, which it lacks",
                shown(&k)
            )));
        }
    }
    Ok(Walked {
        all_opened,
        credentials: n - before,
        sealed: sealed_met,
        with_sealed,
    })
}

/// A JSON object's members in their order, without a map's index (a
/// credential's few attributes are found by a scan; the row check reads
/// 50,000 of them). A name without escapes is borrowed from the text.
struct Members<'a>(Vec<(Cow<'a, str>, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Members<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Members<'de>, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some((Name(name), value)) = map.next_entry()? {
                    members.push((name, value));
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// A member's name, borrowed from the text when it has no escapes.
#[derive(serde::Deserialize)]
struct Name<'a>(#[serde(borrow)] Cow<'a, str>);

/// The problems of a credential's validation, except for the secret fields
/// `unchecked` names, as `cred add` would report them.
fn attribute_problems(
    check: &RowCheck<'_>,
    errors: &nascfg_credentials::ValidationErrors,
    unchecked: impl Fn(&str) -> bool,
) -> Result<(), Error> {
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
    let sql = "SELECT host, port, key FROM known_host";
    check_rows(path, conn, "known_host", sql, "known host", |check, r| {
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
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::{CHUNK_ROWS, MAX_SHARES, Members, plan_chunks, rows_before};

    #[test]
    fn members_borrow_names_without_escapes() {
        let text = r#"{"bucket": "b", "b\u0041": 1, "bucket": null}"#;
        let Members(members) = serde_json::from_str(text).unwrap();
        let names: Vec<_> = members.iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["bucket", "bA", "bucket"]);
        assert!(matches!(members[0].0, Cow::Borrowed(_)));
        assert!(matches!(members[1].0, Cow::Owned(_)));
        assert_eq!(members[2].1, serde_json::Value::Null);
        assert!(serde_json::from_str::<Members<'_>>("[]").is_err());
    }

    fn table(ids: impl IntoIterator<Item = i64>) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE credential (id INTEGER PRIMARY KEY)")
            .unwrap();
        for id in ids {
            conn.execute("INSERT INTO credential(id) VALUES (?1)", [id])
                .unwrap();
        }
        conn
    }

    /// The shares cover every integer id once, in order; dense ids fill
    /// shares of at most CHUNK_ROWS rows, and however sparse the ids there
    /// are at most MAX_SHARES shares.
    fn check_shares(conn: &rusqlite::Connection, n: usize, dense: bool) -> usize {
        let x = std::path::Path::new("x");
        let chunks = plan_chunks(x, conn).unwrap();
        assert_eq!(chunks.first().unwrap().0, i64::MIN, "{n}");
        assert_eq!(chunks.last().unwrap().1, i64::MAX, "{n}");
        assert!(chunks.len() as i128 <= MAX_SHARES, "{n}");
        let mut total = 0;
        for (k, &(from, to)) in chunks.iter().enumerate() {
            assert!(from <= to, "{n}");
            assert_eq!(rows_before(x, conn, from).unwrap(), total, "{n}");
            let rows: usize = conn
                .query_row(
                    "SELECT count(*) FROM credential WHERE id BETWEEN ?1 AND ?2",
                    [from, to],
                    |r| r.get(0),
                )
                .unwrap();
            if dense {
                assert!(rows as i128 <= CHUNK_ROWS, "{n}");
            }
            total += rows;
            if let Some(next) = chunks.get(k + 1) {
                assert_eq!(next.0, to + 1, "{n}");
            }
        }
        assert_eq!(total, n, "{n}");
        chunks.len()
    }

    #[test]
    fn shares_cover_every_row_once() {
        let c = CHUNK_ROWS as usize;
        for n in [0, 1, c - 1, c, c + 1, 3 * c] {
            // Dense ids, from a negative one.
            let shares = check_shares(&table((0..n).map(|i| i as i64 - 1)), n, true);
            assert_eq!(shares, n.div_ceil(c).max(1), "{n}");
            // Sparse ids.
            check_shares(&table((0..n).map(|i| i as i64 * 3 - 1)), n, false);
        }
        // The widest span there is.
        let far = table([i64::MIN, -1, 0, 1, i64::MAX]);
        assert_eq!(check_shares(&far, 5, false) as i128, MAX_SHARES);
        // Sparse ids up to the largest: no bound passes it.
        let top = table([i64::MAX - 3_000_000, i64::MAX - 1, i64::MAX]);
        check_shares(&top, 3, false);
        let top = table([i64::MAX - 2_100_000, i64::MAX - 5, i64::MAX]);
        check_shares(&top, 3, false);
    }
}
