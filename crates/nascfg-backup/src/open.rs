//! Opening a location's storage with its stored credential.

use std::time::Duration;

use nascfg_credentials::{Credential, ProviderKind};
use nascfg_remote::{Access, EngineChoice, Location, RcloneRemote, Storage};
use nascfg_store::Store;
use secrecy::SecretString;

use crate::error::Result;

/// How to reach a storage: the deadlines and the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// Give up connecting after this long (default 15 s).
    pub connect_timeout: Duration,
    /// Give up the whole operation's transfers after this long (default 1 h).
    pub deadline: Duration,
    /// Which engine moves the bytes.
    pub engine: EngineChoice,
}

impl Default for Reach {
    fn default() -> Self {
        let access = Access::default();
        Reach {
            connect_timeout: access.connect_timeout,
            deadline: access.deadline,
            engine: access.engine,
        }
    }
}

pub use nascfg_store::HostKeyRecorded;

/// An open storage, and the host key recorded while opening it (for the
/// caller to tell the user).
#[derive(Debug)]
pub struct Opened {
    /// The storage, holding the credential's secrets until dropped.
    pub storage: Storage,
    /// The SFTP host key recorded on first use, if this was the first use.
    pub host_key_recorded: Option<HostKeyRecorded>,
    /// Whether the credential's OAuth token was refreshed (and saved) for the rclone engine.
    pub token_refreshed: bool,
}

/// Whether a credential of `provider` can hold backups: an engine of
/// nascfg-remote serves it natively (OpenDAL, FTP, SFTP), or rclone has a
/// backend for it that can write (not HTTP, which is read-only).
pub fn can_hold_backups(provider: ProviderKind) -> bool {
    nascfg_remote::serves_natively(provider)
        || (provider != ProviderKind::Http && nascfg_interop::rclone::has_backend(provider))
}

/// Opens `location` with its stored credential: the secrets are opened for
/// this storage only; SFTP gets the credential's key pair and the recorded
/// host key from the store (the host key is recorded on first use); the
/// rclone engine gets nascfg-interop's mapping of the credential, with an OAuth
/// token refreshed first (and saved under the writer lock) when it would expire
/// within `reach.deadline`, and without its refresh token
/// ([`nascfg_remote::rclone_credential`]): rclone cannot save a token, so it must
/// never refresh one.
pub fn open(store: &mut Store, location: &Location, reach: &Reach) -> Result<Opened> {
    let mut credential = store.credential(location.credential())?;
    let mut token_refreshed = false;
    if nascfg_remote::uses_rclone(&credential, reach.engine) && credential.secret("token").is_some()
    {
        // Under the writer lock, with the credential read again under it: two commands
        // refreshing at once would both spend a refresh token that works once (Box), as
        // `cred verify` explains.
        let guard = store.lock()?;
        let name = location.credential().to_owned();
        let stored = store.credential(&name)?;
        let handed = nascfg_remote::rclone_credential(
            &stored,
            reach.deadline,
            reach.connect_timeout,
            &mut |token| {
                store
                    .save_token(&guard, &name, token)
                    .map_err(|e| e.to_string())
            },
        )?;
        drop(guard);
        credential = handed.credential;
        token_refreshed = handed.refreshed;
    }
    let mut access = Access {
        connect_timeout: reach.connect_timeout,
        deadline: reach.deadline,
        engine: reach.engine,
        ..Access::default()
    };
    let trust = store.sftp_trust(&credential)?;
    if let Some(t) = &trust {
        access.private_key = t.private_key.clone();
        access.known_host_key = t.known_host_key.clone();
    }
    access.rclone = rclone_remote(&credential, access.private_key.as_ref());
    let storage = Storage::open(&credential, location, access)?;
    let host_key_recorded = match &trust {
        Some(t) => store.record_first_use(t, storage.host_key_seen().as_deref())?,
        None => None,
    };
    Ok(Opened {
        storage,
        host_key_recorded,
        token_refreshed,
    })
}

/// The credential as an rclone remote, through nascfg-interop's mapping (the
/// one `nascfg export rclone` writes); `None` when rclone cannot take it.
fn rclone_remote(credential: &Credential, key_pem: Option<&SecretString>) -> Option<RcloneRemote> {
    let section = nascfg_interop::rclone::section_from_credential(
        credential,
        nascfg_remote::REMOTE_NAME,
        key_pem,
        nascfg_interop::rclone::Target::default(),
    )
    .ok()?;
    Some(RcloneRemote::new(section.entries()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_providers_hold_backups() {
        let holding: Vec<&str> = ProviderKind::ALL
            .iter()
            .filter(|p| can_hold_backups(**p))
            .map(|p| p.type_str())
            .collect();
        for no in [ProviderKind::Http, ProviderKind::Hubic] {
            assert!(!holding.contains(&no.type_str()), "{holding:?}");
        }
        for yes in [
            ProviderKind::S3,
            ProviderKind::Sftp,
            ProviderKind::Webdav,
            ProviderKind::B2,
            ProviderKind::Dropbox,
        ] {
            assert!(holding.contains(&yes.type_str()), "{holding:?}");
        }
    }
}
