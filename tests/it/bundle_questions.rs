//! What `backup inspect` reads of the unlocking flags: only what the bundle
//! asks for once it is being read. A plain bundle reads none of them (an
//! unset `--passphrase-env` or a missing file is not an error, as before);
//! a passphrase-protected one only the passphrase flags; one encrypted to
//! recipients only `--identity`. A flag that is read and fails is the error,
//! with its own hint; none given is the bundle's refusal.
#![allow(clippy::unwrap_used)] // tests may unwrap

use nascfg_tests::cli::Nascfg;

/// A throwaway age identity made for this test with `age-keygen`, and its recipient.
const IDENTITY: &str = "AGE-SECRET-KEY-1TRNMYP3FS7LERU2H4Y40HART3FFERL598EX75L5ZKEXMRN0HN6FQSECZ8E";
const RECIPIENT: &str = "age127jq480u0q8mq0h76awxshx9r56dndjhgnr4r36p3dvvjuuhlcdq5qqs3p";
/// Never set: a flag naming it fails if it is read.
const UNSET: &str = "NASCFG_TEST_NEVER_SET";

/// `backup inspect BUNDLE FLAGS`: `ok`, or its `error:` and `hint:` lines,
/// the temporary directory shown as `<tmp>`.
fn check(n: &Nascfg, bundle: &str, flags: &[&str], expected: &str) {
    let mut args = vec!["backup", "inspect", bundle];
    args.extend_from_slice(flags);
    let run = n.cmd().env_remove(UNSET).args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    let got = if run.status.success() {
        "ok".to_owned()
    } else {
        assert_eq!(run.status.code(), Some(1), "{stderr}");
        stderr
            .lines()
            .filter(|l| l.starts_with("error:") || l.starts_with("hint:"))
            .collect::<Vec<_>>()
            .join("\n")
            .replace(n.tmp().to_str().unwrap(), "<tmp>")
    };
    assert_eq!(got, expected, "{bundle} {flags:?}");
}

#[test]
fn only_what_the_bundle_asks_for_is_read() {
    let n = Nascfg::with_s3_credential("offsite", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    let plain = n.tmp().join("plain.tar.gz");
    let protected = n.tmp().join("protected.tar.gz.age");
    let to_recipient = n.tmp().join("recipient.tar.gz.age");
    let s = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    n.ok(&["backup", "export", "-o", &s(&plain)]);
    let exported = n
        .cmd()
        .env("BUNDLE_PASS", "correct horse")
        .args(["backup", "export", "--passphrase-env", "BUNDLE_PASS", "-o"])
        .arg(&protected)
        .output()
        .unwrap();
    assert!(exported.status.success());
    n.ok(&[
        "backup",
        "export",
        "--recipient",
        RECIPIENT,
        "-o",
        &s(&to_recipient),
    ]);
    let identity = n.write_file("identity.txt", format!("{IDENTITY}\n"));
    let pass = n.write_file("pass.txt", "correct horse\n");
    let missing = n.tmp().join("missing.txt");
    let missing = missing.to_str().unwrap();
    let (plain, protected, to_recipient) = (s(&plain), s(&protected), s(&to_recipient));

    let unset = format!(
        "error: the environment variable {UNSET} is not set (or not UTF-8)\n\
         hint: export {UNSET}=... before running nascfg"
    );
    let unreadable = "error: cannot read <tmp>/missing.txt: No such file or directory (os error 2)\n\
                      hint: check the path";
    let required = "error: the bundle is passphrase-protected; a passphrase is needed to read it\n\
                    hint: give it with --passphrase-file FILE or --passphrase-env VAR (or run on a terminal to be asked)";
    let no_identity = "error: no identity was given to open this file; it is encrypted to: \
                       X25519 (age's format names no key for it)\n\
                       hint: give the private key of one of the bundle's recipients with --identity FILE \
                       (an SSH key's tag is the first 8 hex digits of its SHA256 fingerprint, \
                       `ssh-keygen -lf KEY`); nothing was changed";

    check(&n, &plain, &[], "ok");
    check(&n, &plain, &["--passphrase-env", UNSET], "ok");
    check(&n, &plain, &["--passphrase-file", missing], "ok");
    check(&n, &plain, &["--identity", missing], "ok");

    check(&n, &protected, &["--passphrase-file", &pass], "ok");
    check(&n, &protected, &[], required);
    check(&n, &protected, &["--passphrase-env", UNSET], &unset);
    check(&n, &protected, &["--passphrase-file", missing], unreadable);
    check(&n, &protected, &["--identity", missing], required);

    check(&n, &to_recipient, &["--identity", &identity], "ok");
    check(&n, &to_recipient, &["--identity", missing], unreadable);
    check(&n, &to_recipient, &["--passphrase-env", UNSET], no_identity);
    check(&n, &to_recipient, &[], no_identity);
}
