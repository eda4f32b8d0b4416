//! `nascfg init`, `cred add | list | show | update | delete`: output and errors.
#![allow(clippy::unwrap_used)]

use insta::assert_snapshot;
use nascfg_tests::cli::Nascfg;

const S3: &[&str] = &[
    "cred",
    "add",
    "backups",
    "--provider",
    "s3",
    "--set",
    "access_key_id=AKIAIOSFODNN7EXAMPLE",
    "--set",
    "secret_access_key=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY",
    "--set",
    "region=eu-west-1",
];

#[test]
fn init_creates_then_reports() {
    let n = Nascfg::new();
    let first = n.run(&["init"]);
    let second = n.run(&["init"]);
    let json = n.json(&["init"]);
    n.settings().bind(|| {
        assert_snapshot!("init_first", first.transcript());
        assert_snapshot!("init_second", second.transcript());
    });
    assert_eq!(json["created"], false);
}

#[test]
fn add_list_show_update_delete() {
    let n = Nascfg::new();
    let add = n.run(S3);
    // From a file and from standard input.
    let key_file = n.write_file("azure.key", "ZGV2c3RvcmVhY2NvdW50MWtleQ==\n");
    let az = n.run(&[
        "cred",
        "add",
        "azure",
        "--provider",
        "AZUREBLOB",
        "--set",
        "account=devstoreaccount1",
        "--set",
        &format!("key=@{key_file}"),
    ]);
    let ftp = n.run_stdin(
        &[
            "cred",
            "add",
            "ftp",
            "--provider",
            "ftp",
            "--set",
            "host=ftp.example.com",
            "--set",
            "user=u",
            "--set",
            "pass=-",
        ],
        "ftp-password-from-stdin\n",
    );
    let list = n.run(&["cred", "list"]);
    let list_json = n.json(&["cred", "list"]);
    let show = n.run(&["cred", "show", "backups"]);
    let show_json = n.json(&["cred", "show", "backups"]);
    let reveal = n.json(&["cred", "show", "ftp", "--reveal"]);
    let update = n.run(&[
        "cred",
        "update",
        "backups",
        "--set",
        "region=",
        "--set",
        "max_upload_parts=500",
        "--rename",
        "s3-main",
    ]);
    let after = n.json(&["cred", "show", "s3-main"]);
    let delete = n.run(&["cred", "delete", "azure"]);
    let final_list = n.run(&["cred", "list"]);
    n.settings().bind(|| {
        for (name, run) in [
            ("add", &add),
            ("add_azure", &az),
            ("add_ftp", &ftp),
            ("list", &list),
            ("show", &show),
            ("update", &update),
            ("delete", &delete),
            ("list_after_delete", &final_list),
        ] {
            assert_snapshot!(format!("cred_{name}"), run.transcript());
        }
        insta::assert_json_snapshot!("cred_list_json", list_json);
        insta::assert_json_snapshot!("cred_show_json", show_json);
        insta::assert_json_snapshot!("cred_after_update_json", after);
    });
    assert_eq!(reveal["provider"]["pass"], "ftp-password-from-stdin");
    assert_eq!(after["provider"]["access_key_id"], "********");
    assert_eq!(after["provider"]["region"], "");
    assert_eq!(after["provider"]["max_upload_parts"], 500);
}

#[test]
fn add_from_json() {
    let n = Nascfg::new();
    let doc = r#"{"name": "b2", "provider": {"type": "B2", "account": "0012345678abcdef0000000001", "key": "K001abcdefghijklmnopqrstuvwxyz12"}}"#;
    let file = n.write_file("b2.json", doc);
    n.ok(&["cred", "add", "--from-json", &file]);
    let from_stdin = n.run_stdin(
        &["cred", "add", "--from-json", "-"],
        &doc.replace("\"b2\"", "\"b2-again\""),
    );
    assert_eq!(from_stdin.code, 0, "{}", from_stdin.transcript());
    let bad = n.run_stdin(&["cred", "add", "--from-json", "-"], "{not json");
    // Each refusal carries the hint of its own error.
    let refused: Vec<_> = [
        ("not_a_document", r#"["b2"]"#),
        (
            "unknown_provider",
            r#"{"name": "x", "provider": {"type": "NOSUCH"}}"#,
        ),
        (
            "invalid_fields",
            r#"{"name": "x", "provider": {"type": "FTP", "host": "h", "port": 70000, "user": "u", "pass": "p"}}"#,
        ),
    ]
    .into_iter()
    .map(|(name, doc)| (name, n.run_stdin(&["cred", "add", "--from-json", "-"], doc)))
    .collect();
    let list = n.json(&["cred", "list"]);
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    n.settings().bind(|| {
        assert_snapshot!("cred_from_json_bad", bad.transcript());
        for (name, run) in &refused {
            assert_eq!(run.code, 1, "{name}: {}", run.transcript());
            assert_snapshot!(format!("cred_from_json_{name}"), run.transcript());
        }
    });
}

#[test]
fn bad_input_fails_with_hints_and_changes_nothing() {
    let n = Nascfg::new();
    n.ok(S3);
    let before = n.json(&["cred", "list"]);
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "unknown_provider",
            vec!["cred", "add", "x", "--provider", "nosuch"],
        ),
        (
            "invalid_fields",
            vec![
                "cred",
                "add",
                "x",
                "--provider",
                "sftp",
                "--set",
                "port=99999",
                "--set",
                "colour=blue",
                "--set",
                "user",
            ],
        ),
        (
            "missing_required",
            vec!["cred", "add", "x", "--provider", "sftp"],
        ),
        ("duplicate", S3.to_vec()),
        ("unknown_credential_show", vec!["cred", "show", "nope"]),
        (
            "unknown_credential_update",
            vec!["cred", "update", "nope", "--set", "region=x"],
        ),
        ("unknown_credential_delete", vec!["cred", "delete", "nope"]),
        ("nothing_to_update", vec!["cred", "update", "backups"]),
        (
            "rename_onto_existing",
            vec!["cred", "update", "backups", "--rename", "backups"],
        ),
        (
            "missing_file",
            vec![
                "cred",
                "update",
                "backups",
                "--set",
                "region=@/nonexistent/file",
            ],
        ),
        (
            "two_stdin",
            vec![
                "cred",
                "add",
                "x",
                "--provider",
                "ftp",
                "--set",
                "host=h",
                "--set",
                "user=-",
                "--set",
                "pass=-",
            ],
        ),
        (
            "keypair_missing",
            vec![
                "cred",
                "add",
                "x",
                "--provider",
                "sftp",
                "--set",
                "host=h",
                "--set",
                "user=u",
                "--set",
                "private_key=nokey",
            ],
        ),
    ];
    for (name, args) in cases {
        let run = n.run(&args);
        let expected = if name == "rename_onto_existing" { 0 } else { 1 };
        assert_eq!(run.code, expected, "{name}: {}", run.transcript());
        n.settings()
            .bind(|| assert_snapshot!(format!("cred_error_{name}"), run.transcript()));
    }
    assert_eq!(n.json(&["cred", "list"]), before);
}

#[test]
fn seed_and_database_problems_refuse_secrets_and_change_nothing() {
    let n = Nascfg::new();
    n.ok(S3);
    let seed = n.data_dir().join("secret-seed");
    let good = std::fs::read(&seed).unwrap();

    // Another seed: list works, secrets refused.
    std::fs::write(&seed, [7u8; 32]).unwrap();
    let listed = n.run(&["cred", "list"]);
    assert_eq!(listed.code, 0);
    let mismatch = n.fail(&["cred", "show", "backups", "--reveal"]);
    let add = n.fail(&[
        "cred",
        "add",
        "x",
        "--provider",
        "ftp",
        "--set",
        "host=h",
        "--set",
        "user=u",
    ]);
    let fp = n.run(&["seed", "fingerprint"]);
    // A short seed.
    std::fs::write(&seed, [7u8; 16]).unwrap();
    let short = n.fail(&["cred", "show", "backups", "--reveal"]);
    std::fs::write(&seed, &good).unwrap();
    assert!(
        n.json(&["cred", "show", "backups", "--reveal"])["provider"]["secret_access_key"]
            .as_str()
            .is_some()
    );

    // A newer schema.
    let db = n.data_dir().join("config.db");
    let conn = rusqlite_free_set_user_version(&db);
    let newer = n.fail(&["cred", "list"]);
    assert_eq!(std::fs::read(&db).unwrap(), conn);

    // Not SQLite at all.
    let other = Nascfg::new();
    std::fs::create_dir_all(other.data_dir()).unwrap();
    std::fs::write(
        other.data_dir().join("config.db"),
        "hello, I am a text file\n",
    )
    .unwrap();
    let not_db = other.fail(&["cred", "list"]);
    assert_eq!(
        std::fs::read_to_string(other.data_dir().join("config.db")).unwrap(),
        "hello, I am a text file\n"
    );

    n.settings().bind(|| {
        assert_snapshot!("seed_mismatch_show", mismatch.transcript());
        assert_snapshot!("seed_mismatch_add", add.transcript());
        assert_snapshot!("seed_mismatch_fingerprint", fp.transcript());
        assert_snapshot!("seed_short", short.transcript());
        assert_snapshot!("schema_newer", newer.transcript());
    });
    other
        .settings()
        .bind(|| assert_snapshot!("not_a_database", not_db.transcript()));
}

/// Sets the schema version (header bytes 60..64, `PRAGMA user_version`) to 99 by
/// editing the file after a checkpoint; returns the file's new bytes.
fn rusqlite_free_set_user_version(db: &std::path::Path) -> Vec<u8> {
    // `nascfg seed fingerprint` opens and closes the db; the last connection checkpoints the WAL.
    let wal = db.with_file_name("config.db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "WAL not checkpointed"
    );
    let mut bytes = std::fs::read(db).unwrap();
    bytes[60..64].copy_from_slice(&99u32.to_be_bytes());
    std::fs::write(db, &bytes).unwrap();
    bytes
}
