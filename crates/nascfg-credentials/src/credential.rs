//! The validated credential: name, provider and attributes, secrets held in
//! secret types, and the TrueNAS API JSON shapes in and out.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::document::json_type;
use crate::error::{Error, ValidationErrors};
use crate::provider::{ProviderKind, truncate};
use crate::validate::{
    Input, Problems, RANK_NAME, RANK_PROVIDER, inputs_from_map, validate_attributes, validate_name,
};

/// What every secret value is shown as unless it is explicitly revealed.
pub const REDACTED: &str = "********";

/// Entries whose values may be secrets (an rclone section, a remote's
/// environment), shown by `Debug` as their keys only.
///
/// ```
/// use nascfg_credentials::KeysOnly;
/// let entries = [("type".to_owned(), "s3"), ("secret_access_key".to_owned(), "hunter2")];
/// assert_eq!(format!("{:?}", KeysOnly(&entries)), r#"["type", "secret_access_key"]"#);
/// ```
pub struct KeysOnly<'a, V>(pub &'a [(String, V)]);

impl<V> fmt::Debug for KeysOnly<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

/// One attribute value of a validated credential.
#[derive(Clone)]
pub enum AttrValue {
    /// `null` (Swift `auth_version`, `endpoint_type`).
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer (ports, counts, versions).
    Integer(i64),
    /// A non-secret string (in canonical form for enums).
    Text(String),
    /// A secret string (plain text, or JSON document text).
    Secret(SecretString),
}

impl AttrValue {
    /// The value as JSON; secrets as [`REDACTED`] unless `reveal` is `Revealed`.
    pub fn to_json(&self, reveal: Reveal) -> Value {
        match self {
            AttrValue::Null => Value::Null,
            AttrValue::Bool(b) => Value::Bool(*b),
            AttrValue::Integer(i) => Value::from(*i),
            AttrValue::Text(s) => Value::String(s.clone()),
            AttrValue::Secret(s) => match reveal {
                Reveal::Redacted => Value::String(REDACTED.to_owned()),
                Reveal::Revealed => Value::String(s.expose_secret().to_owned()),
            },
        }
    }

    /// Whether this is a secret.
    pub fn is_secret(&self) -> bool {
        matches!(self, AttrValue::Secret(_))
    }
}

impl fmt::Debug for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Null => f.write_str("null"),
            AttrValue::Bool(b) => write!(f, "{b}"),
            AttrValue::Integer(i) => write!(f, "{i}"),
            AttrValue::Text(s) => write!(f, "{s:?}"),
            AttrValue::Secret(_) => f.write_str(REDACTED),
        }
    }
}

impl PartialEq for AttrValue {
    fn eq(&self, other: &AttrValue) -> bool {
        match (self, other) {
            (AttrValue::Null, AttrValue::Null) => true,
            (AttrValue::Bool(a), AttrValue::Bool(b)) => a == b,
            (AttrValue::Integer(a), AttrValue::Integer(b)) => a == b,
            (AttrValue::Text(a), AttrValue::Text(b)) => a == b,
            (AttrValue::Secret(a), AttrValue::Secret(b)) => secret_eq(a, b),
            _ => false,
        }
    }
}

/// Compares two secrets without stopping at the first difference.
pub(crate) fn secret_eq(a: &SecretString, b: &SecretString) -> bool {
    let (a, b) = (a.expose_secret().as_bytes(), b.expose_secret().as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Which TrueNAS API JSON shape to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"name", "provider": {"type": "S3", ...attributes}}` (TrueNAS 25.04+).
    Current,
    /// `{"name", "provider": "S3", "attributes": {...}}` (older TrueNAS).
    Legacy,
}

/// Whether secret values are written out or replaced by [`REDACTED`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reveal {
    /// Every secret field that has a value shows `********`.
    Redacted,
    /// Secret values are written as they are (only on explicit request).
    Revealed,
}

/// A validated cloud credential. Private fields, no setters: every way to
/// make one validates it. `Debug` and `Display` show secrets as `********`.
#[derive(Clone, PartialEq)]
pub struct Credential {
    name: String,
    provider: ProviderKind,
    /// Present attributes, in the provider's field order.
    attributes: Vec<(&'static str, AttrValue)>,
}

impl Credential {
    /// Validates a credential: every problem at once; fills defaults and
    /// canonicalises enum values.
    pub fn new(
        name: &str,
        provider: ProviderKind,
        attributes: Map<String, Value>,
    ) -> Result<Credential, ValidationErrors> {
        build(name, provider, inputs_from_map(attributes))
    }

    /// Rebuilds a credential from storage: non-secret attributes (a JSON
    /// object's members; of a name given twice the later wins) and opened
    /// secrets. Validates again. The attribute names may be borrowed (`K`
    /// as `&str` or `Cow<str>`): only an unknown one is copied, for its error.
    pub fn from_parts<K: AsRef<str> + Into<String>>(
        name: &str,
        provider: ProviderKind,
        plain: impl IntoIterator<Item = (K, Value)>,
        secrets: Vec<(K, SecretString)>,
    ) -> Result<Credential, ValidationErrors> {
        let mut input = inputs_from_map(plain);
        input.extend(secrets.into_iter().map(|(k, s)| (k, Input::Secret(s))));
        build(name, provider, input)
    }

    /// Reads a credential in either TrueNAS API shape:
    /// `{"name", "provider": {"type": "S3", ...}}` or
    /// `{"name", "provider": "S3", "attributes": {...}}`. An `id` member is ignored.
    pub fn from_api_json(value: &Value) -> Result<Credential, Error> {
        let Value::Object(doc) = value else {
            return Err(Error::Shape(format!(
                "expected a JSON object with \"name\" and \"provider\" (got {})",
                json_type(value)
            )));
        };
        let mut problems = Problems::default();
        for key in doc.keys() {
            if !matches!(key.as_str(), "name" | "provider" | "attributes" | "id") {
                problems.add(
                    usize::MAX,
                    &truncate(key, 64),
                    "unknown field (known fields: name, provider, attributes)",
                );
            }
        }
        let name = match doc.get("name") {
            Some(Value::String(s)) => s.as_str(),
            None | Some(Value::Null) => {
                problems.add(RANK_NAME, "name", "field required");
                ""
            }
            Some(other) => {
                problems.add(
                    RANK_NAME,
                    "name",
                    format!("must be a string (got {})", json_type(other)),
                );
                ""
            }
        };
        let (type_value, mut attrs) = match (doc.get("provider"), doc.get("attributes")) {
            (Some(Value::Object(p)), attributes) => {
                if attributes.is_some() {
                    problems.add(
                        RANK_PROVIDER,
                        "attributes",
                        "not allowed when \"provider\" is an object (put the attributes in it)",
                    );
                }
                let mut p = p.clone();
                (p.remove("type"), p)
            }
            (Some(Value::String(t)), Some(Value::Object(a))) => {
                (Some(Value::String(t.clone())), a.clone())
            }
            (Some(Value::String(t)), None | Some(Value::Null)) => {
                (Some(Value::String(t.clone())), Map::new())
            }
            (Some(Value::String(_)), Some(other)) => {
                return Err(stopped(
                    problems,
                    "attributes",
                    format!("must be an object (got {})", json_type(other)),
                ));
            }
            (None | Some(Value::Null), _) => {
                return Err(stopped(problems, "provider", "field required"));
            }
            (Some(other), _) => {
                return Err(stopped(
                    problems,
                    "provider",
                    format!(
                        "must be a type string or an object with \"type\" (got {})",
                        json_type(other)
                    ),
                ));
            }
        };
        let provider = match type_value {
            Some(Value::String(t)) => t.parse::<ProviderKind>()?,
            None | Some(Value::Null) => {
                return Err(stopped(problems, "provider", "missing \"type\""));
            }
            Some(other) => {
                return Err(stopped(
                    problems,
                    "provider",
                    format!("\"type\" must be a string (got {})", json_type(&other)),
                ));
            }
        };
        let input = inputs_from_map(std::mem::take(&mut attrs));
        build_with(name, provider, input, problems).map_err(Error::Invalid)
    }

    /// The credential in a TrueNAS API JSON shape.
    pub fn to_api_json(&self, shape: Shape, reveal: Reveal) -> Value {
        let attrs: Map<String, Value> = self
            .attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.to_json(reveal)))
            .collect();
        let mut doc = Map::new();
        doc.insert("name".into(), Value::String(self.name.clone()));
        match shape {
            Shape::Current => {
                let mut provider = Map::new();
                provider.insert(
                    "type".into(),
                    Value::String(self.provider.type_str().into()),
                );
                provider.extend(attrs);
                doc.insert("provider".into(), Value::Object(provider));
            }
            Shape::Legacy => {
                doc.insert(
                    "provider".into(),
                    Value::String(self.provider.type_str().into()),
                );
                doc.insert("attributes".into(), Value::Object(attrs));
            }
        }
        Value::Object(doc)
    }

    /// The credential's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The provider.
    pub fn provider(&self) -> ProviderKind {
        self.provider
    }

    /// One attribute, if present.
    pub fn get(&self, field: &str) -> Option<&AttrValue> {
        self.attributes
            .iter()
            .find(|(k, _)| *k == field)
            .map(|(_, v)| v)
    }

    /// A non-secret text attribute.
    pub fn text(&self, field: &str) -> Option<&str> {
        match self.get(field) {
            Some(AttrValue::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// An integer attribute.
    pub fn integer(&self, field: &str) -> Option<i64> {
        match self.get(field) {
            Some(AttrValue::Integer(i)) => Some(*i),
            _ => None,
        }
    }

    /// A boolean attribute.
    pub fn boolean(&self, field: &str) -> Option<bool> {
        match self.get(field) {
            Some(AttrValue::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    /// A secret attribute.
    pub fn secret(&self, field: &str) -> Option<&SecretString> {
        match self.get(field) {
            Some(AttrValue::Secret(s)) => Some(s),
            _ => None,
        }
    }

    /// The non-secret attributes (defaults filled), in field order.
    pub fn plain_attributes(&self) -> Map<String, Value> {
        self.attributes
            .iter()
            .filter(|(_, v)| !v.is_secret())
            .map(|(k, v)| ((*k).to_owned(), v.to_json(Reveal::Redacted)))
            .collect()
    }

    /// The secret attributes that have a value, in field order.
    pub fn secret_attributes(&self) -> Vec<(&'static str, &SecretString)> {
        self.attributes
            .iter()
            .filter_map(|(k, v)| match v {
                AttrValue::Secret(s) => Some((*k, s)),
                _ => None,
            })
            .collect()
    }

    /// The attributes present, in field order.
    pub fn attributes(&self) -> impl Iterator<Item = (&'static str, &AttrValue)> + '_ {
        self.attributes.iter().map(|(k, v)| (*k, v))
    }

    /// The credential with some attributes changed; a JSON `null` removes an
    /// optional attribute (it falls back to its default). Validates again.
    pub fn updated(&self, changes: Map<String, Value>) -> Result<Credential, ValidationErrors> {
        let mut input: Vec<(String, Input)> = self
            .attributes
            .iter()
            .map(|(k, v)| {
                let i = match v {
                    AttrValue::Secret(s) => Input::Secret(s.clone()),
                    other => Input::Json(other.to_json(Reveal::Redacted)),
                };
                ((*k).to_owned(), i)
            })
            .collect();
        for (k, v) in changes {
            input.retain(|(ik, _)| *ik != k);
            if !v.is_null() {
                input.push((k, Input::Json(v)));
            } else if self.provider.spec().field(&k).is_none() {
                // Removing a field that does not exist is still an error.
                input.push((k, Input::Json(Value::Null)));
            }
        }
        build(&self.name, self.provider, input)
    }

    /// The credential under a new name.
    pub fn renamed(&self, new_name: &str) -> Result<Credential, ValidationErrors> {
        validate_name(new_name).map_err(ValidationErrors::from)?;
        Ok(Credential {
            name: new_name.to_owned(),
            ..self.clone()
        })
    }

    /// Unusual but accepted shapes (e.g. an S3 key with unusual characters),
    /// one message per concern; never quoting a secret.
    pub fn warnings(&self) -> Vec<String> {
        crate::validate::warnings(self.provider, &self.attributes)
    }
}

/// The problems found so far and the one that stops the reading (the
/// provider cannot be made out), as the error.
fn stopped(mut problems: Problems, field: &str, message: impl Into<String>) -> Error {
    problems.add(RANK_PROVIDER, field, message);
    Error::Invalid(problems.into_errors())
}

fn build<K: AsRef<str> + Into<String>>(
    name: &str,
    provider: ProviderKind,
    input: Vec<(K, Input)>,
) -> Result<Credential, ValidationErrors> {
    build_with(name, provider, input, Problems::default())
}

fn build_with<K: AsRef<str> + Into<String>>(
    name: &str,
    provider: ProviderKind,
    input: Vec<(K, Input)>,
    mut problems: Problems,
) -> Result<Credential, ValidationErrors> {
    if !(name.is_empty() && problems_mention_name(&problems))
        && let Err(e) = validate_name(name)
    {
        problems.add(RANK_NAME, "name", e.message);
    }
    let attributes = validate_attributes(provider, input, &mut problems);
    if problems.is_empty() {
        Ok(Credential {
            name: name.to_owned(),
            provider,
            attributes,
        })
    } else {
        Err(problems.into_errors())
    }
}

fn problems_mention_name(problems: &Problems) -> bool {
    problems.mentions("name")
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Attrs<'a>(&'a [(&'static str, AttrValue)]);
        impl fmt::Debug for Attrs<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(k, v)| (k, v)))
                    .finish()
            }
        }
        f.debug_struct("Credential")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("attributes", &Attrs(&self.attributes))
            .finish()
    }
}

impl fmt::Display for Credential {
    /// `NAME (TYPE): field=value, ...` with secrets as `********`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.provider)?;
        for (i, (k, v)) in self.attributes.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { ", " })?;
            write!(f, "{k}={v:?}")?;
        }
        Ok(())
    }
}
