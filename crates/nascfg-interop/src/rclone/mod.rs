//! rclone: its configuration file ([`Conf`], plain or encrypted), its
//! "obscure" obfuscation ([`obscure`], [`reveal`]), and the mapping between
//! rclone remotes and nascfg credentials, both ways ([`export`], [`Import`]).

mod conf;
mod mapping;
mod obscure;

use std::collections::HashSet;

use nascfg_credentials::{Credential, ProviderKind};
use nascfg_store::Store;
use secrecy::SecretString;
use serde::Serialize;
use zeroize::Zeroizing;

pub use conf::{Conf, MAX_CONF_LEN, Section};
pub use mapping::Target;
pub use obscure::{obscure, reveal};

use crate::Error;
use crate::import::{ImportOptions, ImportReport, KeyCandidate, apply};

/// One credential of an rclone export.
#[derive(Debug, Clone, Serialize)]
pub struct Remote {
    /// The credential's name.
    pub name: String,
    /// The rclone remote (section) name it was written as.
    pub remote: String,
    /// Things worth knowing (a renamed remote, an omitted option).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A credential an export left out, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// The credential's name.
    pub name: String,
    /// Why rclone cannot take it.
    pub reason: String,
}

/// An rclone.conf made from stored credentials. Its text holds secrets:
/// `Debug` shows only the names.
pub struct Export {
    conf: Conf,
    /// The credentials written, in order.
    pub exported: Vec<Remote>,
    /// The credentials left out.
    pub skipped: Vec<Skipped>,
}

nascfg_credentials::redacted_debug!(Export {
    exported,
    skipped,
    ..
});

impl Export {
    /// The rclone.conf text (plain; rclone reads it as it is).
    pub fn text(&self) -> Zeroizing<String> {
        self.conf.to_text()
    }

    /// The rclone.conf encrypted as rclone encrypts its own (`RCLONE_ENCRYPT_V0:`) under
    /// `password`, with a fresh random nonce: rclone opens it with `RCLONE_CONFIG_PASS`.
    pub fn encrypted_text(&self, password: &SecretString) -> String {
        let mut nonce = [0u8; 24];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
        self.conf.to_encrypted_text(password, nonce)
    }

    /// The configuration as sections.
    pub fn conf(&self) -> &Conf {
        &self.conf
    }
}

/// Writes the named credentials (all when `names` is empty) as rclone
/// remotes. Credentials rclone cannot use are skipped with the reason; a
/// name that does not exist is an error.
pub fn export(store: &mut Store, names: &[String], target: Target) -> Result<Export, Error> {
    let all: Vec<String> = store
        .list_credentials()?
        .into_iter()
        .map(|c| c.name)
        .collect();
    let chosen: Vec<String> = if names.is_empty() {
        all
    } else {
        for name in names {
            if !all.contains(name) {
                return Err(Error::Store(nascfg_store::Error::NotFound {
                    what: "credential",
                    name: name.clone(),
                }));
            }
        }
        names.to_vec()
    };
    let mut export = Export {
        conf: Conf::new(),
        exported: Vec::new(),
        skipped: Vec::new(),
    };
    let mut taken = HashSet::new();
    for name in chosen {
        let cred = match store.credential(&name) {
            Ok(c) => c,
            Err(e @ nascfg_store::Error::NeedsSecrets { .. }) => {
                export.skipped.push(Skipped {
                    name,
                    reason: e.to_string(),
                });
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let key_pem = match cred.text("private_key").filter(|k| !k.is_empty()) {
            Some(key) if cred.provider() == ProviderKind::Sftp => {
                match store.keypair_private(key) {
                    Ok(pem) => Some(pem),
                    Err(e @ nascfg_store::Error::NeedsSecrets { .. }) => {
                        let reason = format!("its key pair {key:?} cannot be read: {e}");
                        export.skipped.push(Skipped { name, reason });
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            _ => None,
        };
        let mut remote = mapping::remote_name(&name);
        let base = remote.clone();
        let mut n = 2;
        while !taken.insert(remote.clone()) {
            remote = format!("{base}-{n}");
            n += 1;
        }
        match mapping::to_section(&cred, &remote, key_pem.as_ref(), target) {
            Ok((section, mut notes)) => {
                if remote != name {
                    notes.insert(
                        0,
                        format!(
                            "written as remote {remote:?} (rclone remote names are restricted)"
                        ),
                    );
                }
                export.conf.push(section);
                export.exported.push(Remote {
                    name,
                    remote,
                    notes,
                });
            }
            Err(reason) => {
                taken.remove(&remote);
                export.skipped.push(Skipped { name, reason });
            }
        }
    }
    Ok(export)
}

/// The rclone section for one credential (what [`export`] writes for
/// it), or why rclone cannot take it. `key_pem` is the OpenSSH private key
/// of an SFTP credential's key pair.
pub fn section_from_credential(
    credential: &Credential,
    remote: &str,
    key_pem: Option<&SecretString>,
    target: Target,
) -> Result<Section, String> {
    mapping::to_section(credential, remote, key_pem, target).map(|(s, _)| s)
}

/// Whether rclone has a backend for `provider` (what
/// [`section_from_credential`] maps it to).
pub fn has_backend(provider: ProviderKind) -> bool {
    mapping::has_backend(provider)
}

/// The credential an rclone section maps to (validated), with the private
/// key of an SFTP `key_pem` (the credential then refers to a key pair named
/// like the remote), or why it cannot be imported.
pub fn credential_from_section(
    section: &Section,
) -> Result<(Credential, Option<SecretString>), String> {
    let (mut cand, key) = mapping::from_section(section);
    if let Some(reason) = cand.skip.take() {
        return Err(reason);
    }
    let kind = cand.provider.ok_or_else(|| "unknown backend".to_owned())?;
    let pem = match key {
        Some(k) => {
            cand.attributes
                .insert("private_key".into(), k.name.clone().into());
            Some(k.private?)
        }
        None => None,
    };
    let cred = Credential::new(&cand.name, kind, cand.attributes)
        .map_err(|e| e.to_string().lines().collect::<Vec<_>>().join("; "))?;
    Ok((cred, pem))
}

/// An rclone.conf to import: its key pairs read, its sections mapped to
/// credentials as they are imported.
pub struct Import<'a> {
    sections: &'a [Section],
    keys: Vec<KeyCandidate>,
}

impl std::fmt::Debug for Import<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Import")
            .field("remotes", &self.sections.len())
            .field("keypairs", &self.keys.len())
            .finish()
    }
}

impl<'a> Import<'a> {
    /// Reads the key pairs of the SFTP remotes (`key_pem`), which every
    /// credential must be able to refer to before any is stored.
    pub fn from_conf(conf: &'a Conf) -> Import<'a> {
        let sections = conf.sections();
        let keys = sections
            .iter()
            .filter_map(mapping::key_from_section)
            .collect();
        Import { sections, keys }
    }

    /// Maps every section (revealing obscured values; sections of other
    /// backends become skipped items with the reason) and validates its
    /// credential, then (unless a dry run) stores the key pairs and
    /// credentials in one transaction. The sections are mapped, validated
    /// and sealed on two threads while this one stores them in order.
    pub fn import(self, store: &mut Store, options: &ImportOptions) -> Result<ImportReport, Error> {
        let sections: Vec<&Section> = self.sections.iter().collect();
        apply(
            store,
            self.keys,
            sections,
            |section| mapping::from_section(section).0,
            options,
        )
    }
}
