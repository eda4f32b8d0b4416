//! `nascfg backup export|inspect|restore` end to end: the main job (a new box
//! from a backup), the refused restore, `--allow-lost-secrets`, `--seed-file`,
//! passphrases, and the reference tools (`age`, `tar`, `sqlite3`) on a bundle.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::process::Command;

use nascfg_tests::cli::{Nascfg, tree};
use sha2::{Digest, Sha256};

const S3_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A box with an S3 and an SFTP credential (and the key pair it uses).
fn old_box() -> Nascfg {
    let a = Nascfg::new();
    a.ok(&["init"]);
    a.ok(&[
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
    a.ok(&["keypair", "generate", "nas-key"]);
    a.ok(&[
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
        "pass=hunter2",
        "--set",
        "private_key=nas-key",
    ]);
    a
}

fn reveal(n: &Nascfg, name: &str) -> serde_json::Value {
    n.json(&["cred", "show", name, "--reveal"])
}

#[test]
fn a_new_box_from_a_backup_with_seed_and_passphrase() {
    let a = old_box();
    let bundle = a.tmp().join("box.tar.gz.age");
    let run = a
        .cmd()
        .env("BUNDLE_PASS", "correct horse battery staple")
        .args([
            "backup",
            "export",
            "--include-seed",
            "--passphrase-env",
            "BUNDLE_PASS",
            "-o",
        ])
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(!String::from_utf8_lossy(&run.stderr).contains("warning"));
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&bundle).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let head = std::fs::read(&bundle).unwrap();
    assert!(head.starts_with(b"age-encryption.org/v1"));

    let b = Nascfg::new();
    let pass = b.write_file("pass", "correct horse battery staple\n");
    let inspect = b.json(&[
        "backup",
        "inspect",
        bundle.to_str().unwrap(),
        "--passphrase-file",
        &pass,
    ]);
    assert_eq!(inspect["restore"]["case"], "seed-in-bundle");
    assert_eq!(inspect["manifest"]["counts"]["credentials"], 2);
    let restored = b.json(&[
        "backup",
        "restore",
        bundle.to_str().unwrap(),
        "--passphrase-file",
        &pass,
    ]);
    assert_eq!(restored["restore"]["case"], "seed-from-bundle");
    assert_eq!(
        reveal(&b, "offsite")["provider"]["secret_access_key"],
        S3_SECRET
    );
    assert_eq!(reveal(&b, "home")["provider"]["pass"], "hunter2");
    assert_eq!(
        a.ok(&["seed", "fingerprint"]).trim(),
        b.ok(&["seed", "fingerprint"]).trim(),
    );
    // Same passphrase, wrong: refused, nothing changed.
    let before = tree(b.data_dir());
    let wrong = b.write_file("wrong", "incorrect horse\n");
    let run = b.fail(&[
        "backup",
        "restore",
        bundle.to_str().unwrap(),
        "--passphrase-file",
        &wrong,
    ]);
    assert!(
        run.stderr.contains("passphrase does not open"),
        "{}",
        run.stderr
    );
    assert_eq!(before, tree(b.data_dir()));
    // No passphrase and no terminal: told how to give one.
    let run = b.fail(&["backup", "inspect", bundle.to_str().unwrap()]);
    assert!(
        run.stderr.contains("hint: give it with --passphrase-file"),
        "{}",
        run.stderr
    );
}

#[test]
fn without_the_seed_it_is_refused_then_allowed_and_marked() {
    let a = old_box();
    let bundle = a.tmp().join("plain.tar.gz");
    let out = a.run(&["backup", "export", "-o", bundle.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.transcript());
    let b = Nascfg::new();
    b.ok(&["init"]);
    b.ok(&[
        "cred",
        "add",
        "mine",
        "--provider",
        "B2",
        "--set",
        "account=acct",
        "--set",
        "key=b2secret",
    ]);
    let inspect = b.json(&["backup", "inspect", bundle.to_str().unwrap()]);
    assert_eq!(inspect["restore"]["case"], "secrets-would-be-lost");
    assert_eq!(
        a.json(&["backup", "inspect", bundle.to_str().unwrap()])["restore"]["case"],
        "seed-matches"
    );

    let before = tree(b.data_dir());
    let run = b.fail(&["backup", "restore", bundle.to_str().unwrap()]);
    assert!(
        run.stderr
            .contains("lose the secrets of 2 credential(s) and 1 key pair(s)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: give the seed"), "{}", run.stderr);
    assert_eq!(
        before,
        tree(b.data_dir()),
        "a refused restore changed the data directory"
    );
    let dry = b.run(&[
        "backup",
        "restore",
        bundle.to_str().unwrap(),
        "--allow-lost-secrets",
        "--dry-run",
    ]);
    assert_eq!(dry.code, 0, "{}", dry.transcript());
    assert!(dry.stdout.contains("nothing was changed"));
    assert_eq!(
        before,
        tree(b.data_dir()),
        "a dry run changed the data directory"
    );

    let run = b.run(&[
        "backup",
        "restore",
        bundle.to_str().unwrap(),
        "--allow-lost-secrets",
    ]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout
            .contains("2 credential(s) need their secrets re-entered"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("previous database is kept"),
        "{}",
        run.stdout
    );
    let list = b.json(&["cred", "list"]);
    let mut names: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["home", "offsite"]);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|c| c["needs_secrets"] == true)
    );
    let run = b.fail(&["cred", "show", "offsite", "--reveal"]);
    assert!(run.stderr.contains("must be re-entered"), "{}", run.stderr);
    // Non-secret attributes survived; re-entering the secret clears the mark.
    b.ok(&[
        "cred",
        "update",
        "offsite",
        "--set",
        "access_key_id=AKIAIOSFODNN7EXAMPLE",
        "--set",
        "secret_access_key=NEWSECRETNEWSECRETNEWSECRETNEWSECRET1234",
    ]);
    let shown = reveal(&b, "offsite");
    assert_eq!(shown["provider"]["region"], "eu-west-1");
    assert_eq!(shown["provider"]["access_key_id"], "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(shown["needs_secrets"], false);
}

#[test]
fn a_seed_file_brings_the_secrets() {
    let a = old_box();
    let bundle = a.tmp().join("plain.tar.gz");
    a.ok(&["backup", "export", "-o", bundle.to_str().unwrap()]);
    let b = Nascfg::new();
    b.ok(&["init"]);
    let seed = a.data_dir().join("secret-seed");
    let short = b.write_file("short-seed", [7u8; 31]);
    let before = tree(b.data_dir());
    let run = b.fail(&[
        "backup",
        "restore",
        bundle.to_str().unwrap(),
        "--seed-file",
        &short,
    ]);
    assert!(run.stderr.contains("exactly 32 bytes"), "{}", run.stderr);
    assert_eq!(before, tree(b.data_dir()));
    let restored = b.json(&[
        "backup",
        "restore",
        bundle.to_str().unwrap(),
        "--seed-file",
        seed.to_str().unwrap(),
    ]);
    assert_eq!(restored["restore"]["case"], "seed-from-file");
    assert_eq!(restored["installs_seed"], true);
    assert!(
        restored["previous_seed"]
            .as_str()
            .unwrap()
            .contains("secret-seed.old-")
    );
    assert_eq!(
        reveal(&b, "offsite")["provider"]["secret_access_key"],
        S3_SECRET
    );
}

#[test]
fn the_seed_without_a_passphrase_is_warned_about() {
    let a = old_box();
    let bundle = a.tmp().join("seed.tar.gz");
    let run = a.run(&[
        "backup",
        "export",
        "--include-seed",
        "-o",
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains("warning:") && run.stderr.contains("without a passphrase"),
        "{}",
        run.stderr
    );
    // The default name carries host and time.
    let run = a
        .cmd()
        .current_dir(a.tmp())
        .args(["backup", "export"])
        .output()
        .unwrap();
    assert!(run.status.success());
    let names: Vec<_> = std::fs::read_dir(a.tmp())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("nascfg-") && n.ends_with(".tar.gz"))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].len() > "nascfg--20260101T000000Z.tar.gz".len());
}

#[test]
fn reference_tools_open_a_bundle() {
    let a = old_box();
    let bundle = a.tmp().join("box.tar.gz.age");
    let run = a
        .cmd()
        .env("BUNDLE_PASS", "tools test passphrase")
        .args([
            "backup",
            "export",
            "--include-seed",
            "--passphrase-env",
            "BUNDLE_PASS",
            "-o",
        ])
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(run.status.success());
    let plain = nascfg_tests::age_tool::decrypt_with_passphrase(&bundle, "tools test passphrase");
    let tgz = a.tmp().join("box.tar.gz");
    std::fs::write(&tgz, &plain).unwrap();
    let list = Command::new("tar").arg("-tzf").arg(&tgz).output().unwrap();
    assert!(list.status.success());
    assert_eq!(
        String::from_utf8_lossy(&list.stdout),
        "manifest.json\nmanifest.json.sig\nconfig.db\nsecret-seed\n"
    );
    let out = a.tmp().join("x");
    std::fs::create_dir(&out).unwrap();
    let x = Command::new("tar")
        .arg("-xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(&out)
        .status()
        .unwrap();
    assert!(x.success());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], "nascfg-bundle");
    assert_eq!(
        manifest["members"][0]["sha256"],
        format!(
            "{:x}",
            Sha256::digest(std::fs::read(out.join("config.db")).unwrap())
        )
    );
    let sql = Command::new("sqlite3")
        .arg(out.join("config.db"))
        .arg("PRAGMA integrity_check; SELECT count(*) FROM credential;")
        .output()
        .unwrap();
    assert!(
        sql.status.success(),
        "{}",
        String::from_utf8_lossy(&sql.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&sql.stdout), "ok\n2\n");
    // The secret never appears in clear in the database.
    assert!(
        !std::fs::read(out.join("config.db"))
            .unwrap()
            .windows(S3_SECRET.len())
            .any(|w| w == S3_SECRET.as_bytes())
    );
}

#[test]
fn a_damaged_bundle_changes_nothing() {
    let a = old_box();
    let bundle = a.tmp().join("b.tar.gz");
    a.ok(&[
        "backup",
        "export",
        "--include-seed",
        "-o",
        bundle.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&bundle).unwrap();
    let b = Nascfg::new();
    b.ok(&["init"]);
    let before = tree(b.data_dir());
    for (name, data) in [
        ("cut", bytes[..bytes.len() * 2 / 3].to_vec()),
        ("text", b"just some text\n".to_vec()),
        ("tail", [bytes.clone(), b"xyz".to_vec()].concat()),
    ] {
        let path = b.write_file(name, &data);
        let run = b.fail(&["backup", "restore", &path]);
        assert!(
            run.stderr.starts_with("error: ") && run.stderr.contains("\nhint: "),
            "{name}: {}",
            run.stderr
        );
        assert_eq!(before, tree(b.data_dir()), "{name}");
    }
}
