//! A keyed hash of secret values, so that a digest over a configuration can
//! tell a changed secret from an unchanged one without revealing either.

use std::fmt;

use hkdf::hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{Seed, kdf};

/// The key of HMAC-SHA256 (RFC 2104) over secret values, derived from the
/// seed with HKDF-SHA256 under the label `nascfg/v1/content-mac/key`.
///
/// Its outputs stand for secrets inside a configuration's content digest:
/// equal for equal secrets under one seed, and, without the seed, no help in
/// guessing a secret (a PRF under a key only the seed gives). `Debug` shows
/// nothing of the key.
#[derive(Clone)]
pub struct ContentMacKey(Zeroizing<[u8; 32]>);

impl ContentMacKey {
    /// Derives the key from `seed`.
    pub fn derive(seed: &Seed) -> ContentMacKey {
        ContentMacKey(kdf::derive::<32>(
            seed.expose_bytes(),
            kdf::CONTENT_MAC_LABEL,
        ))
    }

    /// HMAC-SHA256 of `parts`, each preceded by its length as 8 bytes
    /// big-endian, so that no two lists of parts give the same input.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref())
            .expect("HMAC takes a key of any length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for ContentMacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContentMacKey(********)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer() {
        let bytes: Vec<u8> = (0u8..32).collect();
        let seed = Seed::from_bytes(&bytes).unwrap();
        let key = ContentMacKey::derive(&seed);
        let mac = hex::encode(key.mac(&[b"ctx", b"hunter2"]));
        // Computed independently: HKDF-SHA256(seed, "nascfg/v1/content-mac/key", 32)
        // as the HMAC-SHA256 key over be64(3) "ctx" be64(7) "hunter2".
        assert_eq!(mac, KAT);
        assert_ne!(
            key.mac(&[b"ctxh", b"unter2"]),
            key.mac(&[b"ctx", b"hunter2"])
        );
        assert_eq!(format!("{key:?}"), "ContentMacKey(********)");
    }

    const KAT: &str = "77e62d875774f3a9dd65a322f73fa050028d2fc7336b3305504c5f0f7c847519";
}
