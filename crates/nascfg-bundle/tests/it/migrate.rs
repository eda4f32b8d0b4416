//! Schema version 2 (API keys) is the first real migration: the committed
//! golden bundles are version 1, and must still restore, migrated; a version
//! 2 bundle carries its API keys (hashes only) and refuses altered ones.

use std::path::Path;

use nascfg_bundle::{ExportOptions, RestoreOptions};
use nascfg_crypto::secrecy::ExposeSecret;
use nascfg_store::{ApiKeyRole, DataDir, SCHEMA_VERSION, Store};

fn golden(file: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/bundles")
        .join(file)
}

#[test]
fn version_1_bundles_restore_migrated() {
    assert_eq!(SCHEMA_VERSION, 3);
    let tmp = tempfile::tempdir().unwrap();
    let target = DataDir::new(tmp.path().join("data"));
    let report = nascfg_bundle::restore(
        &target,
        &golden("good-with-seed.tar.gz"),
        &RestoreOptions::default(),
    )
    .unwrap();
    assert_eq!(report.manifest.schema_version, 1);
    assert_eq!(report.migrated_from, Some(1));
    let mut store = Store::open(&target).unwrap();
    assert_eq!(store.list_credentials().unwrap().len(), 3);
    assert!(store.api_keys().unwrap().is_empty());
    let made = store
        .create_api_key("after-restore", ApiKeyRole::Admin)
        .unwrap();
    let found = store
        .authenticate_api_key(made.key.expose_secret())
        .unwrap()
        .unwrap();
    assert_eq!(found.name, "after-restore");
}

#[test]
fn api_keys_travel_as_hashes_and_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let source = DataDir::new(tmp.path().join("a"));
    let mut store = Store::open(&source).unwrap();
    let made = store.create_api_key("ci", ApiKeyRole::Readonly).unwrap();
    let bundle = tmp.path().join("b.tar.gz");
    let options = ExportOptions {
        include_seed: true,
        ..Default::default()
    };
    nascfg_bundle::export(&store, &bundle, &options).unwrap();
    drop(store);
    let bytes = std::fs::read(&bundle).unwrap();
    let secret = &made.key.expose_secret()[2..];
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the key's secret is not in the bundle"
    );
    let target = DataDir::new(tmp.path().join("b"));
    let report = nascfg_bundle::restore(&target, &bundle, &RestoreOptions::default()).unwrap();
    assert_eq!(report.migrated_from, None);
    let store = Store::open(&target).unwrap();
    let found = store
        .authenticate_api_key(made.key.expose_secret())
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.name.as_str(), found.role),
        ("ci", ApiKeyRole::Readonly)
    );
    assert_eq!(store.authenticate_api_key("1-wrong").unwrap(), None);
}
