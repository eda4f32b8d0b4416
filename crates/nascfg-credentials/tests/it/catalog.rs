//! The catalog itself: the 18 providers and the facts the issue names.

use nascfg_credentials::{FieldKind, ProviderKind};
use serde_json::json;

#[test]
fn the_18_type_strings() {
    let types: Vec<&str> = ProviderKind::ALL.iter().map(|k| k.type_str()).collect();
    assert_eq!(
        types,
        [
            "S3",
            "B2",
            "BOX",
            "DROPBOX",
            "FTP",
            "GOOGLE_CLOUD_STORAGE",
            "GOOGLE_DRIVE",
            "GOOGLE_PHOTOS",
            "HTTP",
            "HUBIC",
            "MEGA",
            "AZUREBLOB",
            "ONEDRIVE",
            "OPENSTACK_SWIFT",
            "PCLOUD",
            "SFTP",
            "WEBDAV",
            "YANDEX"
        ]
    );
    for kind in ProviderKind::ALL {
        assert_eq!(kind.spec().kind(), kind);
        assert_eq!(kind.to_string(), kind.type_str());
        assert_eq!(
            kind.type_str()
                .to_lowercase()
                .parse::<ProviderKind>()
                .unwrap(),
            kind
        );
        assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.type_str()));
        assert_eq!(
            serde_json::from_value::<ProviderKind>(json!(kind.type_str())).unwrap(),
            kind
        );
        assert!(!kind.spec().fields().is_empty());
        for f in kind.spec().fields() {
            assert!(
                !f.help().is_empty() && !f.label().is_empty(),
                "{kind} {}",
                f.name()
            );
            if let FieldKind::JsonDocument(_) = f.kind() {
                assert!(f.secret(), "JSON documents are secret: {kind} {}", f.name());
            }
        }
    }
    assert!("nope".parse::<ProviderKind>().is_err());
}

#[test]
fn oauth_login_providers() {
    let oauth: Vec<&str> = ProviderKind::ALL
        .iter()
        .filter(|k| k.oauth_login())
        .map(|k| k.type_str())
        .collect();
    assert_eq!(
        oauth,
        [
            "BOX",
            "DROPBOX",
            "GOOGLE_DRIVE",
            "GOOGLE_PHOTOS",
            "ONEDRIVE",
            "PCLOUD",
            "YANDEX"
        ]
    );
}

#[test]
fn s3_fields_and_defaults() {
    let spec = ProviderKind::S3.spec();
    let fields: Vec<(&str, Option<serde_json::Value>, bool)> = spec
        .fields()
        .iter()
        .map(|f| (f.name(), f.default(), f.secret()))
        .collect();
    assert_eq!(
        fields,
        [
            ("access_key_id", None, true),
            ("secret_access_key", None, true),
            ("endpoint", Some(json!("")), false),
            ("region", Some(json!("")), false),
            ("skip_region", Some(json!(false)), false),
            ("signatures_v2", Some(json!(false)), false),
            ("max_upload_parts", Some(json!(10000)), false),
        ]
    );
    assert_eq!(
        spec.field("max_upload_parts").unwrap().label(),
        "Maximum Upload Parts"
    );
}

#[test]
fn value_from_text() {
    let port = ProviderKind::Ftp.spec().field("port").unwrap();
    assert_eq!(port.value_from_text("21").unwrap(), json!(21));
    assert_eq!(
        port.value_from_text("x").unwrap_err().to_string(),
        "port: must be an integer (got \"x\")"
    );
    let b = ProviderKind::S3.spec().field("skip_region").unwrap();
    assert_eq!(b.value_from_text("true").unwrap(), json!(true));
    assert_eq!(b.value_from_text("No").unwrap(), json!(false));
    assert!(b.value_from_text("maybe").is_err());
    let v = ProviderKind::OpenstackSwift
        .spec()
        .field("auth_version")
        .unwrap();
    assert_eq!(v.value_from_text("").unwrap(), json!(null));
    assert_eq!(v.value_from_text("3").unwrap(), json!(3));
    let e = ProviderKind::OpenstackSwift
        .spec()
        .field("endpoint_type")
        .unwrap();
    assert_eq!(e.value_from_text("null").unwrap(), json!(null));
    assert_eq!(e.value_from_text("Public").unwrap(), json!("Public"));
    let key = ProviderKind::S3.spec().field("secret_access_key").unwrap();
    assert_eq!(key.value_from_text("a/b+c").unwrap(), json!("a/b+c"));
}

#[test]
fn names() {
    use nascfg_credentials::validate_name;
    assert!(validate_name("backups to B2").is_ok());
    assert!(validate_name(&"é".repeat(100)).is_ok());
    assert_eq!(
        validate_name(&"é".repeat(101)).unwrap_err().to_string(),
        "name: must be at most 100 characters (got 101)"
    );
    assert_eq!(
        validate_name("   ").unwrap_err().to_string(),
        "name: must not be empty"
    );
    assert_eq!(
        validate_name("a\tb").unwrap_err().to_string(),
        "name: must not contain control characters"
    );
}
