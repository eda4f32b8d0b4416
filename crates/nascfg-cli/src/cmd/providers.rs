//! `nascfg providers [--json]` and `nascfg providers show TYPE [--json]`:
//! the provider catalog of nascfg-credentials, as a table or as JSON.

use nascfg_credentials::{FieldKind, FieldSpec, ProviderKind, ProviderSpec};
use serde_json::{Value, json};

use super::table::table;
use crate::cli::{Cli, ProvidersArgs, ProvidersCommand};
use crate::output;

pub fn run(cli: &Cli, args: &ProvidersArgs) -> anyhow::Result<()> {
    match &args.command {
        None => list(cli),
        Some(ProvidersCommand::Show { provider }) => show(cli, provider),
    }
}

fn list(cli: &Cli) -> anyhow::Result<()> {
    if cli.json {
        let all: Vec<Value> = ProviderKind::ALL
            .iter()
            .map(|k| {
                json!({"type": k.type_str(), "title": k.title(), "oauth_login": k.oauth_login()})
            })
            .collect();
        return output::print_json(&Value::Array(all));
    }
    let rows: Vec<[String; 3]> = ProviderKind::ALL
        .iter()
        .map(|k| {
            [
                k.type_str().to_owned(),
                k.title().to_owned(),
                if k.oauth_login() { "yes" } else { "no" }.to_owned(),
            ]
        })
        .collect();
    print!("{}", table(&["TYPE", "TITLE", "OAUTH"], &rows));
    Ok(())
}

fn show(cli: &Cli, given: &str) -> anyhow::Result<()> {
    let kind: ProviderKind = given.parse().map_err(|_| {
        output::hint_kind(
            "credential",
            anyhow::anyhow!("unknown provider {given:?}"),
            format!("the providers are {} (any case)", type_list()),
        )
    })?;
    let spec = kind.spec();
    if cli.json {
        return output::print_json(&spec_json(spec));
    }
    println!(
        "{} ({}){}",
        spec.title(),
        spec.type_str(),
        if spec.oauth_login() {
            ", OAuth login"
        } else {
            ""
        }
    );
    println!();
    let rows: Vec<[String; 5]> = spec
        .fields()
        .iter()
        .map(|f| {
            [
                f.name().to_owned(),
                kind_text(f),
                required_text(f).to_owned(),
                default_text(f),
                if f.secret() { "yes" } else { "no" }.to_owned(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(&["FIELD", "KIND", "REQUIRED", "DEFAULT", "SECRET"], &rows)
    );
    for f in spec.fields() {
        println!();
        println!("{} ({})", f.name(), f.label());
        println!("  {}", f.help());
        if let Some(allowed) = allowed_text(f) {
            println!("  allowed: {allowed}");
        }
    }
    Ok(())
}

fn type_list() -> String {
    ProviderKind::ALL
        .iter()
        .map(|k| k.type_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The JSON schema of one provider: what `providers show TYPE --json` prints.
fn spec_json(spec: &ProviderSpec) -> Value {
    let fields: Vec<Value> = spec
        .fields()
        .iter()
        .map(|f| {
            let mut o = serde_json::Map::new();
            o.insert("name".into(), f.name().into());
            o.insert("label".into(), f.label().into());
            o.insert("kind".into(), f.kind().name().into());
            o.insert("required".into(), f.required().into());
            if f.required() {
                o.insert("empty_allowed".into(), f.empty_allowed().into());
            }
            if let Some(d) = f.default() {
                o.insert("default".into(), d);
            }
            o.insert("secret".into(), f.secret().into());
            o.insert("help".into(), f.help().into());
            if let Some(allowed) = f.allowed_values() {
                o.insert("allowed_values".into(), json!(allowed));
            }
            if let Some(allowed) = f.allowed_integers() {
                o.insert("allowed_values".into(), json!(allowed));
            }
            if let Some((min, max)) = f.integer_range() {
                o.insert("min".into(), min.into());
                o.insert("max".into(), max.into());
            }
            Value::Object(o)
        })
        .collect();
    json!({
        "type": spec.type_str(),
        "title": spec.title(),
        "oauth_login": spec.oauth_login(),
        "fields": fields,
    })
}

fn kind_text(f: &FieldSpec) -> String {
    match f.kind() {
        FieldKind::Integer { min, max } => format!("integer {min}-{max}"),
        kind @ (FieldKind::Text { .. }
        | FieldKind::Port
        | FieldKind::Boolean
        | FieldKind::Url
        | FieldKind::Enum { .. }
        | FieldKind::JsonDocument(_)
        | FieldKind::KeyPairRef
        | FieldKind::NullableInteger { .. }
        | FieldKind::NullableEnum { .. }) => kind.name().to_owned(),
    }
}

fn required_text(f: &FieldSpec) -> &'static str {
    match (f.required(), f.empty_allowed()) {
        (true, false) => "yes",
        (true, true) => "yes (may be empty)",
        (false, _) => "no",
    }
}

fn default_text(f: &FieldSpec) -> String {
    match f.default() {
        None => "-".to_owned(),
        Some(Value::String(s)) if s.is_empty() => "\"\"".to_owned(),
        Some(Value::String(s)) => s,
        Some(other) => other.to_string(),
    }
}

fn allowed_text(f: &FieldSpec) -> Option<String> {
    let list = f.kind().allowed_list();
    match f.kind() {
        FieldKind::Enum { .. } => list.map(|l| format!("{l} (any case)")),
        FieldKind::NullableEnum { .. } => list.map(|l| format!("null, {l} (any case)")),
        FieldKind::NullableInteger { .. } => list.map(|l| format!("null, {l}")),
        FieldKind::Text { .. }
        | FieldKind::Integer { .. }
        | FieldKind::Port
        | FieldKind::Boolean
        | FieldKind::Url
        | FieldKind::JsonDocument(_)
        | FieldKind::KeyPairRef => None,
    }
}
