//! The two TrueNAS API shapes, and documents that are neither.

use nascfg_credentials::{Credential, Error, ProviderKind, REDACTED, Reveal, Shape};
use serde_json::{Map, Value, json};

fn s3() -> Credential {
    Credential::from_api_json(&json!({"name": "aws", "provider": {"type": "S3",
        "access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}}))
    .unwrap()
}

fn err_text(doc: Value) -> String {
    match Credential::from_api_json(&doc) {
        Ok(c) => panic!("should fail: {c:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn both_shapes_are_written() {
    let cred = s3();
    insta::assert_json_snapshot!(cred.to_api_json(Shape::Current, Reveal::Redacted), @r#"
    {
      "name": "aws",
      "provider": {
        "type": "S3",
        "access_key_id": "********",
        "secret_access_key": "********",
        "endpoint": "",
        "region": "",
        "skip_region": false,
        "signatures_v2": false,
        "max_upload_parts": 10000
      }
    }
    "#);
    let legacy = cred.to_api_json(Shape::Legacy, Reveal::Revealed);
    assert_eq!(legacy["provider"], "S3");
    assert_eq!(
        legacy["attributes"]["secret_access_key"],
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    );
}

#[test]
fn documents_that_are_not_credentials() {
    let cases = [
        (
            json!([1]),
            "not a credential document: expected a JSON object with \"name\" and \"provider\" (got an array)",
        ),
        (json!({"name": "x"}), "provider: field required"),
        (
            json!({"name": "x", "provider": 3}),
            "provider: must be a type string or an object with \"type\" (got a number)",
        ),
        (
            json!({"name": "x", "provider": {"region": "x"}}),
            "provider: missing \"type\"",
        ),
        (
            json!({"name": "x", "provider": {"type": 1}}),
            "provider: \"type\" must be a string (got a number)",
        ),
        (
            json!({"name": "x", "provider": "S3", "attributes": [1]}),
            "attributes: must be an object (got an array)",
        ),
        (
            json!({"name": "x", "provider": {"type": "HTTP", "url": "http://a.example"}, "attributes": {}}),
            "attributes: not allowed when \"provider\" is an object (put the attributes in it)",
        ),
        (
            json!({"name": 5, "provider": {"type": "HTTP", "url": "http://a.example"}, "extra": 1}),
            "name: must be a string (got a number)\nextra: unknown field (known fields: name, provider, attributes)",
        ),
        (
            json!({"provider": "HTTP", "attributes": {"url": "x"}}),
            "name: field required\nurl: must be an http or https URL (got \"x\")",
        ),
    ];
    for (doc, expected) in cases {
        assert_eq!(err_text(doc.clone()), expected, "{doc}");
    }
}

#[test]
fn unknown_provider() {
    let err = Credential::from_api_json(&json!({"name": "x", "provider": {"type": "DRIVE"}}))
        .unwrap_err();
    assert!(matches!(err, Error::UnknownProvider { ref given } if given == "DRIVE"));
    insta::assert_snapshot!(err.to_string(), @r#"unknown provider "DRIVE" (known: S3, B2, BOX, DROPBOX, FTP, GOOGLE_CLOUD_STORAGE, GOOGLE_DRIVE, GOOGLE_PHOTOS, HTTP, HUBIC, MEGA, AZUREBLOB, ONEDRIVE, OPENSTACK_SWIFT, PCLOUD, SFTP, WEBDAV, YANDEX)"#);
}

#[test]
fn redaction_everywhere() {
    let cred = s3();
    let debug = format!("{cred:?}");
    let display = format!("{cred}");
    assert!(
        !debug.contains("EXAMPLEKEY") && !debug.contains("AKIAIOSFODNN7"),
        "{debug}"
    );
    assert!(!display.contains("EXAMPLEKEY"), "{display}");
    insta::assert_snapshot!(display, @r#"aws (S3): access_key_id=********, secret_access_key=********, endpoint="", region="", skip_region=false, signatures_v2=false, max_upload_parts=10000"#);
    assert_eq!(cred.plain_attributes().get("access_key_id"), None);
    let secrets: Vec<&str> = cred.secret_attributes().iter().map(|(k, _)| *k).collect();
    assert_eq!(secrets, ["access_key_id", "secret_access_key"]);
    assert_eq!(REDACTED, "********");
}

#[test]
fn parts_update_and_rename() {
    let cred = s3();
    let secrets = cred
        .secret_attributes()
        .into_iter()
        .map(|(k, s)| (k.to_owned(), s.clone()))
        .collect();
    let rebuilt = Credential::from_parts(
        cred.name(),
        cred.provider(),
        cred.plain_attributes(),
        secrets,
    )
    .unwrap();
    assert_eq!(rebuilt, cred);

    let mut changes = Map::new();
    changes.insert("region".into(), json!("eu-west-1"));
    changes.insert("max_upload_parts".into(), json!(500));
    let updated = cred.updated(changes).unwrap();
    assert_eq!(updated.text("region"), Some("eu-west-1"));
    assert_eq!(updated.integer("max_upload_parts"), Some(500));
    assert_eq!(
        updated.get("secret_access_key"),
        cred.get("secret_access_key")
    );

    let mut reset = Map::new();
    reset.insert("max_upload_parts".into(), Value::Null);
    assert_eq!(
        updated.updated(reset).unwrap().integer("max_upload_parts"),
        Some(10000)
    );

    let mut remove_required = Map::new();
    remove_required.insert("access_key_id".into(), Value::Null);
    remove_required.insert("nonsense".into(), Value::Null);
    let err = cred.updated(remove_required).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "access_key_id: field required\nnonsense: unknown field for S3 (known fields: {})",
            "access_key_id, secret_access_key, endpoint, region, skip_region, signatures_v2, max_upload_parts"
        )
    );

    assert_eq!(cred.renamed("new name").unwrap().name(), "new name");
    assert_eq!(
        cred.renamed("").unwrap_err().to_string(),
        "name: must not be empty"
    );
    assert_eq!(
        cred.renamed("new name").unwrap().provider(),
        ProviderKind::S3
    );
}

#[test]
fn from_parts_rejects_bad_storage() {
    let mut plain = Map::new();
    plain.insert("host".into(), json!("h"));
    plain.insert("user".into(), json!("u"));
    let ok = Credential::from_parts(
        "ftp",
        ProviderKind::Ftp,
        plain.clone(),
        vec![("pass".into(), "".into())],
    )
    .unwrap();
    assert_eq!(ok.integer("port"), Some(21));
    let err = Credential::from_parts("ftp", ProviderKind::Ftp, plain, vec![]).unwrap_err();
    assert_eq!(err.to_string(), "pass: field required");
}
