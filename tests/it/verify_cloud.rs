//! Verifying credentials of the providers that exist only as cloud APIs, against loopback stand-ins
//! that answer as the published APIs do and check what the real services check (bearer tokens, Basic
//! auth, the service account's JWT signature, Keystone passwords, Mega's login hash).

// Test helpers panic on purpose: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use nascfg_credentials::{Credential, OAuthToken, ProviderKind};
use nascfg_tests::standins::b2::B2;
use nascfg_tests::standins::bearer::{Api, BearerApi, ONEDRIVE_DRIVES, TEAM_DRIVE_ID};
use nascfg_tests::standins::gcs::{self, Gcs};
use nascfg_tests::standins::mega::{self, Mega};
use nascfg_tests::standins::oauth::TokenBook;
use nascfg_tests::standins::swift::{self, Swift};
use nascfg_verify::secrecy::ExposeSecret;
use nascfg_verify::{Verification, VerifyOptions, onedrive_drives, verify};
use serde_json::{Value, json};

const FUTURE: &str = "2099-01-01T00:00:00Z";
const PAST: &str = "2021-06-01T12:00:00Z";

// Distinctive secrets: none may appear in any output of a failing verification.
const ACCESS: &str = "ACCESS-tok-7f1e9c2b-d1st1nct";
const REFRESH: &str = "REFRESH-tok-5a8b1c-d1st1nct";
const CLIENT_ID: &str = "nascfg-test-client.apps";
const CLIENT_SECRET: &str = "CLIENT-s3cr3t-41d2-d1st1nct";
const WRONG_ACCESS: &str = "WRONG-access-0b6f-d1st1nct";
const WRONG_REFRESH: &str = "REVOKED-refresh-88aa-d1st1nct";

fn credential(provider: ProviderKind, attributes: Value) -> Credential {
    let Value::Object(map) = attributes else {
        panic!("attributes must be an object")
    };
    Credential::new("cloud", provider, map).unwrap_or_else(|e| panic!("{provider}: {e}"))
}

fn options(endpoint: &str) -> VerifyOptions {
    VerifyOptions {
        connect_timeout: Duration::from_secs(10),
        deadline: Duration::from_secs(60),
        endpoint_override: Some(endpoint.parse().unwrap()),
        ..VerifyOptions::default()
    }
}

fn token_json(access: &str, refresh: Option<&str>, token_type: &str, expiry: &str) -> String {
    let mut token = json!({"access_token": access, "token_type": token_type, "expiry": expiry});
    if let Some(r) = refresh {
        token["refresh_token"] = r.into();
    }
    token.to_string()
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

/// Invalid, the excerpt one line containing `reason`, and no secret anywhere in the answer.
#[track_caller]
fn assert_invalid(what: &str, v: &Verification, reason: &str, secrets: &[&str]) {
    assert!(!v.valid, "{what}: expected invalid");
    let excerpt = v.excerpt.as_deref().unwrap_or_default();
    assert!(
        excerpt.contains(reason),
        "{what}: excerpt {excerpt:?} lacks {reason:?}"
    );
    assert!(
        !excerpt.contains('\n'),
        "{what}: excerpt is not one line: {excerpt:?}"
    );
    assert_no_secret(what, v, secrets);
}

#[track_caller]
fn assert_no_secret(what: &str, v: &Verification, secrets: &[&str]) {
    let shown = format!(
        "{:?}\n{}\n{}",
        v,
        v.error.as_deref().unwrap_or_default(),
        v.excerpt.as_deref().unwrap_or_default()
    );
    for secret in secrets {
        assert!(
            !shown.contains(secret),
            "{what}: secret {secret:?} shown in {shown}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// OAuth providers: one table row each, every scenario run for every provider.
// ---------------------------------------------------------------------------------------------

struct OAuthCase {
    api: Api,
    kind: ProviderKind,
    token_type: &'static str,
    extra: Value,
    /// What the API says about an unknown access token.
    bad_token_reason: &'static str,
    /// Whether the token endpoint rotates refresh tokens (Box, Microsoft).
    rotates: bool,
}

fn case(api: Api) -> OAuthCase {
    let (kind, token_type, extra, bad_token_reason, rotates) = match api {
        Api::GoogleDrive => (
            ProviderKind::GoogleDrive,
            "Bearer",
            json!({}),
            "401 Unauthorized: UNAUTHENTICATED: Request had invalid authentication credentials.",
            false,
        ),
        Api::GooglePhotos => (
            ProviderKind::GooglePhotos,
            "Bearer",
            json!({}),
            "401 Unauthorized: UNAUTHENTICATED: Request had invalid authentication credentials.",
            false,
        ),
        Api::OneDrive => (
            ProviderKind::OneDrive,
            "Bearer",
            json!({"drive_type": "BUSINESS", "drive_id": ONEDRIVE_DRIVES[0].0}),
            "401 Unauthorized: InvalidAuthenticationToken",
            true,
        ),
        Api::Dropbox => (
            ProviderKind::Dropbox,
            "bearer",
            json!({}),
            "401 Unauthorized: invalid_access_token",
            false,
        ),
        Api::Box => (
            ProviderKind::Box,
            "bearer",
            json!({}),
            "401 Unauthorized: invalid_token: The access token provided is invalid.",
            true,
        ),
        Api::Pcloud => (
            ProviderKind::Pcloud,
            "bearer",
            json!({"hostname": "eapi.pcloud.com"}),
            "Invalid 'access_token' provided. (result 2094)",
            false,
        ),
        Api::Yandex => (
            ProviderKind::Yandex,
            "OAuth",
            json!({}),
            "401 Unauthorized: UnauthorizedError: Unauthorized",
            false,
        ),
    };
    OAuthCase {
        api,
        kind,
        token_type,
        extra,
        bad_token_reason,
        rotates,
    }
}

impl OAuthCase {
    fn book(&self) -> TokenBook {
        let book = TokenBook::new(CLIENT_ID, CLIENT_SECRET, self.token_type);
        if self.rotates {
            book.rotating_refresh_tokens()
        } else {
            book
        }
    }

    fn credential(&self, token: &str) -> Credential {
        let mut attrs =
            json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "token": token});
        for (k, v) in self.extra.as_object().unwrap() {
            attrs[k] = v.clone();
        }
        credential(self.kind, attrs)
    }

    fn start(&self) -> BearerApi {
        let api = BearerApi::start(self.api, self.book());
        api.book.grant_access(ACCESS);
        api.book.grant_refresh(REFRESH);
        api
    }
}

const SECRETS: [&str; 5] = [ACCESS, REFRESH, CLIENT_SECRET, WRONG_ACCESS, WRONG_REFRESH];

fn oauth_scenarios(api: Api) {
    let case = case(api);
    let what = format!("{api:?}");
    let server = case.start();
    let opts = options(server.url());

    // The right token: valid, nothing to save back.
    let v = verify(
        &case.credential(&token_json(ACCESS, Some(REFRESH), case.token_type, FUTURE)),
        &opts,
    );
    assert_valid(&what, &v);
    assert!(
        v.refreshed_token.is_none(),
        "{what}: a live token was refreshed"
    );
    // The request carried the token in the provider's own scheme.
    let scheme = api.scheme();
    assert!(
        server
            .standin
            .requests()
            .iter()
            .any(|r| r.header("authorization") == Some(&format!("{scheme} {ACCESS}"))),
        "{what}: no request with `Authorization: {scheme} ...`"
    );

    // A wrong token: invalid with the API's own reason.
    let v = verify(
        &case.credential(&token_json(
            WRONG_ACCESS,
            Some(REFRESH),
            case.token_type,
            FUTURE,
        )),
        &opts,
    );
    assert_invalid(&what, &v, case.bad_token_reason, &SECRETS);

    // An expired token refreshes: valid, and the refreshed token is handed back.
    let expired = case.credential(&token_json(
        WRONG_ACCESS,
        Some(REFRESH),
        case.token_type,
        PAST,
    ));
    let v = verify(&expired, &opts);
    assert_valid(&what, &v);
    let refreshed = v
        .refreshed_token
        .as_ref()
        .unwrap_or_else(|| panic!("{what}: no refreshed token"));
    let issued = server.book.issued_access();
    assert_eq!(issued.len(), 1, "{what}");
    assert_eq!(
        refreshed.access_token().expose_secret(),
        issued[0].as_str(),
        "{what}"
    );
    let expected_refresh = if case.rotates {
        server.book.issued_refresh()[0].clone()
    } else {
        REFRESH.to_owned()
    };
    assert_eq!(
        refreshed
            .refresh_token()
            .map(|r| r.expose_secret().to_owned()),
        Some(expected_refresh),
        "{what}"
    );
    assert_eq!(
        refreshed.token_type(),
        case.token_type,
        "{what}: token_type kept as given"
    );
    assert!(
        !refreshed.is_expired_at(time_now()),
        "{what}: the refreshed token is already expired"
    );
    // The refresh sent the refresh token and the client credentials.
    let refresh_request = server
        .standin
        .requests()
        .into_iter()
        .find(|r| r.path == api.token_path())
        .unwrap();
    let form = refresh_request.form();
    assert_eq!(
        form.get("grant_type").map(String::as_str),
        Some("refresh_token"),
        "{what}"
    );
    assert_eq!(
        form.get("client_id").map(String::as_str),
        Some(CLIENT_ID),
        "{what}"
    );
    // The refreshed token round-trips through rclone's JSON.
    let again = OAuthToken::parse(refreshed.to_json_string().expose_secret()).unwrap();
    assert_eq!(&again, refreshed, "{what}");

    // An expired token whose refresh is refused: invalid, the excerpt names invalid_grant.
    let revoked = case.credential(&token_json(
        WRONG_ACCESS,
        Some(WRONG_REFRESH),
        case.token_type,
        PAST,
    ));
    let v = verify(&revoked, &opts);
    assert_invalid(
        &what,
        &v,
        "invalid_grant: Token has been expired or revoked.",
        &SECRETS,
    );
    let error = v.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("log in to the provider again"),
        "{what}: {error}"
    );
    assert!(v.refreshed_token.is_none(), "{what}");

    // An expired token with no refresh token at all.
    let v = verify(
        &case.credential(&token_json(WRONG_ACCESS, None, case.token_type, PAST)),
        &opts,
    );
    assert_invalid(&what, &v, "no refresh token", &SECRETS);

    // Wrong client credentials are refused by the token endpoint.
    let mut attrs = json!({"client_id": CLIENT_ID, "client_secret": "WRONG-client-s3cr3t", "token": token_json(WRONG_ACCESS, Some(REFRESH), case.token_type, PAST)});
    for (k, val) in case.extra.as_object().unwrap() {
        attrs[k] = val.clone();
    }
    let v = verify(&credential(case.kind, attrs), &opts);
    assert_invalid(
        &what,
        &v,
        "invalid_client",
        &[&SECRETS[..], &["WRONG-client-s3cr3t"]].concat(),
    );
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

#[test]
fn google_drive() {
    oauth_scenarios(Api::GoogleDrive);
}

#[test]
fn google_photos() {
    oauth_scenarios(Api::GooglePhotos);
}

#[test]
fn onedrive() {
    oauth_scenarios(Api::OneDrive);
}

#[test]
fn dropbox() {
    oauth_scenarios(Api::Dropbox);
}

#[test]
fn box_com() {
    oauth_scenarios(Api::Box);
}

#[test]
fn pcloud() {
    oauth_scenarios(Api::Pcloud);
}

#[test]
fn yandex() {
    oauth_scenarios(Api::Yandex);
}

#[test]
fn google_drive_team_drive() {
    let case = case(Api::GoogleDrive);
    let server = case.start();
    let opts = options(server.url());
    let token = token_json(ACCESS, Some(REFRESH), "Bearer", FUTURE);
    let with_drive = |id: &str| {
        credential(
            ProviderKind::GoogleDrive,
            json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "token": token, "team_drive": id}),
        )
    };
    assert_valid("team drive", &verify(&with_drive(TEAM_DRIVE_ID), &opts));
    let v = verify(&with_drive("0AmissingDrive"), &opts);
    assert_invalid(
        "missing team drive",
        &v,
        "404 Not Found: notFound: Shared drive not found: 0AmissingDrive",
        &SECRETS,
    );
}

#[test]
fn onedrive_drive_list_and_unknown_drive() {
    let case = case(Api::OneDrive);
    let server = case.start();
    let opts = options(server.url());

    let live = case.credential(&token_json(ACCESS, Some(REFRESH), "Bearer", FUTURE));
    let list = onedrive_drives(&live, &opts).unwrap();
    let got: Vec<(&str, &str, &str)> = list
        .drives
        .iter()
        .map(|d| (d.id.as_str(), d.name.as_str(), d.graph_type.as_str()))
        .collect();
    assert_eq!(got, ONEDRIVE_DRIVES.to_vec());
    assert!(list.refreshed_token.is_none());

    // Listing with an expired token refreshes it and hands it back.
    let expired = case.credential(&token_json(WRONG_ACCESS, Some(REFRESH), "Bearer", PAST));
    let list = onedrive_drives(&expired, &opts).unwrap();
    assert_eq!(list.drives.len(), ONEDRIVE_DRIVES.len());
    assert!(list.refreshed_token.is_some());

    // A bad token: an invalid verification with the Graph error.
    let bad = case.credential(&token_json(WRONG_ACCESS, Some(REFRESH), "Bearer", FUTURE));
    let v = onedrive_drives(&bad, &opts).unwrap_err();
    assert_invalid("drive list", &v, "InvalidAuthenticationToken", &SECRETS);

    // A drive ID the account does not have: refreshed first (Microsoft rotates refresh tokens, so the
    // new one must still be saved), then Graph's itemNotFound.
    let attrs = json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "token": token_json(WRONG_ACCESS, Some(&server.book.issued_refresh()[0]), "Bearer", PAST),
        "drive_type": "PERSONAL", "drive_id": "0123456789abcdef"});
    let v = verify(&credential(ProviderKind::OneDrive, attrs), &opts);
    assert_invalid(
        "unknown drive",
        &v,
        "404 Not Found: itemNotFound: The resource could not be found.",
        &SECRETS,
    );
    let kept = v
        .refreshed_token
        .expect("the refreshed token is handed back even though the check failed");
    assert_eq!(
        kept.refresh_token().unwrap().expose_secret(),
        server.book.issued_refresh()[1]
    );
}

// ---------------------------------------------------------------------------------------------
// Backblaze B2
// ---------------------------------------------------------------------------------------------

#[test]
fn b2_authorizes_and_lists_buckets() {
    let key_id = "0025e0a1b2c3d4e0000000001";
    let app_key = "K002-app-key-s3cr3t-d1st1nct";
    let server = B2::start(key_id, app_key);
    let opts = options(server.url());
    let v = verify(
        &credential(ProviderKind::B2, json!({"account": key_id, "key": app_key})),
        &opts,
    );
    assert_valid("b2", &v);
    // list_buckets used the token that authorize_account issued.
    let list = server
        .standin
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("b2_list_buckets"))
        .unwrap();
    assert_eq!(
        list.header("authorization"),
        Some(server.issued_tokens()[0].as_str())
    );

    let wrong = "K002-wrong-s3cr3t-d1st1nct";
    let v = verify(
        &credential(ProviderKind::B2, json!({"account": key_id, "key": wrong})),
        &opts,
    );
    assert_invalid(
        "b2 wrong key",
        &v,
        "401 Unauthorized: unauthorized",
        &[app_key, wrong],
    );
    let v = verify(
        &credential(
            ProviderKind::B2,
            json!({"account": "0025unknownkeyid", "key": app_key}),
        ),
        &opts,
    );
    assert_invalid(
        "b2 wrong key id",
        &v,
        "401 Unauthorized: unauthorized",
        &[app_key],
    );
}

// ---------------------------------------------------------------------------------------------
// Google Cloud Storage
// ---------------------------------------------------------------------------------------------

#[test]
fn gcs_service_account_jwt() {
    let server = Gcs::start(gcs::service_account_key());
    let opts = options(server.url());
    let key_file = gcs::key_file(gcs::service_account_key(), &server.token_uri());
    let v = verify(
        &credential(
            ProviderKind::GoogleCloudStorage,
            json!({"service_account_credentials": key_file}),
        ),
        &opts,
    );
    assert_valid("gcs", &v);
    assert_eq!(server.issued_tokens().len(), 1);

    // A key file whose private key is not the service account's: Google refuses the signature.
    let forged = gcs::key_file(gcs::other_key(), &server.token_uri());
    let v = verify(
        &credential(
            ProviderKind::GoogleCloudStorage,
            json!({"service_account_credentials": forged}),
        ),
        &opts,
    );
    let pem_line = forged_pem_line(&forged);
    assert_invalid(
        "gcs wrong key",
        &v,
        "invalid_grant: Invalid JWT Signature.",
        &[&pem_line],
    );
    assert_eq!(server.issued_tokens().len(), 1);
}

/// One long line of the key file's PEM body (a distinctive piece of the secret).
fn forged_pem_line(key_file: &str) -> String {
    let json: Value = serde_json::from_str(key_file).unwrap();
    json["private_key"]
        .as_str()
        .unwrap()
        .lines()
        .nth(3)
        .unwrap()
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// OpenStack Swift
// ---------------------------------------------------------------------------------------------

#[test]
fn swift_auth_v1_v2_v3() {
    let key = "swift-key-s3cr3t-d1st1nct";
    let server = Swift::start(key);
    let opts = options(server.url());
    let base = "https://keystone.example.net";
    let cred = |attrs: Value| credential(ProviderKind::OpenstackSwift, attrs);
    let cases: Vec<(&str, Value, Result<&str, &str>)> = vec![
        (
            "v1",
            json!({"user": swift::V1_USER, "key": key, "auth": format!("{base}/auth/v1.0")}),
            Ok("/v1/AUTH_"),
        ),
        (
            "v1 explicit",
            json!({"user": swift::V1_USER, "key": key, "auth": format!("{base}/auth/v1.0"), "auth_version": 1}),
            Ok("/v1/AUTH_"),
        ),
        (
            "v1 wrong key",
            json!({"user": swift::V1_USER, "key": "wrong-s3cr3t-key", "auth": format!("{base}/auth/v1.0")}),
            Err("authentication (v1): 401 Unauthorized: Unauthorized This server could not verify"),
        ),
        (
            "v2",
            json!({"user": swift::USER, "key": key, "auth": format!("{base}/v2.0"), "tenant": swift::PROJECT}),
            Ok("/v1/AUTH_"),
        ),
        (
            "v2 internal",
            json!({"user": swift::USER, "key": key, "auth": format!("{base}/v2.0"), "tenant_id": swift::PROJECT_ID,
            "endpoint_type": "internal"}),
            Ok("/v1-internal/AUTH_"),
        ),
        (
            "v2 region",
            json!({"user": swift::USER, "key": key, "auth": format!("{base}/v2.0"), "tenant": swift::PROJECT,
            "region": "RegionTwo"}),
            Ok("/v1-r2/AUTH_"),
        ),
        (
            "v2 wrong key",
            json!({"user": swift::USER, "key": "wrong-s3cr3t-key", "auth": format!("{base}/v2.0"), "tenant": swift::PROJECT}),
            Err(
                "authentication (Keystone v2): 401 Unauthorized: The request you have made requires authentication.",
            ),
        ),
        (
            "v3",
            json!({"user": swift::USER, "key": key, "auth": format!("{base}/v3"), "domain": swift::DOMAIN,
            "tenant": swift::PROJECT}),
            Ok("/v1/AUTH_"),
        ),
        (
            "v3 user id, admin",
            json!({"user": "ignored", "user_id": swift::USER_ID, "key": key, "auth": format!("{base}/v3"),
            "tenant_id": swift::PROJECT_ID, "endpoint_type": "admin"}),
            Ok("/v1-admin/AUTH_"),
        ),
        (
            "v3 explicit version",
            json!({"user": swift::USER, "key": key, "auth": format!("{base}/identity"), "auth_version": 3,
            "domain": swift::DOMAIN, "tenant": swift::PROJECT, "tenant_domain": swift::DOMAIN}),
            Err("404 Not Found"),
        ),
        (
            "v3 wrong key",
            json!({"user": swift::USER, "key": "wrong-s3cr3t-key", "auth": format!("{base}/v3"), "domain": swift::DOMAIN,
            "tenant": swift::PROJECT}),
            Err(
                "authentication (Keystone v3): 401 Unauthorized: The request you have made requires authentication.",
            ),
        ),
        (
            "v3 no region",
            json!({"user": swift::USER, "key": key, "auth": format!("{base}/v3"), "domain": swift::DOMAIN,
            "tenant": swift::PROJECT, "region": "RegionNine"}),
            Err("no public object-store endpoint in region RegionNine"),
        ),
        (
            "preset token",
            json!({"user": swift::USER, "key": key, "auth": format!("{base}/v3"),
            "storage_url": format!("{base}/v1/AUTH_{}", swift::PROJECT_ID), "auth_token": "expired-swift-token-d1st1nct"}),
            Err("listing the account: 401 Unauthorized"),
        ),
    ];
    for (what, attrs, expected) in cases {
        let before = server.account_requests().len();
        let v = verify(&cred(attrs), &opts);
        match expected {
            Ok(prefix) => {
                assert_valid(what, &v);
                let paths = server.account_requests();
                assert_eq!(paths.len(), before + 1, "{what}");
                assert!(
                    paths[before].starts_with(prefix),
                    "{what}: listed {}",
                    paths[before]
                );
            }
            Err(reason) => assert_invalid(
                what,
                &v,
                reason,
                &[key, "wrong-s3cr3t-key", "expired-swift-token-d1st1nct"],
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Mega
// ---------------------------------------------------------------------------------------------

#[test]
fn mega_login_v2_and_v1() {
    let v2 = mega::Account {
        email: "backup@example.org".into(),
        password: "mega-v2-pa55-d1st1nct".into(),
        salt: Some([7u8; 32]),
    };
    let v1 = mega::Account {
        email: "Old.User@example.org".into(),
        password: "mega-v1-pa55-d1st1nct".into(),
        salt: None,
    };
    let server = Mega::start(vec![v2.clone(), v1.clone()]);
    let opts = options(server.url());
    let cred = |user: &str, pass: &str| {
        credential(ProviderKind::Mega, json!({"user": user, "pass": pass}))
    };
    let secrets = [
        v2.password.as_str(),
        v1.password.as_str(),
        "wrong-pa55-d1st1nct",
    ];

    assert_valid(
        "mega v2",
        &verify(&cred("Backup@Example.org", &v2.password), &opts),
    );
    assert_valid(
        "mega v1",
        &verify(&cred("old.user@example.org", &v1.password), &opts),
    );
    let v = verify(&cred(&v2.email, "wrong-pa55-d1st1nct"), &opts);
    assert_invalid(
        "mega v2 wrong",
        &v,
        "invalid user or password (ENOENT -9)",
        &secrets,
    );
    let v = verify(&cred(&v1.email, "wrong-pa55-d1st1nct"), &opts);
    assert_invalid(
        "mega v1 wrong",
        &v,
        "invalid user or password (ENOENT -9)",
        &secrets,
    );
    let v = verify(&cred("nobody@example.org", "wrong-pa55-d1st1nct"), &opts);
    assert_invalid("mega unknown", &v, "invalid user or password", &secrets);

    // The password never travels: only the derived user handle does.
    for request in server.standin.requests() {
        let body = String::from_utf8_lossy(&request.body).into_owned();
        for secret in &secrets {
            assert!(!body.contains(secret), "the password was sent: {body}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hubic
// ---------------------------------------------------------------------------------------------

#[test]
fn hubic_is_shut_down_without_network() {
    let token = token_json(ACCESS, Some(REFRESH), "Bearer", FUTURE);
    // A closed port: any connection attempt would fail differently.
    let mut opts = options("http://127.0.0.1:9");
    opts.deadline = Duration::from_secs(5);
    let v = verify(
        &credential(ProviderKind::Hubic, json!({"token": token})),
        &opts,
    );
    assert_invalid(
        "hubic",
        &v,
        "Hubic shut down in 2022; this credential can no longer work",
        &SECRETS,
    );
    let v = verify(
        &credential(ProviderKind::Hubic, json!({"token": token})),
        &VerifyOptions::default(),
    );
    assert_invalid(
        "hubic, no override",
        &v,
        "Hubic shut down in 2022",
        &SECRETS,
    );
}

// ---------------------------------------------------------------------------------------------
// Through the CLI: a stored credential whose token is refreshed gets the new token saved.
// ---------------------------------------------------------------------------------------------

#[test]
fn cli_cred_verify_saves_the_refreshed_token() {
    use nascfg_tests::cli::Nascfg;

    let case = case(Api::Box);
    let server = case.start();
    let nascfg = Nascfg::new();
    let token_file = nascfg.write_file(
        "token.json",
        token_json(WRONG_ACCESS, Some(REFRESH), "bearer", PAST),
    );
    nascfg.ok(&[
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
    let stored_token = |nascfg: &Nascfg| {
        let shown = nascfg.json(&["cred", "show", "box", "--reveal"]);
        let text = shown["provider"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token in {shown}"))
            .to_owned();
        OAuthToken::parse(&text).unwrap()
    };

    // The expired token is refreshed; Box rotates refresh tokens, so the new pair must be saved.
    let run = nascfg.run(&["cred", "verify", "box", "--endpoint-override", server.url()]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let saved = stored_token(&nascfg);
    assert_eq!(
        saved.access_token().expose_secret(),
        server.book.issued_access()[0]
    );
    assert_eq!(
        saved.refresh_token().unwrap().expose_secret(),
        server.book.issued_refresh()[0]
    );
    assert!(!saved.is_expired_at(time_now()));

    // Verifying again (the override given through NASCFG_VERIFY_ENDPOINT this time) uses the saved
    // token as it is: no further refresh.
    let output = nascfg
        .cmd()
        .env("NASCFG_VERIFY_ENDPOINT", server.url())
        .args(["cred", "verify", "box"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(server.book.issued_access().len(), 1);

    // A refresh token that was spent (the original one) is refused: exit 1, invalid_grant, no secrets,
    // and the stored token is left as it was.
    let revoked_file = nascfg.write_file(
        "revoked.json",
        token_json(WRONG_ACCESS, Some(REFRESH), "bearer", PAST),
    );
    nascfg.ok(&[
        "cred",
        "update",
        "box",
        "--set",
        &format!("token=@{revoked_file}"),
    ]);
    let run = nascfg.fail(&["cred", "verify", "box", "--endpoint-override", server.url()]);
    let transcript = run.transcript();
    assert!(transcript.contains("invalid_grant"), "{transcript}");
    for secret in SECRETS.iter().chain(
        [
            server.book.issued_access()[0].as_str(),
            server.book.issued_refresh()[0].as_str(),
        ]
        .iter(),
    ) {
        assert!(
            !transcript.contains(secret),
            "secret {secret:?} in:\n{transcript}"
        );
    }
    assert_eq!(
        stored_token(&nascfg)
            .refresh_token()
            .unwrap()
            .expose_secret(),
        REFRESH
    );
}
