//! What TrueNAS and rclone imports share: candidates read from the source,
//! every check made before anything is stored, and the report.

use std::collections::{HashMap, HashSet};

use nascfg_credentials::{Credential, ProviderKind, Untrusted};
use nascfg_store::{SealedCredential, Sealer, Store};
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

/// Names from the source (option or attribute keys) for a note: each
/// escaped and cut ([`Untrusted`]), at most ten, then how many more.
pub(crate) fn untrusted_list<S: AsRef<str>>(names: &[S]) -> String {
    const SHOWN: usize = 10;
    let mut out: Vec<String> = names
        .iter()
        .take(SHOWN)
        .map(|n| Untrusted::new(n.as_ref()).to_string())
        .collect();
    if names.len() > SHOWN {
        out.push(format!("and {} more", names.len() - SHOWN));
    }
    out.join(", ")
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
    /// The credential [`CredentialCandidate::validate`] built from it ahead
    /// of [`apply`] (on a preparing thread), or why it is not valid.
    pub validated: Option<Result<Credential, String>>,
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
            validated: None,
        }
    }

    /// Builds and validates the credential now, when nothing about it
    /// depends on the store or on the other candidates (no skip reason, a
    /// known provider, no key pair to re-link): [`apply`] then takes the
    /// result as it would have made it. Lets a source validate its
    /// candidates on several threads.
    pub fn validate(&mut self) {
        if self.skip.is_some() || self.key_ref.is_some() {
            return;
        }
        if let Some(kind) = self.provider {
            self.validated = Some(build(
                &self.name,
                kind,
                std::mem::take(&mut self.attributes),
            ));
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

enum KeyAction {
    Add(SecretString),
    Reuse,
    Skip,
}

enum CredAction {
    Add(Credential),
    /// An add of what a preparing thread sealed ahead.
    AddSealed(SealedCredential),
    Replace(Credential),
    Skip,
}

/// The credential, or its validation errors on one line.
fn build(
    name: &str,
    kind: ProviderKind,
    attributes: Map<String, Value>,
) -> Result<Credential, String> {
    Credential::new(name, kind, attributes)
        .map_err(|e| e.to_string().lines().collect::<Vec<_>>().join("; "))
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
///
/// The credentials are `items` made into candidates by `map`: on two
/// threads (each half in order), which also validate them and, unless a dry
/// run, seal them ahead, while this thread decides and inserts them in
/// source order. `keys` are every key pair the items refer to.
pub(crate) fn apply<S: Send>(
    store: &mut Store,
    keys: Vec<KeyCandidate>,
    items: Vec<S>,
    map: impl Fn(S) -> CredentialCandidate + Sync,
    options: &ImportOptions,
) -> Result<ImportReport, Error> {
    let existing_keys = store.list_keypairs()?;
    let existing_creds: HashSet<String> = store.credential_names()?.into_iter().collect();
    let mut taken_keys: HashSet<String> = existing_keys.iter().map(|k| k.name.clone()).collect();

    // Key pairs: parse, then pick a name (reuse an identical one).
    let mut key_items = Vec::new();
    let mut key_actions = Vec::new();
    let mut key_names: HashMap<String, Result<String, String>> = HashMap::new();
    for key in keys {
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
                key_names.entry(key.source_id).or_insert(Err(reason));
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
                    key_names
                        .entry(key.source_id)
                        .or_insert_with(|| Ok(same.name.clone()));
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
                    key_names.entry(key.source_id).or_insert(Ok(name));
                }
            }
        }
        key_items.push(item);
    }

    // Credentials: re-link key pairs, validate, check names. Each is decided
    // and (unless a dry run) inserted in source order, inside one
    // transaction: nothing is visible until every one is in.
    let mut decide = Decide {
        key_names,
        existing_creds: &existing_creds,
        seen: HashSet::new(),
        replace: options.replace,
    };
    let mut cred_items = Vec::with_capacity(items.len());
    if options.dry_run {
        prepare_all(items, &map, None, &existing_creds, |prepared| {
            cred_items.push(decide.credential(prepared).0);
            Ok::<_, Error>(())
        })?;
    } else {
        let guard = store.lock()?;
        store.in_transaction(&guard, |batch| {
            for (item, action) in key_items.iter().zip(key_actions) {
                if let KeyAction::Add(pem) = action {
                    batch.import_keypair(&item.name, &pem)?;
                }
            }
            let sealer = batch.sealer()?;
            prepare_all(items, &map, Some(&sealer), &existing_creds, |prepared| {
                let (item, action) = decide.credential(prepared);
                match action {
                    CredAction::AddSealed(sealed) => {
                        batch.add_sealed(&sealed)?;
                    }
                    CredAction::Add(cred) => {
                        batch.add_credential(&cred)?;
                    }
                    CredAction::Replace(cred) => batch.replace_credential(&item.name, &cred)?,
                    CredAction::Skip => {}
                }
                cred_items.push(item);
                Ok(())
            })
        })?;
    }
    Ok(ImportReport {
        dry_run: options.dry_run,
        keypairs: key_items,
        credentials: cred_items,
    })
}

/// Candidates handed from a preparing thread to the deciding one at a time.
const CHUNK: usize = 256;

/// A candidate made and validated on a preparing thread, with its
/// credential sealed ahead when it is valid and its name is not stored (what
/// [`apply`] inserts when it decides to add it; dropped unused otherwise).
struct Prepared {
    cand: CredentialCandidate,
    sealed: Option<Sealed>,
}

/// A valid credential whose name no stored credential has, sealed ahead by
/// a preparing thread: only an add can follow, which needs the sealed form
/// alone, so the credential itself is dropped on the thread that made it
/// (frees of another thread's memory cost glibc's allocator dearly on the
/// inserting one).
struct Sealed {
    sealed: SealedCredential,
    warnings: Vec<String>,
}

/// Maps, validates and (with a sealer) seals `items` on two threads, one
/// half each, and hands the results to `sink` on this thread in the order
/// of `items`. The first half comes through a bounded channel; the second
/// half's thread runs ahead into an unbounded one, so both threads work
/// while this one takes the first half. An error from `sink` stops both
/// (their next hand-over fails) and is returned.
fn prepare_all<S: Send, E>(
    mut items: Vec<S>,
    map: &(impl Fn(S) -> CredentialCandidate + Sync),
    sealer: Option<&Sealer>,
    existing: &HashSet<String>,
    mut sink: impl FnMut(Prepared) -> Result<(), E>,
) -> Result<(), E> {
    let second = items.split_off(items.len() / 2);
    std::thread::scope(|scope| {
        let (send_first, first) = std::sync::mpsc::sync_channel(4);
        let (send_second, later) = std::sync::mpsc::channel();
        scope.spawn(move || {
            prepare_half(items, map, sealer, existing, |c| send_first.send(c).is_ok())
        });
        scope.spawn(move || {
            prepare_half(second, map, sealer, existing, |c| {
                send_second.send(c).is_ok()
            })
        });
        for chunk in first.iter().chain(later.iter()) {
            for prepared in chunk {
                sink(prepared)?;
            }
        }
        Ok(())
    })
}

/// One thread's half of [`prepare_all`]; stops when `send` fails.
fn prepare_half<S>(
    items: Vec<S>,
    map: &impl Fn(S) -> CredentialCandidate,
    sealer: Option<&Sealer>,
    existing: &HashSet<String>,
    send: impl Fn(Vec<Prepared>) -> bool,
) {
    let mut chunk = Vec::with_capacity(CHUNK);
    for item in items {
        let mut cand = map(item);
        cand.validate();
        let sealed = match (cand.validated.take(), sealer) {
            // A stored name is replaced (sealed again by the store) or
            // skipped: nothing to seal ahead for it.
            (Some(Ok(cred)), Some(sealer)) if !existing.contains(&cand.name) => Some(Sealed {
                sealed: sealer.seal(&cred),
                warnings: cred.warnings(),
            }),
            (validated, _) => {
                cand.validated = validated;
                None
            }
        };
        chunk.push(Prepared { cand, sealed });
        if chunk.len() == CHUNK && !send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))) {
            return;
        }
    }
    if !chunk.is_empty() {
        send(chunk);
    }
}

/// A credential that passed: built here, or on a preparing thread and sealed.
enum Decided {
    Built(Credential),
    Sealed(Sealed),
}

/// What deciding a credential needs to know: the key pairs' names in the
/// store, the credentials already there, the names seen so far.
struct Decide<'a> {
    key_names: HashMap<String, Result<String, String>>,
    existing_creds: &'a HashSet<String>,
    seen: HashSet<String>,
    replace: bool,
}

impl Decide<'_> {
    /// Re-links the key pair, validates, checks the name: the report item
    /// and what to store.
    fn credential(&mut self, prepared: Prepared) -> (ImportItem, CredAction) {
        let Prepared { mut cand, sealed } = prepared;
        let mut notes = std::mem::take(&mut cand.notes);
        let decided = self.decide(&mut cand, sealed);
        let mut item = ImportItem {
            source_name: None,
            provider: std::mem::take(&mut cand.provider_text),
            status: ImportStatus::Imported,
            reason: None,
            notes: Vec::new(),
            name: cand.name,
        };
        let action = match decided {
            Ok((Decided::Built(cred), exists)) => {
                notes.extend(cred.warnings());
                if exists {
                    item.status = ImportStatus::Replaced;
                    CredAction::Replace(cred)
                } else {
                    CredAction::Add(cred)
                }
            }
            // Sealed ahead only when no stored credential has its name.
            Ok((Decided::Sealed(sealed), _)) => {
                notes.extend(sealed.warnings);
                CredAction::AddSealed(sealed.sealed)
            }
            Err(reason) => {
                item.status = ImportStatus::Skipped;
                item.reason = Some(reason);
                CredAction::Skip
            }
        };
        item.notes = notes;
        (item, action)
    }

    fn decide(
        &mut self,
        cand: &mut CredentialCandidate,
        sealed: Option<Sealed>,
    ) -> Result<(Decided, bool), String> {
        if let Some(reason) = cand.skip.take() {
            return Err(reason);
        }
        let kind = cand
            .provider
            .ok_or_else(|| format!("unknown provider {:?}", Untrusted::new(&cand.provider_text)))?;
        if let Some(source) = &cand.key_ref {
            let name = self
                .key_names
                .get(source)
                .cloned()
                .unwrap_or_else(|| {
                    Err("it refers to a key pair the source does not have".to_owned())
                })
                .map_err(|why| format!("its key pair cannot be imported: {why}"))?;
            cand.attributes
                .insert("private_key".into(), Value::String(name));
        }
        let cred = match (sealed, cand.validated.take()) {
            (Some(sealed), _) => Decided::Sealed(sealed),
            (None, Some(validated)) => Decided::Built(validated?),
            (None, None) => Decided::Built(build(
                &cand.name,
                kind,
                std::mem::take(&mut cand.attributes),
            )?),
        };
        if !self.seen.insert(cand.name.clone()) {
            return Err("the source has another credential of this name".to_owned());
        }
        let exists = self.existing_creds.contains(&cand.name);
        if exists && !self.replace {
            return Err(
                "a credential of this name already exists (use --replace to overwrite it)"
                    .to_owned(),
            );
        }
        Ok((cred, exists))
    }
}
