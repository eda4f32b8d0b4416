//! The access checks and the escaping, in-process (tower's `oneshot`): no
//! socket, no browser.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use nascfg_credentials::{Credential, ProviderKind};
use nascfg_store::{DataDir, Store};
use nascfg_web::App;
use serde_json::json;
use tower::ServiceExt;

const HOST: &str = "127.0.0.1:8787";
const SECRET: &str = "s3cr3t-Value-That-Must-Not-Leak-9f2";

struct Ui {
    _dir: tempfile::TempDir,
    data: DataDir,
    app: App,
}

fn ui() -> Ui {
    let dir = tempfile::tempdir().expect("a temp dir");
    let data = DataDir::new(dir.path().join("data"));
    let app = App::new(
        data.clone(),
        HOST.parse().expect("an address"),
        false,
        nascfg_verify::VerifyOptions::default(),
    );
    Ui {
        _dir: dir,
        data,
        app,
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn send(ui: &Ui, request: Request<Body>) -> Answer {
    let response = ui
        .app
        .router()
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .expect("a body");
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path).header(header::HOST, HOST);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).expect("a request")
}

fn post(path: &str, cookie: &str, form: &[(&str, &str)]) -> Request<Body> {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    Request::post(path)
        .header(header::HOST, HOST)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("a request")
}

/// Logs in; returns the cookie header value and the page's CSRF token.
async fn login(ui: &Ui) -> (String, String) {
    let token = ui.app.login_token().to_owned();
    let a = send(ui, get(&format!("/login?token={token}"), None)).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let set = a.headers[header::SET_COOKIE].to_str().expect("ASCII");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{set} lacks {attr}");
    }
    let cookie = set.split(';').next().expect("a cookie").to_owned();
    let page = send(ui, get("/credentials", Some(&cookie))).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page
        .body
        .split("\"X-CSRF-Token\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page carries its CSRF token")
        .to_owned();
    (cookie, csrf)
}

fn add_s3(ui: &Ui, name: &str) {
    let credential = Credential::from_api_json(&json!({
        "name": name,
        "provider": {"type": "S3", "access_key_id": "AKIAEXAMPLE", "secret_access_key": SECRET,
                     "endpoint": "http://127.0.0.1:9/"}
    }))
    .expect("a valid credential");
    Store::open(&ui.data)
        .expect("a store")
        .add_credential(&credential)
        .expect("added");
}

#[tokio::test]
async fn the_login_token_works_once() {
    let ui = self::ui();
    let token = ui.app.login_token().to_owned();
    login(&ui).await;
    let again = send(&ui, get(&format!("/login?token={token}"), None)).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    let wrong = self::ui();
    let a = send(&wrong, get("/login?token=00", None)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

/// (what, path, extra form fields, expected status, expected text)
type RemoteCase<'a> = (
    &'a str,
    &'a str,
    &'a [(&'a str, &'a str)],
    StatusCode,
    &'a str,
);

/// The Remote backups screen's answers that need no storage service: which
/// credentials it offers, and the refusals before anything is sent.
#[tokio::test]
async fn remote_backups_offer_storage_and_refuse_before_sending() {
    let ui = self::ui();
    add_s3(&ui, "store");
    let http = Credential::from_api_json(&json!({
        "name": "readonly", "provider": {"type": "HTTP", "url": "https://example.com/"}
    }))
    .expect("a valid credential");
    Store::open(&ui.data)
        .expect("a store")
        .add_credential(&http)
        .expect("added");
    let (cookie, csrf) = login(&ui).await;
    let page = send(&ui, get("/backups/remote", Some(&cookie))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<option value=\"store\""),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("readonly"),
        "an HTTP credential cannot hold backups"
    );
    let backups = send(&ui, get("/backups", Some(&cookie))).await;
    assert!(backups.body.contains("href=\"/backups/remote\""));

    let at = [
        ("csrf", csrf.as_str()),
        ("credential", "store"),
        ("path", "bucket/nas1"),
    ];
    // (what, path, extra fields, expected status, expected text)
    let cases: &[RemoteCase<'_>] = &[
        (
            "no CSRF token",
            "/backups/remote/push",
            &[("csrf", "")],
            StatusCode::FORBIDDEN,
            "CSRF",
        ),
        (
            "the seed without a passphrase",
            "/backups/remote/push",
            &[("include_seed", "true")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "refusing to push a bundle with the secret seed but without a passphrase",
        ),
        (
            "passphrases that differ",
            "/backups/remote/push",
            &[("passphrase", "one-Pass"), ("passphrase2", "other-Pass")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "the passphrases differ",
        ),
        (
            "a name that is no bundle's",
            "/backups/remote/restore",
            &[("name", "../../etc/passwd")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "is not the name of a bundle",
        ),
        (
            "an encrypted bundle without its passphrase",
            "/backups/remote/restore",
            &[("name", "nascfg-nas1-20260101T000000Z.tar.gz.age")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "type its passphrase",
        ),
        (
            "an unknown credential",
            "/backups/remote/list",
            &[("credential", "nope")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "nope",
        ),
        (
            "a service that does not answer",
            "/backups/remote/list",
            &[],
            StatusCode::UNPROCESSABLE_ENTITY,
            "list store:bucket/nas1",
        ),
    ];
    for (what, path, extra, status, text) in cases {
        let mut form: Vec<(&str, &str)> = at
            .iter()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .copied()
            .collect();
        form.extend_from_slice(extra);
        let a = send(&ui, post(path, &cookie, &form)).await;
        assert_eq!(a.status, *status, "{what}: {}", a.body);
        assert!(a.body.contains(text), "{what}: {}", a.body);
        for secret in [SECRET, "one-Pass", "other-Pass"] {
            assert!(!a.body.contains(secret), "{what}: a secret in the answer");
        }
    }
}

#[tokio::test]
async fn refusals() {
    let ui = self::ui();
    let (cookie, csrf) = login(&ui).await;
    // (what, request, expected status)
    let foreign_host = Request::get("/credentials")
        .header(header::HOST, "evil.example:8787")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .expect("a request");
    let foreign_origin = Request::post("/credentials/delete")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, "http://evil.example")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={csrf}&name=x")))
        .expect("a request");
    let cases: Vec<(&str, Request<Body>, StatusCode)> = vec![
        (
            "no session",
            get("/credentials", None),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a made-up session",
            get("/credentials", Some("nascfg_session_8787=abc")),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "no session on a POST",
            post("/credentials/delete", "", &[("csrf", &csrf), ("name", "x")]),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "POST without CSRF",
            post("/credentials/delete", &cookie, &[("name", "x")]),
            StatusCode::FORBIDDEN,
        ),
        (
            "POST with a wrong CSRF",
            post(
                "/credentials/delete",
                &cookie,
                &[("csrf", "0000"), ("name", "x")],
            ),
            StatusCode::FORBIDDEN,
        ),
        (
            "foreign Host",
            foreign_host,
            StatusCode::MISDIRECTED_REQUEST,
        ),
        ("foreign Origin", foreign_origin, StatusCode::FORBIDDEN),
        (
            "upload without CSRF",
            Request::post("/backups/upload")
                .header(header::HOST, HOST)
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
                .body(Body::from("--x--\r\n"))
                .expect("a request"),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (what, request, expected) in cases {
        let a = send(&ui, request).await;
        assert_eq!(a.status, expected, "{what}: {}", a.body);
        assert!(
            a.headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .expect("ASCII")
                .starts_with("default-src 'self'"),
            "{what}: CSP on refusals too"
        );
    }
    // The CSRF token as a header (htmx) is accepted.
    let ok = Request::post("/credentials/verify")
        .header(header::HOST, HOST)
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("provider=S3&name=n"))
        .expect("a request");
    assert_eq!(send(&ui, ok).await.status, StatusCode::OK);
}

#[tokio::test]
async fn secrets_never_reach_the_browser_and_markup_is_text() {
    let ui = self::ui();
    let markup = "<script>alert(1)</script>\"'&";
    add_s3(&ui, markup);
    let (cookie, csrf) = login(&ui).await;
    let q: String = url::form_urlencoded::byte_serialize(markup.as_bytes()).collect();
    let mut bodies = Vec::new();
    for path in [
        "/credentials".to_owned(),
        format!("/credentials/edit?name={q}"),
        format!("/credentials/delete?name={q}"),
        "/credentials/fields?provider=S3".to_owned(),
        "/keypairs".to_owned(),
        "/backups".to_owned(),
    ] {
        let a = send(&ui, get(&path, Some(&cookie))).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert!(
            !a.body.contains("<script>alert"),
            "{path} renders markup as markup"
        );
        bodies.push(a.body);
    }
    assert!(
        bodies[0].contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || bodies[0].contains("&lt;script&gt;")
    );
    // Save with the secret left empty: the stored one is kept.
    let saved = send(
        &ui,
        post(
            "/credentials/save",
            &cookie,
            &[
                ("csrf", &csrf),
                ("original", markup),
                ("name", markup),
                ("provider", "S3"),
                ("access_key_id", ""),
                ("secret_access_key", ""),
                ("region", "eu-west-1"),
                ("endpoint", "http://127.0.0.1:9/"),
                ("max_upload_parts", "10000"),
                ("action", "save"),
            ],
        ),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    bodies.push(saved.body);
    let mut store = Store::open(&ui.data).expect("a store");
    let stored = store.credential(markup).expect("still there");
    use nascfg_credentials::secrecy::ExposeSecret;
    assert_eq!(
        stored
            .secret("secret_access_key")
            .expect("kept")
            .expose_secret(),
        SECRET
    );
    assert_eq!(stored.text("region"), Some("eu-west-1"));
    // Verify (fails to connect): the answer holds no secret either.
    let v = send(
        &ui,
        post(
            "/credentials/verify",
            &cookie,
            &[
                ("csrf", &csrf),
                ("original", markup),
                ("name", markup),
                ("provider", "S3"),
            ],
        ),
    )
    .await;
    assert!(v.body.contains("invalid"), "{}", v.body);
    bodies.push(v.body);
    for body in &bodies {
        assert!(!body.contains(SECRET), "a page carried the secret");
        assert!(
            !body.contains("AKIAEXAMPLE"),
            "a page carried the access key id (secret)"
        );
    }
}

#[tokio::test]
async fn the_list_is_paginated() {
    let ui = self::ui();
    let mut store = Store::open(&ui.data).expect("a store");
    let many: Vec<Credential> = (0..150)
        .map(|i| {
            Credential::new(
                &format!("c{i:03}"),
                ProviderKind::Ftp,
                serde_json::from_value(json!({"host": "h", "user": "u", "pass": "p"}))
                    .expect("a map"),
            )
            .expect("valid")
        })
        .collect();
    store.add_credentials(&many).expect("added");
    let (cookie, _) = login(&ui).await;
    let first = send(&ui, get("/credentials", Some(&cookie))).await;
    assert!(first.body.contains("page 1 of 2"));
    assert_eq!(
        first.body.matches("<tr>").count(),
        101,
        "a header row and 100 rows"
    );
    let second = send(&ui, get("/credentials?page=2", Some(&cookie))).await;
    assert_eq!(second.body.matches("<tr>").count(), 51);
}

/// The UI of [`ui`] with `config`'s settings (the route tests' clock is tokio's, paused).
fn ui_with(config: impl FnOnce(&mut nascfg_web::Config)) -> Ui {
    let dir = tempfile::tempdir().expect("a temp dir");
    let data = DataDir::new(dir.path().join("data"));
    let addr = HOST.parse().expect("an address");
    let mut c = nascfg_web::Config::new(data.clone(), addr);
    config(&mut c);
    let app = App::configured(c, addr, false);
    Ui {
        _dir: dir,
        data,
        app,
    }
}

#[tokio::test(start_paused = true)]
async fn an_idle_session_expires_and_an_active_one_is_extended() {
    let idle = std::time::Duration::from_secs(60);
    let ui = ui_with(|c| c.session_idle = idle);
    let (cookie, _) = login(&ui).await;
    // (wait since the last request, expected answer)
    let steps = [
        (50, StatusCode::OK),
        // 100 s after the login, 50 s after the last request: extended.
        (50, StatusCode::OK),
        (59, StatusCode::OK),
        // Unused for longer than the idle time: ended for good.
        (61, StatusCode::UNAUTHORIZED),
        (0, StatusCode::UNAUTHORIZED),
    ];
    for (i, (wait, expected)) in steps.into_iter().enumerate() {
        tokio::time::advance(std::time::Duration::from_secs(wait)).await;
        let a = send(&ui, get("/credentials", Some(&cookie))).await;
        assert_eq!(a.status, expected, "step {i} (after {wait} s): {}", a.body);
    }
}

/// The default idle time is the documented 30 minutes.
#[test]
fn the_default_session_idle_is_30_minutes() {
    let c = nascfg_web::Config::new(
        DataDir::new("/nonexistent".into()),
        "127.0.0.1:1".parse().expect("an address"),
    );
    assert_eq!(c.session_idle, std::time::Duration::from_secs(30 * 60));
    assert_eq!(nascfg_web::DEFAULT_SESSION_IDLE, c.session_idle);
}

/// `&amp;` back to `&` in an attribute value.
fn unescape(text: &str) -> String {
    text.replace("&amp;", "&").replace("&#38;", "&")
}

/// The first `href="..."` of a page whose value starts with `prefix`.
fn href(page: &str, prefix: &str) -> String {
    let start = page
        .find(&format!("href=\"{prefix}"))
        .unwrap_or_else(|| panic!("no link to {prefix} in {page}"))
        + "href=\"".len();
    let len = page[start..].find('"').expect("a closing quote");
    unescape(&page[start..start + len])
}

fn query_value(url: &str, key: &str) -> Option<String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

const CLIENT_SECRET: &str = "client-Secret-never-in-a-page-77";

/// Starts Login to Provider on the add form for `provider`; returns the answer.
async fn start_login(ui: &Ui, cookie: &str, csrf: &str, provider: &str, name: &str) -> Answer {
    send(
        ui,
        post(
            "/oauth/start",
            cookie,
            &[
                ("csrf", csrf),
                ("original", ""),
                ("name", name),
                ("provider", provider),
                ("client_id", "id-1"),
                ("client_secret", CLIENT_SECRET),
                ("action", "login"),
            ],
        ),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn login_to_provider_comes_back_to_this_server() {
    let ui = self::ui_with(|_| {});
    let (cookie, csrf) = login(&ui).await;

    // The form's button goes to /oauth/start.
    let form = send(
        &ui,
        get("/credentials/new?provider=GOOGLE_DRIVE", Some(&cookie)),
    )
    .await;
    assert!(
        form.body.contains("formaction=\"/oauth/start\""),
        "{}",
        form.body
    );

    // Google accepts any loopback port: the redirect is this server's root.
    let a = start_login(&ui, &cookie, &csrf, "GOOGLE_DRIVE", "gd").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(!a.body.contains(CLIENT_SECRET), "{}", a.body);
    let url = href(&a.body, "https://accounts.google.com/");
    assert_eq!(
        query_value(&url, "redirect_uri").as_deref(),
        Some("http://127.0.0.1:8787/")
    );
    assert_eq!(query_value(&url, "client_id").as_deref(), Some("id-1"));
    let state = query_value(&url, "state").expect("a state");

    // (what, request, status, text in the answer)
    let cases: Vec<(&str, Request<Body>, StatusCode, &str)> = vec![
        (
            "the provider's redirect without the session cookie is reloaded from this site",
            get(&format!("/?code=c&state={state}"), None),
            StatusCode::OK,
            "nascfg_reloaded=1",
        ),
        (
            "and refused when it still has no session",
            get(&format!("/?code=c&state={state}&nascfg_reloaded=1"), None),
            StatusCode::UNAUTHORIZED,
            "not logged in",
        ),
        (
            "on /oauth/callback too",
            get(
                &format!("/oauth/callback?code=c&state={state}&nascfg_reloaded=1"),
                None,
            ),
            StatusCode::UNAUTHORIZED,
            "not logged in",
        ),
        (
            "an unknown state",
            get("/oauth/callback?code=c&state=forged", Some(&cookie)),
            StatusCode::BAD_REQUEST,
            "this login is unknown, expired",
        ),
        (
            "no state",
            get("/oauth/callback?code=c", Some(&cookie)),
            StatusCode::BAD_REQUEST,
            "carries no state",
        ),
        (
            "the user said no",
            get(
                &format!("/?error=access_denied&error_description=No+thanks&state={state}"),
                Some(&cookie),
            ),
            StatusCode::BAD_REQUEST,
            "the provider refused the authorization: access_denied: No thanks",
        ),
        (
            "a state is used once",
            get(
                &format!("/oauth/callback?code=c&state={state}"),
                Some(&cookie),
            ),
            StatusCode::BAD_REQUEST,
            "this login is unknown, expired",
        ),
        (
            "the root without a redirect is the list",
            get("/", Some(&cookie)),
            StatusCode::SEE_OTHER,
            "",
        ),
    ];
    for (what, request, status, text) in cases {
        let a = send(&ui, request).await;
        assert_eq!(a.status, status, "{what}: {}", a.body);
        assert!(a.body.contains(text), "{what}: {}", a.body);
        assert!(!a.body.contains(CLIENT_SECRET), "{what}: {}", a.body);
    }

    // A login expires after 10 minutes.
    let a = start_login(&ui, &cookie, &csrf, "ONEDRIVE", "od").await;
    let url = href(&a.body, "https://login.microsoftonline.com/");
    let state = query_value(&url, "state").expect("a state");
    tokio::time::advance(std::time::Duration::from_secs(9 * 60)).await;
    // (keep the session alive: its idle time is 30 minutes)
    tokio::time::advance(std::time::Duration::from_secs(2 * 60)).await;
    let late = send(&ui, get(&format!("/?code=c&state={state}"), Some(&cookie))).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST, "{}", late.body);
    assert!(late.body.contains("expired"), "{}", late.body);

    // Nothing was stored by any of this.
    let store = Store::open(&ui.data).expect("a store");
    assert!(store.credential_names().expect("names").is_empty());
}

#[tokio::test]
async fn login_to_provider_falls_back_to_pasting() {
    let ui = self::ui();
    let (cookie, csrf) = login(&ui).await;
    // Dropbox accepts only rclone's http://127.0.0.1:53682/: the user pastes the redirect.
    let a = start_login(&ui, &cookie, &csrf, "DROPBOX", "db").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("http://127.0.0.1:53682/"), "{}", a.body);
    assert!(a.body.contains("action=\"/oauth/paste\""), "{}", a.body);
    assert!(!a.body.contains(CLIENT_SECRET), "{}", a.body);
    let url = href(&a.body, "https://www.dropbox.com/");
    let state = query_value(&url, "state").expect("a state");
    // (what, pasted, text in the answer)
    let cases = [
        (
            "a refusal",
            format!("http://127.0.0.1:53682/?error=access_denied&state={state}"),
            "the provider refused the authorization: access_denied",
        ),
        (
            "then the login is gone",
            format!("http://127.0.0.1:53682/?code=c&state={state}"),
            "this login is unknown",
        ),
    ];
    for (what, pasted, text) in cases {
        let a = send(
            &ui,
            post(
                "/oauth/paste",
                &cookie,
                &[("csrf", &csrf), ("state", &state), ("pasted", &pasted)],
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{what}: {}", a.body);
        assert!(a.body.contains(text), "{what}: {}", a.body);
    }
    // Without a client id nothing starts; S3 has no login.
    let cases = [
        (
            "GOOGLE_DRIVE",
            "",
            "needs your own OAuth app&#39;s client_id",
        ),
        ("S3", "id", "has no OAuth login"),
    ];
    for (provider, client_id, text) in cases {
        let a = send(
            &ui,
            post(
                "/oauth/start",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("name", "n"),
                    ("provider", provider),
                    ("client_id", client_id),
                    ("client_secret", "x"),
                ],
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{provider}: {}", a.body);
        assert!(a.body.contains(text), "{provider}: {}", a.body);
    }
}

/// A gzip'd tar whose first header is a GNU long name declaring 800 KB of
/// name (the security review's bundle), its name written out in full.
fn long_name_bundle() -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..13].copy_from_slice(b"././@LongLink");
    h[100..107].copy_from_slice(b"0000600");
    h[124..135].copy_from_slice(format!("{:011o}", 800_000).as_bytes());
    h[156] = b'L';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut tar = h;
    tar.resize(512 + 800_256, b'n');
    tar.resize(tar.len() + 1024, 0);
    // The real gzip: this crate links no compressor.
    let mut child = std::process::Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip runs");
    let mut stdin = child.stdin.take().expect("a pipe");
    let writer = std::thread::spawn(move || {
        std::io::Write::write_all(&mut stdin, &tar).expect("gzip reads")
    });
    let out = child.wait_with_output().expect("gzip ends");
    writer.join().expect("the writer ends");
    assert!(out.status.success());
    out.stdout
}

#[tokio::test]
async fn an_upload_with_a_long_name_header_gets_a_short_refusal() {
    let ui = self::ui();
    let (cookie, csrf) = login(&ui).await;
    let mut body = b"--x\r\nContent-Disposition: form-data; name=\"bundle\"; \
        filename=\"evil.tar.gz\"\r\nContent-Type: application/gzip\r\n\r\n"
        .to_vec();
    body.extend_from_slice(&long_name_bundle());
    body.extend_from_slice(b"\r\n--x--\r\n");
    let request = Request::post(format!("/backups/upload?csrf={csrf}"))
        .header(header::HOST, HOST)
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
        .body(Body::from(body))
        .expect("a request");
    let a = send(&ui, request).await;
    assert!(
        a.body.contains("GNU long-name header of 800000 bytes"),
        "{}",
        a.body
    );
    // The page is the backups page with one short error, not the name.
    assert!(a.body.len() < 64 << 10, "{} bytes", a.body.len());
    assert!(
        !a.body.contains("nnnnnnnnnnnnnnnn"),
        "the name is not echoed"
    );
}

#[path = "routes/listener.rs"]
mod listener;
#[path = "routes/recipients.rs"]
mod recipients;
#[path = "routes/uploads.rs"]
mod uploads;
