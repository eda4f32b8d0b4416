//! How a diff is printed: by `backup diff` and by `backup restore --dry-run`.

use nascfg_bundle::{Diff, SecretsCompared};
use nascfg_credentials::Untrusted;

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
        for (what, entries) in [("added:  ", &k.added), ("removed:", &k.removed)] {
            for e in entries {
                println!(
                    "  {what} {} ({} {})",
                    u(&e.name),
                    u(&e.key_type),
                    e.fingerprint
                );
            }
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
