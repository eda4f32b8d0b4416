//! The submitted credential form, read into what the store and Verify take.

use nascfg_credentials::{Credential, ProviderKind, ValidationErrors};
use nascfg_store::Store;
use serde_json::{Map, Value};

use crate::form::{self, Mode};

pub(crate) fn parse_provider(text: Option<&str>) -> ProviderKind {
    text.and_then(|t| t.parse::<ProviderKind>().ok())
        .unwrap_or(ProviderKind::S3)
}

/// The submitted form, read into what the store and verify take.
pub(crate) struct Submitted {
    pub(crate) original: Option<String>,
    pub(crate) name: String,
    pub(crate) provider: ProviderKind,
    pub(crate) changes: Map<String, Value>,
    pub(crate) errors: ValidationErrors,
}

pub(crate) fn read_form(form: &[(String, String)]) -> Submitted {
    let original = form::get(form, "original")
        .filter(|o| !o.is_empty())
        .map(str::to_owned);
    let provider = parse_provider(form::get(form, "provider"));
    let mode = if original.is_some() {
        Mode::Edit
    } else {
        Mode::Add
    };
    let (changes, errors) = form::changes(provider, form, mode);
    Submitted {
        original,
        name: form::get(form, "name").unwrap_or("").trim().to_owned(),
        provider,
        changes,
        errors,
    }
}

/// The credential the form describes: new, or the stored one with the
/// changes (its secrets kept where the form left them empty).
pub(crate) fn credential_of(
    store: &mut Store,
    s: &Submitted,
    name: &str,
) -> Result<Credential, FormFailure> {
    if !s.errors.is_empty() {
        return Err(FormFailure::Invalid(s.errors.clone()));
    }
    match &s.original {
        None => Credential::new(name, s.provider, s.changes.clone()).map_err(FormFailure::Invalid),
        Some(original) => {
            let stored = store.credential(original).map_err(FormFailure::Store)?;
            let updated = stored
                .updated(s.changes.clone())
                .map_err(FormFailure::Invalid)?;
            if name != original {
                updated.renamed(name).map_err(FormFailure::Invalid)
            } else {
                Ok(updated)
            }
        }
    }
}

pub(crate) enum FormFailure {
    Invalid(ValidationErrors),
    Store(nascfg_store::Error),
}
