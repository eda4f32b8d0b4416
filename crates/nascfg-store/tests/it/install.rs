use nascfg_store::{StagedDb, Store, inspect_database};

use crate::{secret, store_with, temp_dir};

#[test]
fn install_swaps_database_and_seed_keeping_the_old_ones() {
    let (_ta, a) = temp_dir();
    let (_tb, b) = temp_dir();
    let store_a = store_with(&a, 3);
    let snap = _ta.path().join("snap.db");
    store_a.snapshot_to(&snap).unwrap();
    let info = inspect_database(&snap).unwrap();
    assert_eq!(info.credentials, 3);
    assert_eq!(info.sealed_values, 6);
    let seed_a = store_a.seed().unwrap().clone();
    drop(store_a);
    drop(store_with(&b, 1));
    let installed = b
        .install(&b.lock().unwrap(), StagedDb::Copy(&snap), Some(&seed_a))
        .unwrap();
    let old_db = installed.previous_db.unwrap();
    assert!(old_db.exists());
    assert!(installed.previous_seed.unwrap().exists());
    let mut store = Store::open(&b).unwrap();
    assert_eq!(store.list_credentials().unwrap().len(), 3);
    assert_eq!(
        secret(&store.credential("cred-2").unwrap(), "secret_access_key"),
        "secret-2-xyzzy"
    );
    // The kept old database still holds its one credential.
    assert_eq!(inspect_database(&old_db).unwrap().credentials, 1);
}

#[test]
fn an_uncommitted_install_is_rolled_back() {
    let (_t, dir) = temp_dir();
    drop(store_with(&dir, 2));
    std::fs::write(dir.path().join("config.db.restore"), b"half").unwrap();
    std::fs::write(dir.path().join("secret-seed.restore"), b"half").unwrap();
    let store = Store::open(&dir).unwrap();
    assert_eq!(store.list_credentials().unwrap().len(), 2);
    assert!(!dir.path().join("config.db.restore").exists());
    assert!(!dir.path().join("secret-seed.restore").exists());
}

#[test]
fn a_committed_install_is_rolled_forward() {
    let (_ta, a) = temp_dir();
    let (_tb, b) = temp_dir();
    let store_a = store_with(&a, 4);
    let snap = _ta.path().join("snap.db");
    store_a.snapshot_to(&snap).unwrap();
    let seed = std::fs::read(a.seed_path()).unwrap();
    drop(store_a);
    drop(store_with(&b, 1));
    // Staged and committed, then "crashed".
    std::fs::copy(&snap, b.path().join("config.db.restore")).unwrap();
    std::fs::write(b.path().join("secret-seed.restore"), &seed).unwrap();
    std::fs::write(
        b.path().join("install.commit"),
        br#"{"stamp":"20260101T000000Z","seed":true}"#,
    )
    .unwrap();
    let mut store = Store::open(&b).unwrap();
    assert_eq!(store.list_credentials().unwrap().len(), 4);
    assert_eq!(
        secret(&store.credential("cred-3").unwrap(), "secret_access_key"),
        "secret-3-xyzzy"
    );
    assert!(b.path().join("config.db.old-20260101T000000Z").exists());
    assert!(b.path().join("secret-seed.old-20260101T000000Z").exists());
    assert!(!b.path().join("install.commit").exists());
}
