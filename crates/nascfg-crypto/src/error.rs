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
    /// A recipient (on the command line, or a line of a recipients file) is
    /// not one we can encrypt to.
    #[error("recipient{} \"{excerpt}\": {reason}", line.map(|l| format!(" on line {l}")).unwrap_or_default())]
    BadRecipient {
        /// The line of the recipients file, when it came from one.
        line: Option<usize>,
        /// The recipient, escaped and cut to 64 characters (it is public).
        excerpt: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A recipients file larger than we read.
    #[error("the recipients file is larger than {} KiB", limit / 1024)]
    RecipientsFileTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// More recipients than we encrypt to.
    #[error("more than {limit} recipients")]
    TooManyRecipients {
        /// The limit.
        limit: usize,
    },
    /// A recipients file (or list) with no recipient in it.
    #[error("the recipients file names no recipient")]
    NoRecipients,
    /// An identity file we cannot read; its content is never shown.
    #[error("identity file{}: {reason}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    BadIdentity {
        /// The line, when the problem is on one.
        line: Option<usize>,
        /// What is wrong.
        reason: &'static str,
    },
    /// An identity file larger than we read.
    #[error("the identity file is larger than {} KiB", limit / 1024)]
    IdentityFileTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// An encrypted OpenSSH key and no passphrase for it.
    #[error("the identity is an encrypted OpenSSH key and no passphrase for it was given")]
    IdentityPassphraseRequired,
    /// The passphrase does not open the encrypted OpenSSH key.
    #[error("the passphrase does not open the encrypted OpenSSH key")]
    WrongIdentityPassphrase,
    /// None of the identities opens the file.
    #[error(
        "{} this file; it is encrypted to: {}",
        if given.is_empty() { "no identity was given to open".to_owned() } else { format!("none of the identities given ({}) opens", given.join(", ")) },
        if recipients.is_empty() { "(no recipient stanza could be read)".to_owned() } else { recipients.join(", ") }
    )]
    WrongIdentity {
        /// The file's recipient stanzas by type (and tag, for SSH keys).
        recipients: Vec<String>,
        /// The public names of the identities tried.
        given: Vec<String>,
    },
    /// A passphrase-protected file was given to the identities' reader.
    #[error("the file is passphrase-protected, not encrypted to recipients")]
    NotRecipientEncrypted,
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
            Error::BadRecipient { .. } | Error::NoRecipients => {
                "a recipient is an age key (age1…, from `age-keygen -y`) or an SSH public key line \
                 (ssh-ed25519 … or ssh-rsa …, from a .pub file)"
            }
            Error::RecipientsFileTooLarge { .. } | Error::TooManyRecipients { .. } => {
                "give the few public keys of the people who may open the bundle"
            }
            Error::BadIdentity { .. } | Error::IdentityFileTooLarge { .. } => {
                "an identity is an age key file (from `age-keygen`) or an OpenSSH private key \
                 (ed25519 or RSA, e.g. ~/.ssh/id_ed25519)"
            }
            Error::IdentityPassphraseRequired => {
                "run on a terminal to be asked for the key's passphrase"
            }
            Error::WrongIdentityPassphrase => "check the key's passphrase",
            Error::WrongIdentity { .. } => {
                "give the private key of one of the recipients with --identity FILE (an SSH key's tag is \
                 the first 8 hex digits of its SHA256 fingerprint: `ssh-keygen -lf KEY`)"
            }
            Error::NotRecipientEncrypted => "give its passphrase instead of an identity",
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
