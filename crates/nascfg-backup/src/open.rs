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

/// An SFTP server's host key, recorded on first use while opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyRecorded {
    /// The host, as the credential names it.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The key (an OpenSSH line).
    pub key: String,
}

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
    let mut host_port = None;
    if credential.provider() == ProviderKind::Sftp {
        if let Some(pair) = credential.text("private_key").filter(|k| !k.is_empty()) {
            access.private_key = Some(store.keypair_private(pair)?);
        }
        let host = credential.text("host").unwrap_or_default().to_owned();
        let port = credential
            .integer("port")
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(22);
        access.known_host_key = store.known_host(&host, port)?;
        host_port = Some((host, port));
    }
    access.rclone = rclone_remote(&credential, access.private_key.as_ref());
    let recorded = access.known_host_key.is_some();
    let storage = Storage::open(&credential, location, access)?;
    let mut host_key_recorded = None;
    if let (Some((host, port)), Some(seen), false) = (host_port, storage.host_key_seen(), recorded)
    {
        store.record_known_host(&host, port, &seen)?;
        host_key_recorded = Some(HostKeyRecorded {
            host,
            port,
            key: seen,
        });
    }
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
