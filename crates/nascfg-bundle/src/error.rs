//! The crate's one error type.

use std::path::PathBuf;

use nascfg_credentials::Untrusted;

/// Everything that can go wrong reading, writing or restoring a bundle.
///
/// No variant ever carries secret bytes. Every variant has its guidance in
/// [`Error::hint`], so a new variant does not compile until it has one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The output file exists and the export was not asked to replace it.
    #[error("{} already exists; nothing was written", path.display())]
    OutputExists {
        /// The existing file, left untouched.
        path: PathBuf,
    },
    /// The input is not gzip-compressed (a bundle always is).
    #[error("not a nascfg bundle: the file is not gzip-compressed")]
    NotGzip,
    /// The input's first block is not a tar header (no ustar magic, bad
    /// checksum): some other file, not a damaged archive.
    #[error("not a nascfg bundle: the file is not a tar archive")]
    NotTar,
    /// The safe reader (nascfg-tar) refused the archive: damaged, cut
    /// short, or breaking its rules (a link, an unsafe name, a duplicate or
    /// oversized member, a decompression bomb). Its "not a tar" becomes
    /// [`Error::NotTar`] (see `From`).
    #[error(transparent)]
    Archive(nascfg_tar::Error),
    /// `manifest.json` is malformed.
    #[error("the bundle's manifest is malformed: {reason}")]
    Manifest {
        /// What is wrong.
        reason: String,
    },
    /// The manifest names another format.
    #[error("not a nascfg bundle: its manifest says format {:?}", Untrusted::new(.found))]
    UnknownFormat {
        /// The format name found.
        found: String,
    },
    /// The bundle is of a format version this program cannot read.
    #[error("the bundle is format version {found}; this nascfg reads version {supported}")]
    UnsupportedVersion {
        /// The version found.
        found: u64,
        /// The version supported.
        supported: u32,
    },
    /// The seed in a bundle is not 32 bytes.
    #[error("a secret seed must be exactly 32 bytes, this one is {len}")]
    SeedLength {
        /// Its length.
        len: u64,
    },
    /// `manifest.json` is not the first member.
    #[error("not a nascfg bundle: manifest.json is not its first member")]
    ManifestNotFirst,
    /// The bundle has no members at all, or no manifest.
    #[error("not a nascfg bundle: it has no manifest.json")]
    ManifestMissing,
    /// A member the manifest does not list (or not in that order).
    #[error("the bundle has an unexpected member {:?}", Untrusted::new(.name))]
    UnknownMember {
        /// The member's name.
        name: String,
    },
    /// A member the manifest lists is absent.
    #[error("the bundle lacks the member {:?} its manifest lists", Untrusted::new(.name))]
    MissingMember {
        /// The member's name.
        name: String,
    },
    /// A member's size disagrees with the manifest.
    #[error(
        "the bundle member {:?} is {found} bytes, its manifest says {expected}",
        Untrusted::new(.name)
    )]
    SizeMismatch {
        /// The member's name.
        name: String,
        /// The manifest's size.
        expected: u64,
        /// The actual size.
        found: u64,
    },
    /// A member's SHA-256 disagrees with the manifest.
    #[error(
        "the bundle member {:?} does not match its manifest's SHA-256 (damaged or altered)",
        Untrusted::new(.name)
    )]
    HashMismatch {
        /// The member's name.
        name: String,
    },
    /// The bundle is passphrase-protected and no passphrase was given.
    #[error("the bundle is passphrase-protected; a passphrase is needed to read it")]
    PassphraseRequired,
    /// The passphrase does not open the bundle.
    #[error("the passphrase does not open this bundle")]
    WrongPassphrase,
    /// An export asked for a passphrase and recipients at once; age allows
    /// a passphrase only as a file's sole recipient. Nothing was written.
    #[error("a bundle is encrypted to a passphrase or to recipients, not both")]
    PassphraseAndRecipients,
    /// Restoring would lose secrets: the bundle has no seed and no matching
    /// seed was given. Nothing was changed.
    #[error(
        "refused: restoring this bundle would lose the secrets of {credentials} credential(s) and {keypairs} key pair(s): \
         it does not carry its secret seed ({fingerprint}) and this box's seed does not match"
    )]
    SecretsWouldBeLost {
        /// Credentials whose secrets would be dropped.
        credentials: usize,
        /// Key pairs whose private keys would be dropped.
        keypairs: usize,
        /// The fingerprint of the seed the bundle's secrets are sealed under.
        fingerprint: String,
    },
    /// The seed file given is not the seed the bundle's secrets are sealed under.
    #[error("the seed file's fingerprint {given} is not the bundle's ({bundle})")]
    SeedFileMismatch {
        /// The bundle's fingerprint.
        bundle: String,
        /// The seed file's fingerprint.
        given: String,
    },
    /// The manifest's signature member cannot be read as an armored SSHSIG
    /// signature (`-----BEGIN SSH SIGNATURE-----`).
    #[error("the bundle's manifest signature cannot be read: {reason}")]
    SignatureMalformed {
        /// What is wrong, in words.
        reason: String,
    },
    /// The manifest's signature does not verify: the manifest (or the
    /// signature) changed after signing. Nothing was changed.
    #[error(
        "refused: the bundle's manifest signature by {fingerprint} does not verify:          the bundle was altered after it was signed, or damaged"
    )]
    SignatureFailed {
        /// The fingerprint of the key the signature names (`SHA256:…`).
        fingerprint: String,
    },
    /// The manifest is signed, but for another SSHSIG namespace than
    /// `nascfg-bundle@v1`: a signature made for something else.
    #[error(
        "refused: the bundle's manifest is signed for the namespace {:?}, not {}",
        Untrusted::new(.found),
        crate::signature::SIGNATURE_NAMESPACE
    )]
    SignatureNamespace {
        /// The namespace the signature names.
        found: String,
    },
    /// `--allowed-signers` was given and the bundle carries no signature.
    /// Nothing was changed.
    #[error(
        "refused: the bundle is not signed, and {} accepts only the signers it lists",
        allowed_signers.display()
    )]
    Unsigned {
        /// The allowed-signers file.
        allowed_signers: PathBuf,
    },
    /// `--allowed-signers` was given and does not list the signature's key
    /// for the namespace `nascfg-bundle@v1` at this time. Nothing was changed.
    #[error(
        "refused: the bundle is signed by {fingerprint}, which {} does not list for the namespace {} (or not at this time)",
        allowed_signers.display(),
        crate::signature::SIGNATURE_NAMESPACE
    )]
    SignerNotAllowed {
        /// The signing key's fingerprint (`SHA256:…`).
        fingerprint: String,
        /// The allowed-signers file.
        allowed_signers: PathBuf,
    },
    /// A line of an allowed-signers file cannot be read.
    #[error("{}:{line}: {reason}", path.display())]
    AllowedSigners {
        /// The file.
        path: PathBuf,
        /// The line, from 1 (0: the file as a whole).
        line: usize,
        /// What is wrong, in words (no key material but the line's own).
        reason: String,
    },
    /// A cryptographic operation (passphrase, seed) failed. Only the
    /// passphrase layer of a bundle (reading or writing it) gives these.
    #[error(transparent)]
    Crypto(#[from] nascfg_crypto::Error),
    /// The store refused or failed (a staged database that is not SQLite,
    /// fails its integrity check or is of a newer schema; the swap).
    #[error(transparent)]
    Store(#[from] nascfg_store::Error),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What to do about a bundle that fails any integrity check.
const USE_AN_INTACT_BUNDLE: &str = "the file is not an intact nascfg bundle (damaged, truncated or altered); \
     use another copy. Nothing was changed";

/// What to do about a file that never was a bundle: no talk of other copies.
const NOT_A_BUNDLE: &str = "give a bundle made by `nascfg backup export` or `backup push` \
     (a .tar.gz, or .tar.gz.age with a passphrase). Nothing was changed";

impl Error {
    /// What the user can do next, for a `hint:` line. A store error gives
    /// the store's guidance.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            Error::PassphraseRequired => {
                "give it with --passphrase-file FILE or --passphrase-env VAR (or run on a terminal to be asked)"
            }
            Error::WrongPassphrase => "check the passphrase; nothing was changed",
            Error::PassphraseAndRecipients => {
                "drop --passphrase-file/--passphrase-env, or drop --recipient/--recipients-file; \
                 nothing was written"
            }
            Error::SecretsWouldBeLost { .. } => {
                "give the seed the bundle was made with (`--seed-file FILE`, from `nascfg seed export` on the old box), \
                 or pass --allow-lost-secrets to restore without them and re-enter them; nothing was changed"
            }
            Error::SeedFileMismatch { .. } => {
                "give the seed of the box that made the bundle (`nascfg seed fingerprint` there); nothing was changed"
            }
            Error::SignatureMalformed { .. }
            | Error::SignatureFailed { .. }
            | Error::SignatureNamespace { .. } => {
                "do not trust this file: use another copy of the bundle, or export a new one on the box. Nothing was changed"
            }
            Error::Unsigned { .. } => {
                "bundles from before nascfg signed them carry no signature: export a new one on the box, \
                 or leave out --allowed-signers if you trust where this file came from. Nothing was changed"
            }
            Error::SignerNotAllowed { .. } => {
                "if you trust that box, add its `nascfg signer show --allowed-signers` line to the file. Nothing was changed"
            }
            Error::AllowedSigners { .. } => {
                "each line is `PRINCIPALS [OPTIONS] KEYTYPE BASE64 [COMMENT]`, OpenSSH's allowed_signers format \
                 (man ssh-keygen, ALLOWED SIGNERS); `nascfg signer show --allowed-signers` prints one"
            }
            Error::Io { .. } => "check the path and permissions",
            Error::OutputExists { .. } => {
                "choose another name with -o, or add --force to replace the file"
            }
            Error::NotGzip
            | Error::NotTar
            | Error::ManifestNotFirst
            | Error::ManifestMissing
            | Error::UnknownFormat { .. } => NOT_A_BUNDLE,
            Error::Archive(inner) => match inner.class() {
                nascfg_tar::Class::NotAnArchive => NOT_A_BUNDLE,
                nascfg_tar::Class::Damaged | nascfg_tar::Class::Refused => USE_AN_INTACT_BUNDLE,
            },
            Error::Manifest { .. }
            | Error::UnsupportedVersion { .. }
            | Error::SeedLength { .. }
            | Error::UnknownMember { .. }
            | Error::MissingMember { .. }
            | Error::SizeMismatch { .. }
            | Error::HashMismatch { .. } => USE_AN_INTACT_BUNDLE,
            // The passphrase layer: a read or write failure is about the
            // file; anything else means the file is not what it should be.
            Error::Crypto(inner) => match inner {
                nascfg_crypto::Error::Io { .. } | nascfg_crypto::Error::Stream(_) => {
                    "check the path and permissions"
                }
                nascfg_crypto::Error::WrongPassphrase => {
                    "check the passphrase; nothing was changed"
                }
                nascfg_crypto::Error::WrongIdentity { .. } => {
                    "give the private key of one of the bundle's recipients with --identity FILE \
                     (an SSH key's tag is the first 8 hex digits of its SHA256 fingerprint, \
                     `ssh-keygen -lf KEY`); nothing was changed"
                }
                nascfg_crypto::Error::NotRecipientEncrypted => {
                    "the bundle is passphrase-protected: give its passphrase; nothing was changed"
                }
                nascfg_crypto::Error::BadRecipient { .. }
                | nascfg_crypto::Error::RecipientsFileTooLarge { .. }
                | nascfg_crypto::Error::TooManyRecipients { .. }
                | nascfg_crypto::Error::NoRecipients
                | nascfg_crypto::Error::BadIdentity { .. }
                | nascfg_crypto::Error::IdentityFileTooLarge { .. }
                | nascfg_crypto::Error::IdentityPassphraseRequired
                | nascfg_crypto::Error::WrongIdentityPassphrase => {
                    return inner.hint().map(str::to_owned);
                }
                nascfg_crypto::Error::SeedLength { .. }
                | nascfg_crypto::Error::Malformed(_)
                | nascfg_crypto::Error::UnsupportedVersion(_)
                | nascfg_crypto::Error::WrongKey { .. }
                | nascfg_crypto::Error::Damaged
                | nascfg_crypto::Error::NotPassphraseProtected
                | nascfg_crypto::Error::ExcessiveWork { .. }
                | nascfg_crypto::Error::DamagedPassphraseFile => USE_AN_INTACT_BUNDLE,
            },
            Error::Store(inner) => return inner.hint(),
        };
        Some(hint.to_owned())
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// The reader's errors, "not a tar" in the bundle's words ("not a nascfg
/// bundle: ...").
impl From<nascfg_tar::Error> for Error {
    fn from(inner: nascfg_tar::Error) -> Self {
        match inner {
            nascfg_tar::Error::NotTar => Error::NotTar,
            other => Error::Archive(other),
        }
    }
}
