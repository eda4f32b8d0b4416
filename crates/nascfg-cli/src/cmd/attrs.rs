//! Credential attributes from the command line: `--set KEY=VALUE`,
//! `KEY=@PATH` (a file), `KEY=-` (standard input, at most once), and hidden
//! prompts for missing required secrets on a terminal.

use std::io::Read;

use nascfg_credentials::{FieldError, ProviderKind, ValidationErrors};
use serde_json::{Map, Value};

use crate::output;

/// The largest value read from a file or standard input.
const MAX_VALUE: u64 = 1024 * 1024;

/// Whether an empty value (`KEY=`) removes the attribute (update) or is a value (add).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyValue {
    /// `KEY=` is the empty text.
    IsText,
    /// `KEY=` removes the attribute (a JSON null).
    Removes,
}

/// Parses every `--set` of a credential of `provider`; all problems are reported at once.
pub fn parse_sets(
    provider: ProviderKind,
    sets: &[String],
    empty: EmptyValue,
) -> anyhow::Result<Map<String, Value>> {
    let (out, errors) = parse_sets_lenient(provider, sets, empty);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(sets_error(provider, &errors))
    }
}

/// The error for problems in `--set` values, with its hint.
pub fn sets_error(provider: ProviderKind, errors: &ValidationErrors) -> anyhow::Error {
    output::hint(
        anyhow::anyhow!("invalid --set values:\n{errors}"),
        format!(
            "`nascfg providers show {}` lists the fields and their kinds",
            provider.type_str()
        ),
    )
}

/// Parses what can be parsed, and lists every problem.
pub fn parse_sets_lenient(
    provider: ProviderKind,
    sets: &[String],
    empty: EmptyValue,
) -> (Map<String, Value>, ValidationErrors) {
    let spec = provider.spec();
    let mut out = Map::new();
    let mut errors = ValidationErrors::new();
    let mut stdin_used = false;
    for set in sets {
        let Some((key, raw)) = set.split_once('=') else {
            errors.push(FieldError::new(
                set.clone(),
                "expected KEY=VALUE, KEY=@FILE or KEY=-",
            ));
            continue;
        };
        let key = key.trim();
        let Some(field) = spec.field(key) else {
            let known: Vec<&str> = spec.fields().iter().map(|f| f.name()).collect();
            errors.push(FieldError::new(
                key,
                format!(
                    "{} has no field {key:?} (fields: {})",
                    provider.type_str(),
                    known.join(", ")
                ),
            ));
            continue;
        };
        if out.contains_key(key) {
            errors.push(FieldError::new(key, "given more than once"));
            continue;
        }
        let text = if raw == "-" {
            if stdin_used {
                errors.push(FieldError::new(
                    key,
                    "only one value can be read from standard input (KEY=-)",
                ));
                continue;
            }
            stdin_used = true;
            match read_limited(std::io::stdin().lock(), "standard input") {
                Ok(t) => t,
                Err(e) => {
                    errors.push(FieldError::new(key, e));
                    continue;
                }
            }
        } else if let Some(path) = raw.strip_prefix('@') {
            match std::fs::File::open(path) {
                Ok(f) => match read_limited(f, path) {
                    Ok(t) => t,
                    Err(e) => {
                        errors.push(FieldError::new(key, e));
                        continue;
                    }
                },
                Err(e) => {
                    errors.push(FieldError::new(key, format!("cannot read {path}: {e}")));
                    continue;
                }
            }
        } else {
            raw.to_owned()
        };
        if text.is_empty() && empty == EmptyValue::Removes {
            out.insert(key.to_owned(), Value::Null);
            continue;
        }
        match field.value_from_text(&text) {
            Ok(v) => {
                out.insert(key.to_owned(), v);
            }
            Err(e) => errors.push(e),
        }
    }
    (out, errors)
}

/// Reads a value, without one trailing newline, refusing more than 1 MiB or non-UTF-8.
fn read_limited(r: impl Read, what: &str) -> Result<String, String> {
    let buf = super::input::read_at_most(r, MAX_VALUE)
        .map_err(|e| format!("cannot read {what}: {e}"))?
        .ok_or_else(|| format!("{what} is larger than 1 MiB"))?;
    let mut text = String::from_utf8(buf).map_err(|_| format!("{what} is not UTF-8 text"))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

/// On a terminal, asks (hidden input) for every required secret of `provider`
/// that `attrs` lacks. Off a terminal nothing is asked and validation reports them.
pub fn prompt_missing_secrets(
    provider: ProviderKind,
    attrs: &mut Map<String, Value>,
) -> anyhow::Result<()> {
    if !super::common::interactive() {
        return Ok(());
    }
    for field in provider.spec().fields() {
        if field.secret() && field.required() && !attrs.contains_key(field.name()) {
            let value =
                rpassword::prompt_password(format!("{} ({}): ", field.label(), field.name()))?;
            let value = field
                .value_from_text(&value)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            attrs.insert(field.name().to_owned(), value);
        }
    }
    Ok(())
}

/// Names the required secret fields missing from `attrs` (for the hint of a failed add).
pub fn missing_secrets(provider: ProviderKind, attrs: &Map<String, Value>) -> Vec<&'static str> {
    provider
        .spec()
        .fields()
        .iter()
        .filter(|f| f.secret() && f.required() && !attrs.contains_key(f.name()))
        .map(|f| f.name())
        .collect()
}
