//! Public-key encryption on the command line: `--recipient`/`--recipients-file`
//! for the exporting commands, `--identity` for the reading ones.

use std::cell::RefCell;
use std::path::Path;

use nascfg_bundle::Unlock;
use nascfg_crypto::secrecy::SecretString;
use nascfg_crypto::zeroize::Zeroizing;
use nascfg_crypto::{Identity, Recipient};

use crate::cli::{IdentityArgs, PassphraseArgs, RecipientArgs};
use crate::cmd::common;
use crate::output;

/// Whether any recipient was given.
pub fn recipients_given(args: &RecipientArgs) -> bool {
    !args.recipients.is_empty() || !args.recipients_file.is_empty()
}

/// The recipients given with `--recipient` and `--recipients-file`, every
/// one checked (an error names the file and line).
pub fn recipients(args: &RecipientArgs) -> anyhow::Result<Vec<Recipient>> {
    let mut all = Vec::new();
    for text in &args.recipients {
        all.push(Recipient::parse(text)?);
    }
    for path in &args.recipients_file {
        let bytes = read_limited(path, nascfg_crypto::MAX_RECIPIENTS_FILE)?;
        let parsed = nascfg_crypto::parse_recipients_file(&bytes).map_err(|e| {
            let hint = e.hint().unwrap_or("check the file").to_owned();
            output::hint(anyhow::anyhow!("{}: {e}", path.display()), hint)
        })?;
        all.extend(parsed);
    }
    if all.len() > nascfg_crypto::MAX_RECIPIENTS {
        return Err(nascfg_crypto::Error::TooManyRecipients {
            limit: nascfg_crypto::MAX_RECIPIENTS,
        }
        .into());
    }
    Ok(all)
}

/// Refuses a passphrase and recipients together, before anything is read or
/// written (age allows a passphrase only as a file's sole recipient).
pub fn refuse_mixed(passphrase: &PassphraseArgs, recipients: &RecipientArgs) -> anyhow::Result<()> {
    let pass = passphrase.passphrase_file.is_some() || passphrase.passphrase_env.is_some();
    if pass && recipients_given(recipients) {
        return Err(nascfg_bundle::Error::PassphraseAndRecipients.into());
    }
    Ok(())
}

/// The identities given with `--identity`, an encrypted OpenSSH key's
/// passphrase asked for on the terminal.
pub fn identities(args: &IdentityArgs) -> anyhow::Result<Vec<Identity>> {
    let mut all = Vec::new();
    for path in &args.identities {
        let bytes = read_limited(path, nascfg_crypto::MAX_IDENTITY_FILE)?;
        let mut prompt_error = None;
        let mut passphrase = || {
            if !common::interactive() {
                return None;
            }
            rpassword::prompt_password(format!("passphrase for {}: ", path.display()))
                .map(SecretString::from)
                .map_err(|e| prompt_error = Some(e))
                .ok()
        };
        let parsed = nascfg_crypto::parse_identity_file(&bytes, &mut passphrase);
        if let Some(e) = prompt_error {
            anyhow::bail!("cannot read the passphrase from the terminal: {e}");
        }
        let parsed = parsed.map_err(|e| {
            let hint = e.hint().unwrap_or("check the file").to_owned();
            output::hint(anyhow::anyhow!("{}: {e}", path.display()), hint)
        })?;
        all.extend(parsed);
    }
    Ok(all)
}

/// The command line's answers when a reading finds an encrypted bundle: the
/// passphrase from `--passphrase-file`, `--passphrase-env` or a prompt (on a
/// terminal only), the `--identity` files. Nothing is read before the
/// reading asks, so a plain bundle never prompts and ignores those flags.
pub struct Asking<'a> {
    passphrase: &'a PassphraseArgs,
    identities: &'a IdentityArgs,
    /// An answer that failed (an unreadable passphrase or identity file),
    /// reported in place of the reading's refusal.
    failed: RefCell<Option<anyhow::Error>>,
}

impl<'a> Asking<'a> {
    /// Answers from these flags.
    pub fn new(passphrase: &'a PassphraseArgs, identities: &'a IdentityArgs) -> Asking<'a> {
        Asking {
            passphrase,
            identities,
            failed: RefCell::new(None),
        }
    }

    /// Runs `reading` with these answers: its result, or the error of an
    /// answer that failed (no passphrase given and none to ask for is the
    /// reading's own refusal, `PassphraseRequired`; no identity, the one
    /// naming the bundle's recipients).
    pub fn read<T, E: Into<anyhow::Error>>(
        &self,
        reading: impl FnOnce(&dyn Unlock) -> Result<T, E>,
    ) -> anyhow::Result<T> {
        let result = reading(self);
        if let Some(failed) = self.failed.take() {
            return Err(failed);
        }
        result.map_err(Into::into)
    }

    /// The answer, or a refusal (nothing) with its error kept for [`Asking::read`].
    fn keep<T: Default>(&self, answer: anyhow::Result<T>) -> T {
        answer.unwrap_or_else(|e| {
            self.failed.replace(Some(e));
            T::default()
        })
    }
}

impl Unlock for Asking<'_> {
    fn request_passphrase(&self, _bundle: &Path) -> Option<SecretString> {
        self.keep(common::read_passphrase(self.passphrase, false))
    }

    fn request_identities(&self, _bundle: &Path, _recipients: &[String]) -> Vec<Identity> {
        self.keep(identities(self.identities))
    }
}

/// Reads a small file whole, refusing one larger than `limit` before
/// reading it all.
fn read_limited(path: &Path, limit: usize) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    nascfg_crypto::read_secret_file(path, limit)
        .map_err(|e| {
            output::hint(
                anyhow::anyhow!("cannot read {}: {e}", path.display()),
                "check the path",
            )
        })?
        .ok_or_else(|| {
            output::hint(
                anyhow::anyhow!("{} is larger than {} KiB", path.display(), limit / 1024),
                "give a recipients or identity file: a few lines of keys",
            )
        })
}
