//! What the engines and the storage dispatcher share: how to reach a
//! credential's storage ([`Access`], [`EngineChoice`], the credential as an
//! rclone remote), what a listing names ([`Object`]), and the upload's chunk.

use std::time::Duration;

use secrecy::SecretString;

/// Size of the chunks an upload hands to its engine (and of S3 and Azure parts).
pub(crate) const CHUNK: usize = 8 << 20;

/// Which engine moves the bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EngineChoice {
    /// OpenDAL or SFTP where they serve the provider, rclone for the rest.
    #[default]
    Auto,
    /// rclone for every provider it has a backend for.
    Rclone,
}

/// How to reach a credential's storage: deadlines and what the store holds
/// beside the credential.
pub struct Access {
    /// Give up connecting after this long (default 15 s).
    pub connect_timeout: Duration,
    /// Give up the whole command's transfers after this long (default 1 h).
    pub deadline: Duration,
    /// SFTP: the OpenSSH private key of the credential's key pair.
    pub private_key: Option<SecretString>,
    /// SFTP: the host key recorded on first use; when given, the server's must match.
    pub known_host_key: Option<String>,
    /// The credential as an rclone remote (its section's keys and values),
    /// for the rclone engine. Built by the caller (nascfg-interop knows the
    /// mapping); `None` when rclone cannot take the credential.
    pub rclone: Option<RcloneRemote>,
    /// Which engine to use.
    pub engine: EngineChoice,
}

impl Default for Access {
    fn default() -> Self {
        Access {
            connect_timeout: Duration::from_secs(15),
            deadline: Duration::from_secs(3600),
            private_key: None,
            known_host_key: None,
            rclone: None,
            engine: EngineChoice::Auto,
        }
    }
}

nascfg_credentials::redacted_debug!(Access {
    connect_timeout,
    deadline,
    private_key: |a| a.private_key.as_ref().map(|_| "********"),
    known_host_key,
    rclone,
    engine
});

/// An object at a location: its name and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// The name (no path).
    pub name: String,
    /// The size in bytes.
    pub size: u64,
}

/// A credential as an rclone remote: its section's keys and values (as
/// rclone.conf would hold them: passwords obscured), each value kept secret.
#[derive(Clone)]
pub struct RcloneRemote {
    pub(crate) entries: Vec<(String, SecretString)>,
}

nascfg_credentials::redacted_debug!(RcloneRemote {
    keys: |r| nascfg_credentials::KeysOnly(&r.entries)
});

impl RcloneRemote {
    /// The remote from its section's entries (`type` among them).
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> RcloneRemote {
        RcloneRemote {
            entries: entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), SecretString::from(v.to_owned())))
                .collect(),
        }
    }
}
