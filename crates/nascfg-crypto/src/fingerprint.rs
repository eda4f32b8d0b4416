//! The seed's fingerprint: a short public name for a seed.

use std::{fmt, str::FromStr};

use crate::{Error, Seed, kdf};

/// Bytes in a fingerprint.
const FINGERPRINT_LEN: usize = 8;
/// Text prefix, carrying the fingerprint's version.
const PREFIX: &str = "nfp1:";
/// Length of the text form: `nfp1:` + 4 groups of 4 hex digits + 3 dashes.
const TEXT_LEN: usize = PREFIX.len() + 4 * 4 + 3;

/// A short, stable, printable identifier of a seed, such as
/// `nfp1:3f2a-91c0-77de-0b54`.
///
/// It is 64 bits of HKDF-SHA256 output under its own label
/// (`nascfg/v1/fingerprint`), not a hash of the seed, so it reveals nothing
/// about the seed or the keys derived from it. Stored in manifests and the
/// database so that "this is not the seed these secrets were sealed with" is
/// an error of its own. Serialized as its text form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; FINGERPRINT_LEN]);

impl Fingerprint {
    /// The fingerprint of `seed`.
    pub(crate) fn of(seed: &Seed) -> Fingerprint {
        let out = kdf::derive::<FINGERPRINT_LEN>(seed.expose_bytes(), kdf::FINGERPRINT_LABEL);
        Fingerprint(*out)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PREFIX)?;
        for (i, pair) in self.0.chunks(2).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            f.write_str(&hex::encode(pair))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = Error;

    /// Parses the text form; hex digits in either case, nothing else.
    fn from_str(s: &str) -> Result<Fingerprint, Error> {
        const BAD: Error = Error::Malformed(
            "not a seed fingerprint (expected nfp1: and four dash-separated groups of 4 hex digits)",
        );
        let rest = s.strip_prefix(PREFIX).ok_or(BAD)?;
        if s.len() != TEXT_LEN {
            return Err(BAD);
        }
        let mut bytes = [0u8; FINGERPRINT_LEN];
        let mut groups = rest.split('-');
        for chunk in bytes.chunks_mut(2) {
            let group = groups.next().ok_or(BAD)?;
            if group.len() != 4 {
                return Err(BAD);
            }
            hex::decode_to_slice(group, chunk).map_err(|_| BAD)?;
        }
        if groups.next().is_some() {
            return Err(BAD);
        }
        Ok(Fingerprint(bytes))
    }
}

impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
