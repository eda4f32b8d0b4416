//! The SSH login that verify and remote both make (feature `ssh`): the host key checked against
//! the one recorded on first use ([`HostKeyCheck`]), then the key pair's private key (held in
//! memory only) and/or the password ([`ssh_authenticate`]).

use std::sync::{Arc, Mutex};

use russh::client::{self, Handle};
use russh::keys::{PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use secrecy::{ExposeSecret as _, SecretString};

/// What the handshake saw of the server's host key.
#[derive(Debug, Default)]
struct HostKeyState {
    /// The key the server presented, as an OpenSSH line.
    seen: Option<String>,
    /// The presented key differs from the recorded one.
    changed: bool,
}

/// The host key a [`HostKeyCheck`] saw, readable after (or after a failed) handshake.
#[derive(Debug, Clone, Default)]
pub struct HostKeys(Arc<Mutex<HostKeyState>>);

impl HostKeys {
    /// The key the server presented (`ssh-ed25519 AAAA...`, no comment).
    pub fn seen(&self) -> Option<String> {
        self.0.lock().ok().and_then(|s| s.seen.clone())
    }

    /// The server presented a different key than the recorded one.
    pub fn changed(&self) -> bool {
        self.0.lock().map(|s| s.changed).unwrap_or(false)
    }
}

/// The russh client handler: refuses a host key other than the recorded one.
#[derive(Debug)]
pub struct HostKeyCheck {
    known: Option<PublicKey>,
    keys: HostKeys,
}

impl HostKeyCheck {
    /// A check against `known` (none: accept and record the first key seen), and where to read
    /// what it saw.
    pub fn new(known: Option<PublicKey>) -> (HostKeyCheck, HostKeys) {
        let keys = HostKeys::default();
        let check = HostKeyCheck {
            known,
            keys: keys.clone(),
        };
        (check, keys)
    }
}

impl client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => PublicKey::from(cert.public_key().clone()),
        };
        let mut line_key = key.clone();
        line_key.set_comment("");
        let line = line_key.to_openssh().ok().map(|s| s.trim().to_owned());
        let changed = self
            .known
            .as_ref()
            .is_some_and(|known| known.key_data() != key.key_data());
        if let Ok(mut state) = self.keys.0.lock() {
            state.seen = line;
            state.changed = changed;
        }
        Ok(!changed)
    }
}

/// Why an SSH login failed.
#[derive(Debug)]
pub enum SshAuthError {
    /// The private key is not an unencrypted OpenSSH key.
    BadPrivateKey,
    /// The connection failed during authentication.
    Ssh(russh::Error),
    /// The server refused every method tried (`publickey`, `password`); empty when there was
    /// nothing to try.
    Denied(Vec<&'static str>),
}

/// Public key first (when given), then the password (when given and not empty).
pub async fn ssh_authenticate(
    handle: &mut Handle<HostKeyCheck>,
    user: &str,
    private_key: Option<&SecretString>,
    password: Option<&SecretString>,
) -> Result<(), SshAuthError> {
    let mut tried = Vec::new();
    if let Some(pem) = private_key {
        let key = russh::keys::decode_secret_key(pem.expose_secret(), None)
            .map_err(|_| SshAuthError::BadPrivateKey)?;
        let hash = handle
            .best_supported_rsa_hash()
            .await
            .map_err(SshAuthError::Ssh)?
            .flatten();
        let result = handle
            .authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
            .await
            .map_err(SshAuthError::Ssh)?;
        if result.success() {
            return Ok(());
        }
        tried.push("publickey");
    }
    if let Some(password) = password.filter(|p| !p.expose_secret().is_empty()) {
        let result = handle
            .authenticate_password(user, password.expose_secret())
            .await
            .map_err(SshAuthError::Ssh)?;
        if result.success() {
            return Ok(());
        }
        tried.push("password");
    }
    Err(SshAuthError::Denied(tried))
}
