use nascfg_credentials::secrecy::{ExposeSecret, SecretString};
use nascfg_store::{Error, KeyType, Store};

use crate::{sftp, temp_dir};

#[test]
fn generate_import_delete_unbinds() {
    let (_t, dir) = temp_dir();
    let mut store = Store::open(&dir).unwrap();
    let kp = store.generate_keypair("k1", KeyType::Ed25519).unwrap();
    assert_eq!(kp.key_type, "ed25519");
    assert!(kp.public_key.starts_with("ssh-ed25519 AAAA"));
    assert!(kp.fingerprint.starts_with("SHA256:"));
    let private = store.keypair_private("k1").unwrap();
    assert!(
        private
            .expose_secret()
            .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----")
    );
    // Import the same text under another name: same public key.
    let imported = store.import_keypair("k2", &private).unwrap();
    assert_eq!(imported.fingerprint, kp.fingerprint);
    assert!(matches!(
        store.generate_keypair("k1", KeyType::Ed25519),
        Err(Error::Duplicate { .. })
    ));
    store.add_credential(&sftp("s1", "p", Some("k1"))).unwrap();
    store.add_credential(&sftp("s2", "p", Some("k2"))).unwrap();
    let unbound = store.delete_keypair("k1").unwrap();
    assert_eq!(unbound, ["s1"]);
    assert_eq!(store.credential("s1").unwrap().text("private_key"), None);
    assert_eq!(
        store.credential("s2").unwrap().text("private_key"),
        Some("k2")
    );
    assert_eq!(store.list_keypairs().unwrap().len(), 1);
    assert!(matches!(
        store.delete_keypair("k1"),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn bad_private_keys_are_refused() {
    let (_t, dir) = temp_dir();
    let mut store = Store::open(&dir).unwrap();
    for text in [
        "",
        "hello",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    ] {
        let r = store.import_keypair("x", &SecretString::from(text.to_owned()));
        assert!(matches!(r, Err(Error::InvalidKey { .. })), "{text:?}");
    }
    assert!(store.list_keypairs().unwrap().is_empty());
}
