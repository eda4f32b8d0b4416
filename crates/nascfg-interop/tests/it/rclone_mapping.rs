//! Credentials to rclone sections and back: the values of providers.md, and
//! a property test that export -> rclone.conf text -> import gives the same
//! credential for every field rclone carries.

#![allow(clippy::unwrap_used)] // tests may unwrap

use nascfg_credentials::{Credential, ProviderKind, Reveal, Shape};
use nascfg_interop::rclone::{self, Conf, Target};
use proptest::prelude::*;
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Map, Value, json};

fn cred(name: &str, kind: ProviderKind, attrs: Value) -> Credential {
    let Value::Object(map) = attrs else {
        panic!("attrs must be an object")
    };
    Credential::new(name, kind, map).unwrap()
}

fn section_of(c: &Credential) -> Conf {
    let mut conf = Conf::new();
    conf.push(rclone::section_from_credential(c, c.name(), None, Target::default()).unwrap());
    // Through the text, as rclone and our reader see it.
    Conf::parse(conf.to_text().as_bytes(), None).unwrap()
}

fn get<'a>(conf: &'a Conf, name: &str, key: &str) -> Option<&'a str> {
    conf.section(name).unwrap().get(key)
}

#[test]
fn value_mappings_of_providers_md() {
    let s3 = cred(
        "s3",
        ProviderKind::S3,
        json!({"access_key_id": "AKIA1", "secret_access_key": "a/b+c", "signatures_v2": true, "max_upload_parts": 1000}),
    );
    let conf = section_of(&s3);
    assert_eq!(get(&conf, "s3", "type"), Some("s3"));
    assert_eq!(get(&conf, "s3", "provider"), Some("AWS"));
    assert_eq!(get(&conf, "s3", "v2_auth"), Some("true"));
    assert_eq!(get(&conf, "s3", "max_upload_parts"), Some("1000"));
    assert_eq!(get(&conf, "s3", "secret_access_key"), Some("a/b+c"));
    let other = cred(
        "o",
        ProviderKind::S3,
        json!({"access_key_id": "k", "secret_access_key": "s", "endpoint": "http://127.0.0.1:9000"}),
    );
    assert_eq!(get(&section_of(&other), "o", "provider"), Some("Other"));

    for (given, written) in [
        ("PERSONAL", "personal"),
        ("BUSINESS", "business"),
        ("DOCUMENT_LIBRARY", "documentLibrary"),
    ] {
        let od = cred(
            "od",
            ProviderKind::OneDrive,
            json!({"token": TOKEN, "drive_type": given, "drive_id": "b!abc"}),
        );
        let conf = section_of(&od);
        assert_eq!(get(&conf, "od", "drive_type"), Some(written));
        let (back, _) = rclone::credential_from_section(conf.section("od").unwrap()).unwrap();
        assert_eq!(back, od);
    }

    let ftp = cred(
        "f",
        ProviderKind::Ftp,
        json!({"host": "h", "user": "u", "pass": "potato"}),
    );
    let conf = section_of(&ftp);
    assert_ne!(get(&conf, "f", "pass"), Some("potato"));
    assert_eq!(
        rclone::reveal(get(&conf, "f", "pass").unwrap())
            .unwrap()
            .expose_secret(),
        "potato"
    );

    let dav = cred(
        "d",
        ProviderKind::Webdav,
        json!({"url": "https://dav.example.com/x", "vendor": "NEXTCLOUD", "user": "", "pass": "p"}),
    );
    let conf = section_of(&dav);
    assert_eq!(get(&conf, "d", "vendor"), Some("nextcloud"));
    assert_eq!(get(&conf, "d", "user"), Some(""));

    let hubic = cred("h", ProviderKind::Hubic, json!({"token": TOKEN}));
    assert!(rclone::section_from_credential(&hubic, "h", None, Target::default()).is_err());
    let mega = cred(
        "m",
        ProviderKind::Mega,
        json!({"user": "u@example.com", "pass": "p"}),
    );
    assert!(rclone::section_from_credential(&mega, "m", None, Target { has_mega: false }).is_err());
    assert!(rclone::section_from_credential(&mega, "m", None, Target { has_mega: true }).is_ok());
}

#[test]
fn import_reads_v2_region_and_skips_other_backends() {
    let text = "[v2]\ntype = s3\nprovider = Other\naccess_key_id = k\nsecret_access_key = s\nregion = other-v2-signature\nendpoint = http://127.0.0.1:1\nacl = private\n\n[c]\ntype = crypt\nremote = x:\n";
    let conf = Conf::parse(text.as_bytes(), None).unwrap();
    let (c, _) = rclone::credential_from_section(conf.section("v2").unwrap()).unwrap();
    assert_eq!(c.boolean("signatures_v2"), Some(true));
    assert_eq!(c.text("region"), Some(""));
    let err = rclone::credential_from_section(conf.section("c").unwrap()).unwrap_err();
    assert!(err.contains("crypt"), "{err}");
}

#[test]
fn gcs_on_one_line_with_project_number() {
    let key = format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"proj-1\",\n  \"client_email\": \"a@proj-1.iam.gserviceaccount.com\",\r\n  \"private_key\": {}\n}}\n",
        serde_json::to_string(RSA_PEM).unwrap()
    );
    let gcs = cred(
        "g",
        ProviderKind::GoogleCloudStorage,
        json!({"service_account_credentials": key}),
    );
    let conf = section_of(&gcs);
    assert_eq!(get(&conf, "g", "type"), Some("google cloud storage"));
    assert_eq!(get(&conf, "g", "project_number"), Some("proj-1"));
    let one_line = get(&conf, "g", "service_account_credentials").unwrap();
    assert!(!one_line.contains(['\n', '\r']));
    let parsed: Value = serde_json::from_str(one_line).unwrap();
    assert_eq!(parsed["private_key"], RSA_PEM);
}

#[test]
fn sftp_key_as_key_pem() {
    let sftp = cred(
        "s",
        ProviderKind::Sftp,
        json!({"host": "h", "user": "u", "private_key": "s"}),
    );
    let pem = SecretString::from(ED25519_PEM.to_owned());
    let section =
        rclone::section_from_credential(&sftp, "s", Some(&pem), Target::default()).unwrap();
    let key_pem = section.get("key_pem").unwrap();
    assert!(!key_pem.contains('\n') && key_pem.contains("\\n"));
    let (back, key) = rclone::credential_from_section(&section).unwrap();
    assert_eq!(back, sftp);
    assert_eq!(key.unwrap().expose_secret(), ED25519_PEM);
}

const TOKEN: &str = r#"{"access_token":"ya29.x","token_type":"Bearer","refresh_token":"1//r","expiry":"2030-01-01T00:00:00Z"}"#;
const RSA_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAtestonly\n-----END PRIVATE KEY-----\n";
/// Not a usable key: the mapping only moves the text.
const ED25519_PEM: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABtestonly\n-----END OPENSSH PRIVATE KEY-----\n";

// ---- the round trip as a property ----

/// Printable ASCII without surrounding spaces (plus, sometimes, spaces
/// inside): the values people put in these fields.
fn word() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_./+=-]{1,24}"
}
fn secret() -> impl Strategy<Value = String> {
    prop_oneof!["[!-~]{1,40}", "[!-~][ -~]{0,30}[!-~]", " [!-~]{1,10} "]
        .prop_filter("no backquote", |s| !s.contains('`'))
}
fn host() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,10}(\\.[a-z]{2,6}){0,2}"
}
fn url() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("http"), Just("https")],
        host(),
        "(/[a-z0-9]{1,8}){0,2}",
    )
        .prop_map(|(s, h, p)| format!("{s}://{h}{p}"))
}
fn token() -> impl Strategy<Value = String> {
    (word(), word()).prop_map(|(a, r)| {
        json!({"access_token": a, "token_type": "Bearer", "refresh_token": r, "expiry": "2030-01-01T00:00:00Z"}).to_string()
    })
}
fn opt(s: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), s]
}

fn attrs(kind: ProviderKind) -> BoxedStrategy<Map<String, Value>> {
    use ProviderKind as P;
    let obj = |v: Value| match v {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    match kind {
        P::S3 => (word(), secret(), opt(url()), prop_oneof![Just(""), Just("us-east-1"), Just("eu-west-2")], any::<bool>(), 1..=10000i64)
            .prop_map(move |(k, s, e, r, v2, parts)| {
                obj(json!({"access_key_id": k, "secret_access_key": s, "endpoint": e, "region": r, "signatures_v2": v2, "max_upload_parts": parts}))
            })
            .boxed(),
        P::B2 => (word(), secret()).prop_map(move |(a, k)| obj(json!({"account": a, "key": k}))).boxed(),
        P::Ftp | P::Sftp => (host(), 1..=65535i64, word(), prop_oneof![Just(String::new()), secret()])
            .prop_map(move |(h, p, u, pw)| {
                let mut m = obj(json!({"host": h, "port": p, "user": u, "pass": pw}));
                // rclone has no "empty SFTP password": none is written, none comes back.
                if kind == P::Sftp && pw.is_empty() {
                    m.remove("pass");
                }
                m
            })
            .boxed(),
        P::Webdav => (url(), prop_oneof![Just("NEXTCLOUD"), Just("OWNCLOUD"), Just("SHAREPOINT"), Just("OTHER")], opt(word()), secret())
            .prop_map(move |(url, v, u, p)| obj(json!({"url": url, "vendor": v, "user": u, "pass": p})))
            .boxed(),
        P::Http => url().prop_map(move |u| obj(json!({"url": u}))).boxed(),
        P::Mega => (word(), secret()).prop_map(move |(u, p)| obj(json!({"user": u, "pass": p}))).boxed(),
        P::AzureBlob => ("[a-z0-9]{3,20}", "[A-Za-z0-9+/]{20}==", opt(url()))
            .prop_map(move |(a, k, e)| obj(json!({"account": a, "key": k, "endpoint": e})))
            .boxed(),
        P::OneDrive => (opt(word()), opt(secret()), token(), prop_oneof![Just("PERSONAL"), Just("BUSINESS"), Just("DOCUMENT_LIBRARY")], word())
            .prop_map(move |(ci, cs, t, dt, di)| obj(json!({"client_id": ci, "client_secret": cs, "token": t, "drive_type": dt, "drive_id": di})))
            .boxed(),
        P::GoogleDrive => (opt(word()), opt(secret()), token(), opt(word()))
            .prop_map(move |(ci, cs, t, td)| obj(json!({"client_id": ci, "client_secret": cs, "token": t, "team_drive": td})))
            .boxed(),
        P::Pcloud => (opt(word()), opt(secret()), token(), prop_oneof![Just(""), Just("api.pcloud.com"), Just("eapi.pcloud.com")])
            .prop_map(move |(ci, cs, t, h)| obj(json!({"client_id": ci, "client_secret": cs, "token": t, "hostname": h})))
            .boxed(),
        P::OpenstackSwift => (
            word(),
            secret(),
            url(),
            prop_oneof![Just(Value::Null), Just(json!(1)), Just(json!(2)), Just(json!(3))],
            prop_oneof![Just(Value::Null), Just(json!("public")), Just(json!("internal")), Just(json!("admin"))],
            opt(word()),
            opt(word()),
        )
            .prop_map(move |(u, k, a, v, e, t, r)| {
                obj(json!({"user": u, "key": k, "auth": a, "auth_version": v, "endpoint_type": e, "tenant": t, "region": r}))
            })
            .boxed(),
        // Box, Dropbox, Google Photos, Yandex: the OAuth fields.
        _ => (opt(word()), opt(secret()), token())
            .prop_map(move |(ci, cs, t)| obj(json!({"client_id": ci, "client_secret": cs, "token": t})))
            .boxed(),
    }
}

fn exportable() -> impl Strategy<Value = Credential> {
    let kinds: Vec<ProviderKind> = ProviderKind::ALL
        .into_iter()
        .filter(|k| !matches!(k, ProviderKind::Hubic | ProviderKind::GoogleCloudStorage))
        .collect();
    (
        proptest::sample::select(kinds),
        "[A-Za-z0-9][A-Za-z0-9_.@+-]{0,20}",
    )
        .prop_flat_map(|(kind, name)| attrs(kind).prop_map(move |a| (kind, name.clone(), a)))
        .prop_filter_map("valid credential", |(kind, name, a)| {
            Credential::new(&name, kind, a).ok()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn export_then_import_gives_the_same_credential(c in exportable()) {
        let section = rclone::section_from_credential(&c, c.name(), None, Target::default()).unwrap();
        let mut conf = Conf::new();
        conf.push(section);
        let text = conf.to_text();
        let read = Conf::parse(text.as_bytes(), None).unwrap();
        let (back, key) = rclone::credential_from_section(read.section(c.name()).unwrap()).unwrap();
        prop_assert!(key.is_none());
        prop_assert_eq!(
            back.to_api_json(Shape::Current, Reveal::Revealed),
            c.to_api_json(Shape::Current, Reveal::Revealed)
        );
    }
}
