//! The secret seed and everything derived from it: keys, fingerprints, sealed
//! values and passphrase protection.
//!
//! - [`Seed`]: the box's 32 random bytes, kept in a 0600 file.
//! - [`Fingerprint`]: a short public name of a seed (`nfp1:3f2a-91c0-77de-0b54`).
//! - [`SealingKey`], [`seal`], [`open`], [`SealedValue`]: AES-256-GCM under a key
//!   derived with HKDF-SHA256, bound to a context; a value sealed under
//!   another seed is told apart ([`Error::WrongKey`]) from a damaged one
//!   ([`Error::Damaged`]) before anything is decrypted.
//! - [`encrypt_with_passphrase`], [`decrypt_with_passphrase`]: the age format
//!   with a passphrase (scrypt) recipient, readable by the reference `age` tool.
//! - [`Recipient`], [`Identity`], [`encrypt_to_recipients`],
//!   [`decrypt_with_identities`]: the age format to public keys (X25519,
//!   ssh-ed25519, ssh-rsa), with age's recipients and identity files.
//! - [`write_secret_file`]: atomic 0600 writes; [`create_secret_file`] for `-o FILE` outputs;
//!   [`read_secret_file`] reads one back, bounded and wiped.
//! - [`split`], [`combine`], [`Share`]: SLIP-39 shares of a secret (K of N),
//!   in words, readable by the reference implementation and hardware wallets.
//!
//! The formats are specified in docs/FORMAT.md.
//!
//! ```
//! use nascfg_crypto::{Error, SealedValue, SealingKey, Seed, open, seal};
//!
//! let seed = Seed::generate();
//! let key = SealingKey::derive(&seed);
//! let sealed = seal(&key, b"hunter2", b"credential 7/secret_access_key");
//! let text = sealed.to_text(); // "nsv1.<key id>.<base64url>", for a database column
//!
//! let parsed = SealedValue::parse(&text)?;
//! assert_eq!(&open(&key, &parsed, b"credential 7/secret_access_key")?[..], b"hunter2");
//!
//! // Moved to another attribute: does not open.
//! assert!(matches!(open(&key, &parsed, b"credential 7/password"), Err(Error::Damaged)));
//! // Another seed: recognised by the key identifier, nothing decrypted.
//! let other = SealingKey::derive(&Seed::generate());
//! assert!(matches!(open(&other, &parsed, b"credential 7/secret_access_key"), Err(Error::WrongKey { .. })));
//! # Ok::<(), Error>(())
//! ```
//!
//! Architecture invariant: this crate knows nothing of credentials, databases or tar.
#![deny(missing_docs)]

mod content_mac;
mod error;
mod fingerprint;
mod kdf;
mod passphrase;
mod recipients;
mod sealed;
mod secret_file;
mod seed;
mod shares;
mod stream;

pub use crate::{
    content_mac::ContentMacKey,
    error::Error,
    fingerprint::Fingerprint,
    passphrase::{
        MAX_OPEN_LOG_N, PassphraseReader, PassphraseWriter, WorkFactor, decrypt_with_passphrase,
        encrypt_with_passphrase, is_passphrase_protected,
    },
    recipients::{
        Identity, IdentityReader, MAX_IDENTITY_FILE, MAX_RECIPIENTS, MAX_RECIPIENTS_FILE,
        Recipient, RecipientsWriter, decrypt_with_identities, encrypt_to_recipients,
        is_encrypted_to_passphrase, parse_identity_file, parse_recipients_file,
        read_recipient_stanzas,
    },
    sealed::{KeyId, SealedValue, SealingKey, open, seal, seal_with_nonce},
    secret_file::{IfExists, create_secret_file, read_secret_file, replaceable, write_secret_file},
    seed::Seed,
    shares::{
        DEFAULT_ITERATION_EXPONENT, MAX_ITERATION_EXPONENT, MAX_SECRET_BYTES, MAX_SHARE_COUNT,
        Share, SharesError, combine, split,
    },
    stream::{AgeReader, AgeWriter},
};
pub use secrecy;
pub use zeroize;
