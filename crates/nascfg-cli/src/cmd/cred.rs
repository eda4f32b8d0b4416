//! `nascfg cred ...`

use nascfg_credentials::{Credential, ProviderKind, REDACTED, Reveal, Shape};
use nascfg_crypto::secrecy::ExposeSecret as _;
use nascfg_store::CredentialSummary;
use serde_json::{Map, Value, json};

use super::attrs::{self, EmptyValue};
use super::common::open_store;
use super::credential::{SummaryJson, credential_json, parse_provider, summary_json};
use super::input;
use super::table::{Listing, lost_note};
use crate::cli::{Cli, CredCommand, VerifyArgs};
use crate::output;

/// The largest `--from-json` document.
const MAX_JSON: u64 = 1024 * 1024;

pub fn run(cli: &Cli, command: &CredCommand) -> anyhow::Result<()> {
    match command {
        CredCommand::Add {
            name,
            provider,
            set,
            from_json,
            verify,
            verify_args,
        } => add(
            cli,
            name.as_deref(),
            provider.as_deref(),
            set,
            from_json.as_deref(),
            *verify,
            verify_args,
        ),
        CredCommand::List => list(cli),
        CredCommand::Show { name, reveal } => show(cli, name, *reveal),
        CredCommand::Update { name, set, rename } => update(cli, name, set, rename.as_deref()),
        CredCommand::Delete { name } => delete(cli, name),
        CredCommand::Login {
            name,
            provider,
            set,
            login,
        } => super::login::cred_login(cli, name, provider.as_deref(), set, login),
        CredCommand::Verify {
            name,
            provider,
            set,
            verify_args,
        } => super::verify::run(cli, name.as_deref(), provider.as_deref(), set, verify_args),
    }
}

fn invalid(
    cli: &Cli,
    mut errors: nascfg_credentials::ValidationErrors,
    provider: ProviderKind,
    attrs: &Map<String, Value>,
) -> anyhow::Error {
    // Every problem at once: a key pair that does not exist too, not only after the rest is fixed.
    if let Some(e) = missing_keypair(cli, provider, attrs)
        && !errors.iter().any(|have| have.field() == e.field())
    {
        errors.push(e);
    }
    let missing: Vec<&'static str> = provider
        .spec()
        .fields()
        .iter()
        .filter(|f| f.required() && !attrs.contains_key(f.name()))
        .map(|f| f.name())
        .collect();
    let hint = if missing.is_empty() {
        format!(
            "`nascfg providers show {}` lists the fields",
            provider.type_str()
        )
    } else {
        let sets: Vec<String> = missing.iter().map(|f| format!("--set {f}=VALUE")).collect();
        let secret_missing = !attrs::missing_secrets(provider, attrs).is_empty();
        format!(
            "give every missing field: {} (KEY=@FILE reads a file, KEY=- standard input){}",
            sets.join(" "),
            if secret_missing {
                "; on a terminal nascfg asks for a missing secret"
            } else {
                ""
            }
        )
    };
    output::hint_kind(
        "invalid-credential",
        anyhow::anyhow!("invalid credential:\n{errors}"),
        hint,
    )
}

/// The SFTP `private_key` of `attrs` as a field error when this box has no key pair of that
/// name (no store yet: none). Read only: nothing is created.
fn missing_keypair(
    cli: &Cli,
    provider: ProviderKind,
    attrs: &Map<String, Value>,
) -> Option<nascfg_credentials::FieldError> {
    let Some(Value::String(name)) = attrs.get("private_key") else {
        return None;
    };
    if provider != ProviderKind::Sftp || name.is_empty() {
        return None;
    }
    let error = || {
        nascfg_credentials::FieldError::new(
            "private_key",
            format!(
                "no key pair named \"{}\" (`nascfg keypair list` lists them)",
                nascfg_credentials::Untrusted::new(name)
            ),
        )
    };
    let dir = super::common::data_dir(cli).ok()?;
    if !dir.db_path().exists() {
        return Some(error());
    }
    match nascfg_store::Store::open(&dir).ok()?.keypair(name) {
        Err(nascfg_store::Error::NotFound { .. }) => Some(error()),
        _ => None,
    }
}

fn add(
    cli: &Cli,
    name: Option<&str>,
    provider: Option<&str>,
    set: &[String],
    from_json: Option<&str>,
    verify: bool,
    verify_args: &VerifyArgs,
) -> anyhow::Result<()> {
    let credential = match from_json {
        Some(source) => {
            let text = read_json_source(source)?;
            let value: Value = serde_json::from_str(&text).map_err(|e| {
                output::hint(
                    anyhow::anyhow!("{source}: not valid JSON (line {}, column {})", e.line(), e.column()),
                    "give a TrueNAS API document: {\"name\": ..., \"provider\": {\"type\": \"S3\", ...}}",
                )
            })?;
            Credential::from_api_json(&value)?
        }
        None => {
            let (Some(name), Some(provider)) = (name, provider) else {
                anyhow::bail!("give NAME and --provider TYPE, or --from-json FILE");
            };
            let provider = parse_provider(provider)?;
            let (mut values, mut errors) =
                attrs::parse_sets_lenient(provider, set, EmptyValue::IsText);
            if !errors.is_empty() {
                // List every problem at once: the unparsable values and what validation finds in the rest.
                if let Err(more) = Credential::new(name, provider, values.clone()) {
                    let bad: Vec<String> = errors.iter().map(|e| e.field().to_owned()).collect();
                    for e in more.iter().filter(|e| !bad.iter().any(|b| b == e.field())) {
                        errors.push(e.clone());
                    }
                }
                if let Some(e) = missing_keypair(cli, provider, &values)
                    && !errors.iter().any(|have| have.field() == e.field())
                {
                    errors.push(e);
                }
                return Err(output::hint_kind(
                    "invalid-credential",
                    anyhow::anyhow!("invalid credential:\n{errors}"),
                    format!(
                        "`nascfg providers show {}` lists the fields and their kinds",
                        provider.type_str()
                    ),
                ));
            }
            attrs::prompt_missing_secrets(provider, &mut values)?;
            Credential::new(name, provider, values.clone())
                .map_err(|e| invalid(cli, e, provider, &values))?
        }
    };
    for warning in credential.warnings() {
        eprintln!("warning: {warning}");
    }
    if verify {
        verify_before_save(cli, &credential, verify_args)?;
    }
    let mut store = open_store(cli)?;
    let id = store.add_credential(&credential)?;
    if cli.json {
        let summary = store.credential_summary(credential.name())?;
        output::print_json(&summary_json(&summary))?;
    } else if !cli.quiet {
        println!(
            "added credential {} ({}, id {id})",
            credential.name(),
            credential.provider().type_str()
        );
    }
    Ok(())
}

fn verify_before_save(cli: &Cli, credential: &Credential, args: &VerifyArgs) -> anyhow::Result<()> {
    super::verify::check_before_save(cli, credential, args)
}

fn read_json_source(source: &str) -> anyhow::Result<String> {
    let read = if source == "-" {
        input::read_at_most(std::io::stdin().lock(), MAX_JSON)?
    } else {
        input::read_at_most(input::open(std::path::Path::new(source))?, MAX_JSON)?
    };
    let Some(buf) = read else {
        anyhow::bail!("{source} is larger than 1 MiB");
    };
    String::from_utf8(buf).map_err(|_| anyhow::anyhow!("{source} is not UTF-8 text"))
}

/// The attributes of a summary in the provider's field order; secret fields as `********`.
fn ordered_attributes(
    summary: &CredentialSummary,
    revealed: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for field in summary.provider.spec().fields() {
        let name = field.name();
        if let Some(v) = summary.attributes.get(name) {
            out.insert(name.to_owned(), v.clone());
        } else if summary.secret_fields.iter().any(|s| s == name) {
            let value = revealed
                .and_then(|r| r.get(name))
                .cloned()
                .unwrap_or_else(|| Value::from(REDACTED));
            out.insert(name.to_owned(), value);
        }
    }
    for (k, v) in &summary.attributes {
        if !out.contains_key(k) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

const CREDENTIALS: Listing<CredentialSummary, 4> = Listing {
    empty: "no credentials yet; add one with `nascfg cred add NAME --provider TYPE --set KEY=VALUE`",
    header: ["ID", "NAME", "PROVIDER", "NOTE"],
    row: |s| {
        let provider = s.provider.type_str().to_owned();
        let note = lost_note(s.needs_secrets, "secrets must be re-entered");
        [s.id.to_string(), s.name.clone(), provider, note]
    },
};

fn list(cli: &Cli) -> anyhow::Result<()> {
    let store = open_store(cli)?;
    let all = store.list_credentials()?;
    if cli.json {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let items: Vec<SummaryJson<'_>> = all.iter().map(|s| SummaryJson(s, None)).collect();
        serde_json::to_writer_pretty(&mut out, &items)?;
        use std::io::Write;
        writeln!(out)?;
        out.flush()?;
        return Ok(());
    }
    CREDENTIALS.print(cli, &all);
    Ok(())
}

fn show(cli: &Cli, name: &str, reveal: bool) -> anyhow::Result<()> {
    let mut store = open_store(cli)?;
    let summary = store.credential_summary(name)?;
    let revealed = if reveal {
        let credential = store.credential(name)?;
        match credential
            .to_api_json(Shape::Current, Reveal::Revealed)
            .get("provider")
        {
            Some(Value::Object(m)) => Some(m.clone()),
            _ => None,
        }
    } else if summary.needs_secrets {
        None
    } else {
        // An empty secret is shown as empty (as TrueNAS shows it), not as `********`: that
        // would claim a value is set. Only the empty ones are "revealed".
        let credential = store.credential(name)?;
        let empty: Map<String, Value> = credential
            .secret_attributes()
            .into_iter()
            .filter(|(_, value)| value.expose_secret().is_empty())
            .map(|(field, _)| (field.to_owned(), Value::from("")))
            .collect();
        Some(empty)
    };
    if cli.json {
        return output::print_json(&credential_json(&summary, revealed.as_ref()));
    }
    println!("name:     {}", summary.name);
    println!("id:       {}", summary.id);
    println!(
        "provider: {} ({})",
        summary.provider.type_str(),
        summary.provider.title()
    );
    println!("created:  {}", summary.created_at);
    println!("updated:  {}", summary.updated_at);
    if summary.needs_secrets {
        println!(
            "note:     its secrets must be re-entered (`nascfg cred update {} --set FIELD=VALUE`)",
            summary.name
        );
    }
    let attrs = ordered_attributes(&summary, revealed.as_ref());
    let width = attrs.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    if !attrs.is_empty() {
        println!("attributes:");
    }
    for (k, v) in attrs {
        let text = match v {
            Value::String(s) if s.is_empty() && summary.secret_fields.contains(&k) => {
                "(not set)".to_owned()
            }
            Value::String(s) => s,
            other => other.to_string(),
        };
        println!("  {k:<width$}  {text}");
    }
    Ok(())
}

fn update(cli: &Cli, name: &str, set: &[String], rename: Option<&str>) -> anyhow::Result<()> {
    if set.is_empty() && rename.is_none() {
        return Err(output::hint(
            anyhow::anyhow!("nothing to change"),
            "give --set KEY=VALUE (KEY= removes an optional attribute) or --rename NEW",
        ));
    }
    let mut store = open_store(cli)?;
    let summary = store.credential_summary(name)?;
    let mut changes = attrs::parse_sets(summary.provider, set, EmptyValue::Removes)?;
    if summary.needs_secrets {
        attrs::prompt_missing_secrets(summary.provider, &mut changes)?;
    }
    let mut given = summary.attributes.clone();
    given.extend(changes.clone());
    let updated = store
        .update_credential(name, changes, rename)
        .map_err(|e| match e {
            nascfg_store::Error::Invalid(errors) => invalid(cli, errors, summary.provider, &given),
            other => other.into(),
        })?;
    for warning in updated.warnings() {
        eprintln!("warning: {warning}");
    }
    if cli.json {
        let summary = store.credential_summary(updated.name())?;
        output::print_json(&summary_json(&summary))?;
    } else if !cli.quiet {
        if updated.name() != name {
            println!("renamed credential {name} to {}", updated.name());
        }
        if !set.is_empty() {
            println!("updated credential {}", updated.name());
        }
    }
    Ok(())
}

fn delete(cli: &Cli, name: &str) -> anyhow::Result<()> {
    let mut store = open_store(cli)?;
    store.delete_credential(name)?;
    if cli.json {
        output::print_json(&json!({ "deleted": name }))?;
    } else if !cli.quiet {
        println!("deleted credential {name}");
    }
    Ok(())
}
