//! Public-key encryption in the age format: recipients (`age1…` X25519,
//! `ssh-ed25519 …`, `ssh-rsa …`) to encrypt to, identities (age
//! `AGE-SECRET-KEY-1…` lines, OpenSSH private keys) to decrypt with, and the
//! two file formats that hold them, as the reference `age` tool reads them
//! (`-R FILE`, `-i FILE`). Specification: <https://c2sp.org/age>.
//!
//! Both files are untrusted input: size-limited, parsed without panics, and
//! an error names the line number. A recipients file's line is public, so an
//! error shows an escaped excerpt of it; an identity file's never appears.

use std::{
    fmt,
    io::{self, Cursor, Read, Write},
};

use age::{DecryptError, Decryptor, Encryptor};
use base64::Engine as _;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::Error;
use crate::stream::{AgeReader, AgeWriter};

/// The largest recipients file we read (age's own limit is 16 MiB; a
/// 16384-bit ssh-rsa line is under 3 KiB, so this holds hundreds).
pub const MAX_RECIPIENTS_FILE: usize = 1 << 20;
/// The most recipients one bundle is encrypted to.
pub const MAX_RECIPIENTS: usize = 256;
/// The largest identity file we read (a 16384-bit RSA private key in
/// OpenSSH's format is about 12 KiB).
pub const MAX_IDENTITY_FILE: usize = 256 << 10;
/// How much of an encrypted file's header we keep to name its stanzas when
/// no identity opens it; a longer header is still opened, only not named.
const HEADER_PEEK: usize = 64 << 10;
/// How many characters of an untrusted line an error shows.
const SHOWN_CHARS: usize = 64;

/// A public key a bundle can be encrypted to.
#[derive(Clone)]
pub struct Recipient(RecipientKind);

#[derive(Clone)]
enum RecipientKind {
    X25519(age::x25519::Recipient),
    Ssh(age::ssh::Recipient),
}

impl Recipient {
    /// Parses one recipient: `age1…`, `ssh-ed25519 BASE64 [comment]` or
    /// `ssh-rsa BASE64 [comment]` (at least 2048 bits).
    pub fn parse(text: &str) -> Result<Recipient, Error> {
        parse_recipient(text.trim()).map_err(|reason| Error::BadRecipient {
            line: None,
            excerpt: public_excerpt(text.trim()),
            reason,
        })
    }

    /// The recipient's kind as age names its stanza: `X25519`, `ssh-ed25519`
    /// or `ssh-rsa`.
    pub fn kind(&self) -> &'static str {
        match &self.0 {
            RecipientKind::X25519(_) => "X25519",
            RecipientKind::Ssh(age::ssh::Recipient::SshEd25519(..)) => "ssh-ed25519",
            RecipientKind::Ssh(age::ssh::Recipient::SshRsa(..)) => "ssh-rsa",
        }
    }

    /// A short public name: the `age1…` key itself, or for an SSH key its
    /// kind and the 4-byte tag age writes into the file (the first 8 hex
    /// digits of its SHA-256 fingerprint).
    pub fn fingerprint(&self) -> String {
        match &self.0 {
            RecipientKind::X25519(r) => r.to_string(),
            RecipientKind::Ssh(r) => format!("{} tag {}", self.kind(), ssh_tag_hex(&r.to_string())),
        }
    }

    fn as_age(&self) -> &dyn age::Recipient {
        match &self.0 {
            RecipientKind::X25519(r) => r,
            RecipientKind::Ssh(r) => r,
        }
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            RecipientKind::X25519(r) => write!(f, "{r}"),
            RecipientKind::Ssh(r) => write!(f, "{r}"),
        }
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({})", self.fingerprint())
    }
}

impl std::str::FromStr for Recipient {
    type Err = Error;

    fn from_str(s: &str) -> Result<Recipient, Error> {
        Recipient::parse(s)
    }
}

fn parse_recipient(text: &str) -> Result<Recipient, &'static str> {
    if text.starts_with("age1") {
        return text
            .parse::<age::x25519::Recipient>()
            .map(|r| Recipient(RecipientKind::X25519(r)))
            .map_err(|_| "not a valid age X25519 recipient (age1…)");
    }
    if text.starts_with("ssh-") {
        // age 0.11's SSH parser indexes past the end of an mpint of zero bytes only
        // (a panic on untrusted input, found by the recipients_file fuzz target):
        // ssh-key checks OpenSSH's encoding rules first.
        if ssh_key::PublicKey::from_openssh(text).is_err() {
            return Err("not a valid SSH public key line");
        }
        use age::ssh::ParseRecipientKeyError as E;
        return text
            .parse::<age::ssh::Recipient>()
            .map(|r| Recipient(RecipientKind::Ssh(r)))
            .map_err(|e| match e {
                E::RsaModulusTooSmall => "an ssh-rsa key shorter than 2048 bits is too weak",
                E::RsaModulusTooLarge => "an ssh-rsa key longer than 16384 bits is not supported",
                E::Unsupported(_) | E::Ignore => {
                    "only ssh-ed25519 and ssh-rsa SSH keys can be recipients"
                }
                E::Invalid(_) => "not a valid SSH public key line",
            });
    }
    if looks_private(text) || text.starts_with("-----BEGIN") {
        return Err("this is a private key (an identity), not a recipient: give its public half");
    }
    Err("not a recipient: expected age1…, ssh-ed25519 … or ssh-rsa …")
}

/// Parses a recipients file in age's format: one recipient a line, `#`
/// comments and blank lines ignored. At least one recipient, at most
/// [`MAX_RECIPIENTS`], the file at most [`MAX_RECIPIENTS_FILE`] bytes.
pub fn parse_recipients_file(bytes: &[u8]) -> Result<Vec<Recipient>, Error> {
    if bytes.len() > MAX_RECIPIENTS_FILE {
        return Err(Error::RecipientsFileTooLarge {
            limit: MAX_RECIPIENTS_FILE,
        });
    }
    let mut recipients = Vec::new();
    for (index, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let line_number = index + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Ok(text) = std::str::from_utf8(line) else {
            return Err(Error::BadRecipient {
                line: Some(line_number),
                excerpt: excerpt(&String::from_utf8_lossy(line)),
                reason: "not UTF-8 text",
            });
        };
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let recipient = parse_recipient(text).map_err(|reason| Error::BadRecipient {
            line: Some(line_number),
            excerpt: public_excerpt(text),
            reason,
        })?;
        if recipients.len() == MAX_RECIPIENTS {
            return Err(Error::TooManyRecipients {
                limit: MAX_RECIPIENTS,
            });
        }
        recipients.push(recipient);
    }
    if recipients.is_empty() {
        return Err(Error::NoRecipients);
    }
    Ok(recipients)
}

/// A private key that opens files encrypted to its recipient. Its key
/// material is zeroized on drop (age's types do so) and never printed.
#[derive(Clone)]
pub struct Identity(IdentityKind);

#[derive(Clone)]
enum IdentityKind {
    X25519(age::x25519::Identity),
    /// Always an unencrypted key: an encrypted one is decrypted on parsing.
    Ssh(age::ssh::Identity),
}

impl Identity {
    /// The identity's public name, as [`Recipient::fingerprint`] gives it.
    pub fn fingerprint(&self) -> String {
        match self.to_recipient() {
            Some(r) => r.fingerprint(),
            None => "SSH key".to_owned(),
        }
    }

    /// The recipient that this identity opens.
    pub fn to_recipient(&self) -> Option<Recipient> {
        match &self.0 {
            IdentityKind::X25519(i) => Some(Recipient(RecipientKind::X25519(i.to_public()))),
            IdentityKind::Ssh(i) => age::ssh::Recipient::try_from(i.clone())
                .ok()
                .map(|r| Recipient(RecipientKind::Ssh(r))),
        }
    }

    fn as_age(&self) -> &dyn age::Identity {
        match &self.0 {
            IdentityKind::X25519(i) => i,
            IdentityKind::Ssh(i) => i,
        }
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity({})", self.fingerprint())
    }
}

/// Parses an identity file: age's (`AGE-SECRET-KEY-1…` lines, `#` comments
/// and blank lines) or one OpenSSH private key (ed25519 or RSA; PEM RSA
/// too). An encrypted OpenSSH key asks `passphrase` for its passphrase
/// (`None`: none could be had). No error ever shows a line of the file.
pub fn parse_identity_file(
    bytes: &[u8],
    passphrase: &mut dyn FnMut() -> Option<SecretString>,
) -> Result<Vec<Identity>, Error> {
    if bytes.len() > MAX_IDENTITY_FILE {
        return Err(Error::IdentityFileTooLarge {
            limit: MAX_IDENTITY_FILE,
        });
    }
    let text = Zeroizing::new(
        std::str::from_utf8(bytes)
            .map_err(|_| Error::BadIdentity {
                line: None,
                reason: "not UTF-8 text",
            })?
            .to_owned(),
    );
    if text.trim_start().starts_with("-----BEGIN") {
        return parse_ssh_identity(text.trim_start(), passphrase).map(|i| vec![i]);
    }
    let mut identities = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let identity = line
            .parse::<age::x25519::Identity>()
            .map_err(|_| Error::BadIdentity {
                line: Some(index + 1),
                reason: if line.starts_with("AGE-SECRET-KEY-1") {
                    "a damaged age identity (AGE-SECRET-KEY-1…)"
                } else if line.starts_with("AGE-PLUGIN-") {
                    "age plugin identities are not supported"
                } else {
                    "not an age identity (AGE-SECRET-KEY-1…) or an OpenSSH private key"
                },
            })?;
        if identities.len() == MAX_RECIPIENTS {
            return Err(Error::BadIdentity {
                line: Some(index + 1),
                reason: "more identities than nascfg reads from one file (256)",
            });
        }
        identities.push(Identity(IdentityKind::X25519(identity)));
    }
    if identities.is_empty() {
        return Err(Error::BadIdentity {
            line: None,
            reason: "the file holds no identity",
        });
    }
    Ok(identities)
}

fn parse_ssh_identity(
    text: &str,
    passphrase: &mut dyn FnMut() -> Option<SecretString>,
) -> Result<Identity, Error> {
    let bad = |reason| Error::BadIdentity { line: None, reason };
    // age 0.11's OpenSSH parser panics on an mpint of zero bytes only: ssh-key
    // checks the key's encoding first (an encrypted key's public half and framing).
    if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----")
        && ssh_key::PrivateKey::from_openssh(text.trim()).is_err()
    {
        return Err(bad("a damaged or unsupported private key"));
    }
    let parsed = age::ssh::Identity::from_buffer(text.as_bytes(), None)
        .map_err(|_| bad("a damaged or unsupported private key"))?;
    let key = match parsed {
        age::ssh::Identity::Unencrypted(_) => parsed,
        age::ssh::Identity::Encrypted(encrypted) => {
            let pass = passphrase().ok_or(Error::IdentityPassphraseRequired)?;
            let key = encrypted
                .decrypt(pass)
                .map_err(|_| Error::WrongIdentityPassphrase)?;
            age::ssh::Identity::from(key)
        }
        age::ssh::Identity::Unsupported(unsupported) => {
            use age::ssh::UnsupportedKey as U;
            return Err(bad(match unsupported {
                U::EncryptedPem => {
                    "an encrypted PEM key: convert it with `ssh-keygen -p -f FILE` (OpenSSH's format)"
                }
                U::EncryptedSsh(_) => "an OpenSSH key encrypted with a cipher age does not support",
                U::Hardware(_) => "a hardware security key cannot be used here",
                U::Type(_) => "only ssh-ed25519 and ssh-rsa keys can be identities",
            }));
        }
    };
    Ok(Identity(IdentityKind::Ssh(key)))
}

/// A streaming writer that encrypts to recipients; call
/// [`AgeWriter::finish`] at the end or the output is truncated.
pub type RecipientsWriter<W> = AgeWriter<W>;

/// Starts an age file encrypted to `recipients` (at least one) on `out`.
pub fn encrypt_to_recipients<W: Write>(
    recipients: &[Recipient],
    out: W,
) -> Result<RecipientsWriter<W>, Error> {
    if recipients.is_empty() {
        return Err(Error::NoRecipients);
    }
    AgeWriter::start(
        Encryptor::with_recipients(recipients.iter().map(Recipient::as_age)),
        out,
    )
}

/// A streaming reader of an age file opened with an identity. Damage in the
/// payload shows as an `io::Error` (kind `InvalidData`) from `read`.
pub type IdentityReader<R> = AgeReader<R>;

/// True when `header` (the first 32 bytes or more of a file) is an age file
/// whose first stanza is a passphrase's (scrypt), which age requires to be
/// the only one.
pub fn is_encrypted_to_passphrase(header: &[u8]) -> bool {
    header.starts_with(b"age-encryption.org/v1\n-> scrypt ")
}

/// Opens an age file encrypted to recipients with any of `identities`.
///
/// [`Error::WrongIdentity`] when none opens it (also when `identities` is
/// empty), naming the file's stanzas; [`Error::NotRecipientEncrypted`] for
/// a passphrase-protected file.
pub fn decrypt_with_identities<R: Read>(
    identities: &[Identity],
    mut input: R,
) -> Result<IdentityReader<R>, Error> {
    let head = read_header(&mut input).map_err(Error::Stream)?;
    if is_encrypted_to_passphrase(&head) {
        return Err(Error::NotRecipientEncrypted);
    }
    let wrong = || Error::WrongIdentity {
        recipients: describe_stanzas(&head),
        given: identities.iter().map(Identity::fingerprint).collect(),
    };
    let decryptor = Decryptor::new(Cursor::new(head.clone()).chain(input)).map_err(map_decrypt)?;
    if decryptor.is_scrypt() {
        return Err(Error::NotRecipientEncrypted);
    }
    if identities.is_empty() {
        return Err(wrong());
    }
    let inner = decryptor
        .decrypt(identities.iter().map(Identity::as_age))
        .map_err(|e| match e {
            DecryptError::NoMatchingKeys => wrong(),
            other => map_decrypt(other),
        })?;
    Ok(AgeReader { inner })
}

/// The recipient stanzas named at the start of `input`, an age file
/// encrypted to recipients, as [`Error::WrongIdentity`] names them (`X25519`,
/// `ssh-ed25519 tag 1a2b3c4d`, ...): for asking for the identities that open
/// it before it is read. Reads the header only (up to its `---` line, at most
/// 64 KiB); an unreadable header names no stanza.
pub fn read_recipient_stanzas<R: Read>(mut input: R) -> io::Result<Vec<String>> {
    Ok(describe_stanzas(&read_header(&mut input)?))
}

/// Reads the header: up to and including the `---` line, or
/// [`HEADER_PEEK`] bytes. What it reads is handed on to age.
fn read_header<R: Read>(input: &mut R) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(1024);
    let mut byte = [0u8; 1];
    // Byte by byte, so nothing past the header's MAC line is consumed
    // (the caller's reader is buffered).
    while head.len() < HEADER_PEEK {
        match input.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => {
                head.push(byte[0]);
                if byte[0] == b'\n' {
                    let start = head[..head.len() - 1]
                        .iter()
                        .rposition(|b| *b == b'\n')
                        .map_or(0, |i| i + 1);
                    if head[start..].starts_with(b"--- ") {
                        break;
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(head)
}

/// Names the stanzas of an age header: `X25519` (age's format has no
/// recipient id for it), `ssh-ed25519 tag 1a2b3c4d`, `ssh-rsa tag …`;
/// other stanza types by their escaped name. Grease stanzas are left out.
fn describe_stanzas(head: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    for line in head.split(|b| *b == b'\n') {
        let Some(args) = line.strip_prefix(b"-> ") else {
            continue;
        };
        let mut args = args.split(|b| *b == b' ');
        let kind = args.next().unwrap_or_default();
        if kind.ends_with(b"-grease") {
            continue;
        }
        let name = match kind {
            b"X25519" => "X25519 (age's format names no key for it)".to_owned(),
            b"ssh-ed25519" | b"ssh-rsa" => {
                let tag = args
                    .next()
                    .and_then(|t| {
                        base64::engine::general_purpose::STANDARD_NO_PAD
                            .decode(t)
                            .ok()
                    })
                    .filter(|t| t.len() == 4)
                    .map_or_else(|| "(unreadable tag)".to_owned(), hex::encode);
                format!("{} tag {tag}", String::from_utf8_lossy(kind))
            }
            other => excerpt(&String::from_utf8_lossy(other)),
        };
        if names.len() == 32 {
            names.push("…".to_owned());
            break;
        }
        names.push(name);
    }
    names
}

/// The 4-byte tag age writes for an SSH key (the first bytes of SHA-256 of
/// its wire-format public key), in hex, from its `TYPE BASE64` line.
fn ssh_tag_hex(line: &str) -> String {
    line.split(' ')
        .nth(1)
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .map_or_else(
            || "(unknown)".to_owned(),
            |blob| hex::encode(&Sha256::digest(blob)[..4]),
        )
}

fn map_decrypt(err: DecryptError) -> Error {
    match err {
        DecryptError::DecryptionFailed => Error::DamagedPassphraseFile,
        DecryptError::Io(e) => Error::Stream(e),
        _ => Error::DamagedPassphraseFile,
    }
}

/// A line given as a recipient, for an error: [`excerpt`], unless it looks
/// like a private key given by mistake, which is never shown.
fn public_excerpt(text: &str) -> String {
    if looks_private(text) {
        "(a private key: not shown)".to_owned()
    } else {
        excerpt(text)
    }
}

fn looks_private(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    upper.starts_with("AGE-SECRET-KEY-")
        || upper.starts_with("AGE-PLUGIN-")
        || upper.contains("PRIVATE KEY")
}

/// An untrusted line for an error: control characters escaped, cut after
/// [`SHOWN_CHARS`] characters. (nascfg-credentials' `Untrusted` does the
/// same, but this crate depends on none of ours.)
fn excerpt(text: &str) -> String {
    let mut out = String::new();
    for (shown, c) in text.chars().enumerate() {
        if shown == SHOWN_CHARS {
            let rest = text.len() - text.char_indices().nth(SHOWN_CHARS).map_or(0, |(i, _)| i);
            out.push_str(&format!("... ({rest} more bytes)"));
            return out;
        }
        if c == '\\' {
            out.push_str("\\\\");
        } else if c.is_control() || c == '\u{fffd}' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_file_names_the_bad_line_escaped_and_cut() {
        let check = |file: &str, expected: &str| {
            let err = parse_recipients_file(file.as_bytes()).unwrap_err();
            assert_eq!(err.to_string(), expected);
        };
        check(
            "# admins\n\nage1nope\n",
            "recipient on line 3 \"age1nope\": not a valid age X25519 recipient (age1…)",
        );
        check(
            &format!("x\u{1b}[2J{}\n", "y".repeat(100)),
            &format!(
                "recipient on line 1 \"x\\u{{1b}}[2J{}... (41 more bytes)\": not a recipient: expected age1…, ssh-ed25519 … or ssh-rsa …",
                "y".repeat(59)
            ),
        );
        check(
            "# only a comment\n",
            "the recipients file names no recipient",
        );
    }

    #[test]
    fn round_trip_through_an_x25519_identity() {
        use secrecy::ExposeSecret;
        let key = age::x25519::Identity::generate().to_string();
        let identities = parse_identity_file(
            format!("# created: now\n\n{}\r\n", key.expose_secret()).as_bytes(),
            &mut || None,
        )
        .unwrap();
        let recipient = identities[0].to_recipient().unwrap();
        let recipients = parse_recipients_file(format!("# key\n{recipient}\n").as_bytes()).unwrap();
        let mut out = encrypt_to_recipients(&recipients, Vec::new()).unwrap();
        out.write_all(b"hello").unwrap();
        let file = out.finish().unwrap();
        let mut reader = decrypt_with_identities(&identities, &file[..]).unwrap();
        let mut plain = Vec::new();
        reader.read_to_end(&mut plain).unwrap();
        assert_eq!(plain, b"hello");

        let other = Identity(IdentityKind::X25519(age::x25519::Identity::generate()));
        let err = decrypt_with_identities(&[other], &file[..]).unwrap_err();
        assert!(
            err.to_string()
                .contains("X25519 (age's format names no key for it)"),
            "{err}"
        );
    }

    #[test]
    fn identity_errors_never_show_the_line() {
        let err = parse_identity_file(b"AGE-SECRET-KEY-1SECRETSECRET\n", &mut || None).unwrap_err();
        assert!(!err.to_string().contains("SECRETSECRET"), "{err}");
        assert_eq!(
            err.to_string(),
            "identity file, line 1: a damaged age identity (AGE-SECRET-KEY-1…)"
        );
    }

    #[test]
    fn names_ssh_stanzas_by_tag() {
        let head = b"age-encryption.org/v1\n-> ssh-ed25519 Abcd3w abc\nxyz\n-> X25519 abc\nxyz\n-> a-grease\n--- mac\n";
        assert_eq!(
            describe_stanzas(head),
            [
                "ssh-ed25519 tag 01b71ddf",
                "X25519 (age's format names no key for it)"
            ]
        );
        // Read from a file, the header ends at its `---` line: the payload
        // after it names nothing, whatever its bytes.
        let file = [&head[..], b"\n-> X25519 payload\n"].concat();
        assert_eq!(
            read_recipient_stanzas(&file[..]).unwrap(),
            describe_stanzas(head)
        );
    }
}
