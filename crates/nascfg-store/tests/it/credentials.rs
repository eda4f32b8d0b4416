use nascfg_store::{Error, Store};
use serde_json::json;

use crate::{s3, secret, sftp, store_with, temp_dir};

#[test]
fn add_list_show_round_trip() {
    let (_t, dir) = temp_dir();
    let mut store = Store::open(&dir).unwrap();
    let id = store.add_credential(&s3("a", "s3cr3t-A")).unwrap();
    store.add_credential(&sftp("b", "pa55-B", None)).unwrap();
    let list = store.list_credentials().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].id, id);
    assert_eq!(
        list[0].secret_fields,
        ["access_key_id", "secret_access_key"]
    );
    assert!(!list[0].attributes.contains_key("secret_access_key"));
    assert_eq!(list[0].attributes["region"], "");
    assert_eq!(store.credential("a").unwrap(), s3("a", "s3cr3t-A"));
    drop(store);
    // Reopened: same.
    let mut store = Store::open(&dir).unwrap();
    assert_eq!(secret(&store.credential("b").unwrap(), "pass"), "pa55-B");
}

#[test]
fn duplicates_and_unknown_names_are_refused() {
    let (_t, dir) = temp_dir();
    let mut store = store_with(&dir, 1);
    assert!(matches!(
        store.add_credential(&s3("cred-0", "x")),
        Err(Error::Duplicate { .. })
    ));
    assert!(matches!(
        store.credential("nope"),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_credential("nope"),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.update_credential("nope", serde_json::Map::new(), Some("x")),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn update_rename_keeps_secrets_opening() {
    let (_t, dir) = temp_dir();
    let mut store = store_with(&dir, 2);
    let changes = json!({"region": "eu-west-1"}).as_object().unwrap().clone();
    let updated = store
        .update_credential("cred-0", changes, Some("renamed"))
        .unwrap();
    assert_eq!(updated.name(), "renamed");
    let c = store.credential("renamed").unwrap();
    assert_eq!(secret(&c, "secret_access_key"), "secret-0-xyzzy");
    assert_eq!(c.text("region"), Some("eu-west-1"));
    assert!(matches!(
        store.credential("cred-0"),
        Err(Error::NotFound { .. })
    ));
    // Renaming onto an existing name is refused.
    assert!(matches!(
        store.update_credential("renamed", serde_json::Map::new(), Some("cred-1")),
        Err(Error::Duplicate { .. })
    ));
    store.delete_credential("renamed").unwrap();
    assert_eq!(store.list_credentials().unwrap().len(), 1);
}

#[test]
fn sealed_value_moved_to_another_row_does_not_open() {
    let (_t, dir) = temp_dir();
    let mut store = store_with(&dir, 2);
    drop(store);
    let conn = rusqlite::Connection::open(dir.db_path()).unwrap();
    conn.execute(
        "UPDATE credential_secret SET sealed = (SELECT sealed FROM credential_secret WHERE credential_id = 2)
         WHERE credential_id = 1",
        [],
    )
    .unwrap();
    drop(conn);
    store = Store::open(&dir).unwrap();
    assert!(matches!(
        store.credential("cred-0"),
        Err(Error::SealedValue { .. })
    ));
    assert_eq!(
        secret(&store.credential("cred-1").unwrap(), "secret_access_key"),
        "secret-1-xyzzy"
    );
}

#[test]
fn sftp_keypair_reference_must_exist() {
    let (_t, dir) = temp_dir();
    let mut store = Store::open(&dir).unwrap();
    assert!(matches!(
        store.add_credential(&sftp("s", "p", Some("missing"))),
        Err(Error::NotFound {
            what: "key pair",
            ..
        })
    ));
}

#[test]
fn secrets_are_not_in_the_database_file() {
    let (_t, dir) = temp_dir();
    let mut store = Store::open(&dir).unwrap();
    store
        .add_credential(&s3("a", "VERY-DISTINCTIVE-SECRET-42"))
        .unwrap();
    drop(store);
    for file in [dir.db_path(), dir.path().join("config.db-wal")] {
        if let Ok(bytes) = std::fs::read(&file) {
            assert!(
                !bytes
                    .windows(26)
                    .any(|w| w == b"VERY-DISTINCTIVE-SECRET-42"),
                "{file:?}"
            );
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]
    /// Any secret comes back exactly as it went in, and never lies in the file as plaintext.
    #[test]
    fn secrets_round_trip(pass in "[A-Za-z0-9!@#%^&*()_+=-]{12,64}") {
        let (_t, dir) = temp_dir();
        let mut store = Store::open(&dir).unwrap();
        let attrs = json!({"host": "h", "user": "u", "pass": pass}).as_object().unwrap().clone();
        let c = nascfg_credentials::Credential::new("p", nascfg_credentials::ProviderKind::Ftp, attrs).unwrap();
        store.add_credential(&c).unwrap();
        proptest::prop_assert_eq!(secret(&store.credential("p").unwrap(), "pass"), pass.clone());
        drop(store);
        let bytes = std::fs::read(dir.db_path()).unwrap();
        let wal = std::fs::read(dir.path().join("config.db-wal")).unwrap_or_default();
        proptest::prop_assert!(!bytes.windows(pass.len()).any(|w| w == pass.as_bytes()));
        proptest::prop_assert!(!wal.windows(pass.len()).any(|w| w == pass.as_bytes()));
    }
}
