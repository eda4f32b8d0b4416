//! No secret leaks: credentials of every provider with distinctive secret values
//! go through every command without --reveal, and neither standard output,
//! standard error nor the raw bytes of the data directory contain any of them.
#![allow(clippy::unwrap_used)]

use nascfg_credentials::{DocumentKind, FieldKind, ProviderKind};
use nascfg_tests::cli::{Nascfg, Run};

/// A distinctive value that is also valid base64 and a plausible key: 16 alphanumerics.
fn secret_text(p: usize, f: usize) -> String {
    format!("LEAK{p:02}{f:02}QZXWVUTS")
}

fn plain_value(kind: FieldKind, name: &str) -> Option<String> {
    Some(match kind {
        FieldKind::Text { .. } if name == "account" => "devstoreaccount1".into(),
        FieldKind::Text { .. } => "plainvalue1".into(),
        FieldKind::Url => "https://example.com/dav".into(),
        FieldKind::Port => "22".into(),
        FieldKind::Integer { min, .. } => min.max(1).to_string(),
        FieldKind::Boolean => "false".into(),
        FieldKind::Enum { allowed } => allowed.first()?.to_string(),
        _ => return None,
    })
}

/// The `--set` arguments of a credential of `p` and the secret strings in it.
fn credential(pi: usize, p: ProviderKind) -> (Vec<String>, Vec<String>) {
    let mut sets = Vec::new();
    let mut secrets = Vec::new();
    for (fi, field) in p.spec().fields().iter().enumerate() {
        let value = if field.secret() {
            match field.kind() {
                FieldKind::JsonDocument(DocumentKind::OAuthToken) => {
                    let (a, r) = (secret_text(pi, fi), secret_text(pi, fi + 50));
                    secrets.extend([a.clone(), r.clone()]);
                    format!(
                        r#"{{"access_token":"{a}","token_type":"Bearer","refresh_token":"{r}","expiry":"2031-01-01T00:00:00Z"}}"#
                    )
                }
                FieldKind::JsonDocument(DocumentKind::ServiceAccountKey) => {
                    let k = secret_text(pi, fi);
                    secrets.push(k.clone());
                    serde_json::json!({
                        "type": "service_account",
                        "project_id": "proj",
                        "private_key_id": "abc",
                        "private_key": format!("-----BEGIN PRIVATE KEY-----\nMIIE{k}\n-----END PRIVATE KEY-----\n"),
                        "client_email": "svc@proj.iam.gserviceaccount.com",
                        "token_uri": "https://oauth2.googleapis.com/token",
                    })
                    .to_string()
                }
                _ => {
                    let s = secret_text(pi, fi);
                    secrets.push(s.clone());
                    s
                }
            }
        } else if field.required() {
            match plain_value(field.kind(), field.name()) {
                Some(v) => v,
                None => continue,
            }
        } else {
            continue;
        };
        sets.push(format!("{}={value}", field.name()));
    }
    (sets, secrets)
}

#[test]
fn no_secret_reaches_output_or_disk() {
    let n = Nascfg::new();
    let mut runs: Vec<Run> = Vec::new();
    let mut all_secrets = Vec::new();
    let mut names = Vec::new();
    for (pi, p) in ProviderKind::ALL.iter().enumerate() {
        let (sets, secrets) = credential(pi, *p);
        let name = format!("c-{}", p.type_str().to_lowercase());
        let mut args = vec![
            "cred".to_owned(),
            "add".into(),
            name.clone(),
            "--provider".into(),
            p.type_str().into(),
        ];
        for s in &sets {
            args.extend(["--set".to_owned(), s.clone()]);
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = n.run(&argv);
        assert_eq!(run.code, 0, "{}: {}", p.type_str(), run.transcript());
        runs.push(run);
        // The same again: a duplicate, whose error must not echo the values either.
        runs.push(n.run(&argv));
        // With an invalid extra field.
        let mut bad = argv.clone();
        bad[2] = "bad-one";
        bad.extend(["--set", "no_such_field=1"]);
        runs.push(n.run(&bad));
        all_secrets.extend(secrets);
        names.push(name);
    }
    assert!(all_secrets.len() >= 18, "{all_secrets:?}");
    n.ok(&["keypair", "generate", "k"]);
    for name in &names {
        runs.push(n.run(&["cred", "show", name]));
        runs.push(n.run(&["--json", "cred", "show", name]));
        runs.push(n.run(&["cred", "update", name, "--rename", &format!("{name}-x")]));
        runs.push(n.run(&["cred", "update", &format!("{name}-x"), "--rename", name]));
        runs.push(n.run(&["-v", "cred", "show", name]));
    }
    for args in [
        &["cred", "list"][..],
        &["--json", "cred", "list"],
        &["keypair", "list"],
        &["--json", "keypair", "show", "k"],
        &["seed", "fingerprint"],
        &["seed", "rotate"],
        &["--json", "cred", "list"],
        &["cred", "delete", "c-s3"],
        &["keypair", "delete", "k"],
        &["seed", "rotate"],
    ] {
        runs.push(n.run(args));
    }
    // A wrong seed: the refusals must not leak either.
    let seed = n.data_dir().join("secret-seed");
    let good = std::fs::read(&seed).unwrap();
    std::fs::write(&seed, [1u8; 32]).unwrap();
    runs.push(n.run(&["cred", "show", "c-ftp", "--reveal"]));
    runs.push(n.run(&["cred", "update", "c-ftp", "--set", "host=other"]));
    std::fs::write(&seed, good).unwrap();

    let mut files = Vec::new();
    for e in std::fs::read_dir(n.data_dir()).unwrap() {
        let e = e.unwrap();
        files.push((e.path(), std::fs::read(e.path()).unwrap()));
    }
    for secret in &all_secrets {
        for run in &runs {
            assert!(
                !run.stdout.contains(secret.as_str()),
                "{secret} in stdout:\n{}",
                run.transcript()
            );
            assert!(
                !run.stderr.contains(secret.as_str()),
                "{secret} in stderr:\n{}",
                run.transcript()
            );
        }
        for (path, bytes) in &files {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} in {path:?}"
            );
        }
    }
    // And --reveal does print them: the search above would have found them.
    let shown = n.ok(&["cred", "show", "c-ftp", "--reveal"]);
    assert!(all_secrets.iter().any(|s| shown.contains(s.as_str())));
}
