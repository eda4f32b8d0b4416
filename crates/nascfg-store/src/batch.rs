//! Several changes in one transaction under one lock: the imports' batch.

use nascfg_credentials::Credential;
use nascfg_credentials::secrecy::SecretString;
use nascfg_crypto::SealingKey;

use crate::datadir::WriteGuard;
use crate::error::Error;
use crate::keypair::KeypairSummary;
use crate::store::{CredentialId, SealedCredential, Store, seal_credential};

/// The store inside [`Store::in_transaction`]: the changes an import makes,
/// made under the batch's lock without taking it again. Neither the [`Store`]
/// (whose single-change methods lock) nor its data directory is reachable
/// through it, so code inside a batch cannot take the lock a second time.
pub struct Batch<'a> {
    store: &'a mut Store,
    guard: &'a WriteGuard,
    /// The sealing key, derived (and the seed checked against the database)
    /// on first use: nothing can change the seed while the lock is held.
    key: Option<SealingKey>,
    /// An operation failed: the batch is rolled back whatever the closure
    /// returns, and later operations fail (an add writes without a savepoint
    /// of its own, so after a failure the transaction may hold half of it).
    failed: bool,
}

nascfg_credentials::redacted_debug!(Batch<'a> { store, .. });

impl Batch<'_> {
    /// [`Store::add_credential`], in the batch.
    pub fn add_credential(&mut self, credential: &Credential) -> Result<CredentialId, Error> {
        let sealed = seal_credential(self.key()?, credential);
        self.add_sealed(&sealed)
    }

    /// The batch's sealer: seals credentials for [`Batch::add_sealed`] on
    /// any thread, so that an import can seal while this one inserts.
    pub fn sealer(&mut self) -> Result<Sealer, Error> {
        Ok(Sealer {
            key: self.key()?.clone(),
        })
    }

    /// The sealing key, derived (and the seed checked against the database)
    /// on first use; a failure poisons the batch.
    fn key(&mut self) -> Result<&SealingKey, Error> {
        self.check()?;
        if self.key.is_none() {
            match self.store.key() {
                Ok(key) => self.key = Some(key),
                Err(e) => {
                    self.failed = true;
                    return Err(e);
                }
            }
        }
        Ok(self.key.as_ref().expect("derived above"))
    }

    /// Adds a credential sealed by this batch's [`Sealer`].
    pub fn add_sealed(&mut self, sealed: &SealedCredential) -> Result<CredentialId, Error> {
        let key_id = self.key.as_ref().map(SealingKey::key_id);
        assert_eq!(
            key_id,
            Some(sealed.key_id),
            "a credential sealed by another batch's sealer"
        );
        self.write(|store, _| store.insert_sealed(sealed, false))
    }

    /// [`Store::replace_credential`], in the batch.
    pub fn replace_credential(&mut self, name: &str, credential: &Credential) -> Result<(), Error> {
        self.write(|store, guard| store.replace_credential_under(guard, name, credential))
    }

    /// [`Store::import_keypair`], in the batch.
    pub fn import_keypair(
        &mut self,
        name: &str,
        openssh_private_pem: &SecretString,
    ) -> Result<KeypairSummary, Error> {
        self.write(|store, guard| store.import_keypair_under(guard, name, openssh_private_pem))
    }

    /// One of the batch's writes: refused once the batch failed, and its
    /// failure fails the batch.
    /// Runs one write of the batch, unless an earlier one failed. No
    /// savepoint per write (it made SQLite copy every page an insert touched
    /// to a statement journal): a failure poisons the batch instead.
    fn write<T>(
        &mut self,
        write: impl FnOnce(&mut Store, &WriteGuard) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.check()?;
        let written = write(self.store, self.guard);
        self.failed |= written.is_err();
        written
    }

    fn check(&self) -> Result<(), Error> {
        if self.failed { Err(aborted()) } else { Ok(()) }
    }
}

/// Seals credentials under a batch's key ([`Batch::sealer`]); `Send` and
/// `Sync`, so one can be shared by threads. `Debug` shows the key id only.
#[derive(Clone)]
pub struct Sealer {
    key: SealingKey,
}

nascfg_credentials::redacted_debug!(Sealer {
    key_id: |s| s.key.key_id()
});

impl Sealer {
    /// A new uid for `credential`, its secrets sealed, its attributes as
    /// JSON: everything of an insert that needs no database.
    pub fn seal(&self, credential: &Credential) -> SealedCredential {
        seal_credential(&self.key, credential)
    }
}

/// What a batch answers once one of its operations failed.
fn aborted() -> Error {
    Error::Sqlite(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
        Some("an earlier change of this batch failed; the batch is rolled back".into()),
    ))
}

/// The page cache of a batch, in SQLite's negative-KiB form (256 MiB at most).
const BATCH_CACHE_KIB: i64 = -256 * 1024;

impl Store {
    /// Runs `f` as one SQLite transaction under `guard` (this store's lock,
    /// from [`Store::lock`]): whatever it stores through the [`Batch`] is
    /// committed together when it returns `Ok`, and nothing is stored when it
    /// returns an error (imports use it to store every credential and key pair
    /// in one go).
    pub fn in_transaction<T>(
        &mut self,
        guard: &WriteGuard,
        f: impl FnOnce(&mut Batch<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.check_guard(guard)?;
        // IMMEDIATE, so that SQLite's write lock is ours from the start rather
        // than upgraded half-way.
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        // A page cache big enough for a large import's changes: with SQLite's
        // default (2 MiB), a transaction of tens of MiB spills dirty pages to
        // the WAL again and again, each time a page changes after a spill.
        // Memory is taken only as pages are used; the default comes back after.
        let cache: i64 = self.conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        self.conn
            .pragma_update(None, "cache_size", BATCH_CACHE_KIB)?;
        let mut batch = Batch {
            store: self,
            guard,
            key: None,
            failed: false,
        };
        let result = match f(&mut batch) {
            Ok(_) if batch.failed => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(aborted())
            }
            Ok(value) => self
                .conn
                .execute_batch("COMMIT")
                .map(|()| value)
                .map_err(Error::from),
            Err(err) => {
                // The error that made us roll back is the one worth reporting.
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(err)
            }
        };
        let restored = self.conn.pragma_update(None, "cache_size", cache);
        let value = result?;
        restored?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use nascfg_credentials::{Credential, ProviderKind};

    use crate::{DataDir, Error, Store};

    fn b2(name: &str) -> Credential {
        let mut attrs = serde_json::Map::new();
        attrs.insert("account".into(), "a".into());
        attrs.insert("key".into(), "k".into());
        Credential::new(name, ProviderKind::B2, attrs).expect("a valid B2 credential")
    }

    #[test]
    fn a_failed_transaction_stores_nothing() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open(&DataDir::new(tmp.path().join("d"))).expect("open");
        let guard = store.lock().expect("lock");
        let result = store.in_transaction(&guard, |s| {
            s.add_credential(&b2("one"))?;
            s.add_credential(&b2("one"))
        });
        assert!(matches!(result, Err(Error::Duplicate { .. })));
        assert!(store.list_credentials().expect("list").is_empty());
        store
            .in_transaction(&guard, |s| {
                s.add_credential(&b2("one"))?;
                s.add_credential(&b2("two"))
            })
            .expect("batch");
        drop(guard);
        assert_eq!(store.list_credentials().expect("list").len(), 2);
        assert_eq!(store.credential("two").expect("open"), b2("two"));
    }

    #[test]
    fn a_batch_that_goes_on_after_a_failure_stores_nothing() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open(&DataDir::new(tmp.path().join("d"))).expect("open");
        store.add_credential(&b2("taken")).expect("add");
        let guard = store.lock().expect("lock");
        let result = store.in_transaction(&guard, |s| {
            s.add_credential(&b2("one"))?;
            // The caller swallows the failure and carries on.
            assert!(matches!(
                s.add_credential(&b2("taken")),
                Err(Error::Duplicate { .. })
            ));
            assert!(s.add_credential(&b2("two")).is_err(), "the batch is spent");
            Ok(())
        });
        assert!(
            result.is_err(),
            "a batch with a failed change is rolled back"
        );
        drop(guard);
        let names: Vec<String> = store
            .list_credentials()
            .expect("list")
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["taken"]);
    }
}
