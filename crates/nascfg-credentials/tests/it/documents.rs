//! OAuth tokens and service-account keys.

use nascfg_credentials::secrecy::{ExposeSecret, SecretString};
use nascfg_credentials::{OAuthToken, ServiceAccountKey};
use time::macros::datetime;

const TOKEN: &str = r#"{"access_token":"ya29.a0Af","token_type":"Bearer","refresh_token":"1//0g","expiry":"2026-11-27T10:00:00.123+01:00","id_token":"eyJ.x.y"}"#;

#[test]
fn token_parse_and_expiry() {
    let t = OAuthToken::parse(TOKEN).unwrap();
    assert_eq!(t.access_token().expose_secret(), "ya29.a0Af");
    assert_eq!(t.refresh_token().unwrap().expose_secret(), "1//0g");
    assert_eq!(t.token_type(), "Bearer");
    let expiry = datetime!(2026-11-27 10:00:00.123 +01:00);
    assert_eq!(t.expiry(), Some(expiry));
    assert!(!t.is_expired_at(datetime!(2026-11-27 08:59:50.000 UTC)));
    assert!(
        t.is_expired_at(datetime!(2026-11-27 08:59:50.123 UTC)),
        "valid until 10 s before expiry"
    );
    assert!(t.is_expired_at(datetime!(2027-01-01 00:00:00 UTC)));
    // Unknown fields are kept, tokens never shown.
    let json: serde_json::Value = serde_json::from_str(t.to_json_string().expose_secret()).unwrap();
    assert_eq!(json["id_token"], "eyJ.x.y");
    assert_eq!(json["expiry"], "2026-11-27T10:00:00.123+01:00");
    let debug = format!("{t:?}");
    assert!(
        !debug.contains("ya29") && !debug.contains("1//0g") && !debug.contains("eyJ"),
        "{debug}"
    );
}

#[test]
fn token_zero_expiry_and_missing_fields() {
    let t = OAuthToken::parse(r#"{"access_token":"x","expiry":"0001-01-01T00:00:00Z"}"#).unwrap();
    assert_eq!(t.expiry(), None);
    assert!(!t.is_expired_at(datetime!(2100-01-01 00:00:00 UTC)));
    assert_eq!(t.token_type(), "");
    assert!(t.refresh_token().is_none());
    let err = OAuthToken::parse(r#"{"token_type":5}"#)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "token: missing \"access_token\"\ntoken: \"token_type\" must be a string (got a number)"
    );
    assert!(OAuthToken::parse("").is_err());
}

#[test]
fn token_refresh_keeps_the_refresh_token() {
    let t = OAuthToken::parse(TOKEN).unwrap();
    let new_expiry = datetime!(2026-11-27 11:00:00 UTC);
    let r = t.refreshed(SecretString::from("new-access"), None, Some(new_expiry));
    assert_eq!(r.access_token().expose_secret(), "new-access");
    assert_eq!(r.refresh_token().unwrap().expose_secret(), "1//0g");
    assert_eq!(r.expiry(), Some(new_expiry));
    let again = OAuthToken::parse(r.to_json_string().expose_secret()).unwrap();
    assert_eq!(again, r);
    let r2 = t.refreshed(
        SecretString::from("a2"),
        Some(SecretString::from("r2")),
        None,
    );
    assert_eq!(r2.refresh_token().unwrap().expose_secret(), "r2");
    let json: serde_json::Value =
        serde_json::from_str(r2.to_json_string().expose_secret()).unwrap();
    assert_eq!(json["expiry"], "0001-01-01T00:00:00Z");
}

#[test]
fn service_account_key() {
    let text = serde_json::json!({
        "type": "service_account", "project_id": "p1", "client_email": "a@p1.iam.gserviceaccount.com",
        "private_key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
    })
    .to_string();
    let key = ServiceAccountKey::parse(&text).unwrap();
    assert_eq!(key.project_id(), "p1");
    assert_eq!(key.client_email(), "a@p1.iam.gserviceaccount.com");
    assert_eq!(key.token_uri(), "https://oauth2.googleapis.com/token");
    assert!(
        key.private_key_pem()
            .expose_secret()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    assert!(!format!("{key:?}").contains("MIIE"));
    let err = ServiceAccountKey::parse("{}").unwrap_err().to_string();
    assert_eq!(err.lines().count(), 4, "{err}");
}

/// A `private_key` is refused at save unless it is PEM with a key-shaped body (base64 of DER
/// opening with a SEQUENCE); the markers alone are not enough.
#[test]
fn service_account_private_key_must_be_a_pem_key() {
    let check = |private_key: &str, ok: bool| {
        let text = serde_json::json!({
            "type": "service_account", "project_id": "p1",
            "client_email": "a@p1.iam.gserviceaccount.com", "private_key": private_key,
        })
        .to_string();
        let got = ServiceAccountKey::parse(&text);
        assert_eq!(
            got.is_ok(),
            ok,
            "{private_key:?}: {:?}",
            got.err().map(|e| e.to_string())
        );
    };
    let pem = |label: &str, body: &str| {
        format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
    };
    check(
        &pem(
            "PRIVATE KEY",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7",
        ),
        true,
    );
    check(
        &pem("RSA PRIVATE KEY", "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMx"),
        true,
    );
    check(&pem("PRIVATE KEY", "MIIE"), true);
    check(&pem("PRIVATE KEY", "paste your key here"), false);
    check(&pem("PRIVATE KEY", "not base64!"), false);
    check(&pem("PRIVATE KEY", ""), false);
    check(&pem("PRIVATE KEY", "AAAAAAAA"), false); // base64, but no DER SEQUENCE
    check(&pem("PRIVATE KEY", "MII"), false);
    check(
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n",
        false,
    );
    check("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", false);
}
