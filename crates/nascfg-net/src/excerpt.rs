//! Turning a service's answer into a one-line excerpt, with secrets scrubbed.

/// What a scrubbed secret is replaced with (the same mark the credential model shows).
pub const REDACTED: &str = "********";

/// The longest excerpt kept, in characters.
const MAX_EXCERPT: usize = 300;

/// The first meaningful line of `text`: trimmed, not empty, not pure markup
/// (`<?xml ...?>`, `<html>`), at most 300 characters.
pub fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !is_markup_only(l))
        .unwrap_or("");
    truncate(line, MAX_EXCERPT)
}

fn is_markup_only(line: &str) -> bool {
    line.starts_with('<') && line.ends_with('>') && !line[1..].contains('<')
        || line.starts_with("<?xml")
        || line.eq_ignore_ascii_case("<!doctype html>")
}

/// Cuts `text` to at most `max` characters (on a character boundary), adding `...`.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((idx, _)) => format!("{}...", &text[..idx]),
        None => text.to_owned(),
    }
}

/// What a line becomes when it may hold a secret in a form that cannot be cut out of it.
pub const WITHHELD: &str = "(excerpt withheld: it may contain a secret)";

/// Secrets shorter than this (in characters) are never searched and replaced: a
/// line in which one appears, in any encoding, is withheld whole instead.
const SHORTEST_REPLACED: usize = 3;

/// `text` with `secrets` taken out, for a message a person or a log sees. A service
/// that echoes a request may put a secret back in any encoding, so:
///
/// 1. every secret of 3 characters or more is replaced by `********` wherever it
///    appears literally, HTML-escaped, percent-encoded (`%2F` or `%2f`, space as
///    `+` or `%20`) or JSON-escaped, in any ASCII case (longest first, so that a
///    secret containing another is replaced whole);
/// 2. then each line that still shows a secret (of any length) after undoing
///    percent, HTML and JSON escapes and ignoring case, or that holds a run of
///    base64 decoding (at any alignment) to bytes containing a secret, or an
///    `Authorization` header, an HTTP `Basic` credential or a `Bearer` token, is
///    replaced by "(excerpt withheld: it may contain a secret)".
///
/// A secret of 1 or 2 characters cannot be cut out of text ("a" is in most
/// words): a line where it appears is withheld. A line cut short ([`truncate`]'s
/// `...`) right after the first 3 or more characters of a secret, in any of the
/// forms of step 1, is withheld too.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    let mut variants: Vec<String> = secrets
        .iter()
        .filter(|s| s.chars().count() >= SHORTEST_REPLACED)
        .flat_map(|s| encodings(s))
        .collect();
    variants.sort_by_key(|v| std::cmp::Reverse(v.len()));
    variants.dedup();
    let mut out = text.to_owned();
    for variant in &variants {
        out = replace_ascii_case_insensitive(&out, variant, REDACTED);
    }
    let lowered: Vec<String> = secrets.iter().map(|s| s.to_lowercase()).collect();
    let lines: Vec<&str> = out.split('\n').collect();
    let withhold = |line: &str| leaks(line, &secrets, &lowered) || cut_in_a_secret(line, &variants);
    if !lines.iter().any(|l| withhold(l)) {
        return out;
    }
    lines
        .iter()
        .map(|l| if withhold(l) { WITHHELD } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `line` was cut ([`truncate`]) right after the start of one of `variants`.
fn cut_in_a_secret(line: &str, variants: &[String]) -> bool {
    let Some(head) = line.strip_suffix("...") else {
        return false;
    };
    let head = head.as_bytes();
    variants.iter().any(|v| {
        (SHORTEST_REPLACED..v.len()).any(|k| {
            v.is_char_boundary(k)
                && head.len() >= k
                && head[head.len() - k..].eq_ignore_ascii_case(&v.as_bytes()[..k])
        })
    })
}

/// The forms of `secret` that step 1 of [`scrub`] replaces.
fn encodings(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).expect("a string serializes");
    let json = json[1..json.len() - 1].to_owned();
    vec![
        secret.to_owned(),
        html_escape(secret),
        percent_encode(secret, "%20"),
        percent_encode(secret, "+"),
        json.replace('/', "\\/"),
        json,
    ]
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Every byte but RFC 3986's unreserved characters as `%XX`; a space as `space`.
fn percent_encode(text: &str, space: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push_str(space),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `text` with every ASCII-case-insensitive occurrence of `needle` replaced.
fn replace_ascii_case_insensitive(text: &str, needle: &str, with: &str) -> String {
    let (hay, pat) = (text.as_bytes(), needle.as_bytes());
    if pat.is_empty() || hay.len() < pat.len() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let (mut i, mut copied) = (0, 0);
    while i + pat.len() <= hay.len() {
        if hay[i..i + pat.len()].eq_ignore_ascii_case(pat) {
            // `needle` is UTF-8 and matches byte for byte up to ASCII case: the match
            // starts and ends on character boundaries.
            out.push_str(&text[copied..i]);
            out.push_str(with);
            i += pat.len();
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Whether `line` may still show one of `secrets` (`lowered`: the same, lower-cased).
fn leaks(line: &str, secrets: &[&str], lowered: &[String]) -> bool {
    if holds_credential_header(line) {
        return true;
    }
    if secrets.is_empty() {
        return false;
    }
    let mut forms = vec![line.to_owned()];
    for _ in 0..2 {
        let mut next = Vec::new();
        for form in &forms {
            next.push(percent_decode(form, true));
            next.push(percent_decode(form, false));
            next.push(html_unescape(form));
            next.push(json_unescape(form));
        }
        forms.extend(next);
        forms.sort();
        forms.dedup();
    }
    let shown = forms
        .iter()
        .map(|f| f.to_lowercase())
        .any(|f| lowered.iter().any(|s| f.contains(s.as_str())));
    shown || base64_runs_hold(line, secrets)
}

/// An `Authorization` header (`Authorization: ...`, `"authorization":`, `authorization=`),
/// an HTTP Basic credential (`Basic <base64 of user:password>`) or a `Bearer` token.
fn holds_credential_header(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    // `lower` has `line`'s byte offsets (ASCII lower-casing keeps lengths).
    let after = |word: &'static str| {
        lower
            .match_indices(word)
            .map(move |(at, _)| &line[at + word.len()..])
            .collect::<Vec<&str>>()
    };
    let header = after("authorization").into_iter().any(|rest| {
        rest.trim_start_matches(['"', '\'', ' ', '\t'])
            .starts_with([':', '='])
    });
    let basic = after("basic ").into_iter().any(|rest| {
        let run = base64_prefix(rest.trim_start());
        run.len() >= 4 && decode_base64(run).is_some_and(|d| d.contains(&b':'))
    });
    let bearer = after("bearer ")
        .into_iter()
        .any(|rest| token_prefix(rest.trim_start()).len() >= 16);
    header || basic || bearer
}

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
}

fn base64_prefix(text: &str) -> &str {
    let end = text
        .bytes()
        .position(|b| !is_base64_byte(b))
        .unwrap_or(text.len());
    &text[..end]
}

fn token_prefix(text: &str) -> &str {
    let end = text
        .bytes()
        .position(|b| !(is_base64_byte(b) || matches!(b, b'.' | b'~')))
        .unwrap_or(text.len());
    &text[..end]
}

/// Base64 (standard or URL-safe, padded or not) of `run`, as far as it decodes.
fn decode_base64(run: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    let mut body: String = run
        .trim_end_matches('=')
        .chars()
        .filter(|c| *c != '=')
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    if body.len() % 4 == 1 {
        body.pop();
    }
    LENIENT.decode(body).ok()
}

/// Whether a run of base64 characters in `line`, decoded from any of its first four
/// positions, holds one of `secrets`: the base64 of a secret, or of `user:secret`.
fn base64_runs_hold(line: &str, secrets: &[&str]) -> bool {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !is_base64_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let run = base64_prefix(&line[i..]);
        i += run.len();
        if run.len() < 4 {
            continue;
        }
        for start in 0..4.min(run.len()) {
            let Some(decoded) = decode_base64(&run[start..]) else {
                continue;
            };
            if secrets
                .iter()
                .any(|s| contains_bytes(&decoded, s.as_bytes()))
            {
                return true;
            }
        }
    }
    false
}

fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    needle.len() <= hay.len() && hay.windows(needle.len()).any(|w| w == needle)
}

fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(u8::try_from(h * 16 + l).expect("two hex digits are a byte"));
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn html_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let entity = rest[1..]
            .find(';')
            .filter(|end| *end <= 10)
            .map(|end| (&rest[1..=end], end + 2));
        let decoded = entity.and_then(|(name, len)| {
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                    .ok()
                    .and_then(char::from_u32),
                n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, len))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn json_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.clone().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(c) if hex.len() == 4 => {
                        out.push(c);
                        for _ in 0..4 {
                            chars.next();
                        }
                    }
                    _ => out.push_str("\\u"),
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_skips_markup_and_blanks() {
        assert_eq!(
            first_line("\n<?xml version=\"1.0\"?>\n<Error>\n  hello  \n"),
            "hello"
        );
        assert_eq!(first_line(""), "");
        assert_eq!(
            first_line("530 Login incorrect.\r\n"),
            "530 Login incorrect."
        );
    }

    #[test]
    fn truncate_is_char_safe() {
        assert_eq!(truncate("ééé", 2), "éé...");
        assert_eq!(truncate("ab", 2), "ab");
    }

    #[test]
    fn scrub_replaces_all_secrets() {
        assert_eq!(
            scrub("key abcdef and abc", &["abc", "abcdef", ""]),
            "key ******** and ********"
        );
        assert_eq!(scrub("a b", &["a"]), WITHHELD);
        assert_eq!(scrub("nothing here", &[""]), "nothing here");
    }

    /// A secret with characters every encoding changes.
    const SECRET: &str = "Pa55/w0rd+x y&z\"<'";

    fn b64(text: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    /// `text` scrubbed of [`SECRET`] (and a user name, which is no secret) is `expected`.
    fn check(text: &str, expected: &str) {
        assert_eq!(scrub(text, &[SECRET, "other-secret"]), expected, "{text}");
    }

    #[test]
    fn every_encoding_of_a_secret_is_scrubbed() {
        let r = REDACTED;
        // Replaced where it stands.
        check("denied: Pa55/w0rd+x y&z\"<'.", &format!("denied: {r}."));
        check("DENIED: PA55/W0RD+X Y&Z\"<'", &format!("DENIED: {r}"));
        check("denied: pa55/w0rd+x y&z\"<'", &format!("denied: {r}"));
        check("p=Pa55/w0rd+x y&amp;z&quot;&lt;&#39;!", &format!("p={r}!"));
        check("p=Pa55%2Fw0rd%2Bx%20y%26z%22%3C%27&q", &format!("p={r}&q"));
        check("p=pa55%2fw0rd%2bx%20y%26z%22%3c%27&q", &format!("p={r}&q"));
        check("p=Pa55%2Fw0rd%2Bx+y%26z%22%3C%27&q", &format!("p={r}&q"));
        check(
            r#"{"p":"Pa55\/w0rd+x y&z\"<'"}"#,
            &format!(r#"{{"p":"{r}"}}"#),
        );
        check(
            r#"{"p":"Pa55/w0rd+x y&z\"<'"}"#,
            &format!(r#"{{"p":"{r}"}}"#),
        );
        // Encodings it cannot cut out: the line is withheld, the others stay.
        check("p=Pa55&#x2F;w0rd+x y&#38;z&#34;&#60;&#x27;", WITHHELD);
        check("p=Pa55/w0rd%2Bx%20y&z\"<'", WITHHELD);
        check("p=Pa55%2Fw0rd%2Bx%20y%26z%22%3C'", WITHHELD);
        check(&format!("x-echo: {}", b64(SECRET)), WITHHELD);
        check(
            &format!("token={}", b64(&format!("bob:{SECRET}"))),
            WITHHELD,
        );
        check(&format!("xx{}yy", b64(&format!("ab:{SECRET}"))), WITHHELD);
        check(
            &format!(
                "401 Unauthorized\nAuthorization: Basic {}\nHost: x",
                b64(&format!("bob:{SECRET}"))
            ),
            &format!("401 Unauthorized\n{WITHHELD}\nHost: x"),
        );
    }

    #[test]
    fn credential_headers_are_withheld_even_without_a_known_secret() {
        for line in [
            "Authorization: Basic Ym9iOnNlY3JldA==",
            "authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request",
            r#"{"Authorization": "x"}"#,
            "echo: Basic Ym9iOnNlY3JldA==",
            "echo: bearer eyJhbGciOiJub25lIn0.e30.abcdefgh",
        ] {
            assert_eq!(scrub(line, &[]), WITHHELD, "{line}");
        }
        // Words that only look like one.
        for line in [
            "401 Unauthorized: invalid_token: The access token provided is invalid.",
            "AuthorizationHeaderMalformed: The authorization header is malformed",
            "authorization_pending",
            "WWW-Authenticate: Bearer realm=\"api\"",
            "Basic authentication failed",
        ] {
            assert_eq!(scrub(line, &["s3cr3t"]), line, "{line}");
        }
    }

    #[test]
    fn short_secrets_withhold_the_lines_they_may_be_in() {
        assert_eq!(scrub("login x1 refused", &["x1"]), WITHHELD);
        assert_eq!(scrub("login X1 refused", &["x1"]), WITHHELD);
        assert_eq!(scrub("refused\nplain", &["%"]), "refused\nplain");
        assert_eq!(scrub("a%25b\nplain", &["%"]), format!("{WITHHELD}\nplain"));
        assert_eq!(scrub(&format!("Basic {}", b64("u:z")), &["z"]), WITHHELD);
    }

    #[test]
    fn a_line_cut_inside_a_secret_is_withheld() {
        assert_eq!(scrub("denied: Pa5...", &[SECRET]), WITHHELD);
        assert_eq!(scrub("denied: PA55%2Fw...", &[SECRET]), WITHHELD);
        assert_eq!(scrub("denied: Pa...", &[SECRET]), "denied: Pa...");
        assert_eq!(scrub("denied: Pa5", &[SECRET]), "denied: Pa5");
    }

    #[test]
    fn scrub_never_panics_on_odd_text() {
        for text in [
            "%",
            "%%4",
            "&#xFFFFFFFF;",
            "&#;",
            "\\u12",
            "\\",
            "é%C3",
            "====",
            "basic ",
            "bearer",
        ] {
            let _ = scrub(text, &["é", "abc"]);
        }
    }
}
