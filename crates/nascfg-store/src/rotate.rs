//! Seed rotation: a new seed, every sealed value re-sealed in one transaction,
//! the old seed kept beside; crash-safe (see `recover_rotation` in store.rs).

use std::path::PathBuf;

use nascfg_crypto::{Fingerprint, SealedValue, SealingKey, Seed};
use rusqlite::{OptionalExtension, params};

use crate::datadir::{self, NEW_SEED, WriteGuard, keep_old_seed};
use crate::error::{Error, io};
use crate::failpoint::failpoint;
use crate::schema;
use crate::signer::SIGNING_KEY_CONTEXT;
use crate::store::{META_FINGERPRINT, SeedState, Store, credential_context, keypair_context};

/// What [`Store::rotate_seed`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateReport {
    /// The previous seed's fingerprint.
    pub old: Fingerprint,
    /// The new seed's fingerprint.
    pub new: Fingerprint,
    /// How many sealed values were re-sealed.
    pub resealed: usize,
    /// Where the previous seed was kept.
    pub old_seed_kept: Option<PathBuf>,
}

/// One sealed value to re-seal: its context (associated data) and its text.
type Row = (Vec<u8>, String);

fn reseal(old: &SealingKey, new: &SealingKey, rows: &[Row]) -> Result<Vec<String>, Error> {
    rows.iter()
        .map(|(context, text)| {
            let owner = || String::from_utf8_lossy(context).into_owned();
            let sealed = SealedValue::parse(text).map_err(|source| Error::SealedValue {
                owner: owner(),
                source,
            })?;
            let plain = nascfg_crypto::open(old, &sealed, context).map_err(|source| {
                Error::SealedValue {
                    owner: owner(),
                    source,
                }
            })?;
            Ok(nascfg_crypto::seal(new, &plain, context).to_text())
        })
        .collect()
}

/// Re-seals in parallel on the available cores.
fn reseal_all(old: &SealingKey, new: &SealingKey, rows: &[Row]) -> Result<Vec<String>, Error> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if threads < 2 || rows.len() < 1000 {
        return reseal(old, new, rows);
    }
    let chunk = rows.len().div_ceil(threads);
    let parts: Vec<Result<Vec<String>, Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = rows
            .chunks(chunk)
            .map(|c| s.spawn(move || reseal(old, new, c)))
            .collect();
        handles
            .into_iter()
            // A panic in a re-seal thread is a bug: pass it on rather than report damage.
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(rows.len());
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

impl Store {
    /// Replaces the seed with a new one and re-seals every sealed value under it,
    /// in one transaction; keeps the old seed as `secret-seed.old-<timestamp>`.
    /// `guard` is this store's directory lock ([`Store::lock`], or the one
    /// [`Store::open_locked`] was opened under), held across the whole change.
    pub fn rotate_seed(&mut self, guard: &WriteGuard) -> Result<RotateReport, Error> {
        self.check_guard(guard)?;
        let old_key = self.key()?;
        let old_fp = self.seed()?.fingerprint();
        let new_seed = Seed::generate();
        let new_fp = new_seed.fingerprint();
        let new_path = self.dir.file(NEW_SEED);
        new_seed.write_to(&new_path)?;
        datadir::sync_dir(self.dir.path())?;
        failpoint("rotate-after-new-seed");
        let new_key = SealingKey::derive(&new_seed);

        let tx = self.conn.transaction()?;
        // The rows' keys, and beside them (same order) what to re-seal.
        let (cred_keys, cred_rows): (Vec<(i64, String)>, Vec<Row>) = tx
            .prepare(
                "SELECT s.credential_id, s.field, c.uid, s.sealed FROM credential_secret s JOIN credential c ON c.id = s.credential_id",
            )?
            .query_map([], |r| {
                let (id, field, uid): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
                let context = credential_context(&uid, &field);
                Ok(((id, field), (context, r.get(3)?)))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .unzip();
        let (kp_keys, kp_rows): (Vec<i64>, Vec<Row>) = tx
            .prepare("SELECT id, uid, private_key_sealed FROM keypair WHERE private_key_sealed IS NOT NULL")?
            .query_map([], |r| {
                let uid: String = r.get(1)?;
                Ok((r.get::<_, i64>(0)?, (keypair_context(&uid), r.get(2)?)))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .unzip();
        let signing_row: Option<Row> = tx
            .query_row(
                "SELECT private_key_sealed FROM signing_key WHERE id = 1",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .map(|sealed| (SIGNING_KEY_CONTEXT.to_vec(), sealed));
        let cred_new = reseal_all(&old_key, &new_key, &cred_rows)?;
        let kp_new = reseal_all(&old_key, &new_key, &kp_rows)?;
        let signing_new = reseal(&old_key, &new_key, signing_row.as_slice())?;
        {
            let mut stmt = tx.prepare(
                "UPDATE credential_secret SET sealed = ?3 WHERE credential_id = ?1 AND field = ?2",
            )?;
            for ((id, field), sealed) in cred_keys.iter().zip(&cred_new) {
                let n = stmt.execute(params![id, field, sealed])?;
                assert_eq!(n, 1, "the re-sealed row was read in this transaction");
            }
            let mut stmt =
                tx.prepare("UPDATE keypair SET private_key_sealed = ?2 WHERE id = ?1")?;
            for (id, sealed) in kp_keys.iter().zip(&kp_new) {
                let n = stmt.execute(params![id, sealed])?;
                assert_eq!(n, 1, "the re-sealed row was read in this transaction");
            }
            for sealed in &signing_new {
                tx.execute(
                    "UPDATE signing_key SET private_key_sealed = ?1 WHERE id = 1",
                    [sealed],
                )?;
            }
        }
        schema::meta_set(&tx, META_FINGERPRINT, &new_fp.to_string())?;
        failpoint("rotate-before-commit");
        tx.commit()?;
        failpoint("rotate-after-commit");
        let kept = keep_old_seed(&self.dir)?;
        failpoint("rotate-after-keep");
        std::fs::rename(&new_path, self.dir.seed_path()).map_err(io(self.dir.seed_path()))?;
        datadir::sync_dir(self.dir.path())?;
        failpoint("rotate-after-rename");
        self.seed = SeedState::Loaded(Box::new(new_seed));
        Ok(RotateReport {
            old: old_fp,
            new: new_fp,
            resealed: cred_rows.len() + kp_rows.len() + signing_new.len(),
            old_seed_kept: kept,
        })
    }
}
