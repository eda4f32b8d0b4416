//! What the credential commands (`cred`, `cred login`, `cred verify`,
//! `authorize`) share: reading a provider type, a credential as JSON, and
//! saving a refreshed OAuth token.

use nascfg_credentials::{OAuthToken, ProviderKind, REDACTED};
use nascfg_store::{CredentialSummary, Store, WriteGuard};
use serde_json::{Map, Value};

/// Parses a provider type string (the error's hint says where they are listed).
pub fn parse_provider(text: &str) -> anyhow::Result<ProviderKind> {
    Ok(text.parse::<ProviderKind>()?)
}

/// A credential as JSON, serialized without building a `Value` tree (fast listing).
pub(super) struct SummaryJson<'a>(
    pub(super) &'a CredentialSummary,
    pub(super) Option<&'a Map<String, Value>>,
);

struct ProviderJson<'a>(&'a CredentialSummary, Option<&'a Map<String, Value>>);

impl serde::Serialize for ProviderJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (summary, revealed) = (self.0, self.1);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", summary.provider.type_str())?;
        let fields = summary.provider.spec().fields();
        for field in fields {
            let name = field.name();
            if let Some(v) = summary.attributes.get(name) {
                map.serialize_entry(name, v)?;
            } else if summary.secret_fields.iter().any(|s| s == name) {
                match revealed.and_then(|r| r.get(name)) {
                    Some(v) => map.serialize_entry(name, v)?,
                    None => map.serialize_entry(name, REDACTED)?,
                }
            }
        }
        for (k, v) in &summary.attributes {
            if !fields.iter().any(|f| f.name() == k) {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

impl serde::Serialize for SummaryJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let s = self.0;
        let mut map = serializer.serialize_map(Some(6))?;
        map.serialize_entry("id", &s.id.get())?;
        map.serialize_entry("name", &s.name)?;
        map.serialize_entry("provider", &ProviderJson(s, self.1))?;
        map.serialize_entry("needs_secrets", &s.needs_secrets)?;
        map.serialize_entry("created_at", &s.created_at)?;
        map.serialize_entry("updated_at", &s.updated_at)?;
        map.end()
    }
}

/// The JSON of a credential: TrueNAS's current API shape plus id, needs_secrets, timestamps.
pub fn summary_json(summary: &CredentialSummary) -> Value {
    credential_json(summary, None)
}

pub(super) fn credential_json(
    summary: &CredentialSummary,
    revealed: Option<&Map<String, Value>>,
) -> Value {
    serde_json::to_value(SummaryJson(summary, revealed))
        .expect("a summary is strings, numbers and JSON values, which always serialize")
}

/// Saves a refreshed OAuth token into credential `name` (for the refresher's save callback,
/// before the new access token is used), under `guard` when the caller holds the writer lock,
/// else under a lock taken for the save.
pub fn save_token(
    store: &mut Store,
    guard: Option<&WriteGuard>,
    name: &str,
    token: &OAuthToken,
) -> anyhow::Result<()> {
    match guard {
        Some(guard) => store.save_token(guard, name, token)?,
        None => {
            let guard = store.lock()?;
            store.save_token(&guard, name, token)?;
        }
    }
    Ok(())
}
