//! `nascfg keypair generate | import | list | show | delete`.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use insta::assert_snapshot;
use nascfg_tests::cli::{Nascfg, Run};

#[test]
fn generate_list_show_delete_unbinds() {
    let n = Nascfg::new();
    let gen_ed = n.run(&["keypair", "generate", "edkey"]);
    let gen_rsa = n.json(&["keypair", "generate", "rsakey", "--type", "rsa"]);
    assert_eq!(gen_rsa["type"], "rsa");
    assert!(
        gen_rsa["public_key"]
            .as_str()
            .unwrap()
            .starts_with("ssh-rsa AAAA")
    );
    let list = n.run(&["keypair", "list"]);
    let show = n.run(&["keypair", "show", "edkey"]);
    let show_json = n.json(&["keypair", "show", "edkey"]);
    n.ok(&[
        "cred",
        "add",
        "sftp1",
        "--provider",
        "sftp",
        "--set",
        "host=h",
        "--set",
        "user=u",
        "--set",
        "private_key=edkey",
    ]);
    n.ok(&[
        "cred",
        "add",
        "sftp2",
        "--provider",
        "sftp",
        "--set",
        "host=h",
        "--set",
        "user=u",
        "--set",
        "private_key=rsakey",
    ]);
    let dup = n.fail(&["keypair", "generate", "edkey"]);
    // In use by sftp1: refused, naming it, nothing changed; --force unbinds.
    let in_use = n.fail(&["keypair", "delete", "edkey"]);
    assert_eq!(
        n.json(&["cred", "show", "sftp1"])["provider"]["private_key"],
        "edkey"
    );
    let delete = n.run(&["keypair", "delete", "edkey", "--force"]);
    let unbound = n.json(&["cred", "show", "sftp1"]);
    assert!(
        unbound["provider"].get("private_key").is_none(),
        "{unbound}"
    );
    assert_eq!(
        n.json(&["cred", "show", "sftp2"])["provider"]["private_key"],
        "rsakey"
    );
    let missing = n.fail(&["keypair", "show", "edkey"]);
    // --force on a key pair nobody uses, and --json.
    n.ok(&["cred", "delete", "sftp2"]);
    assert_eq!(
        n.json(&["keypair", "delete", "rsakey", "--force"]),
        serde_json::json!({ "deleted": "rsakey", "unbound_credentials": [] })
    );
    n.settings().bind(|| {
        assert_snapshot!("keypair_generate", gen_ed.transcript());
        assert_snapshot!("keypair_list", list.transcript());
        assert_snapshot!("keypair_show", show.transcript());
        insta::assert_json_snapshot!("keypair_show_json", show_json);
        assert_snapshot!("keypair_duplicate", dup.transcript());
        assert_snapshot!("keypair_delete_in_use", in_use.transcript());
        assert_snapshot!("keypair_delete_unbinds", delete.transcript());
        assert_snapshot!("keypair_show_missing", missing.transcript());
    });
}

const PASSPHRASE: &str = "right horse battery";
const FIXTURE_PASS: &str = "fixture-pass";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/keys");

/// `type base64` of an OpenSSH public key line (comments may differ).
fn core(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// What `ssh-keygen -y` reads from `key`.
fn ssh_keygen_public(key: &Path, passphrase: &str) -> String {
    let out = Command::new("ssh-keygen")
        .args(["-y", "-P", passphrase, "-f"])
        .arg(key)
        .output()
        .expect("ssh-keygen (openssh-client) is installed by .ci/setup");
    assert!(out.status.success(), "ssh-keygen -y {}", key.display());
    core(&String::from_utf8(out.stdout).unwrap())
}

/// Writes a key with `ssh-keygen ARGS -N PASSPHRASE` and returns its path.
fn ssh_keygen(n: &Nascfg, name: &str, args: &[&str], passphrase: &str) -> PathBuf {
    let key = n.tmp().join(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-C", "from ssh-keygen"])
        .args(args)
        .args(["-N", passphrase, "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen (openssh-client) is installed by .ci/setup");
    assert!(status.success(), "ssh-keygen {args:?}");
    key
}

/// Imports `key` as `name` (with `--passphrase-file` holding `passphrase`, if
/// any) and checks the key pair shown: its public key is `expected` and it
/// reads back from `keypair show`.
fn check(n: &Nascfg, name: &str, key: &Path, passphrase: Option<&str>, expected: &str) {
    let key = key.to_str().unwrap();
    let mut args = vec!["keypair", "import", name, "--private-key", key];
    let pass_file;
    if let Some(p) = passphrase {
        pass_file = n.write_file("passphrase", format!("{p}\n"));
        args.extend(["--passphrase-file", &pass_file]);
    }
    let imported = n.json(&args);
    assert_eq!(
        core(imported["public_key"].as_str().unwrap()),
        expected,
        "{name}"
    );
    assert_eq!(
        n.json(&["keypair", "show", name])["public_key"],
        imported["public_key"]
    );
}

/// A copy of `key` rewritten by `ssh-keygen -p` in `format` (PEM, PKCS8 or
/// RFC4716, which is OpenSSH's own) under `passphrase` ("" for none).
fn rewritten(key: &Path, name: &str, format: &str, passphrase: &str) -> PathBuf {
    let copy = key.with_file_name(name);
    std::fs::copy(key, &copy).unwrap();
    let out = Command::new("ssh-keygen")
        .args(["-q", "-p", "-P", "", "-N", passphrase, "-m", format, "-f"])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(out.status.success(), "ssh-keygen -p -m {format} {name}");
    copy
}

/// Every format `ssh-keygen` writes, from keys it generates now, plain and
/// encrypted: the public key shown is `ssh-keygen -y`'s. (One key per
/// algorithm, rewritten per format: RSA generation is slow.)
#[test]
fn keys_ssh_keygen_writes_import() {
    let n = Nascfg::new();
    let generated =
        |args: &[&str]| ssh_keygen(&n, &format!("generated-{}", args.join("")), args, "");
    let ed25519 = generated(&["-t", "ed25519"]);
    let rsa = generated(&["-t", "rsa", "-b", "2048"]);
    let rsa_1024 = generated(&["-t", "rsa", "-b", "1024"]);
    let p256 = generated(&["-t", "ecdsa", "-b", "256"]);
    let p384 = generated(&["-t", "ecdsa", "-b", "384"]);
    let p521 = generated(&["-t", "ecdsa", "-b", "521"]);
    for (name, key, format, encrypted) in [
        ("ed25519", &ed25519, "RFC4716", false),
        ("ed25519-enc", &ed25519, "RFC4716", true),
        ("rsa-openssh-enc", &rsa, "RFC4716", true),
        ("rsa-pem", &rsa, "PEM", false),
        ("rsa-pem-enc", &rsa, "PEM", true),
        ("rsa-pkcs8", &rsa, "PKCS8", false),
        ("rsa-pkcs8-enc", &rsa, "PKCS8", true),
        ("rsa-1024-pem", &rsa_1024, "PEM", false),
        ("ecdsa-p256-sec1", &p256, "PEM", false),
        ("ecdsa-p384-sec1", &p384, "PEM", false),
        ("ecdsa-p521-sec1", &p521, "PEM", false),
        ("ecdsa-p384-sec1-enc", &p384, "PEM", true),
        ("ecdsa-p256-pkcs8", &p256, "PKCS8", false),
        ("ecdsa-p384-pkcs8", &p384, "PKCS8", false),
        ("ecdsa-p521-pkcs8-enc", &p521, "PKCS8", true),
        ("ecdsa-p521-openssh", &p521, "RFC4716", false),
        ("ecdsa-p256-openssh-enc", &p256, "RFC4716", true),
    ] {
        let passphrase = encrypted.then_some(PASSPHRASE);
        let key = rewritten(key, name, format, passphrase.unwrap_or(""));
        let expected = ssh_keygen_public(&key, PASSPHRASE);
        check(&n, name, &key, passphrase, &expected);
    }
}

/// Keys other tools wrote (tests/fixtures/keys/README.md), among them the
/// 76-column OpenSSH keys of Python's `cryptography`.
#[test]
fn keys_other_tools_write_import() {
    let n = Nascfg::new();
    let fixture = |f: &str| Path::new(FIXTURES).join(f);
    let ed_pkcs8 = core(&std::fs::read_to_string(fixture("ed25519-pkcs8.pub")).unwrap());
    for (file, passphrase, expected) in [
        ("ed25519-76col.key", None, None),
        ("ecdsa-p384-76col.key", None, None),
        ("ecdsa-p521-short.key", None, None),
        ("ecdsa-p521-short-encrypted.key", Some(FIXTURE_PASS), None),
        ("ed25519-pkcs8.key", None, Some(&ed_pkcs8)),
        (
            "ed25519-pkcs8-encrypted.key",
            Some(FIXTURE_PASS),
            Some(&ed_pkcs8),
        ),
        ("ecdsa-p256-pkcs8-sha1.key", Some(FIXTURE_PASS), None),
        ("rsa-pkcs1-des3.key", Some(FIXTURE_PASS), None),
    ] {
        let key = fixture(file);
        let expected = expected
            .cloned()
            .unwrap_or_else(|| ssh_keygen_public(&key, FIXTURE_PASS));
        check(
            &n,
            file.trim_end_matches(".key"),
            &key,
            passphrase,
            &expected,
        );
    }
}

/// An encrypted key: the passphrase from a variable; a wrong one and none at
/// all (standard input is not a terminal) fail with exit 1 and store nothing.
#[test]
fn encrypted_keys_need_their_passphrase() {
    let n = Nascfg::new();
    let key = ssh_keygen(
        &n,
        "enc",
        &["-t", "rsa", "-b", "2048", "-m", "PEM"],
        PASSPHRASE,
    );
    let key = key.to_str().unwrap();
    let import = |env: Option<&str>, extra: &[&str]| -> Run {
        let mut cmd = n.cmd();
        if let Some(value) = env {
            cmd.env("KEY_PASS", value);
        }
        cmd.args(["keypair", "import", "enc", "--private-key", key])
            .args(extra)
            .output()
            .unwrap()
            .into()
    };
    let wrong_file = n.write_file("wrong", "not the passphrase\n");
    let wrong = import(None, &["--passphrase-file", &wrong_file]);
    let wrong_env = import(Some("also wrong"), &["--passphrase-env", "KEY_PASS"]);
    let none = import(None, &[]);
    let unset = import(None, &["--passphrase-env", "KEY_PASS"]);
    for run in [&wrong, &wrong_env, &none, &unset] {
        assert_eq!(run.code, 1, "{}", run.transcript());
        assert!(!run.stderr.contains(PASSPHRASE), "{}", run.transcript());
    }
    assert_eq!(n.json(&["keypair", "list"]), serde_json::json!([]));
    let right = import(Some(PASSPHRASE), &["--passphrase-env", "KEY_PASS"]);
    assert_eq!(right.code, 0, "{}", right.transcript());
    assert_eq!(
        core(
            n.json(&["keypair", "show", "enc"])["public_key"]
                .as_str()
                .unwrap()
        ),
        ssh_keygen_public(Path::new(key), PASSPHRASE)
    );
    // A passphrase given for a key that has none is not needed and not an error.
    let plain = ssh_keygen(&n, "plain", &["-t", "ed25519"], "");
    let plain = plain.to_str().unwrap();
    let mut cmd = n.cmd();
    cmd.env("KEY_PASS", "unused")
        .args(["keypair", "import", "plain", "--private-key", plain])
        .args(["--passphrase-env", "KEY_PASS"]);
    assert!(cmd.output().unwrap().status.success());
    n.settings().bind(|| {
        assert_snapshot!("keypair_import_wrong_passphrase", wrong.transcript());
        assert_snapshot!("keypair_import_no_passphrase", none.transcript());
        assert_snapshot!("keypair_import_passphrase_env_unset", unset.transcript());
    });
    assert_eq!(wrong.stderr, wrong_env.stderr);
}

/// What is not a usable private key is refused with exit 1; nothing is stored.
#[test]
fn bad_private_keys_are_refused() {
    let n = Nascfg::new();
    let public = ssh_keygen(&n, "id", &["-t", "ed25519"], "").with_extension("pub");
    let cases = [
        (
            "pem",
            n.write_file(
                "rsa.pem",
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----\n",
            ),
        ),
        ("garbage", n.write_file("garbage", "-----BEGIN OPENSSH PRIVATE KEY-----\nnot base64 at all!\n-----END OPENSSH PRIVATE KEY-----\n")),
        ("truncated", n.write_file("truncated", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n")),
        ("public", public.to_str().unwrap().to_owned()),
        ("missing", "/nonexistent/key".to_owned()),
    ];
    for (name, path) in cases {
        let run = n.fail(&["keypair", "import", name, "--private-key", &path]);
        n.settings()
            .bind(|| assert_snapshot!(format!("keypair_import_{name}"), run.transcript()));
    }
    assert_eq!(n.json(&["keypair", "list"]), serde_json::json!([]));
}
