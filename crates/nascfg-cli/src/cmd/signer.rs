//! `nascfg signer show`: the box's bundle-signing key.

use nascfg_bundle::SIGNATURE_NAMESPACE;
use nascfg_store::ssh_key::PublicKey;

use super::common::open_store;
use crate::cli::{Cli, SignerCommand};
use crate::output;

pub fn run(cli: &Cli, command: &SignerCommand) -> anyhow::Result<()> {
    match command {
        SignerCommand::Show { allowed_signers } => {
            let store = open_store(cli)?;
            // Made (under the writer lock) when the store has none yet.
            let key = store.signing_key()?;
            let public = key.public_key();
            let line = public.to_openssh()?;
            let allowed = allowed_signers_line(&public)?;
            if cli.json {
                return output::print_json(&serde_json::json!({
                    "public_key": line,
                    "fingerprint": key.fingerprint(),
                    "comment": public.comment(),
                    "namespace": SIGNATURE_NAMESPACE,
                    "allowed_signers": allowed,
                }));
            }
            if *allowed_signers {
                println!("{allowed}");
            } else {
                println!("{line}");
                println!("{}", key.fingerprint());
            }
            Ok(())
        }
    }
}

/// `nascfg@<host> namespaces="nascfg-bundle@v1" ssh-ed25519 AAAA…`: the key
/// for an OpenSSH allowed_signers file, its principal the key's comment.
fn allowed_signers_line(public: &PublicKey) -> anyhow::Result<String> {
    let bare = PublicKey::new(public.key_data().clone(), "").to_openssh()?;
    let principal = match public.comment() {
        "" => "nascfg",
        comment => comment,
    };
    Ok(format!(
        "{principal} namespaces=\"{SIGNATURE_NAMESPACE}\" {bare}"
    ))
}
