//! The private-key reader on arbitrary text (the TrueNAS import feeds it
//! keychain rows): never panics; asks for the passphrase at most once; what it
//! returns is decrypted and writes back as an OpenSSH key that reads again
//! to the same key. The passphrase is the key fixtures' (`tests/fixtures/keys`, the seed
//! corpus), so encrypted seeds are decrypted and the fuzzer works past the KDF and cipher.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nascfg_store::parse_private_key;
use nascfg_store::ssh_key::{LineEnding, PrivateKey};
use secrecy::SecretString;

fuzz_target!(|text: &str| {
    let mut asked = 0;
    let parsed = parse_private_key(text, &mut || {
        asked += 1;
        Some(SecretString::from("fixture-pass"))
    });
    assert!(asked <= 1, "the passphrase was asked for {asked} times");
    if let Ok(key) = parsed {
        assert!(!key.is_encrypted());
        if let Ok(openssh) = key.to_openssh(LineEnding::LF) {
            let again = PrivateKey::from_openssh(openssh.as_bytes());
            assert!(again.is_ok_and(|k| k.public_key() == key.public_key()));
        }
    }
});
