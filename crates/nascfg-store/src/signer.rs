//! The box's bundle-signing key: one Ed25519 key per store, its private half
//! sealed like every secret (so it travels with the seed, and a box restored
//! with its secrets keeps its identity), made on `init` and, for a store from
//! before schema version 3, on first use under the writer lock.

use nascfg_credentials::secrecy::ExposeSecret;
use nascfg_crypto::SealingKey;
use rusqlite::{Connection, OptionalExtension, params};
use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey};

use crate::datadir::WriteGuard;
use crate::error::Error;
use crate::schema;
use crate::store::{META_FINGERPRINT, Store, now, open_sealed};

/// `nascfg/v1/signing_key/private_key`, the context the signing key's sealed
/// private half is bound to (there is one such key per store).
pub(crate) const SIGNING_KEY_CONTEXT: &[u8] = b"nascfg/v1/signing_key/private_key";

/// The box's signing key, opened: signs and shows its public half. Its
/// `Debug` names only the public key's fingerprint.
pub struct SigningKey {
    key: PrivateKey,
}

nascfg_credentials::redacted_debug!(SigningKey {
    fingerprint: |s| s.fingerprint(),
    ..
});

impl SigningKey {
    /// The public half, with its comment (`nascfg@<host>` of the box that made it).
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key().clone()
    }

    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }

    /// An SSHSIG signature (PROTOCOL.sshsig, hash SHA-512 as `ssh-keygen -Y
    /// sign` makes) of `message` in `namespace`, armored as `ssh-keygen`
    /// writes it (`-----BEGIN SSH SIGNATURE-----`, LF line endings).
    pub fn sign(&self, namespace: &str, message: &[u8]) -> Result<String, Error> {
        self.key
            .sign(namespace, HashAlg::Sha512, message)
            .and_then(|sig| sig.to_pem(LineEnding::LF))
            .map_err(|e| Error::InvalidKey {
                reason: format!("cannot sign with the box's signing key: {e}"),
            })
    }
}

/// The comment of a new signing key: `nascfg@<host>` (the kernel's host name, or `box`).
fn new_key_comment() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "box".to_owned());
    format!("nascfg@{host}")
}

/// The stored public key and sealed private key, if the store has a signing key.
pub(crate) fn stored(conn: &Connection) -> Result<Option<(String, String)>, Error> {
    Ok(conn
        .query_row(
            "SELECT public_key, private_key_sealed FROM signing_key WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Opens a stored signing key under `key` and checks that it is the stored public key's.
pub(crate) fn open_signing_key(
    key: &SealingKey,
    public: &str,
    sealed: &str,
) -> Result<SigningKey, Error> {
    let private = open_sealed(key, sealed, SIGNING_KEY_CONTEXT, || {
        "the box's signing key".to_owned()
    })?;
    let bad = |reason: &str| Error::InvalidStored {
        name: "the box's signing key".into(),
        reason: reason.to_owned(),
    };
    let private = PrivateKey::from_openssh(private.expose_secret())
        .map_err(|_| bad("its private key is not an OpenSSH private key"))?;
    let public = PublicKey::from_openssh(public)
        .map_err(|_| bad("its public key is not an OpenSSH public key"))?;
    if private.algorithm() != Algorithm::Ed25519
        || private.public_key().key_data() != public.key_data()
    {
        return Err(bad("its public key is not the private key's Ed25519 key"));
    }
    Ok(SigningKey { key: private })
}

impl Store {
    /// The sealing key of the seed on disk, after checking it is the one the
    /// database is sealed under (no reload: for `&self` readers).
    fn sealing_key_now(&self) -> Result<SealingKey, Error> {
        let seed = self.seed()?;
        if let Some(db) = self.fingerprint()?
            && db != seed.fingerprint()
        {
            return Err(Error::SeedMismatch {
                database: db,
                seed: seed.fingerprint(),
            });
        }
        Ok(SealingKey::derive(seed))
    }

    /// The public half of the box's signing key, when it has one (no seed needed).
    pub fn signer_public_key(&self) -> Result<Option<PublicKey>, Error> {
        stored(&self.conn)?
            .map(|(public, _)| {
                PublicKey::from_openssh(&public).map_err(|_| Error::InvalidStored {
                    name: "the box's signing key".into(),
                    reason: "its public key is not an OpenSSH public key".into(),
                })
            })
            .transpose()
    }

    /// The box's signing key, opened with the seed; made first (under the
    /// writer lock, which this takes) when the store has none yet (a store
    /// from before schema version 3, or one restored without its secrets).
    pub fn signing_key(&self) -> Result<SigningKey, Error> {
        if let Some((public, sealed)) = stored(&self.conn)? {
            return open_signing_key(&self.sealing_key_now()?, &public, &sealed);
        }
        let guard = self.lock()?;
        self.signing_key_locked(&guard)
    }

    /// [`Store::signing_key`] under a lock the caller holds (an export, which
    /// holds it for its snapshot, so the bundle carries the key that signs it).
    pub fn signing_key_locked(&self, guard: &WriteGuard) -> Result<SigningKey, Error> {
        self.check_guard(guard)?;
        let seal_key = self.sealing_key_now()?;
        if let Some((public, sealed)) = stored(&self.conn)? {
            return open_signing_key(&seal_key, &public, &sealed);
        }
        let mut key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519)
            .map_err(|e| Error::InvalidKey {
                reason: e.to_string(),
            })?;
        key.set_comment(new_key_comment());
        let (private, public) = crate::keypair::openssh_texts(&key)?;
        let sealed = nascfg_crypto::seal(&seal_key, private.as_bytes(), SIGNING_KEY_CONTEXT);
        // An empty store adopts the seed's fingerprint on first open; record
        // it here too, so the sealed key never sits under an unrecorded seed.
        if self.fingerprint()?.is_none() {
            schema::meta_set(
                &self.conn,
                META_FINGERPRINT,
                &self.seed()?.fingerprint().to_string(),
            )?;
        }
        self.conn.execute(
            "INSERT INTO signing_key(id, public_key, private_key_sealed, created_at) VALUES (1, ?1, ?2, ?3)",
            params![public, sealed.to_text(), now()],
        )?;
        Ok(SigningKey { key })
    }
}
