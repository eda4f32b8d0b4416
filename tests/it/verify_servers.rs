//! Verifying credentials against real servers on loopback: s3s-fs (S3), vsftpd (FTP), OpenSSH (SFTP),
//! nginx (WebDAV, HTTP), Azurite (Azure Blob). For each: the right credential is valid, a wrong secret
//! is not (with the server's reason), a closed port and a silent server are not, within the deadline.

use std::time::Duration;

use nascfg_credentials::{Credential, ProviderKind};
use nascfg_tests::cli::Nascfg;
use nascfg_tests::servers::{
    Azurite, HttpServer, S3Server, Silent, Sshd, Vsftpd, WebDav, closed_port,
};
use nascfg_verify::secrecy::SecretString;
use nascfg_verify::{Verification, VerifyOptions, verify};
use serde_json::{Value, json};

fn credential(provider: ProviderKind, attributes: Value) -> Credential {
    let Value::Object(map) = attributes else {
        panic!("attributes must be an object")
    };
    Credential::new("test", provider, map).unwrap_or_else(|e| panic!("{provider}: {e}"))
}

/// Short bounds: a loopback server answers in milliseconds.
fn options() -> VerifyOptions {
    VerifyOptions {
        connect_timeout: Duration::from_secs(2),
        deadline: Duration::from_secs(2),
        ..VerifyOptions::default()
    }
}

/// Bounds for checks that must succeed (generous: CI machines are shared).
fn roomy() -> VerifyOptions {
    VerifyOptions {
        connect_timeout: Duration::from_secs(10),
        deadline: Duration::from_secs(30),
        ..VerifyOptions::default()
    }
}

#[track_caller]
fn assert_valid(what: &str, v: &Verification) {
    assert!(
        v.valid,
        "{what}: expected valid, got {:?} / {:?}",
        v.excerpt, v.error
    );
    assert!(v.error.is_none() && v.excerpt.is_none(), "{what}: {v:?}");
}

/// Invalid, with a one-line excerpt containing `reason`, and no secret anywhere.
#[track_caller]
fn assert_invalid(what: &str, v: &Verification, reason: &str, secrets: &[&str]) {
    assert!(!v.valid, "{what}: expected invalid, got valid");
    let excerpt = v.excerpt.as_deref().unwrap_or_default();
    let error = v.error.as_deref().unwrap_or_default();
    assert!(
        excerpt.contains(reason),
        "{what}: excerpt {excerpt:?} lacks {reason:?}; error: {error}"
    );
    assert!(
        !excerpt.contains('\n'),
        "{what}: excerpt is more than one line: {excerpt:?}"
    );
    assert!(
        error.contains(excerpt.trim_end_matches("...")),
        "{what}: error {error:?} lacks the excerpt"
    );
    for secret in secrets {
        assert!(
            !excerpt.contains(secret) && !error.contains(secret),
            "{what}: a secret leaked: {v:?}"
        );
    }
}

// ---------- S3 (s3s-fs) ----------

fn s3(endpoint: &str, key: &str, secret: &str, extra: Value) -> Credential {
    let mut attrs =
        json!({"access_key_id": key, "secret_access_key": secret, "endpoint": endpoint});
    if let (Value::Object(a), Value::Object(e)) = (&mut attrs, extra) {
        a.extend(e);
    }
    credential(ProviderKind::S3, attrs)
}

#[test]
fn s3_signature_v4_with_the_right_key_is_valid() {
    let server = S3Server::start();
    for extra in [
        json!({}),
        json!({"region": "us-east-1"}),
        json!({"skip_region": true}),
        json!({"region": "eu-west-3"}),
    ] {
        let cred = s3(
            &server.endpoint,
            &server.access_key_id,
            &server.secret_access_key,
            extra.clone(),
        );
        assert_valid(&format!("S3 v4 {extra}"), &verify(&cred, &roomy()));
    }
}

#[test]
fn s3_signature_v2_with_the_right_key_is_valid() {
    let server = S3Server::start();
    let cred = s3(
        &server.endpoint,
        &server.access_key_id,
        &server.secret_access_key,
        json!({"signatures_v2": true}),
    );
    assert_valid("S3 v2", &verify(&cred, &roomy()));
}

#[test]
fn s3_wrong_secret_is_invalid_with_the_servers_reason() {
    let server = S3Server::start();
    let wrong = "WRONG-s3-secret-9c1d-d1st1nct";
    for extra in [json!({}), json!({"signatures_v2": true})] {
        let cred = s3(
            &server.endpoint,
            &server.access_key_id,
            wrong,
            extra.clone(),
        );
        assert_invalid(
            &format!("S3 {extra}"),
            &verify(&cred, &roomy()),
            "SignatureDoesNotMatch",
            &[wrong],
        );
    }
    let cred = s3(
        &server.endpoint,
        "AKIAUNKNOWNKEY000000",
        &server.secret_access_key,
        json!({}),
    );
    let v = verify(&cred, &roomy());
    assert!(!v.valid, "unknown access key: {v:?}");
    assert!(
        !v.excerpt
            .unwrap_or_default()
            .contains(&server.secret_access_key)
    );
}

// ---------- FTP (vsftpd) ----------

fn ftp(port: u16, user: &str, pass: &str) -> Credential {
    credential(
        ProviderKind::Ftp,
        json!({"host": "127.0.0.1", "port": port, "user": user, "pass": pass}),
    )
}

#[test]
fn ftp_login_and_list() {
    let server = Vsftpd::start();
    assert_valid(
        "FTP",
        &verify(&ftp(server.port, &server.user, &server.password), &roomy()),
    );
    let wrong = "WRONG-ftp-pass-77aa-d1st1nct";
    let v = verify(&ftp(server.port, &server.user, wrong), &roomy());
    assert_invalid("FTP wrong password", &v, "530 Login incorrect.", &[wrong]);
}

// ---------- SFTP (OpenSSH) ----------

fn sftp(port: u16, user: &str, pass: Option<&str>, key_pair: Option<&str>) -> Credential {
    let mut attrs = json!({"host": "127.0.0.1", "port": port, "user": user});
    if let Some(p) = pass {
        attrs["pass"] = p.into();
    }
    if let Some(k) = key_pair {
        attrs["private_key"] = k.into();
    }
    credential(ProviderKind::Sftp, attrs)
}

#[test]
fn sftp_password_login_lists_home_and_reports_the_host_key() {
    let server = Sshd::start();
    let v = verify(
        &sftp(server.port, &server.user, Some(&server.password), None),
        &roomy(),
    );
    assert_valid("SFTP password", &v);
    assert_eq!(v.host_key_seen.as_deref(), Some(server.host_key.as_str()));

    let wrong = "WRONG-ssh-pass-31f0-d1st1nct";
    let v = verify(
        &sftp(server.port, &server.user, Some(wrong), None),
        &roomy(),
    );
    assert_invalid(
        "SFTP wrong password",
        &v,
        "Permission denied (password)",
        &[wrong],
    );
}

#[test]
fn sftp_key_login_and_host_key_checking() {
    let server = Sshd::start();
    let cred = sftp(server.port, &server.user, None, Some("kp"));
    let mut opts = roomy();
    opts.private_key = Some(SecretString::from(server.private_key_pem.clone()));
    let v = verify(&cred, &opts);
    assert_valid("SFTP key", &v);

    // The recorded key matches: still valid.
    opts.known_host_key = v.host_key_seen.clone();
    assert_valid("SFTP key, known host", &verify(&cred, &opts));

    // Another key was recorded: refused, whatever the login.
    opts.known_host_key = Some(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPUt8eMDh6PbfS/8/sS6DwwaJZjw+y1PgT1jzRHqW+2f".into(),
    );
    let v = verify(&cred, &opts);
    assert_invalid("SFTP changed host key", &v, "host key changed", &[]);

    // A key the server does not know.
    let other = tempfile::tempdir().unwrap();
    let path = other.path().join("k");
    assert!(
        std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&path)
            .status()
            .unwrap()
            .success()
    );
    let pem = std::fs::read_to_string(&path).unwrap();
    let mut opts = roomy();
    opts.private_key = Some(SecretString::from(pem.clone()));
    let v = verify(&cred, &opts);
    let secret_line = pem.lines().nth(1).unwrap().to_owned();
    assert_invalid(
        "SFTP unknown key",
        &v,
        "Permission denied (publickey)",
        &[&secret_line],
    );
}

// ---------- WebDAV and HTTP (nginx) ----------

fn webdav(url: &str, user: &str, pass: &str) -> Credential {
    credential(
        ProviderKind::Webdav,
        json!({"url": url, "vendor": "OTHER", "user": user, "pass": pass}),
    )
}

fn http(url: &str) -> Credential {
    credential(ProviderKind::Http, json!({"url": url}))
}

#[test]
fn webdav_propfind_with_basic_auth() {
    let server = WebDav::start();
    assert_valid(
        "WebDAV",
        &verify(
            &webdav(&server.url, &server.user, &server.password),
            &roomy(),
        ),
    );
    let wrong = "WRONG-dav-pass-5e2b-d1st1nct";
    let v = verify(&webdav(&server.url, &server.user, wrong), &roomy());
    assert_invalid("WebDAV wrong password", &v, "401 Unauthorized", &[wrong]);
}

#[test]
fn http_url_answers() {
    let server = HttpServer::start();
    assert_valid("HTTP", &verify(&http(&server.url), &roomy()));
    assert_valid(
        "HTTP file",
        &verify(&http(&format!("{}hello.txt", server.url)), &roomy()),
    );
    // nginx redirects a folder without its slash (301): the URL answers.
    assert_valid(
        "HTTP redirect",
        &verify(&http(&format!("{}dav", server.url)), &roomy()),
    );
    let v = verify(&http(&format!("{}missing/", server.url)), &roomy());
    assert_invalid("HTTP missing", &v, "404 Not Found", &[]);
}

// ---------- Azure Blob (Azurite) ----------

fn azure(endpoint: &str, account: &str, key: &str) -> Credential {
    credential(
        ProviderKind::AzureBlob,
        json!({"account": account, "key": key, "endpoint": endpoint}),
    )
}

#[test]
fn azure_list_containers_with_shared_key() {
    let server = Azurite::start();
    assert_valid(
        "Azure",
        &verify(
            &azure(&server.endpoint, &server.account, &server.key),
            &roomy(),
        ),
    );
    // A well-formed key that is not the account's.
    let wrong = "V1JPTkctYXp1cmUta2V5LWQxc3QxbmN0LTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=";
    let v = verify(&azure(&server.endpoint, &server.account, wrong), &roomy());
    // Azure says AuthenticationFailed, Azurite AuthorizationFailure; both "Server failed to authenticate the request".
    assert_invalid(
        "Azure wrong key",
        &v,
        "Server failed to authenticate the request",
        &[wrong],
    );
}

// ---------- closed ports and silent servers, every protocol ----------

/// One credential per locally served protocol, pointed at `port`.
fn pointed_at(port: u16) -> Vec<(&'static str, Credential)> {
    let base = format!("http://127.0.0.1:{port}");
    vec![
        (
            "S3",
            s3(
                &base,
                "AKIANASCFGTEST0001",
                "secret-secret-secret",
                json!({}),
            ),
        ),
        ("FTP", ftp(port, "user", "password")),
        ("SFTP", sftp(port, "user", Some("password"), None)),
        (
            "WebDAV",
            webdav(&format!("{base}/dav/"), "user", "password"),
        ),
        ("HTTP", http(&format!("{base}/"))),
        (
            "Azure",
            azure(
                &format!("{base}/devstoreaccount1"),
                "devstoreaccount1",
                "a2V5a2V5a2V5",
            ),
        ),
    ]
}

#[test]
fn a_closed_port_is_refused() {
    let port = closed_port();
    for (what, cred) in pointed_at(port) {
        let v = verify(&cred, &options());
        assert_invalid(
            what,
            &v,
            "connection refused",
            &["password", "secret-secret-secret"],
        );
    }
}

#[test]
fn a_silent_server_times_out_within_the_deadline() {
    let silent = Silent::start();
    for (what, cred) in pointed_at(silent.port) {
        let v = verify(&cred, &options());
        assert_invalid(
            what,
            &v,
            "timed out after 2 s",
            &["password", "secret-secret-secret"],
        );
    }
}

// ---------- the command line ----------

#[test]
fn cli_verify_before_saving_prints_valid_or_the_excerpt() {
    let server = WebDav::start();
    let nascfg = Nascfg::new();
    let url = format!("url={}", server.url);
    let user = format!("user={}", server.user);
    let pass = format!("pass={}", server.password);
    let base = [
        "cred",
        "verify",
        "--provider",
        "webdav",
        "--set",
        &url,
        "--set",
        "vendor=OTHER",
        "--set",
        &user,
    ];
    let mut args = base.to_vec();
    args.extend(["--set", &pass]);
    assert_eq!(nascfg.ok(&args), "valid\n");
    let mut json_args = vec!["--json"];
    json_args.extend(&args);
    assert_eq!(
        serde_json::from_str::<Value>(&nascfg.ok(&json_args)).unwrap(),
        json!({"valid": true, "error": null, "excerpt": null})
    );

    let wrong = "pass=WRONG-cli-dav-8f3e-d1st1nct";
    let mut args = base.to_vec();
    args.extend(["--set", wrong]);
    let run = nascfg.fail(&args);
    assert_eq!(run.stdout, "invalid: 401 Unauthorized\n");
    assert!(
        run.stderr.contains("error: the credential did not verify"),
        "{}",
        run.transcript()
    );
    assert!(run.stderr.contains("hint: "), "{}", run.transcript());

    let mut json_args = vec!["--json"];
    json_args.extend(&args);
    let run = nascfg.fail(&json_args);
    let answer: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(answer["valid"], false);
    assert_eq!(answer["excerpt"], "401 Unauthorized");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .starts_with("401 Unauthorized")
    );
    for out in [&run.stdout, &run.stderr] {
        assert!(
            !out.contains("WRONG-cli-dav"),
            "secret leaked: {}",
            run.transcript()
        );
    }
}

#[test]
fn cli_add_with_verify_saves_only_a_credential_that_verified() {
    let server = Vsftpd::start();
    let nascfg = Nascfg::new();
    let port = format!("port={}", server.port);
    let user = format!("user={}", server.user);
    let add = |name: &'static str, pass: &str| -> Vec<String> {
        [
            "cred",
            "add",
            name,
            "--provider",
            "FTP",
            "--set",
            "host=127.0.0.1",
            "--set",
            &port,
            "--set",
            &user,
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([
            "--set".to_owned(),
            format!("pass={pass}"),
            "--verify".to_owned(),
        ])
        .collect()
    };
    let wrong = add("ftp-wrong", "WRONG-cli-ftp-2b7c-d1st1nct");
    let run = nascfg.fail(&wrong.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        run.stderr.contains("530 Login incorrect."),
        "{}",
        run.transcript()
    );
    assert!(run.stderr.contains("not saved"), "{}", run.transcript());
    assert!(!run.stderr.contains("WRONG-cli-ftp") && !run.stdout.contains("WRONG-cli-ftp"));
    let right = add("ftp-right", &server.password);
    nascfg.ok(&right.iter().map(String::as_str).collect::<Vec<_>>());
    let names: Vec<Value> = nascfg
        .json(&["cred", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("ftp-right")]);

    // The stored credential verifies by name; exit 0 and `valid`.
    assert_eq!(nascfg.ok(&["cred", "verify", "ftp-right"]), "valid\n");
    assert_eq!(nascfg.json(&["cred", "verify", "ftp-right"])["valid"], true);
}

#[test]
fn cli_verify_stored_sftp_uses_the_key_pair_and_records_the_host_key() {
    let server = Sshd::start();
    let nascfg = Nascfg::new();
    nascfg.ok(&["keypair", "generate", "kp"]);
    let public_key = nascfg.json(&["keypair", "show", "kp"])["public_key"]
        .as_str()
        .unwrap()
        .to_owned();
    server.authorize(&public_key);
    let port = format!("port={}", server.port);
    let user = format!("user={}", server.user);
    nascfg.ok(&[
        "cred",
        "add",
        "sftp",
        "--provider",
        "SFTP",
        "--set",
        "host=127.0.0.1",
        "--set",
        &port,
        "--set",
        &user,
        "--set",
        "private_key=kp",
    ]);

    let first = nascfg.run(&["cred", "verify", "sftp"]);
    assert_eq!(
        (first.code, first.stdout.as_str()),
        (0, "valid\n"),
        "{}",
        first.transcript()
    );
    assert!(
        first.stderr.contains("recorded the host key"),
        "{}",
        first.transcript()
    );
    assert!(
        first.stderr.contains(&server.host_key),
        "{}",
        first.transcript()
    );

    let second = nascfg.run(&["cred", "verify", "sftp"]);
    assert_eq!(
        (second.code, second.stdout.as_str()),
        (0, "valid\n"),
        "{}",
        second.transcript()
    );
    assert!(
        !second.stderr.contains("recorded"),
        "{}",
        second.transcript()
    );

    // Before saving, with the same key pair from the store and the recorded host key.
    let run = nascfg.run(&[
        "cred",
        "verify",
        "--provider",
        "sftp",
        "--set",
        "host=127.0.0.1",
        "--set",
        &port,
        "--set",
        &user,
        "--set",
        "private_key=kp",
    ]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "valid\n"),
        "{}",
        run.transcript()
    );
}

#[test]
fn cli_failures_never_print_a_secret() {
    let s3_server = S3Server::start();
    let silent = Silent::start();
    let closed = closed_port();
    let nascfg = Nascfg::new();
    let secret = "Sup3r-S3cret/Value+d1st1nct-0042";
    let endpoint = format!("endpoint={}", s3_server.endpoint);
    let key = format!("access_key_id={}", s3_server.access_key_id);
    let secret_set = format!("secret_access_key={secret}");
    let cases: Vec<Vec<String>> = vec![
        vec![
            "--provider",
            "S3",
            "--set",
            &key,
            "--set",
            &secret_set,
            "--set",
            &endpoint,
        ],
        vec![
            "--provider",
            "S3",
            "--set",
            &key,
            "--set",
            &secret_set,
            "--set",
            &endpoint,
            "--set",
            "signatures_v2=true",
        ],
        vec![
            "--provider",
            "FTP",
            "--set",
            "host=127.0.0.1",
            "--set",
            &format!("port={closed}"),
            "--set",
            "user=u",
            "--set",
            &format!("pass={secret}"),
        ],
        vec![
            "--provider",
            "WEBDAV",
            "--set",
            &format!("url=http://127.0.0.1:{}/", silent.port),
            "--set",
            "vendor=OTHER",
            "--set",
            "user=u",
            "--set",
            &format!("pass={secret}"),
        ],
        vec![
            "--provider",
            "SFTP",
            "--set",
            "host=127.0.0.1",
            "--set",
            &format!("port={}", silent.port),
            "--set",
            "user=u",
            "--set",
            &format!("pass={secret}"),
        ],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(str::to_owned).collect())
    .collect();
    for case in cases {
        for flags in [vec!["-v"], vec!["--json", "-v"]] {
            let mut args: Vec<&str> = flags.clone();
            args.extend(["cred", "verify", "--timeout", "2", "--connect-timeout", "2"]);
            args.extend(case.iter().map(String::as_str));
            let run = nascfg.fail(&args);
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "secret leaked:\n{}",
                run.transcript()
            );
            assert!(
                !run.stdout.contains("Sup3r") && !run.stderr.contains("Sup3r"),
                "secret leaked:\n{}",
                run.transcript()
            );
        }
    }
}

#[test]
fn cli_silent_server_answers_timed_out() {
    let silent = Silent::start();
    let nascfg = Nascfg::new();
    let url = format!("url={}", silent.url());
    let run = nascfg.fail(&[
        "cred",
        "verify",
        "--provider",
        "http",
        "--set",
        &url,
        "--timeout",
        "2",
    ]);
    assert_eq!(
        run.stdout,
        "invalid: timed out after 2 s\n",
        "{}",
        run.transcript()
    );
}

#[test]
fn ftp_switches_to_explicit_tls_when_offered() {
    // The server offers AUTH TLS with a self-signed certificate: the client
    // switches to TLS before sending the password, and refuses the certificate.
    let server = Vsftpd::start_with_tls();
    let v = verify(&ftp(server.port, &server.user, &server.password), &roomy());
    assert_invalid(
        "FTP over TLS",
        &v,
        "TLS handshake failed: invalid peer certificate",
        &[&server.password],
    );
}
