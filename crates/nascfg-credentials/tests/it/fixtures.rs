//! Data-driven tests: one JSON file per provider in `tests/fixtures/`, with
//! `valid` cases (input -> normalized output, warnings) and `invalid` cases
//! (input -> the exact `field: message` errors).

use std::path::{Path, PathBuf};

use nascfg_credentials::{Credential, Error, ProviderKind, Reveal, Shape};
use serde_json::Value;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn load(kind: ProviderKind) -> Value {
    let path = fixtures_dir().join(format!("{}.json", kind.type_str()));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cases<'a>(file: &'a Value, key: &str) -> &'a Vec<Value> {
    file[key]
        .as_array()
        .unwrap_or_else(|| panic!("fixture has no {key:?} array"))
}

fn error_lines(err: &Error) -> Vec<String> {
    match err {
        Error::Invalid(errors) => errors.iter().map(|e| e.to_string()).collect(),
        other => vec![other.to_string()],
    }
}

/// Checks one valid case: it parses, normalizes to `output`, warns exactly
/// `warnings`, and reads back the same from both shapes.
fn check_valid(kind: ProviderKind, case: &Value) {
    let name = case["case"].as_str().unwrap_or("?");
    let cred = Credential::from_api_json(&case["input"])
        .unwrap_or_else(|e| panic!("{kind} {name:?}: should be valid, got:\n{e}"));
    assert_eq!(cred.provider(), kind, "{name}");
    let out = cred.to_api_json(Shape::Current, Reveal::Revealed);
    assert_eq!(out, case["output"], "{kind} {name:?}: normalized output");
    let expected_warnings: Vec<String> = case["warnings"]
        .as_array()
        .map(|w| w.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    assert_eq!(
        cred.warnings(),
        expected_warnings,
        "{kind} {name:?}: warnings"
    );
    for shape in [Shape::Current, Shape::Legacy] {
        let again = Credential::from_api_json(&cred.to_api_json(shape, Reveal::Revealed)).unwrap();
        assert_eq!(again, cred, "{kind} {name:?}: round trip through {shape:?}");
    }
}

/// Checks one invalid case: it fails with exactly `errors`; returns the error text.
fn check_invalid(kind: ProviderKind, case: &Value) -> String {
    let name = case["case"].as_str().unwrap_or("?");
    let err = match Credential::from_api_json(&case["input"]) {
        Ok(c) => panic!("{kind} {name:?}: should be invalid, got {c:?}"),
        Err(e) => e,
    };
    let expected: Vec<String> = case["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(error_lines(&err), expected, "{kind} {name:?}: errors");
    format!("## {name}\n{err}\n")
}

#[test]
fn every_provider_has_a_fixture_file() {
    let mut files: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 18);
    let mut expected: Vec<String> = ProviderKind::ALL
        .iter()
        .map(|k| format!("{}.json", k.type_str()))
        .collect();
    expected.sort();
    assert_eq!(files, expected);
}

#[test]
fn fixtures() {
    let mut files = 0;
    for kind in ProviderKind::ALL {
        let file = load(kind);
        assert_eq!(file["provider"], kind.type_str());
        let valid = cases(&file, "valid");
        let invalid = cases(&file, "invalid");
        assert!(
            !valid.is_empty() && !invalid.is_empty(),
            "{kind}: needs valid and invalid cases"
        );
        for case in valid {
            check_valid(kind, case);
        }
        let mut text = String::new();
        for case in invalid {
            text.push_str(&check_invalid(kind, case));
        }
        insta::assert_snapshot!(format!("errors_{}", kind.type_str()), text);
        files += 1;
    }
    assert_eq!(files, 18);
}
