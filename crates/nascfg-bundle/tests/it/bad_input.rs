//! Every kind of bad bundle is refused with its own error, and the data
//! directory it was to be restored into stays byte-for-byte unchanged.

use std::path::Path;

use nascfg_bundle::{ExportOptions, Limits, RestoreOptions};
use nascfg_crypto::secrecy::SecretString;
use nascfg_crypto::{Seed, WorkFactor};
use nascfg_store::{DataDir, Store};

use crate::support::{Entry, gzip, members, populate, sha256, tar, tree_hash};

struct Fixture {
    _tmp: tempfile::TempDir,
    tmp: std::path::PathBuf,
    target: DataDir,
    manifest: serde_json::Value,
    db: Vec<u8>,
    seed: Vec<u8>,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let source = DataDir::new(tmp.path().join("source"));
    populate(&source, &[(0, "a".into()), (15, "b".into())], 1);
    let store = Store::open(&source).unwrap();
    let out = tmp.path().join("good.tar.gz");
    nascfg_bundle::export(
        &store,
        &out,
        &ExportOptions {
            include_seed: true,
            ..Default::default()
        },
    )
    .unwrap();
    let m = members(&std::fs::read(&out).unwrap());
    assert_eq!(
        m.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        [
            "manifest.json",
            "manifest.json.sig",
            "config.db",
            "secret-seed"
        ]
    );
    // The box restored into: its own store, another seed.
    let target = DataDir::new(tmp.path().join("target"));
    populate(&target, &[(0, "t".into())], 0);
    Fixture {
        tmp: tmp.path().to_path_buf(),
        manifest: serde_json::from_slice(&m[0].1).unwrap(),
        db: m[2].1.clone(),
        seed: m[3].1.clone(),
        _tmp: tmp,
        target,
    }
}

impl Fixture {
    fn manifest_without_seed(&self) -> serde_json::Value {
        let mut m = self.manifest.clone();
        m["seed_included"] = false.into();
        m["members"].as_array_mut().unwrap().truncate(1);
        m
    }

    fn bundle(&self, manifest: &serde_json::Value, db: &[u8]) -> Vec<u8> {
        let mut manifest = manifest.clone();
        manifest["members"][0]["size"] = db.len().into();
        manifest["members"][0]["sha256"] = sha256(db).into();
        gzip(&tar(&[
            Entry::file("manifest.json", &serde_json::to_vec(&manifest).unwrap()),
            Entry::file("config.db", db),
        ]))
    }

    /// Restores `bytes` and checks the error and that the target is unchanged.
    fn check(&self, label: &str, bytes: &[u8], options: &RestoreOptions<'_>, expected: &str) {
        let path = self.tmp.join(format!("{label}.bundle"));
        std::fs::write(&path, bytes).unwrap();
        let before = tree_hash(self.target.path());
        let err = nascfg_bundle::restore(&self.target, &path, options).expect_err(label);
        let shown = format!("{err:?}");
        assert!(
            shown.starts_with(expected),
            "{label}: expected {expected}, got {shown} ({err})"
        );
        assert_eq!(
            before,
            tree_hash(self.target.path()),
            "{label}: the data directory changed"
        );
        // inspect refuses it the same way
        if options.seed.is_none()
            && options.limits == nascfg_bundle::bundle_limits()
            && !expected.starts_with("SecretsWouldBeLost")
        {
            let err = nascfg_bundle::inspect(&path, options.unlock, None).expect_err(label);
            assert!(
                format!("{err:?}").starts_with(expected),
                "{label} (inspect): {err:?}"
            );
        }
    }
}

fn lenient() -> RestoreOptions<'static> {
    RestoreOptions {
        allow_lost_secrets: true,
        ..Default::default()
    }
}

#[test]
fn bad_bundles_are_refused_and_change_nothing() {
    let f = fixture();
    let o = lenient();
    let good_manifest = serde_json::to_vec(&f.manifest).unwrap();
    let full = |entries: &[Entry]| gzip(&tar(entries));
    let good = full(&[
        Entry::file("manifest.json", &good_manifest),
        Entry::file("config.db", &f.db),
        Entry::file("secret-seed", &f.seed),
    ]);
    let plain = f.manifest_without_seed();

    f.check(
        "not-gzip",
        &tar(&[Entry::file("manifest.json", &good_manifest)]),
        &o,
        "NotGzip",
    );
    f.check("empty", b"", &o, "NotGzip");
    for cut in [
        10,
        good.len() / 3,
        good.len() / 2,
        good.len() - 9,
        good.len() - 1,
    ] {
        f.check(
            &format!("truncated-{cut}"),
            &good[..cut],
            &o,
            "Archive(Truncated",
        );
    }
    // The tar cut short inside an intact gzip stream.
    let t = tar(&[
        Entry::file("manifest.json", &good_manifest),
        Entry::file("config.db", &f.db),
    ]);
    f.check(
        "tar-truncated",
        &gzip(&t[..t.len() - 1024]),
        &o,
        "Archive(Truncated",
    );
    f.check(
        "tar-cut-in-member",
        &gzip(&t[..1024 + 700]),
        &o,
        "Archive(Truncated",
    );
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"garbage");
    f.check("after-gzip", &trailing, &o, "Archive(TrailingData");
    let mut t2 = tar(&[
        Entry::file("manifest.json", &good_manifest),
        Entry::file("config.db", &f.db),
        Entry::file("secret-seed", &f.seed),
    ]);
    t2.extend_from_slice(b"garbage after the end of the archive");
    f.check("after-tar", &gzip(&t2), &o, "Archive(TrailingData");

    for name in ["../config.db", "/config.db", "a/../../x"] {
        f.check(
            "path",
            &full(&[
                Entry::file("manifest.json", &good_manifest),
                Entry::file(name, &f.db),
            ]),
            &o,
            "Archive(UnsafePath",
        );
    }
    for (kind, link) in [
        (tar::EntryType::Symlink, Some("/etc/passwd")),
        (tar::EntryType::Link, Some("manifest.json")),
        (tar::EntryType::Char, None),
        (tar::EntryType::Block, None),
        (tar::EntryType::Directory, None),
        (tar::EntryType::Fifo, None),
    ] {
        let e = Entry {
            name: "config.db".into(),
            data: vec![],
            kind,
            link: link.map(Into::into),
        };
        f.check(
            "special",
            &full(&[Entry::file("manifest.json", &good_manifest), e]),
            &o,
            "Archive(NotRegularFile",
        );
    }
    f.check(
        "duplicate",
        &full(&[
            Entry::file("manifest.json", &good_manifest),
            Entry::file("config.db", &f.db),
            Entry::file("config.db", &f.db),
        ]),
        &o,
        "Archive(DuplicateMember",
    );
    f.check(
        "unknown",
        &full(&[
            Entry::file("manifest.json", &good_manifest),
            Entry::file("config.db", &f.db),
            Entry::file("evil.sh", b"rm -rf /"),
        ]),
        &o,
        "UnknownMember",
    );
    f.check(
        "extra-member",
        &full(&[
            Entry::file("manifest.json", &serde_json::to_vec(&plain).unwrap()),
            Entry::file("config.db", &f.db),
            Entry::file("secret-seed", &f.seed),
        ]),
        &o,
        "UnknownMember",
    );
    f.check(
        "manifest-not-first",
        &full(&[
            Entry::file("config.db", &f.db),
            Entry::file("manifest.json", &good_manifest),
        ]),
        &o,
        "ManifestNotFirst",
    );
    f.check("manifest-missing", &full(&[]), &o, "ManifestMissing");
    f.check(
        "member-missing",
        &full(&[
            Entry::file("manifest.json", &good_manifest),
            Entry::file("config.db", &f.db),
        ]),
        &o,
        "MissingMember",
    );
    f.check(
        "manifest-malformed",
        &full(&[Entry::file("manifest.json", b"{not json")]),
        &o,
        "Manifest",
    );
    let mut v2 = f.manifest.clone();
    v2["version"] = 2.into();
    f.check("version-2", &f.bundle(&v2, &f.db), &o, "UnsupportedVersion");
    let mut other = f.manifest.clone();
    other["format"] = "tarball".into();
    f.check(
        "other-format",
        &f.bundle(&other, &f.db),
        &o,
        "UnknownFormat",
    );
    let mut extra = plain.clone();
    extra["surprise"] = 1.into();
    f.check("unknown-field", &f.bundle(&extra, &f.db), &o, "Manifest");

    // Sizes and hashes that disagree with the manifest.
    let mut wrong_size = plain.clone();
    wrong_size["members"][0]["size"] = (f.db.len() + 1).into();
    wrong_size["members"][0]["sha256"] = sha256(&f.db).into();
    f.check(
        "size",
        &full(&[
            Entry::file("manifest.json", &serde_json::to_vec(&wrong_size).unwrap()),
            Entry::file("config.db", &f.db),
        ]),
        &o,
        "SizeMismatch",
    );
    let mut tampered = f.db.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 1;
    let mut hashed = plain.clone();
    hashed["members"][0]["sha256"] = sha256(&f.db).into();
    f.check(
        "hash",
        &full(&[
            Entry::file("manifest.json", &serde_json::to_vec(&hashed).unwrap()),
            Entry::file("config.db", &tampered),
        ]),
        &o,
        "HashMismatch",
    );
    let mut seed_hash = f.manifest.clone();
    seed_hash["members"][1]["sha256"] = sha256(b"other").into();
    f.check(
        "seed-hash",
        &full(&[
            Entry::file("manifest.json", &serde_json::to_vec(&seed_hash).unwrap()),
            Entry::file("config.db", &f.db),
            Entry::file("secret-seed", &f.seed),
        ]),
        &o,
        "HashMismatch",
    );
    let mut short_seed = f.manifest.clone();
    short_seed["members"][1]["size"] = 31.into();
    f.check(
        "seed-31",
        &full(&[
            Entry::file("manifest.json", &serde_json::to_vec(&short_seed).unwrap()),
            Entry::file("config.db", &f.db),
            Entry::file("secret-seed", &f.seed[..31]),
        ]),
        &o,
        "SeedLength",
    );

    // A decompression bomb: 64 MiB of zeros in a few kilobytes.
    let zeros = vec![0u8; 64 << 20];
    f.check(
        "bomb",
        &f.bundle(&plain, &zeros),
        &o,
        "Archive(CompressionRatio",
    );
    let small = RestoreOptions {
        limits: Limits {
            max_total_size: 1 << 20,
            ..nascfg_bundle::bundle_limits()
        },
        ..lenient()
    };
    let mut big = plain.clone();
    big["members"][0]["size"] = (2u64 << 20).into();
    f.check(
        "too-large",
        &f.bundle(&big, &vec![7u8; 2 << 20]),
        &small,
        "Archive(TooLarge",
    );

    // A config.db that is not SQLite, or is damaged, or is newer.
    f.check(
        "not-sqlite",
        &f.bundle(&plain, b"SQLite format 2\0 but not really"),
        &o,
        "Store(NotADatabase",
    );
    let mut damaged = f.db.clone();
    for b in &mut damaged[4096..8192] {
        *b = 0x5a;
    }
    f.check("damaged", &f.bundle(&plain, &damaged), &o, "Store(");
    let newer = newer_schema(&f.tmp, &f.db);
    f.check("newer", &f.bundle(&plain, &newer), &o, "Store(NewerSchema");

    // A wrong passphrase; a seed file that is not 32 bytes; a seed file of another box.
    let enc = encrypt(&good, "right horse");
    f.check("no-passphrase", &enc, &o, "PassphraseRequired");
    let wrong = RestoreOptions {
        unlock: &nascfg_bundle::UnlockWith::with_passphrase(SecretString::from("wrong horse")),
        ..lenient()
    };
    f.check("wrong-passphrase", &enc, &wrong, "WrongPassphrase");
    let right = RestoreOptions {
        unlock: &nascfg_bundle::UnlockWith::with_passphrase(SecretString::from("right horse")),
        ..lenient()
    };
    // age cannot tell a cut from tampering in the last chunk: "damaged".
    f.check(
        "encrypted-truncated",
        &enc[..enc.len() - 20],
        &right,
        "Archive(Corrupt",
    );
    // (A seed file that is not a seed is refused when it is read, before a
    // restore: nascfg-store's load_seed_file.)
    let other = RestoreOptions {
        seed: Some(Seed::generate()),
        ..Default::default()
    };
    f.check(
        "seed-file-other",
        &f.bundle(&plain, &f.db),
        &other,
        "SeedFileMismatch",
    );
    // Without any seed: refused, naming the count.
    f.check(
        "refused",
        &f.bundle(&plain, &f.db),
        &RestoreOptions::default(),
        "SecretsWouldBeLost { credentials: 2, keypairs: 1",
    );
}

fn encrypt(data: &[u8], pass: &str) -> Vec<u8> {
    use std::io::Write;
    let mut w = nascfg_crypto::encrypt_with_passphrase(
        &SecretString::from(pass),
        WorkFactor::new(10),
        Vec::new(),
    )
    .unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

fn newer_schema(tmp: &Path, db: &[u8]) -> Vec<u8> {
    let path = tmp.join("newer.db");
    std::fs::write(&path, db).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    std::fs::read(&path).unwrap()
}
