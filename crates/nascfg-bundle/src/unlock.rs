//! What opens an encrypted bundle: its passphrase, or identities.

use nascfg_crypto::Identity;
use nascfg_crypto::secrecy::SecretString;

/// The one value every reading path takes (inspect, restore, diff,
/// [`Configuration::from_bundle`](crate::Configuration::from_bundle)): what
/// may open the bundle if it is encrypted. A plain bundle ignores it; a
/// passphrase-protected one needs `passphrase`; one encrypted to recipients
/// needs one of `identities`. The front end fills in what the user gave
/// (`--passphrase-file`, `--identity FILE`, a form's fields) before reading.
#[derive(Clone, Default)]
pub struct Unlock {
    /// The passphrase of a passphrase-protected bundle.
    pub passphrase: Option<SecretString>,
    /// Private keys (age identities, OpenSSH keys) for a bundle encrypted
    /// to public-key recipients; any one that opens it will do.
    pub identities: Vec<Identity>,
}

impl Unlock {
    /// Nothing: only a plain bundle can be read.
    pub fn none() -> Unlock {
        Unlock::default()
    }

    /// A passphrase.
    pub fn with_passphrase(passphrase: SecretString) -> Unlock {
        Unlock {
            passphrase: Some(passphrase),
            identities: Vec::new(),
        }
    }

    /// A passphrase if there is one: today's `Option<SecretString>` callers.
    pub fn from_passphrase(passphrase: Option<SecretString>) -> Unlock {
        Unlock {
            passphrase,
            identities: Vec::new(),
        }
    }
}

impl std::fmt::Debug for Unlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unlock")
            .field("passphrase", &self.passphrase.as_ref().map(|_| "********"))
            .field("identities", &self.identities)
            .finish()
    }
}
