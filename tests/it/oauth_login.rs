//! `nascfg cred login` and `nascfg authorize` end to end against a real OAuth 2.0 authorization
//! server (oidc-provider, `servers/oidc`), for the seven OAuth providers: loopback, `--paste` and
//! `--device` logins that `cred verify` then uses, reconnect, Box's rotating refresh tokens, and
//! every bad input (exit 1, the data directory byte for byte unchanged). The test plays the browser.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nascfg_tests::cli::{Nascfg, Run, nascfg_bin};
use nascfg_tests::servers::{
    Browser, CLIENT_ID, CLIENT_SECRET, Consent, OAuthProvider, OidcServer, Silent, http_get,
    http_post_form, query_of,
};
use serde_json::{Value, json};

/// How long a step of a login may take before the test gives up.
const STEP: Duration = Duration::from_secs(60);

/// `nascfg` running in the background: standard error read line by line as it comes.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    stdout: std::thread::JoinHandle<String>,
}

impl Running {
    /// Starts `nascfg --data-dir D ARGS` as [`Nascfg::cmd`] does, with any loopback port allowed.
    fn spawn(nascfg: &Nascfg, args: &[&str]) -> Running {
        let mut child = Command::new(nascfg_bin())
            .env_remove("NASCFG_DATA_DIR")
            .env_remove("NASCFG_FAILPOINT")
            .env_remove("NASCFG_FAILPOINT_DIR")
            .env_remove("NASCFG_VERIFY_ENDPOINT")
            .env("NASCFG_OAUTH_LOOPBACK_PORT", "0")
            .env("HOME", nascfg.tmp())
            .env("XDG_DATA_HOME", nascfg.tmp().join("xdg"))
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("BROWSER")
            .arg("--data-dir")
            .arg(nascfg.data_dir())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nascfg");
        let stdin = child.stdin.take();
        let mut out = child.stdout.take().expect("stdout");
        let err = child.stderr.take().expect("stderr");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, lines) = channel();
        {
            let stderr = Arc::clone(&stderr);
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines() {
                    let Ok(line) = line else { break };
                    stderr
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push_str(&format!("{line}\n"));
                    let _ = tx.send(line);
                }
            });
        }
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            text
        });
        Running {
            child,
            stdin,
            lines,
            stderr,
            stdout,
        }
    }

    fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The next line of standard error that `wanted` accepts.
    fn line(&self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let left = STEP.saturating_sub(start.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(line) if wanted(line.trim()) => return line.trim().to_owned(),
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    panic!("no {what} on standard error:\n{}", self.stderr())
                }
            }
        }
    }

    /// The first line that is a URL (the authorization URL, or the device flow's page).
    fn url(&self) -> String {
        self.line("URL line", |l| {
            (l.starts_with("http://") || l.starts_with("https://")) && !l.contains(' ')
        })
    }

    /// The device flow's user code (`user code: CODE`).
    fn user_code(&self) -> String {
        let line = self.line("user code line", |l| l.starts_with("user code: "));
        line["user code: ".len()..].trim().to_owned()
    }

    fn type_line(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin
            .write_all(format!("{text}\n").as_bytes())
            .expect("write to nascfg's stdin");
        stdin.flush().expect("flush");
    }

    /// Waits for the exit (closing standard input first).
    fn finish(mut self) -> Run {
        self.stdin.take();
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for nascfg") {
                break status;
            }
            if start.elapsed() > STEP * 2 {
                let _ = self.child.kill();
                panic!("nascfg did not exit:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader thread ends at end of file.
        let start = Instant::now();
        while !self.lines_done() && start.elapsed() < STEP {
            std::thread::sleep(Duration::from_millis(10));
        }
        let stdout = std::mem::replace(&mut self.stdout, std::thread::spawn(String::new))
            .join()
            .unwrap_or_default();
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr: self.stderr(),
        }
    }

    fn lines_done(&self) -> bool {
        matches!(
            self.lines.try_recv(),
            Err(std::sync::mpsc::TryRecvError::Disconnected)
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.display().to_string(),
                    std::fs::read(&p).unwrap_or_default(),
                );
            }
        }
    }
    out
}

fn assert_unchanged(what: &str, before: &BTreeMap<String, Vec<u8>>, nascfg: &Nascfg) {
    let after = snapshot(nascfg.data_dir());
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(before), names(&after), "{what}: files changed");
    for (name, bytes) in before {
        assert!(after[name] == *bytes, "{what}: {name} changed");
    }
}

/// `--set client_id=... --set client_secret=...` and the provider.
fn new_credential_args(provider: OAuthProvider) -> Vec<String> {
    vec![
        "--provider".into(),
        provider.type_str().into(),
        "--set".into(),
        format!("client_id={CLIENT_ID}"),
        "--set".into(),
        format!("client_secret={CLIENT_SECRET}"),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The credential as `cred show NAME --reveal --json` shows it.
fn revealed(nascfg: &Nascfg, name: &str) -> Value {
    nascfg.json(&["cred", "show", name, "--reveal"])
}

/// The stored token document.
fn stored_token(nascfg: &Nascfg, name: &str) -> Value {
    let shown = revealed(nascfg, name);
    let text = shown["provider"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in {shown}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("token is not JSON ({e}): {text}"))
}

/// Asserts that none of `secrets` is in `text`.
fn assert_no_secrets(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets.iter().filter(|s| s.len() >= 6) {
        assert!(
            !text.contains(secret),
            "{what}: a secret is in the output:\n{text}"
        );
    }
}

/// How the user hands the authorization back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The browser loads the loopback redirect.
    Loopback,
    /// The user pastes the redirect URL into the terminal.
    Paste,
    /// The device flow.
    Device,
}

impl Mode {
    fn flag(self) -> &'static str {
        match self {
            Mode::Loopback => "--no-browser",
            Mode::Paste => "--paste",
            Mode::Device => "--device",
        }
    }
}

/// What a finished login left behind: the run and the authorization code the browser got.
struct Done {
    run: Run,
    code: Option<String>,
}

/// Runs `nascfg ARGS` (a `cred login` or `authorize` with `mode`'s flag added) and plays the user.
fn drive(nascfg: &Nascfg, server: &OidcServer, args: &[&str], mode: Mode) -> Done {
    let mut all = args.to_vec();
    all.extend([mode.flag(), "--endpoint-override", server.url()]);
    let mut running = Running::spawn(nascfg, &all);
    let url = running.url();
    let mut browser = Browser::new(server);
    let code = match mode {
        Mode::Device => {
            let user_code = running.user_code();
            browser
                .approve_device(&url, &user_code)
                .unwrap_or_else(|e| panic!("device approval: {e}\n{}", server.log()));
            None
        }
        Mode::Loopback | Mode::Paste => {
            let redirect = browser
                .authorize(&url)
                .unwrap_or_else(|e| panic!("browser: {e}\n{}", server.log()));
            let code = query_of(&redirect).get("code").cloned();
            if mode == Mode::Loopback {
                let page = http_get(&redirect).expect("load the loopback redirect");
                assert_eq!(page.status, 200, "{}", page.body);
                assert!(
                    page.body.to_lowercase().contains("terminal"),
                    "{}",
                    page.body
                );
            } else {
                running.type_line(&redirect);
            }
            code
        }
    };
    Done {
        run: running.finish(),
        code,
    }
}

/// A new credential NAME for `provider` by `mode`; asserts success and no secret in the output.
fn login(nascfg: &Nascfg, server: &OidcServer, provider: OAuthProvider, name: &str, mode: Mode) {
    let mut args = vec!["cred".to_owned(), "login".into(), name.into()];
    args.extend(new_credential_args(provider));
    let done = drive(nascfg, server, &strs(&args), mode);
    let transcript = done.run.transcript();
    assert_eq!(
        done.run.code,
        0,
        "{provider:?} {mode:?}: {transcript}\n{}",
        server.log()
    );
    let token = stored_token(nascfg, name);
    let secrets = [
        CLIENT_SECRET,
        done.code.as_deref().unwrap_or(""),
        token["access_token"].as_str().unwrap_or(""),
        token["refresh_token"].as_str().unwrap_or(""),
    ];
    assert_no_secrets(&format!("{provider:?} {mode:?}"), &transcript, &secrets);
    assert!(token["access_token"].is_string(), "{token}");
    assert_eq!(
        token["refresh_token"].is_string(),
        provider.has_refresh_tokens(),
        "{provider:?}: {token}"
    );
}

fn verify(nascfg: &Nascfg, server: &OidcServer, name: &str) -> Run {
    nascfg.run(&["cred", "verify", name, "--endpoint-override", server.url()])
}

fn assert_verified(what: &str, nascfg: &Nascfg, server: &OidcServer, name: &str) {
    let run = verify(nascfg, server, name);
    assert_eq!(
        run.code,
        0,
        "{what}: verify failed:\n{}\n{}",
        run.transcript(),
        server.log()
    );
    let token = stored_token(nascfg, name);
    assert_no_secrets(
        what,
        &run.transcript(),
        &[
            CLIENT_SECRET,
            token["access_token"].as_str().unwrap_or(""),
            token["refresh_token"].as_str().unwrap_or(""),
        ],
    );
}

/// What each provider's login stores beside the token.
fn assert_provider_attributes(provider: OAuthProvider, nascfg: &Nascfg, name: &str) {
    let shown = revealed(nascfg, name);
    let attrs = &shown["provider"];
    assert_eq!(attrs["type"], provider.type_str());
    assert_eq!(attrs["client_id"], CLIENT_ID);
    assert_eq!(attrs["client_secret"], CLIENT_SECRET);
    match provider {
        OAuthProvider::OneDrive => {
            assert_eq!(attrs["drive_id"], "b!personal0123", "{shown}");
            assert_eq!(attrs["drive_type"], "BUSINESS", "{shown}");
        }
        OAuthProvider::Pcloud => assert_eq!(attrs["hostname"], "eapi.pcloud.com", "{shown}"),
        _ => {}
    }
}

fn login_and_verify_each(mode: Mode, providers: &[OAuthProvider]) {
    for &provider in providers {
        let server = OidcServer::start(&provider.config());
        let nascfg = Nascfg::new();
        nascfg.ok(&["init"]);
        let name = format!("{}-{mode:?}", provider.type_str().to_lowercase());
        login(&nascfg, &server, provider, &name, mode);
        assert_provider_attributes(provider, &nascfg, &name);
        assert_verified(&format!("{provider:?} {mode:?}"), &nascfg, &server, &name);
    }
}

#[test]
fn loopback_login_then_verify_for_each_provider() {
    login_and_verify_each(Mode::Loopback, &OAuthProvider::ALL);
}

#[test]
fn paste_login_then_verify_for_each_provider() {
    login_and_verify_each(Mode::Paste, &OAuthProvider::ALL);
}

#[test]
fn device_login_then_verify_onedrive_and_yandex() {
    login_and_verify_each(
        Mode::Device,
        &[OAuthProvider::OneDrive, OAuthProvider::Yandex],
    );
}

#[test]
fn reconnect_replaces_only_the_token() {
    for provider in [
        OAuthProvider::Box,
        OAuthProvider::Pcloud,
        OAuthProvider::OneDrive,
    ] {
        let server = OidcServer::start(&provider.config());
        let nascfg = Nascfg::new();
        nascfg.ok(&["init"]);
        login(&nascfg, &server, provider, "remote", Mode::Loopback);
        let before = revealed(&nascfg, "remote");
        let done = drive(&nascfg, &server, &["cred", "login", "remote"], Mode::Paste);
        assert_eq!(done.run.code, 0, "{provider:?}: {}", done.run.transcript());
        let after = revealed(&nascfg, "remote");
        assert_ne!(
            before["provider"]["token"], after["provider"]["token"],
            "{provider:?}: the token was not replaced"
        );
        let without_token = |v: &Value| {
            let mut v = v.clone();
            v["provider"]
                .as_object_mut()
                .expect("provider attributes")
                .remove("token");
            v.as_object_mut().expect("object").remove("updated_at");
            v.to_string()
        };
        assert_eq!(
            without_token(&before),
            without_token(&after),
            "{provider:?}"
        );
        assert_verified(
            &format!("{provider:?} reconnect"),
            &nascfg,
            &server,
            "remote",
        );
    }
}

#[test]
fn onedrive_with_several_drives_takes_the_one_named() {
    let provider = OAuthProvider::OneDrive;
    let mut config = provider.config();
    config["drives"] = json!([
        ["b!personal0123", "OneDrive", "business"],
        ["b!library4567", "Documents", "documentLibrary"]
    ]);
    let server = OidcServer::start(&config);
    let nascfg = Nascfg::new();
    nascfg.ok(&["init"]);
    let mut args: Vec<String> = ["cred", "login", "od"].map(String::from).to_vec();
    args.extend(new_credential_args(provider));
    args.extend(["--set".into(), "drive_id=b!library4567".into()]);
    let done = drive(&nascfg, &server, &strs(&args), Mode::Loopback);
    assert_eq!(done.run.code, 0, "{}", done.run.transcript());
    let attrs = &revealed(&nascfg, "od")["provider"];
    assert_eq!(attrs["drive_id"], "b!library4567");
    assert_eq!(attrs["drive_type"], "DOCUMENT_LIBRARY");
    assert_verified("onedrive library", &nascfg, &server, "od");
}

#[test]
fn authorize_prints_the_token_json_for_cred_add() {
    let provider = OAuthProvider::Dropbox;
    let server = OidcServer::start(&provider.config());
    let nascfg = Nascfg::new();
    nascfg.ok(&["init"]);
    let args = [
        "authorize",
        provider.type_str(),
        "--set",
        &format!("client_id={CLIENT_ID}"),
        "--set",
        &format!("client_secret={CLIENT_SECRET}"),
    ];
    let done = drive(&nascfg, &server, &args, Mode::Loopback);
    assert_eq!(done.run.code, 0, "{}", done.run.transcript());
    let token: Value = serde_json::from_str(done.run.stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not the token JSON ({e}):\n{}", done.run.stdout));
    for field in ["access_token", "token_type", "refresh_token", "expiry"] {
        assert!(token.get(field).is_some(), "no {field} in {token}");
    }
    assert_no_secrets(
        "authorize stderr",
        &done.run.stderr,
        &[
            CLIENT_SECRET,
            done.code.as_deref().unwrap_or(""),
            token["access_token"].as_str().unwrap_or(""),
            token["refresh_token"].as_str().unwrap_or(""),
        ],
    );
    // On the NAS: the printed document as the token.
    let run = nascfg.run_stdin(
        &[
            "cred",
            "add",
            "dbx",
            "--provider",
            provider.type_str(),
            "--set",
            &format!("client_id={CLIENT_ID}"),
            "--set",
            &format!("client_secret={CLIENT_SECRET}"),
            "--set",
            "token=-",
        ],
        &done.run.stdout,
    );
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_verified("authorize then cred add", &nascfg, &server, "dbx");
}

#[test]
fn box_rotation_keeps_the_newest_refresh_token() {
    let provider = OAuthProvider::Box;
    let mut config = provider.config();
    // Access tokens live 5 s: under the refresher's 10 s slack, so every verify refreshes.
    config["ttl"] = json!({"AccessToken": 5});
    let server = OidcServer::start(&config);
    let nascfg = Nascfg::new();
    nascfg.ok(&["init"]);
    login(&nascfg, &server, provider, "box", Mode::Loopback);
    let refresh_token = |n: &Nascfg| {
        stored_token(n, "box")["refresh_token"]
            .as_str()
            .expect("a refresh token")
            .to_owned()
    };
    let mut seen = vec![refresh_token(&nascfg)];
    for round in 1..=2 {
        assert_verified(&format!("refresh {round}"), &nascfg, &server, "box");
        let now = refresh_token(&nascfg);
        assert!(
            !seen.contains(&now),
            "refresh {round} did not store a new refresh token"
        );
        seen.push(now);
    }
    let token_url = format!("{}{}", server.url(), provider.token_path());
    let refresh = |rt: &str| {
        http_post_form(
            &token_url,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
            ],
        )
        .expect("token request")
    };
    // The stored one is live (the newest); the two before it are spent.
    let newest = refresh(&seen[2]);
    assert_eq!(newest.status, 200, "{}", newest.body);
    for spent in &seen[..2] {
        let answer = refresh(spent);
        assert_eq!(
            (answer.status, answer.json()["error"].as_str()),
            (400, Some("invalid_grant")),
            "{}",
            answer.body
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Bad input: exit 1 and the data directory byte for byte unchanged.
// ---------------------------------------------------------------------------------------------

/// A data directory with one credential, `existing` (Box, logged in), so that a failed login
/// (a new credential or a reconnect of `existing`) has something to leave alone.
fn prepared(server: &OidcServer) -> Nascfg {
    let nascfg = Nascfg::new();
    nascfg.ok(&["init"]);
    login(
        &nascfg,
        server,
        OAuthProvider::Box,
        "existing",
        Mode::Loopback,
    );
    nascfg
}

/// The arguments of a login: a new credential `fresh`, or a reconnect of `existing`.
fn login_args(reconnect: bool) -> Vec<String> {
    if reconnect {
        ["cred", "login", "existing"].map(String::from).to_vec()
    } else {
        let mut args: Vec<String> = ["cred", "login", "fresh"].map(String::from).to_vec();
        args.extend(new_credential_args(OAuthProvider::Box));
        args
    }
}

/// Runs a login whose redirect `tamper` changes (None: the user types `tamper`'s text instead),
/// and asserts exit 1, no secret in the output, and nothing changed.
fn refused(
    what: &str,
    server: &OidcServer,
    nascfg: &Nascfg,
    mode: Mode,
    consent: Consent,
    tamper: impl Fn(&str) -> String,
) -> Run {
    let mut last = None;
    for reconnect in [false, true] {
        let before = snapshot(nascfg.data_dir());
        let mut args = login_args(reconnect);
        args.extend([mode.flag(), "--endpoint-override", server.url()].map(String::from));
        let mut running = Running::spawn(nascfg, &strs(&args));
        let url = running.url();
        let redirect = Browser::new(server)
            .authorize_with(&url, consent)
            .unwrap_or_else(|e| panic!("{what}: browser: {e}\n{}", server.log()));
        let code = query_of(&redirect).get("code").cloned().unwrap_or_default();
        let sent = tamper(&redirect);
        match mode {
            Mode::Loopback => {
                // The listener answers (an error page) or closes; either way the login ends.
                let _ = http_get(&sent);
            }
            Mode::Paste => running.type_line(&sent),
            Mode::Device => unreachable!("no redirect in the device flow"),
        }
        let run = running.finish();
        let what = format!("{what} (reconnect: {reconnect})");
        assert_eq!(run.code, 1, "{what}: {}", run.transcript());
        assert_no_secrets(&what, &run.transcript(), &[CLIENT_SECRET, &code]);
        assert_unchanged(&what, &before, nascfg);
        last = Some(run);
    }
    last.expect("two runs")
}

fn with_param(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').expect("a query");
    let pairs: Vec<String> = query
        .split('&')
        .map(|p| {
            if p.starts_with(&format!("{name}=")) {
                format!("{name}={value}")
            } else {
                p.to_owned()
            }
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

#[test]
fn state_mismatch_is_refused() {
    let server = OidcServer::start(&OAuthProvider::Box.config());
    let nascfg = prepared(&server);
    for mode in [Mode::Loopback, Mode::Paste] {
        let run = refused(
            &format!("state mismatch {mode:?}"),
            &server,
            &nascfg,
            mode,
            Consent::Allow,
            |r| with_param(r, "state", "forged-state"),
        );
        assert!(
            run.stderr.to_lowercase().contains("state"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn an_error_in_the_redirect_is_refused() {
    let server = OidcServer::start(&OAuthProvider::Box.config());
    let nascfg = prepared(&server);
    for mode in [Mode::Loopback, Mode::Paste] {
        let run = refused(
            &format!("access_denied {mode:?}"),
            &server,
            &nascfg,
            mode,
            Consent::Deny,
            str::to_owned,
        );
        assert!(run.stderr.contains("access_denied"), "{}", run.stderr);
    }
}

#[test]
fn a_stray_request_before_the_redirect_is_refused() {
    let server = OidcServer::start(&OAuthProvider::Box.config());
    let nascfg = prepared(&server);
    for stray in ["favicon.ico", "", "other?code=x"] {
        let run = refused(
            &format!("stray request /{stray}"),
            &server,
            &nascfg,
            Mode::Loopback,
            Consent::Allow,
            |r| format!("{}{stray}", r.split('?').next().expect("a base")),
        );
        assert!(run.stderr.contains("loopback port"), "{}", run.stderr);
    }
}

#[test]
fn pasted_garbage_is_refused() {
    let server = OidcServer::start(&OAuthProvider::Box.config());
    let nascfg = prepared(&server);
    for garbage in [
        "garbage",
        "",
        "http://127.0.0.1:1/?state=x",
        "https://evil.example/?code=abc",
    ] {
        refused(
            &format!("pasted {garbage:?}"),
            &server,
            &nascfg,
            Mode::Paste,
            Consent::Allow,
            |_| garbage.to_owned(),
        );
    }
}

#[test]
fn an_invalid_grant_is_refused() {
    let server = OidcServer::start(&OAuthProvider::Box.config());
    let nascfg = prepared(&server);
    for mode in [Mode::Loopback, Mode::Paste] {
        let run = refused(
            &format!("invalid_grant {mode:?}"),
            &server,
            &nascfg,
            mode,
            Consent::Allow,
            |r| {
                let code = &query_of(r)["code"];
                with_param(r, "code", &format!("{code}x"))
            },
        );
        assert!(run.stderr.contains("invalid_grant"), "{}", run.stderr);
    }
}

#[test]
fn an_expired_device_code_is_refused() {
    let provider = OAuthProvider::OneDrive;
    let mut config = provider.config();
    config["ttl"] = json!({"DeviceCode": 2});
    let server = OidcServer::start(&config);
    let nascfg = Nascfg::new();
    nascfg.ok(&["init"]);
    let before = snapshot(nascfg.data_dir());
    let mut args: Vec<String> = ["cred", "login", "od"].map(String::from).to_vec();
    args.extend(new_credential_args(provider));
    args.extend(["--device", "--endpoint-override", server.url()].map(String::from));
    let running = Running::spawn(&nascfg, &strs(&args));
    let _page = running.url();
    let _code = running.user_code();
    // Nobody approves: the code expires while the CLI polls.
    let run = running.finish();
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stderr.to_lowercase().contains("expired"),
        "{}",
        run.stderr
    );
    assert_unchanged("expired device code", &before, &nascfg);
}

#[test]
fn a_token_endpoint_that_does_not_answer_is_refused() {
    let server = OidcServer::start(&OAuthProvider::Box.config());
    let nascfg = prepared(&server);
    let silent = Silent::start();
    let before = snapshot(nascfg.data_dir());
    let mut args = login_args(false);
    // Every URL goes to the silent listener; the browser still walks the real server (it rebases
    // the authorization URL), so the code exchange is what hangs.
    args.extend(
        [
            "--no-browser",
            "--connect-timeout",
            "2",
            "--deadline",
            "3",
            "--endpoint-override",
            &silent.url(),
        ]
        .map(String::from),
    );
    let running = Running::spawn(&nascfg, &strs(&args));
    let url = running.url();
    let redirect = Browser::new(&server).authorize(&url).expect("browser");
    let started = Instant::now();
    // The listener answers once the exchange has failed (or closes); either way it ends.
    let _ = http_get(&redirect);
    let run = running.finish();
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the deadline was not kept"
    );
    assert_unchanged("silent token endpoint", &before, &nascfg);
}

#[test]
fn a_login_without_a_client_id_is_refused() {
    let nascfg = Nascfg::new();
    nascfg.ok(&["init"]);
    let before = snapshot(nascfg.data_dir());
    let run = nascfg.fail(&["cred", "login", "b", "--provider", "BOX", "--no-browser"]);
    assert!(run.stderr.contains("client_id"), "{}", run.stderr);
    assert_unchanged("no client id", &before, &nascfg);
}
