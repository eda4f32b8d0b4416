//! `nascfg backup diff A B`, and the diff that `backup restore --dry-run` prints.

use std::path::Path;

use nascfg_bundle::{Configuration, Diff, SecretsCompared};
use nascfg_credentials::Untrusted;

use crate::cli::{BackupCommand, Cli};
use crate::cmd::backup::{check_signer, signer_policy};
use crate::cmd::{common, keys, remote};
use crate::output;

/// The command-line name of this box in `backup diff`.
const THIS_BOX: &str = "-";

/// `backup diff`: `command` is its [`BackupCommand::Diff`].
pub fn run(cli: &Cli, command: &BackupCommand) -> anyhow::Result<()> {
    let BackupCommand::Diff {
        a,
        b,
        passphrase,
        identities,
        seed,
        remote: remote_args,
        allowed_signers,
    } = command
    else {
        anyhow::bail!("backup diff's arguments expected");
    };
    let signers = &signer_policy(allowed_signers.as_deref())?;
    let dir = common::data_dir(cli)?;
    // The seed from --seed-file, else this box's, opens a bundle's secrets
    // sealed under it (nothing is created).
    let box_seed = match common::seed_file(seed)? {
        Some(seed) => Some(seed),
        None => nascfg_store::load_seed(&dir.seed_path()).ok(),
    };
    let load = |spec: &str| -> anyhow::Result<Configuration> {
        if spec == THIS_BOX {
            return Ok(Configuration::from_data_dir(&dir)?);
        }
        let path = Path::new(spec);
        // A remote bundle is pulled whole into a private 0600 file first, then read
        // like a local one; the file goes when its view is built.
        let pulled = if remote::is_remote(path) {
            Some(remote::fetch(cli, path, remote_args)?)
        } else {
            None
        };
        let path = pulled.as_ref().map_or(path, |(_, p)| p.as_path());
        let unlock = keys::bundle_unlock(path, passphrase, identities)?;
        let config = Configuration::from_bundle(path, &unlock, box_seed.as_ref())?;
        if let Some(signer) = config.signer() {
            check_signer(Path::new(spec), signers, signer)?;
        }
        Ok(config)
    };
    let before = load(a)?;
    let after = load(b)?;
    let diff = nascfg_bundle::diff(&before, &after);
    if cli.json {
        return output::print_json(&diff.to_json());
    }
    let name = |spec: &str| {
        if spec == THIS_BOX {
            "this box".to_owned()
        } else {
            spec.to_owned()
        }
    };
    println!("--- {}", name(a));
    println!("+++ {}", name(b));
    print_diff(&diff);
    Ok(())
}

/// Prints a diff grouped: seed, credentials (added, removed, renamed,
/// changed with field names), key pairs, known hosts. Never a secret. A
/// bundle's names and values are its word: shown escaped and cut
/// ([`Untrusted`]), so they cannot drive the terminal.
pub fn print_diff(diff: &Diff) {
    let u = Untrusted::new;
    if diff.is_empty() {
        println!("no differences");
        return;
    }
    if let Some(seed) = &diff.seed {
        println!(
            "seed: {} -> {}",
            u(seed.from.as_deref().unwrap_or("none")),
            u(seed.to.as_deref().unwrap_or("none"))
        );
    }
    let c = &diff.credentials;
    if !(c.added.is_empty() && c.removed.is_empty() && c.renamed.is_empty() && c.changed.is_empty())
    {
        println!("credentials:");
        for e in &c.added {
            println!("  added:   {} ({})", u(&e.name), u(&e.provider));
        }
        for e in &c.removed {
            println!("  removed: {} ({})", u(&e.name), u(&e.provider));
        }
        for r in &c.renamed {
            println!("  renamed: {} -> {}", u(&r.from), u(&r.to));
        }
        for ch in &c.changed {
            println!("  changed: {}", u(&ch.name));
            if let Some(p) = &ch.provider {
                println!("    provider: {} -> {}", u(&p.from), u(&p.to));
            }
            for a in &ch.attributes {
                let show = |v: &Option<serde_json::Value>| match v {
                    Some(v) => Untrusted::new(&v.to_string()).to_string(),
                    None => "(unset)".to_owned(),
                };
                println!("    {}: {} -> {}", u(&a.field), show(&a.from), show(&a.to));
            }
            for s in &ch.secrets {
                println!("    {}: secret {}", u(&s.field), s.change.describe());
            }
            if let Some(n) = &ch.needs_secrets {
                println!(
                    "    {}",
                    if n.to {
                        "its secrets must be re-entered"
                    } else {
                        "its secrets are present again"
                    }
                );
            }
        }
    }
    let k = &diff.keypairs;
    if !(k.added.is_empty() && k.removed.is_empty() && k.renamed.is_empty() && k.changed.is_empty())
    {
        println!("key pairs:");
        for e in &k.added {
            println!(
                "  added:   {} ({} {})",
                u(&e.name),
                u(&e.key_type),
                e.fingerprint
            );
        }
        for e in &k.removed {
            println!(
                "  removed: {} ({} {})",
                u(&e.name),
                u(&e.key_type),
                e.fingerprint
            );
        }
        for r in &k.renamed {
            println!("  renamed: {} -> {}", u(&r.from), u(&r.to));
        }
        for ch in &k.changed {
            println!("  changed: {}", u(&ch.name));
            if let Some(p) = &ch.public_key {
                println!("    public key: {} -> {}", p.from, p.to);
            }
            if let Some(p) = ch.private_key {
                println!("    private key: {}", p.describe());
            }
        }
    }
    let h = &diff.known_hosts;
    if !(h.added.is_empty() && h.removed.is_empty() && h.changed.is_empty()) {
        println!("known hosts:");
        for e in &h.added {
            println!("  added:   {}:{} {}", u(&e.host), e.port, e.key);
        }
        for e in &h.removed {
            println!("  removed: {}:{} {}", u(&e.host), e.port, e.key);
        }
        for e in &h.changed {
            println!(
                "  changed: {}:{} {} -> {}",
                u(&e.host),
                e.port,
                e.from,
                e.to
            );
        }
    }
    if diff.secrets_compared == SecretsCompared::SealedText {
        println!(
            "note: a side's seed is unknown, so secrets were compared by their sealed text only"
        );
    }
}
