//! `nascfg export rclone` and `nascfg import rclone`, with the real rclone
//! (Debian's 1.60) as the peer: it reads every exported file (`config dump`
//! gives the same values) and lists the loopback FTP, SFTP and WebDAV
//! servers with the exported credentials, and fails with a wrong password.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::process::Command;

use nascfg_interop::rclone;
use nascfg_tests::cli::Nascfg;
use nascfg_tests::servers::{Sshd, Vsftpd, WebDav};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Value, json};

const TOKEN: &str = r#"{"access_token":"ya29.test","token_type":"Bearer","refresh_token":"1//refresh","expiry":"2030-01-01T00:00:00Z"}"#;
const GCS_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAtestonly\n-----END PRIVATE KEY-----\n";

/// `rclone ARGS` without the CA-bundle variables that break Debian's 1.60.
fn rclone(args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new("rclone");
    for var in [
        "AWS_CA_BUNDLE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "CURL_CA_BUNDLE",
        "REQUESTS_CA_BUNDLE",
        "RCLONE_CONFIG_PASS",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", std::env::temp_dir())
        .args(args)
        .output()
        .expect("run rclone (installed by .ci/setup)")
}

fn dump(conf: &str) -> Value {
    let out = rclone(&["--config", conf, "config", "dump"]);
    assert!(
        out.status.success(),
        "rclone config dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn lsjson(conf: &str, remote: &str) -> std::process::Output {
    rclone(&[
        "--config",
        conf,
        "lsjson",
        &format!("{remote}:"),
        "--contimeout",
        "10s",
        "--timeout",
        "20s",
        "--retries",
        "1",
        "--low-level-retries",
        "1",
    ])
}

fn add(n: &Nascfg, name: &str, provider: &str, sets: &[&str]) {
    let mut args = vec!["cred", "add", name, "--provider", provider];
    for s in sets {
        args.push("--set");
        args.push(s);
    }
    n.ok(&args);
}

fn shown(n: &Nascfg, name: &str) -> Value {
    n.json(&["cred", "show", name, "--reveal"])["provider"].clone()
}

fn reveal(v: &Value) -> String {
    rclone::reveal(v.as_str().unwrap())
        .unwrap()
        .expose_secret()
        .to_owned()
}

/// One credential of every provider (Hubic and, on rclone 1.60, Mega are skipped).
fn add_everything(n: &Nascfg) {
    let token = n.write_file("token.json", TOKEN);
    let gcs = n.write_file(
        "gcs.json",
        serde_json::to_string_pretty(&json!({
            "type": "service_account", "project_id": "nas-backup-1", "private_key": GCS_PEM,
            "client_email": "b@nas-backup-1.iam.gserviceaccount.com"
        }))
        .unwrap(),
    );
    let tok = format!("token=@{token}");
    add(
        n,
        "s3 v2 (prod)",
        "S3",
        &[
            "access_key_id=AKIAEXAMPLE",
            "secret_access_key=wJalr/XUtn+FEMI",
            "endpoint=http://127.0.0.1:9",
            "signatures_v2=true",
            "max_upload_parts=1000",
        ],
    );
    add(
        n,
        "aws",
        "S3",
        &[
            "access_key_id=AKIA2",
            "secret_access_key=s2",
            "region=eu-west-1",
        ],
    );
    add(n, "b2", "B2", &["account=0012ab", "key=K001secret"]);
    add(
        n,
        "ftp",
        "FTP",
        &[
            "host=127.0.0.1",
            "port=2121",
            "user=u",
            "pass= spaced pass ",
        ],
    );
    add(
        n,
        "dav",
        "WEBDAV",
        &[
            "url=https://dav.example.com/dav",
            "vendor=owncloud",
            "user=",
            "pass=p",
        ],
    );
    add(
        n,
        "gcs",
        "GOOGLE_CLOUD_STORAGE",
        &[&format!("service_account_credentials=@{gcs}")],
    );
    add(
        n,
        "od",
        "ONEDRIVE",
        &[&tok, "drive_type=DOCUMENT_LIBRARY", "drive_id=b!xyz"],
    );
    add(
        n,
        "drive",
        "GOOGLE_DRIVE",
        &[
            &tok,
            "client_id=cid",
            "client_secret=csecret",
            "team_drive=0ABC",
        ],
    );
    add(n, "photos", "GOOGLE_PHOTOS", &[&tok]);
    add(n, "box", "BOX", &[&tok]);
    add(n, "dropbox", "DROPBOX", &[&tok]);
    add(n, "pcloud", "PCLOUD", &[&tok, "hostname=eapi.pcloud.com"]);
    add(n, "yandex", "YANDEX", &[&tok]);
    add(n, "http", "HTTP", &["url=https://example.com/pub/"]);
    add(
        n,
        "azure",
        "AZUREBLOB",
        &[
            "account=devstoreaccount1",
            "key=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
        ],
    );
    add(
        n,
        "swift",
        "OPENSTACK_SWIFT",
        &[
            "user=u",
            "key=k",
            "auth=https://auth.example.com/v3",
            "auth_version=3",
            "endpoint_type=internal",
            "tenant=t",
        ],
    );
    n.ok(&["keypair", "generate", "nas key"]);
    add(
        n,
        "sftp",
        "SFTP",
        &[
            "host=127.0.0.1",
            "user=backup",
            "private_key=nas key",
            "pass=pw",
        ],
    );
    add(n, "hubic", "HUBIC", &[&tok]);
    add(n, "mega", "MEGA", &["user=me@example.com", "pass=megapass"]);
}

#[test]
fn rclone_reads_every_exported_file() {
    let n = Nascfg::new();
    add_everything(&n);
    let conf = n.tmp().join("rclone.conf");
    let conf_s = conf.to_str().unwrap();
    let run = n.run(&["export", "rclone", "-o", conf_s]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(run.stderr.contains("skipped hubic"), "{}", run.stderr);
    assert!(
        run.stderr.contains("skipped mega"),
        "rclone 1.60 has no mega: {}",
        run.stderr
    );
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&conf).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // rclone reads exactly what we wrote.
    let dumped = dump(conf_s);
    let ours = rclone::Conf::parse(&std::fs::read(&conf).unwrap(), None).unwrap();
    assert_eq!(dumped.as_object().unwrap().len(), ours.sections().len());
    assert_eq!(ours.sections().len(), 17, "{dumped:#}");
    for section in ours.sections() {
        let remote = &dumped[section.name()];
        let keys: Vec<_> = section.entries().collect();
        assert_eq!(
            remote.as_object().unwrap().len(),
            keys.len(),
            "{}",
            section.name()
        );
        for (k, v) in keys {
            assert_eq!(remote[k], v, "{}.{k}", section.name());
        }
    }

    // ...and the values are the credentials' values (obscured ones revealed).
    let s3 = &dumped["s3 v2 _prod_"];
    let s3c = shown(&n, "s3 v2 (prod)");
    assert_eq!(s3["type"], "s3");
    assert_eq!(s3["provider"], "Other");
    assert_eq!(s3["secret_access_key"], s3c["secret_access_key"]);
    assert_eq!(s3["v2_auth"], "true");
    assert_eq!(s3["max_upload_parts"], "1000");
    assert_eq!(dumped["aws"]["provider"], "AWS");
    assert_eq!(dumped["aws"]["region"], "eu-west-1");
    assert_eq!(reveal(&dumped["ftp"]["pass"]), " spaced pass ");
    assert_eq!(dumped["ftp"]["port"], "2121");
    assert_eq!(reveal(&dumped["dav"]["pass"]), "p");
    assert_eq!(dumped["dav"]["vendor"], "owncloud");
    assert_eq!(dumped["dav"]["user"], "");
    assert_eq!(dumped["gcs"]["type"], "google cloud storage");
    assert_eq!(dumped["gcs"]["project_number"], "nas-backup-1");
    let sa: Value = serde_json::from_str(
        dumped["gcs"]["service_account_credentials"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let sa_given: Value = serde_json::from_str(
        shown(&n, "gcs")["service_account_credentials"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(sa, sa_given);
    assert_eq!(dumped["od"]["drive_type"], "documentLibrary");
    assert_eq!(dumped["od"]["token"], TOKEN);
    assert_eq!(dumped["drive"]["client_secret"], "csecret");
    assert_eq!(dumped["drive"]["team_drive"], "0ABC");
    assert_eq!(dumped["photos"]["type"], "google photos");
    assert_eq!(dumped["swift"]["auth_version"], "3");
    assert_eq!(dumped["swift"]["endpoint_type"], "internal");
    assert_eq!(reveal(&dumped["sftp"]["pass"]), "pw");
    let key_pem = dumped["sftp"]["key_pem"].as_str().unwrap();
    assert!(
        !key_pem.contains('\n') && key_pem.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\\n")
    );

    // Standard output when no -o; names select.
    let out = n.ok(&["export", "rclone", "b2", "http"]);
    let conf = rclone::Conf::parse(out.as_bytes(), None).unwrap();
    assert_eq!(conf.sections().len(), 2);
    n.fail(&["export", "rclone", "no-such-credential"]);
}

#[test]
fn rclone_lists_the_real_servers_with_exported_credentials() {
    let ftp = Vsftpd::start();
    let sshd = Sshd::start();
    let dav = WebDav::start();
    let n = Nascfg::new();
    let ftp_port = format!("port={}", ftp.port);
    let ssh_port = format!("port={}", sshd.port);
    add(
        &n,
        "ftp",
        "FTP",
        &[
            "host=127.0.0.1",
            &ftp_port,
            &format!("user={}", ftp.user),
            &format!("pass={}", ftp.password),
        ],
    );
    add(
        &n,
        "ftp-wrong",
        "FTP",
        &[
            "host=127.0.0.1",
            &ftp_port,
            &format!("user={}", ftp.user),
            "pass=wrong",
        ],
    );
    add(
        &n,
        "sftp-pass",
        "SFTP",
        &[
            "host=127.0.0.1",
            &ssh_port,
            &format!("user={}", sshd.user),
            &format!("pass={}", sshd.password),
        ],
    );
    add(
        &n,
        "sftp-wrong",
        "SFTP",
        &[
            "host=127.0.0.1",
            &ssh_port,
            &format!("user={}", sshd.user),
            "pass=wrong",
        ],
    );
    let key = n.write_file("client_key", &sshd.private_key_pem);
    n.ok(&["keypair", "import", "client", "--private-key", &key]);
    add(
        &n,
        "sftp-key",
        "SFTP",
        &[
            "host=127.0.0.1",
            &ssh_port,
            &format!("user={}", sshd.user),
            "private_key=client",
        ],
    );
    add(
        &n,
        "dav",
        "WEBDAV",
        &[
            &format!("url={}", dav.url),
            "vendor=OTHER",
            &format!("user={}", dav.user),
            &format!("pass={}", dav.password),
        ],
    );
    add(
        &n,
        "dav-wrong",
        "WEBDAV",
        &[
            &format!("url={}", dav.url),
            "vendor=OTHER",
            &format!("user={}", dav.user),
            "pass=wrong",
        ],
    );
    let conf = n.tmp().join("rclone.conf");
    let conf_s = conf.to_str().unwrap();
    n.ok(&["export", "rclone", "-o", conf_s]);
    for (remote, works) in [
        ("ftp", true),
        ("ftp-wrong", false),
        ("sftp-pass", true),
        ("sftp-key", true),
        ("sftp-wrong", false),
        ("dav", true),
        ("dav-wrong", false),
    ] {
        let out = lsjson(conf_s, remote);
        assert_eq!(
            out.status.success(),
            works,
            "rclone lsjson {remote}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if works {
            let _: Value = serde_json::from_slice(&out.stdout).expect("lsjson prints JSON");
        }
    }
}

/// Each credential of an import's JSON report: its name and status.
fn statuses(report: &Value) -> Vec<(String, String)> {
    report["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().to_owned(),
                i["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn import_reads_plain_and_encrypted_files() {
    let n = Nascfg::new();
    // Obscured by the real rclone.
    let obscured = String::from_utf8(rclone(&["obscure", "potato"]).stdout)
        .unwrap()
        .trim()
        .to_owned();
    let text = format!(
        "# my remotes\n[nas ftp]\ntype = ftp\nhost = ftp.example.com\nuser = me\npass = {obscured}\n\n\
         [old s3]\ntype = s3\nprovider = Ceph\naccess_key_id = k\nsecret_access_key = s\nendpoint = https://ceph.example.com\nregion = other-v2-signature\nacl = private\n\n\
         [od]\ntype = onedrive\ntoken = {TOKEN}\ndrive_type = business\ndrive_id = b!1\n\n\
         [local]\ntype = local\n\n[secret]\ntype = crypt\nremote = local:/x\npassword = {obscured}\n\n\
         [sftp-file]\ntype = sftp\nhost = h\nuser = u\nkey_file = ~/.ssh/id_ed25519\n"
    );
    let plain = n.write_file("plain.conf", &text);
    let report = n.json(&["import", "rclone", &plain]);
    assert_eq!(
        statuses(&report),
        pairs(&[
            ("nas ftp", "imported"),
            ("old s3", "imported"),
            ("od", "imported"),
            ("local", "skipped"),
            ("secret", "skipped"),
            ("sftp-file", "imported"),
        ]),
        "{report:#}"
    );
    assert!(
        report.to_string().contains("acl"),
        "ignored options are noted: {report:#}"
    );
    assert_eq!(shown(&n, "nas ftp")["pass"], "potato");
    let s3 = shown(&n, "old s3");
    assert_eq!(s3["signatures_v2"], true);
    assert_eq!(s3["region"], "");
    assert_eq!(shown(&n, "od")["drive_type"], "BUSINESS");

    // Encrypted (RCLONE_ENCRYPT_V0), with the password from the environment.
    let conf = rclone::Conf::parse(text.as_bytes(), None).unwrap();
    let password = SecretString::from("correct horse".to_owned());
    let encrypted = n.write_file("enc.conf", conf.to_encrypted_text(&password, [7; 24]));
    // rclone itself opens it with the same password.
    let out = Command::new("rclone")
        .env("RCLONE_CONFIG_PASS", "correct horse")
        .env("HOME", n.tmp())
        .args(["--config", &encrypted, "config", "dump"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = Nascfg::new();
    let run = m.fail(&["import", "rclone", &encrypted]);
    assert!(
        run.stderr.contains("hint:") && run.stderr.contains("--passphrase-env"),
        "{}",
        run.stderr
    );
    let run = m
        .cmd()
        .env("PW", "wrong")
        .args(["import", "rclone", &encrypted, "--password-env", "PW"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let ok = m
        .cmd()
        .env("PW", "correct horse")
        .args([
            "--json",
            "import",
            "rclone",
            &encrypted,
            "--password-env",
            "PW",
        ])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(shown(&m, "nas ftp")["pass"], "potato");
}

#[test]
fn export_then_import_gives_the_same_credentials() {
    let n = Nascfg::new();
    add_everything(&n);
    let conf = n.tmp().join("rclone.conf");
    n.ok(&["export", "rclone", "-o", conf.to_str().unwrap()]);
    let m = Nascfg::new();
    let report = m.json(&["import", "rclone", conf.to_str().unwrap()]);
    assert_eq!(
        report["credentials"].as_array().unwrap().len(),
        17,
        "{report:#}"
    );
    let exported = rclone::Conf::parse(&std::fs::read(&conf).unwrap(), None).unwrap();
    let listed = n.json(&["cred", "list"]);
    for cred in listed.as_array().unwrap() {
        let name = cred["name"].as_str().unwrap();
        if matches!(name, "hubic" | "mega") {
            continue;
        }
        let remote = name.replace(['(', ')'], "_");
        assert!(exported.section(&remote).is_some(), "{remote}");
        let mut before = shown(&n, name);
        let mut after = shown(&m, &remote);
        if name == "sftp" {
            // The key pair comes back under the remote's name, with the same key.
            assert_eq!(after["private_key"], "sftp");
            let pub_of =
                |x: &Nascfg, k: &str| x.json(&["keypair", "show", k])["public_key"].clone();
            assert_eq!(pub_of(&m, "sftp"), pub_of(&n, "nas key"));
            before["private_key"] = Value::Null;
            after["private_key"] = Value::Null;
        }
        if name == "gcs" {
            // Written on one line: the same JSON document.
            for v in [&mut before, &mut after] {
                let doc: Value =
                    serde_json::from_str(v["service_account_credentials"].as_str().unwrap())
                        .unwrap();
                v["service_account_credentials"] = doc;
            }
        }
        assert_eq!(after, before, "{name}");
    }
}

/// A second import over stored credentials: a name already stored is
/// skipped, or with `--replace` written over with the file's new secret,
/// while new names are added from what the preparing threads sealed ahead.
#[test]
fn import_again_skips_or_replaces_what_is_stored() {
    let n = Nascfg::new();
    let obscure = |plain: &str| {
        String::from_utf8(rclone(&["obscure", plain]).stdout)
            .unwrap()
            .trim()
            .to_owned()
    };
    let section = |name: &str, pass: &str| {
        format!(
            "[{name}]\ntype = webdav\nurl = https://dav.example.com/{name}\nvendor = other\nuser = me\npass = {}\n\n",
            obscure(pass)
        )
    };
    let first = n.write_file("first.conf", section("a", "one") + &section("b", "two"));
    n.json(&["import", "rclone", &first]);
    let second = n.write_file(
        "second.conf",
        section("a", "changed") + &section("c", "three"),
    );

    let again = n.json(&["import", "rclone", &second]);
    assert_eq!(
        statuses(&again),
        pairs(&[("a", "skipped"), ("c", "imported")]),
        "{again:#}"
    );
    assert!(again.to_string().contains("--replace"), "{again:#}");
    assert_eq!(shown(&n, "a")["pass"], "one");
    assert_eq!(shown(&n, "c")["pass"], "three");

    let replaced = n.json(&["import", "rclone", &second, "--replace"]);
    assert_eq!(
        statuses(&replaced),
        pairs(&[("a", "replaced"), ("c", "replaced")]),
        "{replaced:#}"
    );
    assert_eq!(shown(&n, "a")["pass"], "changed");
    assert_eq!(shown(&n, "b")["pass"], "two");
    assert_eq!(shown(&n, "c")["pass"], "three");
}
