//! The record of pushes: `push-record.json` in the data directory, what
//! `backup status` reads for this box's last attempt and last success.
//!
//! One JSON document (version 1), the attempts of each destination
//! (`CRED:PATH`, never a URL) newest last, at most [`KEEP_PER_DESTINATION`]
//! each and [`KEEP_DESTINATIONS`] destinations. It holds no secret (names,
//! times, sizes, error kinds), and is written like one anyway (0600, a
//! temporary file renamed into place) under the data directory's writer
//! lock, so two pushes at once both land.

use std::collections::BTreeMap;
use std::path::PathBuf;

use nascfg_remote::HostName;
use nascfg_store::DataDir;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The record's file name in the data directory.
pub const RECORD_FILE: &str = "push-record.json";
/// Attempts kept per destination (the oldest go first).
pub const KEEP_PER_DESTINATION: usize = 50;
/// Destinations kept (the one pushed to longest ago goes first).
pub const KEEP_DESTINATIONS: usize = 64;
/// The largest record read; a bigger file is not ours.
const MAX_RECORD: u64 = 4 << 20;

/// How a push attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// A bundle was uploaded and read back.
    Pushed,
    /// `--if-changed`, and the newest bundle there holds this configuration:
    /// the destination is as fresh as this attempt.
    Unchanged,
    /// The push failed.
    Failed,
}

impl Outcome {
    /// Whether the destination holds this box's configuration after it.
    pub fn succeeded(self) -> bool {
        match self {
            Outcome::Pushed | Outcome::Unchanged => true,
            Outcome::Failed => false,
        }
    }

    /// `pushed`, `unchanged`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pushed => "pushed",
            Outcome::Unchanged => "unchanged",
            Outcome::Failed => "failed",
        }
    }
}

/// One push attempt as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// The host in the bundle names (`--host`, or this box's).
    pub host: String,
    /// When it began (Unix seconds, UTC).
    pub started: i64,
    /// When it ended (Unix seconds, UTC).
    pub finished: i64,
    /// How it ended.
    pub outcome: Outcome,
    /// What kind of failure (`service`, `timed-out`, `bundle`, ...; see
    /// `Error::kind`), for a failed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    /// The bundle's size in bytes, for a pushed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// The bundle's name: the one pushed, or the newest one when unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
}

impl Attempt {
    /// Its duration in seconds.
    pub fn duration_seconds(&self) -> i64 {
        (self.finished - self.started).max(0)
    }
}

/// The whole record: attempts by destination.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRecord {
    version: u32,
    destinations: BTreeMap<String, Vec<Attempt>>,
}

impl PushRecord {
    /// The record of `dir`; empty when there is none yet (or it was lost
    /// with a box). A file that is not a record is an error that names it.
    pub fn load(dir: &DataDir) -> Result<PushRecord> {
        let path = record_path(dir);
        let damaged = |reason: String| Error::Record {
            path: path.clone(),
            reason,
        };
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PushRecord::empty()),
            Err(e) => return Err(damaged(e.to_string())),
        };
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_RECORD + 1), &mut bytes)
            .map_err(|e| damaged(e.to_string()))?;
        if bytes.len() as u64 > MAX_RECORD {
            return Err(damaged("larger than 4 MiB".to_owned()));
        }
        let record: PushRecord = serde_json::from_slice(&bytes)
            .map_err(|e| damaged(format!("not a push record ({e})")))?;
        if record.version != 1 {
            return Err(damaged(format!("unknown version {}", record.version)));
        }
        Ok(record)
    }

    pub(crate) fn empty() -> PushRecord {
        PushRecord {
            version: 1,
            destinations: BTreeMap::new(),
        }
    }

    /// The attempts at `destination` (`CRED:PATH`) of every host, oldest first.
    fn at(&self, destination: &str) -> &[Attempt] {
        self.destinations
            .get(destination)
            .map_or(&[], Vec::as_slice)
    }

    /// The last attempt at `destination` for `host`.
    pub fn last_attempt(&self, destination: &str, host: &HostName) -> Option<&Attempt> {
        self.at(destination)
            .iter()
            .rev()
            .find(|a| a.host == host.as_str())
    }

    /// The last successful attempt at `destination` for `host`.
    pub fn last_success(&self, destination: &str, host: &HostName) -> Option<&Attempt> {
        self.at(destination)
            .iter()
            .rev()
            .find(|a| a.host == host.as_str() && a.outcome.succeeded())
    }

    /// Adds `attempt` at `destination`, dropping the oldest beyond the bounds.
    pub(crate) fn add(&mut self, destination: &str, attempt: Attempt) {
        let list = self.destinations.entry(destination.to_owned()).or_default();
        list.push(attempt);
        if list.len() > KEEP_PER_DESTINATION {
            let extra = list.len() - KEEP_PER_DESTINATION;
            list.drain(..extra);
        }
        while self.destinations.len() > KEEP_DESTINATIONS {
            let stalest = self
                .destinations
                .iter()
                .min_by_key(|(_, list)| list.last().map_or(i64::MIN, |a| a.finished))
                .map(|(d, _)| d.clone())
                .expect("more than KEEP_DESTINATIONS destinations");
            self.destinations.remove(&stalest);
        }
    }
}

/// `push-record.json` in `dir`.
pub fn record_path(dir: &DataDir) -> PathBuf {
    dir.path().join(RECORD_FILE)
}

/// Records `attempt` at `destination` (`CRED:PATH`) in `dir`'s record, under
/// the writer lock, atomically (0600). A damaged record is replaced by one
/// that starts over: the destination keeps the truth (`backup status` reads
/// the newest bundle there).
pub fn record(dir: &DataDir, destination: &str, attempt: Attempt) -> Result<()> {
    let _guard = dir.lock()?;
    let mut record = PushRecord::load(dir).unwrap_or_else(|_| PushRecord::empty());
    record.add(destination, attempt);
    let text = serde_json::to_vec_pretty(&record).expect("a record serializes");
    let path = record_path(dir);
    nascfg_crypto::write_secret_file(&path, &text).map_err(|e| Error::Record {
        path,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(host: &str, at: i64, outcome: Outcome) -> Attempt {
        Attempt {
            host: host.to_owned(),
            started: at,
            finished: at + 3,
            outcome,
            error_kind: None,
            bytes: None,
            bundle: None,
        }
    }

    #[test]
    fn bounded_per_destination_and_in_destinations() {
        let mut r = PushRecord::empty();
        for i in 0..(KEEP_PER_DESTINATION as i64 + 10) {
            r.add("c:b/p", attempt("nas1", i, Outcome::Pushed));
        }
        let nas1 = HostName::parse("nas1").expect("a host");
        let kept: Vec<i64> = r
            .at("c:b/p")
            .iter()
            .filter(|a| a.host == nas1.as_str())
            .map(|a| a.started)
            .collect();
        assert_eq!(kept.len(), KEEP_PER_DESTINATION);
        assert_eq!(kept[0], 10);
        for d in 0..(KEEP_DESTINATIONS as i64 + 5) {
            r.add(
                &format!("c:b/{d}"),
                attempt("nas1", 1000 + d, Outcome::Pushed),
            );
        }
        assert_eq!(r.destinations.len(), KEEP_DESTINATIONS);
        assert!(
            r.destinations
                .contains_key(&format!("c:b/{}", KEEP_DESTINATIONS + 4))
        );
        assert!(
            !r.destinations.contains_key("c:b/p"),
            "the stalest went first"
        );
    }

    #[test]
    fn last_attempt_and_success_per_host() {
        let mut r = PushRecord::empty();
        r.add("d", attempt("nas1", 1, Outcome::Pushed));
        r.add("d", attempt("nas1", 2, Outcome::Unchanged));
        r.add("d", attempt("nas2", 3, Outcome::Pushed));
        r.add("d", attempt("nas1", 4, Outcome::Failed));
        let nas1 = HostName::parse("nas1").expect("a host");
        assert_eq!(r.last_attempt("d", &nas1).map(|a| a.started), Some(4));
        assert_eq!(r.last_success("d", &nas1).map(|a| a.started), Some(2));
        let nas3 = HostName::parse("nas3").expect("a host");
        assert!(r.last_attempt("d", &nas3).is_none());
        assert!(r.last_attempt("other", &nas1).is_none());
    }

    #[test]
    fn load_refuses_what_is_not_a_record() {
        let tmp = tempfile::tempdir().expect("a temp dir");
        let dir = DataDir::new(tmp.path().to_path_buf());
        assert_eq!(
            PushRecord::load(&dir).expect("none yet"),
            PushRecord::empty()
        );
        for (bytes, reason) in [
            (&b"{]"[..], "not a push record"),
            (br#"{"version":2,"destinations":{}}"#, "unknown version"),
        ] {
            std::fs::write(record_path(&dir), bytes).expect("write");
            let e = PushRecord::load(&dir).expect_err("refused");
            assert!(e.to_string().contains(reason), "{e}");
        }
        // Recording over a damaged record starts over.
        record(&dir, "c:b/p", attempt("nas1", 5, Outcome::Pushed)).expect("recorded");
        let r = PushRecord::load(&dir).expect("a record");
        let nas1 = HostName::parse("nas1").expect("a host");
        assert_eq!(r.last_success("c:b/p", &nas1).map(|a| a.started), Some(5));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(record_path(&dir))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
