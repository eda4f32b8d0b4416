//! Shared helpers: stores with credentials, hand-made bundles, data-dir hashes.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use nascfg_credentials::{Credential, DocumentKind, FieldKind, ProviderKind};
use nascfg_store::{DataDir, KeyType, Store};
use sha2::{Digest, Sha256};

/// Attributes for `provider` built from its field specs, strings from `salt`.
/// `None` when this simple generator cannot make a valid credential for it.
pub fn credential(
    name: &str,
    provider: ProviderKind,
    salt: &str,
    keypair: Option<&str>,
) -> Option<Credential> {
    let mut attrs = serde_json::Map::new();
    for field in provider.spec().fields() {
        let value = match field.kind() {
            FieldKind::Text { max_len } => {
                let s = format!("{}{salt}", field.name().chars().take(3).collect::<String>());
                serde_json::Value::String(s.chars().take(max_len.max(1)).collect())
            }
            FieldKind::Integer { min, .. } if field.required() => min.into(),
            FieldKind::Port if field.required() => 22.into(),
            FieldKind::Boolean if field.required() => true.into(),
            FieldKind::Url => format!("https://{salt}.example.com/dav").into(),
            FieldKind::Enum { allowed } if field.required() => allowed.first()?.to_string().into(),
            FieldKind::JsonDocument(DocumentKind::OAuthToken) => serde_json::json!({
                "access_token": format!("at-{salt}"), "token_type": "Bearer",
                "refresh_token": format!("rt-{salt}"), "expiry": "2030-01-01T00:00:00Z"
            })
            .to_string()
            .into(),
            FieldKind::KeyPairRef => match keypair {
                Some(k) => k.into(),
                None if field.required() => return None,
                None => continue,
            },
            _ if field.required() => return None,
            _ => continue,
        };
        attrs.insert(field.name().to_owned(), value);
    }
    Credential::new(name, provider, attrs).ok()
}

/// A store at `dir` with these credentials (providers by index into ALL) and key pairs.
pub fn populate(dir: &DataDir, creds: &[(usize, String)], keypairs: usize) -> Vec<Credential> {
    let mut store = Store::open(dir).unwrap();
    let mut kp_names = Vec::new();
    for i in 0..keypairs {
        let name = format!("key-{i}");
        store.generate_keypair(&name, KeyType::Ed25519).unwrap();
        kp_names.push(name);
    }
    let mut out = Vec::new();
    for (i, (p, salt)) in creds.iter().enumerate() {
        let provider = ProviderKind::ALL[*p % ProviderKind::ALL.len()];
        let kp = kp_names.first().map(String::as_str);
        if let Some(c) = credential(&format!("cred-{i}"), provider, salt, kp) {
            store.add_credential(&c).unwrap();
            out.push(c);
        }
    }
    out
}

/// Every file under `dir` (recursively) with its SHA-256: the "bytes unchanged" check.
pub fn tree_hash(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.insert(p.clone(), "dir".into());
                stack.push(p);
            } else {
                out.insert(
                    p.clone(),
                    hex::encode(Sha256::digest(std::fs::read(&p).unwrap())),
                );
            }
        }
    }
    out
}

/// One member of a hand-made archive.
pub struct Entry {
    pub name: String,
    pub data: Vec<u8>,
    pub kind: tar::EntryType,
    pub link: Option<String>,
}

impl Entry {
    pub fn file(name: &str, data: &[u8]) -> Entry {
        Entry {
            name: name.into(),
            data: data.to_vec(),
            kind: tar::EntryType::Regular,
            link: None,
        }
    }
}

/// A tar of `entries`, names written raw into the header (so `..` and `/x` get through).
pub fn tar(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(e.kind);
        h.set_size(e.data.len() as u64);
        h.set_mode(0o600);
        let name = e.name.as_bytes();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        if let Some(link) = &e.link {
            h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(&e.data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Unpacks a (plain, unencrypted) bundle into its members.
pub fn members(bundle: &[u8]) -> Vec<(String, Vec<u8>)> {
    let limits = nascfg_tar::Limits::default();
    nascfg_tar::read_members(bundle, &limits, |_| true)
        .unwrap()
        .into_iter()
        .map(|m| (m.name().to_owned(), m.into_data()))
        .collect()
}
