//! The API's records of credentials (a query's, `get_instance`'s, the
//! writes' answers): as `Value`s (`revealed_entry`, `redacted_entry`), and
//! as JSON text written straight from what the store gave (`Revealed`,
//! `Redacted`), the same bytes as serialising those `Value`s (serde_json's
//! `preserve_order` keeps a map's keys in the order inserted, and these
//! write them in that order) without building a `Value` tree per record.
//! A full query of 10,000 credentials is mostly this work and the opening of
//! their secrets.

use nascfg_credentials::secrecy::ExposeSecret as _;
use nascfg_credentials::{AttrValue, Credential, REDACTED, Reveal, Shape};
use nascfg_store::CredentialSummary;
use serde::ser::{Serialize, SerializeMap as _, Serializer};
use serde_json::{Map, Value, json};

/// The key of a provider's type in the current shape; no catalog field has
/// this name (a test checks), so an attribute never takes its place.
const TYPE: &str = "type";

/// A credential without secrets, in TrueNAS's current shape with its id:
/// every secret that has a value as `********`, fields in the catalog's order.
pub(super) fn redacted_entry(s: &CredentialSummary) -> Value {
    let mut provider = Map::new();
    provider.insert("type".into(), Value::String(s.provider.type_str().into()));
    let fields = s.provider.spec().fields();
    for field in fields {
        let name = field.name();
        if let Some(v) = s.attributes.get(name) {
            provider.insert(name.into(), v.clone());
        } else if s.secret_fields.iter().any(|f| f == name) {
            provider.insert(name.into(), Value::String(REDACTED.into()));
        }
    }
    for (k, v) in &s.attributes {
        if !fields.iter().any(|f| f.name() == k) {
            provider.insert(k.clone(), v.clone());
        }
    }
    json!({"id": s.id.get(), "name": s.name, "provider": provider})
}

/// A credential with its secrets, in TrueNAS's current shape with its id first.
pub(super) fn revealed_entry(id: i64, credential: &Credential) -> Value {
    let mut doc = credential.to_api_json(Shape::Current, Reveal::Revealed);
    let mut out = Map::new();
    out.insert("id".into(), Value::from(id));
    if let Value::Object(m) = &mut doc {
        out.append(m);
    }
    Value::Object(out)
}

/// A credential with its secrets, as `revealed_entry` makes it:
/// `{"id", "name", "provider": {"type", ...attributes in field order}}`.
pub(super) struct Revealed<'a> {
    pub(super) id: i64,
    pub(super) credential: &'a Credential,
}

impl Serialize for Revealed<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut record = serializer.serialize_map(Some(3))?;
        record.serialize_entry("id", &self.id)?;
        record.serialize_entry("name", self.credential.name())?;
        record.serialize_entry("provider", &RevealedProvider(self.credential))?;
        record.end()
    }
}

struct RevealedProvider<'a>(&'a Credential);

impl Serialize for RevealedProvider<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut provider = serializer.serialize_map(None)?;
        provider.serialize_entry(TYPE, self.0.provider().type_str())?;
        for (name, value) in self.0.attributes() {
            provider.serialize_entry(name, &Revealing(value))?;
        }
        provider.end()
    }
}

/// An attribute's value as `AttrValue::to_json(Reveal::Revealed)` makes it.
struct Revealing<'a>(&'a AttrValue);

impl Serialize for Revealing<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            AttrValue::Null => serializer.serialize_unit(),
            AttrValue::Bool(b) => serializer.serialize_bool(*b),
            AttrValue::Integer(i) => serializer.serialize_i64(*i),
            AttrValue::Text(s) => serializer.serialize_str(s),
            AttrValue::Secret(s) => serializer.serialize_str(s.expose_secret()),
        }
    }
}

/// A credential without secrets, as `redacted_entry` makes it: the
/// catalog's fields in its order, each attribute's value or `********` for
/// a secret that has one, then any attribute the catalog does not know.
pub(super) struct Redacted<'a>(pub(super) &'a CredentialSummary);

impl Serialize for Redacted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut record = serializer.serialize_map(Some(3))?;
        record.serialize_entry("id", &self.0.id.get())?;
        record.serialize_entry("name", &self.0.name)?;
        record.serialize_entry("provider", &RedactedProvider(self.0))?;
        record.end()
    }
}

struct RedactedProvider<'a>(&'a CredentialSummary);

/// A member's value in a redacted record: as stored, or `********` for a
/// secret that has a value.
enum Shown<'a> {
    Stored(&'a Value),
    Redacted,
}

impl Serialize for Shown<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::Stored(value) => value.serialize(serializer),
            Shown::Redacted => serializer.serialize_str(REDACTED),
        }
    }
}

impl Serialize for RedactedProvider<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let s = self.0;
        let fields = s.provider.spec().fields();
        let catalogued = fields.iter().filter_map(|field| {
            let shown = match s.attributes.get(field.name()) {
                Some(value) => Shown::Stored(value),
                None if s.secret_fields.iter().any(|f| f == field.name()) => Shown::Redacted,
                None => return None,
            };
            Some((field.name(), shown))
        });
        // A stored attribute named `type` (the catalog has none) replaces
        // the type in its place, as inserting it into the map does; the
        // others the catalog does not know come last.
        let unknown = s
            .attributes
            .iter()
            .filter(|(k, _)| k.as_str() != TYPE && !fields.iter().any(|f| f.name() == k.as_str()));
        let mut provider = serializer.serialize_map(None)?;
        match s.attributes.get(TYPE) {
            Some(value) => provider.serialize_entry(TYPE, value)?,
            None => provider.serialize_entry(TYPE, s.provider.type_str())?,
        }
        for (name, shown) in catalogued {
            provider.serialize_entry(name, &shown)?;
        }
        for (name, value) in unknown {
            provider.serialize_entry(name, value)?;
        }
        provider.end()
    }
}

/// Appends `record`'s JSON text to `out`.
pub(super) fn write(out: &mut Vec<u8>, record: &impl Serialize) {
    serde_json::to_writer(out, record).expect("a record of string keys writes into memory");
}

#[cfg(test)]
mod tests {
    use nascfg_credentials::{Credential, DocumentKind, FieldKind, FieldSpec, ProviderKind};
    use nascfg_store::{DataDir, Store};

    use super::*;

    /// Text with what JSON escapes (quotes, backslashes) and what it does
    /// not (non-ASCII, `/`, U+2028); control characters are refused by the
    /// catalog in every text field.
    const ODD: &str = "Zoë \"quoted\" back\\slash / 😀 \u{2028} <&>";

    fn pretty(doc: &Value) -> String {
        serde_json::to_string_pretty(doc).expect("a document")
    }

    /// Candidate values for a field, the oddest first; the test takes the
    /// first the catalog accepts. `flip` picks the other boolean, `null` for
    /// nullable fields and plainer text, for a second credential.
    fn candidates(f: &FieldSpec, flip: bool) -> Vec<Value> {
        let texts = |plain: &str| -> Vec<Value> {
            let mut v = vec![json!(ODD), json!("Zoë-😀\\\"/x"), json!(plain)];
            if flip {
                v.reverse();
            }
            v
        };
        match f.kind() {
            FieldKind::Text { .. } => match f.name() {
                "host" | "hostname" => vec![json!("nas-é.example"), json!("nas.example")],
                "account" => vec![json!("acc0unt.example")],
                _ => texts("plain"),
            },
            FieldKind::KeyPairRef => texts("kp"),
            FieldKind::Url => vec![
                json!("https://dav.example.com:8443/remote.php/dav/files/Zoë \"x\"\\?q=1&r=2"),
                json!("https://dav.example.com/remote.php/dav/files/Zo%C3%AB"),
                json!("https://dav.example.com/"),
            ],
            FieldKind::Integer { min, max } => {
                vec![json!(if flip { min } else { max }), json!(min), json!(max)]
            }
            FieldKind::Port => vec![json!(if flip { 1 } else { 65535 })],
            FieldKind::Boolean => vec![json!(!flip)],
            FieldKind::Enum { allowed } => {
                let pick = if flip {
                    allowed[0]
                } else {
                    allowed[allowed.len() - 1]
                };
                vec![json!(pick.to_lowercase()), json!(pick)]
            }
            FieldKind::NullableInteger { allowed } if !flip => {
                vec![json!(allowed[allowed.len() - 1])]
            }
            FieldKind::NullableEnum { allowed } if !flip => {
                vec![json!(allowed[allowed.len() - 1])]
            }
            FieldKind::NullableInteger { .. } | FieldKind::NullableEnum { .. } => {
                vec![Value::Null]
            }
            FieldKind::JsonDocument(DocumentKind::OAuthToken) => {
                let token = json!({"access_token": "ya29.Zoë\"\\/😀", "token_type": "Bearer", "refresh_token": "1//0g-é", "expiry": "2026-12-07T04:00:00.123456789+01:00"});
                vec![json!(pretty(&token)), json!(token.to_string())]
            }
            FieldKind::JsonDocument(DocumentKind::ServiceAccountKey) => {
                let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
                let key = json!({"type": "service_account", "project_id": "nas-backup", "private_key_id": "0123abcd", "private_key": pem, "client_email": "nas@nas-backup.iam.gserviceaccount.com", "client_id": "Zoë \"q\" \\ 😀"});
                vec![json!(pretty(&key)), json!(key.to_string())]
            }
        }
    }

    /// A credential of `kind` with every field of the catalog set, from the
    /// first candidates the catalog accepts.
    fn every_field(kind: ProviderKind, flip: bool) -> Credential {
        let fields = kind.spec().fields();
        let mut tried = vec![0usize; fields.len()];
        loop {
            let attrs: Map<String, Value> = fields
                .iter()
                .zip(&tried)
                .map(|(f, &n)| {
                    let values = candidates(f, flip);
                    (f.name().to_owned(), values[n.min(values.len() - 1)].clone())
                })
                .collect();
            let name = if flip {
                "plain"
            } else {
                "Bäckup \"nas\" \\ 😀"
            };
            match Credential::new(name, kind, attrs) {
                Ok(c) => {
                    let set: Vec<&str> = c.attributes().map(|(k, _)| k).collect();
                    let all: Vec<&str> = fields.iter().map(|f| f.name()).collect();
                    assert_eq!(set, all, "{kind:?}: every field set");
                    return c;
                }
                Err(errors) => {
                    for e in errors.iter() {
                        let i = fields
                            .iter()
                            .position(|f| f.name() == e.field())
                            .unwrap_or_else(|| panic!("{kind:?}: {e}"));
                        tried[i] += 1;
                        assert!(
                            tried[i] < candidates(&fields[i], flip).len(),
                            "{kind:?}: no candidate for {}: {e}",
                            fields[i].name()
                        );
                    }
                }
            }
        }
    }

    fn text(record: &impl Serialize) -> String {
        let mut out = Vec::new();
        write(&mut out, record);
        String::from_utf8(out).expect("UTF-8")
    }

    fn old(value: &Value) -> String {
        serde_json::to_string(value).expect("a value")
    }

    /// A summary as the store gives it, for the redacted records.
    fn summary() -> (tempfile::TempDir, CredentialSummary) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&DataDir::new(tmp.path().join("data"))).expect("store");
        let c = every_field(ProviderKind::Ftp, false);
        store.add_credential(&c).expect("added");
        let s = store.list_credentials().expect("listed").remove(0);
        (tmp, s)
    }

    /// No catalog field is named `type`, which the records write first.
    #[test]
    fn no_field_is_named_type() {
        for kind in ProviderKind::ALL {
            assert!(kind.spec().field(TYPE).is_none(), "{kind:?}");
        }
    }

    /// The text written straight from a credential is byte for byte the
    /// `Value` `revealed_entry` makes, serialised; and a summary's is
    /// `redacted_entry`'s, for every provider with every field set, and for
    /// stored attributes the catalog does not know.
    #[test]
    fn same_bytes_as_the_values() {
        let (_tmp, template) = summary();
        let mut escaped = false;
        for kind in ProviderKind::ALL {
            for flip in [false, true] {
                let c = every_field(kind, flip);
                for id in [1, 0, -7, i64::MAX] {
                    let new = text(&Revealed { id, credential: &c });
                    assert_eq!(new, old(&revealed_entry(id, &c)), "{kind:?}");
                    escaped |= new.contains("\\\\\\\"") && new.contains("\\n");
                }
                let mut s = template.clone();
                s.name = c.name().to_owned();
                s.provider = kind;
                s.attributes = c.plain_attributes();
                s.secret_fields = c
                    .secret_attributes()
                    .into_iter()
                    .map(|(k, _)| k.to_owned())
                    .collect();
                let check = |s: &CredentialSummary| {
                    assert_eq!(text(&Redacted(s)), old(&redacted_entry(s)), "{kind:?}");
                };
                check(&s);
                // Secrets to re-enter, none at all, unknown attributes
                // (one named `type`) and odd values.
                s.needs_secrets = true;
                check(&s);
                s.secret_fields.clear();
                check(&s);
                s.attributes.insert(
                    "zz-extra".into(),
                    json!({"b": [1.5, null, "\u{1}\u{7f}"], "a": {}}),
                );
                s.attributes.insert("type".into(), json!("other"));
                s.attributes.shift_remove(kind.spec().fields()[0].name());
                check(&s);
            }
        }
        assert!(escaped, "some record had escapes in a JSON document");
    }
}
