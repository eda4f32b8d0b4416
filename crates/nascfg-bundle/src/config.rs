//! A configuration's logical view (what `backup diff` compares and the
//! content digest covers), from a bundle or from this box.

use std::path::Path;

use nascfg_crypto::secrecy::{ExposeSecret, SecretString};
use nascfg_crypto::{ContentMacKey, Fingerprint, SealingKey, Seed};
use nascfg_store::{
    Content, ContentItem, CredentialContent, DataDir, KeypairContent, KnownHostContent,
    SealedSecret, Store,
};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::inspect::read_bundle_staged;
use crate::manifest::Manifest;
use crate::signature::Signer;

/// A configuration's logical view: credentials by name (uid, provider,
/// readable attributes, secrets), key pairs, known hosts and the seed
/// fingerprint, without SQLite's bytes, row ids or timestamps.
///
/// Secrets are opened in memory when the seed they are sealed under is known
/// (the bundle carries it, or it is this box's); otherwise only their sealed
/// text is there to compare. `Debug` shows no secret.
pub struct Configuration {
    pub(crate) content: Content,
    /// Per credential (same order as `content.credentials`), per secret (same
    /// order), the opened value when the seed was known.
    pub(crate) opened: Vec<Vec<Option<SecretString>>>,
    /// Per key pair, the opened private key.
    pub(crate) opened_keys: Vec<Option<SecretString>>,
    /// The seed fingerprint the configuration is under.
    pub(crate) seed_fingerprint: Option<Fingerprint>,
    /// The keyed hash of the seed that opened every secret, when one did.
    mac_key: Option<ContentMacKey>,
    /// The bundle's manifest, for a configuration read from one.
    manifest: Option<Manifest>,
    /// Who signed the bundle, for a configuration read from one.
    signer: Option<Signer>,
}

nascfg_credentials::redacted_debug!(Configuration {
    credentials: |c| c.content.credentials.len(),
    keypairs: |c| c.content.keypairs.len(),
    known_hosts: |c| c.content.known_hosts.len(),
    seed_fingerprint,
    secrets_opened: |c| c.secrets_opened(),
    ..
});

impl Configuration {
    /// Reads a bundle through every check [`inspect`](crate::inspect) and
    /// restore make (into a private temporary directory, removed after), and
    /// takes its logical view. Its secrets are opened with the bundle's own
    /// seed, or with `this_box` when that is the seed they are sealed under.
    pub fn from_bundle(
        path: &Path,
        unlock: &dyn crate::Unlock,
        this_box: Option<&Seed>,
    ) -> Result<Configuration> {
        let (_staging, staged) = read_bundle_staged(path, unlock, "nascfg-diff-")?;
        let content = nascfg_store::read_content(&staged.db_path)?;
        let fingerprint = content
            .fingerprint
            .clone()
            .or_else(|| staged.seed.as_ref().map(Seed::fingerprint));
        let seed = staged.seed.as_ref().or(this_box);
        let mut config = Configuration::new(content, fingerprint, seed);
        config.manifest = Some(staged.manifest);
        config.signer = Some(staged.signer);
        Ok(config)
    }

    /// This box's configuration, read from its open store in one
    /// transaction; its secrets are opened with the box's seed.
    pub fn from_store(store: &Store) -> Result<Configuration> {
        let content = store.content()?;
        let seed = store.seed().ok();
        let fingerprint = content
            .fingerprint
            .clone()
            .or_else(|| seed.map(Seed::fingerprint));
        Ok(Configuration::new(content, fingerprint, seed))
    }

    /// This box's configuration: an empty one when the data directory or its
    /// database does not exist yet (nothing is created), else
    /// [`Configuration::from_store`].
    pub fn from_data_dir(data_dir: &DataDir) -> Result<Configuration> {
        if !data_dir.db_path().is_file() {
            return Ok(Configuration::empty());
        }
        Configuration::from_store(&Store::open(data_dir)?)
    }

    /// A configuration with nothing in it (a box never initialised).
    pub fn empty() -> Configuration {
        Configuration::new(
            Content {
                fingerprint: None,
                credentials: Vec::new(),
                keypairs: Vec::new(),
                known_hosts: Vec::new(),
            },
            None,
            None,
        )
    }

    /// Takes a staged database's content and opens its secrets with `seed`
    /// when that is the seed its database records (or it records none).
    pub(crate) fn new(
        content: Content,
        seed_fingerprint: Option<Fingerprint>,
        seed: Option<&Seed>,
    ) -> Configuration {
        let seed = seed.filter(|s| {
            content
                .fingerprint
                .as_ref()
                .is_none_or(|db| *db == s.fingerprint())
        });
        let key = seed.map(SealingKey::derive);
        let open = |secret: &SealedSecret| key.as_ref().and_then(|k| secret.open(k).ok());
        let opened: Vec<Vec<Option<SecretString>>> = content
            .credentials
            .iter()
            .map(|c| c.secrets.iter().map(open).collect())
            .collect();
        let opened_keys: Vec<Option<SecretString>> = content
            .keypairs
            .iter()
            .map(|k| k.private_key.as_ref().and_then(open))
            .collect();
        let all_opened = opened.iter().flatten().all(Option::is_some)
            && content
                .keypairs
                .iter()
                .zip(&opened_keys)
                .all(|(k, o)| k.private_key.is_none() || o.is_some());
        let mac_key = seed.filter(|_| all_opened).map(ContentMacKey::derive);
        Configuration {
            content,
            opened,
            opened_keys,
            seed_fingerprint,
            mac_key,
            manifest: None,
            signer: None,
        }
    }

    /// The fingerprint of the seed its secrets are sealed under.
    pub fn seed_fingerprint(&self) -> Option<&Fingerprint> {
        self.seed_fingerprint.as_ref()
    }

    /// The manifest, when read from a bundle.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// Who signed the bundle (its signature verified), when read from one;
    /// apply `--allowed-signers` with [`SignerPolicy::check`](crate::SignerPolicy::check).
    pub fn signer(&self) -> Option<&Signer> {
        self.signer.as_ref()
    }

    /// Whether every secret was opened (so diffs compare values, and the
    /// content digest can be computed).
    pub fn secrets_opened(&self) -> bool {
        self.mac_key.is_some()
            || (self
                .content
                .credentials
                .iter()
                .all(|c| c.secrets.is_empty())
                && self
                    .content
                    .keypairs
                    .iter()
                    .all(|k| k.private_key.is_none()))
    }

    /// The content digest (docs/FORMAT.md, "Content digest"): SHA-256, as 64
    /// lower-case hex digits, over a canonical serialization of this view,
    /// each secret represented by HMAC-SHA256 of its value under a key
    /// derived from the seed. The same configuration under the same seed
    /// always gives the same digest, however often it is exported; any change
    /// to a credential, key pair, known host or the seed changes it. `None`
    /// when some secret could not be opened (the seed is unknown).
    pub fn content_digest(&self) -> Option<String> {
        if !self.secrets_opened() {
            return None;
        }
        let mut digest = ContentDigest::new();
        for (c, opened) in self.content.credentials.iter().zip(&self.opened) {
            let mut macs = Vec::with_capacity(c.secrets.len());
            for (s, value) in c.secrets.iter().zip(opened) {
                let key = self.mac_key.as_ref()?;
                macs.push((s.field(), secret_mac(key, value.as_ref()?)));
            }
            digest.credential(c, macs);
        }
        for (k, opened) in self.content.keypairs.iter().zip(&self.opened_keys) {
            let private = match (&k.private_key, opened) {
                (None, _) => None,
                (Some(_), Some(value)) => Some(secret_mac(self.mac_key.as_ref()?, value)),
                (Some(_), None) => return None,
            };
            digest.keypair(k, private);
        }
        for h in &self.content.known_hosts {
            digest.known_host(h);
        }
        Some(digest.finish(self.seed_fingerprint.as_ref()))
    }
}

fn secret_mac(key: &ContentMacKey, value: &SecretString) -> String {
    hex::encode(key.mac(&[b"secret", value.expose_secret().as_bytes()]))
}

/// The version of the content digest's serialization, inside what is hashed:
/// a new serialization is a new version (and changes every digest once).
const CONTENT_DIGEST_VERSION: &str = "nascfg-content-v1";

/// The sections of the serialized view after `content`, in key order.
const SECTIONS: [&str; 3] = ["credentials", "keypairs", "known_hosts"];

/// SHA-256 over the canonical JSON of a view, written item by item (so a
/// store is hashed without being held in memory): exactly the bytes
/// `serde_json` writes for the whole object with its keys in byte order,
/// `{"content":..,"credentials":[..],"keypairs":[..],"known_hosts":[..],"seed_fingerprint":..}`.
struct ContentDigest {
    hasher: Sha256,
    section: usize,
    first: bool,
}

impl ContentDigest {
    fn new() -> ContentDigest {
        let mut hasher = Sha256::new();
        hasher.update(br#"{"content":""#);
        hasher.update(CONTENT_DIGEST_VERSION.as_bytes());
        hasher.update(br#"","credentials":["#);
        ContentDigest {
            hasher,
            section: 0,
            first: true,
        }
    }

    fn advance(&mut self, to: usize) {
        while self.section < to {
            self.section += 1;
            self.hasher.update(br#"],""#);
            self.hasher.update(SECTIONS[self.section].as_bytes());
            self.hasher.update(br#"":["#);
            self.first = true;
        }
    }

    fn item(&mut self, section: usize, value: serde_json::Value) {
        assert!(section >= self.section, "items come in section order");
        self.advance(section);
        if !self.first {
            self.hasher.update(b",");
        }
        self.first = false;
        let bytes = serde_json::to_vec(&canonical(&value))
            .expect("JSON values with string keys always serialize");
        self.hasher.update(&bytes);
    }

    /// A credential, its secrets given as (field, hex HMAC).
    fn credential(&mut self, c: &CredentialContent, secrets: Vec<(&str, String)>) {
        let secrets: serde_json::Map<String, serde_json::Value> = secrets
            .into_iter()
            .map(|(f, m)| (f.to_owned(), m.into()))
            .collect();
        self.item(
            0,
            serde_json::json!({
                "name": c.name,
                "provider": c.provider.type_str(),
                "attributes": c.attributes,
                "secrets": secrets,
                "needs_secrets": c.needs_secrets,
            }),
        );
    }

    fn keypair(&mut self, k: &KeypairContent, private: Option<String>) {
        self.item(
            1,
            serde_json::json!({
                "name": k.name,
                "key_type": k.key_type,
                "public_key": k.public_key,
                "private_key": private,
            }),
        );
    }

    fn known_host(&mut self, h: &KnownHostContent) {
        self.item(
            2,
            serde_json::json!({"host": h.host, "port": h.port, "key": h.key}),
        );
    }

    fn finish(mut self, seed_fingerprint: Option<&Fingerprint>) -> String {
        self.advance(SECTIONS.len() - 1);
        self.hasher.update(br#"],"seed_fingerprint":"#);
        let fp = serde_json::to_vec(&seed_fingerprint.map(ToString::to_string))
            .expect("a string always serializes");
        self.hasher.update(&fp);
        self.hasher.update(b"}");
        hex::encode(self.hasher.finalize())
    }
}

/// This box's content digest (see [`Configuration::content_digest`]), to
/// compare with a bundle's [`Manifest::content_sha256`] (`backup push
/// --if-changed`). Streams the store in one read transaction, opening one
/// secret at a time: memory does not grow with the store. `None` when the
/// box's seed is missing, is not the one its database records, or does not
/// open a secret.
pub fn content_digest(store: &Store) -> Result<Option<String>> {
    let Ok(seed) = store.seed() else {
        return Ok(None);
    };
    if store
        .fingerprint()?
        .is_some_and(|db| db != seed.fingerprint())
    {
        return Ok(None);
    }
    let key = SealingKey::derive(seed);
    let mac_key = ContentMacKey::derive(seed);
    let mut digest = ContentDigest::new();
    let mut unopened = false;
    let recorded = store.visit_content(|item| {
        if unopened {
            return Ok(());
        }
        let mut mac = |secret: &SealedSecret| match secret.open(&key) {
            Ok(value) => Some(secret_mac(&mac_key, &value)),
            Err(_) => {
                unopened = true;
                None
            }
        };
        match item {
            ContentItem::Credential(c) => {
                let macs = c
                    .secrets
                    .iter()
                    .map(|s| mac(s).map(|m| (s.field(), m)))
                    .collect::<Option<Vec<_>>>();
                if let Some(macs) = macs {
                    digest.credential(&c, macs);
                }
            }
            ContentItem::Keypair(k) => match &k.private_key {
                None => digest.keypair(&k, None),
                Some(sealed) => {
                    if let Some(m) = mac(sealed) {
                        digest.keypair(&k, Some(m));
                    }
                }
            },
            ContentItem::KnownHost(h) => digest.known_host(&h),
        }
        Ok(())
    })?;
    if unopened {
        return Ok(None);
    }
    let fingerprint = recorded.unwrap_or_else(|| seed.fingerprint());
    Ok(Some(digest.finish(Some(&fingerprint))))
}

/// `value` with every object's keys in byte order (serde_json keeps
/// insertion order in this workspace).
fn canonical(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            serde_json::Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&map[k])))
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(canonical).collect())
        }
        other => other.clone(),
    }
}
