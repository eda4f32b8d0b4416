//! The web UI in a real headless Chromium, for what the user and the security
//! review found: the UI over TLS (HTTP/2, where the host arrives as
//! `:authority`), Login to Provider following the Provider select, Verify of an
//! SFTP credential recording the host key on first use, a push showing its
//! progress, and no console error or warning on any screen. Also the listener
//! seen from outside: `curl --http2` over TLS, and v4-mapped listen addresses.

use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use nascfg_tests::cli::Nascfg;
use nascfg_tests::servers::{S3Server, Sshd};
use serde_json::json;

use super::web::{chromedriver, click, console_clean, fill, serve};
use super::web_tls::certificate;

const CHROMIUM: &str = "/usr/bin/chromium";

/// Headless Chromium that accepts the test's self-signed certificate and keeps
/// its console log for `console_clean`.
async fn browser(webdriver: &str) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1000"],
        }),
    );
    caps.insert("acceptInsecureCerts".into(), json!(true));
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(webdriver)
        .await
        .expect("a WebDriver session with headless Chromium")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// `curl ARGS URL`: the status code it got (`%{http_code}`) and the HTTP version.
fn curl(args: &[&str], url: &str) -> (String, String) {
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{http_version}",
        ])
        .args(["--max-time", "30"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (code, version) = text.split_once(' ').unwrap_or((&text, ""));
    (code.to_owned(), version.to_owned())
}

#[test]
fn over_tls_browsers_and_http2_clients_get_in() {
    let nascfg = Nascfg::new();
    nascfg.ok(&["init"]);
    let (cert, key) = certificate(nascfg.tmp());
    let (_server, login) = super::web_tls::serve(
        &nascfg,
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ],
    );
    let origin = login.split("/login").next().expect("an origin").to_owned();
    let port = &origin["https://127.0.0.1:".len()..];

    // HTTP/2 and HTTP/1.1 clients: the host checked whichever way it comes; a
    // foreign one refused either way. (The login token works once: use it last.)
    // (curl arguments, expected status, expected HTTP version)
    let rebound = format!("rebind.example:{port}:127.0.0.1");
    let cases: [(&[&str], &str, &str); 4] = [
        (&["--http2", "-k"], "401", "2"),
        (&["--http1.1", "-k"], "401", "1.1"),
        (&["--http2", "-k", "-H", "Host: rebind.example"], "421", "2"),
        (
            &["--http1.1", "-k", "-H", "Host: rebind.example"],
            "421",
            "1.1",
        ),
    ];
    for (args, status, version) in cases {
        assert_eq!(
            curl(args, &format!("{origin}/credentials")),
            (status.to_owned(), version.to_owned()),
            "curl {args:?}"
        );
    }
    // A name that resolves here but is not ours (DNS rebinding), over HTTP/2.
    let url = format!("https://rebind.example:{port}/credentials");
    assert_eq!(
        curl(&["--http2", "-k", "--resolve", &rebound], &url),
        ("421".to_owned(), "2".to_owned())
    );

    let (_driver, webdriver) = chromedriver();
    runtime().block_on(async {
        let c = browser(&webdriver).await;
        c.goto(&login).await.expect("login");
        c.wait()
            .for_element(Locator::Css("h1"))
            .await
            .expect("a page");
        let url = c.current_url().await.expect("a URL");
        assert_eq!(url.path(), "/credentials", "{url}");
        assert_eq!(url.scheme(), "https");
        let protocol = c
            .execute(
                "return performance.getEntriesByType('navigation')[0].nextHopProtocol",
                vec![],
            )
            .await
            .expect("the navigation's protocol");
        assert_eq!(protocol, json!("h2"), "Chromium speaks HTTP/2 over TLS");
        let h1 = c.find(Locator::Css("h1")).await.expect("h1");
        assert_eq!(h1.text().await.expect("text"), "Backup Credentials");
        console_clean(&c, &webdriver, "/credentials over TLS").await;
        c.goto(&format!("{origin}/credentials/new"))
            .await
            .expect("the add form");
        c.wait()
            .for_element(Locator::Css("#f_access_key_id"))
            .await
            .expect("the S3 fields");
        console_clean(&c, &webdriver, "/credentials/new over TLS").await;
        c.close().await.expect("close the browser");
    });
}

/// Waits until `css` matches nothing (bounded).
async fn until_gone(c: &Client, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !c
        .find_all(Locator::Css(css))
        .await
        .expect("find")
        .is_empty()
    {
        assert!(Instant::now() < deadline, "{css} is still there");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn choose_provider(c: &Client, value: &str) {
    c.find(Locator::Css("#f__provider"))
        .await
        .expect("the provider select")
        .select_by_value(value)
        .await
        .expect("choose a provider");
}

#[test]
fn the_add_form_the_sftp_host_key_and_a_push_in_chromium() {
    let s3 = S3Server::start();
    let sshd = Sshd::start();
    let nascfg = Nascfg::new();
    nascfg.ok(&["init"]);
    nascfg.ok(&[
        "cred",
        "add",
        "store",
        "--provider",
        "S3",
        "--set",
        &format!("access_key_id={}", s3.access_key_id),
        "--set",
        &format!("secret_access_key={}", s3.secret_access_key),
        "--set",
        &format!("endpoint={}", s3.endpoint),
    ]);
    let (_server, login, port) = serve(&nascfg);
    let base = format!("http://127.0.0.1:{port}");
    let (_driver, webdriver) = chromedriver();
    runtime().block_on(async {
        let c = browser(&webdriver).await;
        c.goto(&login).await.expect("login");
        c.wait()
            .for_element(Locator::Css("h1"))
            .await
            .expect("a page");
        console_clean(&c, &webdriver, "/credentials").await;

        // Login to Provider follows the Provider select, both ways.
        c.goto(&format!("{base}/credentials/new"))
            .await
            .expect("the add form");
        c.wait()
            .for_element(Locator::Css("#f_access_key_id"))
            .await
            .expect("the S3 fields");
        assert!(
            c.find_all(Locator::Css("#oauth-login"))
                .await
                .expect("find")
                .is_empty(),
            "S3 has no Login to Provider"
        );
        choose_provider(&c, "DROPBOX").await;
        let button = c
            .wait()
            .for_element(Locator::Css("#oauth-login"))
            .await
            .expect("Login to Provider appears for Dropbox");
        assert!(button.is_displayed().await.expect("displayed"));
        console_clean(&c, &webdriver, "the form after choosing Dropbox").await;
        choose_provider(&c, "S3").await;
        until_gone(&c, "#oauth-login").await;
        c.wait()
            .for_element(Locator::Css("#f_access_key_id"))
            .await
            .expect("the S3 fields again");
        choose_provider(&c, "GOOGLE_DRIVE").await;
        c.wait()
            .for_element(Locator::Css("#oauth-login"))
            .await
            .expect("Login to Provider appears for Google Drive");
        console_clean(
            &c,
            &webdriver,
            "the form after choosing S3 and Google Drive",
        )
        .await;

        // Verify of an SFTP credential records the server's host key on first use.
        choose_provider(&c, "SFTP").await;
        until_gone(&c, "#oauth-login").await;
        c.wait()
            .for_element(Locator::Css("#f_host"))
            .await
            .expect("the SFTP fields");
        fill(&c, "#f_host", "127.0.0.1").await;
        fill(&c, "#f_user", &sshd.user).await;
        fill(&c, "#f_pass", &sshd.password).await;
        click(&c, "details summary").await;
        fill(&c, "#f_port", &sshd.port.to_string()).await;
        click(&c, "button[value='verify']").await;
        let verdict = c
            .wait()
            .for_element(Locator::Css("#verify-result p"))
            .await
            .expect("a verify answer");
        assert_eq!(verdict.text().await.expect("text"), "valid");
        console_clean(&c, &webdriver, "the SFTP form after Verify").await;

        // A push shows its progress, then its result.
        c.goto(&format!("{base}/backups/remote"))
            .await
            .expect("remote backups");
        fill(&c, "#r_path", "bucket1/progress").await;
        // The progress element may come and go between two looks: a watcher notes
        // that it was there, in sessionStorage, which outlives the result's page load.
        c.execute(
            "new MutationObserver(() => { if (document.querySelector('#push-progress progress')) \
             sessionStorage.setItem('sawProgress', 'yes'); }).observe(document.body, \
             {childList: true, subtree: true}); return true;",
            vec![],
        )
        .await
        .expect("a watcher");
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
                .contains("bucket1/progress/nascfg-"),
            "{}",
            c.source().await.unwrap_or_default()
        );
        let saw = c
            .execute("return sessionStorage.getItem('sawProgress')", vec![])
            .await
            .expect("the watcher's note");
        assert_eq!(saw, json!("yes"), "the progress element was shown");
        let rows = c
            .find_all(Locator::Css("#bundles tbody tr"))
            .await
            .expect("rows");
        assert_eq!(rows.len(), 1, "the new bundle is listed");
        console_clean(&c, &webdriver, "the push's progress and result").await;
        c.close().await.expect("close the browser");
    });

    // The CLI sees the host key the web UI recorded: no new record, and the
    // store holds the server's key.
    let again = nascfg.run(&[
        "cred",
        "verify",
        "--provider",
        "SFTP",
        "--set",
        "host=127.0.0.1",
        "--set",
        &format!("port={}", sshd.port),
        "--set",
        &format!("user={}", sshd.user),
        "--set",
        &format!("pass={}", sshd.password),
    ]);
    assert_eq!(again.stdout, "valid\n", "{}", again.transcript());
    let db = nascfg.data_dir().join("config.db");
    let out = Command::new("sqlite3")
        .arg(&db)
        .arg(format!(
            "SELECT key FROM known_host WHERE host = '127.0.0.1' AND port = {}",
            sshd.port
        ))
        .output()
        .expect("sqlite3 runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        sshd.host_key,
        "the recorded host key"
    );
}

#[test]
fn mapped_listen_addresses_are_their_ipv4_address() {
    let nascfg = Nascfg::new();
    // (listen arguments, what standard error says)
    let refused: [(&[&str], &str); 2] = [
        (
            &["--listen", "[::ffff:0.0.0.0]:0", "--insecure-http"],
            "refusing to listen on [::ffff:0.0.0.0]:0 without TLS",
        ),
        (
            &["--listen", "[::ffff:192.0.2.7]:8787"],
            "refusing to listen on [::ffff:192.0.2.7]:8787 without TLS",
        ),
    ];
    for (args, expected) in refused {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        let run = nascfg.fail(&all);
        assert!(
            run.stderr.contains(expected),
            "{args:?}: {}",
            run.transcript()
        );
    }
    nascfg.ok(&["init"]);
    let (_server, login) = super::web_tls::serve(&nascfg, &["--listen", "[::ffff:127.0.0.1]:0"]);
    assert!(login.starts_with("http://127.0.0.1:"), "{login}");
    let origin = login.split("/login").next().expect("an origin");
    assert_eq!(
        curl(&[], &format!("{origin}/credentials")),
        ("401".to_owned(), "1.1".to_owned())
    );
    assert_eq!(curl(&[], &login), ("303".to_owned(), "1.1".to_owned()));
}
