//! The words a user reads about a bundle and a restore, written once for
//! every front end (the CLI prints them, the web UI puts them in a page):
//! the front ends only name their own controls.

use nascfg_bundle::{Manifest, RestoreCase};
use nascfg_credentials::Untrusted;

/// A bundle's contents in a few words, as an export or a push reports them:
/// `3 credential(s), 1 key pair(s), seed not included`.
pub fn contents(manifest: &Manifest) -> String {
    format!(
        "{} credential(s), {} key pair(s), seed {}",
        manifest.counts.credentials,
        manifest.counts.keypairs,
        included(manifest.seed_included)
    )
}

/// Whether a bundle holds its seed, and the fingerprint its manifest
/// records (escaped and cut: the bundle's word): `not included (…)`.
pub fn seed_status(manifest: &Manifest) -> String {
    format!(
        "{} ({})",
        included(manifest.seed_included),
        manifest.seed_fingerprint.as_deref().map_or_else(
            || "none recorded".to_owned(),
            |f| Untrusted::new(f).to_string()
        )
    )
}

fn included(seed_included: bool) -> &'static str {
    if seed_included {
        "included"
    } else {
        "not included"
    }
}

/// How a written or pushed bundle is encrypted, as its report says after
/// the [`contents`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Not encrypted.
    Plain,
    /// With a passphrase.
    Passphrase,
    /// To public-key recipients.
    Recipients,
}

impl Protection {
    /// The words after the contents, with their leading comma (empty for a
    /// plain bundle).
    pub fn suffix(self) -> &'static str {
        match self {
            Protection::Plain => "",
            Protection::Passphrase => ", passphrase-protected",
            Protection::Recipients => ", encrypted to recipients",
        }
    }
}

/// How a front end names its own controls inside the words of
/// [`restore_case`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Controls<'a> {
    /// The seed the user gave: `the seed from --seed-file`, `the seed given`.
    pub given_seed: &'a str,
    /// How a credential's secrets are re-entered, shown in parentheses, if
    /// the front end names a way.
    pub reenter: Option<&'a str>,
}

/// What a restore does with the secrets, the end of the sentence
/// `restored 3 credential(s) and 1 key pair(s) …`: `with every secret: this
/// box's seed matches (…)`, or `WITHOUT secrets: …` naming what is lost.
pub fn restore_case(case: &RestoreCase, controls: &Controls<'_>) -> String {
    match case {
        RestoreCase::SeedFromBundle { fingerprint } => {
            format!("with every secret, and the bundle's seed ({fingerprint})")
        }
        RestoreCase::SeedFromFile { fingerprint } => format!(
            "with every secret, under {} ({fingerprint})",
            controls.given_seed
        ),
        RestoreCase::BoxSeedMatches { fingerprint } => {
            format!("with every secret: this box's seed matches ({fingerprint})")
        }
        RestoreCase::NoSecrets => "(it holds no secrets)".to_owned(),
        RestoreCase::SecretsDropped {
            credentials,
            keypairs,
        } => format!(
            "WITHOUT secrets: {credentials} credential(s) need their secrets re-entered{}, \
             {keypairs} key pair(s) lost their private keys",
            controls
                .reenter
                .map(|how| format!(" ({how})"))
                .unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLI: Controls<'static> = Controls {
        given_seed: "the seed from --seed-file",
        reenter: Some("`nascfg cred update NAME --set FIELD=VALUE`"),
    };
    const WEB: Controls<'static> = Controls {
        given_seed: "the seed given",
        reenter: None,
    };

    fn check(case: RestoreCase, controls: &Controls<'_>, expected: &str) {
        assert_eq!(restore_case(&case, controls), expected);
    }

    #[test]
    fn restore_cases_in_words() {
        let fingerprint: nascfg_crypto::Fingerprint = nascfg_crypto::Seed::generate().fingerprint();
        let fp = fingerprint.to_string();
        check(
            RestoreCase::SeedFromFile {
                fingerprint: fingerprint.clone(),
            },
            &CLI,
            &format!("with every secret, under the seed from --seed-file ({fp})"),
        );
        check(
            RestoreCase::SeedFromFile { fingerprint },
            &WEB,
            &format!("with every secret, under the seed given ({fp})"),
        );
        check(RestoreCase::NoSecrets, &WEB, "(it holds no secrets)");
        let dropped = || RestoreCase::SecretsDropped {
            credentials: 2,
            keypairs: 1,
        };
        check(
            dropped(),
            &CLI,
            "WITHOUT secrets: 2 credential(s) need their secrets re-entered \
             (`nascfg cred update NAME --set FIELD=VALUE`), 1 key pair(s) lost their private keys",
        );
        check(
            dropped(),
            &WEB,
            "WITHOUT secrets: 2 credential(s) need their secrets re-entered, \
             1 key pair(s) lost their private keys",
        );
    }
}
