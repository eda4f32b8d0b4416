//! Key derivation: HKDF-SHA256 (RFC 5869) from the seed, one versioned,
//! domain-separated label per derived value.
//!
//! The seed is 32 uniformly random bytes, so HKDF-Extract runs with the
//! default salt (32 zero bytes, RFC 5869 §2.2) and every output is
//! HKDF-Expand(PRK, label, length). New derived values get new labels; an
//! existing label never changes meaning (a new meaning is a new version).

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

/// The key that seals credential secrets (AES-256-GCM, 32 bytes).
pub(crate) const SEAL_KEY_LABEL: &[u8] = b"nascfg/v1/seal/key";
/// The identifier of the sealing key, written into every sealed value.
pub(crate) const SEAL_KEY_ID_LABEL: &[u8] = b"nascfg/v1/seal/key-id";
/// The seed's public fingerprint.
pub(crate) const FINGERPRINT_LABEL: &[u8] = b"nascfg/v1/fingerprint";
/// The key of the keyed hash that stands for a secret in a content digest.
pub(crate) const CONTENT_MAC_LABEL: &[u8] = b"nascfg/v1/content-mac/key";

/// HKDF-SHA256 with the default salt: `N` bytes of output for `label`.
pub(crate) fn derive<const N: usize>(seed: &[u8; 32], label: &[u8]) -> Zeroizing<[u8; N]> {
    let hk = Hkdf::<Sha256>::new(None, seed);
    let mut out = Zeroizing::new([0u8; N]);
    // N is at most 32 here, far below HKDF's limit of 255 * 32 bytes.
    if hk.expand(label, out.as_mut()).is_err() {
        unreachable!("HKDF output length {N} is within 255 * HashLen");
    }
    out
}
