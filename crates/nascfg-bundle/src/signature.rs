//! Signed bundles: the SSHSIG signature of the manifest
//! (`manifest.json.sig`, namespace `nascfg-bundle@v1`), who signed, and
//! OpenSSH's allowed_signers file that decides whom to accept.
//!
//! Signing and verifying go through the `ssh-key` crate's SSHSIG support;
//! only the allowed_signers format (a text file of OpenSSH's, which the
//! crate does not read) is parsed here, after `ssh-keygen`'s `sshsig.c`.

use std::path::{Path, PathBuf};

use nascfg_store::ssh_key::{HashAlg, PublicKey, SshSig};
use time::OffsetDateTime;

use crate::error::{Error, Result};

/// The signature's member name: right after `manifest.json`, before the
/// members the manifest lists.
pub const SIGNATURE_NAME: &str = "manifest.json.sig";
/// The SSHSIG namespace of a bundle's manifest signature (`ssh-keygen -Y
/// sign -n nascfg-bundle@v1`).
pub const SIGNATURE_NAMESPACE: &str = "nascfg-bundle@v1";
/// The largest signature member we read (an Ed25519 one is about 300
/// bytes, an RSA-16384 one under 6 KiB).
pub(crate) const MAX_SIGNATURE_SIZE: u64 = 16 << 10;
/// The largest allowed-signers file we read.
pub const MAX_ALLOWED_SIGNERS_SIZE: usize = 1 << 20;
/// The longest line of an allowed-signers file (OpenSSH's own limit is
/// about 8 KiB per key line; an RSA-16384 key is under 3 KiB of base64).
const MAX_LINE: usize = 16 << 10;

/// Who signed a bundle, as read (the signature verified over the manifest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// The bundle has no signature member (written before nascfg signed bundles).
    Unsigned,
    /// A signature that verifies.
    Signed(Box<SignedBy>),
}

/// The key a bundle's manifest signature verifies under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBy {
    /// The key (without comment).
    pub key: PublicKey,
    /// The comment of the bundle's own box key (`nascfg@<host>`) when the
    /// signature is by the signing key its database carries; `None` for a
    /// signature by another key (`ssh-keygen -Y sign` with an admin's key).
    pub comment: Option<String>,
    /// The principals of the allowed-signers line that accepted the key,
    /// when one was given.
    pub principal: Option<String>,
}

impl SignedBy {
    /// The key as an OpenSSH line without comment (`ssh-ed25519 AAAA…`).
    pub fn public_key_line(&self) -> String {
        // A key decoded from a signature encodes again; an empty line otherwise.
        self.key.to_openssh().unwrap_or_default()
    }

    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }
}

impl Signer {
    /// One line for people: `SHA256:… nascfg@nas1 (allowed as nas1)` or `unsigned`.
    pub fn describe(&self) -> String {
        match self {
            Signer::Unsigned => "unsigned".to_owned(),
            Signer::Signed(by) => {
                let mut out = by.fingerprint();
                if let Some(comment) = &by.comment {
                    out.push(' ');
                    out.push_str(&nascfg_credentials::Untrusted::new(comment).to_string());
                }
                if let Some(principal) = &by.principal {
                    out.push_str(&format!(
                        " (allowed as {})",
                        nascfg_credentials::Untrusted::new(principal)
                    ));
                }
                out
            }
        }
    }

    /// The signer as JSON: `{"signed": false}` or the key, fingerprint, comment and principal.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Signer::Unsigned => serde_json::json!({"signed": false}),
            Signer::Signed(by) => serde_json::json!({
                "signed": true,
                "namespace": SIGNATURE_NAMESPACE,
                "public_key": by.public_key_line(),
                "fingerprint": by.fingerprint(),
                "comment": by.comment,
                "principal": by.principal,
            }),
        }
    }
}

/// Which signers a reader accepts.
#[derive(Debug, Clone, Default)]
pub enum SignerPolicy {
    /// No `--allowed-signers`: a signature that fails is refused, an
    /// unsigned (older) bundle is accepted with a notice.
    #[default]
    AnyValid,
    /// `--allowed-signers FILE`: only a signature by a key the file lists
    /// for `nascfg-bundle@v1`, valid now.
    Only(AllowedSigners),
}

impl SignerPolicy {
    /// Applies the policy to what a read found: the signer, with the
    /// accepting principal filled in, or the refusal.
    pub fn check(&self, signer: &Signer) -> Result<Signer> {
        match (self, signer) {
            (SignerPolicy::AnyValid, s) => Ok(s.clone()),
            (SignerPolicy::Only(allowed), Signer::Unsigned) => Err(Error::Unsigned {
                allowed_signers: allowed.path.clone(),
            }),
            (SignerPolicy::Only(allowed), Signer::Signed(by)) => {
                match allowed.find(&by.key, SIGNATURE_NAMESPACE, OffsetDateTime::now_utc()) {
                    Some(principal) => Ok(Signer::Signed(Box::new(SignedBy {
                        principal: Some(principal.to_owned()),
                        ..(**by).clone()
                    }))),
                    None => Err(Error::SignerNotAllowed {
                        fingerprint: by.fingerprint(),
                        allowed_signers: allowed.path.clone(),
                    }),
                }
            }
        }
    }
}

/// Signs a manifest's exact bytes with the box's signing key: the
/// signature member's bytes.
pub(crate) fn sign_manifest(key: &nascfg_store::SigningKey, manifest: &[u8]) -> Result<Vec<u8>> {
    Ok(key.sign(SIGNATURE_NAMESPACE, manifest)?.into_bytes())
}

/// Verifies a signature member (armored SSHSIG) over a manifest's exact
/// bytes: the namespace must be `nascfg-bundle@v1`; the key is returned.
pub fn verify_manifest(signature: &[u8], manifest: &[u8]) -> Result<PublicKey> {
    if signature.len() as u64 > MAX_SIGNATURE_SIZE {
        return Err(Error::SignatureMalformed {
            reason: format!("it is larger than {MAX_SIGNATURE_SIZE} bytes"),
        });
    }
    let sig = SshSig::from_pem(signature).map_err(|e| Error::SignatureMalformed {
        reason: format!("not an armored SSH signature ({e})"),
    })?;
    if sig.namespace() != SIGNATURE_NAMESPACE {
        return Err(Error::SignatureNamespace {
            found: sig.namespace().to_owned(),
        });
    }
    let key = PublicKey::new(sig.public_key().clone(), "");
    key.verify(SIGNATURE_NAMESPACE, manifest, &sig)
        .map_err(|_| Error::SignatureFailed {
            fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
        })?;
    Ok(key)
}

/// The [`SignedBy`] of a verified key; `bundle_key` is the public half of
/// the signing key in the bundle's database, whose comment names its box.
pub(crate) fn signed_by(key: &PublicKey, bundle_key: Option<&PublicKey>) -> Box<SignedBy> {
    let comment = bundle_key
        .filter(|own| own.key_data() == key.key_data())
        .map(|own| own.comment().to_owned())
        .filter(|c| !c.is_empty());
    Box::new(SignedBy {
        key: PublicKey::new(key.key_data().clone(), ""),
        comment,
        principal: None,
    })
}

/// An OpenSSH allowed_signers file (`man ssh-keygen`, ALLOWED SIGNERS):
/// `PRINCIPALS [OPTIONS] KEYTYPE BASE64 [COMMENT]` a line, `#` comments.
/// Options: `namespaces="PATTERNS"`, `valid-after="TIME"`,
/// `valid-before="TIME"` and `cert-authority` (a line for certificates,
/// which nascfg's plain-key signatures never match: kept, noted, ignored).
#[derive(Debug, Clone)]
pub struct AllowedSigners {
    path: PathBuf,
    entries: Vec<Entry>,
    notes: Vec<String>,
}

#[derive(Debug, Clone)]
struct Entry {
    principals: String,
    key: PublicKey,
    cert_authority: bool,
    namespaces: Option<String>,
    valid_after: Option<OffsetDateTime>,
    valid_before: Option<OffsetDateTime>,
}

impl AllowedSigners {
    /// Reads and parses the file at `path` (at most 1 MiB).
    pub fn read(path: &Path) -> Result<AllowedSigners> {
        use std::io::Read;
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut bytes = Vec::new();
        file.take(MAX_ALLOWED_SIGNERS_SIZE as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, e))?;
        AllowedSigners::parse(path, &bytes)
    }

    /// Parses an allowed-signers file's bytes; `path` names it in errors.
    /// Every line is checked; an error names the first bad one.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<AllowedSigners> {
        let bad = |line: usize, reason: String| Error::AllowedSigners {
            path: path.to_path_buf(),
            line,
            reason,
        };
        if bytes.len() > MAX_ALLOWED_SIGNERS_SIZE {
            return Err(bad(
                0,
                format!("the file is larger than {MAX_ALLOWED_SIGNERS_SIZE} bytes"),
            ));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            bad(line, "it is not UTF-8 text".into())
        })?;
        let mut entries = Vec::new();
        let mut notes = Vec::new();
        for (i, line) in text.split('\n').enumerate() {
            let n = i + 1;
            if line.len() > MAX_LINE {
                return Err(bad(n, format!("the line is longer than {MAX_LINE} bytes")));
            }
            let line = line.trim_matches(|c| c == ' ' || c == '\t' || c == '\r');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = parse_line(line).map_err(|reason| bad(n, reason))?;
            if entry.cert_authority {
                notes.push(format!(
                    "{}:{n}: a cert-authority line is ignored: nascfg bundles are signed by plain keys, not certificates",
                    path.display()
                ));
            }
            entries.push(entry);
        }
        Ok(AllowedSigners {
            path: path.to_path_buf(),
            entries,
            notes,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the reader should know (lines read but never matched).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The principals of the first line that lists `key` (not as a
    /// certificate authority) with namespaces allowing `namespace` (no
    /// `namespaces=` allows every one, as in OpenSSH) and valid at `at`.
    pub fn find(&self, key: &PublicKey, namespace: &str, at: OffsetDateTime) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| {
                !e.cert_authority
                    && e.key.key_data() == key.key_data()
                    && e.namespaces
                        .as_deref()
                        .is_none_or(|ns| match_pattern_list(namespace, ns) == Some(true))
                    && e.valid_after.is_none_or(|t| at >= t)
                    && e.valid_before.is_none_or(|t| at <= t)
            })
            .map(|e| e.principals.as_str())
    }
}

/// One non-comment line: principals, then options or the key.
fn parse_line(line: &str) -> std::result::Result<Entry, String> {
    let (principals, rest) = if let Some(quoted) = line.strip_prefix('"') {
        let end = quoted
            .find('"')
            .ok_or("the principals' quote is not closed")?;
        (&quoted[..end], &quoted[end + 1..])
    } else {
        let end = line.find([' ', '\t']).unwrap_or(line.len());
        (&line[..end], &line[end..])
    };
    if principals.is_empty() {
        return Err("no principals".into());
    }
    if principals.chars().any(char::is_control) {
        return Err("the principals have control characters".into());
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    if rest.is_empty() {
        return Err("no key after the principals".into());
    }
    let mut options = Options::default();
    let key_text = if looks_like_key(rest) {
        rest
    } else {
        let end = options_end(rest)?;
        parse_options(&rest[..end], &mut options)?;
        let key = rest[end..].trim_start_matches([' ', '\t']);
        if key.is_empty() {
            return Err("no key after the options".into());
        }
        key
    };
    Ok(Entry {
        principals: principals.to_owned(),
        key: parse_key(key_text)?,
        cert_authority: options.cert_authority,
        namespaces: options.namespaces,
        valid_after: options.valid_after,
        valid_before: options.valid_before,
    })
}

/// The options of a line.
#[derive(Default)]
struct Options {
    cert_authority: bool,
    namespaces: Option<String>,
    valid_after: Option<OffsetDateTime>,
    valid_before: Option<OffsetDateTime>,
}

/// Whether the text starts with a key type (what `sshkey_read` accepts first).
fn looks_like_key(text: &str) -> bool {
    let word = text.split([' ', '\t']).next().unwrap_or("");
    word.starts_with("ssh-") || word.starts_with("ecdsa-sha2-") || word.starts_with("sk-")
}

/// `KEYTYPE BASE64 [COMMENT]` as a public key (comment dropped).
fn parse_key(text: &str) -> std::result::Result<PublicKey, String> {
    let mut words = text.split([' ', '\t']).filter(|w| !w.is_empty());
    let (Some(kind), Some(base64)) = (words.next(), words.next()) else {
        return Err("the key is not `KEYTYPE BASE64`".into());
    };
    let key = PublicKey::from_openssh(&format!("{kind} {base64}"))
        .map_err(|e| format!("the key does not read as an OpenSSH public key ({e})"))?;
    if key.algorithm().as_str() != kind {
        return Err("the key's type is not the one the line names".into());
    }
    Ok(key)
}

/// Where the options end: at the first blank outside double quotes (OpenSSH's
/// `sshkey_advance_past_options`, with `\"` inside quotes).
fn options_end(text: &str) -> std::result::Result<usize, String> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ' ' | '\t' if !quoted => return Ok(i),
            _ => {}
        }
    }
    if quoted {
        Err("an option's quote is not closed".into())
    } else {
        Err("no key after the options".into())
    }
}

/// `opt[,opt...]` as `sshsigopt_parse` reads them.
fn parse_options(mut text: &str, entry: &mut Options) -> std::result::Result<(), String> {
    while !text.is_empty() {
        if let Some(rest) = strip_prefix_ignore_case(text, "cert-authority") {
            entry.cert_authority = true;
            text = rest;
        } else if let Some(rest) = strip_prefix_ignore_case(text, "namespaces=") {
            let (value, rest) = dequote(rest, "namespaces")?;
            if entry.namespaces.replace(value).is_some() {
                return Err("namespaces= is given twice".into());
            }
            text = rest;
        } else if let Some(rest) = strip_prefix_ignore_case(text, "valid-after=") {
            let (value, rest) = dequote(rest, "valid-after")?;
            if entry.valid_after.replace(parse_time(&value)?).is_some() {
                return Err("valid-after= is given twice".into());
            }
            text = rest;
        } else if let Some(rest) = strip_prefix_ignore_case(text, "valid-before=") {
            let (value, rest) = dequote(rest, "valid-before")?;
            if entry.valid_before.replace(parse_time(&value)?).is_some() {
                return Err("valid-before= is given twice".into());
            }
            text = rest;
        } else {
            let name: String = text
                .split([',', '='])
                .next()
                .unwrap_or("")
                .chars()
                .take(40)
                .collect();
            return Err(format!(
                "unsupported option {:?} (known: cert-authority, namespaces=, valid-after=, valid-before=)",
                nascfg_credentials::Untrusted::new(&name)
            ));
        }
        if text.is_empty() {
            break;
        }
        text = text
            .strip_prefix(',')
            .ok_or("options must be separated by commas")?;
    }
    if let (Some(after), Some(before)) = (entry.valid_after, entry.valid_before)
        && before < after
    {
        return Err("valid-before is earlier than valid-after".into());
    }
    Ok(())
}

fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// A double-quoted option value (`\"` is a quote) and what follows it.
fn dequote<'t>(text: &'t str, name: &str) -> std::result::Result<(String, &'t str), String> {
    let inner = text
        .strip_prefix('"')
        .ok_or_else(|| format!("the value of {name}= must be in double quotes"))?;
    let mut value = String::new();
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, '"')) => value.push('"'),
                Some((_, other)) => {
                    value.push('\\');
                    value.push(other);
                }
                None => break,
            },
            '"' => {
                if value.is_empty() {
                    return Err(format!("the value of {name}= is empty"));
                }
                return Ok((value, &inner[i + 1..]));
            }
            c if c.is_control() => {
                return Err(format!("the value of {name}= has control characters"));
            }
            c => value.push(c),
        }
    }
    Err(format!("the value of {name}= has no closing quote"))
}

/// `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`, optionally ending in `Z`.
/// OpenSSH reads a time without `Z` as local time; nascfg reads every time
/// as UTC (a box's clock zone is no part of a trust decision).
fn parse_time(text: &str) -> std::result::Result<OffsetDateTime, String> {
    let bad = || format!("{text:?} is not a time (YYYYMMDD[HHMM[SS]][Z])");
    let digits = text.strip_suffix(['Z', 'z']).unwrap_or(text);
    if !matches!(digits.len(), 8 | 12 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> u32 {
        digits
            .get(r)
            .map_or(0, |s| s.parse().expect("checked: ASCII digits"))
    };
    let month =
        time::Month::try_from(u8::try_from(num(4..6)).map_err(|_| bad())?).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(
        i32::try_from(num(0..4)).map_err(|_| bad())?,
        month,
        u8::try_from(num(6..8)).map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    let clock = time::Time::from_hms(
        u8::try_from(num(8..10)).map_err(|_| bad())?,
        u8::try_from(num(10..12)).map_err(|_| bad())?,
        u8::try_from(num(12..14)).map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    Ok(date.with_time(clock).assume_utc())
}

/// OpenSSH's `match_pattern_list` (match.c): a comma-separated list of
/// patterns with `*` and `?`, each maybe negated with `!`. `Some(true)`: a
/// positive pattern matched and no negated one did; `Some(false)`: nothing
/// matched; `None`: a negated pattern matched (a refusal).
pub fn match_pattern_list(text: &str, patterns: &str) -> Option<bool> {
    let mut positive = false;
    for pattern in patterns.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern),
        };
        if match_pattern(text.as_bytes(), pattern.as_bytes()) {
            if negated {
                return None;
            }
            positive = true;
        }
    }
    Some(positive)
}

/// `*` (any run) and `?` (one byte) globbing, iterative (no recursion
/// depth for a hostile pattern, and linear backtracking).
fn match_pattern(text: &[u8], pattern: &[u8]) -> bool {
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_openssh() {
        let check = |text: &str, patterns: &str, expected: Option<bool>| {
            assert_eq!(
                match_pattern_list(text, patterns),
                expected,
                "{text} ~ {patterns}"
            );
        };
        check("nascfg-bundle@v1", "nascfg-bundle@v1", Some(true));
        check("nascfg-bundle@v1", "nascfg-*", Some(true));
        check("nascfg-bundle@v1", "nascfg-bundle@v?", Some(true));
        check("nascfg-bundle@v1", "file,git", Some(false));
        check("nascfg-bundle@v1", "*,!nascfg-*", None);
        check("nascfg-bundle@v1", "!git,nascfg*", Some(true));
        check("", "*", Some(true));
        check("abc", "a*b*c*d", Some(false));
        check(
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
            "*a*a*a*a*a*a*a*c",
            Some(false),
        );
    }

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDRMvDIlXR0U+89fxwhUSrY+zSYqqAAvuhL0TYE0NR/I";

    fn parse(text: &str) -> std::result::Result<AllowedSigners, String> {
        AllowedSigners::parse(Path::new("signers"), text.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn lines_parse_or_name_their_fault() {
        let now = OffsetDateTime::now_utc();
        let key = PublicKey::from_openssh(KEY).unwrap();
        let found = |text: &str| {
            parse(text)
                .unwrap()
                .find(&key, SIGNATURE_NAMESPACE, now)
                .map(str::to_owned)
        };
        assert_eq!(found(&format!("nas1 {KEY} c")), Some("nas1".into()));
        assert_eq!(
            found(&format!("# x\n\n\"a b\" namespaces=\"nascfg-*\" {KEY}")),
            Some("a b".into())
        );
        assert_eq!(found(&format!("nas1 namespaces=\"file\" {KEY}")), None);
        assert_eq!(
            found(&format!("nas1 namespaces=\"*,!nascfg-bundle@v1\" {KEY}")),
            None
        );
        assert_eq!(found(&format!("nas1 cert-authority {KEY}")), None);
        assert_eq!(
            found(&format!("nas1 valid-before=\"20000101\" {KEY}")),
            None
        );
        assert_eq!(
            found(&format!(
                "nas1 valid-after=\"20000101Z\",valid-before=\"99991231235959\" {KEY}"
            )),
            Some("nas1".into())
        );
        assert_eq!(found(&format!("nas1 valid-after=\"99990101\" {KEY}")), None);
        let fault = |text: &str, expected: &str| {
            let e = parse(text).unwrap_err();
            assert!(e.contains(expected), "{text:?}: {e}");
        };
        fault("nas1", "signers:1: no key after the principals");
        fault(
            &format!("\n nas1 bogus=\"x\" {KEY}"),
            "signers:2: unsupported option",
        );
        fault(&format!("nas1 namespaces=file {KEY}"), "double quotes");
        fault(
            &format!("nas1 namespaces=\"file {KEY}"),
            "quote is not closed",
        );
        fault(
            "nas1 ssh-ed25519 AAAA",
            "does not read as an OpenSSH public key",
        );
        fault(&format!("nas1 valid-after=\"2020\" {KEY}"), "is not a time");
        fault(
            &format!("nas1 valid-after=\"20201340\" {KEY}"),
            "is not a time",
        );
        fault(
            &format!("nas1 valid-after=\"20210101\",valid-before=\"20200101\" {KEY}"),
            "earlier",
        );
    }
}
