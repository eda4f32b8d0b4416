use nascfg_crypto::Seed;
use nascfg_store::{
    Error, Store, inspect_database, migrate_database, strip_secrets, verify_secrets_open,
};

use crate::{store_with, temp_dir};

#[test]
fn strip_then_restore_marks_credentials() {
    let (t, dir) = temp_dir();
    let mut store = store_with(&dir, 3);
    store
        .generate_keypair("k", nascfg_store::KeyType::Ed25519)
        .unwrap();
    let snap = t.path().join("snap.db");
    store.snapshot_to(&snap).unwrap();
    let seed = store.seed().unwrap().clone();
    verify_secrets_open(&snap, &seed).unwrap();
    assert!(matches!(
        verify_secrets_open(&snap, &Seed::generate()),
        Err(Error::SeedMismatch { .. })
    ));
    migrate_database(&snap).unwrap();
    assert_eq!(strip_secrets(&snap).unwrap(), 3);
    let info = inspect_database(&snap).unwrap();
    assert_eq!(
        (
            info.credentials,
            info.keypairs,
            info.sealed_values,
            info.fingerprint
        ),
        (3, 1, 0, None)
    );
    drop(store);
    // Installed on another box: listed, marked, and fixable.
    let (_t2, other) = temp_dir();
    drop(Store::open(&other).unwrap());
    other.install(&other.lock().unwrap(), &snap, None).unwrap();
    let mut store = Store::open(&other).unwrap();
    let list = store.list_credentials().unwrap();
    assert!(list.iter().all(|c| c.needs_secrets));
    assert!(matches!(
        store.credential("cred-0"),
        Err(Error::NeedsSecrets { .. })
    ));
    assert!(matches!(
        store.keypair_private("k"),
        Err(Error::NeedsSecrets { .. })
    ));
    let changes = serde_json::json!({"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "new-secret"}).as_object().unwrap().clone();
    store.update_credential("cred-0", changes, None).unwrap();
    assert_eq!(
        crate::secret(&store.credential("cred-0").unwrap(), "secret_access_key"),
        "new-secret"
    );
}

#[test]
fn inspect_refuses_garbage() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("x.db");
    std::fs::write(&p, b"garbage garbage garbage garbage").unwrap();
    assert!(matches!(
        inspect_database(&p),
        Err(Error::NotADatabase { .. })
    ));
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.resize(4096, 0xAB);
    std::fs::write(&p, &bytes).unwrap();
    assert!(inspect_database(&p).is_err());
}
