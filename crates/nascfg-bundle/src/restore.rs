//! Restoring a bundle onto a box: every check first, then the three cases of
//! DESIGN.md, then one crash-safe swap.

use std::path::Path;

use nascfg_crypto::{Fingerprint, Seed};
use nascfg_store::{
    DataDir, DatabaseInfo, Installed, RestorePlan, SCHEMA_VERSION, StagedRestore, ThisBox,
    Unopenable,
};

use crate::archive::Limits;
use crate::config::Configuration;
use crate::diff::{Diff, diff};
use crate::error::{Error, Result};
use crate::inspect::{RestoreHints, bundle_limits, read_bundle};
use crate::manifest::Manifest;
use crate::progress::ProgressFn;
use crate::signature::{Signer, SignerPolicy};

/// How to restore a bundle.
#[derive(Clone)]
pub struct RestoreOptions<'a> {
    /// The seed the bundle's secrets are sealed under, when the bundle does
    /// not carry it and this box's seed is another one: what `--seed-file`
    /// holds, read by [`nascfg_store::load_seed_file`] (any form `nascfg seed
    /// export` writes), or a seed recovered otherwise.
    pub seed: Option<Seed>,
    /// Restore even when secrets cannot be opened: credentials keep their
    /// non-secret attributes and are marked as needing secrets re-entered.
    pub allow_lost_secrets: bool,
    /// Check everything and report, change nothing.
    pub dry_run: bool,
    /// Asked for what opens the bundle if it is encrypted (a passphrase,
    /// identities); nothing by default.
    pub unlock: &'a dyn crate::Unlock,
    /// Caps on what the bundle may expand to.
    pub limits: Limits,
    /// Called as the bundle is read.
    pub progress: Option<ProgressFn<'a>>,
    /// Which signers to accept (`--allowed-signers`). Whatever it says, a
    /// signature that does not verify is refused.
    pub signers: SignerPolicy,
}

impl Default for RestoreOptions<'_> {
    fn default() -> Self {
        RestoreOptions {
            seed: None,
            allow_lost_secrets: false,
            dry_run: false,
            unlock: &crate::unlock::NOTHING,
            limits: bundle_limits(),
            progress: None,
            signers: SignerPolicy::AnyValid,
        }
    }
}

nascfg_credentials::redacted_debug!(RestoreOptions<'a> { seed, allow_lost_secrets, dry_run, limits, signers, .. });

/// Which case of a restore applied. Its JSON (`backup restore --json`) is
/// `{"case": "seed-from-bundle", "fingerprint": …}`: the variant in kebab-case
/// under `case`, then its fields.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "case", rename_all = "kebab-case")]
pub enum RestoreCase {
    /// The bundle carried its seed; database and seed installed together.
    SeedFromBundle {
        /// The seed's fingerprint.
        fingerprint: Fingerprint,
    },
    /// The given seed (`--seed-file`) matched; the database (and that seed, if it is not
    /// this box's already) installed.
    SeedFromFile {
        /// The seed's fingerprint.
        fingerprint: Fingerprint,
    },
    /// This box's seed matched; the database installed.
    BoxSeedMatches {
        /// The seed's fingerprint.
        fingerprint: Fingerprint,
    },
    /// The bundle holds no secrets; the database installed.
    NoSecrets,
    /// `--allow-lost-secrets`: secrets dropped, credentials marked.
    SecretsDropped {
        /// Credentials now needing their secrets re-entered.
        credentials: usize,
        /// Key pairs whose private keys were dropped.
        keypairs: usize,
    },
}

/// What [`restore`] did (or, with `dry_run`, would do).
#[derive(Debug, Clone)]
pub struct RestoreReport {
    /// The bundle's manifest.
    pub manifest: Manifest,
    /// Which case applied.
    pub case: RestoreCase,
    /// Nothing was changed.
    pub dry_run: bool,
    /// The schema version the database was migrated from, if older.
    pub migrated_from: Option<u32>,
    /// Whether a seed was (or would be) installed.
    pub installs_seed: bool,
    /// Where the previous database and seed were kept.
    pub installed: Option<Installed>,
    /// With `dry_run`: what the restore would change on this box (this box's
    /// configuration against the bundle's); never a secret.
    pub diff: Option<Diff>,
    /// Who signed the bundle (with the accepting principal under
    /// `--allowed-signers`), or unsigned.
    pub signer: Signer,
}

/// Restores the bundle at `path` into `data_dir`.
///
/// Every check comes first, on a staged copy (never the live files): the
/// bundle's format, members, sizes and hashes, the database's integrity and
/// schema (an older one is migrated on the copy, a newer one refused), and
/// that every sealed value opens under the seed that will be in place. Then
/// one crash-safe swap ([`DataDir::install`]) keeps the previous database and
/// seed. When secrets would be lost it refuses ([`Error::SecretsWouldBeLost`])
/// unless `allow_lost_secrets`.
///
/// The data directory's lock is held from reading this box's seed (which
/// decides the case) until the install is done, so a `seed rotate` runs
/// wholly before or wholly after. Reading and checking the bundle comes
/// before the lock. A dry run takes the lock too (its report is then exactly
/// what a restore at that moment would do). When the data directory does not
/// exist yet, there is no seed to race for: the case is decided without the
/// lock (so that a refused restore or a dry run creates nothing), and the
/// install takes it, refusing if a seed appeared meanwhile.
pub fn restore(
    data_dir: &DataDir,
    path: &Path,
    options: &RestoreOptions<'_>,
) -> Result<RestoreReport> {
    let given_seed = options.seed.clone();
    let staging = staging_dir(data_dir)?;
    // The seed the sealed values will most likely be opened under, if the
    // bundle does not carry its own, so the row checks open them in the
    // same pass: only a hint (this box's seed read without the lock); the
    // case below is decided under the lock, and any other outcome checks
    // every credential again.
    let likely_seed = match &given_seed {
        Some(seed) => Some(seed.clone()),
        None => nascfg_store::load_seed(&data_dir.seed_path()).ok(),
    };
    let staged = read_bundle(
        path,
        options.unlock,
        staging.path(),
        &options.limits,
        options.progress,
        Some(&RestoreHints {
            likely_seed: likely_seed.as_ref(),
        }),
    )?;
    drop(likely_seed);
    // Whom the bundle is from, before anything else is decided or changed.
    let signer = options.signers.check(&staged.signer)?;
    let migrated_from = if staged.info.schema_version < SCHEMA_VERSION {
        nascfg_store::migrate_database(&staged.db_path)?;
        Some(staged.info.schema_version)
    } else {
        None
    };
    // What the row checks proved holds of the file as it was read; a
    // migration changes it.
    let opened = staged.opened.clone().filter(|_| migrated_from.is_none());
    // The bundle's view for a dry run's diff, before any case changes the staged copy.
    let bundle_content = if options.dry_run {
        Some(nascfg_store::read_content(&staged.db_path)?)
    } else {
        None
    };
    let mut diff_found = None;
    let restored = data_dir.restore_staged(
        StagedRestore {
            db_path: &staged.db_path,
            info: &staged.info,
            opened,
            syncing: staged.syncing,
        },
        options.dry_run,
        |this_box| {
            if let Some(content) = bundle_content {
                diff_found = Some(dry_run_diff(
                    content,
                    staged.seed.as_ref(),
                    given_seed.as_ref(),
                    this_box,
                )?);
            }
            decide(
                &staged.info,
                staged.seed,
                given_seed,
                this_box.seed(),
                options.allow_lost_secrets,
            )
        },
    )?;
    Ok(RestoreReport {
        manifest: staged.manifest,
        case: restored.case,
        dry_run: options.dry_run,
        migrated_from,
        installs_seed: restored.installs_seed,
        installed: restored.installed,
        diff: diff_found,
        signer,
    })
}

/// A dry run's diff: this box's configuration against the bundle's, the
/// bundle's secrets compared under the seed that opens them.
fn dry_run_diff(
    content: nascfg_store::Content,
    bundle_seed: Option<&Seed>,
    given_seed: Option<&Seed>,
    this_box: &ThisBox<'_>,
) -> Result<Diff> {
    let fingerprint = content
        .fingerprint
        .clone()
        .or_else(|| bundle_seed.map(Seed::fingerprint));
    let seed = bundle_seed.or(given_seed).or(this_box.seed());
    let bundle = Configuration::new(content, fingerprint, seed);
    let this_box = match this_box.store()? {
        Some(store) => Configuration::from_store(&store)?,
        None => Configuration::empty(),
    };
    Ok(diff(&this_box, &bundle))
}

/// The case of DESIGN.md that applies, decided once from the bundle, the
/// given seed and this box's seed (read under the write guard): the plan the
/// store carries out, or a refusal.
fn decide(
    info: &DatabaseInfo,
    bundle_seed: Option<Seed>,
    given_seed: Option<Seed>,
    box_seed: Option<&Seed>,
    allow_lost_secrets: bool,
) -> Result<RestorePlan<RestoreCase>> {
    let box_fp = box_seed.map(Seed::fingerprint);
    let db_fp = info.fingerprint.clone();
    let plan = |case, seed, strip_secrets| RestorePlan {
        case,
        seed,
        strip_secrets,
    };
    if let Some(seed) = bundle_seed {
        let fingerprint = seed.fingerprint();
        return Ok(plan(
            RestoreCase::SeedFromBundle { fingerprint },
            Some(seed),
            false,
        ));
    }
    if info.sealed_values == 0 {
        // Nothing is sealed, but the database may still name another seed:
        // forget it, so this box's seed (or a new one) is recorded on first use.
        let foreign = db_fp.is_some() && db_fp != box_fp;
        return Ok(plan(RestoreCase::NoSecrets, None, foreign));
    }
    if let Some(seed) = given_seed {
        let fingerprint = seed.fingerprint();
        if let Some(db) = db_fp.as_ref().filter(|db| **db != fingerprint) {
            return Err(Error::SeedFileMismatch {
                bundle: db.to_string(),
                given: fingerprint.to_string(),
            });
        }
        return Ok(plan(
            RestoreCase::SeedFromFile { fingerprint },
            Some(seed),
            false,
        ));
    }
    if let (Some(db), Some(this)) = (&db_fp, &box_fp)
        && db == this
    {
        let fingerprint = db.clone();
        return Ok(plan(
            RestoreCase::BoxSeedMatches { fingerprint },
            None,
            false,
        ));
    }
    // The count `inspect` gives too; the store strips the staged copy (ours
    // to change) only once the restore goes ahead.
    let (credentials, keypairs) = crate::inspect::secrets_at_stake(info);
    if !allow_lost_secrets {
        return Err(Error::SecretsWouldBeLost {
            credentials,
            keypairs,
            fingerprint: db_fp
                .map(|f| f.to_string())
                .unwrap_or_else(|| "unknown".into()),
        });
    }
    Ok(plan(
        RestoreCase::SecretsDropped {
            credentials,
            keypairs,
        },
        None,
        true,
    ))
}

impl From<Unopenable> for Error {
    fn from(left: Unopenable) -> Self {
        Error::SecretsWouldBeLost {
            credentials: left.credentials,
            keypairs: left.keypairs,
            fingerprint: "unknown".into(),
        }
    }
}

/// A private staging directory beside the data directory (same filesystem)
/// when its parent exists, else in the system's temporary directory. Never
/// inside the data directory.
fn staging_dir(data_dir: &DataDir) -> Result<tempfile::TempDir> {
    let beside = data_dir
        .path()
        .parent()
        .filter(|p| !p.as_os_str().is_empty() && p.is_dir());
    if let Some(parent) = beside
        && let Ok(dir) = tempfile::Builder::new()
            .prefix(".nascfg-restore-")
            .tempdir_in(parent)
    {
        return Ok(dir);
    }
    tempfile::Builder::new()
        .prefix("nascfg-restore-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))
}
