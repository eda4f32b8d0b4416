//! Arbitrary bytes -> serde_json -> `Credential::from_api_json` (validation)
//! -> `to_api_json` in both shapes -> parsed again, unchanged; plus the two
//! JSON documents that live in secret fields. Nothing may panic, and what
//! Debug, Display and the redacted JSON show must not depend on secret values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nascfg_credentials::{
    Credential, DocumentKind, FieldKind, OAuthToken, REDACTED, Reveal, ServiceAccountKey, Shape,
};
use serde_json::Value;

/// A valid stand-in for a secret of this kind, different from most inputs.
fn stand_in(kind: FieldKind) -> Value {
    match kind {
        FieldKind::JsonDocument(DocumentKind::OAuthToken) => {
            Value::from(r#"{"access_token":"stand-in"}"#)
        }
        FieldKind::JsonDocument(_) => Value::from(
            serde_json::json!({"type": "service_account", "project_id": "p", "client_email": "e",
                "private_key": "-----BEGIN PRIVATE KEY-----\nMAAAAA==\n-----END PRIVATE KEY-----"})
            .to_string(),
        ),
        _ => Value::from("stand-in"),
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = OAuthToken::parse(text).map(|t| (format!("{t:?}"), t.to_json_string()));
        let _ = ServiceAccountKey::parse(text).map(|k| format!("{k:?}"));
    }
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let cred = match Credential::from_api_json(&value) {
        Ok(cred) => cred,
        Err(err) => {
            let _ = err.to_string();
            return;
        }
    };
    let _ = cred.warnings();
    for shape in [Shape::Current, Shape::Legacy] {
        let json = cred.to_api_json(shape, Reveal::Revealed);
        let again = Credential::from_api_json(&json).expect("a valid credential reads back");
        assert!(
            again == cred,
            "round trip through {shape:?} changed the credential"
        );
    }

    // The same credential with every secret swapped for a stand-in: its
    // redacted renderings must be identical, so none can carry a secret.
    let spec = cred.provider().spec();
    let mut revealed = cred.to_api_json(Shape::Current, Reveal::Revealed);
    let mut redacted = cred.to_api_json(Shape::Current, Reveal::Redacted);
    if let (Some(attrs), Some(shown)) = (
        revealed["provider"].as_object_mut(),
        redacted["provider"].as_object_mut(),
    ) {
        for (name, _) in cred.secret_attributes() {
            let field = spec
                .field(name)
                .expect("a secret attribute is a catalog field");
            attrs.insert(name.to_owned(), stand_in(field.kind()));
            assert_eq!(shown.get(name), Some(&Value::from(REDACTED)));
        }
    }
    let other = Credential::from_api_json(&revealed).expect("stand-ins are valid");
    assert_eq!(format!("{cred:?}"), format!("{other:?}"));
    assert_eq!(cred.to_string(), other.to_string());
    assert_eq!(
        redacted,
        other.to_api_json(Shape::Current, Reveal::Redacted)
    );
});
