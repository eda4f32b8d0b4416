//! `nascfg export rclone`'s outputs (issue 25, point 20; issue 30, point 9): never obscured
//! passwords onto a terminal unasked, an encrypted rclone.conf the real rclone opens with
//! `RCLONE_CONFIG_PASS`, and `-o FILE` with `backup export`'s rule (an existing file only
//! with `--force`, never a device, directory or link); and `import rclone`'s passphrase
//! options (point 10).
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::process::Command;

use insta::assert_snapshot;
use nascfg_interop::rclone;
use nascfg_tests::cli::{Nascfg, nascfg_bin};
use secrecy::SecretString;

const FTP_PASS: &str = "Ftp-Pass-4e1a-only-obscured";

/// A box with two credentials rclone can take.
fn new_box() -> Nascfg {
    let n = Nascfg::new();
    n.ok(&["init"]);
    n.ok(&[
        "cred",
        "add",
        "nas ftp",
        "--provider",
        "FTP",
        "--set",
        "host=127.0.0.1",
        "--set",
        "user=u",
        "--set",
        &format!("pass={FTP_PASS}"),
    ]);
    n.ok(&[
        "cred",
        "add",
        "offsite",
        "--provider",
        "S3",
        "--set",
        "access_key_id=AKIAEXAMPLE00000",
        "--set",
        "secret_access_key=S3-Secret-9c2d",
    ]);
    n
}

/// `rclone ARGS` with `RCLONE_CONFIG_PASS` set to `pass` (or unset).
fn rclone(pass: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new("rclone");
    for var in ["RCLONE_CONFIG_PASS", "SSL_CERT_FILE", "SSL_CERT_DIR"] {
        cmd.env_remove(var);
    }
    if let Some(p) = pass {
        cmd.env("RCLONE_CONFIG_PASS", p);
    }
    cmd.env("HOME", std::env::temp_dir())
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run rclone (installed by .ci/setup)")
}

#[test]
fn to_a_terminal_it_refuses_unless_asked() {
    let n = new_box();
    // `script` gives the command a terminal for its standard output.
    let line = format!(
        "{} --data-dir '{}' export rclone",
        nascfg_bin().display(),
        n.data_dir().display()
    );
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run script (util-linux)");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("refusing to print"), "{shown}");
    assert!(
        shown.contains("-o FILE") && shown.contains("--stdout"),
        "{shown}"
    );
    assert!(!shown.contains("[offsite]"), "{shown}");
    // With --stdout it prints; to a pipe it prints as before (scripts are unchanged).
    let line = format!("{line} --stdout");
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("[offsite]"));
    assert!(n.ok(&["export", "rclone"]).contains("[offsite]"));
}

#[test]
fn the_encrypted_export_opens_in_rclone_with_its_config_pass() {
    let n = new_box();
    let conf = n.tmp().join("rclone.conf");
    let conf_s = conf.to_str().unwrap();
    let run = n
        .cmd()
        .env("EXPORT_PASS", "correct horse")
        .args([
            "export",
            "rclone",
            "-o",
            conf_s,
            "--passphrase-env",
            "EXPORT_PASS",
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.contains("RCLONE_ENCRYPT_V0:"), "{text}");
    assert!(
        !text.contains("[offsite]") && !text.contains("AKIAEXAMPLE"),
        "{text}"
    );
    let listed = rclone(Some("correct horse"), &["--config", conf_s, "listremotes"]);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let remotes = String::from_utf8_lossy(&listed.stdout);
    assert!(
        remotes.contains("offsite:") && remotes.contains("nas ftp:"),
        "{remotes}"
    );
    let wrong = rclone(Some("wrong horse"), &["--config", conf_s, "listremotes"]);
    assert!(!wrong.status.success());
    // A passphrase file works too, and to standard output it may go to a pipe.
    let pass = n.write_file("pass", "battery staple\n");
    let out = n.ok(&["export", "rclone", "--passphrase-file", &pass]);
    assert!(
        out.contains("RCLONE_ENCRYPT_V0:") && !out.contains("AKIAEXAMPLE"),
        "{out}"
    );
    // And nascfg reads it back with the same options.
    let m = Nascfg::new();
    let back = m.json(&["import", "rclone", conf_s, "--passphrase-file", &{
        m.write_file("p", "correct horse\n")
    }]);
    assert_eq!(back["credentials"].as_array().unwrap().len(), 2, "{back}");
}

#[test]
fn an_existing_output_is_replaced_only_with_force_and_only_a_regular_file() {
    let n = new_box();
    let existing = n.write_file("existing.conf", "mine\n");
    let run = n.fail(&["export", "rclone", "-o", &existing]);
    n.settings()
        .bind(|| assert_snapshot!("export_rclone_existing", run.transcript()));
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "mine\n");
    n.ok(&["export", "rclone", "-o", &existing, "--force"]);
    assert!(
        std::fs::read_to_string(&existing)
            .unwrap()
            .contains("[offsite]")
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&existing).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    // Never over something that is not a regular file, even with --force.
    let dir = n.tmp().join("a-directory");
    std::fs::create_dir(&dir).unwrap();
    let target = n.write_file("target", "kept\n");
    let link = n.tmp().join("a-link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let fifo = n.tmp().join("a-fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for path in [
        dir.as_path(),
        link.as_path(),
        fifo.as_path(),
        "/dev/null".as_ref(),
    ] {
        for force in [false, true] {
            let mut args = vec!["export", "rclone", "-o", path.to_str().unwrap()];
            if force {
                args.push("--force");
            }
            let run = n.fail(&args);
            assert!(
                run.stderr.contains("already exists") || run.stderr.contains("not a regular file"),
                "{args:?}: {}",
                run.stderr
            );
        }
    }
    assert!(dir.is_dir() && std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "kept\n");
    let fifo_meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(
        &fifo_meta.file_type()
    ));
    // No temporary file is left beside them.
    let left: Vec<_> = std::fs::read_dir(n.tmp())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // backup export --force follows the same rule.
    let run = n.fail(&["backup", "export", "-o", link.to_str().unwrap(), "--force"]);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
}

#[test]
fn import_rclone_takes_the_passphrase_like_every_other_command() {
    let n = Nascfg::new();
    let conf = rclone::Conf::parse(b"[nas]\ntype = ftp\nhost = h\nuser = u\n", None).unwrap();
    let password = SecretString::from("correct horse".to_owned());
    let encrypted = n.write_file("enc.conf", conf.to_encrypted_text(&password, [9; 24]));
    let pass_file = n.write_file("pass", "correct horse\n");
    let cases: Vec<Vec<&str>> = vec![
        vec!["--passphrase-env", "PW"],
        vec!["--passphrase-file", &pass_file],
        // The old spelling still works.
        vec!["--password-env", "PW"],
    ];
    for options in cases {
        let m = Nascfg::new();
        let mut args = vec!["--json", "import", "rclone", &encrypted];
        args.extend(options.iter().copied());
        let run = m
            .cmd()
            .env("PW", "correct horse")
            .args(&args)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{options:?}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    // The old spelling is not advertised.
    let help = n.ok(&["import", "rclone", "--help"]);
    assert!(
        help.contains("--passphrase-env") && !help.contains("--password-env"),
        "{help}"
    );
}
