//! What opens an encrypted bundle: asked for by the reading, only when it
//! meets one (age's `Callbacks` shape).

use std::path::Path;

use nascfg_crypto::Identity;
use nascfg_crypto::secrecy::SecretString;

/// The questions a reading (inspect, restore, diff,
/// [`Configuration::from_bundle`](crate::Configuration::from_bundle)) asks
/// when the bundle turns out to be encrypted, by its first stanza: a
/// passphrase-protected bundle asks [`Unlock::request_passphrase`], one
/// encrypted to recipients asks [`Unlock::request_identities`]. Each read
/// asks at most one question, once; a plain bundle asks none, so a front end
/// never prompts for it.
///
/// The answers are age's (`age::Callbacks`): `None` or no identities is a
/// refusal, which the reading reports as [`Error::PassphraseRequired`]
/// or [`nascfg_crypto::Error::WrongIdentity`] (naming the recipients). A
/// front end whose own answer failed (an unreadable passphrase file) keeps
/// that error and reports it in place of the refusal.
///
/// [`Error::PassphraseRequired`]: crate::Error::PassphraseRequired
pub trait Unlock {
    /// The passphrase of the passphrase-protected bundle at `bundle`.
    fn request_passphrase(&self, bundle: &Path) -> Option<SecretString>;

    /// Private keys (age identities, OpenSSH keys) for the bundle at `bundle`,
    /// encrypted to `recipients` (its stanzas as
    /// [`nascfg_crypto::read_recipient_stanzas`] names them); any one that
    /// opens it will do.
    fn request_identities(&self, bundle: &Path, recipients: &[String]) -> Vec<Identity>;
}

/// Fixed answers, given before the reading: nothing (only a plain bundle can
/// be read), a passphrase, or identities. For the web UI (whose form carries
/// them), tests and the backup layer's own reads.
#[derive(Clone)]
pub struct UnlockWith {
    passphrase: Option<SecretString>,
    identities: Vec<Identity>,
}

impl UnlockWith {
    /// Nothing: only a plain bundle can be read.
    pub const fn none() -> UnlockWith {
        UnlockWith {
            passphrase: None,
            identities: Vec::new(),
        }
    }

    /// A passphrase.
    pub fn with_passphrase(passphrase: SecretString) -> UnlockWith {
        UnlockWith::from_passphrase(Some(passphrase))
    }

    /// A passphrase if there is one (a form's field that may be empty).
    pub fn from_passphrase(passphrase: Option<SecretString>) -> UnlockWith {
        UnlockWith {
            passphrase,
            identities: Vec::new(),
        }
    }

    /// Identities for a bundle encrypted to recipients.
    pub fn with_identities(identities: Vec<Identity>) -> UnlockWith {
        UnlockWith {
            passphrase: None,
            identities,
        }
    }
}

impl Unlock for UnlockWith {
    fn request_passphrase(&self, _bundle: &Path) -> Option<SecretString> {
        self.passphrase.clone()
    }

    fn request_identities(&self, _bundle: &Path, _recipients: &[String]) -> Vec<Identity> {
        self.identities.clone()
    }
}

nascfg_credentials::redacted_debug!(UnlockWith {
    passphrase: |u| u.passphrase.as_ref().map(|_| "********"),
    identities
});

/// Nothing, for [`RestoreOptions::default`](crate::RestoreOptions) to borrow.
pub(crate) static NOTHING: UnlockWith = UnlockWith::none();
