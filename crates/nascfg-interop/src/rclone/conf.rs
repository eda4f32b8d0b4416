//! rclone.conf: an INI file of `[remote]` sections and `key = value` lines,
//! plain or encrypted (`RCLONE_ENCRYPT_V0:`).
//!
//! The reader takes untrusted bytes: it is bounded in size, never panics, and
//! reports the line of the first thing it cannot read. Comments are whole
//! lines starting with `#` or `;`; there are no inline comments. Values are
//! single lines; a value in backquotes or triple double quotes is unquoted,
//! as rclone's INI library does (plain double quotes are kept).
//!
//! The encrypted form is standard base64 of `nonce(24) || secretbox(text)`
//! (XSalsa20-Poly1305, tag first) under SHA-256 of
//! `"[" + NFKC(password) + "][rclone-config]"`. That is one unsalted hash:
//! nascfg reads it for import and never uses it for its own storage.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::XSalsa20Poly1305;
use crypto_secretbox::aead::{Aead, KeyInit};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization as _;
use zeroize::Zeroizing;

use crate::Error;

/// The largest rclone.conf read (plain or encrypted).
pub const MAX_CONF_LEN: usize = 16 * 1024 * 1024;
/// The marker line of an encrypted rclone.conf.
const ENCRYPT_MARKER: &str = "RCLONE_ENCRYPT_V0:";

/// One `[remote]` section: its name and its `key = value` entries in order.
///
/// A key set again keeps its first place and takes the new value (rclone's
/// rule). A key is found by a scan while the section is small (a remote has
/// a handful of keys), and through `index`, made when the section grows past
/// 16 keys, so a section of hundreds of thousands of keys is
/// still read in linear time.
pub struct Section {
    name: String,
    entries: Vec<(String, Zeroizing<String>)>,
    /// Key -> its place in `entries`, once there are more than [`SCAN_UP_TO`].
    index: Option<HashMap<String, usize>>,
}

/// The most keys a section finds by scanning them: a map for each of
/// 50,000 remotes of five keys costs more than it saves.
const SCAN_UP_TO: usize = 16;

impl std::fmt::Debug for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secrets: only the keys are shown.
        f.debug_struct("Section")
            .field("name", &self.name)
            .field("keys", &nascfg_credentials::KeysOnly(&self.entries))
            .finish()
    }
}

impl Section {
    /// A section with no entries.
    pub fn new(name: &str) -> Section {
        Section {
            name: name.to_owned(),
            entries: Vec::new(),
            index: None,
        }
    }

    /// The remote's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value of `key`, if present (the last one set wins).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.place(key).map(|i| self.entries[i].1.as_str())
    }

    /// Where `key` is in `entries`.
    fn place(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| k == key),
        }
    }

    /// The `type` of the remote (its rclone backend).
    pub fn backend(&self) -> Option<&str> {
        self.get("type")
    }

    /// Sets `key` to `value`, replacing an earlier value in its place.
    pub fn set(&mut self, key: &str, value: &str) {
        match self.place(key) {
            Some(i) => self.entries[i].1 = Zeroizing::new(value.to_owned()),
            None => {
                let at = self.entries.len();
                self.entries
                    .push((key.to_owned(), Zeroizing::new(value.to_owned())));
                match &mut self.index {
                    Some(index) => {
                        index.insert(key.to_owned(), at);
                    }
                    None if at >= SCAN_UP_TO => {
                        let index = self.entries.iter().enumerate();
                        self.index = Some(index.map(|(i, (k, _))| (k.clone(), i)).collect());
                    }
                    None => {}
                }
            }
        }
    }

    /// The entries in order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// An rclone.conf: its sections in order.
#[derive(Debug, Default)]
pub struct Conf {
    sections: Vec<Section>,
}

impl Conf {
    /// An empty configuration.
    pub fn new() -> Conf {
        Conf::default()
    }

    /// Reads an rclone.conf, decrypting it with `password` when it is
    /// encrypted. An encrypted file without a password, or with a wrong
    /// one, is an error.
    pub fn parse(bytes: &[u8], password: Option<&SecretString>) -> Result<Conf, Error> {
        if bytes.len() > MAX_CONF_LEN {
            return Err(Error::RcloneConf {
                line: 0,
                message: format!("larger than {MAX_CONF_LEN} bytes"),
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|e| Error::RcloneConf {
            line: line_of(bytes, e.valid_up_to()),
            message: "not UTF-8".into(),
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        match encrypted_body(text) {
            Some(body) => {
                let password = password.ok_or(Error::RclonePasswordNeeded)?;
                let plain = decrypt(&body, password)?;
                let plain = std::str::from_utf8(&plain).map_err(|_| Error::RcloneConf {
                    line: 0,
                    message: "decrypted text is not UTF-8".into(),
                })?;
                parse_plain(plain)
            }
            None => parse_plain(text),
        }
    }

    /// Whether these bytes are an encrypted rclone.conf.
    pub fn is_encrypted(bytes: &[u8]) -> bool {
        std::str::from_utf8(bytes)
            .is_ok_and(|t| encrypted_body(t.strip_prefix('\u{feff}').unwrap_or(t)).is_some())
    }

    /// The sections in order.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The section of this name.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Adds a section (replacing one of the same name).
    pub fn push(&mut self, section: Section) {
        match self.sections.iter_mut().find(|s| s.name == section.name) {
            Some(old) => *old = section,
            None => self.sections.push(section),
        }
    }

    /// The plain text of the file, as rclone writes it.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::new());
        for section in &self.sections {
            out.push('[');
            out.push_str(&section.name);
            out.push_str("]\n");
            for (key, value) in &section.entries {
                out.push_str(key);
                out.push_str(" = ");
                // Mapping only sets values that encode; a value that does not
                // is written as it is rather than dropped.
                out.push_str(&encode_value(value).unwrap_or_else(|| value.as_str().into()));
                out.push('\n');
            }
            out.push('\n');
        }
        out
    }

    /// The encrypted text (`RCLONE_ENCRYPT_V0:`), with the given nonce.
    pub fn to_encrypted_text(&self, password: &SecretString, nonce: [u8; 24]) -> String {
        let text = self.to_text();
        encrypt(text.as_bytes(), password, nonce)
    }
}

/// The key rclone derives from a config password.
fn config_key(password: &SecretString) -> Zeroizing<[u8; 32]> {
    let normalized: Zeroizing<String> = Zeroizing::new(password.expose_secret().nfkc().collect());
    let mut hasher = Sha256::new();
    hasher.update(b"[");
    hasher.update(normalized.as_bytes());
    hasher.update(b"][rclone-config]");
    Zeroizing::new(hasher.finalize().into())
}

/// Encrypts config text the way rclone does (`RCLONE_ENCRYPT_V0:`).
pub(crate) fn encrypt(plain: &[u8], password: &SecretString, nonce: [u8; 24]) -> String {
    let key = config_key(password);
    let cipher = XSalsa20Poly1305::new(key.as_ref().into());
    let sealed = cipher
        .encrypt(&nonce.into(), plain)
        .expect("XSalsa20-Poly1305 encryption of an in-memory buffer cannot fail");
    let mut body = Vec::with_capacity(24 + sealed.len());
    body.extend_from_slice(&nonce);
    body.extend_from_slice(&sealed);
    format!(
        "# Encrypted rclone configuration File\n\n{ENCRYPT_MARKER}\n{}\n",
        STANDARD.encode(body)
    )
}

fn decrypt(body: &str, password: &SecretString) -> Result<Zeroizing<Vec<u8>>, Error> {
    let raw = STANDARD.decode(body).map_err(|_| Error::RcloneConf {
        line: 0,
        message: "encrypted body is not base64".into(),
    })?;
    if raw.len() < 24 + 16 {
        return Err(Error::RcloneConf {
            line: 0,
            message: "encrypted body too short".into(),
        });
    }
    let key = config_key(password);
    let cipher = XSalsa20Poly1305::new(key.as_ref().into());
    let nonce = crypto_secretbox::Nonce::from_slice(&raw[..24]);
    cipher
        .decrypt(nonce, &raw[24..])
        .map(Zeroizing::new)
        .map_err(|_| Error::RcloneWrongPassword)
}

/// The base64 body of an encrypted config (blank and comment lines may come
/// before the marker), or `None` for a plain one.
fn encrypted_body(text: &str) -> Option<String> {
    let mut lines = text.lines();
    for line in lines.by_ref() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line == ENCRYPT_MARKER {
            return Some(
                lines
                    .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
                    .collect(),
            );
        }
        return None;
    }
    None
}

/// From this size on, a file is parsed in two halves on two threads.
const PARALLEL_PARSE_FROM: usize = 1 << 20;

fn parse_plain(text: &str) -> Result<Conf, Error> {
    match split_point(text) {
        Some(at) if text.len() >= PARALLEL_PARSE_FROM => parse_split(text, at),
        _ => parse_part(text, 0).map(|(conf, _)| conf),
    }
}

/// Where a second half can begin: the first section header after the
/// middle that starts its line (`[` right after a newline).
fn split_point(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = text.len() / 2;
    while let Some(newline) = bytes[from..].iter().position(|&b| b == b'\n') {
        let at = from + newline + 1;
        if bytes.get(at) == Some(&b'[') {
            return Some(at);
        }
        from = at;
    }
    None
}

/// Parses `text[..at]` and `text[at..]` (which starts with a section header)
/// on two threads and joins them: exactly what one pass over `text` gives.
/// A section the second half repeats continues the first half's, its keys
/// set in order; the first error in the file is the one reported.
fn parse_split(text: &str, at: usize) -> Result<Conf, Error> {
    let (head, tail) = text.split_at(at);
    let lines_before = head.bytes().filter(|&b| b == b'\n').count();
    let (first, second) = std::thread::scope(|scope| {
        let later = scope.spawn(|| parse_part(tail, lines_before));
        let first = parse_part(head, 0);
        (first, later.join().expect("parsing does not panic"))
    });
    let (mut conf, index_of) = first?;
    let (rest, _) = second?;
    for section in rest.sections {
        match index_of.get(section.name.as_str()) {
            Some(&i) => {
                for (key, value) in &section.entries {
                    conf.sections[i].set(key, value);
                }
            }
            None => conf.sections.push(section),
        }
    }
    Ok(conf)
}

/// One pass over `text`, whose first line is line `lines_before + 1` of the
/// file: the sections, and each section name's index.
fn parse_part(text: &str, lines_before: usize) -> Result<(Conf, HashMap<&str, usize>), Error> {
    let mut conf = Conf::new();
    let mut current: Option<usize> = None;
    // Section name -> index: a repeated header continues its section, found
    // without scanning every section before it (50,000 remotes). The names
    // are borrowed from `text`: no copy of each to make and free again.
    let mut index_of: HashMap<&str, usize> = HashMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = lines_before + index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let err = |message: &str| Error::RcloneConf {
            line: line_no,
            message: message.to_owned(),
        };
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest
                .strip_suffix(']')
                .ok_or_else(|| err("section header without `]`"))?
                .trim();
            if name.is_empty() {
                return Err(err("empty section name"));
            }
            current = Some(match index_of.get(name) {
                Some(&i) => i,
                None => {
                    conf.sections.push(Section::new(name));
                    index_of.insert(name, conf.sections.len() - 1);
                    conf.sections.len() - 1
                }
            });
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| err("expected `key = value`"))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(err("empty key"));
        }
        let value = unquote(value.trim());
        // Keys before the first section belong to rclone's DEFAULT section,
        // which holds no remote: they are ignored.
        if let Some(i) = current
            && let Some(section) = conf.sections.get_mut(i)
        {
            section.set(key, value);
        }
    }
    Ok((conf, index_of))
}

/// Strips the quotes rclone's INI library strips: `` `...` `` and
/// `"""..."""` (plain double quotes are kept, as rclone keeps them).
fn unquote(value: &str) -> &str {
    if value.len() >= 6 && value.starts_with("\"\"\"") && value.ends_with("\"\"\"") {
        return &value[3..value.len() - 3];
    }
    if value.len() >= 2 && value.starts_with('`') && value.ends_with('`') {
        return &value[1..value.len() - 1];
    }
    value
}

/// How a value is written so that rclone reads it back unchanged: as it is,
/// or in backquotes when it has surrounding whitespace or would itself be
/// taken for a quoted value. `None` when no form reads back unchanged (a
/// line break, or a backquote where quoting is needed).
pub(crate) fn encode_value(value: &str) -> Option<std::borrow::Cow<'_, str>> {
    if value.contains(['\n', '\r']) {
        return None;
    }
    let needs_quotes = value.trim() != value || unquote(value) != value;
    if !needs_quotes {
        return Some(value.into());
    }
    if value.contains('`') {
        return None;
    }
    Some(format!("`{value}`").into())
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes
        .get(..offset)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections(conf: &Conf) -> Vec<(String, Vec<(String, String)>)> {
        conf.sections()
            .iter()
            .map(|s| {
                let entries = s.entries().map(|(k, v)| (k.to_owned(), v.to_owned()));
                (s.name().to_owned(), entries.collect())
            })
            .collect()
    }

    /// Two halves on two threads give what one pass gives, wherever the
    /// split falls: repeated sections across it, repeated keys, keys
    /// before any section, and the first error's line.
    #[test]
    fn a_split_parse_is_one_pass() {
        let texts = [
            "top = 1\n[a]\ntype = s3\nx = 1\n\n[b]\ntype = ftp\n[a]\nx = 2\ny = 3\n[c]\n# c\nz = `q`\n[b]\nhost = h\n",
            "[a]\ntype = s3\n[b]\nbad line\n[c]\nk = v\n[d]\nalso bad\n",
            "[a]\ntype = s3\n[b]\nk = v\n[c\n[d]\n = v\n",
            "[a]\r\ntype = s3\r\n[a]\r\ntype = ftp\r\n[b]\r\n",
        ];
        for text in texts {
            let whole = parse_part(text, 0).map(|(c, _)| sections(&c));
            for at in (1..text.len()).filter(|&i| text.as_bytes()[i - 1] == b'\n') {
                if text.as_bytes()[at] != b'[' {
                    continue;
                }
                let split = parse_split(text, at).map(|c| sections(&c));
                match (&whole, &split) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "split at {at} of {text:?}"),
                    (Err(a), Err(b)) => {
                        assert_eq!(a.to_string(), b.to_string(), "split at {at} of {text:?}")
                    }
                    _ => panic!("split at {at} of {text:?}: {whole:?} against {split:?}"),
                }
            }
        }
    }

    #[test]
    fn a_large_file_is_split_at_a_header() {
        let text: String = (0..40_000)
            .map(|i| format!("[r{i}]\ntype = ftp\nhost = h{i}\n\n"))
            .collect();
        assert!(text.len() >= PARALLEL_PARSE_FROM);
        let at = split_point(&text).expect("a header after the middle");
        assert!(text[at..].starts_with("[r"));
        let conf = parse_plain(&text).unwrap();
        assert_eq!(conf.sections().len(), 40_000);
        assert_eq!(sections(&conf), sections(&parse_part(&text, 0).unwrap().0));
    }

    /// One section of 200,000 distinct keys (and a repeated one) is read
    /// whole: each key found through the section's index, not by a scan of
    /// the keys before it (issue 30.5: 500,000 keys took 489 s of CPU).
    #[test]
    fn a_section_of_many_keys_is_read() {
        let mut text = String::from("[big]\ntype = s3\n");
        for i in 0..200_000 {
            text.push_str(&format!("k{i} = v{i}\n"));
        }
        text.push_str("k7 = again\n");
        let conf = Conf::parse(text.as_bytes(), None).unwrap();
        let big = conf.section("big").unwrap();
        assert_eq!(big.entries().count(), 200_001);
        assert_eq!(big.get("k199999"), Some("v199999"));
        // A repeated key keeps its first place and takes the last value.
        assert_eq!(big.get("k7"), Some("again"));
        assert_eq!(big.entries().nth(8), Some(("k7", "again")));
    }

    /// Keys set while a section is scanned are found, and set again in
    /// their place, once it has an index.
    #[test]
    fn keys_are_found_on_both_sides_of_the_index() {
        for n in [SCAN_UP_TO - 1, SCAN_UP_TO, SCAN_UP_TO + 1, SCAN_UP_TO + 2] {
            let mut text = String::from("[s]\n");
            for i in 0..n {
                text.push_str(&format!("k{i} = v{i}\n"));
            }
            text.push_str("k0 = again\n");
            let conf = Conf::parse(text.as_bytes(), None).unwrap();
            let s = conf.section("s").unwrap();
            assert_eq!(s.entries().count(), n, "{n} keys");
            assert_eq!(s.entries().next(), Some(("k0", "again")), "{n} keys");
            for i in 1..n {
                assert_eq!(s.get(&format!("k{i}")), Some(format!("v{i}").as_str()));
            }
            assert_eq!(s.get("absent"), None);
        }
    }

    #[test]
    fn a_repeated_key_keeps_its_place_and_takes_the_last_value() {
        let conf = Conf::parse(b"[a]\nx = 1\ny = 2\nx = 3\n", None).unwrap();
        let a = conf.section("a").unwrap();
        assert_eq!(a.entries().collect::<Vec<_>>(), [("x", "3"), ("y", "2")]);
        assert_eq!(a.get("x"), Some("3"));
    }

    #[test]
    fn encryption_known_answer() {
        let nonce: [u8; 24] = core::array::from_fn(|i| i as u8);
        let password = SecretString::from("asdf".to_owned());
        let text = encrypt(b"[remote]\ntype = local\n", &password, nonce);
        let body =
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXgQmGS/fSHQOQJHrn6QQJmItJBi046qDiO+UiEEJXxS5necdGj0Y=";
        assert!(
            text.contains(&format!("\nRCLONE_ENCRYPT_V0:\n{body}\n")),
            "{text}"
        );
        let conf = Conf::parse(text.as_bytes(), Some(&password)).unwrap();
        assert_eq!(conf.section("remote").unwrap().backend(), Some("local"));
        let wrong = SecretString::from("asdg".to_owned());
        assert!(matches!(
            Conf::parse(text.as_bytes(), Some(&wrong)),
            Err(Error::RcloneWrongPassword)
        ));
        assert!(matches!(
            Conf::parse(text.as_bytes(), None),
            Err(Error::RclonePasswordNeeded)
        ));
    }

    #[test]
    fn reads_sections_comments_and_quotes() {
        let text = "\u{feff}top = ignored\n# comment\n; other\n[a]\ntype = s3\nkey=v=w\n  q = `quoted`  \n  d = \"kept\"\n\n[b]\ntype=ftp\n[a]\nextra = 1\n";
        let conf = Conf::parse(text.as_bytes(), None).unwrap();
        assert_eq!(conf.sections().len(), 2);
        let a = conf.section("a").unwrap();
        assert_eq!(a.get("key"), Some("v=w"));
        assert_eq!(a.get("q"), Some("quoted"));
        assert_eq!(a.get("d"), Some("\"kept\""));
        assert_eq!(a.get("extra"), Some("1"));
        assert_eq!(conf.section("b").unwrap().backend(), Some("ftp"));
    }

    #[test]
    fn rejects_garbage_with_a_line_number() {
        for (text, line) in [
            ("[a\n", 1),
            ("[a]\nnovalue\n", 2),
            ("[]\n", 1),
            ("[a]\n = x\n", 2),
        ] {
            match Conf::parse(text.as_bytes(), None) {
                Err(Error::RcloneConf { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn writes_what_it_reads() {
        let mut conf = Conf::new();
        let mut s = Section::new("x y");
        s.set("type", "webdav");
        s.set("url", "http://127.0.0.1:1/");
        s.set("pass", " spaced ");
        conf.push(s);
        let text = conf.to_text();
        assert_eq!(
            text.as_str(),
            "[x y]\ntype = webdav\nurl = http://127.0.0.1:1/\npass = ` spaced `\n\n"
        );
        let back = Conf::parse(text.as_bytes(), None).unwrap();
        assert_eq!(
            back.section("x y").unwrap().get("url"),
            Some("http://127.0.0.1:1/")
        );
        assert_eq!(back.section("x y").unwrap().get("pass"), Some(" spaced "));
        assert_eq!(encode_value("`a`"), None);
        assert_eq!(encode_value("a\nb"), None);
    }
}
