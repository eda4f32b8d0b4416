//! `nascfg keypair ...`

use std::io::Read;

use nascfg_crypto::secrecy::SecretString;
use nascfg_store::{KeyType, KeypairSummary};
use serde_json::{Value, json};

use super::common::{open_store, store_error};
use crate::cli::{self, Cli, KeypairCommand};
use crate::output;

const MAX_KEY_FILE: u64 = 64 * 1024;

pub fn run(cli: &Cli, command: &KeypairCommand) -> anyhow::Result<()> {
    match command {
        KeypairCommand::Generate { name, key_type } => {
            let key_type = match key_type {
                cli::KeyType::Ed25519 => KeyType::Ed25519,
                cli::KeyType::Rsa => KeyType::Rsa,
            };
            let mut store = open_store(cli)?;
            let kp = store
                .generate_keypair(name, key_type)
                .map_err(store_error)?;
            print_made(cli, "generated", &kp)
        }
        KeypairCommand::Import { name, private_key } => {
            let text = read_key_file(private_key)?;
            let mut store = open_store(cli)?;
            let kp = store.import_keypair(name, &text).map_err(store_error)?;
            print_made(cli, "imported", &kp)
        }
        KeypairCommand::List => {
            let store = open_store(cli)?;
            let all = store.list_keypairs().map_err(store_error)?;
            if cli.json {
                return output::print_json(&Value::Array(all.iter().map(keypair_json).collect()));
            }
            if all.is_empty() {
                if !cli.quiet {
                    println!("no key pairs yet; make one with `nascfg keypair generate NAME`");
                }
                return Ok(());
            }
            let rows: Vec<[String; 3]> = all
                .iter()
                .map(|k| [k.name.clone(), k.key_type.clone(), k.fingerprint.clone()])
                .collect();
            super::cred::print_table(&["NAME", "TYPE", "FINGERPRINT"], &rows);
            Ok(())
        }
        KeypairCommand::Show { name } => {
            let store = open_store(cli)?;
            let kp = store.keypair(name).map_err(store_error)?;
            if cli.json {
                return output::print_json(&keypair_json(&kp));
            }
            println!("name:        {}", kp.name);
            println!("type:        {}", kp.key_type);
            println!("fingerprint: {}", kp.fingerprint);
            println!("created:     {}", kp.created_at);
            if kp.needs_secrets {
                println!(
                    "note:        the private key was not restored; delete and re-create this key pair"
                );
            }
            println!("public key:  {}", kp.public_key);
            Ok(())
        }
        KeypairCommand::Delete { name } => {
            let mut store = open_store(cli)?;
            let unbound = store.delete_keypair(name).map_err(store_error)?;
            if cli.json {
                return output::print_json(
                    &json!({ "deleted": name, "unbound_credentials": unbound }),
                );
            }
            if !cli.quiet {
                println!("deleted key pair {name}");
            }
            if !unbound.is_empty() {
                eprintln!(
                    "warning: these SFTP credentials used it and no longer have a private key: {}",
                    unbound.join(", ")
                );
            }
            Ok(())
        }
    }
}

fn read_key_file(path: &std::path::Path) -> anyhow::Result<SecretString> {
    let file = std::fs::File::open(path).map_err(|e| {
        output::hint(
            anyhow::anyhow!("cannot read {}: {e}", path.display()),
            "check the path",
        )
    })?;
    let mut buf = Vec::new();
    file.take(MAX_KEY_FILE + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_KEY_FILE {
        return Err(output::hint(
            anyhow::anyhow!("{} is larger than 64 KiB", path.display()),
            "give an OpenSSH private key file",
        ));
    }
    let text = String::from_utf8(buf).map_err(|_| {
        output::hint(
            anyhow::anyhow!("{} is not a text file", path.display()),
            "give an OpenSSH private key file",
        )
    })?;
    Ok(SecretString::from(text))
}

fn keypair_json(kp: &KeypairSummary) -> Value {
    json!({
        "id": kp.id,
        "name": kp.name,
        "type": kp.key_type,
        "public_key": kp.public_key,
        "fingerprint": kp.fingerprint,
        "created_at": kp.created_at,
        "needs_secrets": kp.needs_secrets,
    })
}

fn print_made(cli: &Cli, verb: &str, kp: &KeypairSummary) -> anyhow::Result<()> {
    if cli.json {
        return output::print_json(&keypair_json(kp));
    }
    if !cli.quiet {
        println!("{verb} {} key pair {}", kp.key_type, kp.name);
        println!("fingerprint: {}", kp.fingerprint);
        println!("public key:  {}", kp.public_key);
    }
    Ok(())
}
