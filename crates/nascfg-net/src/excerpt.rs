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

/// Replaces every occurrence of any of `secrets` in `text` with `********`.
/// Empty secrets and secrets shorter than 3 characters are not searched for
/// (they would blank out ordinary words); longest first, so that a secret
/// containing another is replaced whole.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut sorted: Vec<&str> = secrets.iter().copied().filter(|s| s.len() >= 3).collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_owned();
    for secret in sorted {
        if out.contains(secret) {
            out = out.replace(secret, REDACTED);
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
        assert_eq!(scrub("a b", &["a"]), "a b");
    }
}
