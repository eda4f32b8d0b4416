//! The open store: recovery on open, the seed, credentials, known hosts.

use std::path::Path;

use nascfg_credentials::secrecy::{ExposeSecret, SecretString};
use nascfg_credentials::{Credential, ProviderKind};
use nascfg_crypto::{Fingerprint, KeyId, SealedValue, SealingKey, Seed};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};

use crate::datadir::{self, DataDir, NEW_SEED, WriteGuard};
use crate::error::{Error, io};
use crate::failpoint::failpoint;
use crate::schema;
use crate::seed::{SeedProblem, read_box_seed};

pub(crate) const META_FINGERPRINT: &str = "seed_fingerprint";

/// The stable identifier of a stored credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredentialId(pub(crate) i64);

impl CredentialId {
    /// The number (TrueNAS-style integer id).
    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for CredentialId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A credential as listed: everything but the secret values (no seed needed).
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialSummary {
    /// The stable id.
    pub id: CredentialId,
    /// The unique name.
    pub name: String,
    /// The provider.
    pub provider: ProviderKind,
    /// The non-secret attributes.
    pub attributes: Map<String, Value>,
    /// The secret fields that have a (sealed) value.
    pub secret_fields: Vec<String>,
    /// Whether its secrets must be re-entered (after a restore without the seed).
    pub needs_secrets: bool,
    /// When it was added (RFC 3339, UTC).
    pub created_at: String,
    /// When it was last changed (RFC 3339, UTC).
    pub updated_at: String,
}

/// What [`Store::init`] found or made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitOutcome {
    /// The data directory did not exist before.
    pub created_dir: bool,
    /// A new seed was generated.
    pub created_seed: bool,
    /// A new database was created.
    pub created_db: bool,
    /// The seed's fingerprint.
    pub fingerprint: Fingerprint,
}

pub(crate) enum SeedState {
    Loaded(Box<Seed>),
    Failed(SeedProblem),
}

impl SeedState {
    fn load(path: &Path) -> SeedState {
        match read_box_seed(path) {
            Ok(seed) => SeedState::Loaded(Box::new(seed)),
            Err(problem) => SeedState::Failed(problem),
        }
    }

    fn is_missing(&self) -> bool {
        matches!(self, SeedState::Failed(SeedProblem::Missing))
    }
}

/// The open config database of one data directory.
pub struct Store {
    pub(crate) dir: DataDir,
    pub(crate) conn: Connection,
    pub(crate) seed: SeedState,
    /// The device and inode of `config.db` when it was opened: a restore in
    /// another process replaces the file, and writes must not go to the old one.
    db_file: (u64, u64),
}

nascfg_credentials::redacted_debug!(Store { dir, .. });

pub(crate) fn now() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("0 is a valid nanosecond");
    now.format(&time::format_description::well_known::Rfc3339)
        .expect("the clock's year is within RFC 3339's 0 to 9999")
}

/// A new row uid: 32 lowercase hex digits laid out as a UUIDv7 (RFC 9562,
/// section 5.7): 48 bits of Unix time in milliseconds, the version (7), a
/// 12-bit counter in `rand_a` (section 6.2, method 1), the variant, and 62
/// random bits. Uids made by one process increase strictly, so an import's
/// inserts and restore's integrity check walk the uid index in order instead
/// of at random. docs/FORMAT.md: older random uids stay valid.
pub(crate) fn new_uid() -> String {
    use rand_core::RngCore;
    use std::sync::atomic::{AtomicU64, Ordering};
    /// The last stamp handed out: milliseconds << 12 | counter. A stamp that
    /// runs past its millisecond's 4,096 uids borrows from the next one.
    static LAST: AtomicU64 = AtomicU64::new(0);
    /// OS randomness drawn 4 KiB at a time: an import of 50,000 credentials
    /// made 50,000 getrandom calls for their uids (identifiers, not secrets).
    struct Pool {
        bytes: [u8; 4096],
        used: usize,
    }
    thread_local! {
        static POOL: std::cell::RefCell<Pool> = const {
            std::cell::RefCell::new(Pool { bytes: [0; 4096], used: 4096 })
        };
    }
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        & ((1 << 48) - 1);
    let next = |last: u64| (millis << 12).max(last + 1);
    let stamp = match LAST.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
        Some(next(last))
    }) {
        Ok(last) | Err(last) => next(last),
    };
    let mut random = [0u8; 8];
    POOL.with_borrow_mut(|pool| {
        if pool.used + random.len() > pool.bytes.len() {
            rand_core::OsRng.fill_bytes(&mut pool.bytes);
            pool.used = 0;
        }
        let next = pool.used + random.len();
        random.copy_from_slice(&pool.bytes[pool.used..next]);
        // Each byte is handed out once.
        pool.bytes[pool.used..next].fill(0);
        pool.used = next;
    });
    let mut b = [0u8; 16];
    // unix_ts_ms (48 bits) and the counter (12 bits) as one big-endian field.
    b[..8].copy_from_slice(&((stamp >> 12) << 16 | (stamp & 0xfff)).to_be_bytes());
    b[6] |= 0x70; // version 7 above the counter's top nibble
    b[8..].copy_from_slice(&random);
    b[8] = 0x80 | (b[8] & 0x3f); // variant 0b10
    hex::encode(b)
}

/// `nascfg/v1/credential/{uid}/{field}`, the context a credential's sealed
/// value is bound to (joined, not formatted: a restore makes one per value).
pub(crate) fn credential_context(uid: &str, field: &str) -> Vec<u8> {
    let mut context = Vec::new();
    credential_context_into(&mut context, uid, field);
    context
}

/// [`credential_context`] written into `buf` (cleared first), for a caller
/// that opens many values.
pub(crate) fn credential_context_into(buf: &mut Vec<u8>, uid: &str, field: &str) {
    buf.clear();
    for part in [
        &b"nascfg/v1/credential/"[..],
        uid.as_bytes(),
        b"/",
        field.as_bytes(),
    ] {
        buf.extend_from_slice(part);
    }
}

/// `nascfg/v1/keypair/{uid}/private_key`, the context of a key pair's private key.
pub(crate) fn keypair_context(uid: &str) -> Vec<u8> {
    [&b"nascfg/v1/keypair/"[..], uid.as_bytes(), b"/private_key"].concat()
}

fn file_identity(path: &Path) -> Result<(u64, u64), Error> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).map_err(io(path))?;
    Ok((meta.dev(), meta.ino()))
}

fn db_fingerprint(conn: &Connection) -> Result<Option<Fingerprint>, Error> {
    match schema::meta_get(conn, META_FINGERPRINT)? {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(Error::Crypto),
    }
}

impl Store {
    /// Takes this store's data-directory lock for a change made through the
    /// guard-taking methods ([`Store::rotate_seed`], [`Store::in_transaction`]).
    /// Fails with [`Error::Replaced`] when a restore replaced the database
    /// since this store opened it.
    pub fn lock(&self) -> Result<WriteGuard, Error> {
        let guard = self.dir.lock()?;
        self.check_guard(&guard)?;
        Ok(guard)
    }

    /// Whether this store may serve another use as it is: its `config.db` is
    /// still the live one (a restore in another process replaces the file) and
    /// its seed was read. A long-lived user (the API server keeps stores between
    /// calls) asks before each use and opens the store again when not. A seed
    /// changed since (rotated, imported) needs no such check: the store
    /// compares the database's fingerprint with its seed's on each use.
    pub fn is_current(&self) -> bool {
        matches!(self.seed, SeedState::Loaded(_))
            && file_identity(&self.dir.db_path()).is_ok_and(|id| id == self.db_file)
    }

    /// Checks that `guard` is this store's directory's lock (a bug otherwise)
    /// and that the database this store has open is still the live one.
    pub(crate) fn check_guard(&self, guard: &WriteGuard) -> Result<(), Error> {
        guard.check(&self.dir);
        let path = self.dir.db_path();
        match file_identity(&path) {
            Ok(id) if id == self.db_file => Ok(()),
            Ok(_) => Err(Error::Replaced { path }),
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Err(Error::Replaced { path })
            }
            Err(e) => Err(e),
        }
    }

    /// Opens the store, creating the directory, the seed and the database on first use;
    /// completes or rolls back an interrupted install or seed rotation; migrates an older schema.
    /// Takes the data directory's lock for that and releases it before returning.
    pub fn open(dir: &DataDir) -> Result<Store, Error> {
        let created_dir = !dir.path().is_dir();
        let guard = dir.lock()?;
        Store::open_inner(dir, &guard, created_dir).map(|(s, _)| s)
    }

    /// Like [`Store::open`], under a lock the caller already holds and keeps
    /// for the change it is about to make (`seed rotate`).
    pub fn open_locked(dir: &DataDir, guard: &WriteGuard) -> Result<Store, Error> {
        Store::open_inner(dir, guard, false).map(|(s, _)| s)
    }

    /// Like [`Store::open`], saying what was created.
    pub fn init(dir: &DataDir) -> Result<InitOutcome, Error> {
        let created_dir = !dir.path().is_dir();
        let guard = dir.lock()?;
        let (store, outcome) = Store::open_inner(dir, &guard, created_dir)?;
        match &store.seed {
            SeedState::Loaded(seed) => {
                let fingerprint = seed.fingerprint();
                if let Some(db) = db_fingerprint(&store.conn)?
                    && db != fingerprint
                {
                    return Err(Error::SeedMismatch {
                        database: db,
                        seed: fingerprint,
                    });
                }
                // The box's bundle-signing key, made now if it has none.
                store.signing_key_locked(&guard)?;
                drop(guard);
                Ok(InitOutcome {
                    fingerprint,
                    ..outcome
                })
            }
            SeedState::Failed(SeedProblem::Missing) => Err(store.missing_seed_error()?),
            SeedState::Failed(problem) => Err(Error::SeedFile {
                path: dir.seed_path(),
                problem: problem.clone(),
            }),
        }
    }

    fn open_inner(
        dir: &DataDir,
        guard: &WriteGuard,
        created_dir: bool,
    ) -> Result<(Store, InitOutcome), Error> {
        guard.check(dir);
        dir.recover_install(guard)?;
        let db_path = dir.db_path();
        let created_db = !db_path.exists();
        schema::check_header(&db_path)?;
        if created_db {
            datadir::create_private_file(&db_path)?;
        }
        let mut conn = schema::open_rw(&db_path)?;
        // Refuse a newer schema before anything (even the journal mode) is written.
        schema::check_version(&db_path, &conn)?;
        schema::live_pragmas(&db_path, &conn)?;
        schema::migrate(&db_path, &mut conn)?;
        recover_rotation(dir, guard, &conn)?;
        let seed_path = dir.seed_path();
        let mut seed = SeedState::load(&seed_path);
        let mut created_seed = false;
        let recorded = db_fingerprint(&conn)?;
        if seed.is_missing() && recorded.is_none() {
            let fresh = Seed::generate();
            fresh.write_to(&seed_path)?;
            datadir::sync_dir(dir.path())?;
            seed = SeedState::Loaded(Box::new(fresh));
            created_seed = true;
        }
        if recorded.is_none()
            && let SeedState::Loaded(s) = &seed
        {
            schema::meta_set(&conn, META_FINGERPRINT, &s.fingerprint().to_string())?;
            if schema::meta_get(&conn, "created_by")?.is_none() {
                schema::meta_set(
                    &conn,
                    "created_by",
                    concat!("nascfg ", env!("CARGO_PKG_VERSION")),
                )?;
            }
        }
        let fingerprint = match (&seed, recorded) {
            (SeedState::Loaded(s), _) => s.fingerprint(),
            (_, Some(f)) => f,
            (SeedState::Failed(problem), None) => {
                return Err(Error::SeedFile {
                    path: seed_path,
                    problem: problem.clone(),
                });
            }
        };
        let store = Store {
            db_file: file_identity(&db_path)?,
            dir: dir.clone(),
            conn,
            seed,
        };
        Ok((
            store,
            InitOutcome {
                created_dir,
                created_seed,
                created_db,
                fingerprint,
            },
        ))
    }

    /// The data directory.
    pub fn data_dir(&self) -> &DataDir {
        &self.dir
    }

    /// The fingerprint of the seed the database is sealed under (as recorded in it).
    pub fn fingerprint(&self) -> Result<Option<Fingerprint>, Error> {
        db_fingerprint(&self.conn)
    }

    /// The fingerprint of the seed file on disk.
    pub fn seed_fingerprint(&self) -> Result<Fingerprint, Error> {
        Ok(self.seed()?.fingerprint())
    }

    /// The seed file's seed (whether or not it matches the database).
    pub fn seed(&self) -> Result<&Seed, Error> {
        match &self.seed {
            SeedState::Loaded(s) => Ok(s),
            SeedState::Failed(SeedProblem::Missing) => Err(self.missing_seed_error()?),
            SeedState::Failed(problem) => Err(Error::SeedFile {
                path: self.dir.seed_path(),
                problem: problem.clone(),
            }),
        }
    }

    fn missing_seed_error(&self) -> Result<Error, Error> {
        let path = self.dir.seed_path();
        Ok(match db_fingerprint(&self.conn)? {
            Some(database) => Error::SeedMissing { path, database },
            None => Error::SeedFile {
                path,
                problem: SeedProblem::Missing,
            },
        })
    }

    /// The sealing key, after checking that the seed is the one the database was sealed under.
    /// Reloads the seed once when another process rotated it meanwhile.
    pub(crate) fn key(&mut self) -> Result<SealingKey, Error> {
        let recorded = db_fingerprint(&self.conn)?;
        if let (Some(db), SeedState::Loaded(s)) = (&recorded, &self.seed)
            && *db != s.fingerprint()
        {
            self.seed = SeedState::load(&self.dir.seed_path());
        }
        let seed = self.seed()?;
        let fp = seed.fingerprint();
        match recorded {
            Some(db) if db != fp => Err(Error::SeedMismatch {
                database: db,
                seed: fp,
            }),
            _ => Ok(SealingKey::derive(seed)),
        }
    }

    // ---- credentials ----

    /// Adds a credential; its secrets are sealed. Takes the lock for this one change.
    pub fn add_credential(&mut self, credential: &Credential) -> Result<CredentialId, Error> {
        let _guard = self.lock()?;
        let sealed = seal_credential(&self.key()?, credential);
        self.insert_sealed(&sealed, true)
    }

    /// Inserts a credential sealed by [`seal_credential`] (the caller holds
    /// the lock and sealed it under this store's key). `atomic`: in a
    /// savepoint of its own, so that a failure leaves nothing; a batch goes
    /// without and rolls back wholly after a failure instead.
    pub(crate) fn insert_sealed(
        &mut self,
        sealed: &SealedCredential,
        atomic: bool,
    ) -> Result<CredentialId, Error> {
        if let Some(keypair) = &sealed.keypair {
            self.check_keypair_exists(keypair)?;
        }
        if atomic {
            // A savepoint, so that a transaction around it is not ended.
            let tx = self.conn.savepoint()?;
            let id = insert_credential(&tx, sealed)?;
            tx.commit()?;
            Ok(id)
        } else {
            insert_credential(&self.conn, sealed)
        }
    }

    /// Adds many credentials in one transaction (imports); all or none are added.
    pub fn add_credentials(
        &mut self,
        credentials: &[Credential],
    ) -> Result<Vec<CredentialId>, Error> {
        let _guard = self.lock()?;
        let key = self.key()?;
        for c in credentials {
            self.check_keypair_reference(c)?;
        }
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(credentials.len());
        for c in credentials {
            ids.push(insert_credential(&tx, &seal_credential(&key, c))?);
        }
        tx.commit()?;
        Ok(ids)
    }

    /// How many credentials there are (a count, without reading them).
    pub fn credential_count(&self) -> Result<usize, Error> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM credential", [], |r| r.get(0))?;
        Ok(usize::try_from(n).expect("a count is never negative"))
    }

    /// The names of every credential, in one query (an import's collision check).
    pub fn credential_names(&self) -> Result<Vec<String>, Error> {
        let mut stmt = self.conn.prepare("SELECT name FROM credential")?;
        let names = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(names)
    }

    /// Every credential, by name, without secrets (no seed needed).
    pub fn list_credentials(&self) -> Result<Vec<CredentialSummary>, Error> {
        Ok(
            crate::listing::summaries(
                &self.conn,
                &crate::Narrow::All,
                crate::listing::Order::Name,
            )?
            .into_iter()
            .map(|r| r.summary)
            .collect(),
        )
    }

    /// The name of the credential with this id (TrueNAS's API addresses credentials by id).
    pub fn credential_name_by_id(&self, id: i64) -> Result<Option<String>, Error> {
        Ok(self
            .conn
            .query_row("SELECT name FROM credential WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// One credential without secrets (no seed needed).
    pub fn credential_summary(&self, name: &str) -> Result<CredentialSummary, Error> {
        crate::listing::summaries(
            &self.conn,
            &crate::Narrow::Names(vec![name.to_owned()]),
            crate::listing::Order::Id,
        )?
        .pop()
        .map(|r| r.summary)
        .ok_or_else(|| not_found("credential", name))
    }

    /// One credential with its secrets opened.
    pub fn credential(&mut self, name: &str) -> Result<Credential, Error> {
        let key = self.key()?;
        load_credential(&self.conn, &key, name)
    }

    /// Several credentials with their secrets opened, in the order of `names`
    /// (one key derivation and one read transaction for all: an API query).
    pub fn credentials_opened(&mut self, names: &[&str]) -> Result<Vec<Credential>, Error> {
        let key = self.key()?;
        let read = self.conn.unchecked_transaction()?;
        let out = names
            .iter()
            .map(|name| load_credential(&read, &key, name))
            .collect::<Result<Vec<_>, _>>()?;
        read.finish()?;
        Ok(out)
    }

    /// Changes attributes (a JSON null removes an optional one) and/or renames.
    /// A credential that needed its secrets re-entered is complete again once they validate.
    pub fn update_credential(
        &mut self,
        name: &str,
        changes: Map<String, Value>,
        rename: Option<&str>,
    ) -> Result<Credential, Error> {
        let _guard = self.lock()?;
        let key = self.key()?;
        let summary = self.credential_summary(name)?;
        if changes.is_empty() && rename.is_none_or(|r| r == name) {
            // Nothing to change: nothing written, the timestamps stay.
            return load_credential(&self.conn, &key, name);
        }
        let current = if summary.needs_secrets {
            // Rebuild from the readable attributes; the changes must bring the secrets back.
            let mut attrs = summary.attributes.clone();
            for (k, v) in changes {
                attrs.insert(k, v);
            }
            attrs.retain(|_, v| !v.is_null());
            Credential::new(name, summary.provider, attrs).map_err(Error::Invalid)?
        } else {
            let c = load_credential(&self.conn, &key, name)?;
            if changes.is_empty() {
                c
            } else {
                c.updated(changes).map_err(Error::Invalid)?
            }
        };
        let updated = match rename {
            Some(new) if new != name => current.renamed(new).map_err(Error::Invalid)?,
            _ => current,
        };
        self.check_keypair_reference(&updated)?;
        self.write_over(name, &updated)?;
        Ok(updated)
    }

    /// Replaces a stored credential wholesale (import --replace, a refreshed OAuth token).
    /// The credential keeps its id; its name may change.
    pub fn replace_credential(&mut self, name: &str, credential: &Credential) -> Result<(), Error> {
        let guard = self.lock()?;
        self.replace_credential_under(&guard, name, credential)
    }

    pub(crate) fn replace_credential_under(
        &mut self,
        _guard: &WriteGuard,
        name: &str,
        credential: &Credential,
    ) -> Result<(), Error> {
        self.key()?;
        self.credential_summary(name)?;
        self.check_keypair_reference(credential)?;
        self.write_over(name, credential)
    }

    fn write_over(&mut self, name: &str, credential: &Credential) -> Result<(), Error> {
        let key = self.key()?;
        // A savepoint, so that `in_transaction` can hold several of these in one.
        let tx = self.conn.savepoint()?;
        let (id, uid): (i64, String) = tx
            .query_row(
                "SELECT id, uid FROM credential WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| not_found("credential", name))?;
        if credential.name() != name {
            ensure_name_free(&tx, credential.name())?;
        }
        tx.execute(
            "UPDATE credential SET name = ?1, provider = ?2, attributes = ?3, needs_secrets = 0, updated_at = ?4 WHERE id = ?5",
            params![
                credential.name(),
                credential.provider().type_str(),
                Value::Object(credential.plain_attributes()).to_string(),
                now(),
                id
            ],
        )?;
        tx.execute(
            "DELETE FROM credential_secret WHERE credential_id = ?1",
            [id],
        )?;
        write_secrets(&tx, id, &seal_secrets(&key, &uid, credential))?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes a credential.
    pub fn delete_credential(&mut self, name: &str) -> Result<(), Error> {
        self.delete_named("DELETE FROM credential WHERE name = ?1", "credential", name)
    }

    /// Runs `statement` (a `DELETE` of the row named `?1`) with `name`
    /// under the lock; [`Error::NotFound`] of `what` when it deletes none.
    pub(crate) fn delete_named(
        &mut self,
        statement: &str,
        what: &'static str,
        name: &str,
    ) -> Result<(), Error> {
        let _guard = self.lock()?;
        if self.conn.execute(statement, [name])? == 0 {
            return Err(not_found(what, name));
        }
        Ok(())
    }

    fn check_keypair_reference(&self, credential: &Credential) -> Result<(), Error> {
        match keypair_reference(credential) {
            Some(keypair) => self.check_keypair_exists(keypair),
            None => Ok(()),
        }
    }

    fn check_keypair_exists(&self, keypair: &str) -> Result<(), Error> {
        let exists = self
            .conn
            .prepare_cached("SELECT 1 FROM keypair WHERE name = ?1")?
            .exists([keypair])?;
        if exists {
            Ok(())
        } else {
            Err(not_found("key pair", keypair))
        }
    }

    // ---- known hosts ----

    /// The host key recorded for `host:port` (an OpenSSH public key line), if any.
    pub fn known_host(&self, host: &str, port: u16) -> Result<Option<String>, Error> {
        Ok(self
            .conn
            .query_row(
                "SELECT key FROM known_host WHERE host = ?1 AND port = ?2",
                params![host, port],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records (or replaces) the host key of `host:port`.
    pub fn record_known_host(
        &mut self,
        host: &str,
        port: u16,
        key_line: &str,
    ) -> Result<(), Error> {
        let _guard = self.lock()?;
        self.conn.execute(
            "INSERT INTO known_host(host, port, key) VALUES (?1, ?2, ?3)
             ON CONFLICT(host, port) DO UPDATE SET key = excluded.key",
            params![host, port, key_line],
        )?;
        Ok(())
    }

    // ---- snapshots ----

    /// Writes a consistent snapshot of the database to `dest` (a new file, mode 0600,
    /// single-file rollback journal mode), safe under concurrent writers.
    pub fn snapshot_to(&self, dest: &Path) -> Result<(), Error> {
        if dest.exists() {
            return Err(Error::Io {
                path: dest.to_path_buf(),
                source: std::io::Error::from(std::io::ErrorKind::AlreadyExists),
            });
        }
        datadir::create_private_file(dest)?;
        {
            let mut dst = Connection::open(dest)?;
            let backup = rusqlite::backup::Backup::new(&self.conn, &mut dst)?;
            backup.run_to_completion(4096, std::time::Duration::ZERO, None)?;
            drop(backup);
            dst.pragma_update(None, "journal_mode", "DELETE")?;
        }
        std::fs::File::open(dest)
            .and_then(|f| f.sync_all())
            .map_err(io(dest))?;
        Ok(())
    }
}

pub(crate) fn not_found(what: &'static str, name: &str) -> Error {
    Error::NotFound {
        what,
        name: name.to_owned(),
    }
}

pub(crate) fn parse_provider(name: &str, s: &str) -> Result<ProviderKind, Error> {
    s.parse::<ProviderKind>().map_err(|_| Error::InvalidStored {
        name: name.to_owned(),
        reason: format!("unknown provider {s:?}"),
    })
}

pub(crate) fn parse_attrs(name: &str, s: &str) -> Result<Map<String, Value>, Error> {
    match serde_json::from_str::<Value>(s) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Error::InvalidStored {
            name: name.to_owned(),
            reason: "attributes are not a JSON object".into(),
        }),
    }
}

/// Refuses `name` when a credential already has it: the one check that add,
/// rename and the import batch share.
fn ensure_name_free(conn: &Connection, name: &str) -> Result<(), Error> {
    if conn
        .prepare_cached("SELECT 1 FROM credential WHERE name = ?1")?
        .exists([name])?
    {
        return Err(Error::Duplicate {
            what: "credential",
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// The key pair an SFTP credential refers to, if any.
fn keypair_reference(credential: &Credential) -> Option<&str> {
    if credential.provider() != ProviderKind::Sftp {
        return None;
    }
    credential.text("private_key").filter(|k| !k.is_empty())
}

/// A credential made ready to insert: a new uid, its non-secret attributes
/// as JSON text, its secrets sealed (under that uid) with the store's key.
/// Holds no plaintext secret. Made by [`crate::Sealer::seal`] on any thread,
/// inserted by [`crate::Batch::add_sealed`]; `Debug` shows the name and provider.
pub struct SealedCredential {
    pub(crate) key_id: KeyId,
    uid: String,
    name: String,
    provider: ProviderKind,
    attributes: String,
    /// Field name and the sealed value's text.
    secrets: Vec<(&'static str, String)>,
    /// The key pair an SFTP credential refers to (checked on insert).
    keypair: Option<String>,
}

nascfg_credentials::redacted_debug!(SealedCredential { name, provider, .. });

/// Seals `credential`'s secrets under `key` with a new uid: the part of an
/// insert that needs no database.
pub(crate) fn seal_credential(key: &SealingKey, credential: &Credential) -> SealedCredential {
    let uid = new_uid();
    let secrets = seal_secrets(key, &uid, credential);
    SealedCredential {
        key_id: key.key_id(),
        attributes: Value::Object(credential.plain_attributes()).to_string(),
        name: credential.name().to_owned(),
        provider: credential.provider(),
        keypair: keypair_reference(credential).map(str::to_owned),
        secrets,
        uid,
    }
}

/// Inserts a new credential (refusing a taken name) and its sealed secrets.
fn insert_credential(conn: &Connection, sealed: &SealedCredential) -> Result<CredentialId, Error> {
    // A taken name is found by the insert itself (the UNIQUE index on name),
    // not by a query before it: one B-tree search per credential fewer. A
    // failed INSERT changes nothing.
    conn.prepare_cached(
        "INSERT INTO credential(uid, name, provider, attributes, needs_secrets, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5)",
    )?
    .execute(params![sealed.uid, sealed.name, sealed.provider.type_str(), sealed.attributes, now()])
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, Some(ref msg))
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                && msg.ends_with("credential.name") =>
        {
            Error::Duplicate {
                what: "credential",
                name: sealed.name.clone(),
            }
        }
        other => Error::from(other),
    })?;
    let id = conn.last_insert_rowid();
    write_secrets(conn, id, &sealed.secrets)?;
    Ok(CredentialId(id))
}

/// `credential`'s secrets sealed under `key` for the credential `uid`:
/// field name and the sealed value's text.
fn seal_secrets(
    key: &SealingKey,
    uid: &str,
    credential: &Credential,
) -> Vec<(&'static str, String)> {
    credential
        .secret_attributes()
        .into_iter()
        .map(|(field, value)| {
            let sealed = nascfg_crypto::seal(
                key,
                value.expose_secret().as_bytes(),
                &credential_context(uid, field),
            );
            (field, sealed.to_text())
        })
        .collect()
}

/// Stores the sealed secrets of the credential row `id`.
fn write_secrets(
    conn: &Connection,
    id: i64,
    secrets: &[(&'static str, String)],
) -> Result<(), Error> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO credential_secret(credential_id, field, sealed) VALUES (?1, ?2, ?3)",
    )?;
    for (field, text) in secrets {
        stmt.execute(params![id, field, text])?;
    }
    Ok(())
}

pub(crate) fn open_sealed(
    key: &SealingKey,
    text: &str,
    context: &[u8],
    owner: impl Fn() -> String,
) -> Result<SecretString, Error> {
    let wrap = |source| Error::SealedValue {
        owner: owner(),
        source,
    };
    let sealed = SealedValue::parse(text).map_err(wrap)?;
    open_parsed(key, &sealed, context).map_err(wrap)
}

/// [`open_sealed`] of a value already parsed: its plaintext, which must be UTF-8.
pub(crate) fn open_parsed(
    key: &SealingKey,
    sealed: &SealedValue,
    context: &[u8],
) -> Result<SecretString, nascfg_crypto::Error> {
    let mut plain = nascfg_crypto::open(key, sealed, context)?;
    // The opened bytes become the SecretString's text, without a copy; bytes
    // that are not UTF-8 are zeroized before they are dropped.
    match String::from_utf8(std::mem::take(&mut *plain)) {
        Ok(text) => Ok(SecretString::from(text)),
        Err(e) => {
            drop(nascfg_crypto::zeroize::Zeroizing::new(e.into_bytes()));
            Err(nascfg_crypto::Error::Damaged)
        }
    }
}

pub(crate) fn load_credential(
    conn: &Connection,
    key: &SealingKey,
    name: &str,
) -> Result<Credential, Error> {
    let (id, uid, provider, attrs, needs): (i64, String, String, String, bool) = conn
        .prepare_cached(
            "SELECT id, uid, provider, attributes, needs_secrets FROM credential WHERE name = ?1",
        )?
        .query_row([name], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?
        .ok_or_else(|| not_found("credential", name))?;
    if needs {
        return Err(Error::NeedsSecrets {
            name: name.to_owned(),
        });
    }
    let provider = parse_provider(name, &provider)?;
    let plain = parse_attrs(name, &attrs)?;
    let mut stmt = conn
        .prepare_cached("SELECT field, sealed FROM credential_secret WHERE credential_id = ?1")?;
    let rows = stmt
        .query_map([id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut secrets = Vec::with_capacity(rows.len());
    for (field, sealed) in rows {
        let value = open_sealed(key, &sealed, &credential_context(&uid, &field), || {
            format!("credential {name:?} ({field})")
        })?;
        secrets.push((field, value));
    }
    Credential::from_parts(name, provider, plain, secrets).map_err(|e| Error::InvalidStored {
        name: name.to_owned(),
        reason: e.to_string(),
    })
}

/// Finishes or undoes an interrupted seed rotation.
fn recover_rotation(dir: &DataDir, guard: &WriteGuard, conn: &Connection) -> Result<(), Error> {
    guard.check(dir);
    let new_path = dir.file(NEW_SEED);
    if !new_path.exists() {
        return Ok(());
    }
    let Some(recorded) = db_fingerprint(conn)? else {
        return Ok(());
    };
    let new = match SeedState::load(&new_path) {
        SeedState::Loaded(s) => s,
        SeedState::Failed(_) => {
            // A half-written .new is impossible (atomic write), but never trust it over the db.
            if matches!(SeedState::load(&dir.seed_path()), SeedState::Loaded(s) if s.fingerprint() == recorded)
            {
                datadir::remove_if_exists(&new_path)?;
            }
            return Ok(());
        }
    };
    let current = SeedState::load(&dir.seed_path());
    let current_fp = match &current {
        SeedState::Loaded(s) => Some(s.fingerprint()),
        _ => None,
    };
    if current_fp.as_ref() == Some(&recorded) {
        // The transaction never committed: the new seed was never used.
        datadir::remove_if_exists(&new_path)?;
        return datadir::sync_dir(dir.path());
    }
    if new.fingerprint() == recorded {
        // Committed but the seed file was not switched yet: keep the old seed, then switch.
        datadir::keep_old_seed(dir)?;
        failpoint("rotate-recover-before-rename");
        std::fs::rename(&new_path, dir.seed_path()).map_err(io(dir.seed_path()))?;
        datadir::sync_dir(dir.path())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{credential_context, keypair_context, new_uid};

    /// Uids are UUIDv7 in 32 lowercase hex digits, strictly increasing within
    /// a process (from several threads too), their time the clock's.
    #[test]
    fn uids_are_time_ordered() {
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis();
        let mut uids: Vec<String> = (0..10_000).map(|_| new_uid()).collect();
        let other: Vec<String> = std::thread::scope(|s| {
            let a = s.spawn(|| (0..5_000).map(|_| new_uid()).collect::<Vec<_>>());
            let b = s.spawn(|| (0..5_000).map(|_| new_uid()).collect::<Vec<_>>());
            [a.join().expect("no panic"), b.join().expect("no panic")].concat()
        });
        assert!(uids.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
        uids.extend(other);
        let distinct: std::collections::HashSet<&String> = uids.iter().collect();
        assert_eq!(distinct.len(), uids.len());
        for uid in &uids {
            assert_eq!(uid.len(), 32);
            assert!(
                uid.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "{uid}"
            );
            assert_eq!(&uid[12..13], "7", "version 7: {uid}");
            assert!(
                matches!(&uid[16..17], "8" | "9" | "a" | "b"),
                "variant: {uid}"
            );
            let millis = u128::from_str_radix(&uid[..12], 16).expect("hex");
            // 20,000 uids may borrow a few milliseconds ahead of the clock.
            assert!(millis >= before && millis < before + 60_000, "{uid}");
        }
    }

    /// Sealed values already stored are bound to these bytes: they never change.
    #[test]
    fn sealing_contexts_are_stable() {
        assert_eq!(
            credential_context("0123456789abcdef0123456789abcdef", "pass"),
            b"nascfg/v1/credential/0123456789abcdef0123456789abcdef/pass"
        );
        assert_eq!(
            keypair_context("0123456789abcdef0123456789abcdef"),
            b"nascfg/v1/keypair/0123456789abcdef0123456789abcdef/private_key"
        );
    }
}
