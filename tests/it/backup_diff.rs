//! `nascfg backup diff` and the diff of `backup restore --dry-run`: one case
//! per kind of change (what the text and the JSON say, whether the content
//! digest moves), secrets never in any output, a dry run that changes nothing.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::{Path, PathBuf};

use nascfg_tests::cli::{Nascfg, tree};
use serde_json::{Value, json};

const S3_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SFTP_PASS: &str = "hunter2-correct-horse";
const NEW_PASS: &str = "n3w-s3cret-Passw0rd-xyzzy";
const B2_KEY: &str = "K000b2applicationkeysecretvalue";

/// Every secret value any case uses: none may appear in any output.
const SECRETS: &[&str] = &[S3_SECRET, SFTP_PASS, NEW_PASS, B2_KEY, "PRIVATE KEY"];

/// A box with an S3 and an SFTP credential, the key pair the SFTP one uses
/// and a spare key pair.
fn base_box() -> Nascfg {
    let n = Nascfg::new();
    n.ok(&["init"]);
    n.ok(&[
        "cred",
        "add",
        "offsite",
        "--provider",
        "S3",
        "--set",
        "access_key_id=AKIAIOSFODNN7EXAMPLE",
        "--set",
        &format!("secret_access_key={S3_SECRET}"),
        "--set",
        "region=eu-west-1",
    ]);
    n.ok(&["keypair", "generate", "nas-key"]);
    n.ok(&["keypair", "generate", "spare"]);
    n.ok(&[
        "cred",
        "add",
        "home",
        "--provider",
        "SFTP",
        "--set",
        "host=sftp.example.com",
        "--set",
        "user=backup",
        "--set",
        &format!("pass={SFTP_PASS}"),
        "--set",
        "private_key=nas-key",
    ]);
    n
}

/// Exports this box's configuration (with its seed, so the bundle's secrets
/// open wherever it is diffed).
fn export(n: &Nascfg, name: &str) -> PathBuf {
    let path = n.tmp().join(name);
    n.ok(&[
        "backup",
        "export",
        "-o",
        path.to_str().unwrap(),
        "--include-seed",
    ]);
    path
}

/// The content digest of `bundle`'s configuration, its secrets opened with the
/// bundle's seed or this box's. (A plain `backup export` does not record it in
/// the manifest; `backup push` does, and crates/nascfg-bundle/tests/it/content.rs
/// checks the recorded one is this one.)
fn digest(n: &Nascfg, bundle: &Path) -> String {
    let seed = nascfg_store::load_seed(&n.data_dir().join("secret-seed")).unwrap();
    nascfg_bundle::Configuration::from_bundle(
        bundle,
        &nascfg_bundle::UnlockWith::none(),
        Some(&seed),
    )
    .unwrap()
    .content_digest()
    .unwrap_or_else(|| panic!("no content digest for {}", bundle.display()))
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows a secret:\n{text}");
    }
}

fn sqlite3(db: &Path, sql: &str) {
    let status = std::process::Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .status()
        .unwrap();
    assert!(status.success(), "sqlite3 {sql}");
}

/// One kind of change: how to make it, the lines the text shows, JSON
/// pointers into `--json` and their values, and whether the digest moves.
struct Case {
    name: &'static str,
    change: fn(&Nascfg),
    lines: &'static [&'static str],
    json: fn() -> Vec<(&'static str, Value)>,
    digest_changes: bool,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "add",
            change: |n| {
                n.ok(&[
                    "cred",
                    "add",
                    "extra",
                    "--provider",
                    "B2",
                    "--set",
                    "account=0012345abcde",
                    "--set",
                    &format!("key={B2_KEY}"),
                ]);
            },
            lines: &["credentials:", "  added:   extra (B2)"],
            json: || {
                vec![(
                    "/credentials/added",
                    json!([{"name": "extra", "provider": "B2"}]),
                )]
            },
            digest_changes: true,
        },
        Case {
            name: "remove",
            change: |n| {
                n.ok(&["cred", "delete", "offsite"]);
            },
            lines: &["  removed: offsite (S3)"],
            json: || {
                vec![(
                    "/credentials/removed",
                    json!([{"name": "offsite", "provider": "S3"}]),
                )]
            },
            digest_changes: true,
        },
        Case {
            name: "rename",
            change: |n| {
                n.ok(&["cred", "update", "offsite", "--rename", "offsite-eu"]);
            },
            lines: &["  renamed: offsite -> offsite-eu"],
            json: || {
                vec![
                    (
                        "/credentials/renamed",
                        json!([{"from": "offsite", "to": "offsite-eu"}]),
                    ),
                    ("/credentials/added", json!([])),
                    ("/credentials/removed", json!([])),
                    ("/credentials/changed", json!([])),
                ]
            },
            digest_changes: true,
        },
        Case {
            name: "attribute",
            change: |n| {
                n.ok(&["cred", "update", "offsite", "--set", "region=us-east-1"]);
            },
            lines: &[
                "  changed: offsite",
                "    region: \"eu-west-1\" -> \"us-east-1\"",
            ],
            json: || {
                vec![(
                    "/credentials/changed",
                    json!([{
                        "name": "offsite",
                        "provider": null,
                        "attributes": [{"field": "region", "from": "eu-west-1", "to": "us-east-1"}],
                        "secrets": [],
                        "needs_secrets": null,
                    }]),
                )]
            },
            digest_changes: true,
        },
        Case {
            name: "secret",
            change: |n| {
                n.ok(&[
                    "cred",
                    "update",
                    "home",
                    "--set",
                    &format!("pass={NEW_PASS}"),
                ]);
            },
            lines: &["  changed: home", "    pass: secret changed"],
            json: || {
                vec![
                    (
                        "/credentials/changed/0/secrets",
                        json!([{"field": "pass", "change": "changed"}]),
                    ),
                    ("/credentials/changed/0/attributes", json!([])),
                    ("/secrets_compared", json!("values")),
                ]
            },
            digest_changes: true,
        },
        Case {
            // Sealed again with a fresh nonce, the same value: nothing changed.
            name: "secret-resaved",
            change: |n| {
                n.ok(&[
                    "cred",
                    "update",
                    "home",
                    "--set",
                    &format!("pass={SFTP_PASS}"),
                ]);
            },
            lines: &["no differences"],
            json: || vec![("/identical", json!(true))],
            digest_changes: false,
        },
        Case {
            name: "keypair-added",
            change: |n| {
                n.ok(&["keypair", "generate", "second"]);
            },
            lines: &["key pairs:", "  added:   second (ed25519 SHA256:"],
            json: || vec![("/keypairs/added/0/name", json!("second"))],
            digest_changes: true,
        },
        Case {
            name: "keypair-replaced",
            change: |n| {
                n.ok(&["keypair", "delete", "spare"]);
                n.ok(&["keypair", "generate", "spare"]);
            },
            lines: &["  changed: spare", "    public key: SHA256:"],
            json: || {
                vec![
                    ("/keypairs/changed/0/name", json!("spare")),
                    ("/keypairs/added", json!([])),
                    ("/keypairs/removed", json!([])),
                ]
            },
            digest_changes: true,
        },
        Case {
            name: "known-host",
            change: |n| {
                let key = n.json(&["keypair", "show", "spare"])["public_key"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                sqlite3(
                    &n.data_dir().join("config.db"),
                    &format!(
                        "INSERT INTO known_host(host, port, key) VALUES ('sftp.example.com', 2222, '{key}')"
                    ),
                );
            },
            lines: &[
                "known hosts:",
                "  added:   sftp.example.com:2222 ssh-ed25519 AAAA",
            ],
            json: || vec![("/known_hosts/added/0/port", json!(2222))],
            digest_changes: true,
        },
        Case {
            name: "seed",
            change: |n| {
                n.ok(&["seed", "rotate"]);
            },
            lines: &["seed: nfp1:"],
            json: || {
                vec![
                    // Every secret re-sealed under the new seed, none changed.
                    ("/credentials/changed", json!([])),
                    ("/secrets_compared", json!("values")),
                ]
            },
            digest_changes: true,
        },
    ]
}

#[test]
fn each_kind_of_change() {
    for case in cases() {
        let n = base_box();
        let before = export(&n, "before.tar.gz");
        (case.change)(&n);
        let after = export(&n, "after.tar.gz");
        let (b, a) = (before.to_str().unwrap(), after.to_str().unwrap());

        let text = n.ok(&["backup", "diff", b, a]);
        for line in case.lines {
            assert!(
                text.lines().any(|l| l.starts_with(line)),
                "{}: no line {line:?} in:\n{text}",
                case.name
            );
        }
        let json = n.json(&["backup", "diff", b, a]);
        for (pointer, expected) in (case.json)() {
            assert_eq!(
                json.pointer(pointer),
                Some(&expected),
                "{}: {pointer} in {json:#}",
                case.name
            );
        }
        assert_eq!(
            json["identical"],
            json!(case.lines == ["no differences"]),
            "{}",
            case.name
        );
        // This box (`-`) is what `after` holds.
        assert_eq!(n.json(&["backup", "diff", b, "-"]), json, "{}", case.name);
        assert_eq!(
            n.json(&["backup", "diff", "-", a])["identical"],
            json!(true),
            "{}",
            case.name
        );
        assert_no_secret(case.name, &text);
        assert_no_secret(case.name, &json.to_string());

        let (d0, d1) = (digest(&n, &before), digest(&n, &after));
        assert_eq!(d0 != d1, case.digest_changes, "{}: digest", case.name);
    }
}

#[test]
fn the_digest_stays_when_nothing_changed() {
    let n = base_box();
    let first = export(&n, "one.tar.gz");
    n.ok(&["cred", "list"]);
    n.ok(&["cred", "show", "home", "--reveal"]);
    let second = export(&n, "two.tar.gz");
    // Without the seed in the bundle: the same configuration.
    let plain = n.tmp().join("three.tar.gz");
    n.ok(&["backup", "export", "-o", plain.to_str().unwrap()]);
    let d = digest(&n, &first);
    assert_eq!(d.len(), 64);
    assert_eq!(digest(&n, &second), d);
    assert_eq!(digest(&n, &plain), d);
}

#[test]
fn without_the_seed_secrets_compare_by_sealed_text() {
    let n = base_box();
    let before = n.tmp().join("before.tar.gz");
    n.ok(&["backup", "export", "-o", before.to_str().unwrap()]);
    n.ok(&[
        "cred",
        "update",
        "home",
        "--set",
        &format!("pass={NEW_PASS}"),
    ]);
    let after = n.tmp().join("after.tar.gz");
    n.ok(&["backup", "export", "-o", after.to_str().unwrap()]);
    // Another box, another seed: neither bundle's secrets open there.
    let other = Nascfg::new();
    other.ok(&["init"]);
    let (b, a) = (before.to_str().unwrap(), after.to_str().unwrap());
    let text = other.ok(&["backup", "diff", b, a]);
    assert!(
        text.contains("    pass: secret sealed differently; cannot tell without the seed"),
        "{text}"
    );
    assert!(text.contains("note: a side's seed is unknown"), "{text}");
    // The unchanged secret has the same sealed text: not listed.
    assert!(!text.contains("secret_access_key"), "{text}");
    let json = other.json(&["backup", "diff", b, a]);
    assert_eq!(json["secrets_compared"], json!("sealed-text"));
    assert_eq!(
        json["credentials"]["changed"][0]["secrets"],
        json!([{"field": "pass", "change": "unknown"}])
    );
    assert_no_secret("sealed diff", &text);
    // The box that made them opens both: the value changed.
    let text = n.ok(&["backup", "diff", b, a]);
    assert!(text.contains("    pass: secret changed"), "{text}");
}

#[test]
fn restore_dry_run_shows_the_diff_and_changes_nothing() {
    let n = base_box();
    let bundle = export(&n, "before.tar.gz");
    n.ok(&["cred", "update", "offsite", "--rename", "offsite-eu"]);
    n.ok(&[
        "cred",
        "update",
        "home",
        "--set",
        &format!("pass={NEW_PASS}"),
    ]);
    let before = tree(n.data_dir());
    let dry = n.ok(&["backup", "restore", bundle.to_str().unwrap(), "--dry-run"]);
    assert!(dry.contains("nothing was changed"), "{dry}");
    let diff_part = dry
        .split_once("what the restore would change on this box:\n")
        .unwrap_or_else(|| panic!("no diff in:\n{dry}"))
        .1;
    assert!(
        diff_part.contains("  renamed: offsite-eu -> offsite"),
        "{dry}"
    );
    assert!(diff_part.contains("    pass: secret changed"), "{dry}");
    assert_no_secret("restore --dry-run", &dry);
    let json = n.json(&["backup", "restore", bundle.to_str().unwrap(), "--dry-run"]);
    assert_eq!(
        json["diff"]["credentials"]["renamed"],
        json!([{"from": "offsite-eu", "to": "offsite"}])
    );
    assert_no_secret("restore --dry-run --json", &json.to_string());
    assert_eq!(
        before,
        tree(n.data_dir()),
        "a dry run changed the data directory"
    );

    // On a box never initialised: everything is added, nothing is created.
    let fresh = Nascfg::new();
    let run = fresh.run(&["backup", "restore", bundle.to_str().unwrap(), "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.contains("  added:   home (SFTP)"),
        "{}",
        run.stdout
    );
    assert!(
        !fresh.data_dir().exists(),
        "a dry run created the data directory"
    );
}
