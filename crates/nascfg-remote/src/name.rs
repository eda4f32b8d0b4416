//! The names of pushed bundles: `nascfg-<host>-<YYYYmmddTHHMMSSZ>[-N].tar.gz[.age]`,
//! as `backup export` names its files. Only names that parse are bundles to
//! `list` and `prune`; everything else at a location is left alone.

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// How far after now a bundle's name may be dated and still be ours: a box
/// whose clock runs ahead of this one's (NTP not yet synced after boot), or of
/// the storage's. A name dated later is junk we did not make (a planted object,
/// or a box with a broken clock): listed apart, never a host's newest, never
/// kept in place of a real bundle, never deleted by `prune`.
pub const CLOCK_SKEW: Duration = Duration::hours(1);

/// A bundle's name, parsed: the host, the UTC time, the sequence number of a
/// same-second duplicate, whether it is passphrase-protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleName {
    name: String,
    host: String,
    created: OffsetDateTime,
    sequence: u32,
    encrypted: bool,
}

impl BundleName {
    /// Parses a file name; `None` for anything that is not a bundle's name.
    pub fn parse(name: &str) -> Option<BundleName> {
        let (rest, encrypted) = match name.strip_suffix(".age") {
            Some(rest) => (rest, true),
            None => (name, false),
        };
        let rest = rest.strip_prefix("nascfg-")?.strip_suffix(".tar.gz")?;
        let (head, tail) = rest.rsplit_once('-')?;
        let (host, stamp, sequence) = match parse_stamp(tail) {
            Some(stamp) => (head, stamp, 0),
            None => {
                if tail.is_empty() || !tail.bytes().all(|b| b.is_ascii_digit()) || tail.len() > 9 {
                    return None;
                }
                let (host, stamp) = head.rsplit_once('-')?;
                (host, parse_stamp(stamp)?, tail.parse().ok()?)
            }
        };
        if !HostName::allowed(host) {
            return None;
        }
        Some(BundleName {
            name: name.to_owned(),
            host: host.to_owned(),
            created: stamp,
            sequence,
            encrypted,
        })
    }

    /// The file name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The host that pushed it.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// When it was written (UTC, to the second).
    pub fn created(&self) -> OffsetDateTime {
        self.created
    }

    /// `1`, `2`, ... for the second and later bundle of the same second; `0` otherwise.
    pub fn sequence(&self) -> u32 {
        self.sequence
    }

    /// Whether the name says it is passphrase-protected (`.age`).
    pub fn encrypted(&self) -> bool {
        self.encrypted
    }

    /// Whether the name is dated more than `skew` after `now` ([`CLOCK_SKEW`]
    /// is the skew nascfg allows): such a bundle is not trusted to be ours.
    pub fn is_future(&self, now: OffsetDateTime, skew: Duration) -> bool {
        self.created > now + skew
    }

    /// Orders newest first: by time, then sequence, then name (descending).
    pub fn newest_first(a: &BundleName, b: &BundleName) -> std::cmp::Ordering {
        (b.created, b.sequence, &b.name).cmp(&(a.created, a.sequence, &a.name))
    }
}

/// The host part of bundle names: what `backup push --host` sets and `list`,
/// `status` and `prune --host` select. ASCII letters, digits, `-`, `.` and `_`,
/// 1 to 64 characters (as `backup export` cuts them), so every name a push makes parses back to it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostName(String);

impl HostName {
    /// The longest host name accepted (`backup export` cuts this box's there).
    pub const MAX_LEN: usize = 64;

    /// `name` as a host name; `Err` says what is wrong with it.
    pub fn parse(name: &str) -> Result<HostName, String> {
        if name.is_empty() {
            Err("a host name cannot be empty".to_owned())
        } else if name.len() > HostName::MAX_LEN {
            Err(format!(
                "a host name has at most {} characters",
                HostName::MAX_LEN
            ))
        } else if HostName::allowed(name) {
            Ok(HostName(name.to_owned()))
        } else {
            Err("a host name holds only ASCII letters, digits, '-', '.' and '_'".to_owned())
        }
    }

    /// This box's host name as bundle names carry it: the system's, with any
    /// character a name cannot hold replaced by `_` (`box` when it has none).
    pub fn this_box(system: &str) -> HostName {
        let cleaned: String = system
            .chars()
            .take(HostName::MAX_LEN)
            .map(|c| if HostName::allowed_char(c) { c } else { '_' })
            .collect();
        HostName::parse(&cleaned).unwrap_or_else(|_| HostName("box".to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What a listed name's host may hold (any length: names made elsewhere are still listed).
    fn allowed(name: &str) -> bool {
        !name.is_empty() && name.chars().all(HostName::allowed_char)
    }

    fn allowed_char(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')
    }
}

impl std::fmt::Display for HostName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `YYYYmmddTHHMMSSZ`.
fn parse_stamp(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(range)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let date = Date::from_calendar_date(
        i32::try_from(digits(0..4)?).ok()?,
        Month::try_from(u8::try_from(digits(4..6)?).ok()?).ok()?,
        u8::try_from(digits(6..8)?).ok()?,
    )
    .ok()?;
    let time = Time::from_hms(
        u8::try_from(digits(9..11)?).ok()?,
        u8::try_from(digits(11..13)?).ok()?,
        u8::try_from(digits(13..15)?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, expected: Option<(&str, &str, u32, bool)>) {
        let got = BundleName::parse(name);
        let got = got.as_ref().map(|b| {
            (
                b.host().to_owned(),
                b.created()
                    .format(&time::format_description::well_known::Rfc3339)
                    .expect("formats"),
                b.sequence(),
                b.encrypted(),
            )
        });
        let expected = expected.map(|(h, t, s, e)| (h.to_owned(), t.to_owned(), s, e));
        assert_eq!(got, expected, "{name}");
    }

    #[test]
    fn parse() {
        check(
            "nascfg-nas1-20261201T101500Z.tar.gz",
            Some(("nas1", "2026-12-01T10:15:00Z", 0, false)),
        );
        check(
            "nascfg-my-nas.lan-20261201T101500Z-2.tar.gz.age",
            Some(("my-nas.lan", "2026-12-01T10:15:00Z", 2, true)),
        );
        check(
            "nascfg-a-1-20260101T000000Z.tar.gz",
            Some(("a-1", "2026-01-01T00:00:00Z", 0, false)),
        );
        check("nascfg-nas1-20261301T101500Z.tar.gz", None);
        check("nascfg-nas1-20261201T101500Z.tar", None);
        check("nascfg--20261201T101500Z.tar.gz", None);
        check("nascfg-20261201T101500Z.tar.gz", None);
        check("notes.txt", None);
        check(".nascfg-nas1-20261201T101500Z.tar.gz.partial", None);
        check("nascfg-nas1-20261201T101500Z-x.tar.gz", None);
        check("nascfg-nas/1-20261201T101500Z.tar.gz", None);
    }

    #[test]
    fn future_names_beyond_the_skew() {
        let now = time::macros::datetime!(2026-12-01 10:00 UTC);
        let future = |name: &str| {
            BundleName::parse(name)
                .expect("a bundle name")
                .is_future(now, CLOCK_SKEW)
        };
        assert!(!future("nascfg-h1-20261201T100000Z.tar.gz"));
        assert!(
            !future("nascfg-h1-20261201T110000Z.tar.gz"),
            "within the skew"
        );
        assert!(future("nascfg-h1-20261201T110001Z.tar.gz"));
        assert!(future("nascfg-h1-20991231T235959Z.tar.gz"));
        assert!(!future("nascfg-h1-19700101T000000Z.tar.gz"));
    }

    #[test]
    fn host_names() {
        assert_eq!(
            HostName::parse("nas-1.lan_2").map(|h| h.to_string()),
            Ok("nas-1.lan_2".to_owned())
        );
        for bad in ["", "a b", "nas/1", "n\u{e4}s", &"x".repeat(65)] {
            assert!(HostName::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(HostName::this_box("my nas\n").as_str(), "my_nas_");
        assert_eq!(HostName::this_box("").as_str(), "box");
        assert_eq!(HostName::this_box(&"y".repeat(100)).as_str().len(), 64);
    }
}
