//! Signed bundles (issue 27, section 2): every bundle carries an SSHSIG
//! signature of its manifest by the box's signing key; OpenSSH's
//! `ssh-keygen -Y` checks ours and makes ones we accept; `--allowed-signers`
//! refuses unsigned, unlisted, tampered and wrong-namespace bundles with the
//! data directory unchanged; older stores and bundles migrate and get a key.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nascfg_tests::cli::{Nascfg, Run, tree};

const NAMESPACE: &str = "nascfg-bundle@v1";

/// A box with one credential (so its bundle holds a sealed secret).
fn a_box() -> Nascfg {
    Nascfg::with_s3_credential("offsite", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
}

fn export(n: &Nascfg, name: &str, extra: &[&str]) -> PathBuf {
    let out = n.tmp().join(name);
    let mut args = vec!["backup", "export", "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    n.ok(&args);
    out
}

/// The members of a plain bundle, in archive order.
fn members(bundle: &Path) -> Vec<(String, Vec<u8>)> {
    let gz = std::fs::read(bundle).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&gz[..]));
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            (name, bytes)
        })
        .collect()
}

fn member<'m>(members: &'m [(String, Vec<u8>)], name: &str) -> &'m [u8] {
    &members.iter().find(|(n, _)| n == name).unwrap().1
}

/// Writes `members` as a bundle (ustar, gzip), in that order.
fn write_bundle(path: &Path, members: &[(String, Vec<u8>)]) {
    let file = std::fs::File::create(path).unwrap();
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (name, bytes) in members {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(0);
        header.set_path(name).unwrap();
        header.set_cksum();
        tar.append(&header, &bytes[..]).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

/// `members` with the signature member replaced by `signature` (or dropped).
fn with_signature(
    members: &[(String, Vec<u8>)],
    signature: Option<Vec<u8>>,
) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = members
        .iter()
        .filter(|(n, _)| n != "manifest.json.sig")
        .cloned()
        .collect();
    if let Some(sig) = signature {
        out.insert(1, ("manifest.json.sig".into(), sig));
    }
    out
}

fn ssh_keygen(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new("ssh-keygen")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap().into()
}

/// A new Ed25519 key pair made by ssh-keygen: (private key path, public line).
fn admin_key(dir: &Path, name: &str) -> (PathBuf, String) {
    let key = dir.join(name);
    let made = ssh_keygen(
        &[
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            name,
            "-f",
            key.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(made.code, 0, "{}", made.transcript());
    let public = std::fs::read_to_string(key.with_extension("pub"))
        .unwrap_or_else(|_| std::fs::read_to_string(format!("{}.pub", key.display())).unwrap());
    (key, public.trim().to_owned())
}

/// `ssh-keygen -Y sign -n NAMESPACE` of `message` with `key`: the armored signature.
fn ssh_sign(key: &Path, namespace: &str, message: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("manifest.json");
    std::fs::write(&file, message).unwrap();
    let signed = ssh_keygen(
        &[
            "-Y",
            "sign",
            "-f",
            key.to_str().unwrap(),
            "-n",
            namespace,
            file.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(signed.code, 0, "{}", signed.transcript());
    std::fs::read(dir.path().join("manifest.json.sig")).unwrap()
}

/// The allowed_signers line `signer show --allowed-signers` prints.
fn allowed_line(n: &Nascfg) -> String {
    n.ok(&["signer", "show", "--allowed-signers"])
        .trim()
        .to_owned()
}

#[test]
fn ssh_keygen_verifies_our_signature() {
    let n = a_box();
    for (name, extra) in [
        ("plain.tar.gz", &[][..]),
        ("seed.tar.gz", &["--include-seed"][..]),
    ] {
        let bundle = export(&n, name, extra);
        let m = members(&bundle);
        let names: Vec<&str> = m.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            &names[..3],
            ["manifest.json", "manifest.json.sig", "config.db"]
        );
        let sig = member(&m, "manifest.json.sig");
        assert!(
            sig.starts_with(b"-----BEGIN SSH SIGNATURE-----\n"),
            "{}",
            String::from_utf8_lossy(sig)
        );
        let line = allowed_line(&n);
        let principal = line.split(' ').next().unwrap().to_owned();
        assert!(principal.starts_with("nascfg@"), "{line}");
        assert!(
            line.contains(" namespaces=\"nascfg-bundle@v1\" ssh-ed25519 AAAA"),
            "{line}"
        );
        let allowed = n.write_file("allowed_signers", format!("{line}\n"));
        let sig_file = n.write_file("manifest.json.sig", sig);
        let verified = ssh_keygen(
            &[
                "-Y", "verify", "-f", &allowed, "-I", &principal, "-n", NAMESPACE, "-s", &sig_file,
            ],
            Some(member(&m, "manifest.json")),
        );
        assert_eq!(verified.code, 0, "{}", verified.transcript());
        // The same signature over anything else fails in ssh-keygen too.
        let mut changed = member(&m, "manifest.json").to_vec();
        changed.push(b' ');
        let refused = ssh_keygen(
            &[
                "-Y", "verify", "-f", &allowed, "-I", &principal, "-n", NAMESPACE, "-s", &sig_file,
            ],
            Some(&changed),
        );
        assert_ne!(refused.code, 0, "{}", refused.transcript());
    }
}

#[test]
fn a_manifest_signed_by_ssh_keygen_with_a_listed_key_restores() {
    let old = a_box();
    let bundle = export(&old, "box.tar.gz", &["--include-seed"]);
    let (key, public) = admin_key(old.tmp(), "admin");
    let m = members(&bundle);
    let sig = ssh_sign(&key, NAMESPACE, member(&m, "manifest.json"));
    let resigned = old.tmp().join("resigned.tar.gz");
    write_bundle(&resigned, &with_signature(&m, Some(sig)));
    let allowed = old.write_file(
        "allowed_signers",
        format!("# the fleet's admin\nadmin,ops namespaces=\"nascfg-bundle@v1\" {public}\n"),
    );
    let new = Nascfg::new();
    let restored = new.json(&[
        "backup",
        "restore",
        resigned.to_str().unwrap(),
        "--allowed-signers",
        &allowed,
    ]);
    assert_eq!(restored["signer"]["principal"], "admin,ops", "{restored}");
    assert_eq!(
        restored["signer"]["comment"],
        serde_json::Value::Null,
        "{restored}"
    );
    let listed = new.ok(&["cred", "list"]);
    assert!(listed.contains("offsite"), "{listed}");
}

/// Restores `bundle` on `target` expecting a refusal that names `expected`,
/// with the data directory unchanged.
fn refused(target: &Nascfg, bundle: &Path, extra: &[&str], expected: &str) {
    let before = tree(target.data_dir());
    let mut args = vec!["backup", "restore", bundle.to_str().unwrap()];
    args.extend_from_slice(extra);
    let run = target.fail(&args);
    assert!(
        run.stderr.contains(expected),
        "{expected:?} in:\n{}",
        run.transcript()
    );
    assert!(run.stderr.contains("hint:"), "{}", run.transcript());
    assert_eq!(
        tree(target.data_dir()),
        before,
        "the data directory changed:\n{}",
        run.transcript()
    );
}

#[test]
fn allowed_signers_refusals_change_nothing() {
    let old = a_box();
    let bundle = export(&old, "box.tar.gz", &["--include-seed"]);
    let m = members(&bundle);
    let target = a_box();
    let listed = old.write_file("listed", format!("{}\n", allowed_line(&old)));
    let (other_key, other_public) = admin_key(old.tmp(), "other");
    let unlisted = old.write_file(
        "unlisted",
        format!("other namespaces=\"nascfg-bundle@v1\" {other_public}\n"),
    );

    // Our own bundle with the box's line: accepted (a dry run).
    let ok = target.json(&[
        "backup",
        "restore",
        bundle.to_str().unwrap(),
        "--dry-run",
        "--allowed-signers",
        &listed,
    ]);
    assert!(
        ok["signer"]["principal"]
            .as_str()
            .unwrap()
            .starts_with("nascfg@"),
        "{ok}"
    );
    assert!(
        ok["signer"]["comment"]
            .as_str()
            .unwrap()
            .starts_with("nascfg@"),
        "{ok}"
    );

    // Unsigned: refused with the file, accepted with a notice without it.
    let unsigned = old.tmp().join("unsigned.tar.gz");
    write_bundle(&unsigned, &with_signature(&m, None));
    refused(
        &target,
        &unsigned,
        &["--allowed-signers", &listed],
        "the bundle is not signed",
    );
    let run = target.run(&["backup", "restore", unsigned.to_str().unwrap(), "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stderr.contains("notice:") && run.stderr.contains("is not signed"),
        "{}",
        run.transcript()
    );

    // Signed by a key the file does not list (the box's own key, not "other").
    refused(&target, &bundle, &["--allowed-signers", &unlisted], "which");
    // Listed, but only for another namespace.
    let elsewhere = old.write_file(
        "elsewhere",
        format!("{}\n", allowed_line(&old).replace(NAMESPACE, "file")),
    );
    refused(
        &target,
        &bundle,
        &["--allowed-signers", &elsewhere],
        "does not list",
    );

    // The manifest of another bundle (its database, hashes and counts all
    // consistent) under this bundle's signature: the signature fails, with or
    // without the file.
    let evil = a_box();
    evil.ok(&[
        "cred",
        "add",
        "planted",
        "--provider",
        "S3",
        "--set",
        "access_key_id=AKIAEVIL",
        "--set",
        "secret_access_key=evil",
    ]);
    let evil_bundle = export(&evil, "evil.tar.gz", &["--include-seed"]);
    let mut tampered = members(&evil_bundle);
    tampered[1] = (
        "manifest.json.sig".into(),
        member(&m, "manifest.json.sig").to_vec(),
    );
    let tampered_path = old.tmp().join("tampered.tar.gz");
    write_bundle(&tampered_path, &tampered);
    refused(&target, &tampered_path, &[], "does not verify");
    refused(
        &target,
        &tampered_path,
        &["--allowed-signers", &listed],
        "does not verify",
    );

    // Signed with a key for another namespace: refused always.
    let wrong_ns = ssh_sign(&other_key, "file", member(&m, "manifest.json"));
    let wrong_path = old.tmp().join("wrong-namespace.tar.gz");
    write_bundle(&wrong_path, &with_signature(&m, Some(wrong_ns)));
    refused(&target, &wrong_path, &[], "namespace");

    // A signature that is not one.
    let garbage = old.tmp().join("garbage.tar.gz");
    write_bundle(
        &garbage,
        &with_signature(
            &m,
            Some(b"-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n".to_vec()),
        ),
    );
    refused(&target, &garbage, &[], "signature cannot be read");

    // A bad allowed-signers file names its line.
    let bad = old.write_file(
        "bad",
        "# ok\nnas1 namespaces=nascfg-bundle@v1 ssh-ed25519 AAAA\n",
    );
    refused(&target, &bundle, &["--allowed-signers", &bad], "bad:2:");
}

#[test]
fn inspect_and_diff_show_and_check_the_signer() {
    let n = a_box();
    let bundle = export(&n, "box.tar.gz", &[]);
    let shown = n.ok(&["signer", "show"]);
    let fingerprint = shown.lines().nth(1).unwrap().to_owned();
    let inspected = n.json(&["backup", "inspect", bundle.to_str().unwrap()]);
    assert_eq!(inspected["signer"]["signed"], true, "{inspected}");
    assert_eq!(
        inspected["signer"]["fingerprint"],
        fingerprint.as_str(),
        "{inspected}"
    );
    let text = n.ok(&["backup", "inspect", bundle.to_str().unwrap()]);
    let line = text.lines().find(|l| l.starts_with("signer:")).unwrap();
    assert!(
        line.contains(&fingerprint) && line.contains("nascfg@"),
        "{text}"
    );

    let unsigned = n.tmp().join("unsigned.tar.gz");
    write_bundle(&unsigned, &with_signature(&members(&bundle), None));
    let text = n.ok(&["backup", "inspect", unsigned.to_str().unwrap()]);
    assert!(text.contains("signer:        unsigned"), "{text}");
    let (_, other) = admin_key(n.tmp(), "other");
    let unlisted = n.write_file("unlisted", format!("other {other}\n"));
    let run = n.fail(&[
        "backup",
        "inspect",
        bundle.to_str().unwrap(),
        "--allowed-signers",
        &unlisted,
    ]);
    assert!(run.stderr.contains("does not list"), "{}", run.transcript());
    let run = n.fail(&[
        "backup",
        "diff",
        "-",
        unsigned.to_str().unwrap(),
        "--allowed-signers",
        &unlisted,
    ]);
    assert!(run.stderr.contains("is not signed"), "{}", run.transcript());
    let listed = n.write_file("listed", format!("{}\n", allowed_line(&n)));
    n.ok(&[
        "backup",
        "diff",
        "-",
        bundle.to_str().unwrap(),
        "--allowed-signers",
        &listed,
    ]);
}

#[test]
fn signer_show_prints_the_key_ssh_keygen_fingerprints() {
    let n = a_box();
    let shown = n.ok(&["signer", "show"]);
    let mut lines = shown.lines();
    let public = lines.next().unwrap();
    let fingerprint = lines.next().unwrap();
    let pub_file = n.write_file("signer.pub", format!("{public}\n"));
    let listed = ssh_keygen(&["-l", "-f", &pub_file], None);
    assert_eq!(listed.code, 0, "{}", listed.transcript());
    // `256 SHA256:… comment (ED25519)`
    assert_eq!(
        listed.stdout.split(' ').nth(1).unwrap(),
        fingerprint,
        "{}",
        listed.stdout
    );
    let json = n.json(&["signer", "show"]);
    assert_eq!(json["fingerprint"], fingerprint);
    assert_eq!(json["public_key"], public);
    assert_eq!(json["allowed_signers"], allowed_line(&n).as_str());
    // The key stays the same across opens and a seed rotation.
    n.ok(&["seed", "rotate"]);
    assert_eq!(n.ok(&["signer", "show"]), shown);

    let mut settings = n.settings();
    settings.add_filter(r"nascfg@[A-Za-z0-9._-]+", "nascfg@[HOST]");
    settings.bind(|| {
        insta::assert_snapshot!("signer_show", shown);
        insta::assert_snapshot!(
            "signer_show_allowed_signers",
            n.ok(&["signer", "show", "--allowed-signers"])
        );
        insta::assert_snapshot!("signer_show_json", n.ok(&["--json", "signer", "show"]));
    });
}

#[test]
fn a_restored_box_keeps_the_bundles_signing_key() {
    let old = a_box();
    let bundle = export(&old, "box.tar.gz", &["--include-seed"]);
    let new = Nascfg::new();
    new.ok(&["backup", "restore", bundle.to_str().unwrap()]);
    assert_eq!(new.ok(&["signer", "show"]), old.ok(&["signer", "show"]));
}

fn sqlite(db: &Path, sql: &str) {
    let out = Command::new("sqlite3").arg(db).arg(sql).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A data directory of schema `version` (1 or 2): a current store with the
/// later tables dropped, which is exactly what that version's migrations wrote.
fn old_store(version: u32) -> Nascfg {
    let n = a_box();
    let db = n.data_dir().join("config.db");
    let mut sql = String::from("DROP TABLE signing_key;");
    if version < 2 {
        sql.push_str("DROP TABLE api_key;");
    }
    sql.push_str(&format!("PRAGMA user_version = {version};"));
    sqlite(&db, &sql);
    n
}

#[test]
fn version_1_and_2_stores_migrate_and_make_a_key() {
    for version in [1, 2] {
        let n = old_store(version);
        let bundle = export(&n, "box.tar.gz", &["--include-seed"]);
        let json = n.json(&["backup", "inspect", bundle.to_str().unwrap()]);
        assert_eq!(json["schema_version"], 3, "{json}");
        assert_eq!(json["signer"]["signed"], true, "{json}");
        let shown = n.ok(&["signer", "show"]);
        assert_eq!(json["signer"]["fingerprint"], shown.lines().nth(1).unwrap());
        let new = Nascfg::new();
        new.ok(&["backup", "restore", bundle.to_str().unwrap()]);
        assert_eq!(new.ok(&["signer", "show"]), shown);
    }
}

/// A bundle of schema `version` (1 or 2), unsigned as every bundle then was:
/// the committed golden bundle for 1; for 2, a current bundle's database
/// taken back to version 2 with its manifest rewritten to match.
fn old_bundle(version: u32) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    if version == 1 {
        let golden =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bundles/good-with-seed.tar.gz");
        let path = tmp.path().join("v1.tar.gz");
        std::fs::copy(golden, &path).unwrap();
        return (tmp, path);
    }
    let n = a_box();
    let bundle = export(&n, "box.tar.gz", &["--include-seed"]);
    let m = with_signature(&members(&bundle), None);
    let db = tmp.path().join("config.db");
    std::fs::write(&db, member(&m, "config.db")).unwrap();
    sqlite(
        &db,
        "DROP TABLE signing_key; PRAGMA user_version = 2; VACUUM;",
    );
    let db_bytes = std::fs::read(&db).unwrap();
    let mut manifest: serde_json::Value =
        serde_json::from_slice(member(&m, "manifest.json")).unwrap();
    manifest["schema_version"] = 2.into();
    manifest["members"][0]["size"] = db_bytes.len().into();
    manifest["members"][0]["sha256"] = {
        use sha2::Digest;
        hex(&sha2::Sha256::digest(&db_bytes))
    }
    .into();
    let mut manifest = serde_json::to_vec_pretty(&manifest).unwrap();
    manifest.push(b'\n');
    let rebuilt = vec![
        ("manifest.json".to_owned(), manifest),
        ("config.db".to_owned(), db_bytes),
        ("secret-seed".to_owned(), member(&m, "secret-seed").to_vec()),
    ];
    let path = tmp.path().join("v2.tar.gz");
    write_bundle(&path, &rebuilt);
    (tmp, path)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn version_1_and_2_bundles_restore_and_the_box_gets_a_key() {
    for version in [1, 2] {
        let (_tmp, bundle) = old_bundle(version);
        let n = Nascfg::new();
        let restored = n.run(&["--json", "backup", "restore", bundle.to_str().unwrap()]);
        assert_eq!(restored.code, 0, "{}", restored.transcript());
        assert!(
            restored.stderr.contains("is not signed"),
            "{}",
            restored.transcript()
        );
        let report: serde_json::Value = serde_json::from_str(&restored.stdout).unwrap();
        assert_eq!(report["migrated_from"], version, "{report}");
        assert_eq!(report["signer"]["signed"], false, "{report}");
        let shown = n.ok(&["signer", "show"]);
        assert!(shown.starts_with("ssh-ed25519 AAAA"), "{shown}");
        // The next bundle is signed by it.
        let next = export(&n, "next.tar.gz", &[]);
        let json = n.json(&["backup", "inspect", next.to_str().unwrap()]);
        assert_eq!(
            json["signer"]["fingerprint"],
            shown.lines().nth(1).unwrap(),
            "{json}"
        );
    }
}
