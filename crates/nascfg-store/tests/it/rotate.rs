use nascfg_store::Store;

use crate::{secret, store_with, temp_dir};

#[test]
fn rotate_reseals_everything_and_keeps_the_old_seed() {
    let (_t, dir) = temp_dir();
    let mut store = store_with(&dir, 5);
    store
        .generate_keypair("k", nascfg_store::KeyType::Ed25519)
        .unwrap();
    let old_seed = std::fs::read(dir.seed_path()).unwrap();
    let report = store.rotate_seed(&store.lock().unwrap()).unwrap();
    assert_eq!(report.resealed, 11);
    assert_ne!(report.old, report.new);
    let kept = report.old_seed_kept.unwrap();
    assert_eq!(std::fs::read(&kept).unwrap(), old_seed);
    assert!(!dir.path().join("secret-seed.new").exists());
    drop(store);
    let mut store = Store::open(&dir).unwrap();
    assert_eq!(store.seed_fingerprint().unwrap(), report.new);
    assert_eq!(store.fingerprint().unwrap(), Some(report.new));
    for i in 0..5 {
        assert_eq!(
            secret(
                &store.credential(&format!("cred-{i}")).unwrap(),
                "secret_access_key"
            ),
            format!("secret-{i}-xyzzy")
        );
    }
    store.keypair_private("k").unwrap();
    // Twice in a row: a second old seed file.
    let second = store.rotate_seed(&store.lock().unwrap()).unwrap();
    assert_ne!(second.old_seed_kept.unwrap(), kept);
}

/// Simulates a crash after the commit but before the seed file was switched.
#[test]
fn open_finishes_a_committed_rotation() {
    let (_t, dir) = temp_dir();
    drop(store_with(&dir, 3));
    let old = std::fs::read(dir.seed_path()).unwrap();
    let mut store = Store::open(&dir).unwrap();
    store.rotate_seed(&store.lock().unwrap()).unwrap();
    drop(store);
    // Put the state back to "committed, not renamed": new seed as .new, old as secret-seed.
    std::fs::rename(dir.seed_path(), dir.path().join("secret-seed.new")).unwrap();
    std::fs::write(dir.seed_path(), &old).unwrap();
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let e = e.unwrap();
        if e.file_name()
            .to_string_lossy()
            .starts_with("secret-seed.old-")
        {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    let mut store = Store::open(&dir).unwrap();
    assert_eq!(
        secret(&store.credential("cred-2").unwrap(), "secret_access_key"),
        "secret-2-xyzzy"
    );
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("secret-seed.old-")
        })
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read(kept[0].path()).unwrap(), old);
}

/// Simulates a crash before the commit: a stale .new is removed.
#[test]
fn open_drops_an_uncommitted_rotation() {
    let (_t, dir) = temp_dir();
    drop(store_with(&dir, 2));
    nascfg_crypto::Seed::generate()
        .write_to(&dir.path().join("secret-seed.new"))
        .unwrap();
    let mut store = Store::open(&dir).unwrap();
    assert!(!dir.path().join("secret-seed.new").exists());
    assert_eq!(
        secret(&store.credential("cred-1").unwrap(), "secret_access_key"),
        "secret-1-xyzzy"
    );
}
