//! `nascfg seed fingerprint | rotate | export`.
#![allow(clippy::unwrap_used)]

use insta::assert_snapshot;
use nascfg_tests::cli::Nascfg;

fn add_ftp(n: &Nascfg, name: &str, pass: &str) {
    n.ok(&[
        "cred",
        "add",
        name,
        "--provider",
        "ftp",
        "--set",
        "host=h",
        "--set",
        "user=u",
        "--set",
        &format!("pass={pass}"),
    ]);
}

#[test]
fn fingerprint_and_rotate() {
    let n = Nascfg::new();
    add_ftp(&n, "one", "first-password");
    add_ftp(&n, "two", "second-password");
    let before = n.json(&["seed", "fingerprint"]);
    assert_eq!(before["matches"], true);
    let old_seed = std::fs::read(n.data_dir().join("secret-seed")).unwrap();
    let fp_text = n.run(&["seed", "fingerprint"]);
    let rotate = n.run(&["seed", "rotate"]);
    let after = n.json(&["seed", "fingerprint"]);
    assert_ne!(before["seed"], after["seed"]);
    assert_eq!(after["matches"], true);
    assert_eq!(
        n.json(&["cred", "show", "two", "--reveal"])["provider"]["pass"],
        "second-password"
    );
    let kept: Vec<_> = std::fs::read_dir(n.data_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("secret-seed.old-")
        })
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read(kept[0].path()).unwrap(), old_seed);
    n.settings().bind(|| {
        assert_snapshot!("seed_fingerprint", fp_text.transcript());
        assert_snapshot!("seed_rotate", rotate.transcript());
    });
}

#[test]
fn export_with_and_without_passphrase() {
    let n = Nascfg::new();
    add_ftp(&n, "one", "pw");
    let seed = std::fs::read(n.data_dir().join("secret-seed")).unwrap();
    let raw_path = n.tmp().join("seed.raw");
    let raw = n.run(&[
        "seed",
        "export",
        "-o",
        raw_path.to_str().unwrap(),
        "--no-passphrase",
    ]);
    assert_eq!(raw.code, 0, "{}", raw.transcript());
    assert_eq!(std::fs::read(&raw_path).unwrap(), seed);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&raw_path).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let pass_file = n.write_file("pass", "correct horse battery staple\n");
    let age_path = n.tmp().join("seed.age");
    n.ok(&[
        "seed",
        "export",
        "-o",
        age_path.to_str().unwrap(),
        "--passphrase-file",
        &pass_file,
    ]);
    let sealed = std::fs::read(&age_path).unwrap();
    assert!(nascfg_crypto::is_passphrase_protected(&sealed));
    let mut reader = nascfg_crypto::decrypt_with_passphrase(
        &nascfg_crypto::secrecy::SecretString::from("correct horse battery staple".to_owned()),
        &sealed[..],
    )
    .unwrap();
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut plain).unwrap();
    assert_eq!(plain, seed);

    let no_pass = n.fail(&["seed", "export", "-o", n.tmp().join("x").to_str().unwrap()]);
    let exists = n.fail(&[
        "seed",
        "export",
        "-o",
        raw_path.to_str().unwrap(),
        "--no-passphrase",
    ]);
    let no_env = n.fail(&[
        "seed",
        "export",
        "-o",
        n.tmp().join("y").to_str().unwrap(),
        "--passphrase-env",
        "NASCFG_TEST_UNSET_VAR",
    ]);
    n.settings().bind(|| {
        assert_snapshot!("seed_export_raw", raw.transcript());
        assert_snapshot!("seed_export_no_passphrase", no_pass.transcript());
        assert_snapshot!("seed_export_exists", exists.transcript());
        assert_snapshot!("seed_export_unset_env", no_env.transcript());
    });
}
