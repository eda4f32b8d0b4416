//! The seed file, fingerprints and secret-file writes.

use std::{fs, os::unix::fs::PermissionsExt};

use nascfg_crypto::{Error, Fingerprint, SealingKey, Seed, write_secret_file};

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn write_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret-seed");
    let seed = Seed::generate();
    seed.write_to(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(fs::read(&path).unwrap(), seed.expose_bytes());
    let (loaded, warning) = Seed::load_checked(&path).unwrap();
    assert_eq!(loaded.expose_bytes(), seed.expose_bytes());
    assert_eq!(warning, None);
    // Overwriting keeps 0600 and leaves no temporary file behind.
    Seed::generate().write_to(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn readable_by_others_warns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret-seed");
    Seed::generate().write_to(&path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let (_, warning) = Seed::load_checked(&path).unwrap();
    let warning = warning.unwrap();
    assert!(warning.contains("mode 0644"), "{warning}");
    assert!(Seed::load(&path).is_ok());
}

#[test]
fn wrong_length() {
    let dir = tempfile::tempdir().unwrap();
    for len in [0usize, 1, 31, 33, 64, 100_000] {
        let path = dir.path().join(format!("seed-{len}"));
        fs::write(&path, vec![0xAB; len]).unwrap();
        let err = Seed::load(&path).unwrap_err();
        assert!(
            matches!(err, Error::SeedLength { len: l } if l == len as u64),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!("the secret seed must be exactly 32 bytes, but this one has {len} bytes")
        );
        assert!(matches!(
            Seed::from_bytes(&vec![1; len]),
            Err(Error::SeedLength { .. })
        ));
    }
}

#[test]
fn missing_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope");
    let err = Seed::load(&path).unwrap_err();
    assert!(matches!(&err, Error::Io { path: p, .. } if *p == path));
    assert!(err.to_string().contains("nope"));
}

#[test]
fn debug_shows_no_secret() {
    let seed = Seed::from_bytes(&[0x5A; 32]).unwrap();
    let debug = format!("{seed:?}");
    assert!(debug.starts_with("Seed { fingerprint: \"nfp1:"), "{debug}");
    assert!(!debug.to_lowercase().contains("5a5a"), "{debug}");
    assert!(!debug.contains("90, 90"), "{debug}");
    let key = format!("{:?}", SealingKey::derive(&seed));
    assert!(key.starts_with("SealingKey { key_id: KeyId("), "{key}");
}

#[test]
fn fingerprint_text() {
    let seed = Seed::from_bytes(&(0u8..32).collect::<Vec<_>>()).unwrap();
    let fp = seed.fingerprint();
    assert_eq!(fp.to_string(), "nfp1:6913-f6fb-9a16-1ed5");
    assert_eq!(
        "nfp1:6913-f6fb-9a16-1ed5".parse::<Fingerprint>().unwrap(),
        fp
    );
    assert_eq!(
        "nfp1:6913-F6FB-9A16-1ED5".parse::<Fingerprint>().unwrap(),
        fp
    );
    assert_eq!(
        serde_json::to_string(&fp).unwrap(),
        "\"nfp1:6913-f6fb-9a16-1ed5\""
    );
    assert_eq!(
        serde_json::from_str::<Fingerprint>("\"nfp1:6913-f6fb-9a16-1ed5\"").unwrap(),
        fp
    );
    for bad in [
        "",
        "nfp1:",
        "nfp2:6913-f6fb-9a16-1ed5",
        "nfp1:6913f6fb9a161ed5",
        "nfp1:6913-f6fb-9a16-1ed",
        "nfp1:6913-f6fb-9a16-1ed55",
        "nfp1:6913-f6fb-9a1-61ed5",
        "nfp1:6913-f6fb-9a16-1edg",
        " nfp1:6913-f6fb-9a16-1ed5",
        "nfp1:6913-f6fb-9a16-1ed5-",
        "nfp1:+913-f6fb-9a16-1ed5",
    ] {
        assert!(
            matches!(bad.parse::<Fingerprint>(), Err(Error::Malformed(_))),
            "{bad}"
        );
    }
    assert!(serde_json::from_str::<Fingerprint>("\"nfp1:x\"").is_err());
    assert_ne!(Seed::generate().fingerprint(), fp);
}

#[test]
fn secret_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.age");
    write_secret_file(&path, b"one").unwrap();
    assert_eq!(mode(&path), 0o600);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    write_secret_file(&path, b"two").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"two");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    // A directory that does not exist: an error, nothing written.
    assert!(write_secret_file(&dir.path().join("no/such/file"), b"x").is_err());
}
