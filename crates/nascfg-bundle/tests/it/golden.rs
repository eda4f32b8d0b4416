//! Committed golden bundles (tests/fixtures/bundles/) pin format version 1:
//! good ones restore with the expected credentials and secrets, bad ones fail
//! with the error named in `expected.json`.
//!
//! Regenerate with `NASCFG_UPDATE_GOLDEN=1 cargo test -p nascfg-bundle --test it golden`.
//! The seed and the time are fixed; the sealed values' nonces are random, so
//! regenerated bundles differ in bytes but not in meaning.

use std::path::{Path, PathBuf};

use nascfg_bundle::{ExportOptions, RestoreOptions};
use nascfg_credentials::ProviderKind;
use nascfg_crypto::secrecy::{ExposeSecret, SecretString};
use nascfg_crypto::{Seed, WorkFactor};
use nascfg_store::{DataDir, Store};

use crate::support::{Entry, credential, gzip, members, sha256, tar, tree_hash};

const SEED: [u8; 32] = *b"nascfg golden seed, never secret";
const PASSPHRASE: &str = "nascfg golden passphrase";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/bundles")
}

fn expected_credentials() -> Vec<(&'static str, ProviderKind, &'static str)> {
    vec![
        ("offsite-s3", ProviderKind::S3, "s3"),
        ("backup-b2", ProviderKind::B2, "b2"),
        ("home-sftp", ProviderKind::Sftp, "sftp"),
    ]
}

fn generate(out: &Path) {
    std::fs::create_dir_all(out).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::new(tmp.path().join("data"));
    std::fs::create_dir_all(data.path()).unwrap();
    Seed::from_bytes(&SEED)
        .unwrap()
        .write_to(&data.seed_path())
        .unwrap();
    let mut store = Store::open(&data).unwrap();
    store
        .generate_keypair("golden-key", nascfg_store::KeyType::Ed25519)
        .unwrap();
    for (name, provider, salt) in expected_credentials() {
        store
            .add_credential(&credential(name, provider, salt, Some("golden-key")).unwrap())
            .unwrap();
    }
    let created = Some(time::macros::datetime!(2026-01-01 00:00:00 UTC));
    let export = |file: &str, include_seed: bool, passphrase: Option<&str>| {
        let options = ExportOptions {
            include_seed,
            passphrase: passphrase.map(SecretString::from),
            work_factor: WorkFactor::new(10),
            created,
            // Regenerating the fixtures replaces them on purpose.
            existing: nascfg_bundle::Existing::Replace,
            ..Default::default()
        };
        nascfg_bundle::export(&store, &out.join(file), &options).unwrap();
    };
    export("good-no-seed.tar.gz", false, None);
    export("good-with-seed.tar.gz", true, None);
    export("good-passphrase.tar.gz.age", true, Some(PASSPHRASE));
    std::fs::write(out.join("seed.bin"), SEED).unwrap();

    let good = std::fs::read(out.join("good-with-seed.tar.gz")).unwrap();
    let m = members(&good);
    let named = |name: &str| &m.iter().find(|(n, _)| n == name).unwrap().1;
    let (manifest, db, seed) = (
        named("manifest.json"),
        named("config.db"),
        named("secret-seed"),
    );
    let full = |entries: &[Entry]| gzip(&tar(entries));
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_slice(manifest).unwrap();
        f(&mut v);
        serde_json::to_vec_pretty(&v).unwrap()
    };
    let mut tampered = db.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 0x01;
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"trailing");
    let bad: Vec<(&str, Vec<u8>)> = vec![
        (
            "bad-not-gzip.tar",
            tar(&[
                Entry::file("manifest.json", manifest),
                Entry::file("config.db", db),
            ]),
        ),
        ("bad-truncated.tar.gz", good[..good.len() / 2].to_vec()),
        ("bad-trailing.tar.gz", trailing),
        (
            "bad-dotdot.tar.gz",
            full(&[
                Entry::file("manifest.json", manifest),
                Entry::file("../config.db", db),
            ]),
        ),
        (
            "bad-absolute.tar.gz",
            full(&[
                Entry::file("manifest.json", manifest),
                Entry::file("/config.db", db),
            ]),
        ),
        (
            "bad-symlink.tar.gz",
            full(&[
                Entry::file("manifest.json", manifest),
                Entry {
                    name: "config.db".into(),
                    data: vec![],
                    kind: tar::EntryType::Symlink,
                    link: Some("/etc/shadow".into()),
                },
            ]),
        ),
        (
            "bad-duplicate.tar.gz",
            full(&[
                Entry::file("manifest.json", manifest),
                Entry::file("config.db", db),
                Entry::file("config.db", db),
            ]),
        ),
        (
            "bad-unknown-member.tar.gz",
            full(&[
                Entry::file("manifest.json", manifest),
                Entry::file("config.db", db),
                Entry::file("secret-seed", seed),
                Entry::file("extra", b"x"),
            ]),
        ),
        (
            "bad-manifest-not-first.tar.gz",
            full(&[
                Entry::file("config.db", db),
                Entry::file("manifest.json", manifest),
            ]),
        ),
        (
            "bad-manifest-malformed.tar.gz",
            full(&[Entry::file(
                "manifest.json",
                b"{\"format\": \"nascfg-bundle\",",
            )]),
        ),
        (
            "bad-version-2.tar.gz",
            full(&[
                Entry::file("manifest.json", &with(&|v| v["version"] = 2.into())),
                Entry::file("config.db", db),
                Entry::file("secret-seed", seed),
            ]),
        ),
        (
            "bad-hash.tar.gz",
            full(&[
                Entry::file("manifest.json", manifest),
                Entry::file("config.db", &tampered),
                Entry::file("secret-seed", seed),
            ]),
        ),
        (
            "bad-size.tar.gz",
            full(&[
                Entry::file(
                    "manifest.json",
                    &with(&|v| v["members"][0]["size"] = 4096.into()),
                ),
                Entry::file("config.db", db),
                Entry::file("secret-seed", seed),
            ]),
        ),
        (
            "bad-not-sqlite.tar.gz",
            full(&[
                Entry::file(
                    "manifest.json",
                    &with(&|v| {
                        v["members"][0]["size"] = 9.into();
                        v["members"][0]["sha256"] = sha256(b"not a db!").into();
                    }),
                ),
                Entry::file("config.db", b"not a db!"),
                Entry::file("secret-seed", seed),
            ]),
        ),
    ];
    let mut expected = serde_json::Map::new();
    let names = [
        "NotGzip",
        "Archive(Truncated",
        "Archive(TrailingData",
        "Archive(UnsafePath",
        "Archive(UnsafePath",
        "Archive(NotRegularFile",
        "Archive(DuplicateMember",
        "UnknownMember",
        "ManifestNotFirst",
        "Manifest",
        "UnsupportedVersion",
        "HashMismatch",
        "SizeMismatch",
        "Store(NotADatabase",
    ];
    for ((file, bytes), error) in bad.iter().zip(names) {
        std::fs::write(out.join(file), bytes).unwrap();
        expected.insert((*file).to_owned(), error.into());
    }
    expected.insert(
        "good-passphrase.tar.gz.age (wrong passphrase)".into(),
        "WrongPassphrase".into(),
    );
    std::fs::write(
        out.join("expected.json"),
        serde_json::to_vec_pretty(&expected).unwrap(),
    )
    .unwrap();
}

#[test]
fn golden_bundles() {
    let dir = dir();
    if std::env::var_os("NASCFG_UPDATE_GOLDEN").is_some() {
        generate(&dir);
    }
    let seed_file = dir.join("seed.bin");
    let fingerprint = Seed::from_bytes(&std::fs::read(&seed_file).unwrap())
        .unwrap()
        .fingerprint();
    let seed = nascfg_store::load_seed(&seed_file).unwrap();
    let cases: [(&str, Option<Seed>, Option<&str>); 3] = [
        ("good-no-seed.tar.gz", Some(seed), None),
        ("good-with-seed.tar.gz", None, None),
        ("good-passphrase.tar.gz.age", None, Some(PASSPHRASE)),
    ];
    for (file, seed, pass) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let target = DataDir::new(tmp.path().join("data"));
        let options = RestoreOptions {
            seed,
            unlock: &nascfg_bundle::UnlockWith::from_passphrase(pass.map(SecretString::from)),
            ..Default::default()
        };
        let report = nascfg_bundle::restore(&target, &dir.join(file), &options).unwrap();
        assert_eq!(report.manifest.created, "2026-01-01T00:00:00Z");
        assert_eq!(
            report.manifest.seed_fingerprint.as_deref(),
            Some(fingerprint.to_string().as_str())
        );
        let mut store = Store::open(&target).unwrap();
        assert_eq!(store.seed_fingerprint().unwrap(), fingerprint);
        for (name, provider, salt) in expected_credentials() {
            let got = store.credential(name).unwrap();
            let want = credential(name, provider, salt, Some("golden-key")).unwrap();
            assert_eq!(got, want, "{file}: {name}");
            assert!(!got.secret_attributes().is_empty());
        }
        assert!(
            store
                .keypair_private("golden-key")
                .unwrap()
                .expose_secret()
                .contains("OPENSSH PRIVATE KEY")
        );
    }

    let expected: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    assert!(expected.len() >= 15);
    for (file, error) in &expected {
        let error = error.as_str().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let target = DataDir::new(tmp.path().join("data"));
        Store::open(&target).unwrap();
        let before = tree_hash(target.path());
        let (path, pass) = match file.strip_suffix(" (wrong passphrase)") {
            Some(f) => (dir.join(f), Some(SecretString::from("wrong"))),
            None => (dir.join(file), None),
        };
        let options = RestoreOptions {
            allow_lost_secrets: true,
            unlock: &nascfg_bundle::UnlockWith::from_passphrase(pass),
            ..Default::default()
        };
        let err = nascfg_bundle::restore(&target, &path, &options).unwrap_err();
        assert!(
            format!("{err:?}").starts_with(error),
            "{file}: expected {error}, got {err:?}"
        );
        assert_eq!(before, tree_hash(target.path()), "{file}");
    }
}
