//! Private keys as other tools write them, read into one OpenSSH key.
//!
//! Accepts what `ssh-keygen -y` reads: the OpenSSH format at any line width,
//! PEM PKCS#1 RSA, PKCS#8 (RSA, Ed25519, ECDSA P-256/P-384/P-521), SEC1 EC,
//! and their encrypted forms: OpenSSH (bcrypt-pbkdf), PKCS#8 (PBES2, RFC 8018)
//! and legacy PEM (`Proc-Type: 4,ENCRYPTED`, RFC 1421 with OpenSSL's key
//! derivation). The armor is read here, leniently, because the strict RFC 7468
//! readers of the RustCrypto crates refuse lines that are not 64 or 70 columns
//! wide; the DER inside is read by those crates.

use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use md5::{Digest as _, Md5};
use nascfg_credentials::secrecy::{ExposeSecret, SecretString};
use pkcs8::ObjectIdentifier;
use rsa::traits::{PrivateKeyParts as _, PublicKeyParts as _};
use ssh_key::private::{
    EcdsaKeypair, Ed25519Keypair, KeypairData, RsaKeypair, RsaPrivateKey as SshRsaPrivate,
};
use ssh_key::public::RsaPublicKey as SshRsaPublic;
use ssh_key::{Mpint, PrivateKey};
use zeroize::Zeroizing;

use crate::error::Error;

mod openssh;

/// Largest key file we read; real keys are a few KiB.
const MAX_KEY_TEXT: usize = 64 * 1024;

/// The most bcrypt-pbkdf rounds an OpenSSH key may ask for (`ssh-keygen -a`;
/// its default is 16, and 100 is common advice). A crafted key asking for
/// billions would hang the import for days: found by the `private_key` fuzz
/// target.
const MAX_BCRYPT_ROUNDS: u32 = 1_000;
/// The most PBKDF2 iterations an encrypted PKCS#8 key may ask for (OpenSSL
/// writes 2048; OWASP advises 600,000 for HMAC-SHA256).
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// The largest scrypt cost (N) and memory (128 * r * N bytes) an encrypted
/// PKCS#8 key may ask for (OpenSSL's `-scrypt` writes N = 16384, r = 8).
const MAX_SCRYPT_COST: u64 = 1 << 20;
const MAX_SCRYPT_MEMORY: u64 = 1 << 30;
const MAX_SCRYPT_PARALLELIZATION: u16 = 16;

/// A key whose passphrase derivation asks for more work than any real key
/// needs, refused before any of it is done.
fn too_costly(what: String) -> Error {
    invalid(format!(
        "the key's passphrase derivation asks for {what}, more than nascfg does for one key; \
         re-encrypt a copy with `ssh-keygen -p -f COPY`"
    ))
}

/// Refuses an encrypted PKCS#8 key whose key derivation would cost more than
/// the limits above, before deriving anything.
fn check_pbes2_cost(scheme: &pkcs8::pkcs5::EncryptionScheme<'_>) -> Result<(), Error> {
    use pkcs8::pkcs5::pbes2::Kdf;
    let pkcs8::pkcs5::EncryptionScheme::Pbes2(params) = scheme else {
        return Ok(());
    };
    match &params.kdf {
        Kdf::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => Err(too_costly(format!(
            "{} PBKDF2 iterations",
            p.iteration_count
        ))),
        Kdf::Scrypt(p)
            if p.cost_parameter > MAX_SCRYPT_COST
                || p.parallelization > MAX_SCRYPT_PARALLELIZATION
                || 128 * u64::from(p.block_size) * p.cost_parameter > MAX_SCRYPT_MEMORY =>
        {
            Err(too_costly(format!(
                "scrypt with N = {}, r = {}, p = {}",
                p.cost_parameter, p.block_size, p.parallelization
            )))
        }
        // Within the limits, or a KDF the decryption itself refuses.
        _ => Ok(()),
    }
}

/// rsaEncryption (RFC 8017, appendix C).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// id-Ed25519 (RFC 8410, section 3).
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// id-ecPublicKey (RFC 5480, section 2.1.1).
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// secp256r1 (RFC 5480, section 2.1.1.1).
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// secp384r1 (RFC 5480, section 2.1.1.1).
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// secp521r1 (RFC 5480, section 2.1.1.1).
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// Reads a private key in any format `ssh-keygen -y` reads and returns it
/// decrypted. `passphrase` is called only when the key is encrypted, at most
/// once; `None` from it gives [`Error::KeyPassphraseNeeded`].
///
/// A wrong passphrase gives [`Error::KeyPassphraseWrong`] (a damaged encrypted
/// key cannot be told apart from it); a text that is not a usable private key
/// gives [`Error::InvalidKey`]. The returned key keeps the file's comment, which
/// only the OpenSSH format has.
///
/// ```
/// let text = "-----BEGIN OPENSSH PRIVATE KEY-----
/// b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUx
/// OQAAACAQjFveBVtb7v0BYMeOMUI4UTTYWgvpz5wJE7HB+cTv1AAAAIjTotQJ06LUCQAAAAtzc2gt
/// ZWQyNTUxOQAAACAQjFveBVtb7v0BYMeOMUI4UTTYWgvpz5wJE7HB+cTv1AAAAEBXFmE5jkxKTlW2
/// 2woRVRbqHjrJl+Y2+2YvIc1AlQTAbxCMW94FW1vu/QFgx44xQjhRNNhaC+nPnAkTscH5xO/UAAAA
/// AAECAwQF
/// -----END OPENSSH PRIVATE KEY-----
/// ";
/// let key = nascfg_store::parse_private_key(text, &mut || None)?;
/// assert!(key.public_key().to_openssh().unwrap().starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBCMW94F"));
/// # Ok::<(), nascfg_store::Error>(())
/// ```
pub fn parse_private_key(
    text: &str,
    passphrase: &mut dyn FnMut() -> Option<SecretString>,
) -> Result<PrivateKey, Error> {
    if text.len() > MAX_KEY_TEXT {
        return Err(invalid("longer than 64 KiB"));
    }
    let armor = Armor::read(text)?;
    match armor.label {
        "OPENSSH PRIVATE KEY" => {
            armor.refuse_encryption_headers()?;
            openssh::read(&armor.body, passphrase)
        }
        "RSA PRIVATE KEY" => {
            let der = armor.legacy_decrypt(passphrase)?;
            rsa_pkcs1(&der).map_err(|e| armor.after_decryption(e))
        }
        "EC PRIVATE KEY" => {
            let der = armor.legacy_decrypt(passphrase)?;
            sec1_ec(&der).map_err(|e| armor.after_decryption(e))
        }
        "PRIVATE KEY" => {
            armor.refuse_encryption_headers()?;
            pkcs8_key(&armor.body)
        }
        "ENCRYPTED PRIVATE KEY" => {
            armor.refuse_encryption_headers()?;
            encrypted_pkcs8(&armor.body, passphrase)
        }
        "DSA PRIVATE KEY" => Err(invalid(
            "a DSA key; OpenSSH no longer accepts DSA keys, make an Ed25519 or RSA key instead",
        )),
        label if label.contains("PUBLIC KEY") => Err(public_key()),
        label => Err(invalid(format!(
            "unsupported format (-----BEGIN {}-----)",
            label.chars().take(40).collect::<String>()
        ))),
    }
}

fn public_key() -> Error {
    invalid("this is a public key; give the private key (the file without .pub)")
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidKey {
        reason: reason.into(),
    }
}

/// One PEM block (RFC 7468, with RFC 1421's headers): its label, headers and
/// decoded body.
struct Armor<'a> {
    label: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: Zeroizing<Vec<u8>>,
}

impl<'a> Armor<'a> {
    /// The first block of `text`. Text before it is ignored (OpenSSL's "Bag
    /// Attributes", a comment); the base64 lines may have any width.
    fn read(text: &'a str) -> Result<Self, Error> {
        if text.trim_start().starts_with("PuTTY-User-Key-File-") {
            return Err(invalid(
                "a PuTTY key (.ppk); write it in OpenSSH format with \
                 `puttygen KEY.ppk -O private-openssh -o KEY`",
            ));
        }
        let first_word = text.split_whitespace().next().unwrap_or("");
        if ["ssh-", "ecdsa-sha2-", "sk-"]
            .iter()
            .any(|p| first_word.starts_with(p))
        {
            return Err(public_key());
        }
        let mut lines = text.lines().map(str::trim);
        let label = lines
            .by_ref()
            .find_map(|l| l.strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
            .ok_or_else(|| {
                invalid("not a private key file (no -----BEGIN ... PRIVATE KEY----- line)")
            })?;
        let end = format!("-----END {label}-----");
        let mut headers = Vec::new();
        let mut base64 = Zeroizing::new(String::new());
        let mut ended = false;
        for line in lines {
            if line == end {
                ended = true;
                break;
            }
            match line.split_once(':') {
                Some((name, value)) if base64.is_empty() => {
                    headers.push((name.trim(), value.trim()))
                }
                _ => base64.push_str(line),
            }
        }
        if !ended {
            return Err(invalid(format!(
                "the line {end} is missing (is the file cut short?)"
            )));
        }
        let engine = GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
        );
        let body = engine
            .decode(base64.as_bytes())
            .map(Zeroizing::new)
            .map_err(|_| invalid("the base64 text between the BEGIN and END lines is damaged"))?;
        Ok(Self {
            label,
            headers,
            body,
        })
    }

    fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    fn is_legacy_encrypted(&self) -> bool {
        self.header("Proc-Type")
            .is_some_and(|v| v.replace(' ', "").eq_ignore_ascii_case("4,ENCRYPTED"))
    }

    /// Formats whose encryption is inside the body carry no encryption header.
    fn refuse_encryption_headers(&self) -> Result<(), Error> {
        if self.is_legacy_encrypted() {
            return Err(invalid(format!(
                "a -----BEGIN {}----- block with a Proc-Type: 4,ENCRYPTED header is not a format \
                 ssh-keygen writes",
                self.label
            )));
        }
        Ok(())
    }

    /// A DER parse failure after a legacy decryption is most likely a wrong
    /// passphrase whose padding happened to come out right.
    fn after_decryption(&self, e: Error) -> Error {
        match e {
            Error::InvalidKey { .. } if self.is_legacy_encrypted() => Error::KeyPassphraseWrong,
            other => other,
        }
    }

    /// The body, decrypted when the headers say `Proc-Type: 4,ENCRYPTED`:
    /// `DEK-Info: CIPHER,IV`, the key derived as OpenSSL's `EVP_BytesToKey`
    /// (MD5, one round, the first 8 bytes of the IV as salt), CBC with PKCS#7
    /// padding (RFC 1423, section 1.1).
    fn legacy_decrypt(
        &self,
        passphrase: &mut dyn FnMut() -> Option<SecretString>,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        if !self.is_legacy_encrypted() {
            return Ok(self.body.clone());
        }
        let dek = self
            .header("DEK-Info")
            .ok_or_else(|| invalid("the key is encrypted but has no DEK-Info header"))?;
        let (cipher, iv_hex) = dek
            .split_once(',')
            .ok_or_else(|| invalid("the DEK-Info header is not CIPHER,IV"))?;
        let cipher = LegacyCbc::from_name(cipher.trim())?;
        let iv = hex::decode(iv_hex.trim())
            .ok()
            .filter(|iv| iv.len() == cipher.iv_len())
            .ok_or_else(|| invalid("the DEK-Info header's IV is damaged"))?;
        let passphrase = passphrase().ok_or(Error::KeyPassphraseNeeded)?;
        let key = evp_bytes_to_key(
            passphrase.expose_secret().as_bytes(),
            &iv[..8],
            cipher.key_len(),
        );
        let mut buf = self.body.clone();
        let len = cipher
            .decrypt(&key, &iv, &mut buf)
            .ok_or(Error::KeyPassphraseWrong)?;
        buf.truncate(len);
        Ok(buf)
    }
}

/// The ciphers (all in CBC mode) of legacy encrypted PEM that OpenSSH and
/// OpenSSL write.
#[derive(Clone, Copy)]
enum LegacyCbc {
    Aes128,
    Aes192,
    Aes256,
    DesEde3,
}

impl LegacyCbc {
    fn from_name(name: &str) -> Result<Self, Error> {
        Ok(match name.to_ascii_uppercase().as_str() {
            "AES-128-CBC" => Self::Aes128,
            "AES-192-CBC" => Self::Aes192,
            "AES-256-CBC" => Self::Aes256,
            "DES-EDE3-CBC" => Self::DesEde3,
            _ => {
                return Err(invalid(format!(
                    "the key is encrypted with an unsupported cipher ({}); \
                     re-encrypt it with `ssh-keygen -p -f COPY`",
                    name.chars().take(40).collect::<String>()
                )));
            }
        })
    }

    fn key_len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 | Self::DesEde3 => 24,
            Self::Aes256 => 32,
        }
    }

    fn iv_len(self) -> usize {
        match self {
            Self::Aes128 | Self::Aes192 | Self::Aes256 => 16,
            Self::DesEde3 => 8,
        }
    }

    /// Decrypts in place; the plaintext's length, `None` when the padding is
    /// wrong.
    fn decrypt(self, key: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<usize> {
        fn run<C: BlockDecryptMut + KeyIvInit>(
            key: &[u8],
            iv: &[u8],
            buf: &mut [u8],
        ) -> Option<usize> {
            let cipher = C::new_from_slices(key, iv).ok()?;
            cipher
                .decrypt_padded_mut::<Pkcs7>(buf)
                .ok()
                .map(<[u8]>::len)
        }
        match self {
            Self::Aes128 => run::<cbc::Decryptor<aes::Aes128>>(key, iv, buf),
            Self::Aes192 => run::<cbc::Decryptor<aes::Aes192>>(key, iv, buf),
            Self::Aes256 => run::<cbc::Decryptor<aes::Aes256>>(key, iv, buf),
            Self::DesEde3 => run::<cbc::Decryptor<des::TdesEde3>>(key, iv, buf),
        }
    }
}

/// OpenSSL's `EVP_BytesToKey` with MD5 and one round:
/// `D_i = MD5(D_{i-1} || passphrase || salt)`, concatenated to `len` bytes.
fn evp_bytes_to_key(passphrase: &[u8], salt: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let mut key = Zeroizing::new(Vec::with_capacity(len + 16));
    let mut prev: Option<Zeroizing<[u8; 16]>> = None;
    while key.len() < len {
        let mut md5 = Md5::new();
        if let Some(prev) = &prev {
            md5.update(prev.as_slice());
        }
        md5.update(passphrase);
        md5.update(salt);
        let block = Zeroizing::new(<[u8; 16]>::from(md5.finalize()));
        key.extend_from_slice(block.as_slice());
        prev = Some(block);
    }
    key.truncate(len);
    key
}

/// `RSAPrivateKey` (RFC 8017, appendix A.1.2).
fn rsa_pkcs1(der: &[u8]) -> Result<PrivateKey, Error> {
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    let key = rsa::RsaPrivateKey::from_pkcs1_der(der)
        .map_err(|e| invalid(format!("cannot read the PKCS#1 RSA private key: {e}")))?;
    rsa_keypair(&key)
}

/// `ECPrivateKey` (SEC 1 v2, appendix C.4; RFC 5915), which must name its curve.
fn sec1_ec(der: &[u8]) -> Result<PrivateKey, Error> {
    let parsed = sec1::EcPrivateKey::try_from(der)
        .map_err(|e| invalid(format!("cannot read the EC private key: {e}")))?;
    let curve = parsed
        .parameters
        .and_then(|p| p.named_curve())
        .ok_or_else(|| invalid("the EC private key does not name its curve"))?;
    let bad = |_| invalid("the EC private key is damaged");
    let data = match curve {
        c if c == SECP256R1 => ecdsa_p256(p256::SecretKey::from_sec1_der(der).map_err(bad)?),
        c if c == SECP384R1 => ecdsa_p384(p384::SecretKey::from_sec1_der(der).map_err(bad)?),
        c if c == SECP521R1 => ecdsa_p521(p521::SecretKey::from_sec1_der(der).map_err(bad)?),
        other => return Err(unsupported_curve(other)),
    };
    keypair(data)
}

/// `PrivateKeyInfo` / `OneAsymmetricKey` (RFC 5208, RFC 5958).
fn pkcs8_key(der: &[u8]) -> Result<PrivateKey, Error> {
    use pkcs8::DecodePrivateKey as _;
    let info = pkcs8::PrivateKeyInfo::try_from(der)
        .map_err(|e| invalid(format!("cannot read the PKCS#8 private key: {e}")))?;
    let bad = |e: pkcs8::Error| invalid(format!("cannot read the PKCS#8 private key: {e}"));
    let algorithm = info.algorithm.oid;
    if algorithm == RSA_ENCRYPTION {
        let key = rsa::RsaPrivateKey::from_pkcs8_der(der).map_err(bad)?;
        return rsa_keypair(&key);
    }
    if algorithm == ED25519 {
        let key = ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(bad)?;
        return keypair(KeypairData::Ed25519(Ed25519Keypair::from(key)));
    }
    if algorithm == EC_PUBLIC_KEY {
        let curve = info
            .algorithm
            .parameters_oid()
            .map_err(|_| invalid("the PKCS#8 EC private key does not name its curve"))?;
        let data = match curve {
            c if c == SECP256R1 => ecdsa_p256(p256::SecretKey::from_pkcs8_der(der).map_err(bad)?),
            c if c == SECP384R1 => ecdsa_p384(p384::SecretKey::from_pkcs8_der(der).map_err(bad)?),
            c if c == SECP521R1 => ecdsa_p521(p521::SecretKey::from_pkcs8_der(der).map_err(bad)?),
            other => return Err(unsupported_curve(other)),
        };
        return keypair(data);
    }
    Err(invalid(format!(
        "unsupported key algorithm (OID {algorithm}); OpenSSH takes RSA, ECDSA and Ed25519 keys"
    )))
}

/// `EncryptedPrivateKeyInfo` (RFC 5958, section 3) with PBES2 (RFC 8018).
fn encrypted_pkcs8(
    der: &[u8],
    passphrase: &mut dyn FnMut() -> Option<SecretString>,
) -> Result<PrivateKey, Error> {
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der)
        .map_err(|e| invalid(format!("cannot read the encrypted PKCS#8 private key: {e}")))?;
    check_pbes2_cost(&info.encryption_algorithm)?;
    let passphrase = passphrase().ok_or(Error::KeyPassphraseNeeded)?;
    let plain = info
        .decrypt(passphrase.expose_secret().as_bytes())
        .map_err(|e| match e {
            pkcs8::Error::EncryptedPrivateKey(
                pkcs8::pkcs5::Error::AlgorithmParametersInvalid { .. }
                | pkcs8::pkcs5::Error::NoPbes1CryptSupport
                | pkcs8::pkcs5::Error::UnsupportedAlgorithm { .. },
            ) => invalid(format!(
                "the key is encrypted with an unsupported scheme ({e}); \
                 re-encrypt it with `ssh-keygen -p -f COPY`"
            )),
            // A wrong passphrase fails the padding or leaves bytes that are not DER.
            _ => Error::KeyPassphraseWrong,
        })?;
    pkcs8_key(plain.as_bytes()).map_err(|e| match e {
        Error::InvalidKey { .. } if pkcs8::PrivateKeyInfo::try_from(plain.as_bytes()).is_err() => {
            Error::KeyPassphraseWrong
        }
        other => other,
    })
}

fn unsupported_curve(oid: ObjectIdentifier) -> Error {
    invalid(format!(
        "unsupported elliptic curve (OID {oid}); OpenSSH takes P-256, P-384 and P-521"
    ))
}

fn ecdsa_p256(key: p256::SecretKey) -> KeypairData {
    KeypairData::Ecdsa(EcdsaKeypair::NistP256 {
        public: key.public_key().into(),
        private: key.into(),
    })
}

fn ecdsa_p384(key: p384::SecretKey) -> KeypairData {
    KeypairData::Ecdsa(EcdsaKeypair::NistP384 {
        public: key.public_key().into(),
        private: key.into(),
    })
}

fn ecdsa_p521(key: p521::SecretKey) -> KeypairData {
    KeypairData::Ecdsa(EcdsaKeypair::NistP521 {
        public: key.public_key().into(),
        private: key.into(),
    })
}

/// The OpenSSH form of a two-prime RSA key. Built from the components rather
/// than with ssh-key's `TryFrom`, which refuses keys under 2048 bits that
/// `ssh-keygen -y` still reads.
fn rsa_keypair(key: &rsa::RsaPrivateKey) -> Result<PrivateKey, Error> {
    let [p, q] = key.primes() else {
        return Err(invalid(
            "a multi-prime RSA key; OpenSSH takes two-prime keys only",
        ));
    };
    let iqmp = key
        .crt_coefficient()
        .ok_or_else(|| invalid("the RSA key's CRT coefficient cannot be computed"))?;
    let mpint = |n: &rsa::BigUint| {
        let bytes = Zeroizing::new(n.to_bytes_be());
        Mpint::from_positive_bytes(&bytes).map_err(|e| invalid(format!("the RSA key: {e}")))
    };
    let data = KeypairData::Rsa(RsaKeypair {
        public: SshRsaPublic {
            e: mpint(key.e())?,
            n: mpint(key.n())?,
        },
        private: SshRsaPrivate {
            d: mpint(key.d())?,
            iqmp: mpint(&iqmp)?,
            p: mpint(p)?,
            q: mpint(q)?,
        },
    });
    keypair(data)
}

fn keypair(data: KeypairData) -> Result<PrivateKey, Error> {
    PrivateKey::new(data, "").map_err(|e| invalid(format!("cannot build the key: {e}")))
}
