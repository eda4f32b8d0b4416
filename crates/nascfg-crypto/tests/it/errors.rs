//! The text of every error a user can see: clear, and never secret.

use nascfg_crypto::{Error, SealingKey, Seed};

#[test]
fn error_texts() {
    let a = SealingKey::derive(&Seed::from_bytes(&[1; 32]).unwrap()).key_id();
    let b = SealingKey::derive(&Seed::from_bytes(&[2; 32]).unwrap()).key_id();
    let errors = [
        Error::SeedLength { len: 31 },
        Error::Io {
            path: "/data/secret-seed".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        },
        Error::Stream(std::io::Error::from(std::io::ErrorKind::UnexpectedEof)),
        Error::Malformed("sealed value is truncated"),
        Error::UnsupportedVersion(2),
        Error::WrongKey {
            expected: a,
            found: b,
        },
        Error::Damaged,
        Error::WrongPassphrase,
        Error::NotPassphraseProtected,
        Error::ExcessiveWork { required: 40 },
        Error::DamagedPassphraseFile,
    ];
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    insta::assert_snapshot!(text.join("\n"));
}
