//! Known-answer tests of the formats the imports read and write
//! (`shared/reference/formats.md`): TrueNAS pwenc (both writers), rclone
//! obscure, rclone config encryption.

#![allow(clippy::unwrap_used)] // tests may unwrap

use nascfg_interop::pwenc;
use nascfg_interop::rclone;
use proptest::prelude::*;
use secrecy::{ExposeSecret as _, SecretString};

fn pwenc_key() -> pwenc::Secret {
    pwenc::Secret::from_bytes(&(0u8..32).collect::<Vec<_>>()).unwrap()
}
const NONCE: [u8; 8] = [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7];

fn check_pwenc(writer: pwenc::Writer, expected: &str) {
    assert_eq!(pwenc_key().encrypt("Donuts!", writer, NONCE), expected);
    assert_eq!(
        pwenc_key().decrypt(expected).unwrap().expose_secret(),
        "Donuts!"
    );
    assert!(pwenc_key().check(expected));
}

#[test]
fn pwenc_padded_writer() {
    check_pwenc(
        pwenc::Writer::Padded,
        "oKGio6SlpqdtpBDPMpLZqvnJCvjD0rlnhSKV0ypJCV6sBKHi9w1O0Q==",
    );
}

#[test]
fn pwenc_unpadded_writer() {
    check_pwenc(pwenc::Writer::Unpadded, "oKGio6SlpqdtpBDPMpLZ");
}

#[test]
fn pwenc_negative_vectors() {
    let wrong = pwenc::Secret::from_bytes(&[0x55; 32]).unwrap();
    assert!(!wrong.check("oKGio6SlpqdtpBDPMpLZ"));
    assert!(!wrong.check("oKGio6SlpqdtpBDPMpLZqvnJCvjD0rlnhSKV0ypJCV6sBKHi9w1O0Q=="));
    // Truncated (shorter than the nonce), not base64, tampered.
    assert!(pwenc_key().decrypt("oKGio6Sl").is_err());
    assert!(pwenc_key().decrypt("not base64!").is_err());
    assert!(!pwenc_key().check("oKGio6SlpqdtpBDPMpLa"));
    assert!(pwenc::Secret::from_bytes(&[0; 33]).is_err());
}

#[test]
fn obscure_vectors_reveal() {
    for (plain, obscured) in [
        ("", "YWFhYWFhYWFhYWFhYWFhYQ"),
        ("potato", "YWFhYWFhYWFhYWFhYWFhYXMaGgIlEQ"),
        ("potato", "YmJiYmJiYmJiYmJiYmJiYp3gcEWbAw"),
        (
            "correct horse battery staple 0123456789",
            "AAECAwQFBgcICQoLDA0OD2LwFVdisTSqpU56FmHArUNElUsrouDa8YMK068AEFBRBqYuL19MeA",
        ),
        ("password", "PDPcQVVjVtzFY-GTdDFozqBhTdsPg3qH"),
    ] {
        assert_eq!(
            rclone::reveal(obscured).unwrap().expose_secret(),
            plain,
            "{obscured}"
        );
    }
    // rclone's own error case: shorter than the IV.
    assert!(rclone::reveal("YWFhYWFh").is_err());
    let fresh = rclone::obscure("potato");
    assert_eq!(fresh.len(), "YWFhYWFhYWFhYWFhYWFhYXMaGgIlEQ".len());
    assert_eq!(rclone::reveal(&fresh).unwrap().expose_secret(), "potato");
}

#[test]
fn rclone_config_encryption_vector() {
    let nonce: [u8; 24] = core::array::from_fn(|i| i as u8);
    let password = SecretString::from("asdf".to_owned());
    let plain = rclone::Conf::parse(b"[remote]\ntype = local\n", None).unwrap();
    let text = plain.to_encrypted_text(&password, nonce);
    let body =
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXgQmGS/fSHQOQJHrn6QQJmItJBi046qDiO+UiEEJXxS5necdGj0Y=";
    // Our writer adds the blank line between sections that rclone writes, so
    // check the vector against rclone's exact plaintext too.
    let exact = format!("RCLONE_ENCRYPT_V0:\n{body}\n");
    let conf = rclone::Conf::parse(exact.as_bytes(), Some(&password)).unwrap();
    assert_eq!(conf.section("remote").unwrap().backend(), Some("local"));
    assert!(rclone::Conf::is_encrypted(exact.as_bytes()));
    let back = rclone::Conf::parse(text.as_bytes(), Some(&password)).unwrap();
    assert_eq!(back.section("remote").unwrap().backend(), Some("local"));
    // Wrong password, none, tampered body.
    let wrong = SecretString::from("asdg".to_owned());
    assert!(rclone::Conf::parse(exact.as_bytes(), Some(&wrong)).is_err());
    assert!(rclone::Conf::parse(exact.as_bytes(), None).is_err());
    let tampered = exact.replace("AAEC", "AAED");
    assert!(rclone::Conf::parse(tampered.as_bytes(), Some(&password)).is_err());
}

proptest! {
    /// Both writers' output decrypts to the plaintext (one that does not end
    /// in `{`, which TrueNAS's decryption strips), and obscure round-trips.
    #[test]
    fn pwenc_and_obscure_round_trip(text in "\\PC{0,80}", key in any::<[u8; 32]>(), nonce in any::<[u8; 8]>()) {
        let text = text.trim_end_matches('{');
        let secret = pwenc::Secret::from_bytes(&key).unwrap();
        for writer in [pwenc::Writer::Padded, pwenc::Writer::Unpadded] {
            let stored = secret.encrypt(text, writer, nonce);
            let opened = secret.decrypt(&stored).unwrap();
            prop_assert_eq!(opened.expose_secret(), text);
        }
        let revealed = rclone::reveal(&rclone::obscure(text)).unwrap();
        prop_assert_eq!(revealed.expose_secret(), text);
    }
}
