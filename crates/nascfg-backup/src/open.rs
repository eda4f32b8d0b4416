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
/// rclone engine gets nascfg-interop's mapping of the credential.
pub fn open(store: &mut Store, location: &Location, reach: &Reach) -> Result<Opened> {
    let credential = store.credential(location.credential())?;
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
