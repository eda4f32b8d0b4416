//! The binary `openssh-key-v1` format (OpenSSH's PROTOCOL.key), read by
//! ssh-key, with two repairs.
//!
//! ssh-key 0.6 is stricter than OpenSSH in two ways that refuse ECDSA keys
//! real tools write:
//! - it reads the private scalar only at the curve's full width (32, 48 or 66
//!   bytes, or one more with a leading zero), but `ssh-keygen` writes the
//!   shortest mpint: one P-256 key in 256 and half of all P-521 keys have a
//!   shorter one;
//! - it wants less than a block of padding after the comment, but Python's
//!   `cryptography` pads an already aligned section with a whole block, which
//!   every P-256 and P-384 key it writes is.
//!
//! When ssh-key refuses an ECDSA key, its private section is decrypted here
//! (with ssh-key's own KDF and cipher), rewritten without those two quirks, and
//! read again by ssh-key as an unencrypted key, which checks it as usual.

use nascfg_credentials::secrecy::{ExposeSecret, SecretString};
use ssh_key::{Algorithm, PrivateKey};
use zeroize::Zeroizing;

use super::invalid;
use crate::error::Error;

const MAGIC: &[u8] = b"openssh-key-v1\0";

/// Reads the key, decrypting it if it is encrypted.
pub(super) fn read(
    body: &[u8],
    passphrase: &mut dyn FnMut() -> Option<SecretString>,
) -> Result<PrivateKey, Error> {
    let key = match PrivateKey::from_bytes(body) {
        Ok(key) => key,
        Err(e) => {
            return Container::read(body)
                .filter(|c| c.cipher == b"none")
                .and_then(|c| c.repaired(c.private))
                .and_then(|bytes| PrivateKey::from_bytes(&bytes).ok())
                .ok_or_else(|| invalid(format!("cannot read the OpenSSH private key: {e}")));
        }
    };
    if !key.is_encrypted() {
        return Ok(key);
    }
    if let ssh_key::Kdf::Bcrypt { rounds, .. } = key.kdf()
        && *rounds > super::MAX_BCRYPT_ROUNDS
    {
        return Err(super::too_costly(format!("{rounds} bcrypt-pbkdf rounds")));
    }
    let passphrase = passphrase().ok_or(Error::KeyPassphraseNeeded)?;
    let passphrase = passphrase.expose_secret().as_bytes();
    key.decrypt(passphrase)
        .ok()
        .or_else(|| decrypt_repaired(&key, body, passphrase))
        .ok_or(Error::KeyPassphraseWrong)
}

/// An encrypted ECDSA key that ssh-key refused after decrypting: decrypted
/// again here and repaired. Keys under a cipher with a tag (AES-GCM,
/// ChaCha20-Poly1305; `ssh-keygen` writes them only when asked) are left to
/// ssh-key alone.
fn decrypt_repaired(key: &PrivateKey, body: &[u8], passphrase: &[u8]) -> Option<PrivateKey> {
    if !matches!(key.algorithm(), Algorithm::Ecdsa { .. }) || key.cipher().has_tag() {
        return None;
    }
    let container = Container::read(body)?;
    let (k, iv) = key.kdf().derive_key_and_iv(key.cipher(), passphrase).ok()?;
    let mut section = Zeroizing::new(container.private.to_vec());
    key.cipher().decrypt(&k, &iv, &mut section, None).ok()?;
    // A wrong passphrase leaves the two check integers unequal: ssh-key refuses it.
    PrivateKey::from_bytes(&container.repaired(&section)?).ok()
}

/// The fields of the container that the repair needs.
struct Container<'a> {
    cipher: &'a [u8],
    /// The public key blob.
    public: &'a [u8],
    /// The private section, encrypted unless `cipher` is `none`.
    private: &'a [u8],
}

impl<'a> Container<'a> {
    fn read(body: &'a [u8]) -> Option<Self> {
        let mut r = Reader(body.strip_prefix(MAGIC)?);
        let cipher = r.string()?;
        let _kdf_name = r.string()?;
        let _kdf_options = r.string()?;
        if r.u32()? != 1 {
            return None;
        }
        let public = r.string()?;
        let private = r.string()?;
        Some(Self {
            cipher,
            public,
            private,
        })
    }

    /// An unencrypted container holding the decrypted private `section`,
    /// repaired; `None` when it is not an ECDSA key (the only kind repaired).
    fn repaired(&self, section: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let mut out = widened_ecdsa(section)?;
        // Padding 1, 2, 3, ... to the `none` cipher's block size, 8.
        let mut pad = 1u8;
        while out.len() % 8 != 0 {
            out.push(pad);
            pad += 1;
        }
        let mut container = Zeroizing::new(Vec::with_capacity(out.len() + self.public.len() + 64));
        container.extend_from_slice(MAGIC);
        for field in [b"none".as_slice(), b"none", b""] {
            put_string(&mut container, field);
        }
        container.extend_from_slice(&1u32.to_be_bytes());
        put_string(&mut container, self.public);
        put_string(&mut container, &out);
        Some(container)
    }
}

/// The decrypted private `section` of an ECDSA key with its scalar at the
/// curve's full width, unpadded; `None` for other keys.
fn widened_ecdsa(section: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut r = Reader(section);
    let check1 = r.u32()?;
    let check2 = r.u32()?;
    let key_type = r.string()?;
    if !key_type.starts_with(b"ecdsa-sha2-") {
        return None;
    }
    let curve = r.string()?;
    let width = match curve {
        b"nistp256" => 32,
        b"nistp384" => 48,
        b"nistp521" => 66,
        _ => return None,
    };
    let point = r.string()?;
    let scalar = r.string()?;
    let comment = r.string()?;
    let first = scalar.iter().position(|&b| b != 0).unwrap_or(scalar.len());
    let scalar = &scalar[first..];
    if scalar.len() > width {
        return None;
    }
    let mut wide = Zeroizing::new(vec![0u8; width - scalar.len()]);
    wide.extend_from_slice(scalar);
    let mut out = Zeroizing::new(Vec::with_capacity(section.len() + 16));
    out.extend_from_slice(&check1.to_be_bytes());
    out.extend_from_slice(&check2.to_be_bytes());
    for field in [key_type, curve, point, wide.as_slice(), comment] {
        put_string(&mut out, field);
    }
    Some(out)
}

/// RFC 4251 `string`: a big-endian u32 length, then the bytes.
fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("a key's fields are far below 4 GiB");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// RFC 4251 `uint32` and `string`, read from the front of a slice.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*head))
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.u32()?).ok()?;
        if len > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(head)
    }
}
