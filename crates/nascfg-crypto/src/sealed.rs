//! Sealed values: secrets under AES-256-GCM with a key derived from the seed.
//!
//! Text form (format version 1), fit for a database column:
//!
//! ```text
//! nsv1.<key id: 16 lowercase hex digits>.<base64url, no padding, of nonce (12) || ciphertext || tag (16)>
//! ```
//!
//! Associated data: `nascfg/v1/sealed-value\0` followed by the caller's
//! context (which credential, which attribute). See docs/FORMAT.md.

use std::{fmt, str::FromStr};

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce, Tag,
    aead::{AeadInPlace, generic_array::GenericArray},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::{Error, Seed, kdf};

/// Bytes in a key identifier.
const KEY_ID_LEN: usize = 8;
/// Bytes in an AES-GCM nonce.
pub(crate) const NONCE_LEN: usize = 12;
/// Bytes in an AES-GCM tag.
const TAG_LEN: usize = 16;
/// The only format version this build writes and reads.
const VERSION: u8 = 1;
/// The text prefix before the version number.
const MAGIC: &str = "nsv";
/// Domain prefix of the associated data of version 1 (NUL-terminated, so the
/// context that follows can never be confused with a longer prefix).
const AAD_PREFIX: &[u8] = b"nascfg/v1/sealed-value\0";
/// Longest sealed-value text the parser accepts (16 MiB); secrets are small.
pub(crate) const MAX_TEXT_LEN: usize = 16 << 20;
/// Contexts up to this length build their associated data on the stack.
const STACK_AAD: usize = 256;

/// The identifier of a sealing key: 8 bytes of HKDF output under its own
/// label, written into every sealed value so a value sealed under another
/// seed is recognised before anything is decrypted. Displayed as 16 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KEY_ID_LEN]);

impl KeyId {
    /// The identifier's bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_ID_LEN] {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// The key that seals credential secrets, derived once from the seed.
///
/// Holds the expanded AES-256 key schedule, so sealing and opening do no key
/// derivation. The AES round keys are zeroized on drop (the `aes` crate's
/// `zeroize` feature); `Debug` shows only the key identifier.
#[derive(Clone)]
pub struct SealingKey {
    cipher: Aes256Gcm,
    key_id: KeyId,
}

impl SealingKey {
    /// Derives the sealing key (HKDF-SHA256, label `nascfg/v1/seal/key`) and
    /// its identifier (label `nascfg/v1/seal/key-id`) from `seed`.
    pub fn derive(seed: &Seed) -> SealingKey {
        let key = kdf::derive::<32>(seed.expose_bytes(), kdf::SEAL_KEY_LABEL);
        let id = kdf::derive::<KEY_ID_LEN>(seed.expose_bytes(), kdf::SEAL_KEY_ID_LABEL);
        SealingKey {
            cipher: Aes256Gcm::new(GenericArray::from_slice(key.as_ref())),
            key_id: KeyId(*id),
        }
    }

    /// The key's identifier.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// A sealed secret: format version, key identifier, nonce, ciphertext and tag.
///
/// Not secret itself; `Display`/[`SealedValue::to_text`] give the text form
/// and [`SealedValue::parse`]/`FromStr` read it back strictly.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SealedValue {
    key_id: KeyId,
    nonce: [u8; NONCE_LEN],
    /// Ciphertext followed by the 16-byte tag.
    body: Vec<u8>,
}

impl SealedValue {
    /// The identifier of the key this value was sealed under.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The format version (always 1 in this build).
    pub fn version(&self) -> u8 {
        VERSION
    }

    /// The text form: `nsv1.<key id hex>.<base64url(nonce || ciphertext || tag)>`.
    pub fn to_text(&self) -> String {
        // Written into one buffer of its final size: sealing 50,000
        // credentials makes 50,000 of these.
        let raw_len = NONCE_LEN + self.body.len();
        let b64_len = raw_len.div_ceil(3) * 4;
        let mut text = String::with_capacity(MAGIC.len() + 4 + 2 * KEY_ID_LEN + 1 + b64_len);
        text.push_str(MAGIC);
        fmt::Write::write_fmt(&mut text, format_args!("{VERSION}.")).expect("a String takes text");
        let mut hex = [0u8; 2 * KEY_ID_LEN];
        hex::encode_to_slice(self.key_id.0, &mut hex).expect("the buffer fits the key id");
        text.push_str(std::str::from_utf8(&hex).expect("hex is ASCII"));
        text.push('.');
        // The nonce is 12 bytes, a whole number of base64's 3-byte groups:
        // encoding it and then the body is encoding the two joined.
        const _: () = assert!(NONCE_LEN.is_multiple_of(3));
        URL_SAFE_NO_PAD.encode_string(self.nonce, &mut text);
        URL_SAFE_NO_PAD.encode_string(&self.body, &mut text);
        text
    }

    /// Parses the text form strictly: exact prefix and version, a key id of
    /// 16 lowercase hex digits, canonical unpadded base64url, and at least a
    /// nonce and a tag.
    pub fn parse(text: &str) -> Result<SealedValue, Error> {
        if text.len() > MAX_TEXT_LEN {
            return Err(Error::Malformed("sealed value is longer than 16 MiB"));
        }
        let rest = text
            .strip_prefix(MAGIC)
            .ok_or(Error::Malformed("not a sealed value (expected nsv1.)"))?;
        let (version, rest) = rest
            .split_once('.')
            .ok_or(Error::Malformed("not a sealed value (expected nsv1.)"))?;
        if version.is_empty()
            || version.len() > 3
            || !version.bytes().all(|b| b.is_ascii_digit())
            || (version.len() > 1 && version.starts_with('0'))
        {
            return Err(Error::Malformed("sealed value has no valid version number"));
        }
        let version: u8 = version
            .parse()
            .map_err(|_| Error::Malformed("sealed value has no valid version number"))?;
        if version != VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        let (key_id, body) = rest
            .split_once('.')
            .ok_or(Error::Malformed("sealed value has no key identifier"))?;
        if key_id.len() != 2 * KEY_ID_LEN
            || !key_id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(Error::Malformed(
                "sealed value's key identifier is not 16 lowercase hex digits",
            ));
        }
        let mut id = [0u8; KEY_ID_LEN];
        hex::decode_to_slice(key_id, &mut id)
            .map_err(|_| Error::Malformed("sealed value's key identifier is not hex"))?;
        // The base64 engine rejects padding, other alphabets and non-zero
        // trailing bits, so exactly one text encodes each value.
        let mut bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| {
            Error::Malformed("sealed value's body is not canonical unpadded base64url")
        })?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(Error::Malformed("sealed value is truncated"));
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&bytes[..NONCE_LEN]);
        // The body stays in the decoded buffer (no second allocation).
        bytes.drain(..NONCE_LEN);
        Ok(SealedValue {
            key_id: KeyId(id),
            nonce,
            body: bytes,
        })
    }
}

impl fmt::Display for SealedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl fmt::Debug for SealedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedValue")
            .field("version", &VERSION)
            .field("key_id", &self.key_id)
            .field(
                "ciphertext_len",
                &(self.body.len() - TAG_LEN.min(self.body.len())),
            )
            .finish()
    }
}

impl FromStr for SealedValue {
    type Err = Error;

    fn from_str(s: &str) -> Result<SealedValue, Error> {
        SealedValue::parse(s)
    }
}

/// Calls `f` with the associated data `AAD_PREFIX || context`, on the stack
/// when it is short.
fn with_aad<T>(context: &[u8], f: impl FnOnce(&[u8]) -> T) -> T {
    let len = AAD_PREFIX.len() + context.len();
    if len <= STACK_AAD {
        let mut buf = [0u8; STACK_AAD];
        buf[..AAD_PREFIX.len()].copy_from_slice(AAD_PREFIX);
        buf[AAD_PREFIX.len()..len].copy_from_slice(context);
        f(&buf[..len])
    } else {
        let mut buf = Vec::with_capacity(len);
        buf.extend_from_slice(AAD_PREFIX);
        buf.extend_from_slice(context);
        f(&buf)
    }
}

/// Seals `plaintext` under `key`, bound to `context` (which credential and
/// which attribute), with a fresh random 96-bit nonce from the OS.
pub fn seal(key: &SealingKey, plaintext: &[u8], context: &[u8]) -> SealedValue {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    seal_with_nonce(key, plaintext, context, nonce)
}

/// Seals with a caller-chosen nonce. Only for known-answer vectors: a nonce
/// must never be used twice under one key.
#[doc(hidden)]
pub fn seal_with_nonce(
    key: &SealingKey,
    plaintext: &[u8],
    context: &[u8],
    nonce: [u8; NONCE_LEN],
) -> SealedValue {
    let mut body = Vec::with_capacity(plaintext.len() + TAG_LEN);
    body.extend_from_slice(plaintext);
    let tag = with_aad(context, |aad| {
        key.cipher
            .encrypt_in_place_detached(Nonce::from_slice(&nonce), aad, &mut body)
    });
    match tag {
        Ok(tag) => body.extend_from_slice(&tag),
        // aes-gcm refuses only plaintexts over 2^36 - 32 bytes (64 GiB),
        // which cannot be in memory as a secret.
        Err(_) => unreachable!("AES-GCM plaintext over 64 GiB"),
    }
    SealedValue {
        key_id: key.key_id,
        nonce,
        body,
    }
}

/// Opens `sealed` with `key` and the `context` it was sealed with.
///
/// [`Error::WrongKey`] when it was sealed under another seed (checked first,
/// before any decryption); [`Error::Damaged`] when authentication fails
/// (altered, truncated, or moved to another context).
pub fn open(
    key: &SealingKey,
    sealed: &SealedValue,
    context: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    if sealed.key_id != key.key_id {
        return Err(Error::WrongKey {
            expected: key.key_id,
            found: sealed.key_id,
        });
    }
    let Some(split) = sealed.body.len().checked_sub(TAG_LEN) else {
        return Err(Error::Damaged);
    };
    let (ciphertext, tag) = sealed.body.split_at(split);
    let mut out = Zeroizing::new(ciphertext.to_vec());
    with_aad(context, |aad| {
        key.cipher.decrypt_in_place_detached(
            Nonce::from_slice(&sealed.nonce),
            aad,
            &mut out,
            Tag::from_slice(tag),
        )
    })
    .map_err(|_| Error::Damaged)?;
    Ok(out)
}
