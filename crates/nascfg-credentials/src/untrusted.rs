//! Text from an untrusted source (a bundle, a TrueNAS backup, an rclone.conf, a
//! bucket listing), shown to a person: escaped and cut, as OpenSSH's `strnvis`
//! and git's quoting of odd paths do.

use std::fmt;

/// How many characters of untrusted text a message shows before it cuts.
pub const UNTRUSTED_SHOWN_CHARS: usize = 64;

/// Untrusted text for a message: `Display` prints it with every control
/// character (and every other non-printing one) escaped as Rust does
/// (`\n`, `\u{1b}`), cut after [`UNTRUSTED_SHOWN_CHARS`] characters with the
/// number of bytes left out. So a name can neither repaint a terminal (ESC,
/// OSC 52) nor make a megabyte error.
///
/// ```
/// use nascfg_credentials::Untrusted;
/// assert_eq!(Untrusted::new("b2-main").to_string(), "b2-main");
/// assert_eq!(Untrusted::new("\u{1b}[2Jok").to_string(), "\\u{1b}[2Jok");
/// let long = "x".repeat(1000);
/// assert_eq!(Untrusted::new(&long).to_string(), format!("{}... (936 more bytes)", "x".repeat(64)));
/// assert_eq!(Untrusted::bytes(b"a\xffb").to_string(), "a\\u{fffd}b");
/// ```
#[derive(Clone, Copy)]
pub struct Untrusted<'a> {
    text: Text<'a>,
}

#[derive(Clone, Copy)]
enum Text<'a> {
    Str(&'a str),
    Bytes(&'a [u8]),
}

impl<'a> Untrusted<'a> {
    /// Text that came from outside.
    pub fn new(text: &'a str) -> Untrusted<'a> {
        Untrusted {
            text: Text::Str(text),
        }
    }

    /// Bytes that came from outside and may not be UTF-8 (a tar member's
    /// name): invalid sequences show as U+FFFD, escaped.
    pub fn bytes(bytes: &'a [u8]) -> Untrusted<'a> {
        Untrusted {
            text: Text::Bytes(bytes),
        }
    }
}

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = match self.text {
            Text::Str(s) => s.as_bytes(),
            Text::Bytes(b) => b,
        };
        write_escaped(f, bytes)
    }
}

impl fmt::Debug for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Writes `bytes` escaped, cut after [`UNTRUSTED_SHOWN_CHARS`] characters
/// (an invalid UTF-8 sequence counts as one, shown as U+FFFD), then the
/// number of bytes left out. Only the head is decoded: a huge input costs no
/// more than a short one.
fn write_escaped(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    // The common case, a short name of printable ASCII: written as it is, in
    // one piece (an import's report shows tens of thousands of them).
    if bytes.len() <= UNTRUSTED_SHOWN_CHARS
        && bytes
            .iter()
            .all(|&b| (b' '..=b'~').contains(&b) && b != b'\\')
        && let Ok(plain) = std::str::from_utf8(bytes)
    {
        return f.write_str(plain);
    }
    let mut shown = 0;
    let mut offset = 0;
    // Enough bytes for the characters shown (at most 4 each) and the check
    // that one more follows; the rest is only counted.
    let head = &bytes[..bytes.len().min(UNTRUSTED_SHOWN_CHARS * 4 + 4)];
    for chunk in head.utf8_chunks() {
        for c in chunk.valid().chars() {
            if shown == UNTRUSTED_SHOWN_CHARS {
                return write!(f, "... ({} more bytes)", bytes.len() - offset);
            }
            shown += 1;
            offset += c.len_utf8();
            if c == '\\' {
                f.write_str("\\\\")?;
            } else if c == '\u{fffd}' || !is_plain(c) {
                write!(f, "{}", c.escape_unicode())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        if !chunk.invalid().is_empty() {
            if shown == UNTRUSTED_SHOWN_CHARS {
                return write!(f, "... ({} more bytes)", bytes.len() - offset);
            }
            shown += 1;
            offset += chunk.invalid().len();
            f.write_str("\\u{fffd}")?;
        }
    }
    Ok(())
}

/// A character that prints as itself on a terminal: not a control, not a
/// format character that reorders or hides text (bidi overrides, zero-width).
fn is_plain(c: char) -> bool {
    !c.is_control()
        && !matches!(c,
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(
            Untrusted::new(input).to_string(),
            expected,
            "input {input:?}"
        );
    }

    #[test]
    fn escapes_and_cuts() {
        check("", "");
        check("plain name", "plain name");
        check("tab\there", "tab\\u{9}here");
        check("\u{1b}]52;c;aGk=\u{7}", "\\u{1b}]52;c;aGk=\\u{7}");
        check("back\\slash", "back\\\\slash");
        check("rtl\u{202e}txt", "rtl\\u{202e}txt");
        check("zwsp\u{200b}", "zwsp\\u{200b}");
        check("fine é 日本", "fine é 日本");
        let exactly = "y".repeat(UNTRUSTED_SHOWN_CHARS);
        check(&exactly, &exactly);
        check(
            &format!("{exactly}z"),
            &format!("{exactly}... (1 more bytes)"),
        );
    }

    #[test]
    fn bytes_decode_only_the_head() {
        let big = vec![b'a'; 10 << 20];
        let shown = Untrusted::bytes(&big).to_string();
        assert!(shown.len() < 128, "{}", shown.len());
        assert!(shown.ends_with(&format!("({} more bytes)", (10 << 20) - 64)));
        assert_eq!(
            Untrusted::bytes(b"\xff\x1b").to_string(),
            "\\u{fffd}\\u{1b}"
        );
    }
}
