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
        Error::BadRecipient {
            line: Some(3),
            excerpt: "age1nope".into(),
            reason: "not a valid age X25519 recipient (age1…)",
        },
        Error::BadRecipient {
            line: None,
            excerpt: "ssh-dss AAAA".into(),
            reason: "only ssh-ed25519 and ssh-rsa SSH keys can be recipients",
        },
        Error::RecipientsFileTooLarge { limit: 1 << 20 },
        Error::TooManyRecipients { limit: 256 },
        Error::NoRecipients,
        Error::BadIdentity {
            line: Some(2),
            reason: "a damaged age identity (AGE-SECRET-KEY-1…)",
        },
        Error::IdentityFileTooLarge { limit: 256 << 10 },
        Error::IdentityPassphraseRequired,
        Error::WrongIdentityPassphrase,
        Error::WrongIdentity {
            recipients: vec![
                "X25519 (age's format names no key for it)".into(),
                "ssh-ed25519 tag 1a2b3c4d".into(),
            ],
            given: vec!["ssh-rsa tag 00ff00ff".into()],
        },
        Error::WrongIdentity {
            recipients: vec!["ssh-rsa tag 00ff00ff".into()],
            given: vec![],
        },
        Error::NotRecipientEncrypted,
    ];
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    insta::assert_snapshot!(text.join("\n"));
}
