//! Watching a push: the record in the data directory and the
//! healthchecks.io pings. Neither ever decides the push: what fails here is
//! handed back as warnings.

use std::time::Duration;

use nascfg_remote::{BundleName, HostName, Location, PingUrl, Signal};
use nascfg_store::DataDir;
use time::OffsetDateTime;

use crate::error::Error;
use crate::push::PushOutcome;
use crate::record::{Attempt, Outcome, record};

/// How long one ping may take in all (connecting included).
pub const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// How a watched push ended.
#[derive(Debug, Clone, Copy)]
pub enum Ended<'a> {
    /// It pushed, or found the destination unchanged.
    Done(&'a PushOutcome),
    /// It failed: the kind of failure (`Error::kind`).
    Failed(&'static str),
}

/// A push being watched, from before the destination is reached to its end.
#[derive(Debug)]
pub struct Watch {
    data_dir: DataDir,
    destination: Location,
    host: HostName,
    ping: Option<PingUrl>,
    started: OffsetDateTime,
    warnings: Vec<Error>,
}

impl Watch {
    /// Starts watching a push of `host`'s bundle to `destination`: sends the
    /// `start` ping when `ping` is given.
    pub fn start(
        data_dir: &DataDir,
        destination: &Location,
        host: HostName,
        ping: Option<PingUrl>,
    ) -> Watch {
        let mut watch = Watch {
            data_dir: data_dir.clone(),
            destination: destination.clone(),
            host,
            ping,
            started: OffsetDateTime::now_utc(),
            warnings: Vec::new(),
        };
        let body = format!("nascfg backup push to {} started", watch.destination);
        watch.send(Signal::Start, &body);
        watch
    }

    fn send(&mut self, signal: Signal, body: &str) {
        if let Some(url) = &self.ping
            && let Err(e) = nascfg_remote::ping(url, signal, body, PING_TIMEOUT)
        {
            self.warnings.push(e.into());
        }
    }

    /// Records the attempt and sends the `success` or `fail` ping. Returns
    /// what went wrong doing so (a record not written, a ping not
    /// answered), for the caller to warn about.
    pub fn finish(mut self, ended: Ended<'_>) -> Vec<Error> {
        let finished = OffsetDateTime::now_utc();
        let destination = self.destination.to_string();
        let (outcome, error_kind, bytes, bundle) = match ended {
            Ended::Done(PushOutcome::Pushed(report)) => (
                Outcome::Pushed,
                None,
                Some(report.pushed.size),
                Some(report.pushed.name.clone()),
            ),
            Ended::Done(PushOutcome::Unchanged { newest }) => (
                Outcome::Unchanged,
                None,
                None,
                newest.rsplit('/').next().map(str::to_owned),
            ),
            Ended::Failed(kind) => (Outcome::Failed, Some(kind.to_owned()), None, None),
        };
        // The host the bundle carries (a bundle file pushed as it is keeps its own).
        let host = bundle
            .as_deref()
            .and_then(BundleName::parse)
            .map_or_else(|| self.host.to_string(), |b| b.host().to_owned());
        let body = match (outcome, &bundle) {
            (Outcome::Pushed, Some(name)) => format!(
                "nascfg backup push: pushed {name} ({} bytes) to {destination}",
                bytes.unwrap_or(0)
            ),
            (Outcome::Unchanged, _) => {
                format!("nascfg backup push: {destination} unchanged, nothing pushed")
            }
            (Outcome::Pushed, None) | (Outcome::Failed, _) => format!(
                "nascfg backup push to {destination} failed ({})",
                error_kind.as_deref().unwrap_or("unknown")
            ),
        };
        let attempt = Attempt {
            host,
            started: self.started.unix_timestamp(),
            finished: finished.unix_timestamp(),
            outcome,
            error_kind,
            bytes,
            bundle,
        };
        if let Err(e) = record(&self.data_dir, &destination, attempt) {
            self.warnings.push(e);
        }
        let signal = if outcome.succeeded() {
            Signal::Success
        } else {
            Signal::Fail
        };
        self.send(signal, &body);
        self.warnings
    }

    /// What went wrong so far (the `start` ping).
    pub fn take_warnings(&mut self) -> Vec<Error> {
        std::mem::take(&mut self.warnings)
    }
}
