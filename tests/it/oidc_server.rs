//! The OAuth test server itself (oidc-provider, `servers/oidc/server.mjs`) and the test browser,
//! with no nascfg code involved: a PKCE authorization-code flow, the device flow, refresh-token
//! rotation, and the API stand-in accepting exactly the tokens the server issued.

use base64::Engine as _;
use nascfg_tests::servers::{
    Browser, CLIENT_ID, CLIENT_SECRET, Consent, OAuthProvider, OidcServer, http_post_form,
    http_request, percent_encode, query_of,
};
use rand_core::RngCore;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A PKCE verifier and its S256 challenge (RFC 7636).
fn pkce() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let verifier = b64.encode(bytes);
    let challenge = b64.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

const REDIRECT: &str = "http://127.0.0.1:48213/";

fn authorization_url(
    server: &OidcServer,
    provider: OAuthProvider,
    challenge: Option<&str>,
) -> String {
    let config = provider.config();
    let mut params = vec![
        ("response_type", "code".to_owned()),
        ("client_id", CLIENT_ID.to_owned()),
        ("redirect_uri", REDIRECT.to_owned()),
        ("state", "st-123".to_owned()),
    ];
    let scopes: Vec<String> = config["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .map(|s| s.as_str().expect("a scope").to_owned())
        .collect();
    let mut scope = scopes.join(" ");
    if provider == OAuthProvider::OneDrive {
        scope.push_str(" offline_access");
    }
    if !scope.trim().is_empty() {
        params.push(("scope", scope.trim().to_owned()));
    }
    if let Some(c) = challenge {
        params.push(("code_challenge", c.to_owned()));
        params.push(("code_challenge_method", "S256".to_owned()));
    }
    for (k, v) in config["require_params"]
        .as_object()
        .expect("require_params")
    {
        params.push((k.as_str(), v.as_str().expect("a value").to_owned()));
    }
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    // As the product does with the endpoint override: the real host, rebased by the browser.
    format!(
        "https://real.example{}?{}",
        provider.authorization_path(),
        query.join("&")
    )
    .replace("https://real.example", server.url())
}

fn token(server: &OidcServer, provider: OAuthProvider, form: &[(&str, &str)]) -> (u16, Value) {
    let mut all = form.to_vec();
    all.push(("client_id", CLIENT_ID));
    all.push(("client_secret", CLIENT_SECRET));
    let answer = http_post_form(&format!("{}{}", server.url(), provider.token_path()), &all)
        .expect("token request");
    (answer.status, answer.json())
}

/// The API call of the provider's verify module with `token`: the status.
fn api_status(server: &OidcServer, provider: OAuthProvider, token: &str) -> u16 {
    let (method, path, body) = match provider {
        OAuthProvider::GoogleDrive => ("GET", "/drive/v3/files?pageSize=1", None),
        OAuthProvider::GooglePhotos => ("GET", "/v1/albums?pageSize=1", None),
        OAuthProvider::OneDrive => ("GET", "/v1.0/me/drives", None),
        OAuthProvider::Dropbox => ("POST", "/2/files/list_folder", Some(r#"{"path":""}"#)),
        OAuthProvider::Box => ("GET", "/2.0/folders/0/items?limit=1", None),
        OAuthProvider::Pcloud => ("GET", "/listfolder?folderid=0&nofiles=1", None),
        OAuthProvider::Yandex => ("GET", "/v1/disk/resources?path=/&limit=1", None),
    };
    let scheme = if provider == OAuthProvider::Yandex {
        "OAuth"
    } else {
        "Bearer"
    };
    let auth = format!("{scheme} {token}");
    let answer = http_request(
        method,
        &format!("{}{path}", server.url()),
        &[("Authorization", &auth)],
        body.map(|b| ("application/json", b.as_bytes())),
    )
    .expect("API request");
    // pCloud answers 200 with a result code.
    if provider == OAuthProvider::Pcloud && answer.json()["result"] != 0 {
        return 401;
    }
    answer.status
}

/// Authorization code with PKCE, then the code for tokens; returns the token answer.
fn login(server: &OidcServer, provider: OAuthProvider) -> Value {
    let (verifier, challenge) = pkce();
    let mut browser = Browser::new(server);
    let redirect = browser
        .authorize(&authorization_url(server, provider, Some(&challenge)))
        .unwrap_or_else(|e| panic!("{provider:?}: {e}\n{}", server.log()));
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    let query = query_of(&redirect);
    assert_eq!(query["state"], "st-123");
    if provider == OAuthProvider::Pcloud {
        assert_eq!(
            query.get("hostname").map(String::as_str),
            Some("eapi.pcloud.com"),
            "{redirect}"
        );
    }
    let code = &query["code"];
    // A wrong verifier is refused (PKCE is checked).
    let (status, _) = token(
        server,
        provider,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &pkce().0),
        ],
    );
    assert_eq!(
        status, 400,
        "{provider:?}: a wrong code_verifier was accepted"
    );
    // A fresh code for the right verifier.
    let redirect = browser
        .authorize(&authorization_url(server, provider, Some(&challenge)))
        .expect("second login");
    let code = query_of(&redirect)["code"].clone();
    let (status, answer) = token(
        server,
        provider,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    );
    assert_eq!(status, 200, "{provider:?}: {answer}\n{}", server.log());
    answer
}

#[test]
fn pkce_login_refresh_and_api_for_each_provider() {
    for provider in OAuthProvider::ALL {
        let server = OidcServer::start(&provider.config());
        let answer = login(&server, provider);
        let access = answer["access_token"].as_str().expect("access_token");
        if !provider.has_refresh_tokens() {
            assert!(answer.get("refresh_token").is_none(), "{answer}");
            assert!(answer.get("expires_in").is_none(), "{answer}");
            assert_eq!(api_status(&server, provider, access), 200, "{provider:?}");
            continue;
        }
        let refresh = answer["refresh_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{provider:?}: no refresh token in {answer}"));
        if provider == OAuthProvider::Yandex {
            assert_eq!(answer["token_type"], "bearer");
        }
        assert_eq!(api_status(&server, provider, access), 200, "{provider:?}");
        assert_eq!(
            api_status(&server, provider, "not-a-token"),
            401,
            "{provider:?}"
        );

        let (status, refreshed) = token(
            &server,
            provider,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        );
        assert_eq!(status, 200, "{provider:?}: {refreshed}");
        let new_access = refreshed["access_token"].as_str().expect("access_token");
        assert_ne!(new_access, access);
        assert_eq!(api_status(&server, provider, new_access), 200);
        let rotated = refreshed["refresh_token"].as_str();
        assert_eq!(
            rotated.is_some_and(|r| r != refresh),
            provider.rotates_refresh_tokens(),
            "{provider:?}: {refreshed}"
        );
    }
}

#[test]
fn pkce_is_required_and_denial_is_an_error_redirect() {
    let provider = OAuthProvider::Box;
    let server = OidcServer::start(&provider.config());
    let redirect = Browser::new(&server)
        .authorize(&authorization_url(&server, provider, None))
        .expect("an error redirect");
    let query = query_of(&redirect);
    assert_eq!(query["error"], "invalid_request", "{redirect}");
    assert_eq!(query["state"], "st-123");

    let (_, challenge) = pkce();
    let redirect = Browser::new(&server)
        .authorize_with(
            &authorization_url(&server, provider, Some(&challenge)),
            Consent::Deny,
        )
        .expect("an error redirect");
    assert_eq!(query_of(&redirect)["error"], "access_denied", "{redirect}");

    // Google's request must carry access_type=offline and prompt=consent.
    let provider = OAuthProvider::GoogleDrive;
    let server = OidcServer::start(&provider.config());
    let url =
        authorization_url(&server, provider, Some(&challenge)).replace("access_type=offline", "");
    let err = Browser::new(&server).authorize(&url).unwrap_err();
    assert!(err.contains("access_type=offline"), "{err}");
}

#[test]
fn box_rotation_refuses_spent_refresh_tokens() {
    let provider = OAuthProvider::Box;
    let server = OidcServer::start(&provider.config());
    let answer = login(&server, provider);
    let mut tokens = vec![answer["refresh_token"].as_str().expect("rt").to_owned()];
    for _ in 0..2 {
        let last = tokens.last().expect("a token").clone();
        let (status, refreshed) = token(
            &server,
            provider,
            &[("grant_type", "refresh_token"), ("refresh_token", &last)],
        );
        assert_eq!(status, 200, "{refreshed}");
        tokens.push(
            refreshed["refresh_token"]
                .as_str()
                .expect("rotated")
                .to_owned(),
        );
    }
    // The newest works once more; the spent ones are refused.
    let (status, _) = token(
        &server,
        provider,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &tokens[2]),
        ],
    );
    assert_eq!(status, 200);
    for spent in &tokens[..2] {
        let (status, answer) = token(
            &server,
            provider,
            &[("grant_type", "refresh_token"), ("refresh_token", spent)],
        );
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
}

#[test]
fn device_flow_onedrive_and_yandex() {
    for provider in [OAuthProvider::OneDrive, OAuthProvider::Yandex] {
        let server = OidcServer::start(&provider.config());
        // Yandex takes the scopes registered with the app when the request names none.
        let scope = if provider == OAuthProvider::OneDrive {
            "Files.Read offline_access"
        } else {
            ""
        };
        let device = http_post_form(
            &format!(
                "{}{}",
                server.url(),
                provider.device_path().expect("device")
            ),
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("scope", scope),
            ],
        )
        .expect("device authorization");
        let d = device.json();
        assert_eq!(device.status, 200, "{}", device.body);
        assert_eq!(d["interval"], 1);
        let page = match provider {
            OAuthProvider::Yandex => d["verification_url"].as_str(),
            _ => d["verification_uri"].as_str(),
        }
        .expect("verification page")
        .to_owned();
        let device_code = d["device_code"].as_str().expect("device_code");
        let poll = || {
            token(
                &server,
                provider,
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("device_code", device_code),
                ],
            )
        };
        let (status, pending) = poll();
        assert_eq!(
            (status, pending["error"].as_str()),
            (400, Some("authorization_pending"))
        );
        Browser::new(&server)
            .approve_device(&page, d["user_code"].as_str().expect("user_code"))
            .unwrap_or_else(|e| panic!("{provider:?}: {e}\n{}", server.log()));
        // The protocol's wait: the next poll comes after `interval`.
        std::thread::sleep(std::time::Duration::from_millis(1_000));
        let (status, answer) = poll();
        assert_eq!(status, 200, "{provider:?}: {answer}");
        assert_eq!(
            api_status(
                &server,
                provider,
                answer["access_token"].as_str().expect("at")
            ),
            200
        );
        assert!(answer["refresh_token"].is_string(), "{answer}");
    }
}

#[test]
fn device_code_expires() {
    let provider = OAuthProvider::Yandex;
    let mut config = provider.config();
    config["ttl"] = serde_json::json!({"DeviceCode": 1});
    let server = OidcServer::start(&config);
    let device = http_post_form(
        &format!(
            "{}{}",
            server.url(),
            provider.device_path().expect("device")
        ),
        &[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)],
    )
    .expect("device authorization")
    .json();
    assert_eq!(device["expires_in"], 1);
    // The code's lifetime is the protocol's wait here.
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    let (status, answer) = token(
        &server,
        provider,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            (
                "device_code",
                device["device_code"].as_str().expect("device_code"),
            ),
        ],
    );
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("expired_token"))
    );
}

#[test]
fn device_polls_sooner_than_the_interval_get_slow_down() {
    let provider = OAuthProvider::OneDrive;
    let server = OidcServer::start(&provider.config());
    let device = http_post_form(
        &format!(
            "{}{}",
            server.url(),
            provider.device_path().expect("device")
        ),
        &[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)],
    )
    .expect("device authorization")
    .json();
    let device_code = device["device_code"].as_str().expect("device_code");
    let form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
    ];
    let (_, first) = token(&server, provider, &form);
    assert_eq!(first["error"], "authorization_pending");
    let (status, second) = token(&server, provider, &form);
    assert_eq!((status, second["error"].as_str()), (400, Some("slow_down")));
}

#[test]
fn client_authentication_basic_or_form_and_dropbox_optional_secret() {
    // A refresh token for each case, then the refresh with the client credentials given as HTTP
    // Basic, in the form, wrong, or (Dropbox with PKCE) not at all.
    for provider in [OAuthProvider::Box, OAuthProvider::Dropbox] {
        let server = OidcServer::start(&provider.config());
        let rt = login(&server, provider)["refresh_token"]
            .as_str()
            .expect("rt")
            .to_owned();
        let url = format!("{}{}", server.url(), provider.token_path());
        let refresh = |auth: Option<&str>, extra: &[(&str, &str)]| {
            let mut form = vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", rt.as_str()),
            ];
            form.extend_from_slice(extra);
            let body = nascfg_tests::servers::form_encode(&form);
            let basic;
            let mut headers = Vec::new();
            if let Some(a) = auth {
                basic = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(a)
                );
                headers.push(("Authorization", basic.as_str()));
            }
            http_request(
                "POST",
                &url,
                &headers,
                Some(("application/x-www-form-urlencoded", body.as_bytes())),
            )
            .expect("token request")
            .status
        };
        let wrong = format!("{CLIENT_ID}:wrong");
        assert_eq!(refresh(Some(&wrong), &[]), 401, "{provider:?} wrong Basic");
        assert_eq!(
            refresh(
                None,
                &[("client_id", CLIENT_ID), ("client_secret", "wrong")]
            ),
            401,
            "{provider:?} wrong form secret"
        );
        let right = format!("{CLIENT_ID}:{CLIENT_SECRET}");
        assert_eq!(refresh(Some(&right), &[]), 200, "{provider:?} Basic");
        let secretless = refresh(None, &[("client_id", CLIENT_ID)]);
        assert_eq!(
            secretless == 200,
            provider == OAuthProvider::Dropbox,
            "{provider:?} without a secret: {secretless}"
        );
    }
}
