//! TrueNAS "pwenc": how TrueNAS encrypts secret values in its database.
//!
//! AES-256-CTR under the 32-byte machine secret (`/data/pwenc_secret`), no
//! MAC. The stored text is standard base64 of `nonce(8) || ciphertext`; the
//! initial counter block is the nonce followed by the 64-bit big-endian
//! number 1. Writers up to TrueNAS 25.10 pad the plaintext with `{` up to the
//! next multiple of 32 (always at least one byte); 26.x writers do not pad.
//! Decryption strips every trailing `{`, which reads both.
//!
//! CTR cannot tell a wrong key: only the check value
//! `system_settings.stg_pwenc_check` = pwenc("Donuts!") can, see
//! [`Secret::check`].

use aes::cipher::{KeyIvInit, StreamCipher};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::SecretString;
use zeroize::{Zeroize, Zeroizing};

use crate::Error;

type Aes256Ctr64 = ctr::Ctr64BE<aes::Aes256>;

/// The plaintext TrueNAS encrypts into `stg_pwenc_check`.
const CHECK_PLAINTEXT: &str = "Donuts!";
/// The padding byte of the old writers.
const PAD: u8 = b'{';
/// A decoded value larger than this is refused (TrueNAS stores small JSON objects).
const MAX_VALUE_LEN: usize = 16 * 1024 * 1024;

/// The TrueNAS machine secret ("Password Secret Seed"): exactly 32 bytes.
///
/// Debug shows nothing of it; it is zeroized on drop.
pub struct Secret(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Which TrueNAS writer's format [`Secret::encrypt`] produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// TrueNAS up to 25.10: pads with `{` to the next multiple of 32.
    Padded,
    /// TrueNAS 26.x and later: no padding.
    Unpadded,
}

impl Secret {
    /// Takes the secret from the bytes of a `pwenc_secret` file (exactly 32).
    pub fn from_bytes(bytes: &[u8]) -> Result<Secret, Error> {
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::PwencSecretLength { len: bytes.len() })?;
        Ok(Secret(Zeroizing::new(key)))
    }

    /// Decrypts a stored value (either writer). Fails on bad base64, a value
    /// shorter than the nonce, or a plaintext that is not UTF-8 (which is
    /// what a wrong secret usually gives).
    pub fn decrypt(&self, stored: &str) -> Result<SecretString, Error> {
        let stored = stored.trim();
        if stored.len() > MAX_VALUE_LEN {
            return Err(Error::PwencMalformed);
        }
        let mut raw = Zeroizing::new(STANDARD.decode(stored).map_err(|_| Error::PwencMalformed)?);
        if raw.len() < 8 {
            return Err(Error::PwencMalformed);
        }
        let mut iv = [0u8; 16];
        iv[..8].copy_from_slice(&raw[..8]);
        iv[15] = 1;
        let mut cipher = Aes256Ctr64::new(self.0.as_ref().into(), &iv.into());
        let body = &mut raw[8..];
        cipher.apply_keystream(body);
        let mut end = body.len();
        while end > 0 && body[end - 1] == PAD {
            end -= 1;
        }
        let text = std::str::from_utf8(&body[..end]).map_err(|_| Error::PwencMalformed)?;
        let secret = SecretString::from(text.to_owned());
        body.zeroize();
        Ok(secret)
    }

    /// Encrypts like TrueNAS does, with the given nonce (tests and fixtures;
    /// nascfg never stores anything this way).
    pub fn encrypt(&self, plaintext: &str, writer: Writer, nonce: [u8; 8]) -> String {
        let mut data = Zeroizing::new(Vec::with_capacity(8 + plaintext.len() + 32));
        data.extend_from_slice(&nonce);
        data.extend_from_slice(plaintext.as_bytes());
        if writer == Writer::Padded {
            let pad = 32 - plaintext.len() % 32;
            data.extend(std::iter::repeat_n(PAD, pad));
        }
        let mut iv = [0u8; 16];
        iv[..8].copy_from_slice(&nonce);
        iv[15] = 1;
        let mut cipher = Aes256Ctr64::new(self.0.as_ref().into(), &iv.into());
        cipher.apply_keystream(&mut data[8..]);
        STANDARD.encode(&data[..])
    }

    /// Whether this secret opens `system_settings.stg_pwenc_check`, the
    /// encryption of "Donuts!" that TrueNAS keeps to detect a wrong seed.
    pub fn check(&self, stg_pwenc_check: &str) -> bool {
        use secrecy::ExposeSecret as _;
        match self.decrypt(stg_pwenc_check) {
            Ok(text) => text.expose_secret() == CHECK_PLAINTEXT,
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    fn key() -> Secret {
        let bytes: Vec<u8> = (0u8..32).collect();
        Secret::from_bytes(&bytes).unwrap()
    }
    const NONCE: [u8; 8] = [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7];

    #[test]
    fn known_answers() {
        let padded = "oKGio6SlpqdtpBDPMpLZqvnJCvjD0rlnhSKV0ypJCV6sBKHi9w1O0Q==";
        let unpadded = "oKGio6SlpqdtpBDPMpLZ";
        assert_eq!(key().encrypt("Donuts!", Writer::Padded, NONCE), padded);
        assert_eq!(key().encrypt("Donuts!", Writer::Unpadded, NONCE), unpadded);
        assert_eq!(key().decrypt(padded).unwrap().expose_secret(), "Donuts!");
        assert_eq!(key().decrypt(unpadded).unwrap().expose_secret(), "Donuts!");
        assert!(key().check(padded));
        assert!(key().check(unpadded));
        let other = Secret::from_bytes(&[7u8; 32]).unwrap();
        assert!(!other.check(padded));
        assert!(!other.check(unpadded));
    }

    #[test]
    fn aligned_plaintext_gets_a_full_block() {
        let text = "0123456789abcdef0123456789abcdef";
        let enc = key().encrypt(text, Writer::Padded, NONCE);
        assert_eq!(STANDARD.decode(&enc).unwrap().len(), 8 + 64);
        assert_eq!(key().decrypt(&enc).unwrap().expose_secret(), text);
    }

    #[test]
    fn malformed_values_are_errors() {
        for bad in ["", "!!!", "AAAA", "oKGio6Slpqc"] {
            assert!(key().decrypt(bad).is_err(), "{bad:?}");
        }
        assert!(Secret::from_bytes(&[0u8; 31]).is_err());
    }
}
