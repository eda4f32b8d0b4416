//! Passphrase protection interoperates with the reference `age` tool, both ways.

use std::io::{Read, Write};

use nascfg_crypto::{
    Error, WorkFactor, decrypt_with_passphrase, encrypt_with_passphrase, secrecy::SecretString,
};
use nascfg_tests::age_tool;

fn pass(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn plaintext() -> Vec<u8> {
    // Several 64 KiB age chunks plus a partial one.
    (0..150_000u32).map(|i| (i * 7 % 256) as u8).collect()
}

#[test]
fn nascfg_writes_age_reads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bundle.age");
    let mut writer = encrypt_with_passphrase(
        &pass("ünïcode passphrase with spaces"),
        WorkFactor::new(10),
        std::fs::File::create(&file).unwrap(),
    )
    .unwrap();
    writer.write_all(&plaintext()).unwrap();
    writer.finish().unwrap().sync_all().unwrap();

    let opened = age_tool::decrypt_with_passphrase(&file, "ünïcode passphrase with spaces");
    assert!(opened == plaintext(), "age -d returned other bytes");

    let err = age_tool::try_decrypt_with_passphrase(&file, "not the passphrase").unwrap_err();
    assert!(err.contains("incorrect passphrase"), "{err}");
}

#[test]
fn age_writes_nascfg_reads() {
    let file = age_tool::encrypt_with_passphrase(&plaintext(), "correct horse battery staple");
    assert!(file.starts_with(b"age-encryption.org/v1\n-> scrypt "));

    let mut reader =
        decrypt_with_passphrase(&pass("correct horse battery staple"), &file[..]).unwrap();
    let mut opened = Vec::new();
    reader.read_to_end(&mut opened).unwrap();
    assert!(opened == plaintext(), "nascfg returned other bytes");

    assert!(matches!(
        decrypt_with_passphrase(&pass("wrong"), &file[..]),
        Err(Error::WrongPassphrase)
    ));
}
