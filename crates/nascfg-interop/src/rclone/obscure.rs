//! rclone's "obscure": how rclone.conf stores passwords.
//!
//! AES-256-CTR under a fixed, public key, so it is obfuscation, not
//! encryption. The 16-byte IV is random and used whole as a big-endian
//! 128-bit counter; the text is URL-safe base64 without padding of
//! `iv || ciphertext`.

use aes::cipher::{KeyIvInit, StreamCipher};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore};
use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::Error;

type Aes256Ctr128 = ctr::Ctr128BE<aes::Aes256>;

/// rclone's public obscure key (`fs/config/obscure/obscure.go`).
const KEY: [u8; 32] = [
    0x9c, 0x93, 0x5b, 0x48, 0x73, 0x0a, 0x55, 0x4d, 0x6b, 0xfd, 0x7c, 0x63, 0xc8, 0x86, 0xa9, 0x2b,
    0xd3, 0x90, 0x19, 0x8e, 0xb8, 0x12, 0x8a, 0xfb, 0xf4, 0xde, 0x16, 0x2b, 0x8b, 0x95, 0xf6, 0x38,
];
/// An obscured value longer than this is refused.
const MAX_LEN: usize = 1024 * 1024;

/// Obscures a value exactly as `rclone obscure` does, with a random IV.
pub fn obscure(plaintext: &str) -> String {
    let mut iv = [0u8; 16];
    OsRng.fill_bytes(&mut iv);
    obscure_with_iv(plaintext, iv)
}

/// Obscures with a given IV (known-answer tests).
pub(crate) fn obscure_with_iv(plaintext: &str, iv: [u8; 16]) -> String {
    let mut data = Zeroizing::new(Vec::with_capacity(16 + plaintext.len()));
    data.extend_from_slice(&iv);
    data.extend_from_slice(plaintext.as_bytes());
    let mut cipher = Aes256Ctr128::new(&KEY.into(), &iv.into());
    cipher.apply_keystream(&mut data[16..]);
    URL_SAFE_NO_PAD.encode(&data[..])
}

/// Reveals a value obscured by rclone (`rclone reveal`).
pub fn reveal(obscured: &str) -> Result<SecretString, Error> {
    if obscured.len() > MAX_LEN {
        return Err(Error::NotObscured);
    }
    let mut data = Zeroizing::new(
        URL_SAFE_NO_PAD
            .decode(obscured.trim())
            .map_err(|_| Error::NotObscured)?,
    );
    if data.len() < 16 {
        return Err(Error::NotObscured);
    }
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&data[..16]);
    let mut cipher = Aes256Ctr128::new(&KEY.into(), &iv.into());
    cipher.apply_keystream(&mut data[16..]);
    let text = std::str::from_utf8(&data[16..]).map_err(|_| Error::NotObscured)?;
    Ok(SecretString::from(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    fn check(plaintext: &str, iv: [u8; 16], obscured: &str) {
        assert_eq!(obscure_with_iv(plaintext, iv), obscured);
        assert_eq!(reveal(obscured).unwrap().expose_secret(), plaintext);
    }

    #[test]
    fn known_answers() {
        let mut seq = [0u8; 16];
        for (i, b) in seq.iter_mut().enumerate() {
            *b = i as u8;
        }
        check("", *b"aaaaaaaaaaaaaaaa", "YWFhYWFhYWFhYWFhYWFhYQ");
        check(
            "potato",
            *b"aaaaaaaaaaaaaaaa",
            "YWFhYWFhYWFhYWFhYWFhYXMaGgIlEQ",
        );
        check(
            "potato",
            *b"bbbbbbbbbbbbbbbb",
            "YmJiYmJiYmJiYmJiYmJiYp3gcEWbAw",
        );
        check(
            "correct horse battery staple 0123456789",
            seq,
            "AAECAwQFBgcICQoLDA0OD2LwFVdisTSqpU56FmHArUNElUsrouDa8YMK068AEFBRBqYuL19MeA",
        );
        assert_eq!(
            reveal("PDPcQVVjVtzFY-GTdDFozqBhTdsPg3qH")
                .unwrap()
                .expose_secret(),
            "password"
        );
    }

    #[test]
    fn random_iv_round_trips() {
        let a = obscure("hunter2");
        assert_ne!(a, obscure("hunter2"));
        assert_eq!(reveal(&a).unwrap().expose_secret(), "hunter2");
    }

    #[test]
    fn not_obscured() {
        for bad in ["", "short", "!!!!not base64!!!!", "YWFhYWFhYWFhYWFhYWFh"] {
            assert!(reveal(bad).is_err(), "{bad:?}");
        }
    }
}
