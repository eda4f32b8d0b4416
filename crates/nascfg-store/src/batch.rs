//! Several changes in one transaction under one lock: the imports' batch.

use nascfg_credentials::Credential;
use nascfg_credentials::secrecy::SecretString;

use crate::datadir::WriteGuard;
use crate::error::Error;
use crate::keypair::KeypairSummary;
use crate::store::{CredentialId, Store};

/// The store inside [`Store::in_transaction`]: the changes an import makes,
/// made under the batch's lock without taking it again. Neither the [`Store`]
/// (whose single-change methods lock) nor its data directory is reachable
/// through it, so code inside a batch cannot take the lock a second time.
pub struct Batch<'a> {
    store: &'a mut Store,
    guard: &'a WriteGuard,
}

impl std::fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Batch<'_> {
    /// [`Store::add_credential`], in the batch.
    pub fn add_credential(&mut self, credential: &Credential) -> Result<CredentialId, Error> {
        self.store.add_credential_under(self.guard, credential)
    }

    /// [`Store::replace_credential`], in the batch.
    pub fn replace_credential(&mut self, name: &str, credential: &Credential) -> Result<(), Error> {
        self.store
            .replace_credential_under(self.guard, name, credential)
    }

    /// [`Store::import_keypair`], in the batch.
    pub fn import_keypair(
        &mut self,
        name: &str,
        openssh_private_pem: &SecretString,
    ) -> Result<KeypairSummary, Error> {
        self.store
            .import_keypair_under(self.guard, name, openssh_private_pem)
    }
}

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
        let mut batch = Batch { store: self, guard };
        match f(&mut batch) {
            Ok(value) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(value)
            }
            Err(err) => {
                // The error that made us roll back is the one worth reporting.
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(err)
            }
        }
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
}
