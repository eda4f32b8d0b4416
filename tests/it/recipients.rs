//! Bundles encrypted to public keys (issue 27, section 1): each recipient kind (age X25519 from
//! `age-keygen`, ssh-ed25519 and ssh-rsa from `ssh-keygen`), each identity kind (an age
//! identity file, OpenSSH keys, an encrypted one answered on a terminal), the refusal of a
//! passphrase with recipients, a wrong identity (nothing changed), interop both ways with the
//! real `age`, the printed systemd units, and an unattended push with the seed to s3s-fs.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::{Path, PathBuf};
use std::process::Command;

use nascfg_tests::cli::{Nascfg, nascfg_bin, tree};
use nascfg_tests::servers::S3Server;

/// A secret on the box: it must come back after a restore with an identity.
const SECRET: &str = "Recip-Secret-7d1e-comes-back";

/// A box with one credential holding [`SECRET`].
fn new_box() -> Nascfg {
    Nascfg::with_s3_credential("vault", SECRET)
}

/// A key pair made by the real tools: (recipient line, identity file).
struct Key {
    recipient: String,
    identity: PathBuf,
}

fn run_tool(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `age-keygen -o DIR/NAME`; the recipient from `age-keygen -y`.
fn age_key(dir: &Path, name: &str) -> Key {
    let identity = dir.join(name);
    run_tool(Command::new("age-keygen").arg("-o").arg(&identity));
    let recipient = run_tool(Command::new("age-keygen").arg("-y").arg(&identity));
    Key {
        recipient: recipient.trim().to_owned(),
        identity,
    }
}

/// `ssh-keygen -t KIND -N PASSPHRASE -f DIR/NAME`; the recipient is the `.pub` line.
fn ssh_key(dir: &Path, name: &str, kind: &str, passphrase: &str) -> Key {
    let identity = dir.join(name);
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-q", "-t", kind, "-N", passphrase, "-C", "admin@example"]);
    if kind == "rsa" {
        cmd.args(["-b", "2048"]);
    }
    run_tool(cmd.arg("-f").arg(&identity));
    let recipient = std::fs::read_to_string(identity.with_extension("pub")).unwrap();
    Key {
        recipient: recipient.trim().to_owned(),
        identity,
    }
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Exports with the seed to `args` (recipients), no passphrase anywhere.
fn export_to(n: &Nascfg, name: &str, args: &[&str]) -> PathBuf {
    let out = n.tmp().join(name);
    let mut all = vec!["backup", "export", "-o", s(&out), "--include-seed"];
    all.extend_from_slice(args);
    let stdout = n.ok(&all);
    assert!(stdout.contains("encrypted to recipients"), "{stdout}");
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n-> "), "not age");
    out
}

/// Restores `bundle` on a new box with `args` and shows the secret came back.
fn restores_on_new_box(bundle: &Path, args: &[&str]) {
    let fresh = Nascfg::new();
    let mut all = vec!["backup", "restore", s(bundle)];
    all.extend_from_slice(args);
    let out = fresh.ok(&all);
    assert!(
        out.contains("with every secret, and the bundle's seed"),
        "{out}"
    );
    let shown = fresh.ok(&["cred", "show", "vault", "--reveal"]);
    assert!(shown.contains(SECRET), "{shown}");
}

/// `age -d -i IDENTITY BUNDLE` with the real tool (no passphrase: no terminal needed).
fn age_decrypts(identity: &Path, bundle: &Path) -> Vec<u8> {
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "age -d -i {}: {}",
        identity.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn each_recipient_kind_round_trips_and_age_opens_it() {
    let n = new_box();
    let keys = [
        age_key(n.tmp(), "age.txt"),
        ssh_key(n.tmp(), "id_ed25519", "ed25519", ""),
        ssh_key(n.tmp(), "id_rsa", "rsa", ""),
    ];
    for (i, key) in keys.iter().enumerate() {
        let bundle = export_to(
            &n,
            &format!("b{i}.tar.gz.age"),
            &["--recipient", &key.recipient],
        );
        // The real age opens it with the same identity file: a gzip inside.
        let plain = age_decrypts(&key.identity, &bundle);
        assert!(plain.starts_with(&[0x1f, 0x8b]), "not gzip inside");
        restores_on_new_box(&bundle, &["--identity", s(&key.identity)]);
        // inspect says what it is, and that it proves nothing about its maker.
        let inspected = n.ok(&[
            "backup",
            "inspect",
            s(&bundle),
            "--identity",
            s(&key.identity),
        ]);
        assert!(
            inspected.contains("yes (to public-key recipients)"),
            "{inspected}"
        );
        assert!(inspected.contains("authenticated: NO"), "{inspected}");
    }
    // All three in one recipients file (comments, blank lines): any identity opens it.
    let file = n.write_file(
        "recipients.txt",
        format!(
            "# the admins\n{}\n\n  # ssh\n{}\n{}\n",
            keys[0].recipient, keys[1].recipient, keys[2].recipient
        ),
    );
    let bundle = export_to(&n, "all.tar.gz.age", &["--recipients-file", &file]);
    for key in &keys {
        restores_on_new_box(&bundle, &["--identity", s(&key.identity)]);
    }
}

#[test]
fn an_age_identity_file_with_several_keys_and_comments() {
    let n = new_box();
    let a = age_key(n.tmp(), "a.txt");
    let b = age_key(n.tmp(), "b.txt");
    let both = n.write_file(
        "both.txt",
        format!(
            "{}\n\n{}",
            std::fs::read_to_string(&a.identity).unwrap(),
            std::fs::read_to_string(&b.identity).unwrap()
        ),
    );
    let bundle = export_to(&n, "b.tar.gz.age", &["--recipient", &b.recipient]);
    restores_on_new_box(&bundle, &["--identity", &both]);
    // Two --identity flags: the second opens it.
    restores_on_new_box(
        &bundle,
        &["--identity", s(&a.identity), "--identity", s(&b.identity)],
    );
}

#[test]
fn an_encrypted_openssh_key_asks_for_its_passphrase_on_the_terminal() {
    let n = new_box();
    let key = ssh_key(n.tmp(), "id_locked", "ed25519", "key pass phrase");
    let bundle = export_to(&n, "b.tar.gz.age", &["--recipient", &key.recipient]);

    // Without a terminal there is no one to ask: refused, nothing changed.
    let fresh = Nascfg::new();
    fresh.ok(&["init"]);
    let before = tree(fresh.data_dir());
    let run = fresh.fail(&[
        "backup",
        "restore",
        s(&bundle),
        "--identity",
        s(&key.identity),
    ]);
    assert!(
        run.stderr.contains("encrypted OpenSSH key"),
        "{}",
        run.transcript()
    );
    assert!(
        run.stderr.contains("hint: run on a terminal"),
        "{}",
        run.transcript()
    );
    assert_eq!(tree(fresh.data_dir()), before);

    // On a terminal the prompt is answered.
    let args = [
        "--data-dir",
        s(fresh.data_dir()),
        "backup",
        "restore",
        s(&bundle),
        "--identity",
        s(&key.identity),
    ];
    let (code, transcript) =
        nascfg_tests::age_tool::run_on_pty(nascfg_bin(), args, "key pass phrase");
    assert_eq!(code, 0, "{transcript}");
    assert!(transcript.contains("passphrase for"), "{transcript}");
    let shown = fresh.ok(&["cred", "show", "vault", "--reveal"]);
    assert!(shown.contains(SECRET), "{shown}");

    // A wrong passphrase on the terminal: refused.
    let (code, transcript) = nascfg_tests::age_tool::run_on_pty(nascfg_bin(), args, "wrong");
    assert_eq!(code, 1, "{transcript}");
    assert!(
        transcript.contains("does not open the encrypted OpenSSH key"),
        "{transcript}"
    );
}

#[test]
fn a_passphrase_with_recipients_is_refused_before_anything_is_written() {
    let n = new_box();
    let key = age_key(n.tmp(), "age.txt");
    let out = n.tmp().join("mixed.tar.gz.age");
    let cmd = |extra: &[&str]| {
        let mut c = n.cmd();
        c.env("BUNDLE_PASS", "a passphrase")
            .args([
                "backup",
                "export",
                "-o",
                s(&out),
                "--passphrase-env",
                "BUNDLE_PASS",
            ])
            .args(extra);
        c
    };
    for extra in [
        vec!["--recipient", key.recipient.as_str()],
        vec!["--recipients-file", s(&key.identity)],
    ] {
        let before = tree(n.data_dir());
        let o = cmd(&extra).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("a bundle is encrypted to a passphrase or to recipients, not both"),
            "{stderr}"
        );
        assert!(stderr.contains("hint: drop --passphrase-file"), "{stderr}");
        assert!(!out.exists());
        assert_eq!(tree(n.data_dir()), before);
    }
    // push too, before any connection (the location does not exist).
    let mut c = n.cmd();
    c.env("BUNDLE_PASS", "a passphrase").args([
        "backup",
        "push",
        "nowhere:bucket/x",
        "--include-seed",
        "--passphrase-env",
        "BUNDLE_PASS",
        "--recipient",
        &key.recipient,
    ]);
    let o = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not both"), "{stderr}");
}

#[test]
fn a_bad_recipient_is_named_by_line_and_escaped() {
    let n = new_box();
    let file = n.write_file(
        "recipients.txt",
        format!("# ok\nage1notakey\u{1b}[2J{}\n", "x".repeat(200)),
    );
    let run = n.fail(&["backup", "export", "--recipients-file", &file]);
    assert!(
        run.stderr.contains("recipient on line 2"),
        "{}",
        run.transcript()
    );
    assert!(run.stderr.contains("\\u{1b}[2J"), "{}", run.transcript());
    assert!(!run.stderr.contains('\u{1b}'), "{}", run.transcript());
    assert!(run.stderr.contains("more bytes"), "{}", run.transcript());
    // A private key given as a recipient is named as such.
    let key = age_key(n.tmp(), "age.txt");
    let secret = std::fs::read_to_string(&key.identity).unwrap();
    let line = secret
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap();
    let run = n.fail(&["backup", "export", "--recipient", line]);
    assert!(run.stderr.contains("private key"), "{}", run.transcript());
    assert!(!run.stderr.contains(&line[20..]), "{}", run.transcript());
    // Nor in a recipients file.
    let file = n.write_file("mistake.txt", format!("{line}\n"));
    let run = n.fail(&["backup", "export", "--recipients-file", &file]);
    assert!(run.stderr.contains("line 1"), "{}", run.transcript());
    assert!(!run.stderr.contains(&line[20..]), "{}", run.transcript());
}

#[test]
fn a_wrong_identity_is_refused_naming_the_recipients_and_nothing_changes() {
    let n = new_box();
    let right = ssh_key(n.tmp(), "id_right", "ed25519", "");
    let age_right = age_key(n.tmp(), "right.txt");
    let wrong = ssh_key(n.tmp(), "id_wrong", "ed25519", "");
    let file = n.write_file(
        "r.txt",
        format!("{}\n{}\n", right.recipient, age_right.recipient),
    );
    let bundle = export_to(&n, "b.tar.gz.age", &["--recipients-file", &file]);
    // The tag age writes is the first 4 bytes of the key's SHA-256 fingerprint.
    let fp = run_tool(
        Command::new("ssh-keygen")
            .arg("-lf")
            .arg(right.identity.with_extension("pub")),
    );
    let b64 = fp
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_start_matches("SHA256:");
    use base64::Engine as _;
    let digest = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(b64)
        .unwrap();
    let tag: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();

    let other = Nascfg::new();
    other.ok(&["init"]);
    for cmd in [
        vec![
            "backup",
            "restore",
            s(&bundle),
            "--identity",
            s(&wrong.identity),
        ],
        vec!["backup", "restore", s(&bundle)],
        vec![
            "backup",
            "inspect",
            s(&bundle),
            "--identity",
            s(&wrong.identity),
        ],
        vec![
            "backup",
            "diff",
            "-",
            s(&bundle),
            "--identity",
            s(&wrong.identity),
        ],
    ] {
        let before = tree(other.data_dir());
        let run = other.fail(&cmd);
        assert!(
            run.stderr.contains(&format!("ssh-ed25519 tag {tag}")),
            "{tag}: {}",
            run.transcript()
        );
        assert!(run.stderr.contains("X25519"), "{}", run.transcript());
        assert!(
            run.stderr.contains("hint: give the private key"),
            "{}",
            run.transcript()
        );
        assert_eq!(
            tree(other.data_dir()),
            before,
            "{cmd:?} changed the data dir"
        );
    }
    let run = other.fail(&[
        "backup",
        "restore",
        s(&bundle),
        "--identity",
        s(&wrong.identity),
    ]);
    assert!(
        run.stderr
            .contains("none of the identities given (ssh-ed25519 tag"),
        "{}",
        run.transcript()
    );
    // --json names the kind.
    let run = other.fail(&[
        "--json",
        "backup",
        "restore",
        s(&bundle),
        "--identity",
        s(&wrong.identity),
    ]);
    assert!(
        run.stderr.contains("\"wrong-identity\""),
        "{}",
        run.transcript()
    );
}

#[test]
fn a_plain_bundle_that_age_encrypted_restores_with_an_identity() {
    let n = new_box();
    let plain = n.tmp().join("plain.tar.gz");
    n.ok(&["backup", "export", "-o", s(&plain), "--include-seed"]);
    let x = age_key(n.tmp(), "age.txt");
    let ed = ssh_key(n.tmp(), "id_ed25519", "ed25519", "");
    // age -r (an X25519 recipient) and age -R (an SSH .pub file as a recipients file).
    let by_r = n.tmp().join("by_r.tar.gz.age");
    run_tool(Command::new("age").args(["-r", &x.recipient, "-o", s(&by_r), s(&plain)]));
    restores_on_new_box(&by_r, &["--identity", s(&x.identity)]);
    let by_file = n.tmp().join("by_file.tar.gz.age");
    run_tool(Command::new("age").args([
        "-R",
        s(&ed.identity.with_extension("pub")),
        "-o",
        s(&by_file),
        s(&plain),
    ]));
    restores_on_new_box(&by_file, &["--identity", s(&ed.identity)]);
}

#[test]
fn schedule_prints_units_with_recipients_and_the_seed() {
    let n = Nascfg::new();
    let key = ssh_key(n.tmp(), "id_ed25519", "ed25519", "");
    let x = age_key(n.tmp(), "age.txt");
    let file = n.write_file("admins.txt", format!("{}\n", x.recipient));
    let run = n.run(&[
        "backup",
        "schedule",
        "--print",
        "--location",
        "offsite:nas-backups/nas1",
        "--recipient",
        &key.recipient,
        "--recipients-file",
        &file,
    ]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let exec = run
        .stdout
        .lines()
        .find(|l| l.starts_with("ExecStart=") && l.contains("backup push"))
        .unwrap();
    // The comment (admin@example) is dropped; the key is quoted for systemd.
    let key_only: Vec<&str> = key.recipient.split(' ').take(2).collect();
    assert!(
        exec.ends_with(&format!(
            " backup push offsite:nas-backups/nas1 --if-changed --include-seed --recipient \"{}\" --recipients-file \"{file}\"",
            key_only.join(" ")
        )),
        "{exec}"
    );
    assert!(!run.stdout.contains("passphrase"), "{}", run.stdout);
    assert!(
        run.stderr.contains("WITH the secret seed"),
        "{}",
        run.stderr
    );
    // A bad recipient is refused now, not at the first night's push.
    let bad = n.run(&["backup", "schedule", "--recipient", "age1nope"]);
    assert_eq!(bad.code, 1, "{}", bad.transcript());
}

#[test]
fn unattended_push_with_the_seed_to_s3_restores_on_a_new_box_with_the_identity() {
    let server = S3Server::start();
    let add = |n: &Nascfg| {
        n.ok(&[
            "cred",
            "add",
            "store",
            "--provider",
            "S3",
            "--set",
            &format!("access_key_id={}", server.access_key_id),
            "--set",
            &format!("secret_access_key={}", server.secret_access_key),
            "--set",
            &format!("endpoint={}", server.endpoint),
        ]);
    };
    let n = new_box();
    add(&n);
    let admin = ssh_key(n.tmp(), "id_admin", "ed25519", "");
    let recipients = n.write_file("admins.txt", format!("# the admin\n{}\n", admin.recipient));
    // No passphrase, no terminal: what a timer runs.
    let out = n.ok(&[
        "backup",
        "push",
        "store:bucket1/fleet",
        "--include-seed",
        "--recipients-file",
        &recipients,
        "--host",
        "nas1",
    ]);
    assert!(out.contains(".tar.gz.age"), "{out}");
    // The box holds nothing that opens it: no identity is found anywhere in its data dir.
    let pushed = std::fs::read_dir(server.root().join("bucket1").join("fleet"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz.age"))
        .unwrap();
    let bytes = std::fs::read(&pushed).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n-> ssh-ed25519 "));
    let restore_box = Nascfg::new();
    restore_box.ok(&["init"]);
    let seed_before = std::fs::read(restore_box.data_dir().join("secret-seed")).unwrap();
    add(&restore_box);
    let name = pushed.file_name().unwrap().to_str().unwrap();
    let at = format!("store:bucket1/fleet/{name}");
    // Without the identity: refused, nothing changed.
    let before = tree(restore_box.data_dir());
    restore_box.fail(&["backup", "restore", &at]);
    assert_eq!(tree(restore_box.data_dir()), before);
    let out = restore_box.ok(&["backup", "restore", &at, "--identity", s(&admin.identity)]);
    assert!(out.contains("the bundle's seed"), "{out}");
    let shown = restore_box.ok(&["cred", "show", "vault", "--reveal"]);
    assert!(shown.contains(SECRET), "{shown}");
    let seed_after = std::fs::read(restore_box.data_dir().join("secret-seed")).unwrap();
    assert_ne!(seed_before, seed_after);
    assert_eq!(
        seed_after,
        std::fs::read(n.data_dir().join("secret-seed")).unwrap()
    );
}
