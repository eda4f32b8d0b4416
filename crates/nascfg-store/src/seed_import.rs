//! `nascfg seed import`: installing a seed that travelled separately (a
//! `nascfg seed export` of the old box) on a box whose store is empty, or
//! whose store was sealed under that very seed (a lost `secret-seed` put
//! back). Anything else is refused before anything changes.

use std::path::PathBuf;

use nascfg_crypto::{Fingerprint, Seed};

use crate::datadir::{self, DataDir, WriteGuard, keep_old_seed};
use crate::error::Error;
use crate::schema;
use crate::seed::read_box_seed;
use crate::store::{META_FINGERPRINT, SeedState, Store};

/// What [`DataDir::import_seed`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedImport {
    /// The imported seed's fingerprint.
    pub fingerprint: Fingerprint,
    /// Which case allowed it.
    pub case: SeedImportCase,
    /// The previous `secret-seed`, kept as `secret-seed.old-<timestamp>`
    /// (`None` when there was none, or nothing changed).
    pub previous_seed: Option<PathBuf>,
}

/// Why a seed import was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedImportCase {
    /// It already is this box's seed and the store's: nothing was changed.
    AlreadyInstalled,
    /// The store is sealed under it (its seed file was missing or another).
    SealedUnderIt,
    /// The store holds no credential and no key pair (or does not exist yet).
    EmptyStore,
}

impl DataDir {
    /// Installs `seed` as this box's `secret-seed` when the store is empty
    /// (no credential, no key pair, or no database yet) or was sealed under
    /// that seed (fingerprint checked); refuses anything else
    /// ([`Error::SeedImportRefused`]) and changes nothing. The seed is written
    /// atomically (0600) under `guard`; a previous one is kept as
    /// `secret-seed.old-<timestamp>`.
    ///
    /// Crash-safe: an empty store forgets its recorded fingerprint before the
    /// seed file changes and records the new one after, and a store that
    /// records none adopts whichever seed it finds on its next open.
    pub fn import_seed(&self, guard: &WriteGuard, seed: &Seed) -> Result<SeedImport, Error> {
        guard.check(self);
        let fingerprint = seed.fingerprint();
        if !self.db_path().exists() {
            // Finish or undo an interrupted restore first: it may bring a database.
            self.recover_install(guard)?;
        }
        if !self.db_path().exists() {
            // No store: a missing or damaged seed file is replaced (and kept).
            let current = read_box_seed(&self.seed_path())
                .ok()
                .map(|s| s.fingerprint());
            return self.put_seed(seed, current, SeedImportCase::EmptyStore);
        }
        let store = Store::open_locked(self, guard)?;
        let recorded = store.fingerprint()?;
        let current = match &store.seed {
            SeedState::Loaded(s) => Some(s.fingerprint()),
            SeedState::Failed(_) => None,
        };
        if recorded.as_ref() == Some(&fingerprint) {
            return self.put_seed(seed, current, SeedImportCase::SealedUnderIt);
        }
        let (credentials, keypairs): (i64, i64) = store.conn.query_row(
            "SELECT (SELECT count(*) FROM credential), (SELECT count(*) FROM keypair)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if credentials != 0 || keypairs != 0 {
            return Err(Error::SeedImportRefused {
                database: recorded,
                given: fingerprint,
                credentials: usize::try_from(credentials).expect("a count is never negative"),
                keypairs: usize::try_from(keypairs).expect("a count is never negative"),
            });
        }
        // Empty: forget the old fingerprint first, so that a crash at any
        // point leaves a store that adopts whichever seed file is there.
        store
            .conn
            .execute("DELETE FROM meta WHERE key = ?1", [META_FINGERPRINT])?;
        // Its signing key is sealed under the old seed: a new one is made
        // under the imported seed on first use.
        store.conn.execute("DELETE FROM signing_key", [])?;
        let previous_seed = if current.as_ref() == Some(&fingerprint) {
            None
        } else {
            self.replace_seed(seed)?
        };
        schema::meta_set(&store.conn, META_FINGERPRINT, &fingerprint.to_string())?;
        Ok(SeedImport {
            fingerprint,
            case: SeedImportCase::EmptyStore,
            previous_seed,
        })
    }

    /// `seed` as this box's seed, allowed by `case`, in place of the one whose
    /// fingerprint is `current`: nothing changes when it is that one already.
    fn put_seed(
        &self,
        seed: &Seed,
        current: Option<Fingerprint>,
        case: SeedImportCase,
    ) -> Result<SeedImport, Error> {
        let fingerprint = seed.fingerprint();
        if current.as_ref() == Some(&fingerprint) {
            return Ok(SeedImport {
                fingerprint,
                case: SeedImportCase::AlreadyInstalled,
                previous_seed: None,
            });
        }
        let previous_seed = self.replace_seed(seed)?;
        Ok(SeedImport {
            fingerprint,
            case,
            previous_seed,
        })
    }

    /// Keeps the current seed file (if any) and writes `seed` in its place.
    fn replace_seed(&self, seed: &Seed) -> Result<Option<PathBuf>, Error> {
        let kept = keep_old_seed(self)?;
        seed.write_to(&self.seed_path())?;
        datadir::sync_dir(self.path())?;
        Ok(kept)
    }
}
