//! `nascfg keypair generate | import | list | show | delete`.
#![allow(clippy::unwrap_used)]

use insta::assert_snapshot;
use nascfg_tests::cli::Nascfg;

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
    let delete = n.run(&["keypair", "delete", "edkey"]);
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
    n.settings().bind(|| {
        assert_snapshot!("keypair_generate", gen_ed.transcript());
        assert_snapshot!("keypair_list", list.transcript());
        assert_snapshot!("keypair_show", show.transcript());
        insta::assert_json_snapshot!("keypair_show_json", show_json);
        assert_snapshot!("keypair_duplicate", dup.transcript());
        assert_snapshot!("keypair_delete_unbinds", delete.transcript());
        assert_snapshot!("keypair_show_missing", missing.transcript());
    });
}

/// A key made by the real `ssh-keygen` imports with the same fingerprint.
#[test]
fn import_openssh_keys() {
    let n = Nascfg::new();
    let key = n.tmp().join("id_ed25519");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen (openssh-client) is installed by .ci/setup");
    assert!(status.success());
    let fp = std::process::Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    let fp = String::from_utf8_lossy(&fp.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();
    let imported = n.json(&[
        "keypair",
        "import",
        "mine",
        "--private-key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(imported["fingerprint"], fp.as_str());
    assert_eq!(imported["type"], "ed25519");

    // An encrypted key, a PEM that is not OpenSSH, garbage, a missing file.
    let enc = n.tmp().join("enc");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "a passphrase", "-f"])
        .arg(&enc)
        .status()
        .unwrap();
    assert!(status.success());
    let pem = n.write_file(
        "rsa.pem",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----\n",
    );
    let garbage = n.write_file("garbage", "-----BEGIN OPENSSH PRIVATE KEY-----\nnot base64 at all!\n-----END OPENSSH PRIVATE KEY-----\n");
    let cases = [
        ("encrypted", enc.to_str().unwrap().to_owned()),
        ("pem", pem),
        ("garbage", garbage),
        ("missing", "/nonexistent/key".to_owned()),
    ];
    for (name, path) in cases {
        let run = n.fail(&["keypair", "import", name, "--private-key", &path]);
        n.settings()
            .bind(|| assert_snapshot!(format!("keypair_import_{name}"), run.transcript()));
    }
    assert_eq!(
        n.json(&["keypair", "list"]).as_array().map(Vec::len),
        Some(1)
    );
}
