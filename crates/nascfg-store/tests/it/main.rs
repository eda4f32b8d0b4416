//! Integration tests of nascfg-store: one binary, one module per concern.
#![allow(clippy::unwrap_used)]

mod apikeys;
mod credentials;
mod datadir;
mod install;
mod keypairs;
mod restore_plan;
mod rotate;
mod seed_file;
mod signer;
mod staged;
mod strict_modes;

use nascfg_credentials::secrecy::ExposeSecret;
use nascfg_credentials::{Credential, ProviderKind};
use nascfg_store::{DataDir, Store};

/// A data directory in a fresh temporary directory.
pub fn temp_dir() -> (tempfile::TempDir, DataDir) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    (tmp, dir)
}

/// An S3 credential with a distinctive secret.
pub fn s3(name: &str, secret: &str) -> Credential {
    let attrs = serde_json::json!({
        "access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "secret_access_key": secret,
    });
    Credential::new(name, ProviderKind::S3, attrs.as_object().unwrap().clone()).unwrap()
}

/// An SFTP credential, optionally bound to a key pair.
pub fn sftp(name: &str, pass: &str, keypair: Option<&str>) -> Credential {
    let mut attrs = serde_json::json!({ "host": "127.0.0.1", "user": "backup", "pass": pass });
    if let Some(k) = keypair {
        attrs["private_key"] = k.into();
    }
    Credential::new(name, ProviderKind::Sftp, attrs.as_object().unwrap().clone()).unwrap()
}

/// The secret value of a field.
pub fn secret(c: &Credential, field: &str) -> String {
    c.secret(field).unwrap().expose_secret().to_owned()
}

/// A store with a few credentials.
pub fn store_with(dir: &DataDir, n: usize) -> Store {
    let mut store = Store::open(dir).unwrap();
    for i in 0..n {
        store
            .add_credential(&s3(&format!("cred-{i}"), &format!("secret-{i}-xyzzy")))
            .unwrap();
    }
    store
}
