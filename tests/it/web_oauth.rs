//! Login to Provider in the web UI, in a real headless Chromium: the browser goes from the
//! credential form through the authorization server's login and consent pages (oidc-provider,
//! `servers/oidc`, standing in for Google's endpoints) back to `nascfg serve`'s own callback,
//! which stores the token; the CLI then finds it in the store, and no page carried it. A
//! provider registered for rclone's fixed port (Dropbox) goes through the paste page instead.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use nascfg_tests::cli::Nascfg;
use nascfg_tests::servers::{
    CLIENT_ID, CLIENT_SECRET, OAuthProvider, OIDC_LOGIN, OIDC_PASSWORD, OidcServer,
};
use serde_json::Value;

use super::web::{browser, chromedriver, click, console_clean, console_clean_but, fill};

/// How long the browser may take to get through the provider's pages.
const LOGIN_DEADLINE: Duration = Duration::from_secs(60);

/// The stored token of credential `name`, as `cred show --reveal` shows it.
fn stored_token(nascfg: &Nascfg, name: &str) -> Value {
    let shown = nascfg.json(&["cred", "show", name, "--reveal", "--json"]);
    let text = shown["provider"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in {shown}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("token is not JSON ({e}): {text}"))
}

/// Waits until the element is gone from the page (the form was submitted).
async fn gone(e: fantoccini::elements::Element) {
    let start = Instant::now();
    while e.tag_name().await.is_ok() {
        assert!(start.elapsed() < LOGIN_DEADLINE, "the page did not change");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks Login to Provider, then plays the user on the authorization server's pages (log in,
/// allow) until the browser is back on `base`, showing a message; returns every page source seen.
async fn through_the_provider(c: &Client, oidc: &OidcServer, base: &str) -> Vec<String> {
    let button = c
        .find(Locator::Css("#oauth-login"))
        .await
        .expect("the Login to Provider button");
    button
        .clone()
        .click()
        .await
        .expect("click Login to Provider");
    gone(button).await;
    let mut seen = Vec::new();
    let start = Instant::now();
    loop {
        assert!(
            start.elapsed() < LOGIN_DEADLINE,
            "the login did not come back; the page:\n{}\nthe server's log:\n{}",
            c.source().await.unwrap_or_default(),
            oidc.log()
        );
        let url = c.current_url().await.expect("a URL").to_string();
        if url.starts_with(base) {
            if !c
                .find_all(Locator::Css("p.flash"))
                .await
                .expect("find")
                .is_empty()
            {
                seen.push(c.source().await.expect("the page source"));
                return seen;
            }
            if !c
                .find_all(Locator::Css("p.error"))
                .await
                .expect("find")
                .is_empty()
            {
                panic!(
                    "the login failed: {}\nthe server's log:\n{}",
                    c.source().await.unwrap_or_default(),
                    oidc.log()
                );
            }
        } else if url.starts_with(oidc.url()) {
            if let Ok(login) = c.find(Locator::Css("input[name='login']")).await {
                seen.push(c.source().await.expect("the page source"));
                fill(c, "input[name='login']", OIDC_LOGIN).await;
                fill(c, "input[name='password']", OIDC_PASSWORD).await;
                click(c, "button[type='submit']").await;
                gone(login).await;
                continue;
            }
            if let Ok(decision) = c.find(Locator::Css("input[name='decision']")).await {
                seen.push(c.source().await.expect("the page source"));
                fill(c, "input[name='decision']", "allow").await;
                click(c, "button[type='submit']").await;
                gone(decision).await;
                continue;
            }
            if !c
                .find_all(Locator::Css("p.error"))
                .await
                .expect("find")
                .is_empty()
            {
                panic!(
                    "the authorization server refused: {}\nits log:\n{}",
                    c.source().await.unwrap_or_default(),
                    oidc.log()
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn login_to_provider_in_a_real_browser() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(journey());
}

async fn journey() {
    let oidc = OidcServer::start(&OAuthProvider::GoogleDrive.config());
    let (_driver, webdriver) = chromedriver();
    let nascfg = Nascfg::new();
    nascfg.ok(&["init"]);
    let (_server, login) = super::web_tls::serve(
        &nascfg,
        &["--listen", "127.0.0.1:0", "--endpoint-override", oidc.url()],
    );
    let base = login.split("/login").next().expect("an origin").to_owned();
    let downloads = tempfile::tempdir().expect("a download dir");
    let c = browser(&webdriver, downloads.path()).await;
    let mut seen = Vec::new();

    // A new Google Drive credential: name and the OAuth app, then Login to Provider.
    c.goto(&login).await.expect("login");
    c.goto(&format!("{base}/credentials/new?provider=GOOGLE_DRIVE"))
        .await
        .expect("the add form");
    c.wait()
        .for_element(Locator::Css("#oauth-login"))
        .await
        .expect("the Login to Provider button");
    c.execute(
        "document.querySelectorAll('details').forEach(d => d.open = true)",
        vec![],
    )
    .await
    .expect("unfold the advanced fields");
    console_clean(&c, &webdriver, "the Google Drive add form").await;
    let name = "gd-web";
    fill(&c, "#f__name", name).await;
    fill(&c, "#f_client_id", CLIENT_ID).await;
    fill(&c, "#f_client_secret", CLIENT_SECRET).await;
    seen.push(c.source().await.expect("the form"));
    seen.extend(through_the_provider(&c, &oidc, &base).await);
    let url = c.current_url().await.expect("a URL");
    assert_eq!(url.path(), "/credentials/edit", "back on the credential");
    console_clean_but(
        &c,
        &webdriver,
        "the edit form after the login",
        Some(oidc.url()),
    )
    .await;
    let flash = c
        .find(Locator::Css("p.flash"))
        .await
        .expect("the message")
        .text()
        .await
        .expect("text");
    assert!(flash.starts_with("logged in to Google Drive"), "{flash}");
    let first = stored_token(&nascfg, name);
    assert!(
        first["access_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{first}"
    );
    assert!(first["refresh_token"].as_str().is_some(), "{first}");
    let shown = nascfg.json(&["cred", "show", name, "--reveal", "--json"]);
    assert_eq!(shown["provider"]["client_id"], CLIENT_ID);
    assert_eq!(shown["provider"]["client_secret"], CLIENT_SECRET);
    // The token works: verify asks the stand-in API with it.
    let verified = nascfg.run(&["cred", "verify", name, "--endpoint-override", oidc.url()]);
    assert_eq!(
        verified.code,
        0,
        "{}\n{}",
        verified.transcript(),
        oidc.log()
    );

    // Reconnect from the edit form (the client secret stays stored, the form leaves it empty).
    seen.extend(through_the_provider(&c, &oidc, &base).await);
    let second = stored_token(&nascfg, name);
    assert_ne!(first["access_token"], second["access_token"], "a new token");

    // A provider registered for rclone's fixed http://127.0.0.1:53682/: the page asks for the
    // address the browser fails to load (another server on the same data directory).
    let dropbox = OidcServer::start(&OAuthProvider::Dropbox.config());
    let (_server_b, login_b) = super::web_tls::serve(
        &nascfg,
        &[
            "--listen",
            "127.0.0.1:0",
            "--endpoint-override",
            dropbox.url(),
        ],
    );
    let base_b = login_b
        .split("/login")
        .next()
        .expect("an origin")
        .to_owned();
    c.goto(&login_b).await.expect("login b");
    c.goto(&format!("{base_b}/credentials/new?provider=DROPBOX"))
        .await
        .expect("the add form");
    c.wait()
        .for_element(Locator::Css("#oauth-login"))
        .await
        .expect("the Login to Provider button");
    c.execute(
        "document.querySelectorAll('details').forEach(d => d.open = true)",
        vec![],
    )
    .await
    .expect("unfold the advanced fields");
    console_clean(&c, &webdriver, "the Dropbox add form").await;
    fill(&c, "#f__name", "db-web").await;
    fill(&c, "#f_client_id", CLIENT_ID).await;
    fill(&c, "#f_client_secret", CLIENT_SECRET).await;
    click(&c, "#oauth-login").await;
    let authorize = c
        .wait()
        .for_element(Locator::Css("#authorize"))
        .await
        .expect("the paste page");
    console_clean(&c, &webdriver, "the paste page").await;
    seen.push(c.source().await.expect("the paste page"));
    let url = authorize
        .attr("href")
        .await
        .expect("an attribute")
        .expect("the authorization URL");
    // The user approves in a browser anywhere; the redirect to 53682 fails to load.
    let redirect = nascfg_tests::servers::Browser::new(&dropbox)
        .authorize(&url)
        .unwrap_or_else(|e| panic!("authorize: {e}\n{}", dropbox.log()));
    assert!(
        redirect.starts_with("http://127.0.0.1:53682/?"),
        "{redirect}"
    );
    fill(&c, "#f__pasted", &redirect).await;
    click(&c, "form[action='/oauth/paste'] button.primary").await;
    if c.wait().for_element(Locator::Css("p.flash")).await.is_err() {
        panic!(
            "no confirmation; the page:\n{}\n{}",
            c.source().await.unwrap_or_default(),
            dropbox.log()
        );
    }
    seen.push(c.source().await.expect("the credential"));
    let third = stored_token(&nascfg, "db-web");
    assert!(
        third["access_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{third}"
    );

    // A provider's redirect is a cross-site navigation: Chromium withholds the SameSite=Strict
    // cookie, the server answers with a page that reloads the address from its own site, and that
    // request carries the session (here it then finds no such login).
    c.goto(&format!("http://localhost:{}/", oidc.port))
        .await
        .expect("a page on another site");
    c.execute(
        &format!("location.href = '{base}/?code=c0de&state=not-a-login'"),
        vec![],
    )
    .await
    .expect("navigate from the other site");
    let refused = c
        .wait()
        .for_element(Locator::Css("p.error"))
        .await
        .expect("the callback's answer");
    assert!(
        refused
            .text()
            .await
            .expect("text")
            .starts_with("this login is unknown"),
        "{}",
        c.source().await.unwrap_or_default()
    );
    let url = c.current_url().await.expect("a URL");
    assert!(
        url.as_str().contains("nascfg_reloaded=1"),
        "the cross-site redirect was not reloaded: {url}"
    );

    // No page the browser saw carried a token or the client secret.
    let mut secrets = vec![CLIENT_SECRET.to_owned()];
    for token in [&first, &second, &third] {
        for key in ["access_token", "refresh_token"] {
            if let Some(t) = token[key].as_str() {
                secrets.push(t.to_owned());
            }
        }
    }
    for page in &seen {
        for secret in &secrets {
            assert!(
                !page.contains(secret.as_str()),
                "a page carried a secret:\n{page}"
            );
        }
    }
    c.close().await.expect("close the browser");
}
