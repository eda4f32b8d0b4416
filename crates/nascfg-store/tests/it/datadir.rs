use std::os::unix::fs::PermissionsExt;

use nascfg_store::{DataDir, Error, SCHEMA_VERSION, Store};

use crate::{store_with, temp_dir};

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn first_open_creates_private_files() {
    let (_t, dir) = temp_dir();
    let out = Store::init(&dir).unwrap();
    assert!(out.created_dir && out.created_seed && out.created_db);
    assert_eq!(mode(dir.path()), 0o700);
    assert_eq!(mode(&dir.db_path()), 0o600);
    assert_eq!(mode(&dir.seed_path()), 0o600);
    let again = Store::init(&dir).unwrap();
    assert!(!again.created_dir && !again.created_seed && !again.created_db);
    assert_eq!(again.fingerprint, out.fingerprint);
}

#[test]
fn resolve_prefers_explicit() {
    let d = DataDir::resolve(Some(std::path::Path::new("/x/y"))).unwrap();
    assert_eq!(d.path(), std::path::Path::new("/x/y"));
    assert_eq!(d.db_path(), std::path::Path::new("/x/y/config.db"));
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_alone() {
    let (_t, dir) = temp_dir();
    std::fs::create_dir_all(dir.path()).unwrap();
    std::fs::write(dir.db_path(), b"this is not a database at all, just text").unwrap();
    assert!(matches!(Store::open(&dir), Err(Error::NotADatabase { .. })));
    assert_eq!(
        std::fs::read(dir.db_path()).unwrap(),
        b"this is not a database at all, just text"
    );
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let (_t, dir) = temp_dir();
    drop(store_with(&dir, 1));
    let conn = rusqlite::Connection::open(dir.db_path()).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    drop(conn);
    let before = std::fs::read(dir.db_path()).unwrap();
    let err = Store::open(&dir).unwrap_err();
    assert!(
        matches!(err, Error::NewerSchema { found, supported } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION)
    );
    assert_eq!(std::fs::read(dir.db_path()).unwrap(), before);
}

#[test]
fn wrong_or_short_seed_refuses_secrets_but_lists() {
    let (_t, dir) = temp_dir();
    drop(store_with(&dir, 2));
    let good = std::fs::read(dir.seed_path()).unwrap();
    nascfg_crypto::Seed::generate()
        .write_to(&dir.seed_path())
        .unwrap();
    let mut store = Store::open(&dir).unwrap();
    assert_eq!(store.list_credentials().unwrap().len(), 2);
    assert!(matches!(
        store.credential("cred-0"),
        Err(Error::SeedMismatch { .. })
    ));
    assert!(matches!(
        store.add_credential(&crate::s3("x", "y")),
        Err(Error::SeedMismatch { .. })
    ));
    drop(store);
    std::fs::write(dir.seed_path(), &good[..16]).unwrap();
    let mut store = Store::open(&dir).unwrap();
    assert!(matches!(
        store.credential("cred-0"),
        Err(Error::SeedFile {
            problem: nascfg_store::SeedProblem::WrongLength { len: 16 },
            ..
        })
    ));
    drop(store);
    std::fs::remove_file(dir.seed_path()).unwrap();
    let mut store = Store::open(&dir).unwrap();
    assert!(matches!(
        store.credential("cred-0"),
        Err(Error::SeedMissing { .. })
    ));
    assert!(
        !dir.seed_path().exists(),
        "a missing seed is never replaced silently"
    );
    drop(store);
    std::fs::write(dir.seed_path(), &good).unwrap();
    let mut store = Store::open(&dir).unwrap();
    assert_eq!(
        crate::secret(&store.credential("cred-1").unwrap(), "secret_access_key"),
        "secret-1-xyzzy"
    );
}

#[test]
fn known_hosts_are_recorded() {
    let (_t, dir) = temp_dir();
    let mut store = Store::open(&dir).unwrap();
    assert_eq!(store.known_host("h", 22).unwrap(), None);
    store
        .record_known_host("h", 22, "ssh-ed25519 AAAA")
        .unwrap();
    store
        .record_known_host("h", 22, "ssh-ed25519 BBBB")
        .unwrap();
    assert_eq!(
        store.known_host("h", 22).unwrap().as_deref(),
        Some("ssh-ed25519 BBBB")
    );
}
