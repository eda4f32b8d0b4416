//! The box's bundle-signing key: made by `init` or on first use, the same
//! across opens and a seed rotation, sealed (never in the database in the
//! clear), and made anew after a seed import into an empty store.

use nascfg_crypto::Seed;
use nascfg_store::Store;
use nascfg_store::ssh_key::{Algorithm, PublicKey};

use crate::{store_with, temp_dir};

fn public(store: &Store) -> PublicKey {
    store.signing_key().unwrap().public_key()
}

#[test]
fn init_makes_the_key_and_it_stays() {
    let (_t, dir) = temp_dir();
    Store::init(&dir).unwrap();
    let store = Store::open(&dir).unwrap();
    let made = store.signer_public_key().unwrap().expect("init made a key");
    assert_eq!(made.algorithm(), Algorithm::Ed25519);
    assert!(made.comment().starts_with("nascfg@"), "{made:?}");
    assert_eq!(public(&store).key_data(), made.key_data());
    // The private half is sealed: no OpenSSH private key in the file.
    let bytes = std::fs::read(dir.db_path()).unwrap();
    let needle = b"OPENSSH PRIVATE KEY";
    assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    // Signs in the SSHSIG namespace it is asked for, verifiably.
    let armored = store
        .signing_key()
        .unwrap()
        .sign("nascfg-bundle@v1", b"m")
        .unwrap();
    let sig: nascfg_store::ssh_key::SshSig = armored.parse().unwrap();
    made.verify("nascfg-bundle@v1", b"m", &sig).unwrap();
}

#[test]
fn a_store_without_a_key_makes_one_on_first_use_and_rotation_keeps_it() {
    let (_t, dir) = temp_dir();
    let mut store = store_with(&dir, 2);
    assert_eq!(store.signer_public_key().unwrap(), None);
    let first = public(&store);
    assert_eq!(public(&store).key_data(), first.key_data());
    let report = store.rotate_seed(&store.lock().unwrap()).unwrap();
    // Two sealed values per credential, and the signing key.
    assert_eq!(report.resealed, 5);
    drop(store);
    let store = Store::open(&dir).unwrap();
    assert_eq!(public(&store).key_data(), first.key_data());
}

#[test]
fn a_seed_import_into_an_empty_store_makes_a_new_key() {
    let (_t, dir) = temp_dir();
    Store::init(&dir).unwrap();
    let before = public(&Store::open(&dir).unwrap());
    let seed = Seed::generate();
    dir.import_seed(&dir.lock().unwrap(), &seed).unwrap();
    let store = Store::open(&dir).unwrap();
    assert_eq!(store.signer_public_key().unwrap(), None);
    assert_ne!(public(&store).key_data(), before.key_data());
}
