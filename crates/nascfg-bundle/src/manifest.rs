//! `manifest.json`, the first member of a bundle.

use nascfg_credentials::{UNTRUSTED_SHOWN_CHARS, Untrusted};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The format name in every manifest.
pub const FORMAT_NAME: &str = "nascfg-bundle";
/// The bundle format version this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The manifest's member name.
pub const MANIFEST_NAME: &str = "manifest.json";
/// The database's member name.
pub const DATABASE_NAME: &str = "config.db";
/// The seed's member name.
pub const SEED_NAME: &str = "secret-seed";
/// The largest manifest we read.
pub(crate) const MAX_MANIFEST_SIZE: u64 = 64 << 10;

/// What a bundle says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always `nascfg-bundle`.
    pub format: String,
    /// The format version, 1.
    pub version: u32,
    /// The program that wrote it, e.g. `nascfg 0.1.0`.
    pub producer: String,
    /// When it was written (RFC 3339, UTC).
    pub created: String,
    /// The database's schema version.
    pub schema_version: u32,
    /// The fingerprint of the seed the database's secrets are sealed under
    /// (absent when the database holds no sealed value and no fingerprint).
    pub seed_fingerprint: Option<String>,
    /// Whether `secret-seed` is a member.
    pub seed_included: bool,
    /// How much the database holds.
    pub counts: Counts,
    /// The members after the manifest, in archive order.
    pub members: Vec<MemberEntry>,
    /// The configuration's content digest
    /// ([`Configuration::content_digest`](crate::Configuration::content_digest)),
    /// 64 lower-case hex digits:
    /// equal for two exports of an unchanged configuration. Optional:
    /// bundles written before it existed, or by a box whose seed could not
    /// open its secrets, have none (`backup push --if-changed` then pushes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_sha256: Option<String>,
}

/// How many things the bundled database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Cloud credentials.
    pub credentials: u64,
    /// SSH key pairs.
    pub keypairs: u64,
}

/// One member as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberEntry {
    /// Its name in the archive.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

/// 64 lower-case hex digits.
fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Manifest {
    /// Parses and checks a manifest: format name, version, then the exact
    /// version-1 shape, then the member list (config.db, then secret-seed
    /// exactly when `seed_included`).
    pub fn parse(bytes: &[u8]) -> Result<Manifest> {
        let bad = |reason: String| Error::Manifest { reason };
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        let object = value
            .as_object()
            .ok_or_else(|| bad("not a JSON object".into()))?;
        match object.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT_NAME) => {}
            Some(other) => {
                return Err(Error::UnknownFormat {
                    found: other.chars().take(UNTRUSTED_SHOWN_CHARS + 1).collect(),
                });
            }
            None => return Err(bad("no \"format\"".into())),
        }
        match object.get("version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(Error::UnsupportedVersion {
                    found: v,
                    supported: FORMAT_VERSION,
                });
            }
            None => return Err(bad("no numeric \"version\"".into())),
        }
        // serde's words quote the manifest's own text (an unknown field's
        // name): show them as untrusted.
        let manifest: Manifest = serde_json::from_value(value)
            .map_err(|e| bad(Untrusted::new(&e.to_string()).to_string()))?;
        manifest.check()?;
        Ok(manifest)
    }

    fn check(&self) -> Result<()> {
        let bad = |reason: &str| Error::Manifest {
            reason: reason.to_owned(),
        };
        if time::OffsetDateTime::parse(
            &self.created,
            &time::format_description::well_known::Rfc3339,
        )
        .is_err()
        {
            return Err(bad("\"created\" is not an RFC 3339 time"));
        }
        let expected: &[&str] = if self.seed_included {
            &[DATABASE_NAME, SEED_NAME]
        } else {
            &[DATABASE_NAME]
        };
        let names: Vec<&str> = self.members.iter().map(|m| m.name.as_str()).collect();
        if names != expected {
            let found: Vec<Untrusted<'_>> =
                names.iter().take(4).map(|n| Untrusted::new(n)).collect();
            return Err(bad(&format!(
                "members must be {expected:?}, found {found:?}{}",
                if names.len() > 4 { " and more" } else { "" }
            )));
        }
        for member in &self.members {
            if !is_sha256_hex(&member.sha256) {
                return Err(bad(&format!(
                    "the SHA-256 of {} is not 64 lower-case hex digits",
                    Untrusted::new(&member.name)
                )));
            }
            if member.name == SEED_NAME && member.size != 32 {
                return Err(Error::SeedLength { len: member.size });
            }
        }
        if let Some(digest) = &self.content_sha256
            && !is_sha256_hex(digest)
        {
            return Err(bad("\"content_sha256\" is not 64 lower-case hex digits"));
        }
        if self.seed_included && self.seed_fingerprint.is_none() {
            return Err(bad("the seed is included but its fingerprint is missing"));
        }
        if self.producer.len() > 200 {
            return Err(bad("\"producer\" is too long"));
        }
        Ok(())
    }

    /// The entry of a member, if listed.
    pub fn member(&self, name: &str) -> Option<&MemberEntry> {
        self.members.iter().find(|m| m.name == name)
    }

    /// The manifest as pretty JSON (what the bundle holds).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self)
            .expect("a manifest is strings, numbers and string-keyed maps, which always serialize");
        out.push(b'\n');
        out
    }
}
