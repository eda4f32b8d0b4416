//! `nascfg apikey ...`: keys for the TrueNAS-compatible API.

use nascfg_crypto::secrecy::ExposeSecret;
use nascfg_store::ApiKeySummary;
use serde_json::{Value, json};

use super::common::open_store;
use super::table::Listing;
use crate::cli::{ApikeyCommand, Cli};
use crate::output;

const API_KEYS: Listing<ApiKeySummary, 4> = Listing {
    empty: "no API keys yet; make one with `nascfg apikey create NAME`",
    header: ["ID", "NAME", "ROLE", "CREATED"],
    row: |k| {
        [
            k.id.to_string(),
            k.name.clone(),
            k.role.as_str().to_owned(),
            k.created_at.clone(),
        ]
    },
};

pub fn run(cli: &Cli, command: &ApikeyCommand) -> anyhow::Result<()> {
    match command {
        ApikeyCommand::Create { name, role } => {
            let mut store = open_store(cli)?;
            let made = store.create_api_key(name, (*role).into())?;
            if cli.json {
                let mut doc = summary_json(&made.summary);
                doc["key"] = Value::String(made.key.expose_secret().to_owned());
                return output::print_json(&doc);
            }
            if !cli.quiet {
                eprintln!(
                    "created the {} API key {:?} (id {}); it is printed once, below, and cannot be shown again",
                    made.summary.role.as_str(),
                    made.summary.name,
                    made.summary.id
                );
            }
            println!("{}", made.key.expose_secret());
            Ok(())
        }
        ApikeyCommand::List => {
            let all = open_store(cli)?.api_keys()?;
            API_KEYS.print_or_json(cli, &all, summary_json)
        }
        ApikeyCommand::Delete { name } => {
            let mut store = open_store(cli)?;
            store.delete_api_key(name)?;
            if cli.json {
                return output::print_json(&json!({ "deleted": name }));
            }
            if !cli.quiet {
                println!("deleted the API key {name:?}");
            }
            Ok(())
        }
    }
}

fn summary_json(k: &ApiKeySummary) -> Value {
    json!({
        "id": k.id,
        "name": k.name,
        "role": k.role.as_str(),
        "created_at": k.created_at,
    })
}
