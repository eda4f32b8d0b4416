//! A service that echoes the request cannot put a secret into nascfg's output in any encoding
//! (issue 30 point 7): `cred verify -v` and `--json` of a WebDAV credential (Basic auth) and of a
//! Box credential whose expired token is refreshed (the refresh token and client secret in the
//! form, the access token as a Bearer header), and an rclone-engine push (rclone's error output),
//! all against the echoing server of `standins::echo`.

// Test helpers panic on purpose: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use nascfg_tests::cli::{Nascfg, Run};
use nascfg_tests::standins::echo::{ENCODINGS, Echo};

/// A password with characters every encoding changes.
const PASS: &str = "Pa55/w0rd+x y&z\"<'";
const USER: &str = "bob";
const CLIENT_SECRET: &str = "client-Secret/42+echo";
const ACCESS: &str = "access-token-echo-7d3f0a";
const REFRESH: &str = "refresh/token+echo-91bc";

/// Every form in which `secret` could show: as is, in both cases, HTML-escaped, percent- and
/// form-encoded (both cases of hex), JSON-escaped.
fn forms(secret: &str) -> Vec<String> {
    let percent = |space: &str| -> String {
        secret
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                b' ' => space.to_owned(),
                b => format!("%{b:02X}"),
            })
            .collect()
    };
    let json = serde_json::to_string(secret).unwrap();
    let html = secret
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    vec![
        secret.to_owned(),
        secret.to_uppercase(),
        secret.to_lowercase(),
        html,
        percent("%20"),
        percent("%20").to_lowercase(),
        percent("+"),
        json[1..json.len() - 1].to_owned(),
    ]
}

/// Whether a run of base64 in `text`, decoded from any of its first four characters, holds
/// `secret` (the base64 of the secret, or of `user:secret`, at any alignment).
fn base64_holds(text: &str, secret: &str) -> bool {
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/'))
        .filter(|run| run.len() >= 4)
        .any(|run| {
            (0..4).any(|start| {
                let body = &run[start.min(run.len())..];
                // A final 2 or 3 characters still decode (1 or 2 bytes); a lone one does not.
                let body = &body[..body.len() - usize::from(body.len() % 4 == 1)];
                lenient
                    .decode(body)
                    .is_ok_and(|d| d.windows(secret.len()).any(|w| w == secret.as_bytes()))
            })
        })
}

#[track_caller]
fn assert_clean(what: &str, run: &Run, secrets: &[&str]) {
    let text = run.transcript();
    for secret in secrets {
        for form in forms(secret) {
            assert!(
                !text.to_lowercase().contains(&form.to_lowercase()),
                "{what}: the secret shows as {form:?}:\n{text}"
            );
        }
        assert!(
            !base64_holds(&text, secret),
            "{what}: the secret shows in base64:\n{text}"
        );
    }
}

fn run(n: &Nascfg, envs: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = n.cmd();
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.args(args).output().unwrap().into()
}

#[test]
fn the_checks_forms_are_the_echoed_ones() {
    // The checker finds what the echo server sends, so a clean output means something.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"));
    assert!(base64_holds(&format!("Authorization: Basic {basic}"), PASS));
    assert!(base64_holds(
        &base64::engine::general_purpose::STANDARD.encode(format!("xy basic: {USER}:{PASS} |")),
        PASS
    ));
    assert!(forms(PASS).contains(&"Pa55%2Fw0rd%2Bx+y%26z%22%3C%27".to_owned()));
}

#[test]
fn verify_of_webdav_shows_no_encoding_of_the_password() {
    let echo = Echo::start();
    let n = Nascfg::new();
    n.ok(&["init"]);
    n.ok(&[
        "cred",
        "add",
        "dav",
        "--provider",
        "WEBDAV",
        "--set",
        &format!("url={}/dav/", echo.url()),
        "--set",
        "vendor=OTHER",
        "--set",
        &format!("user={USER}"),
        "--set",
        &format!("pass={PASS}"),
    ]);
    // One request per check: each encoding is the first line of one answer.
    for i in 0..ENCODINGS {
        let verbose = run(&n, &[], &["cred", "verify", "dav", "-v"]);
        assert_eq!(verbose.code, 1, "{}", verbose.transcript());
        assert!(
            verbose.stdout.contains("invalid: 401"),
            "{}",
            verbose.transcript()
        );
        assert_clean(&format!("-v, answer {i}"), &verbose, &[PASS]);
    }
    let json = run(&n, &[], &["--json", "cred", "verify", "dav"]);
    assert_clean("--json", &json, &[PASS]);
    let answer: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(answer["valid"], false, "{answer}");
    assert_eq!(echo.served(), ENCODINGS + 1);
}

#[test]
fn verify_of_an_expired_oauth_token_shows_no_encoding_of_its_secrets() {
    let echo = Echo::start();
    let n = Nascfg::new();
    n.ok(&["init"]);
    let token = serde_json::json!({
        "access_token": ACCESS,
        "token_type": "bearer",
        "refresh_token": REFRESH,
        "expiry": "2021-06-01T12:00:00Z",
    });
    let token_file = n.write_file("token.json", token.to_string());
    n.ok(&[
        "cred",
        "add",
        "box",
        "--provider",
        "BOX",
        "--set",
        "client_id=echo-client",
        "--set",
        &format!("client_secret={CLIENT_SECRET}"),
        "--set",
        &format!("token=@{token_file}"),
    ]);
    let endpoint = echo.url().to_owned();
    let envs = [("NASCFG_VERIFY_ENDPOINT", endpoint.as_str())];
    // The refresh is posted (refresh token and client secret in the form) and echoed back.
    for i in 0..ENCODINGS {
        let verbose = run(&n, &envs, &["cred", "verify", "box", "-v"]);
        assert_eq!(verbose.code, 1, "{}", verbose.transcript());
        assert_clean(
            &format!("-v, answer {i}"),
            &verbose,
            &[CLIENT_SECRET, ACCESS, REFRESH],
        );
        let json = run(&n, &envs, &["--json", "cred", "verify", "box"]);
        assert_clean(
            &format!("--json, answer {i}"),
            &json,
            &[CLIENT_SECRET, ACCESS, REFRESH],
        );
    }
    assert!(echo.served() >= 2 * ENCODINGS);
}

#[test]
fn rclone_errors_show_no_encoding_of_the_password() {
    let echo = Echo::start();
    let n = Nascfg::new();
    n.ok(&["init"]);
    n.ok(&[
        "cred",
        "add",
        "dav",
        "--provider",
        "WEBDAV",
        "--set",
        &format!("url={}/dav/", echo.url()),
        "--set",
        "vendor=OTHER",
        "--set",
        &format!("user={USER}"),
        "--set",
        &format!("pass={PASS}"),
    ]);
    for i in 0..ENCODINGS {
        for args in [
            &["backup", "list", "dav:backups", "--engine", "rclone"][..],
            &["backup", "push", "dav:backups", "--engine", "rclone"][..],
        ] {
            let r = run(&n, &[], args);
            assert_eq!(r.code, 1, "{args:?}: {}", r.transcript());
            assert_clean(&format!("{args:?}, round {i}"), &r, &[PASS]);
        }
    }
    assert!(echo.served() > 0);
}
