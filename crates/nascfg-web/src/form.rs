//! The credential form, generated from the catalog: one view per field, and
//! the submitted form turned back into attribute changes.

use nascfg_credentials::{FieldError, FieldKind, FieldSpec, ProviderKind, ValidationErrors};
use serde_json::{Map, Value};

/// Whether the form adds a credential or edits a stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Add,
    Edit,
}

/// One `<option>`.
#[derive(Debug, Clone)]
pub(crate) struct Opt {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

/// One field as the template draws it. `kind` is the widget: `text`, `number`,
/// `url`, `select`, `checkbox`, `secret` (a password input), `secret-document`
/// (a textarea); a secret's value is never here, only whether one is stored.
#[derive(Debug, Clone)]
pub(crate) struct FieldView {
    pub(crate) id: String,
    pub(crate) name: &'static str,
    pub(crate) label: &'static str,
    pub(crate) help: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) value: String,
    pub(crate) checked: bool,
    pub(crate) options: Vec<Opt>,
    pub(crate) secret_set: bool,
    pub(crate) required: bool,
    pub(crate) min: String,
    pub(crate) max: String,
    pub(crate) error: Option<String>,
}

/// The fields of a provider, split as the seed's form shows them: the main
/// ones, and the advanced ones folded away.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    pub(crate) main: Vec<FieldView>,
    pub(crate) advanced: Vec<FieldView>,
}

fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Folded under "Advanced options": optional plain fields.
fn advanced(field: &FieldSpec) -> bool {
    !field.required() && !field.secret()
}

/// The views of `provider`'s fields. `values` holds plain values (stored or
/// submitted); `secrets_set` names the secret fields that hold a stored value;
/// `key_pairs` are the names a key-pair field may choose.
pub(crate) fn fields(
    provider: ProviderKind,
    values: &Map<String, Value>,
    secrets_set: &[String],
    key_pairs: &[String],
    errors: &ValidationErrors,
) -> Fields {
    let mut out = Fields {
        main: Vec::new(),
        advanced: Vec::new(),
    };
    for field in provider.spec().fields() {
        let name = field.name();
        let value = values
            .get(name)
            .cloned()
            .or_else(|| field.default())
            .unwrap_or(Value::Null);
        let text = text_of(&value);
        let mut view = FieldView {
            id: format!("f_{name}"),
            name,
            label: field.label(),
            help: field.help(),
            kind: "text",
            value: String::new(),
            checked: false,
            options: Vec::new(),
            secret_set: secrets_set.iter().any(|s| s == name),
            required: field.required() && !field.empty_allowed(),
            min: String::new(),
            max: String::new(),
            error: errors
                .iter()
                .filter(|e| e.field() == name)
                .map(|e| e.message().to_owned())
                .reduce(|a, b| format!("{a}; {b}")),
        };
        if field.secret() {
            view.kind = match field.kind() {
                FieldKind::JsonDocument(_) => "secret-document",
                _ => "secret",
            };
        } else {
            match field.kind() {
                FieldKind::Boolean => {
                    view.kind = "checkbox";
                    view.checked = value == Value::Bool(true);
                }
                FieldKind::Enum { allowed } => {
                    view.kind = "select";
                    view.options = options(allowed.iter().map(|a| (*a).to_owned()), &text, false);
                }
                FieldKind::NullableEnum { allowed } => {
                    view.kind = "select";
                    view.options = options(allowed.iter().map(|a| (*a).to_owned()), &text, true);
                }
                FieldKind::NullableInteger { allowed } => {
                    view.kind = "select";
                    view.options = options(allowed.iter().map(i64::to_string), &text, true);
                }
                FieldKind::KeyPairRef => {
                    view.kind = "select";
                    view.options = options(key_pairs.iter().cloned(), &text, true);
                }
                FieldKind::Integer { .. } | FieldKind::Port => {
                    view.kind = "number";
                    if let Some((min, max)) = field.integer_range() {
                        view.min = min.to_string();
                        view.max = max.to_string();
                    }
                    view.value = text;
                }
                FieldKind::Url => {
                    view.kind = "url";
                    view.value = text;
                }
                FieldKind::Text { .. } | FieldKind::JsonDocument(_) => {
                    view.value = text;
                }
            }
        }
        if advanced(field) {
            out.advanced.push(view);
        } else {
            out.main.push(view);
        }
    }
    out
}

fn options(values: impl Iterator<Item = String>, current: &str, none: bool) -> Vec<Opt> {
    let mut out = Vec::new();
    if none {
        out.push(Opt {
            value: String::new(),
            label: "(none)".to_owned(),
            selected: current.is_empty(),
        });
    }
    let mut found = current.is_empty();
    for v in values {
        let selected = v.eq_ignore_ascii_case(current);
        found |= selected;
        out.push(Opt {
            label: v.clone(),
            value: v,
            selected,
        });
    }
    if !found {
        // A stored value the catalog no longer lists stays visible.
        out.push(Opt {
            value: current.to_owned(),
            label: current.to_owned(),
            selected: true,
        });
    }
    out
}

/// The value a form gave for `name` (the last one wins, as a browser sends one).
pub(crate) fn get<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Reads the provider's fields from a submitted form. Add: empty optional
/// fields are left out (their defaults apply). Edit: an empty secret keeps the
/// stored value, an empty optional plain field removes it.
pub(crate) fn changes(
    provider: ProviderKind,
    form: &[(String, String)],
    mode: Mode,
) -> (Map<String, Value>, ValidationErrors) {
    let mut out = Map::new();
    let mut errors = ValidationErrors::new();
    for field in provider.spec().fields() {
        let name = field.name();
        if field.kind() == FieldKind::Boolean {
            let on = get(form, name).is_some_and(|v| v == "true" || v == "on");
            out.insert(name.to_owned(), Value::Bool(on));
            continue;
        }
        let raw = get(form, name).unwrap_or("");
        if raw.is_empty() {
            let keep_empty = field.required() && field.empty_allowed();
            match (field.secret(), mode) {
                (true, Mode::Edit) => {}
                (_, _) if keep_empty => {
                    out.insert(name.to_owned(), Value::String(String::new()));
                }
                (false, Mode::Edit) => {
                    out.insert(name.to_owned(), Value::Null);
                }
                (_, Mode::Add) => {}
            }
            continue;
        }
        match field.value_from_text(raw) {
            Ok(v) => {
                out.insert(name.to_owned(), v);
            }
            Err(e) => errors.push(e),
        }
    }
    (out, errors)
}

/// An error about the credential's name, for the Name field.
pub(crate) fn name_error(errors: &ValidationErrors) -> Option<String> {
    errors
        .iter()
        .filter(|e| e.field() == "name")
        .map(FieldError::message)
        .map(str::to_owned)
        .reduce(|a, b| format!("{a}; {b}"))
}

/// Errors that belong to no field of the form (shown above it).
pub(crate) fn other_errors(provider: ProviderKind, errors: &ValidationErrors) -> Vec<String> {
    errors
        .iter()
        .filter(|e| e.field() != "name" && provider.spec().field(e.field()).is_none())
        .map(|e| format!("{}: {}", e.field(), e.message()))
        .collect()
}
