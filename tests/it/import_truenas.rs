//! `nascfg import truenas`: a TrueNAS configuration backup built here from the
//! documented table layout and encryption (formats.md §1, §2) imports
//! completely; a wrong or missing seed is refused; a dry run stores nothing;
//! bad tars are refused; the input is never modified.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nascfg_interop::pwenc::{Secret as PwencSecret, Writer as PwencWriter};
use nascfg_tests::cli::Nascfg;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub(super) const SEED: [u8; 32] = [0x42; 32];
const GCS_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAtestonly\n-----END PRIVATE KEY-----\n";
const TOKEN: &str = r#"{"access_token": "ya29.test", "token_type": "Bearer", "refresh_token": "1//refresh", "expiry": "2030-01-01T00:00:00Z"}"#;

/// One row of system_cloudcredentials: id, name, provider, attributes, writer.
pub(super) struct Row(
    pub(super) i64,
    pub(super) &'static str,
    pub(super) &'static str,
    pub(super) Value,
    pub(super) PwencWriter,
);

fn nonce(i: i64) -> [u8; 8] {
    (i as u64 ^ 0x5a5a_0000_1111_2222).to_be_bytes()
}

/// Python's json.dumps with default separators: `", "` and `": "`.
fn python_dumps(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), python_dumps(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(python_dumps).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Builds freenas-v1.db with the sqlite3 CLI, as TrueNAS lays it out.
pub(super) fn build_db(
    path: &Path,
    seed: &[u8; 32],
    check: Option<PwencWriter>,
    rows: &[Row],
    keys: &[(i64, &str, &str, Value)],
) {
    let secret = PwencSecret::from_bytes(seed).unwrap();
    let mut sql = String::from(
        "CREATE TABLE system_settings (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, stg_guiaddress VARCHAR(120) NOT NULL, stg_pwenc_check VARCHAR(100) NOT NULL);\n\
         CREATE TABLE system_cloudcredentials (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name VARCHAR(100) NOT NULL, provider VARCHAR(50) NOT NULL, attributes TEXT NOT NULL);\n\
         CREATE TABLE system_keychaincredential (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name VARCHAR(255) NOT NULL, type VARCHAR(255) NOT NULL, attributes TEXT NOT NULL);\n",
    );
    if let Some(writer) = check {
        sql += &format!(
            "INSERT INTO system_settings VALUES (1, '0.0.0.0', {});\n",
            sql_text(&secret.encrypt("Donuts!", writer, nonce(0)))
        );
    }
    for Row(id, name, provider, attrs, writer) in rows {
        let enc = secret.encrypt(&python_dumps(attrs), *writer, nonce(*id));
        sql += &format!(
            "INSERT INTO system_cloudcredentials VALUES ({id}, {}, {}, {});\n",
            sql_text(name),
            sql_text(provider),
            sql_text(&enc)
        );
    }
    for (id, name, kind, attrs) in keys {
        let enc = secret.encrypt(&python_dumps(attrs), PwencWriter::Padded, nonce(1000 + id));
        sql += &format!(
            "INSERT INTO system_keychaincredential VALUES ({id}, {}, {}, {});\n",
            sql_text(name),
            sql_text(kind),
            sql_text(&enc)
        );
    }
    let mut child = Command::new("sqlite3")
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .expect("run sqlite3 (installed by .ci/setup)");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), sql.as_bytes()).unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success(), "sqlite3 failed");
}

/// The uncompressed tar TrueNAS writes with "Export Password Secret Seed".
pub(super) fn build_tar(path: &Path, db: &Path, seed: &[u8]) {
    let mut builder = tar::Builder::new(std::fs::File::create(path).unwrap());
    builder.append_path_with_name(db, "freenas-v1.db").unwrap();
    for (name, data) in [
        ("pwenc_secret", seed),
        ("root_authorized_keys", b"ssh-ed25519 AAAA test".as_slice()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        builder.append_data(&mut header, name, data).unwrap();
    }
    builder.finish().unwrap();
}

fn ssh_keypair(dir: &Path) -> (String, String) {
    let key = dir.join("tn_key");
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "truenas", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(ok.success());
    (
        std::fs::read_to_string(&key).unwrap(),
        std::fs::read_to_string(key.with_extension("pub")).unwrap(),
    )
}

fn gcs_key() -> String {
    serde_json::to_string_pretty(&json!({
        "type": "service_account",
        "project_id": "nas-backup-1",
        "private_key_id": "abc",
        "private_key": GCS_PEM,
        "client_email": "backup@nas-backup-1.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token"
    }))
    .unwrap()
}

/// A full backup: several providers, both pwenc writers, an SFTP credential
/// bound to a key pair, and two rows that cannot be imported.
fn full_backup(n: &Nascfg) -> (PathBuf, PathBuf, String) {
    let (private, public) = ssh_keypair(n.tmp());
    let (tar, db) = full_backup_in(n.tmp(), &private, &public);
    (tar, db, private)
}

/// [`full_backup`] with a given key pair, written into `dir`: the tar and
/// the bare database (also the fuzz corpus's TrueNAS seeds).
pub(super) fn full_backup_in(dir: &Path, private: &str, public: &str) -> (PathBuf, PathBuf) {
    let rows = [
        Row(
            1,
            "aws",
            "S3",
            json!({"access_key_id": "AKIAEXAMPLE", "secret_access_key": "wJalr/XUtnFEMI+K7MDENG", "endpoint": "", "region": "eu-west-1", "skip_region": false, "signatures_v2": false, "max_upload_parts": 10000}),
            PwencWriter::Padded,
        ),
        Row(
            2,
            "b2 new writer",
            "B2",
            json!({"account": "0012ab", "key": "K001secret"}),
            PwencWriter::Unpadded,
        ),
        Row(
            3,
            "ftp",
            "FTP",
            json!({"host": "ftp.example.com", "port": 21, "user": "u", "pass": "ftp pass"}),
            PwencWriter::Padded,
        ),
        Row(
            4,
            "dav",
            "WEBDAV",
            json!({"url": "https://dav.example.com/remote.php/dav", "vendor": "NEXTCLOUD", "user": "me", "pass": "dav"}),
            PwencWriter::Unpadded,
        ),
        Row(
            5,
            "gcs",
            "GOOGLE_CLOUD_STORAGE",
            json!({"service_account_credentials": gcs_key()}),
            PwencWriter::Padded,
        ),
        Row(
            6,
            "onedrive",
            "ONEDRIVE",
            json!({"client_id": "", "client_secret": "", "token": TOKEN, "drive_type": "PERSONAL", "drive_id": "b!xyz"}),
            PwencWriter::Padded,
        ),
        Row(
            7,
            "sftp",
            "SFTP",
            json!({"host": "sftp.example.com", "port": 22, "user": "backup", "private_key": 11}),
            PwencWriter::Unpadded,
        ),
        Row(
            8,
            "broken",
            "S3",
            json!({"access_key_id": "only"}),
            PwencWriter::Padded,
        ),
        Row(
            9,
            "future",
            "QUANTUM_DRIVE",
            json!({"x": 1}),
            PwencWriter::Padded,
        ),
    ];
    let keys = [
        (
            11,
            "nas key",
            "SSH_KEY_PAIR",
            json!({"private_key": private, "public_key": public}),
        ),
        (12, "replication", "SSH_CREDENTIALS", json!({"host": "h"})),
    ];
    let db = dir.join("freenas-v1.db");
    build_db(&db, &SEED, Some(PwencWriter::Padded), &rows, &keys);
    let tar = dir.join("truenas-config.tar");
    build_tar(&tar, &db, &SEED);
    (tar, db)
}

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn status_of(report: &Value, name: &str) -> (String, Option<String>) {
    let item = report["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {report:#}"));
    (
        item["status"].as_str().unwrap().to_owned(),
        item["reason"].as_str().map(str::to_owned),
    )
}

fn shown(n: &Nascfg, name: &str) -> Value {
    n.json(&["cred", "show", name, "--reveal"])
}

#[test]
fn a_full_backup_imports_completely() {
    let n = Nascfg::new();
    let (tar, _db, _private) = full_backup(&n);
    let before = sha256(&tar);
    let report = n.json(&["import", "truenas", tar.to_str().unwrap()]);
    assert_eq!(sha256(&tar), before, "the input must not change");
    for name in [
        "aws",
        "b2 new writer",
        "ftp",
        "dav",
        "gcs",
        "onedrive",
        "sftp",
    ] {
        assert_eq!(
            status_of(&report, name),
            ("imported".into(), None),
            "{report:#}"
        );
    }
    let (status, reason) = status_of(&report, "broken");
    assert_eq!(status, "skipped");
    assert!(reason.unwrap().contains("secret_access_key"));
    let (status, reason) = status_of(&report, "future");
    assert_eq!(status, "skipped");
    assert!(reason.unwrap().contains("QUANTUM_DRIVE"));
    assert_eq!(
        report["keypairs"].as_array().unwrap().len(),
        1,
        "{report:#}"
    );

    // The values, through the store (sealed under this box's seed).
    let aws = shown(&n, "aws");
    assert_eq!(
        aws["provider"]["secret_access_key"],
        "wJalr/XUtnFEMI+K7MDENG"
    );
    assert_eq!(aws["provider"]["region"], "eu-west-1");
    assert_eq!(shown(&n, "b2 new writer")["provider"]["key"], "K001secret");
    assert_eq!(shown(&n, "ftp")["provider"]["pass"], "ftp pass");
    assert_eq!(
        shown(&n, "gcs")["provider"]["service_account_credentials"],
        gcs_key()
    );
    assert_eq!(shown(&n, "onedrive")["provider"]["token"], TOKEN);
    let sftp = shown(&n, "sftp");
    assert_eq!(sftp["provider"]["private_key"], "nas key");
    let keys = n.json(&["keypair", "list"]);
    assert!(keys.to_string().contains("nas key"), "{keys:#}");

    // Again: every name exists now, nothing is overwritten without --replace.
    let again = n.json(&["import", "truenas", tar.to_str().unwrap()]);
    let (status, reason) = status_of(&again, "aws");
    assert_eq!(status, "skipped");
    assert!(reason.unwrap().contains("--replace"));
    let replaced = n.json(&["import", "truenas", tar.to_str().unwrap(), "--replace"]);
    assert_eq!(status_of(&replaced, "aws").0, "replaced");
    assert_eq!(sha256(&tar), before);
}

#[test]
fn a_bare_database_needs_the_secret() {
    let n = Nascfg::new();
    let (_tar, db, _) = full_backup(&n);
    let run = n.fail(&["import", "truenas", db.to_str().unwrap()]);
    assert!(
        run.stderr.contains("pwenc_secret") && run.stderr.contains("hint:"),
        "{}",
        run.stderr
    );
    let secret = n.write_file("pwenc_secret", SEED);
    let before = sha256(&db);
    let beside = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(n.tmp())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name != "data")
            .collect();
        names.sort();
        names
    };
    let files_before = beside();
    let report = n.json(&[
        "import",
        "truenas",
        db.to_str().unwrap(),
        "--pwenc-secret",
        &secret,
    ]);
    assert_eq!(status_of(&report, "aws").0, "imported");
    // The database is read from a private copy: unchanged, and no journal beside it.
    assert_eq!(sha256(&db), before);
    assert_eq!(beside(), files_before);
}

#[test]
fn a_wrong_seed_is_refused_and_nothing_is_stored() {
    let n = Nascfg::new();
    let (_tar, db, _) = full_backup(&n);
    let wrong = n.tmp().join("wrong.tar");
    build_tar(&wrong, &db, &[0x43; 32]);
    let run = n.fail(&["import", "truenas", wrong.to_str().unwrap()]);
    assert!(run.stderr.contains("stg_pwenc_check"), "{}", run.stderr);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    let bad_secret = n.write_file("bad_secret", [0x43; 32]);
    n.fail(&[
        "import",
        "truenas",
        db.to_str().unwrap(),
        "--pwenc-secret",
        &bad_secret,
    ]);
    let short = n.write_file("short_secret", [0x42; 31]);
    n.fail(&[
        "import",
        "truenas",
        db.to_str().unwrap(),
        "--pwenc-secret",
        &short,
    ]);
    assert_eq!(n.json(&["cred", "list"]), json!([]));
}

#[test]
fn without_a_check_value_a_wrong_seed_is_still_refused() {
    let n = Nascfg::new();
    let db = n.tmp().join("nocheck.db");
    build_db(
        &db,
        &SEED,
        None,
        &[Row(
            1,
            "b2",
            "B2",
            json!({"account": "a", "key": "k"}),
            PwencWriter::Unpadded,
        )],
        &[],
    );
    let wrong = n.write_file("wrong", [0x01; 32]);
    n.fail(&[
        "import",
        "truenas",
        db.to_str().unwrap(),
        "--pwenc-secret",
        &wrong,
    ]);
    let right = n.write_file("right", SEED);
    n.ok(&[
        "import",
        "truenas",
        db.to_str().unwrap(),
        "--pwenc-secret",
        &right,
    ]);
}

#[test]
fn a_dry_run_stores_nothing() {
    let n = Nascfg::new();
    let (tar, _, _) = full_backup(&n);
    let report = n.json(&["import", "truenas", tar.to_str().unwrap(), "--dry-run"]);
    assert_eq!(report["dry_run"], true);
    assert_eq!(status_of(&report, "aws").0, "imported");
    assert_eq!(n.json(&["cred", "list"]), json!([]));
    assert_eq!(n.json(&["keypair", "list"]), json!([]));
    let text = n.ok(&["import", "truenas", tar.to_str().unwrap(), "--dry-run"]);
    assert!(text.contains("nothing was stored"), "{text}");
}

/// A raw tar header for `name` claiming `size` bytes, of `kind`.
fn raw_header(name: &[u8], size: u64, kind: tar::EntryType, link: Option<&[u8]>) -> [u8; 512] {
    let mut header = tar::Header::new_old();
    {
        let old = header.as_old_mut();
        old.name[..name.len()].copy_from_slice(name);
        if let Some(link) = link {
            old.linkname[..link.len()].copy_from_slice(link);
        }
    }
    header.set_size(size);
    header.set_mode(0o644);
    header.set_entry_type(kind);
    header.set_cksum();
    let mut out = [0u8; 512];
    out.copy_from_slice(header.as_bytes());
    out
}

fn tar_of(parts: &[(&[u8; 512], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (header, data) in parts {
        out.extend_from_slice(*header);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

#[test]
fn bad_tars_are_refused() {
    let n = Nascfg::new();
    let seed = raw_header(b"pwenc_secret", 32, tar::EntryType::Regular, None);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "symlink",
            tar_of(&[(
                &raw_header(
                    b"freenas-v1.db",
                    0,
                    tar::EntryType::Symlink,
                    Some(b"/etc/passwd"),
                ),
                b"",
            )]),
        ),
        (
            "hard link",
            tar_of(&[(
                &raw_header(b"freenas-v1.db", 0, tar::EntryType::Link, Some(b"x")),
                b"",
            )]),
        ),
        (
            "dotdot",
            tar_of(&[(
                &raw_header(b"../freenas-v1.db", 4, tar::EntryType::Regular, None),
                b"abcd",
            )]),
        ),
        (
            "absolute",
            tar_of(&[(
                &raw_header(b"/freenas-v1.db", 4, tar::EntryType::Regular, None),
                b"abcd",
            )]),
        ),
        (
            "huge",
            tar_of(&[(
                &raw_header(b"freenas-v1.db", 300 << 20, tar::EntryType::Regular, None),
                b"",
            )]),
        ),
        ("no database", tar_of(&[(&seed, &[0x42; 32])])),
        ("garbage", b"this is not a tar and not a database".to_vec()),
        ("empty", Vec::new()),
    ];
    for (what, bytes) in cases {
        let path = n.write_file(&format!("{}.tar", what.replace(' ', "_")), &bytes);
        let run = n.fail(&["import", "truenas", &path]);
        assert!(run.stderr.starts_with("error: "), "{what}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    }
    assert_eq!(n.json(&["cred", "list"]), json!([]));
}

#[test]
fn what_the_user_reads() {
    let n = Nascfg::new();
    let (tar, db, _) = full_backup(&n);
    let wrong = n.tmp().join("wrong.tar");
    build_tar(&wrong, &db, &[0x43; 32]);
    let garbage = n.write_file("garbage.tar", b"garbage");
    let transcripts = [
        n.run(&["import", "truenas", tar.to_str().unwrap(), "--dry-run"])
            .transcript(),
        n.run(&["import", "truenas", wrong.to_str().unwrap()])
            .transcript(),
        n.run(&["import", "truenas", db.to_str().unwrap()])
            .transcript(),
        n.run(&["import", "truenas", &garbage]).transcript(),
    ];
    n.settings()
        .bind(|| insta::assert_snapshot!(transcripts.join("\n")));
}

/// `type base64` of an OpenSSH public key line (comments may differ).
fn public_core(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// An SFTP credential whose keychain key another tool wrote imports
/// completely: the key pair is stored (as OpenSSH) with the public key
/// `ssh-keygen -y` reads, and the credential names it.
#[test]
fn sftp_keys_other_tools_wrote_import() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/keys/ecdsa-p384-76col.key");
    for (what, generate) in [
        (
            "PEM PKCS#1 RSA",
            Some(&["-t", "rsa", "-b", "2048", "-m", "PEM"][..]),
        ),
        ("SEC1 EC", Some(&["-t", "ecdsa", "-b", "256", "-m", "PEM"])),
        (
            "PKCS#8 EC",
            Some(&["-t", "ecdsa", "-b", "521", "-m", "PKCS8"]),
        ),
        ("76-column OpenSSH", None),
    ] {
        let n = Nascfg::new();
        let key = match generate {
            Some(args) => {
                let key = n.tmp().join("other_key");
                let ok = Command::new("ssh-keygen")
                    .args(["-q", "-N", ""])
                    .args(args)
                    .arg("-f")
                    .arg(&key)
                    .status()
                    .expect("ssh-keygen (openssh-client) is installed by .ci/setup");
                assert!(ok.success(), "{what}");
                key
            }
            None => {
                // git checks files out 0644; ssh-keygen reads only private ones.
                use std::os::unix::fs::PermissionsExt;
                let key = n.tmp().join("other_key");
                std::fs::copy(&fixture, &key).unwrap();
                std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
                key
            }
        };
        let out = Command::new("ssh-keygen")
            .arg("-y")
            .arg("-f")
            .arg(&key)
            .output()
            .unwrap();
        assert!(out.status.success(), "{what}");
        let public = String::from_utf8(out.stdout).unwrap();
        let private = std::fs::read_to_string(&key).unwrap();
        assert_eq!(
            private.contains("OPENSSH PRIVATE KEY"),
            generate.is_none(),
            "{what}"
        );
        let rows = [Row(
            7,
            "sftp",
            "SFTP",
            json!({"host": "sftp.example.com", "port": 22, "user": "backup", "private_key": 11}),
            PwencWriter::Unpadded,
        )];
        let keys = [(
            11,
            "nas key",
            "SSH_KEY_PAIR",
            json!({"private_key": private, "public_key": public}),
        )];
        let db = n.tmp().join("freenas-v1.db");
        build_db(&db, &SEED, Some(PwencWriter::Padded), &rows, &keys);
        let tar = n.tmp().join("truenas-config.tar");
        build_tar(&tar, &db, &SEED);
        let report = n.json(&["import", "truenas", tar.to_str().unwrap()]);
        assert_eq!(
            status_of(&report, "sftp"),
            ("imported".into(), None),
            "{what}: {report:#}"
        );
        assert_eq!(
            report["keypairs"][0]["status"], "imported",
            "{what}: {report:#}"
        );
        assert_eq!(
            shown(&n, "sftp")["provider"]["private_key"],
            "nas key",
            "{what}"
        );
        let stored = n.json(&["keypair", "show", "nas key"]);
        assert_eq!(
            public_core(stored["public_key"].as_str().unwrap()),
            public_core(&public),
            "{what}"
        );
    }
}
