//! What changed between two configurations: credentials, key pairs, known
//! hosts, the seed. A secret is only ever "set", "removed", "changed" or
//! "cannot tell", never its value or a hash of it.

use std::collections::{BTreeMap, HashMap, HashSet};

use nascfg_crypto::secrecy::{ExposeSecret, SecretString};
use nascfg_store::SealedSecret;
use serde::Serialize;
use serde_json::Value;

use crate::config::Configuration;

/// What changed from configuration `a` to configuration `b` ([`diff`]).
/// Serializes to the JSON of `backup diff --json`; no secret in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The seed fingerprint, when it differs.
    pub seed: Option<SeedChange>,
    /// Credentials.
    pub credentials: CredentialDiff,
    /// SSH key pairs.
    pub keypairs: KeypairDiff,
    /// Known SFTP host keys.
    pub known_hosts: KnownHostDiff,
    /// How secrets were compared.
    pub secrets_compared: SecretsCompared,
}

/// The seed fingerprint before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeedChange {
    /// `a`'s (absent when it records none).
    pub from: Option<String>,
    /// `b`'s.
    pub to: Option<String>,
}

/// How secret values were compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretsCompared {
    /// Both sides' secrets were opened: values compared in memory.
    Values,
    /// At least one side's seed is unknown: sealed texts compared, so a
    /// secret sealed differently is reported as "cannot tell".
    SealedText,
}

/// Changes to items that are paired by uid, then by name: credentials
/// ([`CredentialDiff`]) and key pairs ([`KeypairDiff`]). A renamed item
/// (same uid, another name) is in `renamed`, and in `changed` under its new
/// name when more changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changes<E, C> {
    /// Only in `b`.
    pub added: Vec<E>,
    /// Only in `a`.
    pub removed: Vec<E>,
    /// Same item (uid), another name.
    pub renamed: Vec<Rename>,
    /// Same item (uid, or the same name), other content.
    pub changed: Vec<C>,
}

impl<E, C> Default for Changes<E, C> {
    fn default() -> Self {
        Changes {
            added: Vec::new(),
            removed: Vec::new(),
            renamed: Vec::new(),
            changed: Vec::new(),
        }
    }
}

/// Changes to credentials.
pub type CredentialDiff = Changes<CredentialEntry, CredentialChange>;

/// A credential added or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialEntry {
    /// Its name.
    pub name: String,
    /// Its provider's type (`S3`, `SFTP`, ...).
    pub provider: String,
}

/// A rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rename {
    /// The name in `a`.
    pub from: String,
    /// The name in `b`.
    pub to: String,
}

/// What changed in one credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialChange {
    /// Its name in `b`.
    pub name: String,
    /// The provider, when it differs.
    pub provider: Option<ValueChange<String>>,
    /// Readable attributes that differ, by field name.
    pub attributes: Vec<AttributeChange>,
    /// Secret attributes that differ (or may), by field name; never a value.
    pub secrets: Vec<SecretChange>,
    /// Whether its secrets must be re-entered, when that differs.
    pub needs_secrets: Option<ValueChange<bool>>,
}

/// A value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueChange<T> {
    /// In `a`.
    pub from: T,
    /// In `b`.
    pub to: T,
}

/// A readable attribute that differs (absent on one side: `null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeChange {
    /// The field name.
    pub field: String,
    /// Its value in `a`.
    pub from: Option<Value>,
    /// Its value in `b`.
    pub to: Option<Value>,
}

/// A secret attribute that differs, or may.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretChange {
    /// The field name.
    pub field: String,
    /// How.
    pub change: SecretChangeKind,
}

/// How a secret differs; never its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretChangeKind {
    /// Set in `b`, absent in `a`.
    Added,
    /// Set in `a`, absent in `b`.
    Removed,
    /// Both set, other values.
    Changed,
    /// Both set, sealed differently, and a seed to open them is missing.
    Unknown,
}

impl SecretChangeKind {
    /// The words for it.
    pub fn describe(self) -> &'static str {
        match self {
            SecretChangeKind::Added => "set",
            SecretChangeKind::Removed => "removed",
            SecretChangeKind::Changed => "changed",
            SecretChangeKind::Unknown => "sealed differently; cannot tell without the seed",
        }
    }
}

/// Changes to key pairs.
pub type KeypairDiff = Changes<KeypairEntry, KeypairChange>;

/// A key pair added or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeypairEntry {
    /// Its name.
    pub name: String,
    /// Its key type.
    pub key_type: String,
    /// Its public key's `SHA256:...` fingerprint.
    pub fingerprint: String,
}

/// What changed in one key pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeypairChange {
    /// Its name in `b`.
    pub name: String,
    /// The public key's fingerprint, when the key differs.
    pub public_key: Option<ValueChange<String>>,
    /// The private key, when it differs (or may).
    pub private_key: Option<SecretChangeKind>,
}

/// Changes to known host keys.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct KnownHostDiff {
    /// Only in `b`.
    pub added: Vec<KnownHost>,
    /// Only in `a`.
    pub removed: Vec<KnownHost>,
    /// Another key for the same host and port.
    pub changed: Vec<KnownHostChange>,
}

/// A known host key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownHost {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Its key as an OpenSSH line (a public key).
    pub key: String,
}

/// A host whose key differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownHostChange {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// The key in `a`.
    pub from: String,
    /// The key in `b`.
    pub to: String,
}

impl Diff {
    /// Whether nothing differs (a secret that cannot be compared counts as
    /// a difference).
    pub fn is_empty(&self) -> bool {
        self.seed.is_none()
            && self.credentials == CredentialDiff::default()
            && self.keypairs == KeypairDiff::default()
            && self.known_hosts == KnownHostDiff::default()
    }

    /// The JSON report (`backup diff --json`); no secret in it.
    pub fn to_json(&self) -> Value {
        let mut value = serde_json::to_value(self)
            .expect("a diff is strings, numbers and JSON values, which always serialize");
        value["identical"] = Value::Bool(self.is_empty());
        value
    }
}

/// Pairs items of `a` and `b`: first by uid, then, among the rest, by name.
/// Returns (a index, b index) pairs, and the unpaired of each side.
fn pair<'x>(
    a: impl Iterator<Item = (&'x str, &'x str)>,
    b: impl Iterator<Item = (&'x str, &'x str)>,
) -> (Vec<(usize, usize)>, Vec<usize>, Vec<usize>) {
    let a: Vec<(&str, &str)> = a.collect();
    let b: Vec<(&str, &str)> = b.collect();
    let b_uid: HashMap<&str, usize> = b.iter().enumerate().map(|(i, (u, _))| (*u, i)).collect();
    let mut pairs = Vec::new();
    let mut a_left = Vec::new();
    let mut b_used = HashSet::new();
    for (i, (uid, _)) in a.iter().enumerate() {
        match b_uid.get(uid) {
            Some(&j) => {
                pairs.push((i, j));
                b_used.insert(j);
            }
            None => a_left.push(i),
        }
    }
    let b_name: HashMap<&str, usize> = b
        .iter()
        .enumerate()
        .filter(|(j, _)| !b_used.contains(j))
        .map(|(j, (_, n))| (*n, j))
        .collect();
    let mut a_rest = Vec::new();
    for i in a_left {
        match b_name.get(a[i].1) {
            Some(&j) => {
                pairs.push((i, j));
                b_used.insert(j);
            }
            None => a_rest.push(i),
        }
    }
    let b_rest = (0..b.len()).filter(|j| !b_used.contains(j)).collect();
    (pairs, a_rest, b_rest)
}

/// Compares one secret on both sides: equal sealed text under the same
/// context is the same value; else opened values decide; else cannot tell.
fn compare_secret(
    a: (&SealedSecret, Option<&SecretString>),
    b: (&SealedSecret, Option<&SecretString>),
) -> Option<SecretChangeKind> {
    if a.0.sealed_text() == b.0.sealed_text() && a.0.context() == b.0.context() {
        return None;
    }
    match (a.1, b.1) {
        (Some(x), Some(y)) => {
            (x.expose_secret() != y.expose_secret()).then_some(SecretChangeKind::Changed)
        }
        _ => Some(SecretChangeKind::Unknown),
    }
}

/// What changed from `a` to `b`.
pub fn diff(a: &Configuration, b: &Configuration) -> Diff {
    let seed = (a.seed_fingerprint != b.seed_fingerprint).then(|| SeedChange {
        from: a.seed_fingerprint.as_ref().map(ToString::to_string),
        to: b.seed_fingerprint.as_ref().map(ToString::to_string),
    });
    let secrets_compared = if a.secrets_opened() && b.secrets_opened() {
        SecretsCompared::Values
    } else {
        SecretsCompared::SealedText
    };
    Diff {
        seed,
        credentials: credentials(a, b),
        keypairs: keypairs(a, b),
        known_hosts: known_hosts(a, b),
        secrets_compared,
    }
}

/// The changes between the items `xs` of `a` and `ys` of `b`, paired by
/// [`pair`]: `named` gives an item's uid and name, `entry` what an added or
/// removed item shows, `change` what differs in a pair (by index), if anything.
/// Renames and changes are sorted by the name in `b`.
fn changes<T, E, C>(
    xs: &[T],
    ys: &[T],
    named: impl Fn(&T) -> (&str, &str),
    entry: impl Fn(&T) -> E,
    mut change: impl FnMut(usize, usize) -> Option<C>,
) -> Changes<E, C> {
    let (pairs, a_rest, b_rest) = pair(xs.iter().map(&named), ys.iter().map(&named));
    let mut out = Changes {
        added: b_rest.iter().map(|&j| entry(&ys[j])).collect(),
        removed: a_rest.iter().map(|&i| entry(&xs[i])).collect(),
        ..Changes::default()
    };
    let mut changed = Vec::new();
    for (i, j) in pairs {
        let (from, to) = (named(&xs[i]).1, named(&ys[j]).1);
        if from != to {
            out.renamed.push(Rename {
                from: from.to_owned(),
                to: to.to_owned(),
            });
        }
        if let Some(c) = change(i, j) {
            changed.push((to, c));
        }
    }
    out.renamed.sort_by(|p, q| p.to.cmp(&q.to));
    changed.sort_by(|p, q| p.0.cmp(q.0));
    out.changed = changed.into_iter().map(|(_, c)| c).collect();
    out
}

fn credentials(a: &Configuration, b: &Configuration) -> CredentialDiff {
    changes(
        &a.content.credentials,
        &b.content.credentials,
        |c| (c.uid.as_str(), c.name.as_str()),
        |c| CredentialEntry {
            name: c.name.clone(),
            provider: c.provider.type_str().to_owned(),
        },
        |i, j| credential_change(a, b, i, j),
    )
}

/// What changed in credential `i` of `a`, paired with credential `j` of `b`.
fn credential_change(
    a: &Configuration,
    b: &Configuration,
    i: usize,
    j: usize,
) -> Option<CredentialChange> {
    let (x, y) = (&a.content.credentials[i], &b.content.credentials[j]);
    let mut attributes = Vec::new();
    let fields: std::collections::BTreeSet<&String> =
        x.attributes.keys().chain(y.attributes.keys()).collect();
    for field in fields {
        let (from, to) = (x.attributes.get(field), y.attributes.get(field));
        if from != to {
            attributes.push(AttributeChange {
                field: field.clone(),
                from: from.cloned(),
                to: to.cloned(),
            });
        }
    }
    let (xs, ys) = (secrets_by_field(a, i), secrets_by_field(b, j));
    let fields: std::collections::BTreeSet<&str> = xs.keys().chain(ys.keys()).copied().collect();
    let mut secrets = Vec::new();
    for field in fields {
        let change = match (xs.get(field), ys.get(field)) {
            (Some(&s), Some(&t)) => compare_secret(s, t),
            (None, Some(_)) => Some(SecretChangeKind::Added),
            (Some(_), None) => Some(SecretChangeKind::Removed),
            (None, None) => None,
        };
        if let Some(change) = change {
            secrets.push(SecretChange {
                field: field.to_owned(),
                change,
            });
        }
    }
    let provider = (x.provider != y.provider).then(|| ValueChange {
        from: x.provider.type_str().to_owned(),
        to: y.provider.type_str().to_owned(),
    });
    let needs_secrets = (x.needs_secrets != y.needs_secrets).then_some(ValueChange {
        from: x.needs_secrets,
        to: y.needs_secrets,
    });
    (provider.is_some() || !attributes.is_empty() || !secrets.is_empty() || needs_secrets.is_some())
        .then(|| CredentialChange {
            name: y.name.clone(),
            provider,
            attributes,
            secrets,
            needs_secrets,
        })
}

/// The sealed secrets of credential `i` of `c` by field name, each with its
/// opened value when `c`'s seed was known.
fn secrets_by_field(
    c: &Configuration,
    i: usize,
) -> BTreeMap<&str, (&SealedSecret, Option<&SecretString>)> {
    c.content.credentials[i]
        .secrets
        .iter()
        .zip(&c.opened[i])
        .map(|(s, o)| (s.field(), (s, o.as_ref())))
        .collect()
}

fn keypairs(a: &Configuration, b: &Configuration) -> KeypairDiff {
    changes(
        &a.content.keypairs,
        &b.content.keypairs,
        |k| (k.uid.as_str(), k.name.as_str()),
        |k| KeypairEntry {
            name: k.name.clone(),
            key_type: k.key_type.clone(),
            fingerprint: k.fingerprint.clone(),
        },
        |i, j| keypair_change(a, b, i, j),
    )
}

/// What changed in key pair `i` of `a`, paired with key pair `j` of `b`.
fn keypair_change(
    a: &Configuration,
    b: &Configuration,
    i: usize,
    j: usize,
) -> Option<KeypairChange> {
    let (x, y) = (&a.content.keypairs[i], &b.content.keypairs[j]);
    let public_key = (x.public_key != y.public_key).then(|| ValueChange {
        from: x.fingerprint.clone(),
        to: y.fingerprint.clone(),
    });
    let private_key = match (&x.private_key, &y.private_key) {
        (None, None) => None,
        (None, Some(_)) => Some(SecretChangeKind::Added),
        (Some(_), None) => Some(SecretChangeKind::Removed),
        // The private key belongs to its public key (checked on every
        // read): a changed key shows as a changed public key.
        (Some(s), Some(t)) if public_key.is_some() => compare_secret(
            (s, a.opened_keys[i].as_ref()),
            (t, b.opened_keys[j].as_ref()),
        )
        .map(|_| SecretChangeKind::Changed),
        (Some(_), Some(_)) => None,
    };
    (public_key.is_some() || private_key.is_some()).then(|| KeypairChange {
        name: y.name.clone(),
        public_key,
        private_key,
    })
}

fn known_hosts<'a>(a: &'a Configuration, b: &'a Configuration) -> KnownHostDiff {
    // Each side's keys by host and port.
    let by_host = |c: &'a Configuration| -> BTreeMap<(String, u16), &'a str> {
        c.content
            .known_hosts
            .iter()
            .map(|h| ((h.host.clone(), h.port), h.key.as_str()))
            .collect()
    };
    let (xa, xb) = (by_host(a), by_host(b));
    let mut out = KnownHostDiff::default();
    for ((host, port), k) in &xa {
        match xb.get(&(host.clone(), *port)) {
            None => out.removed.push(KnownHost {
                host: host.clone(),
                port: *port,
                key: (*k).to_owned(),
            }),
            Some(other) if other != k => out.changed.push(KnownHostChange {
                host: host.clone(),
                port: *port,
                from: (*k).to_owned(),
                to: (*other).to_owned(),
            }),
            Some(_) => {}
        }
    }
    for ((host, port), k) in &xb {
        if !xa.contains_key(&(host.clone(), *port)) {
            out.added.push(KnownHost {
                host: host.clone(),
                port: *port,
                key: (*k).to_owned(),
            });
        }
    }
    out
}
