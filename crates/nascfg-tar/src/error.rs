//! The crate's one error type.

use nascfg_credentials::Untrusted;

/// Everything the safe reader refuses in an archive, and why.
///
/// No variant ever carries a member's contents. Every variant has its
/// guidance in [`Error::hint`], so a new variant does not compile until it
/// has one; a caller that knows what the archive should have been (a
/// bundle, a TrueNAS backup) words its own.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input's first block is not a tar header (no ustar magic, bad
    /// checksum): some other file, not a damaged archive.
    #[error("the file is not a tar archive")]
    NotTar,
    /// A tar extension header the reader does not read: a GNU long name or
    /// long link, a PAX global header, a PAX extended header over its cap
    /// (8 KiB) or one that changes a member's size. Refused from its header,
    /// before its body is read.
    #[error(
        "the archive has a {kind} of {size} bytes, which nascfg does not read \
         (it reads plain ustar archives, with PAX headers of at most 8 KiB)"
    )]
    ExtensionHeader {
        /// Which extension header.
        kind: &'static str,
        /// The size its header declares.
        size: u64,
    },
    /// The archive ends before its end-of-archive marker, or in the middle of
    /// a member or of the gzip stream.
    #[error("the archive is truncated")]
    Truncated,
    /// Bytes follow the end of the archive or of the gzip stream.
    #[error("the archive has unexpected data after its end")]
    TrailingData,
    /// The gzip or tar structure is damaged.
    #[error("the archive is damaged: {reason}")]
    Corrupt {
        /// What is wrong, in words.
        reason: String,
    },
    /// A member's name is absolute, contains `..`, or is not UTF-8.
    #[error("the archive has a member with an unsafe name: \"{name}\"")]
    UnsafePath {
        /// An escaped excerpt of the name (see `Untrusted`).
        name: String,
    },
    /// A member is a link, device, directory or anything but a regular file.
    #[error("the archive member {:?} is a {kind}, not a regular file", Untrusted::new(.name))]
    NotRegularFile {
        /// The member's name.
        name: String,
        /// What it is instead.
        kind: String,
    },
    /// Two members have the same name.
    #[error("the archive has the member {:?} twice", Untrusted::new(.name))]
    DuplicateMember {
        /// The member's name.
        name: String,
    },
    /// The archive has more members than allowed.
    #[error("the archive has more than {max} members")]
    TooManyMembers {
        /// The limit.
        max: usize,
    },
    /// A member is larger than allowed.
    #[error(
        "the archive member {:?} is {size} bytes, more than the limit of {max}",
        Untrusted::new(.name)
    )]
    MemberTooLarge {
        /// The member's name.
        name: String,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The archive expands to more bytes than allowed.
    #[error("the archive expands to more than {max} bytes")]
    TooLarge {
        /// The limit.
        max: u64,
    },
    /// The archive expands far more than real data does: a decompression bomb.
    #[error(
        "the archive expands more than {max_ratio} times its compressed size (a decompression bomb?)"
    )]
    CompressionRatio {
        /// The limit.
        max_ratio: u64,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of refusal an [`Error`] is: for a caller that words its own
/// message or hint (a bundle, a TrueNAS backup) without listing every variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The input is no tar at all: some other file.
    NotAnArchive,
    /// A tar, or a gzip stream, damaged or cut short.
    Damaged,
    /// A readable tar that breaks the reader's rules (a link, an unsafe or
    /// repeated name, an extension header, a size or expansion over the limits).
    Refused,
}

impl Error {
    /// Which kind of refusal this is.
    pub fn class(&self) -> Class {
        match self {
            Error::NotTar => Class::NotAnArchive,
            Error::Truncated | Error::TrailingData | Error::Corrupt { .. } => Class::Damaged,
            // What a member may be.
            Error::UnsafePath { .. } | Error::NotRegularFile { .. } => Class::Refused,
            Error::DuplicateMember { .. } | Error::ExtensionHeader { .. } => Class::Refused,
            // The limits.
            Error::TooManyMembers { .. } | Error::MemberTooLarge { .. } => Class::Refused,
            Error::TooLarge { .. } | Error::CompressionRatio { .. } => Class::Refused,
        }
    }

    /// What the user can do next, for a `hint:` line.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self.class() {
            Class::NotAnArchive => "give a tar archive (plain, or gzip-compressed)",
            Class::Damaged => "the archive is damaged or cut short: use another copy",
            Class::Refused => {
                "the archive is not one the program that should have made it writes \
                 (plain regular files, each once, within the size limits): do not trust it, use another copy"
            }
        })
    }

    /// What a failed read of the stream or of a member means: an early end
    /// is [`Error::Truncated`], anything else [`Error::Corrupt`]. For a
    /// visitor's reads of a [`crate::MemberReader`].
    pub fn reading(e: std::io::Error) -> Error {
        match e.kind() {
            std::io::ErrorKind::UnexpectedEof => Error::Truncated,
            _ => Error::Corrupt {
                reason: e.to_string(),
            },
        }
    }
}
