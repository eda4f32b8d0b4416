//! Validation: every problem with a credential at once, each naming its field.

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::credential::AttrValue;
use crate::document::{MAX_DOCUMENT, check_service_account, check_token, json_type};
use crate::error::{FieldError, ValidationErrors};
use crate::provider::{
    DocumentKind, FieldKind, FieldSpec, ProviderKind, Requirement, Rule, truncate,
};

/// The longest credential name (as in TrueNAS).
pub(crate) const MAX_NAME: usize = 100;

/// Checks a credential name: not empty, at most 100 characters, no control characters.
pub fn validate_name(name: &str) -> Result<(), FieldError> {
    let (len, control) = length_and_control(name);
    let problem = if name.trim().is_empty() {
        Some("must not be empty".to_owned())
    } else if len > MAX_NAME {
        Some(format!("must be at most {MAX_NAME} characters (got {len})"))
    } else if control {
        Some("must not contain control characters".to_owned())
    } else {
        None
    };
    match problem {
        Some(m) => Err(FieldError::new("name", m)),
        None => Ok(()),
    }
}

/// One attribute value as handed in: JSON, or a secret already in a secret type.
pub(crate) enum Input {
    Json(Value),
    Secret(SecretString),
}

/// Problems, each with a sort rank (name, provider, then field order, then unknown fields).
#[derive(Default)]
pub(crate) struct Problems {
    list: Vec<(usize, String, FieldError)>,
}

impl Problems {
    pub(crate) fn add(&mut self, rank: usize, field: &str, message: impl Into<String>) {
        self.list
            .push((rank, field.to_owned(), FieldError::new(field, message)));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn into_errors(mut self) -> ValidationErrors {
        // Stable: problems of one field keep the order they were found in.
        self.list.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        ValidationErrors::from(self.list.into_iter().map(|(_, _, e)| e).collect::<Vec<_>>())
    }
}

pub(crate) const RANK_NAME: usize = 0;
pub(crate) const RANK_PROVIDER: usize = 1;
const RANK_FIELDS: usize = 2;

/// Validates the attributes of one provider; fills defaults, canonicalises enums.
/// Returns the attributes in field order. A name (`K`) is made a `String`
/// only when it is no field's.
pub(crate) fn validate_attributes<K: AsRef<str> + Into<String>>(
    provider: ProviderKind,
    input: Vec<(K, Input)>,
    problems: &mut Problems,
) -> Vec<(&'static str, AttrValue)> {
    let spec = provider.spec();
    let fields = spec.fields();
    let unknown_rank = RANK_FIELDS + fields.len();
    // Later entries win (from_parts puts secrets after plain attributes).
    let mut unknown: Vec<String> = Vec::new();
    let mut by_field: Vec<Option<Input>> = Vec::with_capacity(fields.len());
    by_field.resize_with(fields.len(), || None);
    for (k, v) in input {
        match fields.iter().position(|f| f.name == k.as_ref()) {
            Some(i) => by_field[i] = Some(v),
            None => unknown.push(k.into()),
        }
    }
    unknown.sort();
    unknown.dedup();
    for k in unknown {
        problems.add(
            unknown_rank,
            &truncate(&k, 64),
            format!(
                "unknown field for {} (known fields: {})",
                provider.type_str(),
                spec.field_names()
            ),
        );
    }

    let mut out = Vec::with_capacity(fields.len());
    for (i, (field, value)) in fields.iter().zip(by_field).enumerate() {
        let rank = RANK_FIELDS + i;
        let value = match value {
            None | Some(Input::Json(Value::Null)) if !is_nullable(field) => None,
            v => v,
        };
        match value {
            None => match field.requirement {
                Requirement::Required | Requirement::RequiredMayBeEmpty => {
                    problems.add(rank, field.name, "field required");
                }
                Requirement::Optional => {}
                Requirement::Default(_) => {
                    if let Some(d) = field.default() {
                        match check_field(field, Input::Json(d)) {
                            Ok(v) => out.push((field.name, v)),
                            Err(ms) => {
                                for m in ms {
                                    problems.add(rank, field.name, m);
                                }
                            }
                        }
                    }
                }
            },
            Some(v) => match check_field(field, v) {
                Ok(v) => out.push((field.name, v)),
                Err(ms) => {
                    for m in ms {
                        problems.add(rank, field.name, m);
                    }
                }
            },
        }
    }
    out
}

fn is_nullable(field: &FieldSpec) -> bool {
    matches!(
        field.kind,
        FieldKind::NullableInteger { .. } | FieldKind::NullableEnum { .. }
    )
}

/// Checks one value against its field spec; messages never quote secrets.
fn check_field(field: &FieldSpec, value: Input) -> Result<AttrValue, Vec<String>> {
    if field.secret {
        let secret = match value {
            Input::Secret(s) => s,
            Input::Json(Value::String(s)) => SecretString::from(s),
            Input::Json(Value::Object(map)) if matches!(field.kind, FieldKind::JsonDocument(_)) => {
                SecretString::from(Value::Object(map).to_string())
            }
            Input::Json(other) => {
                return Err(vec![format!(
                    "must be a string (got {})",
                    json_type(&other)
                )]);
            }
        };
        check_secret(field, secret.expose_secret())?;
        return Ok(AttrValue::Secret(secret));
    }
    let value = match value {
        Input::Json(v) => v,
        Input::Secret(s) => Value::String(s.expose_secret().to_owned()),
    };
    check_plain(field, value)
}

fn check_secret(field: &FieldSpec, text: &str) -> Result<(), Vec<String>> {
    match field.kind {
        FieldKind::JsonDocument(kind) => {
            if text.is_empty() {
                return Err(vec!["must not be empty".to_owned()]);
            }
            if text.len() > MAX_DOCUMENT {
                return Err(vec![format!(
                    "must be at most {MAX_DOCUMENT} bytes (got {})",
                    text.len()
                )]);
            }
            match kind {
                DocumentKind::ServiceAccountKey => check_service_account(text).map(|_| ()),
                DocumentKind::OAuthToken => check_token(text).map(|_| ()),
            }
        }
        FieldKind::Text { max_len } => {
            let mut problems = check_text(field, text, max_len);
            if field.rule == Rule::S3Key && text.chars().any(char::is_whitespace) {
                problems.push("must not contain whitespace".to_owned());
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(problems)
            }
        }
        // The catalog has no other secret kinds; treat them as text.
        _ => {
            let problems = check_text(field, text, crate::provider::MAX_TEXT);
            if problems.is_empty() {
                Ok(())
            } else {
                Err(problems)
            }
        }
    }
}

/// Emptiness, length and control characters, for plain and secret text alike.
fn check_text(field: &FieldSpec, text: &str, max_len: usize) -> Vec<String> {
    let mut problems = Vec::new();
    if text.is_empty() {
        if field.requirement == Requirement::Required {
            problems.push("must not be empty".to_owned());
        }
        return problems;
    }
    let (len, control) = length_and_control(text);
    if len > max_len {
        problems.push(format!("must be at most {max_len} characters (got {len})"));
    }
    if control {
        problems.push("must not contain control characters".to_owned());
    }
    problems
}

/// The length in characters and whether any is a control character;
/// printable ASCII (nearly all text) is answered in one pass over its bytes.
fn length_and_control(text: &str) -> (usize, bool) {
    // Without an early exit, so that the compiler checks many bytes at once.
    if text
        .bytes()
        .fold(true, |printable, b| printable & (0x20..0x7f).contains(&b))
    {
        (text.len(), false)
    } else {
        (text.chars().count(), text.chars().any(char::is_control))
    }
}

fn string_or_error(value: Value, what: &str) -> Result<String, Vec<String>> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(vec![format!("must be {what} (got {})", json_type(&other))]),
    }
}

fn check_plain(field: &FieldSpec, value: Value) -> Result<AttrValue, Vec<String>> {
    match field.kind {
        FieldKind::Text { max_len } => {
            let s = string_or_error(value, "a string")?;
            let mut problems = check_text(field, &s, max_len);
            if !s.is_empty() {
                match field.rule {
                    Rule::AzureAccount
                        if !s
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') =>
                    {
                        problems
                            .push("can only contain alphanumeric characters, - and .".to_owned());
                    }
                    Rule::Host => {
                        if s.contains("://") || s.contains('/') {
                            problems.push(format!(
                                "must be a host name or address, not a URL (got {:?})",
                                truncate(&s, 60)
                            ));
                        } else if s.chars().any(char::is_whitespace) {
                            problems.push("must not contain whitespace".to_owned());
                        }
                    }
                    _ => {}
                }
            }
            if problems.is_empty() {
                Ok(AttrValue::Text(s))
            } else {
                Err(problems)
            }
        }
        FieldKind::KeyPairRef => {
            let s = string_or_error(value, "the name of a key pair")?;
            if s.is_empty() && field.requirement != Requirement::Required {
                return Err(vec![
                    "must be the name of a key pair (leave the field out for none)".to_owned(),
                ]);
            }
            validate_name(&s).map_err(|e| vec![e.message])?;
            Ok(AttrValue::Text(s))
        }
        FieldKind::Url => {
            let s = string_or_error(value, "a string")?;
            let mut problems = check_text(field, &s, crate::provider::MAX_TEXT);
            if !s.is_empty() && problems.is_empty() && !is_http_url(&s) {
                problems.push(format!(
                    "must be an http or https URL (got {:?})",
                    truncate(&s, 60)
                ));
            }
            if problems.is_empty() {
                Ok(AttrValue::Text(s))
            } else {
                Err(problems)
            }
        }
        FieldKind::Integer { min, max } => {
            let i = integer(&value)?;
            if i < min || i > max {
                return Err(vec![format!("must be between {min} and {max} (got {i})")]);
            }
            Ok(AttrValue::Integer(i))
        }
        FieldKind::Port => {
            let i = integer(&value)?;
            if !(1..=65535).contains(&i) {
                return Err(vec![format!("must be between 1 and 65535 (got {i})")]);
            }
            Ok(AttrValue::Integer(i))
        }
        FieldKind::Boolean => match value {
            Value::Bool(b) => Ok(AttrValue::Bool(b)),
            other => Err(vec![format!(
                "must be true or false (got {})",
                json_type(&other)
            )]),
        },
        FieldKind::Enum { allowed } => {
            let s = string_or_error(value, "a string")?;
            canonical(&s, allowed)
                .map(|c| AttrValue::Text(c.to_owned()))
                .ok_or_else(|| {
                    vec![format!(
                        "must be one of {} (got {:?})",
                        allowed.join(", "),
                        truncate(&s, 40)
                    )]
                })
        }
        FieldKind::NullableEnum { allowed } => match value {
            Value::Null => Ok(AttrValue::Null),
            Value::String(s) => canonical(&s, allowed)
                .map(|c| AttrValue::Text(c.to_owned()))
                .ok_or_else(|| {
                    vec![format!(
                        "must be null or one of {} (got {:?})",
                        allowed.join(", "),
                        truncate(&s, 40)
                    )]
                }),
            other => Err(vec![format!(
                "must be null or one of {} (got {})",
                allowed.join(", "),
                json_type(&other)
            )]),
        },
        FieldKind::NullableInteger { allowed } => {
            let list = crate::provider::integer_list(allowed);
            match value {
                Value::Null => Ok(AttrValue::Null),
                Value::Number(n) => match n.as_i64() {
                    Some(i) if allowed.contains(&i) => Ok(AttrValue::Integer(i)),
                    _ => Err(vec![format!("must be null or one of {list} (got {n})")]),
                },
                other => Err(vec![format!(
                    "must be null or one of {list} (got {})",
                    json_type(&other)
                )]),
            }
        }
        FieldKind::JsonDocument(_) => {
            // Not in the catalog as a plain field; hold it as text.
            let s = string_or_error(value, "a string")?;
            Ok(AttrValue::Text(s))
        }
    }
}

fn integer(value: &Value) -> Result<i64, Vec<String>> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| vec![format!("must be an integer (got {n})")]),
        other => Err(vec![format!(
            "must be an integer (got {})",
            json_type(other)
        )]),
    }
}

fn canonical(given: &str, allowed: &'static [&'static str]) -> Option<&'static str> {
    allowed
        .iter()
        .copied()
        .find(|a| a.eq_ignore_ascii_case(given.trim()))
}

/// Whether `s` is an http or https URL with a host, as `url::Url::parse`
/// decides. The common shape is recognized without the full parse (a restore
/// validates every stored URL, and the parse was an eighth of its row checks);
/// anything else is parsed.
fn is_http_url(s: &str) -> bool {
    plain_http_url(s) || parsed_http_url(s)
}

fn parsed_http_url(s: &str) -> bool {
    match url::Url::parse(s) {
        Ok(u) => {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        }
        Err(_) => false,
    }
}

/// `http://` or `https://`, a host name of dot-separated labels of lowercase
/// ASCII letters, digits and hyphens (none empty, none with `--`, so no
/// punycode, the last one starting with a letter, so no IPv4 address), an
/// optional port of 1-5 digits up to 65535, then nothing or `/`, `?` or `#`
/// and anything. `Url::parse` accepts every such string (a path, query or
/// fragment never fails it) with that scheme and a non-empty host; when this
/// says no, the full parse decides.
fn plain_http_url(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    let end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let (host, port) = match rest[..end].split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (&rest[..end], None),
    };
    let port_ok = port.is_none_or(|p| {
        (1..=5).contains(&p.len())
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| n <= 65535)
    });
    port_ok && plain_host(host)
}

/// The host part of [`plain_http_url`], in one pass over its bytes.
fn plain_host(host: &str) -> bool {
    let mut last_label = 0;
    let mut prev = b'.';
    for (i, b) in host.bytes().enumerate() {
        match b {
            // An empty label.
            b'.' if prev == b'.' => return false,
            b'.' => last_label = i + 1,
            // `--` (punycode's `xn--`).
            b'-' if prev == b'-' => return false,
            b'-' | b'a'..=b'z' | b'0'..=b'9' => {}
            _ => return false,
        }
        prev = b;
    }
    prev != b'.'
        && host
            .as_bytes()
            .get(last_label)
            .is_some_and(u8::is_ascii_lowercase)
}

/// Unusual but accepted shapes, as messages (never quoting a secret).
pub(crate) fn warnings(provider: ProviderKind, attrs: &[(&'static str, AttrValue)]) -> Vec<String> {
    let mut out = Vec::new();
    let get = |name: &str| attrs.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
    for field in provider.spec().fields() {
        let Some(AttrValue::Secret(s)) = get(field.name) else {
            continue;
        };
        let s = s.expose_secret();
        match field.rule {
            Rule::S3Key => {
                let (ok_char, lo, hi): (fn(char) -> bool, usize, usize) =
                    if field.name == "access_key_id" {
                        (|c| c.is_ascii_alphanumeric(), 16, 128)
                    } else {
                        (|c| c.is_ascii_alphanumeric() || "/+=".contains(c), 30, 128)
                    };
                let len = s.chars().count();
                if !s.chars().all(ok_char) || len < lo || len > hi {
                    out.push(format!(
                        "{}: unusual shape ({} characters{}); AWS keys are {}-{} {}; other S3 services may differ",
                        field.name,
                        len,
                        if s.chars().all(ok_char) { "" } else { ", with unusual characters" },
                        lo,
                        hi,
                        if field.name == "access_key_id" {
                            "letters and digits"
                        } else {
                            "letters, digits, / and +"
                        }
                    ));
                }
            }
            Rule::Base64Key => {
                use base64::Engine as _;
                if base64::engine::general_purpose::STANDARD
                    .decode(s.trim())
                    .is_err()
                {
                    out.push(format!(
                        "{}: is not valid base64, which Azure account keys are",
                        field.name
                    ));
                }
            }
            _ => {}
        }
    }
    if provider == ProviderKind::Sftp && get("pass").is_none() && get("private_key").is_none() {
        out.push(
            "pass, private_key: neither is set, so the server must accept the user without either"
                .to_owned(),
        );
    }
    out
}

/// Turns a JSON object's members into inputs.
pub(crate) fn inputs_from_map<K>(members: impl IntoIterator<Item = (K, Value)>) -> Vec<(K, Input)> {
    members
        .into_iter()
        .map(|(k, v)| (k, Input::Json(v)))
        .collect()
}

impl Problems {
    /// Whether a problem about `field` was already found.
    pub(crate) fn mentions(&self, field: &str) -> bool {
        self.list.iter().any(|(_, f, _)| f == field)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{is_http_url, length_and_control, parsed_http_url, plain_http_url};

    #[test]
    fn length_and_control_as_the_chars_say() {
        for text in [
            "",
            "plain",
            "tab\there",
            "del\u{7f}",
            "nbsp\u{a0}",
            "bell\u{7}",
            "c1\u{85}",
            "é and 日本",
            "~ !",
        ] {
            assert_eq!(
                length_and_control(text),
                (text.chars().count(), text.chars().any(char::is_control)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn plain_urls_skip_the_parse_and_others_are_parsed() {
        for s in [
            "https://dav1.example.com/remote.php/dav/files/u1",
            "http://nas:8080",
            "https://a-b.c0/x?y#z",
            "https://s3.eu-west-1.amazonaws.com",
            "http://example.com:0/",
            "http://example.com:00080/",
        ] {
            assert!(plain_http_url(s), "{s}");
            assert!(parsed_http_url(s), "{s}");
        }
        for (s, ok) in [
            ("https://Example.com/", true),
            ("https://xn--nxasmq6b.com/", true),
            ("https://xn--a.com/", false),
            ("https://10.0.0.1/", true),
            ("https://1.2.3.300/", false),
            ("https://example.123/", false),
            ("https://user:pw@example.com/", true),
            ("https://[::1]:8443/", true),
            ("https://example.com:65536/", false),
            ("https://example.com:/", true),
            ("https:example.com", true),
            ("https://", false),
            ("ftp://example.com/", false),
            ("file:///etc/passwd", false),
            ("https://exa mple.com/", false),
            ("https://example.com\\path", true),
        ] {
            assert!(!plain_http_url(s) || ok, "{s}");
            assert_eq!(is_http_url(s), ok, "{s}");
            assert_eq!(is_http_url(s), parsed_http_url(s), "{s}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// What the fast path accepts, the parse accepts: strings near the
        /// fast path's edges (hyphens, dots, digits, ports, `xn--`).
        #[test]
        fn the_fast_path_never_accepts_what_the_parse_refuses(
            scheme in prop::sample::select(vec!["http://", "https://"]),
            host in prop_oneof![
                "(xn--|[a-z0-9.-]|0x|:|[0-9]{1,6}){0,12}",
                "[a-z0-9-]{1,6}(\\.[a-z0-9-]{1,6}){0,3}(:[0-9]{0,6})?",
            ],
            tail in prop::sample::select(vec!["", "/", "/a b", "?q", "#f", "/%zz", "\\x", "\t/"]),
        ) {
            let s = format!("{scheme}{host}{tail}");
            if plain_http_url(&s) {
                prop_assert!(parsed_http_url(&s), "{}", s);
            }
        }
    }
}
