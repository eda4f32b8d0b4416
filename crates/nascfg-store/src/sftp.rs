//! What an SFTP connection needs from the store: the credential's key pair and
//! the host key recorded for its server, recorded on first use. The one lookup
//! that verify (CLI and web UI) and remote backups share.

use nascfg_credentials::secrecy::SecretString;
use nascfg_credentials::{Credential, ProviderKind};
use rusqlite::params;

use crate::error::Error;
use crate::store::Store;

/// The port an SFTP credential without one connects to.
const SSH_PORT: u16 = 22;

/// An SFTP credential's trust inputs, read from the store before connecting.
pub struct SftpTrust {
    /// The host, as the credential names it.
    pub host: String,
    /// The port (22 unless the credential says otherwise).
    pub port: u16,
    /// The private key of the key pair the credential names, opened with the
    /// seed; `None` when it names none (password login).
    pub private_key: Option<SecretString>,
    /// The host key recorded for `host:port` (an OpenSSH public key line);
    /// `None` on first use, when the server's key is recorded after a
    /// successful connection ([`Store::record_first_use`]).
    pub known_host_key: Option<String>,
}

nascfg_credentials::redacted_debug!(SftpTrust {
    host,
    port,
    private_key: |s| s.private_key.as_ref().map(|_| "********"),
    known_host_key
});

/// An SFTP server's host key, recorded on first use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyRecorded {
    /// The host, as the credential names it.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The key (an OpenSSH line).
    pub key: String,
}

impl Store {
    /// For an SFTP credential, its key pair's private key and the host key
    /// recorded for its host and port; `None` for any other provider. A key
    /// pair that is missing or lost its private key is an error
    /// ([`Error::NotFound`], [`Error::NeedsSecrets`]).
    pub fn sftp_trust(&mut self, credential: &Credential) -> Result<Option<SftpTrust>, Error> {
        if credential.provider() != ProviderKind::Sftp {
            return Ok(None);
        }
        let private_key = match credential.text("private_key").filter(|k| !k.is_empty()) {
            Some(pair) => Some(self.keypair_private(pair)?),
            None => None,
        };
        let host = credential.text("host").unwrap_or_default().to_owned();
        let port = credential
            .integer("port")
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(SSH_PORT);
        let known_host_key = self.known_host(&host, port)?;
        Ok(Some(SftpTrust {
            host,
            port,
            private_key,
            known_host_key,
        }))
    }

    /// Trust on first use: records `seen`, the host key that a successful
    /// connection with `trust` was shown, when no key was recorded for its host
    /// and port. Returns what it recorded; `None` when a key was known already
    /// (the connection checked it), nothing was seen, or another process
    /// recorded one meanwhile (which is kept).
    pub fn record_first_use(
        &mut self,
        trust: &SftpTrust,
        seen: Option<&str>,
    ) -> Result<Option<HostKeyRecorded>, Error> {
        let (None, Some(seen)) = (&trust.known_host_key, seen) else {
            return Ok(None);
        };
        let _guard = self.lock()?;
        let added = self.conn.execute(
            "INSERT INTO known_host(host, port, key) VALUES (?1, ?2, ?3)
             ON CONFLICT(host, port) DO NOTHING",
            params![trust.host, trust.port, seen],
        )?;
        Ok((added == 1).then(|| HostKeyRecorded {
            host: trust.host.clone(),
            port: trust.port,
            key: seen.to_owned(),
        }))
    }
}
