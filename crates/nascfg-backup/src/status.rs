//! `backup status`: how fresh this box's backups are, or every host's at a
//! destination, against two ages, in the Nagios/Icinga levels.
//!
//! Two sources: the record of pushes in the data directory (this box's last
//! attempt and last success) and the destination's listing (the newest
//! bundle of each host, the truth when the record was lost with a box). The
//! listing is folded as it streams into one [`HostSummary`] per host.

use std::collections::BTreeMap;
use std::time::Duration;

use nascfg_remote::{BundleName, HostName, Location, Storage};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::record::{Attempt, PushRecord};

/// The age past which a backup is a WARNING when `--warn-age` is not given.
pub const DEFAULT_WARN_AGE: Duration = Duration::from_secs(26 * 3600);
/// The age past which a backup is CRITICAL when `--max-age` is not given.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(48 * 3600);
/// The longest age accepted (ten years).
const MAX_DURATION: Duration = Duration::from_secs(10 * 366 * 86_400);

/// The Nagios/Icinga levels, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Fresh enough.
    Ok,
    /// Older than the warning age, or the last push failed, or the
    /// destination could not be read (the record says it was fresh).
    Warning,
    /// Older than the maximum age, or no backup at all.
    Critical,
    /// Nothing can be told: the destination is unreachable and there is no record.
    Unknown,
}

impl Level {
    /// `OK`, `WARNING`, `CRITICAL`, `UNKNOWN`.
    pub fn label(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warning => "WARNING",
            Level::Critical => "CRITICAL",
            Level::Unknown => "UNKNOWN",
        }
    }

    /// The worse of two levels.
    fn worst(self, other: Level) -> Level {
        self.max(other)
    }
}

/// Parses a duration as `backup status --max-age` takes it: a number and a
/// unit, `s`, `m`, `h`, `d` or `w` (`90m`, `26h`, `2d`), or several
/// (`1d12h`). Ten years at most.
pub fn parse_age(text: &str) -> std::result::Result<Duration, String> {
    let usage = || format!("{text:?} is not an age: give a number and a unit, e.g. 90m, 26h, 2d");
    let mut total: u64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(usage());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 12 {
            return Err(usage());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| usage())?;
        rest = &rest[digits..];
        let unit = rest.chars().next().ok_or_else(usage)?;
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(usage()),
        };
        rest = &rest[unit.len_utf8()..];
        total = number
            .checked_mul(seconds)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(usage)?;
    }
    if total == 0 {
        return Err(format!("{text:?}: an age must be more than zero"));
    }
    if total > MAX_DURATION.as_secs() {
        return Err(format!("{text:?}: an age is at most ten years"));
    }
    Ok(Duration::from_secs(total))
}

/// `26h`, `2d3h`, `90s`: an age as [`parse_age`] reads it back.
pub fn format_age(age: Duration) -> String {
    let mut s = age.as_secs();
    if s == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if s >= size {
            out.push_str(&format!("{}{unit}", s / size));
            s %= size;
        }
    }
    out
}

/// The two ages a backup is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ages {
    warn: Duration,
    max: Duration,
}

impl Ages {
    /// `warn` (default the smaller of 26 hours and `max`) and `max` (default
    /// 48 hours, or `warn` when only that is given); `warn` above `max` is refused.
    pub fn new(warn: Option<Duration>, max: Option<Duration>) -> std::result::Result<Ages, String> {
        let (warn, max) = match (warn, max) {
            (Some(w), Some(m)) => (w, m),
            (Some(w), None) => (w, DEFAULT_MAX_AGE.max(w)),
            (None, Some(m)) => (DEFAULT_WARN_AGE.min(m), m),
            (None, None) => (DEFAULT_WARN_AGE, DEFAULT_MAX_AGE),
        };
        if warn > max {
            return Err(format!(
                "--warn-age {} is above --max-age {}",
                format_age(warn),
                format_age(max)
            ));
        }
        Ok(Ages { warn, max })
    }

    /// Past this age a backup is a WARNING.
    pub fn warn(&self) -> Duration {
        self.warn
    }

    /// Past this age a backup is CRITICAL.
    pub fn max(&self) -> Duration {
        self.max
    }

    fn level(&self, age: Duration) -> Level {
        if age > self.max {
            Level::Critical
        } else if age > self.warn {
            Level::Warning
        } else {
            Level::Ok
        }
    }
}

impl Default for Ages {
    fn default() -> Ages {
        Ages {
            warn: DEFAULT_WARN_AGE,
            max: DEFAULT_MAX_AGE,
        }
    }
}

/// Whether a bundle named `created` is dated too far in the future to count
/// as fresh at `now`: the rule prune and push use too (more than
/// [`nascfg_remote::CLOCK_SKEW`] ahead, [`nascfg_remote::BundleName::is_future`]).
pub fn dated_in_the_future(created: OffsetDateTime, now: OffsetDateTime) -> bool {
    created > now + nascfg_remote::CLOCK_SKEW
}

/// A host's newest bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Newest {
    /// Its name.
    pub name: String,
    /// When it was made (from its name).
    pub created: OffsetDateTime,
    /// Its size in bytes.
    pub size: u64,
}

/// One host's bundles at a destination, folded from the listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSummary {
    /// The host (from the names: untrusted text, shown escaped).
    pub host: String,
    /// How many bundles it has there.
    pub count: u64,
    /// Its newest bundle not dated in the future.
    pub newest: Option<Newest>,
    /// How many of its bundles are dated in the future (never counted fresh).
    pub future_dated: u64,
}

impl HostSummary {
    fn new(host: &str) -> HostSummary {
        HostSummary {
            host: host.to_owned(),
            count: 0,
            newest: None,
            future_dated: 0,
        }
    }

    fn add(&mut self, bundle: &BundleName, size: u64, now: OffsetDateTime) {
        self.count += 1;
        if dated_in_the_future(bundle.created(), now) {
            self.future_dated += 1;
            return;
        }
        let newer = match &self.newest {
            None => true,
            Some(n) => {
                let current = BundleName::parse(&n.name).expect("a kept newest name parsed before");
                BundleName::newest_first(bundle, &current).is_lt()
            }
        };
        if newer {
            self.newest = Some(Newest {
                name: bundle.name().to_owned(),
                created: bundle.created(),
                size,
            });
        }
    }
}

/// Which hosts' bundles a command looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hosts {
    /// One host's (`--host NAME`, or this box's).
    One(HostName),
    /// Every host's (`--all-hosts`).
    All,
}

impl Hosts {
    /// Whether `bundle` is one of them.
    pub fn includes(&self, bundle: &BundleName) -> bool {
        match self {
            Hosts::One(h) => bundle.host() == h.as_str(),
            Hosts::All => true,
        }
    }
}

/// Walks the listing of `storage` once, as it streams, into one summary per
/// host of `hosts` (sorted by host). Only the summaries are held, never the
/// names: 30,000 objects of 1,000 hosts take 1,000 summaries.
pub fn summarize(
    storage: &Storage,
    hosts: &Hosts,
    now: OffsetDateTime,
) -> Result<BTreeMap<String, HostSummary>> {
    let mut out: BTreeMap<String, HostSummary> = BTreeMap::new();
    storage.for_each_object(&mut |object| {
        let Some(bundle) = BundleName::parse(&object.name) else {
            return;
        };
        if !hosts.includes(&bundle) {
            return;
        }
        match out.get_mut(bundle.host()) {
            Some(summary) => summary.add(&bundle, object.size, now),
            None => {
                let mut summary = HostSummary::new(bundle.host());
                summary.add(&bundle, object.size, now);
                out.insert(bundle.host().to_owned(), summary);
            }
        }
    })?;
    Ok(out)
}

/// What the destination said: its summary of the host, or why it could not be read.
#[derive(Debug)]
pub enum Seen {
    /// Listed (a host without bundles there has a count of 0).
    Listed(HostSummary),
    /// The destination could not be opened or listed.
    Unreachable(Error),
}

/// This box's (or one host's) backups at a destination.
#[derive(Debug)]
pub struct BoxStatus {
    /// `CRED:PATH`.
    pub destination: String,
    /// The host.
    pub host: HostName,
    /// The last recorded attempt.
    pub last_attempt: Option<Attempt>,
    /// The last recorded success.
    pub last_success: Option<Attempt>,
    /// What the destination holds.
    pub seen: Seen,
    /// When the configuration was last known safe at the destination: the
    /// later of the last success and the newest bundle's time.
    pub fresh_at: Option<OffsetDateTime>,
    /// The age of that at the time of the check.
    pub age: Option<Duration>,
    /// The verdict.
    pub level: Level,
    /// Why, in words (the first says the most).
    pub reasons: Vec<String>,
}

/// Judges `host`'s backups at `destination` from the record and what the
/// destination showed, at `now`.
pub fn box_status(
    record: &PushRecord,
    destination: &Location,
    host: &HostName,
    seen: Seen,
    ages: Ages,
    now: OffsetDateTime,
) -> BoxStatus {
    let destination = destination.to_string();
    let last_attempt = record.last_attempt(&destination, host).cloned();
    let last_success = record.last_success(&destination, host).cloned();
    let recorded = last_success
        .as_ref()
        .and_then(|a| OffsetDateTime::from_unix_timestamp(a.finished).ok())
        .filter(|t| !dated_in_the_future(*t, now));
    let named = match &seen {
        Seen::Listed(summary) => summary.newest.as_ref().map(|n| n.created),
        Seen::Unreachable(_) => None,
    };
    let fresh_at = recorded.max(named);
    let age = fresh_at.map(|t| age_at(t, now));
    let mut reasons = Vec::new();
    let mut level = match age {
        Some(age) => {
            let level = ages.level(age);
            reasons.push(format!(
                "last backup {} ago{}",
                format_age(age),
                match level {
                    Level::Ok => String::new(),
                    Level::Warning => format!(" (warning after {})", format_age(ages.warn)),
                    Level::Critical | Level::Unknown => {
                        format!(" (critical after {})", format_age(ages.max))
                    }
                }
            ));
            level
        }
        None => match &seen {
            Seen::Unreachable(_) => {
                reasons.push("the destination cannot be read and no push is recorded".to_owned());
                Level::Unknown
            }
            Seen::Listed(_) => {
                reasons.push(format!(
                    "no bundle of host {host} and no successful push recorded"
                ));
                Level::Critical
            }
        },
    };
    if let Some(last) = &last_attempt
        && !last.outcome.succeeded()
    {
        reasons.push(format!(
            "the last push failed ({})",
            last.error_kind.as_deref().unwrap_or("unknown")
        ));
        level = level.worst(Level::Warning);
    }
    match &seen {
        Seen::Unreachable(e) => {
            if level != Level::Unknown {
                reasons.push(format!("the destination cannot be read: {e}"));
                level = level.worst(Level::Warning);
            }
        }
        Seen::Listed(summary) => {
            if summary.future_dated > 0 {
                reasons.push(format!(
                    "{} bundle(s) dated in the future (not counted)",
                    summary.future_dated
                ));
            }
        }
    }
    BoxStatus {
        destination,
        host: host.clone(),
        last_attempt,
        last_success,
        seen,
        fresh_at,
        age,
        level,
        reasons,
    }
}

/// One host in the fleet view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetHost {
    /// Its bundles.
    pub summary: HostSummary,
    /// Its newest bundle's age.
    pub age: Option<Duration>,
    /// The verdict on it.
    pub level: Level,
}

/// Every host's backups at a destination (`--all-hosts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetStatus {
    /// `CRED:PATH`.
    pub destination: String,
    /// Each host with bundles there, by name.
    pub hosts: Vec<FleetHost>,
    /// The worst host's level; CRITICAL when there are no bundles at all.
    pub level: Level,
}

impl FleetStatus {
    /// How many hosts are at each level: OK, WARNING, CRITICAL.
    pub fn counts(&self) -> [usize; 3] {
        let n = |l| self.hosts.iter().filter(|h| h.level == l).count();
        [n(Level::Ok), n(Level::Warning), n(Level::Critical)]
    }
}

/// Judges every host in `summaries` against `ages` at `now`.
pub fn fleet_status(
    destination: &Location,
    summaries: BTreeMap<String, HostSummary>,
    ages: Ages,
    now: OffsetDateTime,
) -> FleetStatus {
    let hosts: Vec<FleetHost> = summaries
        .into_values()
        .map(|summary| {
            let age = summary.newest.as_ref().map(|n| age_at(n.created, now));
            let level = age.map_or(Level::Critical, |a| ages.level(a));
            FleetHost {
                summary,
                age,
                level,
            }
        })
        .collect();
    let level = hosts
        .iter()
        .map(|h| h.level)
        .max()
        .unwrap_or(Level::Critical);
    FleetStatus {
        destination: destination.to_string(),
        hosts,
        level,
    }
}

fn age_at(t: OffsetDateTime, now: OffsetDateTime) -> Duration {
    Duration::from_secs(u64::try_from((now - t).whole_seconds()).unwrap_or(0))
}

/// The node_exporter textfile-collector text of a status: the six metrics,
/// labelled by `destination` and `host`, with HELP and TYPE lines.
pub fn prometheus_text(status: &StatusReport) -> String {
    let mut rows: Vec<(&str, String, String, f64)> = Vec::new();
    let mut push = |metric: &'static str, destination: &str, host: &str, value: f64| {
        rows.push((metric, destination.to_owned(), host.to_owned(), value));
    };
    match status {
        StatusReport::Box(b) => {
            let (d, h) = (b.destination.as_str(), b.host.as_str());
            if let Some(t) = b.fresh_at {
                push(SUCCESS, d, h, t.unix_timestamp() as f64);
            }
            if let Some(a) = &b.last_attempt {
                push(ATTEMPT, d, h, a.finished as f64);
                push(STATUS, d, h, if a.outcome.succeeded() { 1.0 } else { 0.0 });
                push(DURATION, d, h, a.duration_seconds() as f64);
            }
            let newest_size = match &b.seen {
                Seen::Listed(s) => {
                    push(BUNDLES, d, h, s.count as f64);
                    s.newest.as_ref().map(|n| n.size)
                }
                Seen::Unreachable(_) => None,
            };
            if let Some(bytes) = b
                .last_success
                .as_ref()
                .and_then(|a| a.bytes)
                .or(newest_size)
            {
                push(BYTES, d, h, bytes as f64);
            }
        }
        StatusReport::Fleet(f) => {
            for host in &f.hosts {
                let (d, h) = (f.destination.as_str(), host.summary.host.as_str());
                if let Some(n) = &host.summary.newest {
                    push(SUCCESS, d, h, n.created.unix_timestamp() as f64);
                    push(BYTES, d, h, n.size as f64);
                }
                push(BUNDLES, d, h, host.summary.count as f64);
            }
        }
    }
    let mut out = String::new();
    for (metric, help) in METRICS {
        let mine: Vec<_> = rows.iter().filter(|r| r.0 == metric).collect();
        if mine.is_empty() {
            continue;
        }
        out.push_str(&format!("# HELP {metric} {help}\n# TYPE {metric} gauge\n"));
        for (_, destination, host, value) in mine {
            out.push_str(&format!(
                "{metric}{{destination=\"{}\",host=\"{}\"}} {value}\n",
                label_value(destination),
                label_value(host)
            ));
        }
    }
    out
}

const SUCCESS: &str = "nascfg_backup_last_success_timestamp_seconds";
const ATTEMPT: &str = "nascfg_backup_last_attempt_timestamp_seconds";
const STATUS: &str = "nascfg_backup_last_status";
const DURATION: &str = "nascfg_backup_last_duration_seconds";
const BYTES: &str = "nascfg_backup_last_bytes";
const BUNDLES: &str = "nascfg_backup_bundles";
const METRICS: [(&str, &str); 6] = [
    (
        SUCCESS,
        "When the configuration was last known safe at the destination (a push, or the newest bundle's name).",
    ),
    (ATTEMPT, "When the last push attempt ended."),
    (
        STATUS,
        "Whether the last push attempt succeeded (1) or failed (0).",
    ),
    (DURATION, "How long the last push attempt took."),
    (
        BYTES,
        "The size of the last bundle pushed, or of the newest bundle there.",
    ),
    (
        BUNDLES,
        "How many bundles of the host are at the destination.",
    ),
];

/// A label value in the exposition format: `\`, `"` and newlines escaped.
fn label_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// What `backup status` found: one host's status, or the fleet's.
#[derive(Debug)]
pub enum StatusReport {
    /// One host (`--host`, or this box).
    Box(Box<BoxStatus>),
    /// Every host (`--all-hosts`).
    Fleet(FleetStatus),
}

impl StatusReport {
    /// The verdict.
    pub fn level(&self) -> Level {
        match self {
            StatusReport::Box(b) => b.level,
            StatusReport::Fleet(f) => f.level,
        }
    }
}

/// Writes `text` to `path` as the textfile collector wants it: a temporary
/// file beside it (a name node_exporter skips, not ending in `.prom`), 0644,
/// then renamed over `path`, so the collector never reads half a file.
pub fn write_textfile(path: &std::path::Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;
    let failed = |e: std::io::Error| Error::WriteFile {
        path: path.to_owned(),
        source: e,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".nascfg-status-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(failed)?;
    tmp.write_all(text.as_bytes()).map_err(failed)?;
    tmp.as_file().sync_all().map_err(failed)?;
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644)).map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Outcome;

    #[test]
    fn ages_parse() {
        let check = |text: &str, expected: Option<u64>| {
            assert_eq!(
                parse_age(text).ok().map(|d| d.as_secs()),
                expected,
                "{text}"
            );
        };
        check("26h", Some(26 * 3600));
        check("2d", Some(2 * 86_400));
        check("90m", Some(5400));
        check("1d12h", Some(36 * 3600));
        check("45s", Some(45));
        check("1w", Some(7 * 86_400));
        for junk in [
            "",
            "h",
            "26",
            "26x",
            "-1h",
            "1.5h",
            "0h",
            "99999999999999h",
            "3700d",
            "1 h",
            "26H",
        ] {
            check(junk, None);
        }
        assert_eq!(format_age(Duration::from_secs(36 * 3600 + 61)), "1d12h1m1s");
        assert!(Ages::new(Some(Duration::from_secs(10)), Some(Duration::from_secs(5))).is_err());
        let only_max = Ages::new(None, Some(Duration::from_secs(3600))).expect("ages");
        assert_eq!(only_max.warn(), Duration::from_secs(3600));
    }

    fn at(stamp: &str) -> OffsetDateTime {
        OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
            .expect("a time")
    }

    fn summary(host: &str, names: &[&str], now: OffsetDateTime) -> HostSummary {
        let mut s = HostSummary::new(host);
        for n in names {
            s.add(&BundleName::parse(n).expect("a name"), 7, now);
        }
        s
    }

    fn check(record: &[(i64, Outcome)], seen: Option<&[&str]>, expected: Level, reason: &str) {
        let now = at("2026-12-06T12:00:00Z");
        let host = HostName::parse("nas1").expect("a host");
        let location = Location::parse("c:b/p").expect("a location");
        let mut r = PushRecord::empty();
        for (hours_ago, outcome) in record {
            let t = now.unix_timestamp() - hours_ago * 3600;
            r.add(
                "c:b/p",
                Attempt {
                    host: "nas1".into(),
                    started: t - 5,
                    finished: t,
                    outcome: *outcome,
                    error_kind: (!outcome.succeeded()).then(|| "service".into()),
                    bytes: None,
                    bundle: None,
                },
            );
        }
        let seen = match seen {
            Some(names) => Seen::Listed(summary("nas1", names, now)),
            None => Seen::Unreachable(Error::ExportPanicked),
        };
        let got = box_status(&r, &location, &host, seen, Ages::default(), now);
        assert_eq!(got.level, expected, "{:?}", got.reasons);
        assert!(
            got.reasons.iter().any(|r| r.contains(reason)),
            "{reason:?} not in {:?}",
            got.reasons
        );
    }

    #[test]
    fn levels() {
        use Outcome::*;
        let fresh = "nascfg-nas1-20261206T100000Z.tar.gz";
        let day_old = "nascfg-nas1-20261205T060000Z.tar.gz";
        let old = "nascfg-nas1-20261201T000000Z.tar.gz";
        let future = "nascfg-nas1-20270101T000000Z.tar.gz";
        check(&[], Some(&[fresh, old]), Level::Ok, "2h ago");
        check(&[], Some(&[day_old]), Level::Warning, "warning after 1d2h");
        check(&[], Some(&[old]), Level::Critical, "critical after 2d");
        check(&[], Some(&[]), Level::Critical, "no bundle");
        check(&[], None, Level::Unknown, "no push is recorded");
        // A future-dated name never counts as fresh.
        check(
            &[],
            Some(&[future, old]),
            Level::Critical,
            "dated in the future",
        );
        // The record: an unchanged push keeps an old bundle fresh.
        check(&[(1, Unchanged)], Some(&[old]), Level::Ok, "1h ago");
        check(
            &[(3, Pushed), (1, Failed)],
            Some(&[fresh]),
            Level::Warning,
            "last push failed",
        );
        check(&[(1, Pushed)], None, Level::Warning, "cannot be read");
        check(&[(100, Pushed)], None, Level::Critical, "critical after");
    }

    #[test]
    fn fleet() {
        let now = at("2026-12-06T12:00:00Z");
        let mut all = BTreeMap::new();
        all.insert(
            "a".to_owned(),
            summary("a", &["nascfg-a-20261206T100000Z.tar.gz"], now),
        );
        all.insert(
            "b".to_owned(),
            summary("b", &["nascfg-b-20261201T100000Z.tar.gz"], now),
        );
        all.insert(
            "c".to_owned(),
            summary("c", &["nascfg-c-20291201T100000Z.tar.gz"], now),
        );
        let location = Location::parse("c:b").expect("a location");
        let f = fleet_status(&location, all, Ages::default(), now);
        let levels: Vec<_> = f
            .hosts
            .iter()
            .map(|h| (h.summary.host.as_str(), h.level))
            .collect();
        assert_eq!(
            levels,
            [
                ("a", Level::Ok),
                ("b", Level::Critical),
                ("c", Level::Critical)
            ]
        );
        assert_eq!(f.level, Level::Critical);
        let text = prometheus_text(&StatusReport::Fleet(f));
        assert!(
            text.contains("nascfg_backup_bundles{destination=\"c:b\",host=\"c\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE nascfg_backup_last_success_timestamp_seconds gauge\n"));
        assert_eq!(label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
