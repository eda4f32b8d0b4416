//! The web UI (`nascfg serve`) in a real headless Chromium, driven through
//! chromedriver (W3C WebDriver) by fantoccini. Each test run starts its own
//! chromedriver and `nascfg serve` children on free loopback ports.
//!
//! With `NASCFG_WRITE_SCREENSHOTS=1` the test writes its screenshots of the
//! main screens to docs/screenshots/ (committed, shown in the README).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use nascfg_tests::cli::{Nascfg, nascfg_bin};
use nascfg_tests::servers::S3Server;
use serde_json::json;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A child process killed when dropped.
pub(super) struct Kid(pub(super) Child);

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// One HTTP/1.1 request over a plain socket; (status, whole answer).
fn raw(port: u16, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    s.write_all(request.as_bytes()).expect("send");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    (status, out)
}

/// chromedriver on a free port, ready (its status endpoint says so).
pub(super) fn chromedriver() -> (Kid, String) {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver runs (.ci/setup installs chromium-driver)");
    let kid = Kid(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            // chromedriver may keep the connection open: read what came within a bound.
            let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
            let _ = s
                .write_all(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            if out.contains("\"ready\":true") {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not become ready"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (kid, format!("http://127.0.0.1:{port}"))
}

/// `nascfg serve` on a free port of its own choosing; its login URL and port.
pub(super) fn serve(nascfg: &Nascfg) -> (Kid, String, u16) {
    let mut child = Command::new(nascfg_bin())
        .arg("--data-dir")
        .arg(nascfg.data_dir())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("NASCFG_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("nascfg serve runs");
    let stdout = child.stdout.take().expect("piped");
    let kid = Kid(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the login URL line");
    let url = line.trim().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.contains("/login?token="),
        "{url}"
    );
    let port = url["http://127.0.0.1:".len()..]
        .split('/')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port");
    (kid, url, port)
}

pub(super) async fn browser(webdriver: &str, downloads: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1000"],
            "prefs": {
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
            },
        }),
    );
    // The console, for `console_clean`.
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(webdriver)
        .await
        .expect("a WebDriver session with headless Chromium")
}

/// The browser's console entries since the last call (chromedriver's log endpoint).
pub(super) async fn console(c: &Client, webdriver: &str) -> Vec<serde_json::Value> {
    let id = c
        .session_id()
        .await
        .expect("the WebDriver session")
        .expect("a session id");
    let url = format!("{webdriver}/session/{id}/se/log");
    let text = tokio::task::spawn_blocking(move || {
        ureq::post(&url)
            .header("Content-Type", "application/json")
            .send(r#"{"type": "browser"}"#)
            .expect("chromedriver's log")
            .body_mut()
            .read_to_string()
            .expect("a JSON answer")
    })
    .await
    .expect("the log request");
    let answer: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    answer["value"].as_array().cloned().unwrap_or_default()
}

/// Asserts that the browser's console got no error and no warning since the last
/// look (CSP violations, failed loads, script errors on `what`).
pub(super) async fn console_clean(c: &Client, webdriver: &str, what: &str) {
    console_clean_but(c, webdriver, what, None).await;
}

/// [`console_clean`] for nascfg's pages only: entries about `foreign` (another
/// server the browser went through, such as an OAuth provider) are not ours.
pub(super) async fn console_clean_but(
    c: &Client,
    webdriver: &str,
    what: &str,
    foreign: Option<&str>,
) {
    let bad: Vec<serde_json::Value> = console(c, webdriver)
        .await
        .into_iter()
        .filter(|e| matches!(e["level"].as_str(), Some("SEVERE" | "WARNING")))
        .filter(|e| {
            foreign
                .is_none_or(|origin| !e["message"].as_str().is_some_and(|m| m.starts_with(origin)))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "the browser console on {what}: {}",
        serde_json::to_string_pretty(&bad).unwrap_or_default()
    );
}

/// Every page the browser saw, to scan for secrets at the end; each page's
/// console is checked when it is seen.
struct Seen {
    webdriver: String,
    pages: Vec<String>,
}

impl Seen {
    async fn page(&mut self, c: &Client) -> String {
        let source = c.source().await.expect("the page source");
        let url = c.current_url().await.expect("a URL");
        console_clean(c, &self.webdriver, url.path()).await;
        self.pages.push(source.clone());
        source
    }
}

async fn shot(c: &Client, name: &str) {
    if std::env::var_os("NASCFG_WRITE_SCREENSHOTS").is_none() {
        return;
    }
    let png = c.screenshot().await.expect("a screenshot");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    std::fs::create_dir_all(&dir).expect("docs/screenshots");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write the screenshot");
}

/// Waits until `dir` holds a finished download; returns its path.
fn downloaded(dir: &Path) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(p) = std::fs::read_dir(dir)
            .expect("the download directory")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        {
            return p;
        }
        assert!(Instant::now() < deadline, "no download arrived");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(super) async fn fill(c: &Client, css: &str, text: &str) {
    let e = c.find(Locator::Css(css)).await.expect(css);
    e.clear().await.expect("clear");
    e.send_keys(text).await.expect("type");
}

/// Waits for the flash message of a successful change; the page on failure.
async fn flashed(c: &Client) {
    if c.wait().for_element(Locator::Css("p.flash")).await.is_err() {
        let source = c.source().await.unwrap_or_default();
        panic!("no confirmation; the page:\n{source}");
    }
}

pub(super) async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .expect("click");
}

#[test]
fn the_web_ui_in_a_real_browser() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(journey());
}

async fn journey() {
    let s3 = S3Server::start();
    let (_driver, webdriver) = chromedriver();
    let a = Nascfg::new();
    a.ok(&["init"]);
    let (_server_a, login_a, port_a) = serve(&a);
    let downloads = tempfile::tempdir().expect("a download dir");
    let c = browser(&webdriver, downloads.path()).await;
    let mut seen = Seen {
        webdriver: webdriver.clone(),
        pages: Vec::new(),
    };
    let base = format!("http://127.0.0.1:{port_a}");

    // Log in by the printed URL.
    c.goto(&login_a).await.expect("login");
    c.wait()
        .for_element(Locator::Css("h1"))
        .await
        .expect("a page");
    assert!(c.current_url().await.expect("url").path() == "/credentials");
    seen.page(&c).await;
    shot(&c, "credentials-empty").await;

    // Add: the provider change re-renders the fields (htmx).
    click(&c, "a.button[href='/credentials/new']").await;
    c.wait()
        .for_element(Locator::Css("#f_access_key_id"))
        .await
        .expect("S3 fields");
    c.find(Locator::Css("#f__provider"))
        .await
        .expect("provider")
        .select_by_value("FTP")
        .await
        .expect("choose FTP");
    c.wait()
        .for_element(Locator::Css("#f_host"))
        .await
        .expect("FTP fields appear");
    assert!(
        c.find_all(Locator::Css("#f_access_key_id"))
            .await
            .expect("find")
            .is_empty()
    );
    c.find(Locator::Css("#f__provider"))
        .await
        .expect("provider")
        .select_by_value("S3")
        .await
        .expect("back to S3");
    c.wait()
        .for_element(Locator::Css("#f_access_key_id"))
        .await
        .expect("S3 fields again");
    let name = "<b>web-s3</b>";
    fill(&c, "#f__name", name).await;
    fill(&c, "#f_access_key_id", &s3.access_key_id).await;
    fill(&c, "#f_secret_access_key", &s3.secret_access_key).await;
    click(&c, "details summary").await;
    fill(&c, "#f_endpoint", &s3.endpoint).await;
    shot(&c, "credential-form").await;
    // Verify Credential: the answer appears inline.
    click(&c, "button[value='verify']").await;
    let verdict = c
        .wait()
        .for_element(Locator::Css("#verify-result p"))
        .await
        .expect("a verify answer");
    assert_eq!(verdict.text().await.expect("text"), "valid");
    seen.page(&c).await;
    shot(&c, "credential-verified").await;
    click(&c, "button[value='save']").await;
    flashed(&c).await;
    let list = seen.page(&c).await;
    // Markup in a name is text.
    assert!(
        c.find_all(Locator::Css("td b"))
            .await
            .expect("find")
            .is_empty(),
        "markup rendered"
    );
    assert!(list.contains("&lt;b&gt;web-s3&lt;/b&gt;"), "{list}");
    shot(&c, "credentials").await;
    let shown = a.json(&["cred", "show", name, "--reveal", "--json"]);
    assert_eq!(
        shown["provider"]["secret_access_key"],
        json!(s3.secret_access_key)
    );

    // Edit with the secrets left empty keeps them.
    click(&c, "td a[href^='/credentials/edit']").await;
    c.wait()
        .for_element(Locator::Css("#f_secret_access_key"))
        .await
        .expect("edit form");
    let state = c
        .find(Locator::Css("#f_secret_access_key_state"))
        .await
        .expect("state");
    assert_eq!(state.text().await.expect("text"), "set");
    seen.page(&c).await;
    click(&c, "details summary").await;
    fill(&c, "#f_region", "eu-west-1").await;
    click(&c, "button[value='save']").await;
    flashed(&c).await;
    seen.page(&c).await;
    let shown = a.json(&["cred", "show", name, "--reveal", "--json"]);
    assert_eq!(
        shown["provider"]["secret_access_key"],
        json!(s3.secret_access_key)
    );
    assert_eq!(shown["provider"]["access_key_id"], json!(s3.access_key_id));
    assert_eq!(shown["provider"]["region"], json!("eu-west-1"));

    // Key pairs: generate one.
    c.goto(&format!("{base}/keypairs")).await.expect("keypairs");
    fill(&c, "#g_name", "nas-key").await;
    click(&c, "form[action='/keypairs/generate'] button").await;
    c.wait()
        .for_element(Locator::Css("p.flash"))
        .await
        .expect("generated");
    seen.page(&c).await;
    shot(&c, "keypairs").await;

    // Export with the seed: the download opens with `backup inspect`.
    c.goto(&format!("{base}/backups")).await.expect("backups");
    let page = seen.page(&c).await;
    let fingerprint = a.ok(&["seed", "fingerprint"]);
    assert!(
        page.contains(fingerprint.trim()),
        "the seed's fingerprint is shown"
    );
    shot(&c, "backups").await;
    click(&c, "#e_seed").await;
    click(&c, "form[action='/backups/export'] button").await;
    let bundle = downloaded(downloads.path());
    let inspected = a.json(&[
        "backup",
        "inspect",
        bundle.to_str().expect("UTF-8"),
        "--json",
    ]);
    assert_eq!(
        inspected["manifest"]["counts"]["credentials"],
        json!(1),
        "{inspected}"
    );

    // Remote backups: push to s3s-fs with the stored credential, then list.
    c.goto(&format!("{base}/backups/remote"))
        .await
        .expect("remote backups");
    fill(&c, "#r_path", "bucket1/web").await;
    click(&c, "#push").await;
    let result = c
        .wait()
        .for_element(Locator::Css("#push-result"))
        .await
        .expect("the push's result");
    assert!(
        result
            .text()
            .await
            .expect("text")
            .contains("bucket1/web/nascfg-")
    );
    seen.page(&c).await;
    click(&c, "#list").await;
    c.wait()
        .for_element(Locator::Css("#bundles"))
        .await
        .expect("the listing");
    let rows = c
        .find_all(Locator::Css("#bundles tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1, "one bundle pushed");
    seen.page(&c).await;
    shot(&c, "remote-backups").await;

    // Delete, with a confirmation page.
    c.goto(&format!("{base}/credentials")).await.expect("list");
    click(&c, "td a[href^='/credentials/delete']").await;
    c.wait()
        .for_element(Locator::Css("button.danger"))
        .await
        .expect("confirm page");
    seen.page(&c).await;
    click(&c, "button.danger").await;
    c.wait()
        .for_element(Locator::Css("p.flash"))
        .await
        .expect("deleted");
    seen.page(&c).await;
    assert_eq!(a.json(&["cred", "list", "--json"]), json!([]));

    // Refusals, in the browser's own session and on the wire.
    let status = c
        .execute(
            "return fetch('/credentials/delete', {method: 'POST', body: new URLSearchParams({name: 'x'})}).then(r => r.status)",
            vec![],
        )
        .await
        .expect("a fetch without the CSRF token");
    assert_eq!(status, json!(403), "a POST without the CSRF token");
    // The refused fetch is logged as a failed load: the test's own doing, not a page's.
    console(&c, &webdriver).await;
    let (status, _) = raw(
        port_a,
        &format!(
            "GET /credentials HTTP/1.1\r\nHost: 127.0.0.1:{port_a}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 401, "no session");
    let (status, _) = raw(
        port_a,
        "GET /credentials HTTP/1.1\r\nHost: rebind.example\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 421, "a foreign Host");

    // The bundle restores on a second server instance.
    let b = Nascfg::new();
    let (_server_b, login_b, port_b) = serve(&b);
    c.goto(&login_b).await.expect("login b");
    c.goto(&format!("http://127.0.0.1:{port_b}/backups"))
        .await
        .expect("backups b");
    c.find(Locator::Css("#u_file"))
        .await
        .expect("file input")
        .send_keys(bundle.to_str().expect("UTF-8"))
        .await
        .expect("choose the bundle");
    click(&c, "form[enctype='multipart/form-data'] button").await;
    c.wait()
        .for_element(Locator::Css("#verdict"))
        .await
        .expect("the inspection");
    let inspection = seen.page(&c).await;
    assert!(
        inspection.contains("the seed is in the bundle"),
        "{inspection}"
    );
    shot(&c, "restore-inspection").await;
    click(&c, "button.danger").await;
    let restored = c
        .wait()
        .for_element(Locator::Css("#restored"))
        .await
        .expect("restored");
    assert!(
        restored
            .text()
            .await
            .expect("text")
            .starts_with("Restored 1 credential(s)")
    );
    seen.page(&c).await;
    let shown = b.json(&["cred", "show", name, "--reveal", "--json"]);
    assert_eq!(
        shown["provider"]["secret_access_key"],
        json!(s3.secret_access_key)
    );

    // No page the browser saw carried a stored secret.
    for page in &seen.pages {
        assert!(
            !page.contains(&s3.secret_access_key),
            "a page carried the secret access key"
        );
        assert!(
            !page.contains(&s3.access_key_id),
            "a page carried the access key id"
        );
    }
    c.close().await.expect("close the browser");
}
