//! `nascfg backup push|list|pull|prune` and `restore CRED:PATH/NAME` against the real loopback
//! servers: s3s-fs (S3), Azurite (Azure Blob), OpenSSH (SFTP), nginx (WebDAV), vsftpd (FTP), and
//! the rclone engine against nginx's WebDAV.
#![allow(clippy::unwrap_used)] // tests may unwrap

use nascfg_tests::cli::{Nascfg, tree};
use nascfg_tests::servers::{Azurite, CutProxy, S3Server, Sshd, Vsftpd, WebDav};
use serde_json::Value;
use sha2::{Digest, Sha256};

const PASSPHRASE: &str = "remote-test-passphrase";
/// A secret of a credential on the box, which must never show in any output.
const BOX_SECRET: &str = "Box-Secret-7f3e91-never-printed";

/// A box with the storage credential `store` (from `add`) and another credential holding
/// [`BOX_SECRET`].
fn new_box(add: &[&str]) -> Nascfg {
    let n = Nascfg::new();
    n.ok(&["init"]);
    let mut args = vec!["cred", "add", "store"];
    args.extend_from_slice(add);
    n.ok(&args);
    n.ok(&[
        "cred",
        "add",
        "extra",
        "--provider",
        "S3",
        "--set",
        "access_key_id=AKIAEXTRA0000000",
        "--set",
        &format!("secret_access_key={BOX_SECRET}"),
    ]);
    n
}

fn sha256_of(path: &std::path::Path) -> String {
    hex_of(&std::fs::read(path).unwrap())
}

fn hex_of(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs `nascfg ARGS` with the passphrase in the environment.
fn run(n: &Nascfg, args: &[&str]) -> nascfg_tests::cli::Run {
    n.cmd()
        .env("NASCFG_TEST_PASS", PASSPHRASE)
        .args(args)
        .output()
        .unwrap()
        .into()
}

#[track_caller]
fn ok_json(n: &Nascfg, args: &[&str], secrets: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let r = run(n, &all);
    assert_eq!(r.code, 0, "nascfg {args:?}:\n{}", r.transcript());
    for s in secrets.iter().chain([&BOX_SECRET]) {
        assert!(
            !r.transcript().contains(s),
            "a secret leaked: {}",
            r.transcript()
        );
    }
    serde_json::from_str(&r.stdout).unwrap()
}

/// Push (with the seed, passphrase-protected), list, pull byte-identical, restore on a new box.
fn round_trip(what: &str, add: &[&str], at: &str, secrets: &[&str]) {
    let a = new_box(add);
    let pushed = ok_json(
        &a,
        &[
            "backup",
            "push",
            at,
            "--include-seed",
            "--passphrase-env",
            "NASCFG_TEST_PASS",
        ],
        secrets,
    );
    let name = pushed["name"].as_str().unwrap().to_owned();
    assert!(
        name.starts_with("nascfg-") && name.ends_with(".tar.gz.age"),
        "{what}: {pushed}"
    );
    // S3 checks a one-part upload against our SHA-256 and gives it back; the others are read back.
    let checked_by = if what == "S3" {
        "service-sha256"
    } else {
        "read-back"
    };
    assert_eq!(pushed["checked_by"], checked_by, "{what}: {pushed}");
    let listed = ok_json(&a, &["backup", "list", at], secrets);
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name.as_str())
        .unwrap_or_else(|| panic!("{what}: {name} not listed: {listed}"));
    assert_eq!(row["size"], pushed["size"], "{what}");
    assert_eq!(row["encrypted"], true, "{what}");

    let out = a.tmp().join("pulled.tar.gz.age");
    let object = format!("{}/{name}", at.trim_end_matches('/'));
    ok_json(
        &a,
        &["backup", "pull", &object, "-o", out.to_str().unwrap()],
        secrets,
    );
    assert_eq!(
        sha256_of(&out),
        pushed["sha256"].as_str().unwrap(),
        "{what}"
    );
    assert_eq!(
        std::fs::metadata(&out).unwrap().len(),
        pushed["size"].as_u64().unwrap()
    );
    // No overwrite without --force.
    let again = a.fail(&["backup", "pull", &object, "-o", out.to_str().unwrap()]);
    assert!(again.stderr.contains("exists"), "{}", again.transcript());

    // A new box with only the storage credential restores everything.
    let b = Nascfg::new();
    b.ok(&["init"]);
    let mut args = vec!["cred", "add", "store"];
    args.extend_from_slice(add);
    b.ok(&args);
    let restored = ok_json(
        &b,
        &[
            "backup",
            "restore",
            &object,
            "--passphrase-env",
            "NASCFG_TEST_PASS",
        ],
        secrets,
    );
    assert_eq!(restored["restore"]["case"], "seed-from-bundle", "{what}");
    let shown = b.json(&["cred", "show", "extra", "--reveal"]);
    assert!(shown.to_string().contains(BOX_SECRET), "{what}: {shown}");
}

fn s3_add(s: &S3Server) -> Vec<String> {
    vec![
        "--provider".into(),
        "S3".into(),
        "--set".into(),
        format!("access_key_id={}", s.access_key_id),
        "--set".into(),
        format!("secret_access_key={}", s.secret_access_key),
        "--set".into(),
        format!("endpoint={}", s.endpoint),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn s3_push_list_pull_restore() {
    let s = S3Server::start();
    round_trip(
        "S3",
        &strs(&s3_add(&s)),
        "store:bucket1/nas1",
        &[&s.secret_access_key],
    );
}

#[test]
fn azure_push_list_pull_restore() {
    let z = Azurite::start();
    z.create_container("backups");
    let add = [
        "--provider".to_owned(),
        "AZUREBLOB".to_owned(),
        "--set".to_owned(),
        format!("account={}", z.account),
        "--set".to_owned(),
        format!("key={}", z.key),
        "--set".to_owned(),
        format!("endpoint={}", z.endpoint),
    ];
    round_trip("Azure", &strs(&add), "store:backups/nas1", &[&z.key]);
}

#[test]
fn sftp_push_list_pull_restore() {
    let s = Sshd::start();
    let add = [
        "--provider".to_owned(),
        "SFTP".to_owned(),
        "--set".to_owned(),
        "host=127.0.0.1".to_owned(),
        "--set".to_owned(),
        format!("port={}", s.port),
        "--set".to_owned(),
        format!("user={}", s.user),
        "--set".to_owned(),
        format!("pass={}", s.password),
    ];
    let dir = format!("store:nascfg-it-sftp-{}/nas1", std::process::id());
    round_trip("SFTP", &strs(&add), &dir, &[&s.password]);
}

fn webdav_add(w: &WebDav) -> Vec<String> {
    vec![
        "--provider".into(),
        "WEBDAV".into(),
        "--set".into(),
        format!("url={}", w.url),
        "--set".into(),
        "vendor=OTHER".into(),
        "--set".into(),
        format!("user={}", w.user),
        "--set".into(),
        format!("pass={}", w.password),
    ]
}

#[test]
fn webdav_push_list_pull_restore() {
    let w = WebDav::start();
    round_trip(
        "WebDAV",
        &strs(&webdav_add(&w)),
        "store:backups/nas1",
        &[&w.password],
    );
}

#[test]
fn ftp_push_list_pull_restore() {
    let f = Vsftpd::start();
    let add = [
        "--provider".to_owned(),
        "FTP".to_owned(),
        "--set".to_owned(),
        "host=127.0.0.1".to_owned(),
        "--set".to_owned(),
        format!("port={}", f.port),
        "--set".to_owned(),
        format!("user={}", f.user),
        "--set".to_owned(),
        format!("pass={}", f.password),
    ];
    let dir = format!("store:nascfg-it-ftp-{}/nas1", std::process::id());
    round_trip("FTP", &strs(&add), &dir, &[&f.password]);
}

#[test]
fn seed_without_passphrase_is_refused_before_anything_is_uploaded() {
    let s = S3Server::start();
    let a = new_box(&strs(&s3_add(&s)));
    let r = a.fail(&["backup", "push", "store:bucket1/nas1", "--include-seed"]);
    assert!(r.stderr.contains("passphrase"), "{}", r.transcript());
    let listed = a.json(&["backup", "list", "store:bucket1/nas1"]);
    assert_eq!(listed, serde_json::json!([]));
    assert!(!s.root().join("bucket1").join("nas1").exists());
}

#[test]
fn a_bundle_file_is_pushed_as_it_is() {
    let s = S3Server::start();
    let a = new_box(&strs(&s3_add(&s)));
    let at = "store:bucket1/files";
    let secrets: &[&str] = &[&s.secret_access_key];

    // An unencrypted export without the seed: pushed under its own name, byte for byte.
    let plain = a.tmp().join("nascfg-nas7-20260102T030405Z.tar.gz");
    a.ok(&["backup", "export", "-o", plain.to_str().unwrap()]);
    let pushed = ok_json(
        &a,
        &["backup", "push", at, "--bundle", plain.to_str().unwrap()],
        secrets,
    );
    assert_eq!(
        pushed["name"], "nascfg-nas7-20260102T030405Z.tar.gz",
        "{pushed}"
    );
    assert_eq!(pushed["sha256"], sha256_of(&plain).as_str(), "{pushed}");
    assert_eq!(pushed["manifest"]["seed_included"], false, "{pushed}");
    let pulled = a.tmp().join("pulled.tar.gz");
    let object = format!("{at}/nascfg-nas7-20260102T030405Z.tar.gz");
    ok_json(
        &a,
        &["backup", "pull", &object, "-o", pulled.to_str().unwrap()],
        secrets,
    );
    assert_eq!(
        std::fs::read(&pulled).unwrap(),
        std::fs::read(&plain).unwrap()
    );

    // The seed in an unencrypted file never leaves the box; nothing reaches the service.
    let seeded = a.tmp().join("seeded.tar.gz");
    a.ok(&[
        "backup",
        "export",
        "--include-seed",
        "-o",
        seeded.to_str().unwrap(),
    ]);
    let r = run(
        &a,
        &["backup", "push", at, "--bundle", seeded.to_str().unwrap()],
    );
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stderr.contains("passphrase"), "{}", r.transcript());
    // Not a bundle at all: refused by its manifest.
    let junk = a.write_file("junk.tar.gz", b"not a bundle");
    let r = run(&a, &["backup", "push", at, "--bundle", &junk]);
    assert_eq!(r.code, 1, "{}", r.transcript());
    let names: Vec<String> = a
        .json(&["backup", "list", at])
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["nascfg-nas7-20260102T030405Z.tar.gz"]);

    // A passphrase-protected file with the seed goes as it is, without its passphrase; its name
    // (not a bundle name) is made from this host and the time.
    let sealed = a.tmp().join("sealed.age");
    let r = run(
        &a,
        &[
            "backup",
            "export",
            "--include-seed",
            "--passphrase-env",
            "NASCFG_TEST_PASS",
            "-o",
            sealed.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.transcript());
    let pushed = ok_json(
        &a,
        &["backup", "push", at, "--bundle", sealed.to_str().unwrap()],
        secrets,
    );
    let name = pushed["name"].as_str().unwrap();
    assert!(
        name.starts_with("nascfg-") && name.ends_with(".tar.gz.age"),
        "{pushed}"
    );
    assert_eq!(pushed["encrypted"], true, "{pushed}");
    assert_eq!(pushed["sha256"], sha256_of(&sealed).as_str(), "{pushed}");
    let r = run(
        &a,
        &["backup", "push", at, "--bundle", sealed.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(
        r.stdout.ends_with(", passphrase-protected\n"),
        "{}",
        r.transcript()
    );

    // One encrypted to a recipient (age-keygen's) is said to be that, not passphrase-protected,
    // whether pushed as a file or exported by the push.
    let identity = a.tmp().join("identity.txt");
    let keygen = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&identity)
        .output()
        .unwrap();
    assert!(keygen.status.success(), "age-keygen failed");
    let recipient = std::process::Command::new("age-keygen")
        .arg("-y")
        .arg(&identity)
        .output()
        .unwrap();
    let recipient = String::from_utf8(recipient.stdout).unwrap();
    let to_key = a.tmp().join("to-key.tar.gz.age");
    let r = run(
        &a,
        &[
            "backup",
            "export",
            "--include-seed",
            "--recipient",
            recipient.trim(),
            "-o",
            to_key.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.transcript());
    for push in [
        vec!["backup", "push", at, "--bundle", to_key.to_str().unwrap()],
        vec![
            "backup",
            "push",
            at,
            "--include-seed",
            "--recipient",
            recipient.trim(),
        ],
    ] {
        let r = run(&a, &push);
        assert_eq!(r.code, 0, "{}", r.transcript());
        assert!(
            r.stdout.ends_with(", encrypted to recipients\n"),
            "{}",
            r.transcript()
        );
        assert!(!r.stdout.contains("passphrase"), "{}", r.transcript());
    }
}

#[test]
fn if_changed_pushes_only_after_a_change() {
    let s = S3Server::start();
    let a = new_box(&strs(&s3_add(&s)));
    let at = "store:bucket1/nas1";
    let first = a.json(&["backup", "push", at, "--if-changed"]);
    assert_eq!(first["pushed"], true, "{first}");
    let second = a.json(&["backup", "push", at, "--if-changed"]);
    assert_eq!(second["pushed"], false, "{second}");
    // Changes to the database's bytes that leave the configuration as it was push nothing:
    // the comparison is of the logical content and the seed, not of the file.
    let db = a.data_dir().join("config.db");
    let before = std::fs::read(&db).unwrap();
    let resave = format!("secret_access_key={BOX_SECRET}");
    let same: [(&str, &dyn Fn()); 2] = [
        ("a VACUUM", &|| {
            let status = std::process::Command::new("sqlite3")
                .arg(&db)
                .arg("VACUUM;")
                .status()
                .unwrap();
            assert!(status.success());
        }),
        ("a secret re-saved with its value", &|| {
            a.ok(&["cred", "update", "extra", "--set", &resave]);
        }),
    ];
    for (what, change) in same {
        change();
        let again = a.json(&["backup", "push", at, "--if-changed"]);
        assert_eq!(again["pushed"], false, "after {what}: {again}");
    }
    assert_ne!(std::fs::read(&db).unwrap(), before, "the bytes did change");
    a.ok(&["cred", "update", "extra", "--set", "region=eu-west-1"]);
    let third = a.json(&["backup", "push", at, "--if-changed"]);
    assert_eq!(third["pushed"], true, "{third}");
    assert_eq!(a.json(&["backup", "list", at]).as_array().unwrap().len(), 2);
    // `backup diff` reads remote bundles too: the change between the two, none against the box.
    let (old, new) = (
        first["location"].as_str().unwrap(),
        third["location"].as_str().unwrap(),
    );
    let diff = a.json(&["backup", "diff", old, new]);
    assert_eq!(diff["identical"], false, "{diff}");
    assert!(diff.to_string().contains("region"), "{diff}");
    let none = a.json(&["backup", "diff", new, "-"]);
    assert_eq!(none["identical"], true, "{none}");
}

#[test]
fn a_damaged_object_is_refused_by_pull_and_restore() {
    let w = WebDav::start();
    let a = new_box(&strs(&webdav_add(&w)));
    let pushed = a.json(&["backup", "push", "store:backups"]);
    let name = pushed["name"].as_str().unwrap();
    // Flip one byte in the middle of the object on the server.
    let file = w.root().join("backups").join(name);
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&file, &bytes).unwrap();
    let out = a.tmp().join("pulled.tar.gz");
    let object = format!("store:backups/{name}");
    let r = a.fail(&["backup", "pull", &object, "-o", out.to_str().unwrap()]);
    assert!(!out.exists(), "{}", r.transcript());
    let before = std::fs::read(a.data_dir().join("config.db")).unwrap();
    let r = a.fail(&["backup", "restore", &object]);
    assert!(r.stderr.contains("error"), "{}", r.transcript());
    assert_eq!(
        std::fs::read(a.data_dir().join("config.db")).unwrap(),
        before
    );
}

/// The bytes after which the proxy cuts a connection: past the requests before the upload
/// (listings), well inside the bundle (a 60 KiB sealed token makes it larger).
const CUT_AFTER: u64 = 24 << 10;

#[test]
fn a_connection_cut_mid_upload_leaves_no_bundle_and_the_box_unchanged() {
    let s = S3Server::start();
    let w = WebDav::start();
    let s3_proxy = CutProxy::start(s.port, CUT_AFTER);
    let dav_proxy = CutProxy::start(w.port, CUT_AFTER);
    let mut s3 = s3_add(&s);
    *s3.last_mut().unwrap() = format!("endpoint=http://127.0.0.1:{}", s3_proxy.port);
    let mut dav = webdav_add(&w);
    dav[3] = format!("url=http://127.0.0.1:{}/dav/", dav_proxy.port);
    // (what, the credential through the proxy, the same straight to the server, where, the
    // server's folder, the proxy)
    let cases = [
        (
            "S3",
            s3,
            s3_add(&s),
            "store:bucket1/nas1",
            s.root().join("bucket1"),
            &s3_proxy,
        ),
        (
            "WebDAV",
            dav,
            webdav_add(&w),
            "store:backups",
            w.root(),
            &dav_proxy,
        ),
    ];
    for (what, add, direct, at, server_dir, proxy) in cases {
        let a = new_box(&strs(&add));
        let mut args = vec!["cred", "add", "direct"];
        args.extend(strs(&direct));
        a.ok(&args);
        add_big_credential(&a);
        let before = tree(a.data_dir());
        let r = a.fail(&["backup", "push", at]);
        assert!(
            proxy.cuts() >= 1,
            "{what}: nothing was cut:\n{}",
            r.transcript()
        );
        assert!(r.stderr.contains("error"), "{what}: {}", r.transcript());
        assert!(
            !r.transcript().contains(BOX_SECRET),
            "{what}: {}",
            r.transcript()
        );
        assert_eq!(
            without_record(tree(a.data_dir())),
            without_record(before.clone()),
            "{what}: the box changed"
        );
        let bundles: Vec<String> = tree(&server_dir)
            .into_keys()
            .filter(|p| p.contains(".tar.gz"))
            .collect();
        assert!(
            bundles.iter().all(|p| !std::path::Path::new(p)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("nascfg-")),
            "{what}: an object under a final name: {bundles:?}"
        );
        // The listing agrees: no bundle.
        let listed = a.json(&["backup", "list", &at.replace("store:", "direct:")]);
        assert_eq!(listed, serde_json::json!([]), "{what}");
    }
}

/// A credential with a 60 KiB token, so that a bundle is large enough to be
/// cut or changed on its way.
fn add_big_credential(a: &Nascfg) {
    let token = a.write_file("token", "t".repeat(60 << 10));
    a.ok(&[
        "cred",
        "add",
        "big",
        "--provider",
        "OPENSTACK_SWIFT",
        "--set",
        "user=u",
        "--set",
        "key=k",
        "--set",
        "auth=https://auth.example/v3",
        "--set",
        &format!("auth_token=@{token}"),
    ]);
}

/// S3 checks a one-part push against the SHA-256 sent with it: a byte changed on the way is
/// refused by the service itself, and no object gets a final name (a read-back would find the
/// damage only after the object was named).
#[test]
fn s3_refuses_a_push_damaged_on_the_way() {
    let s = S3Server::start();
    let proxy = CutProxy::flipping(s.port, CUT_AFTER);
    let mut add = s3_add(&s);
    *add.last_mut().unwrap() = format!("endpoint=http://127.0.0.1:{}", proxy.port);
    let a = new_box(&strs(&add));
    add_big_credential(&a);
    let before = tree(a.data_dir());
    let r = a.fail(&["backup", "push", "store:bucket1/nas1"]);
    assert!(
        proxy.cuts() >= 1,
        "nothing was changed:\n{}",
        r.transcript()
    );
    // s3s-fs reports the failed SHA-256 check as `InternalError` (AWS says
    // `XAmzContentSHA256Mismatch`); what matters is that the upload is refused.
    assert!(
        r.stderr
            .contains("error: upload store:bucket1/nas1/nascfg-"),
        "not refused by the service: {}",
        r.transcript()
    );
    assert!(!r.transcript().contains(BOX_SECRET), "{}", r.transcript());
    assert!(
        !r.transcript().contains(&s.secret_access_key),
        "{}",
        r.transcript()
    );
    assert_eq!(
        without_record(tree(a.data_dir())),
        without_record(before.clone()),
        "the box changed"
    );
    let named: Vec<String> = tree(&s.root().join("bucket1"))
        .into_keys()
        .filter(|p| p.contains("nascfg-"))
        .collect();
    assert!(named.is_empty(), "an object under a final name: {named:?}");
}

#[test]
fn prune_dry_run_deletes_nothing_and_leaves_other_files() {
    let s = S3Server::start();
    let a = new_box(&strs(&s3_add(&s)));
    let dir = s.root().join("bucket1").join("nas1");
    std::fs::create_dir_all(&dir).unwrap();
    let names = [
        "nascfg-nas1-20260101T000000Z.tar.gz",
        "nascfg-nas1-20260102T000000Z.tar.gz",
        "nascfg-nas1-20260103T000000Z.tar.gz",
        "notes.txt",
        "nascfg-nas1-garbage.tar.gz",
    ];
    for n in names {
        std::fs::write(dir.join(n), n).unwrap();
    }
    let planned = a.json(&[
        "backup",
        "prune",
        "store:bucket1/nas1",
        "--keep-last",
        "1",
        "--host",
        "nas1",
        "--dry-run",
    ]);
    assert_eq!(planned["deleted"].as_array().unwrap().len(), 2, "{planned}");
    for n in names {
        assert!(dir.join(n).exists(), "{n} was deleted by a dry run");
    }
    let done = a.json(&[
        "backup",
        "prune",
        "store:bucket1/nas1",
        "--keep-last",
        "1",
        "--host",
        "nas1",
    ]);
    assert_eq!(done["deleted"], planned["deleted"]);
    assert!(dir.join("nascfg-nas1-20260103T000000Z.tar.gz").exists());
    assert!(!dir.join("nascfg-nas1-20260101T000000Z.tar.gz").exists());
    assert!(dir.join("notes.txt").exists() && dir.join("nascfg-nas1-garbage.tar.gz").exists());
}

#[test]
fn rclone_engine_keeps_secrets_out_of_its_arguments() {
    let w = WebDav::start();
    let a = new_box(&strs(&webdav_add(&w)));
    // The share's top: nginx refuses the MKCOL of a folder without a trailing slash that
    // rclone 1.60 sends for a parent folder.
    let at = "store:";
    // Watch every rclone child while the push runs: its arguments must hold no secret.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let watcher = {
        let (stop, seen) = (stop.clone(), seen.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for entry in std::fs::read_dir("/proc").unwrap().flatten() {
                    let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                        continue;
                    };
                    let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                    if text.starts_with("rclone ") && text.contains("NASCFG:") {
                        seen.lock().unwrap().push(text);
                    }
                }
                std::thread::yield_now();
            }
        })
    };
    let pushed = ok_json(
        &a,
        &["backup", "push", at, "--engine", "rclone"],
        &[&w.password],
    );
    let listed = ok_json(
        &a,
        &["backup", "list", at, "--engine", "rclone"],
        &[&w.password],
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    watcher.join().unwrap();
    assert_eq!(listed[0]["name"], pushed["name"]);
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty(), "no rclone child was seen");
    for cmdline in seen.iter() {
        assert!(!cmdline.contains(&w.password), "{cmdline}");
        assert!(!cmdline.contains("pass"), "{cmdline}");
    }
    // The object is the same one the native engine reads.
    let out = a.tmp().join("b.tar.gz");
    let object = format!("{at}{}", pushed["name"].as_str().unwrap());
    ok_json(
        &a,
        &["backup", "pull", &object, "-o", out.to_str().unwrap()],
        &[],
    );
    assert_eq!(sha256_of(&out), pushed["sha256"].as_str().unwrap());
}

/// A data directory's files without the push record, which every push attempt
/// updates by design (`backup status` reads it): "the box is unchanged" means
/// its configuration and seed.
fn without_record(
    mut files: std::collections::BTreeMap<String, String>,
) -> std::collections::BTreeMap<String, String> {
    files.retain(|path, _| !path.ends_with("/push-record.json"));
    files
}
