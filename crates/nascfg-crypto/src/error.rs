//! The crate's one error type.

use std::{io, path::PathBuf};

use crate::KeyId;

/// Everything that can go wrong in this crate.
///
/// No variant ever carries secret bytes: seeds, keys, plaintexts and
/// passphrases stay out of errors, and so does the untrusted input that failed
/// to parse (only its length or what was wrong with it is named). Every
/// variant has its guidance in [`Error::hint`], so a new variant does not
/// compile until it has one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A secret seed was not exactly 32 bytes long.
    #[error("the secret seed must be exactly 32 bytes, but this one has {len} bytes")]
    SeedLength {
        /// The length that was found.
        len: u64,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// Reading or writing a passphrase-protected stream failed.
    #[error("passphrase-protected stream: {0}")]
    Stream(#[source] io::Error),
    /// A sealed value, fingerprint or key identifier is not in the expected
    /// text form; the reason says what is wrong.
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// A sealed value in a format version this build does not know.
    #[error(
        "sealed value in format version {0}, but this nascfg reads only version 1; a newer nascfg wrote it"
    )]
    UnsupportedVersion(u8),
    /// The sealed value was sealed under another seed: checked by key
    /// identifier before anything is decrypted.
    #[error(
        "sealed under another seed (the value's key is {found}, this seed's key is {expected})"
    )]
    WrongKey {
        /// The identifier of the key we hold.
        expected: KeyId,
        /// The identifier written in the sealed value.
        found: KeyId,
    },
    /// The key is right, but authentication failed: the sealed value was
    /// altered, truncated, or moved to another credential or attribute.
    #[error(
        "cannot open the sealed value: it is damaged or belongs to another credential or attribute"
    )]
    Damaged,
    /// The passphrase does not open the passphrase-protected file.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The input is not passphrase-protected (not an age file with a
    /// passphrase recipient).
    #[error("not passphrase-protected (not an age-encrypted file with a passphrase)")]
    NotPassphraseProtected,
    /// The passphrase-protected file asks for more scrypt work than we accept:
    /// above [`crate::MAX_OPEN_LOG_N`] (memory), or above age's limit for this
    /// machine (time). Refused before any derivation.
    #[error(
        "the passphrase-protected file asks for {} of memory to open (scrypt work factor 2^{required}); \
         nascfg opens at most 2^{} ({}), and only what this machine derives in about 16 seconds",
        scrypt_memory(*.required),
        crate::MAX_OPEN_LOG_N,
        scrypt_memory(crate::MAX_OPEN_LOG_N)
    )]
    ExcessiveWork {
        /// The file's work factor (log2 of scrypt's N).
        required: u8,
    },
    /// The passphrase-protected file's header is damaged or not understood.
    #[error("the passphrase-protected file is damaged or in an unknown age version")]
    DamagedPassphraseFile,
}

impl Error {
    /// What the user can do next, for a `hint:` line. A crate that wraps
    /// these errors may give more specific guidance where it knows what the
    /// input was (nascfg-bundle does, for a bundle's passphrase layer).
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Error::SeedLength { .. } => {
                "a secret seed file holds exactly 32 raw bytes (the box's secret-seed)"
            }
            Error::Io { .. } | Error::Stream(_) => {
                "check the path, its permissions and the free space"
            }
            Error::Malformed(_) | Error::Damaged => {
                "the value is damaged or was altered; use an intact copy (a backup)"
            }
            Error::UnsupportedVersion(_) => "use the newer nascfg that wrote it",
            Error::WrongKey { .. } => {
                "put back the seed this value was sealed under (a kept secret-seed.old-* file or a \
                 `nascfg seed export`); `nascfg seed fingerprint` shows this box's"
            }
            Error::WrongPassphrase => "check the passphrase",
            Error::NotPassphraseProtected => "give a passphrase-protected (age) file",
            Error::ExcessiveWork { .. } => {
                "nascfg and age write work factors near 2^18 (256 MiB); this file was altered or made \
                 by a tool set far higher: use another copy"
            }
            Error::DamagedPassphraseFile => "the file is damaged or was altered; use another copy",
        })
    }
}

/// The memory scrypt (r = 8) needs for work factor 2^`log_n`: 128 × r × N
/// bytes, that is 2^`log_n` KiB, in words.
fn scrypt_memory(log_n: u8) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if log_n >= 60 {
        return "more than 1023 EiB".into();
    }
    let unit = usize::from(log_n / 10);
    let shift = u32::from(log_n) - 10 * unit as u32;
    format!("{} {}", 1u64 << shift, UNITS[unit])
}
