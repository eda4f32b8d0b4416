//! Property: any store survives export and restore onto a new box, with its
//! seed every secret opens; without it the restore is refused, and with
//! `--allow-lost-secrets` every credential is there, marked.

use nascfg_bundle::{ExportOptions, RestoreCase, RestoreOptions};
use nascfg_credentials::ProviderKind;
use nascfg_crypto::WorkFactor;
use nascfg_crypto::secrecy::{ExposeSecret, SecretString};
use nascfg_store::{DataDir, Store};
use proptest::prelude::*;

use crate::support::{credential, populate, tree_hash};

#[test]
fn the_generator_covers_most_providers() {
    let made: Vec<_> = ProviderKind::ALL
        .iter()
        .filter(|p| credential("x", **p, "salt", Some("key-0")).is_some())
        .collect();
    assert!(made.len() >= 12, "only {} providers: {made:?}", made.len());
}

fn check_roundtrip(
    creds: Vec<(usize, String)>,
    keypairs: usize,
    include_seed: bool,
    passphrase: bool,
) {
    let tmp = tempfile::tempdir().unwrap();
    let source = DataDir::new(tmp.path().join("source"));
    let made = populate(&source, &creds, keypairs);
    let mut store = Store::open(&source).unwrap();
    let expected: Vec<_> = made
        .iter()
        .map(|c| store.credential(c.name()).unwrap())
        .collect();
    let private: Vec<_> = (0..keypairs)
        .map(|i| {
            store
                .keypair_private(&format!("key-{i}"))
                .unwrap()
                .expose_secret()
                .to_owned()
        })
        .collect();
    let bundle = tmp.path().join("b.tar.gz");
    let pass = passphrase.then(|| SecretString::from("correct horse"));
    let options = ExportOptions {
        include_seed,
        passphrase: pass.clone(),
        work_factor: WorkFactor::new(10),
        ..Default::default()
    };
    let report = nascfg_bundle::export(&store, &bundle, &options).unwrap();
    assert_eq!(report.manifest.counts.credentials, made.len() as u64);
    drop(store);

    let with_seed_file = RestoreOptions {
        seed: (!include_seed).then(|| nascfg_store::load_seed(&source.seed_path()).unwrap()),
        unlock: &nascfg_bundle::UnlockWith::from_passphrase(pass.clone()),
        ..Default::default()
    };
    let target = DataDir::new(tmp.path().join("target"));
    let restored = nascfg_bundle::restore(&target, &bundle, &with_seed_file).unwrap();
    let sealed =
        !made.is_empty() && made.iter().any(|c| !c.secret_attributes().is_empty()) || keypairs > 0;
    match restored.case {
        RestoreCase::SeedFromBundle { .. } => assert!(include_seed),
        RestoreCase::SeedFromFile { .. } => assert!(!include_seed && sealed),
        RestoreCase::NoSecrets => assert!(!include_seed && !sealed),
        other => panic!("unexpected {other:?}"),
    }
    let mut new = Store::open(&target).unwrap();
    let got: Vec<_> = made
        .iter()
        .map(|c| new.credential(c.name()).unwrap())
        .collect();
    assert_eq!(got, expected);
    for (i, key) in private.iter().enumerate() {
        assert_eq!(
            new.keypair_private(&format!("key-{i}"))
                .unwrap()
                .expose_secret(),
            key
        );
    }
    drop(new);
    if include_seed || !sealed {
        return;
    }

    // Without the seed: refused, nothing written.
    let bare = DataDir::new(tmp.path().join("bare"));
    let refused = RestoreOptions {
        unlock: &nascfg_bundle::UnlockWith::from_passphrase(pass.clone()),
        ..Default::default()
    };
    let before = tree_hash(bare.path());
    let err = nascfg_bundle::restore(&bare, &bundle, &refused).unwrap_err();
    assert!(
        matches!(err, nascfg_bundle::Error::SecretsWouldBeLost { .. }),
        "{err:?}"
    );
    assert_eq!(before, tree_hash(bare.path()));

    let lost = RestoreOptions {
        allow_lost_secrets: true,
        unlock: &nascfg_bundle::UnlockWith::from_passphrase(pass),
        ..Default::default()
    };
    let report = nascfg_bundle::restore(&bare, &bundle, &lost).unwrap();
    let with_secrets = made
        .iter()
        .filter(|c| !c.secret_attributes().is_empty())
        .count();
    assert_eq!(
        report.case,
        RestoreCase::SecretsDropped {
            credentials: with_secrets,
            keypairs
        }
    );
    let store = Store::open(&bare).unwrap();
    let list = store.list_credentials().unwrap();
    assert_eq!(list.len(), made.len());
    for (summary, cred) in list.iter().zip(&made) {
        assert_eq!(summary.name, cred.name());
        assert_eq!(summary.provider, cred.provider());
        assert_eq!(summary.needs_secrets, !cred.secret_attributes().is_empty());
        assert_eq!(summary.attributes, cred.plain_attributes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn export_restore_round_trip(
        creds in proptest::collection::vec((0usize..18, "[a-zA-Z0-9]{1,12}"), 0..5),
        keypairs in 0usize..2,
        include_seed in any::<bool>(),
        passphrase in proptest::bool::weighted(0.25),
    ) {
        check_roundtrip(creds, keypairs, include_seed, passphrase);
    }
}
