//! `nascfg keypair ...`

use std::path::Path;

use nascfg_crypto::secrecy::{ExposeSecret, SecretString};
use nascfg_store::{KeypairSummary, parse_private_key, ssh_key};
use serde_json::{Value, json};

use super::common::{interactive, open_store, read_passphrase};
use super::table::{Listing, lost_note};
use crate::cli::{Cli, KeypairCommand, PassphraseArgs};
use crate::output;

const MAX_KEY_FILE: u64 = 64 * 1024;

/// What `keypair list` and `show` say of a key pair whose private key a restore without the
/// seed could not bring back.
const LOST_NOTE: &str = "private key lost: re-import";

const KEYPAIRS: Listing<KeypairSummary, 4> = Listing {
    empty: "no key pairs yet; make one with `nascfg keypair generate NAME`",
    header: ["NAME", "TYPE", "FINGERPRINT", "NOTE"],
    row: |k| {
        let note = lost_note(k.needs_secrets, LOST_NOTE);
        [
            k.name.clone(),
            k.key_type.clone(),
            k.fingerprint.clone(),
            note,
        ]
    },
};

pub fn run(cli: &Cli, command: &KeypairCommand) -> anyhow::Result<()> {
    match command {
        KeypairCommand::Generate { name, key_type } => {
            let mut store = open_store(cli)?;
            let kp = store.generate_keypair(name, (*key_type).into())?;
            print_made(cli, "generated", &kp)
        }
        KeypairCommand::Import {
            name,
            private_key,
            passphrase,
        } => {
            let text = read_key_file(private_key)?;
            let key = parse_key(&text, private_key, passphrase)?;
            let mut store = open_store(cli)?;
            let kp = store.add_keypair(name, &key)?;
            print_made(cli, "imported", &kp)
        }
        KeypairCommand::List => {
            let all = open_store(cli)?.list_keypairs()?;
            KEYPAIRS.print_or_json(cli, &all, keypair_json)
        }
        KeypairCommand::Show { name } => {
            let store = open_store(cli)?;
            let kp = store.keypair(name)?;
            if cli.json {
                return output::print_json(&keypair_json(&kp));
            }
            println!("name:        {}", kp.name);
            println!("type:        {}", kp.key_type);
            println!("fingerprint: {}", kp.fingerprint);
            println!("created:     {}", kp.created_at);
            if kp.needs_secrets {
                println!(
                    "note:        {LOST_NOTE}: the restore had no seed; delete this key pair and import \
                     its private key again (`nascfg keypair import {} --private-key FILE`)",
                    kp.name
                );
            }
            println!("public key:  {}", kp.public_key);
            Ok(())
        }
        KeypairCommand::Delete { name, force } => {
            let mut store = open_store(cli)?;
            let unbound = if *force {
                store.delete_keypair_and_unbind(name)
            } else {
                store.delete_keypair(name).map(|()| Vec::new())
            }?;
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

/// Reads the key, asking for its passphrase only if it is encrypted: from
/// --passphrase-file/--passphrase-env if given, else a hidden prompt on a
/// terminal, else none (the store then says one is needed).
fn parse_key(
    text: &SecretString,
    path: &Path,
    args: &PassphraseArgs,
) -> anyhow::Result<ssh_key::PrivateKey> {
    let mut given = if args.passphrase_file.is_some() || args.passphrase_env.is_some() {
        read_passphrase(args, false)?
    } else {
        None
    };
    let mut prompt_error = None;
    let mut passphrase = || {
        if let Some(p) = given.take() {
            return Some(p);
        }
        if !interactive() {
            return None;
        }
        rpassword::prompt_password(format!("passphrase for {}: ", path.display()))
            .map(SecretString::from)
            .map_err(|e| prompt_error = Some(e))
            .ok()
    };
    let parsed = parse_private_key(text.expose_secret(), &mut passphrase);
    if let Some(e) = prompt_error {
        return Err(anyhow::anyhow!(
            "cannot read the passphrase from the terminal: {e}"
        ));
    }
    Ok(parsed?)
}

fn read_key_file(path: &std::path::Path) -> anyhow::Result<SecretString> {
    let Some(buf) = super::input::read_at_most(super::input::open(path)?, MAX_KEY_FILE)? else {
        return Err(output::hint(
            anyhow::anyhow!("{} is larger than 64 KiB", path.display()),
            "give a private key file (OpenSSH, PEM or PKCS#8)",
        ));
    };
    let text = String::from_utf8(buf).map_err(|_| {
        output::hint(
            anyhow::anyhow!("{} is not a text file", path.display()),
            "give a private key file (OpenSSH, PEM or PKCS#8)",
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
