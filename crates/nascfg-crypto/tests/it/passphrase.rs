//! Passphrase protection (age, scrypt recipient), within this crate; the
//! interop with the reference `age` tool is in the workspace's tests crate.

use std::io::{Read, Write};

use nascfg_crypto::{
    Error, WorkFactor, decrypt_with_passphrase, encrypt_with_passphrase, is_passphrase_protected,
    secrecy::SecretString,
};

const LOW: WorkFactor = WorkFactor::new(10);

fn pass(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn encrypt(passphrase: &str, plaintext: &[u8]) -> Vec<u8> {
    let mut w = encrypt_with_passphrase(&pass(passphrase), LOW, Vec::new()).unwrap();
    w.write_all(plaintext).unwrap();
    w.finish().unwrap()
}

fn decrypt(passphrase: &str, file: &[u8]) -> Result<Vec<u8>, Error> {
    let mut r = decrypt_with_passphrase(&pass(passphrase), file)?;
    let mut out = Vec::new();
    r.read_to_end(&mut out).map_err(Error::Stream)?;
    Ok(out)
}

#[test]
fn round_trip_streaming() {
    // Larger than one 64 KiB age chunk, written in odd pieces.
    let plaintext: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut w = encrypt_with_passphrase(&pass("correct horse"), LOW, Vec::new()).unwrap();
    for piece in plaintext.chunks(7777) {
        w.write_all(piece).unwrap();
    }
    let file = w.finish().unwrap();
    assert!(is_passphrase_protected(&file));
    assert!(file.starts_with(b"age-encryption.org/v1\n-> scrypt "));
    assert_eq!(decrypt("correct horse", &file).unwrap(), plaintext);
}

#[test]
fn empty_plaintext() {
    let file = encrypt("p", b"");
    assert_eq!(decrypt("p", &file).unwrap(), b"");
}

#[test]
fn wrong_passphrase() {
    let file = encrypt("right", b"secret");
    assert!(matches!(
        decrypt("wrong", &file),
        Err(Error::WrongPassphrase)
    ));
    assert_eq!(Error::WrongPassphrase.to_string(), "wrong passphrase");
}

#[test]
fn not_age() {
    for input in [
        &b""[..],
        b"age",
        b"\x1f\x8b\x08\x00 a gzip file",
        b"SQLite format 3\0",
    ] {
        assert!(!is_passphrase_protected(input));
        assert!(matches!(
            decrypt("p", input),
            Err(Error::NotPassphraseProtected)
        ));
    }
}

#[test]
fn damaged_payload_is_an_error() {
    let mut file = encrypt("p", &[42; 1000]);
    let last = file.len() - 20;
    file[last] ^= 1;
    assert!(decrypt("p", &file).is_err());
    let file = encrypt("p", &[42; 100_000]);
    // Truncated after the first chunk: the stream's last-chunk flag catches it.
    assert!(decrypt("p", &file[..file.len() - 30_000]).is_err());
}

#[test]
fn damaged_header() {
    let file = encrypt("p", b"x");
    let text = String::from_utf8_lossy(&file).into_owned();
    let header_end = text.find("\n---").unwrap();
    let mut bad = file.clone();
    bad[header_end + 6] ^= 1; // inside the header MAC
    assert!(matches!(
        decrypt("p", &bad),
        Err(Error::DamagedPassphraseFile)
    ));
}

#[test]
fn work_factor() {
    assert_eq!(WorkFactor::new(10).log_n(), Some(10));
    assert_eq!(WorkFactor::new(0).log_n(), Some(1));
    assert_eq!(WorkFactor::new(200).log_n(), Some(30));
    assert_eq!(WorkFactor::DEFAULT.log_n(), None);
    let file = encrypt("p", b"x");
    assert!(String::from_utf8_lossy(&file).contains(" 10\n"));
}

#[test]
fn age_file_without_passphrase_is_not_passphrase_protected() {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let mut w = encryptor.wrap_output(Vec::new()).unwrap();
    w.write_all(b"x").unwrap();
    let file = w.finish().unwrap();
    assert!(is_passphrase_protected(&file));
    assert!(matches!(
        decrypt("p", &file),
        Err(Error::NotPassphraseProtected)
    ));
}

#[test]
fn a_work_factor_beyond_the_memory_ceiling_is_refused_before_deriving() {
    // The review's file: 2^23 is 8 GiB of scrypt memory, within age's own
    // time ceiling on a fast machine. Refused from the header text.
    let file = encrypt("p", b"x");
    let text = String::from_utf8_lossy(&file).into_owned();
    let at = text.find(" 10\n").unwrap();
    for (log_n, memory) in [(b" 23\n", "8 GiB"), (b" 31\n", "2 TiB")] {
        let mut bad = file[..at].to_vec();
        bad.extend_from_slice(log_n);
        bad.extend_from_slice(&file[at + 4..]);
        let err = decrypt("p", &bad).expect_err("refused");
        assert!(matches!(err, Error::ExcessiveWork { .. }), "{err:?}");
        assert!(err.to_string().contains(memory), "{err}");
    }
    assert_eq!(nascfg_crypto::MAX_OPEN_LOG_N, 22);
}

#[test]
fn excessive_work_factor_is_refused_before_the_work() {
    // Rewrite the stanza's work factor to 2^40: refused at once, no scrypt run.
    let file = encrypt("p", b"x");
    let text = String::from_utf8_lossy(&file).into_owned();
    let at = text.find(" 10\n").unwrap();
    let mut bad = file[..at].to_vec();
    bad.extend_from_slice(b" 40\n");
    bad.extend_from_slice(&file[at + 4..]);
    assert!(matches!(
        decrypt("p", &bad),
        Err(Error::ExcessiveWork { required: 40 })
    ));
}
