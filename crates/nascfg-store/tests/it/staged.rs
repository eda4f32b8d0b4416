use nascfg_crypto::Seed;
use nascfg_store::{
    Error, StagedDb, Store, inspect_database, migrate_database, strip_secrets, verify_secrets_open,
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
    other
        .install(&other.lock().unwrap(), StagedDb::Copy(&snap), None)
        .unwrap();
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

/// A store large enough for the row checks to run in several shares (of
/// 1,024 credentials by id, taken in turn by two threads), changed by SQL in
/// each case: the first bad row in id order is reported, whichever share it
/// is in, and the seed's pass proves the credentials open only when every
/// one did.
#[test]
fn row_checks_in_shares_report_the_first_bad_row() {
    let (t, dir) = temp_dir();
    let mut store = Store::open(&dir).unwrap();
    let creds: Vec<_> = (0..5000)
        .map(|i| crate::s3(&format!("cred-{i}"), &format!("secret-{i}")))
        .collect();
    store.add_credentials(&creds).unwrap();
    let snap = t.path().join("snap.db");
    store.snapshot_to(&snap).unwrap();
    let seed = store.seed().unwrap().clone();
    drop(store);
    // (change, what check_database says (the row|the reason), whether it
    // proved the secrets open)
    let cases: &[(&str, &str, bool)] = &[
        ("", "ok", true),
        (
            "UPDATE credential SET attributes = '[]' WHERE name = 'cred-4990'",
            "the credential \"cred-4990\"|its attributes are not a JSON object",
            false,
        ),
        (
            "UPDATE credential SET attributes = '[]' WHERE name IN ('cred-10', 'cred-4990')",
            "the credential \"cred-10\"|its attributes are not a JSON object",
            false,
        ),
        (
            "UPDATE credential SET uid = 'XYZ' WHERE name = 'cred-3000'",
            "the credential \"cred-3000\"|its uid is not 32 lowercase hexadecimal digits",
            false,
        ),
        (
            "UPDATE credential SET name = x'00ff' WHERE name = 'cred-4000'",
            "credential row 4001 |its name is not text",
            false,
        ),
        (
            "UPDATE credential SET attributes = json_set(attributes, '$.endpoint', 'not a url') WHERE name = 'cred-4999'",
            "the credential \"cred-4999\"|endpoint",
            false,
        ),
        // The sealed values, read in place beside their credential.
        (
            "UPDATE credential_secret SET sealed = x'00ff' WHERE credential_id = 2500 AND field = 'secret_access_key'",
            "the credential \"cred-2499\"|its sealed secret_access_key is not text",
            false,
        ),
        (
            "UPDATE credential_secret SET sealed = CAST('nsv1.' AS BLOB) WHERE credential_id = 1500 AND field = 'secret_access_key'",
            "the credential \"cred-1499\"|its sealed secret_access_key is not text",
            false,
        ),
        (
            "UPDATE credential_secret SET sealed = 'nsv1.x' WHERE credential_id = 600 AND field = 'secret_access_key'",
            "the credential \"cred-599\"|its sealed secret_access_key is not a sealed value",
            false,
        ),
        (
            "UPDATE credential_secret SET field = x'00ff' WHERE credential_id = 513 AND field = 'secret_access_key'",
            "the credential \"cred-512\"|its sealed field name is not text",
            false,
        ),
        (
            "UPDATE credential_secret SET field = 'endpoint' WHERE credential_id = 4999 AND field = 'secret_access_key'",
            "the credential \"cred-4998\"|a sealed value for \"endpoint\", not a secret field of S3",
            false,
        ),
        // Sealed under another credential's uid: well-formed, but it does not open.
        (
            "UPDATE credential_secret SET sealed = (SELECT sealed FROM credential_secret WHERE credential_id = 1) WHERE credential_id = 4000",
            "ok",
            false,
        ),
    ];
    for (i, (change, expected, proved)) in cases.iter().enumerate() {
        let copy = t.path().join(format!("case-{i}.db"));
        std::fs::copy(&snap, &copy).unwrap();
        if !change.is_empty() {
            let conn = rusqlite::Connection::open(&copy).unwrap();
            conn.execute_batch(change).unwrap();
        }
        match nascfg_store::check_database(&copy, Some(&seed)) {
            Ok((info, opened)) => {
                assert_eq!(*expected, "ok", "case {i}");
                assert_eq!(info.credentials, 5000, "case {i}");
                assert_eq!(opened.is_some(), *proved, "case {i}");
                let full = verify_secrets_open(&copy, &seed);
                let after = nascfg_store::verify_secrets_open_after(&copy, &seed, opened.as_ref());
                assert_eq!(
                    full.as_ref().map_err(ToString::to_string),
                    after.as_ref().map_err(ToString::to_string),
                    "case {i}"
                );
                assert_eq!(full.is_ok(), *proved, "case {i}");
                // Another seed proves nothing (its fingerprint is not the database's).
                let (_, other) =
                    nascfg_store::check_database(&copy, Some(&Seed::generate())).unwrap();
                assert!(other.is_none(), "case {i}");
            }
            Err(e) => {
                let text = e.to_string();
                assert!(
                    expected.split('|').all(|part| text.contains(part)),
                    "case {i}: {text}"
                );
                assert_eq!(
                    inspect_database(&copy)
                        .map(|_| ())
                        .map_err(|e| e.to_string()),
                    Err(text),
                    "case {i}: the same error without a seed"
                );
            }
        }
    }
}

/// The proof of `check_database` covers the signing key and the key pairs
/// only when they opened: a private key that does not open under the seed
/// is still reported by `verify_secrets_open_after`, as by a full check.
#[test]
fn proof_of_keys_holds_only_when_they_open() {
    let (t, dir) = temp_dir();
    let mut store = Store::open(&dir).unwrap();
    store
        .add_credentials(&[crate::s3("cred-0", "secret-0")])
        .unwrap();
    store
        .generate_keypair("k1", nascfg_store::KeyType::Ed25519)
        .unwrap();
    let signer = store.signing_key().unwrap();
    let snap = t.path().join("snap.db");
    store.snapshot_to(&snap).unwrap();
    let seed = store.seed().unwrap().clone();
    drop(store);
    // (change, whether every secret opens)
    let cases: &[(&str, bool)] = &[
        ("", true),
        // Sealed under another context: well-formed, but they do not open.
        (
            "UPDATE keypair SET private_key_sealed = (SELECT private_key_sealed FROM signing_key)",
            false,
        ),
        (
            "UPDATE signing_key SET private_key_sealed = (SELECT private_key_sealed FROM keypair)",
            false,
        ),
    ];
    for (i, (change, opens)) in cases.iter().enumerate() {
        let copy = t.path().join(format!("case-{i}.db"));
        std::fs::copy(&snap, &copy).unwrap();
        if !change.is_empty() {
            let conn = rusqlite::Connection::open(&copy).unwrap();
            conn.execute_batch(change).unwrap();
        }
        let (info, opened) = nascfg_store::check_database(&copy, Some(&seed)).unwrap();
        assert_eq!(
            info.signer.as_ref().map(|k| k.key_data()),
            Some(signer.public_key().key_data()),
            "case {i}"
        );
        // The credentials opened either way.
        assert!(opened.is_some(), "case {i}");
        let full = verify_secrets_open(&copy, &seed);
        let after = nascfg_store::verify_secrets_open_after(&copy, &seed, opened.as_ref());
        assert_eq!(full.is_ok(), *opens, "case {i}: {full:?}");
        assert_eq!(
            full.map_err(|e| e.to_string()),
            after.map_err(|e| e.to_string()),
            "case {i}"
        );
    }
}
