//! `nascfg providers [--json]` and `nascfg providers show TYPE [--json]`.

use nascfg_credentials::ProviderKind;
use nascfg_tests::cli::Nascfg;
use serde_json::json;

#[test]
fn list_as_table() {
    let nascfg = Nascfg::new();
    insta::assert_snapshot!(nascfg.ok(&["providers"]));
}

#[test]
fn list_as_json_has_exactly_the_18_types() {
    let nascfg = Nascfg::new();
    let list = nascfg.json(&["providers"]);
    let types: Vec<&str> = list
        .as_array()
        .expect("an array")
        .iter()
        .map(|p| p["type"].as_str().expect("a type string"))
        .collect();
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
    assert_eq!(
        list[0],
        json!({"type": "S3", "title": "Amazon S3", "oauth_login": false})
    );
    assert_eq!(list[2]["oauth_login"], true);
}

#[test]
fn show_s3_json_has_the_seven_fields_with_defaults() {
    let nascfg = Nascfg::new();
    let s3 = nascfg.json(&["providers", "show", "s3"]);
    let fields = s3["fields"].as_array().expect("fields");
    let summary: Vec<_> = fields
        .iter()
        .map(|f| {
            (
                f["name"].as_str().expect("name"),
                f.get("default").cloned(),
                f["secret"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("access_key_id", None, json!(true)),
            ("secret_access_key", None, json!(true)),
            ("endpoint", Some(json!("")), json!(false)),
            ("region", Some(json!("")), json!(false)),
            ("skip_region", Some(json!(false)), json!(false)),
            ("signatures_v2", Some(json!(false)), json!(false)),
            ("max_upload_parts", Some(json!(10000)), json!(false)),
        ]
    );
    insta::assert_json_snapshot!(s3);
}

#[test]
fn show_as_table() {
    let nascfg = Nascfg::new();
    insta::assert_snapshot!("show_S3", nascfg.ok(&["providers", "show", "S3"]));
    insta::assert_snapshot!(
        "show_OPENSTACK_SWIFT",
        nascfg.ok(&["providers", "show", "openstack_swift"])
    );
    insta::assert_snapshot!(
        "show_ONEDRIVE",
        nascfg.ok(&["providers", "show", "OneDrive"])
    );
}

#[test]
fn show_every_provider_matches_the_catalog() {
    let nascfg = Nascfg::new();
    for kind in ProviderKind::ALL {
        let shown = nascfg.json(&["providers", "show", kind.type_str()]);
        assert_eq!(shown["type"], kind.type_str());
        assert_eq!(shown["title"], kind.title());
        let names: Vec<&str> = shown["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["name"].as_str().expect("name"))
            .collect();
        let expected: Vec<&str> = kind.spec().fields().iter().map(|f| f.name()).collect();
        assert_eq!(names, expected, "{kind}");
        for f in shown["fields"].as_array().expect("fields") {
            for key in ["label", "kind", "required", "secret", "help"] {
                assert!(f.get(key).is_some(), "{kind} {}: no {key}", f["name"]);
            }
        }
    }
    let webdav = nascfg.json(&["providers", "show", "WEBDAV"]);
    assert_eq!(
        webdav["fields"][1]["allowed_values"],
        json!(["NEXTCLOUD", "OWNCLOUD", "SHAREPOINT", "OTHER"])
    );
    assert_eq!(webdav["fields"][2]["empty_allowed"], true);
}

#[test]
fn show_unknown_type_fails_with_a_hint() {
    let nascfg = Nascfg::new();
    let run = nascfg.fail(&["providers", "show", "DRIVE"]);
    assert!(run.stdout.is_empty());
    insta::assert_snapshot!(run.transcript());
    // With --json the error is a JSON object (issue 25.17), with the same hint.
    let run = nascfg.fail(&["--json", "providers", "show", "nope"]);
    assert!(
        run.stderr.contains("\"hint\":\"the providers are S3, B2,"),
        "{}",
        run.stderr
    );
}
