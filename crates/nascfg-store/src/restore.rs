//! A restore carried out: the caller decides once, from this box's seed read
//! under the write guard, what to install (a [`RestorePlan`]); the store then
//! strips, proves and installs the staged database under that same guard.

use std::path::Path;

use nascfg_crypto::Seed;

use crate::datadir::{DataDir, Installed, StagedDb, WriteGuard};
use crate::error::Error;
use crate::failpoint::failpoint;
use crate::staged::{DatabaseInfo, SecretsOpened, inspect_database, strip_secrets};
use crate::store::Store;

/// A staged database a restore may install: a file the caller made (mode
/// 0600, a single file, checked by [`check_database`](crate::check_database)
/// and migrated if it was older) and gives up.
#[derive(Debug)]
pub struct StagedRestore<'a> {
    /// The staged database file.
    pub db_path: &'a Path,
    /// What [`check_database`](crate::check_database) found in it.
    pub info: &'a DatabaseInfo,
    /// That proof's [`SecretsOpened`], if the file is unchanged since.
    pub opened: Option<SecretsOpened>,
    /// The staged file's fsync, under way; joined before it is moved in.
    pub syncing: Option<std::thread::JoinHandle<()>>,
}

/// What a restore does, decided once under the write guard: which case
/// applied (the caller's words for it), the seed that comes with the
/// database, and whether its secrets are stripped.
#[derive(Debug)]
pub struct RestorePlan<C> {
    /// Which case applied, as the caller names it.
    pub case: C,
    /// The seed the database's sealed values open under when it is not this
    /// box's (from the bundle, or given by the user): installed with the
    /// database unless it is this box's seed already. `None`: this box's
    /// seed, or nothing sealed remains.
    pub seed: Option<Seed>,
    /// Drop every sealed value of the staged copy first
    /// ([`strip_secrets`](crate::strip_secrets)): credentials are marked as
    /// needing their secrets re-entered, and the recorded seed is forgotten.
    pub strip_secrets: bool,
}

/// This box as a restore's decision sees it, under the write guard (none
/// when the data directory does not exist yet).
#[derive(Debug)]
pub struct ThisBox<'a> {
    dir: &'a DataDir,
    guard: Option<&'a WriteGuard>,
    seed: Option<Seed>,
}

impl ThisBox<'_> {
    /// This box's seed, read under the guard (`None` on a box without one).
    pub fn seed(&self) -> Option<&Seed> {
        self.seed.as_ref()
    }

    /// This box's store, opened under the guard, when it has a database.
    pub fn store(&self) -> Result<Option<Store>, Error> {
        match self.guard {
            Some(guard) if self.dir.db_path().is_file() => {
                Store::open_locked(self.dir, guard).map(Some)
            }
            _ => Ok(None),
        }
    }
}

/// Sealed values remain that no seed of the plan opens: what a plan that
/// neither brings a seed nor strips meets on a box whose seed is not the
/// database's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unopenable {
    /// Credentials holding sealed secrets.
    pub credentials: usize,
    /// Key pairs holding a sealed private key.
    pub keypairs: usize,
}

/// What [`DataDir::restore_staged`] did (or, in a dry run, would do).
#[derive(Debug)]
pub struct Restored<C> {
    /// The plan's case.
    pub case: C,
    /// Whether a seed was (or would be) installed with the database.
    pub installs_seed: bool,
    /// Where the previous database and seed were kept (`None` in a dry run).
    pub installed: Option<Installed>,
}

impl DataDir {
    /// Restores a staged database: takes the writer lock, reads this box's
    /// seed once, lets `decide` make the [`RestorePlan`] from it, then carries
    /// the plan out under the same lock: strips the staged copy if asked,
    /// proves every remaining sealed value opens under the seed that will be
    /// in place, and installs it crash-safely ([`StagedDb::Take`])
    /// unless `dry_run`. Any refusal, from `decide` or a check, changes
    /// nothing on this box.
    ///
    /// A `seed rotate` therefore runs wholly before or wholly after. When the
    /// data directory does not exist yet there is no seed to race for: the
    /// plan is made without the lock (so that a refused restore or a dry run
    /// creates nothing), and the install takes it, refusing
    /// ([`Error::Replaced`]) if a seed appeared meanwhile.
    pub fn restore_staged<C, E>(
        &self,
        staged: StagedRestore<'_>,
        dry_run: bool,
        decide: impl FnOnce(&ThisBox<'_>) -> Result<RestorePlan<C>, E>,
    ) -> Result<Restored<C>, E>
    where
        E: From<Error> + From<Unopenable>,
    {
        failpoint("restore-before-lock");
        let guard = if self.path().is_dir() {
            Some(self.lock()?)
        } else {
            None
        };
        let this_box = ThisBox {
            dir: self,
            guard: guard.as_ref(),
            seed: match &guard {
                Some(guard) => self.seed(guard)?,
                None => None,
            },
        };
        let plan = decide(&this_box)?;
        let box_seed = this_box.seed;
        let box_fp = box_seed.as_ref().map(Seed::fingerprint);
        let mut opened = staged.opened;
        let remaining = if plan.strip_secrets {
            opened = None;
            let stripped = strip_secrets(staged.db_path)?;
            debug_assert_eq!(
                stripped, staged.info.credentials_with_secrets,
                "strip_secrets counts the same rows"
            );
            if staged.info.sealed_values > 0 {
                inspect_database(staged.db_path)?
            } else {
                staged.info.clone()
            }
        } else {
            staged.info.clone()
        };
        let seed_to_install = plan
            .seed
            .filter(|seed| box_fp.as_ref() != Some(&seed.fingerprint()));
        // Prove every remaining sealed value opens under the seed that will be in place.
        if remaining.sealed_values > 0 {
            match seed_to_install.as_ref().or(box_seed.as_ref()) {
                Some(seed) => {
                    crate::staged::verify_secrets_open_after(staged.db_path, seed, opened.as_ref())?
                }
                None => {
                    return Err(E::from(Unopenable {
                        credentials: remaining.credentials,
                        keypairs: remaining.keypairs,
                    }));
                }
            }
        }
        failpoint("restore-after-checks");
        let installs_seed = seed_to_install.is_some();
        let installed = if dry_run {
            None
        } else {
            let guard = match guard {
                Some(guard) => guard,
                None => {
                    let guard = self.lock()?;
                    if self.seed(&guard)?.is_some() {
                        // Another nascfg made this box a seed while we decided
                        // without one: decide again, from the start.
                        return Err(E::from(Error::Replaced {
                            path: self.db_path(),
                        }));
                    }
                    guard
                }
            };
            // The staged copy is the caller's to give up (mode 0600, checked,
            // in a private directory beside the data directory): moved in, not
            // copied again; its fsync began when it was written (the install
            // syncs it once more).
            if let Some(syncing) = staged.syncing {
                let _ = syncing.join();
            }
            Some(self.install(
                &guard,
                StagedDb::Take(staged.db_path),
                seed_to_install.as_ref(),
            )?)
        };
        Ok(Restored {
            case: plan.case,
            installs_seed,
            installed,
        })
    }
}
