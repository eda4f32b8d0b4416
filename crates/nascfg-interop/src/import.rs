//! What TrueNAS and rclone imports share: candidates read from the source,
//! every check made before anything is stored, and the report.

use std::collections::HashSet;

use nascfg_credentials::{Credential, ProviderKind};
use nascfg_store::Store;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Error;

/// How an import treats what it finds.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Check and report; store nothing.
    pub dry_run: bool,
    /// Overwrite credentials of the same name (otherwise they are skipped).
    pub replace: bool,
}

/// What happened (or, in a dry run, would happen) to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Added.
    Imported,
    /// Written over an existing credential of the same name (`--replace`).
    Replaced,
    /// An identical key pair was already there and is used as it is.
    Reused,
    /// Not imported; the reason says why.
    Skipped,
}

/// One credential or key pair of an import report.
#[derive(Debug, Clone, Serialize)]
pub struct ImportItem {
    /// Its name in nascfg (for a key pair renamed because of a clash, the new name).
    pub name: String,
    /// Its name in the source, when different.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The provider type string (credentials) or `SSH_KEY_PAIR`.
    pub provider: String,
    /// What happened.
    pub status: ImportStatus,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Things worth knowing (ignored options, warnings of the model).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The outcome of an import: every credential and key pair found.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// Whether nothing was stored.
    pub dry_run: bool,
    /// The key pairs, in source order.
    pub keypairs: Vec<ImportItem>,
    /// The credentials, in source order.
    pub credentials: Vec<ImportItem>,
}

impl ImportReport {
    /// How many credentials were (or would be) imported or replaced.
    pub fn imported(&self) -> usize {
        self.credentials
            .iter()
            .filter(|i| matches!(i.status, ImportStatus::Imported | ImportStatus::Replaced))
            .count()
    }

    /// How many credentials were skipped.
    pub fn skipped(&self) -> usize {
        self.credentials
            .iter()
            .filter(|i| i.status == ImportStatus::Skipped)
            .count()
    }
}

/// A credential read from a source, before validation.
pub(crate) struct CredentialCandidate {
    pub name: String,
    pub provider_text: String,
    pub provider: Option<ProviderKind>,
    pub attributes: Map<String, Value>,
    /// The source's reference to a key pair (a [`KeyCandidate::source_id`]).
    pub key_ref: Option<String>,
    pub skip: Option<String>,
    pub notes: Vec<String>,
}

impl CredentialCandidate {
    pub fn new(name: &str, provider_text: &str) -> CredentialCandidate {
        CredentialCandidate {
            name: name.to_owned(),
            provider_text: provider_text.to_owned(),
            provider: None,
            attributes: Map::new(),
            key_ref: None,
            skip: None,
            notes: Vec::new(),
        }
    }

    pub fn skip(&mut self, reason: String) {
        if self.skip.is_none() {
            self.skip = Some(reason);
        }
    }
}

/// A key pair read from a source.
pub(crate) struct KeyCandidate {
    pub source_id: String,
    pub name: String,
    pub private: Result<SecretString, String>,
}

impl KeyCandidate {
    pub fn new(source_id: &str, name: &str, private: Result<SecretString, String>) -> KeyCandidate {
        KeyCandidate {
            source_id: source_id.to_owned(),
            name: name.to_owned(),
            private,
        }
    }
}

/// What the sources hand to [`apply`].
pub(crate) struct Candidates {
    pub keys: Vec<KeyCandidate>,
    pub credentials: Vec<CredentialCandidate>,
}

enum KeyAction {
    Add(SecretString),
    Reuse,
    Skip,
}

enum CredAction {
    Add(Credential),
    Replace(Credential),
    Skip,
}

/// `type base64` of an OpenSSH public key line (the comment dropped).
fn public_core(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks every candidate against the model and the store, then (unless a
/// dry run) stores the key pairs and credentials that passed.
pub(crate) fn apply(
    store: &mut Store,
    candidates: Candidates,
    options: &ImportOptions,
) -> Result<ImportReport, Error> {
    let existing_keys = store.list_keypairs()?;
    let existing_creds: HashSet<String> = store
        .list_credentials()?
        .into_iter()
        .map(|c| c.name)
        .collect();
    let mut taken_keys: HashSet<String> = existing_keys.iter().map(|k| k.name.clone()).collect();

    // Key pairs: parse, then pick a name (reuse an identical one).
    let mut key_items = Vec::new();
    let mut key_actions = Vec::new();
    let mut key_names: Vec<(String, Result<String, String>)> = Vec::new();
    for key in candidates.keys {
        let mut item = ImportItem {
            name: key.name.clone(),
            source_name: None,
            provider: "SSH_KEY_PAIR".to_owned(),
            status: ImportStatus::Imported,
            reason: None,
            notes: Vec::new(),
        };
        let parsed = key.private.and_then(|pem| {
            let private = nascfg_store::parse_private_key(pem.expose_secret(), &mut || None)
                .map_err(|e| e.to_string())?;
            if private.is_encrypted() {
                return Err("the private key is protected by a passphrase".to_owned());
            }
            let public = private
                .public_key()
                .to_openssh()
                .map_err(|_| "the public key cannot be written".to_owned())?;
            Ok((pem, public_core(&public)))
        });
        let parsed = parsed.and_then(|p| {
            nascfg_credentials::validate_name(&key.name)
                .map_err(|e| format!("unusable name: {}", e.message))?;
            Ok(p)
        });
        match parsed {
            Err(reason) => {
                item.status = ImportStatus::Skipped;
                item.reason = Some(reason.clone());
                key_actions.push(KeyAction::Skip);
                key_names.push((key.source_id, Err(reason)));
            }
            Ok((pem, public)) => {
                let same = existing_keys
                    .iter()
                    .find(|k| public_core(&k.public_key) == public);
                if let Some(same) = same.filter(|k| k.name == key.name) {
                    item.status = ImportStatus::Reused;
                    item.notes
                        .push("an identical key pair of this name is already stored".to_owned());
                    key_actions.push(KeyAction::Reuse);
                    key_names.push((key.source_id, Ok(same.name.clone())));
                } else {
                    let mut name = key.name.clone();
                    let mut n = 2;
                    while taken_keys.contains(&name) {
                        name = format!("{}-{n}", key.name);
                        n += 1;
                    }
                    if name != key.name {
                        item.source_name = Some(key.name.clone());
                        item.name = name.clone();
                        item.notes
                            .push("renamed: a different key pair has that name".to_owned());
                    }
                    taken_keys.insert(name.clone());
                    key_actions.push(KeyAction::Add(pem));
                    key_names.push((key.source_id, Ok(name)));
                }
            }
        }
        key_items.push(item);
    }

    // Credentials: re-link key pairs, validate, check names.
    let mut seen = HashSet::new();
    let mut cred_items = Vec::new();
    let mut cred_actions = Vec::new();
    for mut cand in candidates.credentials {
        let mut notes = std::mem::take(&mut cand.notes);
        let decided = (|| -> Result<(Credential, bool), String> {
            if let Some(reason) = cand.skip.take() {
                return Err(reason);
            }
            let kind = cand
                .provider
                .ok_or_else(|| format!("unknown provider {:?}", cand.provider_text))?;
            if let Some(source) = &cand.key_ref {
                let name = key_names
                    .iter()
                    .find(|(id, _)| id == source)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_else(|| {
                        Err("it refers to a key pair the source does not have".to_owned())
                    })
                    .map_err(|why| format!("its key pair cannot be imported: {why}"))?;
                cand.attributes
                    .insert("private_key".into(), Value::String(name));
            }
            let cred = Credential::new(&cand.name, kind, std::mem::take(&mut cand.attributes))
                .map_err(|e| e.to_string().lines().collect::<Vec<_>>().join("; "))?;
            if !seen.insert(cand.name.clone()) {
                return Err("the source has another credential of this name".to_owned());
            }
            let exists = existing_creds.contains(&cand.name);
            if exists && !options.replace {
                return Err(
                    "a credential of this name already exists (use --replace to overwrite it)"
                        .to_owned(),
                );
            }
            Ok((cred, exists))
        })();
        let mut item = ImportItem {
            name: cand.name.clone(),
            source_name: None,
            provider: cand.provider_text.clone(),
            status: ImportStatus::Imported,
            reason: None,
            notes: Vec::new(),
        };
        match decided {
            Ok((cred, exists)) => {
                notes.extend(cred.warnings());
                if exists {
                    item.status = ImportStatus::Replaced;
                    cred_actions.push(CredAction::Replace(cred));
                } else {
                    cred_actions.push(CredAction::Add(cred));
                }
            }
            Err(reason) => {
                item.status = ImportStatus::Skipped;
                item.reason = Some(reason);
                cred_actions.push(CredAction::Skip);
            }
        }
        item.notes = notes;
        cred_items.push(item);
    }

    if !options.dry_run {
        store_all(store, &key_items, key_actions, &cred_items, cred_actions)?;
    }
    Ok(ImportReport {
        dry_run: options.dry_run,
        keypairs: key_items,
        credentials: cred_items,
    })
}

/// Stores what passed every check, all in one transaction.
fn store_all(
    store: &mut Store,
    key_items: &[ImportItem],
    key_actions: Vec<KeyAction>,
    cred_items: &[ImportItem],
    cred_actions: Vec<CredAction>,
) -> Result<(), Error> {
    let guard = store.lock()?;
    store.in_transaction(&guard, |store| {
        for (item, action) in key_items.iter().zip(key_actions) {
            if let KeyAction::Add(pem) = action {
                store.import_keypair(&item.name, &pem)?;
            }
        }
        for (item, action) in cred_items.iter().zip(cred_actions) {
            match action {
                CredAction::Add(cred) => {
                    store.add_credential(&cred)?;
                }
                CredAction::Replace(cred) => store.replace_credential(&item.name, &cred)?,
                CredAction::Skip => {}
            }
        }
        Ok(())
    })?;
    Ok(())
}
