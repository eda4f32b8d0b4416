//! A refresh token that works once (Box's) is never lost outside `cred verify` (issue 25 point 2):
//! the web UI's Verify and a push through the rclone engine refresh an expired token themselves,
//! save the rotated one under the writer lock before using it, and the next use works. The token
//! endpoint is the Box stand-in's ([`TokenBook::rotating_refresh_tokens`]), reached through
//! `NASCFG_VERIFY_ENDPOINT` (test builds only).

// Test helpers panic on purpose: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nascfg_tests::cli::{Nascfg, Run, nascfg_bin};
use nascfg_tests::standins::bearer::{Api, BearerApi};
use nascfg_tests::standins::oauth::TokenBook;
use serde_json::{Value, json};

const CLIENT_ID: &str = "nascfg-rotation-client";
const CLIENT_SECRET: &str = "CLIENT-rotation-s3cr3t-d1st1nct";
const STALE_ACCESS: &str = "STALE-access-rotation-d1st1nct";
const REFRESH: &str = "REFRESH-rotation-first-d1st1nct";
const PAST: &str = "2021-06-01T12:00:00Z";

/// The Box stand-in, whose refresh tokens work once, and a box holding credential `box` with an
/// expired access token and [`REFRESH`].
fn setup() -> (BearerApi, Nascfg) {
    let server = BearerApi::start(
        Api::Box,
        TokenBook::new(CLIENT_ID, CLIENT_SECRET, "bearer").rotating_refresh_tokens(),
    );
    server.book.grant_refresh(REFRESH);
    let n = Nascfg::new();
    n.ok(&["init"]);
    let token = json!({
        "access_token": STALE_ACCESS,
        "token_type": "bearer",
        "refresh_token": REFRESH,
        "expiry": PAST,
    });
    let token_file = n.write_file("token.json", token.to_string());
    n.ok(&[
        "cred",
        "add",
        "box",
        "--provider",
        "BOX",
        "--set",
        &format!("client_id={CLIENT_ID}"),
        "--set",
        &format!("client_secret={CLIENT_SECRET}"),
        "--set",
        &format!("token=@{token_file}"),
    ]);
    (server, n)
}

/// The stored token of `box`.
fn stored_token(n: &Nascfg) -> Value {
    let shown = n.json(&["cred", "show", "box", "--reveal"]);
    let token = &shown["provider"]["token"];
    match token {
        Value::String(text) => serde_json::from_str(text).unwrap(),
        other => other.clone(),
    }
}

/// Whether the token endpoint still takes `refresh` (each success spends it).
fn endpoint_takes(server: &BearerApi, refresh: &str) -> bool {
    let url = format!("{}{}", server.url(), Api::Box.token_path());
    let form = format!(
        "grant_type=refresh_token&refresh_token={refresh}&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
    );
    let answer = ureq::post(&url)
        .config()
        .http_status_as_error(false)
        .build()
        .header("content-type", "application/x-www-form-urlencoded")
        .send(form.as_str())
        .unwrap();
    answer.status().as_u16() == 200
}

#[track_caller]
fn assert_no_secret(what: &str, text: &str, server: &BearerApi) {
    let mut secrets = vec![
        CLIENT_SECRET.to_owned(),
        REFRESH.to_owned(),
        STALE_ACCESS.to_owned(),
    ];
    secrets.extend(server.book.issued_access());
    secrets.extend(server.book.issued_refresh());
    for s in secrets {
        assert!(!text.contains(&s), "{what}: a secret shows:\n{text}");
    }
}

// ---- the web UI's Verify

/// A child process killed when dropped.
struct Kid(Child);

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `nascfg serve` with the stand-in as every provider's endpoint, logged in: (server, port,
/// cookie).
fn serve(n: &Nascfg, endpoint: &str) -> (Kid, u16, String) {
    let mut child = Command::new(nascfg_bin())
        .arg("--data-dir")
        .arg(n.data_dir())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("NASCFG_DATA_DIR")
        .env("NASCFG_VERIFY_ENDPOINT", endpoint)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("nascfg serve runs");
    let stdout = child.stdout.take().expect("piped");
    let kid = Kid(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let rest = line
        .trim()
        .strip_prefix("http://127.0.0.1:")
        .unwrap()
        .to_owned();
    let (port, login) = rest.split_once('/').unwrap();
    let port: u16 = port.parse().unwrap();
    let (status, head, _) = request(port, "", "GET", &format!("/{login}"), None);
    assert_eq!(status, 303, "{head}");
    let cookie = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie: "))
        .map(|l| l["set-cookie: ".len()..].to_owned())
        .expect("a session cookie");
    let cookie = cookie.split(';').next().unwrap().to_owned();
    (kid, port, cookie)
}

/// One HTTP/1.1 request: (status, head, body).
fn request(
    port: u16,
    cookie: &str,
    method: &str,
    path: &str,
    form: Option<&str>,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        req.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if let Some(body) = form {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(form.unwrap_or(""));
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap();
    (status, head.to_owned(), body.to_owned())
}

/// The value of the `csrf` hidden input in `html`.
fn csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF token");
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

#[test]
fn web_verify_saves_a_rotated_refresh_token() {
    let (server, n) = setup();
    let (_serve, port, cookie) = serve(&n, server.url());
    let (status, _, page) = request(port, &cookie, "GET", "/credentials/edit?name=box", None);
    assert_eq!(status, 200, "{page}");
    let token = csrf(&page);
    // The edit form as a browser posts it: secrets left empty keep the stored ones.
    let form = format!("csrf={token}&original=box&name=box&provider=BOX&client_id={CLIENT_ID}");
    let (status, _, answer) = request(port, &cookie, "POST", "/credentials/verify", Some(&form));
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains(">valid<"), "{answer}");
    assert_no_secret("the Verify answer", &answer, &server);

    // The rotated token is stored; the one it replaced is spent.
    let issued = server.book.issued_refresh();
    assert_eq!(issued.len(), 1, "one refresh");
    let stored = stored_token(&n);
    assert_eq!(stored["refresh_token"], issued[0].as_str(), "{stored:?}");
    assert_eq!(
        stored["access_token"],
        server.book.issued_access()[0].as_str()
    );
    assert!(
        !endpoint_takes(&server, REFRESH),
        "the old refresh token still works"
    );

    // The next check uses the saved token (still fresh: no second refresh), and works.
    let again = n
        .cmd()
        .env("NASCFG_VERIFY_ENDPOINT", server.url())
        .args(["cred", "verify", "box"])
        .output()
        .unwrap();
    let again: Run = again.into();
    assert_eq!(again.code, 0, "{}", again.transcript());
    assert_eq!(server.book.issued_refresh().len(), 1);
}

// ---- a push through the rclone engine

/// An `rclone` first on PATH that writes down the token it was handed, then runs the real rclone
/// with the remote switched to rclone's local backend in `root`: the Box API has no stand-in that
/// rclone can reach (its address is built in), and what matters here is the token nascfg hands
/// rclone, and that rclone never has a refresh token to spend.
fn rclone_shim(n: &Nascfg) -> (String, std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt as _;
    let bin = n.tmp().join("bin");
    let root = n.tmp().join("storage");
    let log = n.tmp().join("rclone-tokens.log");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&root).unwrap();
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$RCLONE_CONFIG_NASCFG_TOKEN\" >> '{}'\ncd '{}' || exit 1\nRCLONE_CONFIG_NASCFG_TYPE=local exec /usr/bin/rclone \"$@\"\n",
        log.display(),
        root.display()
    );
    let shim = bin.join("rclone");
    std::fs::write(&shim, script).unwrap();
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (path, root, log)
}

/// The tokens rclone was handed, one per rclone run, parsed.
fn handed(log: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn rclone_engine_push_saves_a_rotated_refresh_token_and_the_next_push_works() {
    let (server, n) = setup();
    let (path, root, log) = rclone_shim(&n);
    let push = |extra: &[&str]| -> Run {
        let mut args = vec![
            "--json",
            "backup",
            "push",
            "box:backups",
            "--engine",
            "rclone",
        ];
        args.extend_from_slice(extra);
        n.cmd()
            .env("PATH", &path)
            .env("NASCFG_VERIFY_ENDPOINT", server.url())
            .args(&args)
            .output()
            .unwrap()
            .into()
    };

    // The stored access token has expired: refreshed first, saved, then handed over.
    let first = push(&[]);
    assert_eq!(first.code, 0, "{}", first.transcript());
    assert!(
        first
            .stderr
            .contains("saved the refreshed OAuth token of box"),
        "{}",
        first.transcript()
    );
    assert_no_secret("the first push", &first.transcript(), &server);
    let issued = server.book.issued_refresh();
    assert_eq!(issued.len(), 1);
    let stored = stored_token(&n);
    assert_eq!(stored["refresh_token"], issued[0].as_str(), "{stored:?}");
    assert!(
        !endpoint_takes(&server, REFRESH),
        "the old refresh token still works"
    );
    let tokens = handed(&log);
    assert!(!tokens.is_empty(), "rclone never ran");
    for t in &tokens {
        assert_eq!(
            t["access_token"],
            server.book.issued_access()[0].as_str(),
            "{t}"
        );
        assert!(
            t.get("refresh_token").is_none(),
            "rclone was handed a refresh token: {t}"
        );
    }
    let pushed: Value = serde_json::from_str(&first.stdout).unwrap();
    let name = pushed["name"].as_str().unwrap();
    assert!(root.join("backups").join(name).is_file(), "{pushed}");

    // The second push (default --timeout 1 h, longer than the token lasts) refreshes again with
    // the saved refresh token: it works only because the first one was saved.
    let second = push(&[]);
    assert_eq!(second.code, 0, "{}", second.transcript());
    let issued = server.book.issued_refresh();
    assert_eq!(issued.len(), 2);
    assert_eq!(stored_token(&n)["refresh_token"], issued[1].as_str());
    assert!(
        !endpoint_takes(&server, &issued[0]),
        "a spent refresh token still works"
    );

    // A push that fits in the token's remaining life does not refresh.
    let third = push(&["--timeout", "600"]);
    assert_eq!(third.code, 0, "{}", third.transcript());
    assert!(
        !third.stderr.contains("saved the refreshed"),
        "{}",
        third.transcript()
    );
    assert_eq!(server.book.issued_refresh().len(), 2);
    let last = handed(&log).pop().unwrap();
    assert_eq!(
        last["access_token"],
        server.book.issued_access()[1].as_str(),
        "{last}"
    );
    assert!(last.get("refresh_token").is_none(), "{last}");
}
