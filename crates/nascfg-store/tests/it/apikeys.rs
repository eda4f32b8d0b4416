//! API keys: created once, stored as Argon2id hashes, checked, listed,
//! deleted; a staged database with an altered key row is refused.

use nascfg_credentials::secrecy::ExposeSecret;
use nascfg_store::{ApiKeyRole, Error, Store, inspect_database};

use crate::temp_dir;

#[test]
fn create_check_list_delete() {
    let (t, dir) = temp_dir();
    let mut store = Store::open(&dir).unwrap();
    let admin = store
        .create_api_key("terraform", ApiKeyRole::Admin)
        .unwrap();
    let reader = store
        .create_api_key("grafana", ApiKeyRole::Readonly)
        .unwrap();
    let key = admin.key.expose_secret().to_owned();
    assert!(key.starts_with(&format!("{}-", admin.summary.id)));
    assert_eq!(key.len(), 2 + 64);
    let found = store.authenticate_api_key(&key).unwrap().unwrap();
    assert_eq!(found, admin.summary);
    let wrong_secret = format!("{}-{}", admin.summary.id, &reader.key.expose_secret()[2..]);
    for bad in [
        "",
        "1",
        "1-",
        &wrong_secret,
        &format!("99-{}", &key[2..]),
        &format!("{} ", key),
    ] {
        assert_eq!(store.authenticate_api_key(bad).unwrap(), None, "{bad:?}");
    }
    assert!(matches!(
        store.create_api_key("terraform", ApiKeyRole::Readonly),
        Err(Error::Duplicate {
            what: "API key",
            ..
        })
    ));
    assert!(matches!(
        store.create_api_key("", ApiKeyRole::Readonly),
        Err(Error::InvalidName { .. })
    ));
    let names: Vec<(String, ApiKeyRole)> = store
        .api_keys()
        .unwrap()
        .into_iter()
        .map(|k| (k.name, k.role))
        .collect();
    assert_eq!(
        names,
        [
            ("terraform".to_owned(), ApiKeyRole::Admin),
            ("grafana".to_owned(), ApiKeyRole::Readonly)
        ]
    );
    // Nothing of the key is stored but its hash.
    let db = std::fs::read(dir.db_path()).unwrap();
    let wal = std::fs::read(dir.path().join("config.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(64).any(|w| w == &key.as_bytes()[2..]));
    }
    store.delete_api_key("terraform").unwrap();
    assert_eq!(store.authenticate_api_key(&key).unwrap(), None);
    assert_eq!(store.api_key(admin.summary.id).unwrap(), None);
    assert!(matches!(
        store.delete_api_key("terraform"),
        Err(Error::NotFound {
            what: "API key",
            ..
        })
    ));
    drop(t);
}

#[test]
fn restore_checks_api_key_rows() {
    let (t, dir) = temp_dir();
    let mut store = Store::open(&dir).unwrap();
    store.create_api_key("ci", ApiKeyRole::Admin).unwrap();
    let cases = [
        ("UPDATE api_key SET hash = 'plain'", "hash"),
        ("UPDATE api_key SET role = 'root'", "role"),
        ("UPDATE api_key SET name = ''", "name"),
        (
            "UPDATE api_key SET created_at = 'yesterday'",
            "creation time",
        ),
        ("UPDATE api_key SET role = 7", "role"),
    ];
    for (i, (sql, what)) in cases.iter().enumerate() {
        let snap = t.path().join(format!("snap-{i}.db"));
        store.snapshot_to(&snap).unwrap();
        inspect_database(&snap).unwrap();
        let conn = rusqlite::Connection::open(&snap).unwrap();
        conn.execute_batch(sql).unwrap();
        drop(conn);
        match inspect_database(&snap) {
            Err(Error::InvalidRow { reason, .. }) => {
                assert!(reason.contains(what), "{sql}: {reason}")
            }
            other => panic!("{sql}: {other:?}"),
        }
    }
}
