//! Property tests: any valid credential of any provider survives both TrueNAS
//! JSON shapes unchanged, and no secret value shows in Debug, Display or the
//! redacted JSON.
//!
//! Every generated secret contains the marker `Zq`; plain values are drawn
//! from alphabets without `Z`, so `Zq` in any redacted output is a leak.

use nascfg_credentials::{
    Credential, DocumentKind, FieldKind, FieldSpec, ProviderKind, Reveal, Shape,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const MARK: &str = "Zq";

fn secret_text(field: &'static str) -> BoxedStrategy<String> {
    // S3 keys: no whitespace; others may have inner spaces.
    let pattern = if field.ends_with("key_id") || field == "secret_access_key" {
        "[A-Za-z0-9/+=]{4,40}"
    } else {
        "[A-Za-z0-9/+=!#. -]{0,40}"
    };
    pattern.prop_map(|s| format!("{MARK}{s}")).boxed()
}

fn token_json() -> BoxedStrategy<String> {
    (
        "[A-Za-z0-9._-]{1,40}",
        proptest::option::of("[A-Za-z0-9/._-]{1,40}"),
        prop_oneof![Just("Bearer"), Just("bearer"), Just("OAuth")],
        proptest::option::of(0i64..4_000_000_000),
    )
        .prop_map(|(access, refresh, token_type, expiry)| {
            let mut t = Map::new();
            t.insert("access_token".into(), json!(format!("{MARK}{access}")));
            t.insert("token_type".into(), json!(token_type));
            if let Some(r) = refresh {
                t.insert("refresh_token".into(), json!(format!("{MARK}{r}")));
            }
            let expiry = match expiry {
                Some(secs) => time::OffsetDateTime::from_unix_timestamp(secs)
                    .unwrap()
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap(),
                None => "0001-01-01T00:00:00Z".to_owned(),
            };
            t.insert("expiry".into(), json!(expiry));
            Value::Object(t).to_string()
        })
        .boxed()
}

fn service_account_json() -> BoxedStrategy<String> {
    ("[a-y][a-y0-9-]{2,20}", "[A-Za-z0-9+/]{8,64}")
        .prop_map(|(project, key)| {
            json!({
                "type": "service_account",
                "project_id": project,
                "client_email": format!("nas@{project}.iam.gserviceaccount.com"),
                "private_key": format!("-----BEGIN PRIVATE KEY-----\nMIIE{MARK}{key}\n-----END PRIVATE KEY-----\n"),
            })
            .to_string()
        })
        .boxed()
}

fn any_case(allowed: &'static [&'static str]) -> BoxedStrategy<String> {
    (proptest::sample::select(allowed), any::<bool>())
        .prop_map(|(v, lower)| {
            if lower {
                v.to_lowercase()
            } else {
                v.to_owned()
            }
        })
        .boxed()
}

fn plain_text(f: &'static FieldSpec) -> BoxedStrategy<String> {
    let pattern = match f.name() {
        "host" | "hostname" => "[a-y][a-y0-9-]{0,20}\\.example",
        "account" => "[a-y0-9][a-y0-9.-]{0,23}",
        _ if f.empty_allowed() => "[a-y0-9 ._@:-]{0,40}",
        _ => "[a-y0-9._@:-][a-y0-9 ._@:-]{0,40}",
    };
    pattern.boxed()
}

fn value_for(f: &'static FieldSpec) -> BoxedStrategy<Value> {
    match f.kind() {
        FieldKind::JsonDocument(DocumentKind::OAuthToken) => {
            token_json().prop_map(Value::from).boxed()
        }
        FieldKind::JsonDocument(_) => service_account_json().prop_map(Value::from).boxed(),
        FieldKind::Text { .. } if f.secret() => secret_text(f.name()).prop_map(Value::from).boxed(),
        FieldKind::Text { .. } => plain_text(f).prop_map(Value::from).boxed(),
        FieldKind::Integer { min, max } => (min..=max).prop_map(Value::from).boxed(),
        FieldKind::Port => (1i64..=65535).prop_map(Value::from).boxed(),
        FieldKind::Boolean => any::<bool>().prop_map(Value::from).boxed(),
        FieldKind::Url => (
            "https?",
            "[a-y][a-y0-9-]{0,15}",
            proptest::option::of(1u16..),
            "[a-y0-9/._-]{0,20}",
        )
            .prop_map(|(scheme, host, port, path)| {
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                Value::from(format!("{scheme}://{host}.example{port}/{path}"))
            })
            .boxed(),
        FieldKind::Enum { allowed } => any_case(allowed).prop_map(Value::from).boxed(),
        FieldKind::KeyPairRef => "[a-y][a-y0-9 _-]{0,30}".prop_map(Value::from).boxed(),
        FieldKind::NullableInteger { allowed } => {
            proptest::option::of(proptest::sample::select(allowed))
                .prop_map(|v| v.map_or(Value::Null, Value::from))
                .boxed()
        }
        FieldKind::NullableEnum { allowed } => proptest::option::of(any_case(allowed))
            .prop_map(|v| v.map_or(Value::Null, Value::from))
            .boxed(),
    }
}

/// A valid attribute map for `kind`: every required field, optional ones sometimes.
fn attributes(kind: ProviderKind) -> BoxedStrategy<Map<String, Value>> {
    let parts: Vec<BoxedStrategy<Option<(String, Value)>>> = kind
        .spec()
        .fields()
        .iter()
        .map(|f| {
            let name = f.name().to_owned();
            let value = value_for(f);
            if f.required() {
                value.prop_map(move |v| Some((name.clone(), v))).boxed()
            } else {
                proptest::option::of(value)
                    .prop_map(move |v| v.map(|v| (name.clone(), v)))
                    .boxed()
            }
        })
        .collect();
    parts
        .prop_map(|pairs| pairs.into_iter().flatten().collect())
        .boxed()
}

fn credential() -> impl Strategy<Value = Credential> {
    (
        proptest::sample::select(ProviderKind::ALL.to_vec()),
        "[a-y0-9][a-y0-9 ._-]{0,40}",
    )
        .prop_flat_map(|(kind, name)| {
            attributes(kind).prop_map(move |attrs| {
                Credential::new(&name, kind, attrs.clone())
                    .unwrap_or_else(|e| panic!("generated {kind} {attrs:?} is invalid:\n{e}"))
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn round_trips_through_both_shapes(cred in credential()) {
        for shape in [Shape::Current, Shape::Legacy] {
            let json = cred.to_api_json(shape, Reveal::Revealed);
            let again = Credential::from_api_json(&json).unwrap();
            prop_assert_eq!(&again, &cred);
            prop_assert_eq!(again.to_api_json(shape, Reveal::Revealed), json);
        }
        let secrets = cred.secret_attributes().into_iter().map(|(k, s)| (k.to_owned(), s.clone())).collect();
        let rebuilt = Credential::from_parts(cred.name(), cred.provider(), cred.plain_attributes(), secrets).unwrap();
        prop_assert_eq!(&rebuilt, &cred);
        prop_assert_eq!(&cred.updated(Map::new()).unwrap(), &cred);
    }

    #[test]
    fn secrets_never_show(cred in credential()) {
        let redacted = [
            format!("{cred:?}"),
            format!("{cred}"),
            cred.to_api_json(Shape::Current, Reveal::Redacted).to_string(),
            cred.to_api_json(Shape::Legacy, Reveal::Redacted).to_string(),
            Value::Object(cred.plain_attributes()).to_string(),
            cred.warnings().join("\n"),
        ];
        for text in &redacted {
            prop_assert!(!text.contains(MARK), "secret leaked: {}", text);
        }
        // The marker is really there when revealed (the test can see a leak).
        if !cred.secret_attributes().is_empty() {
            prop_assert!(cred.to_api_json(Shape::Current, Reveal::Revealed).to_string().contains(MARK));
        }
    }
}
