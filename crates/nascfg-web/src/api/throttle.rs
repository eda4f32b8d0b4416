//! Failed logins, slowed down per peer address: the n-th failure in a row
//! (within [`WINDOW`]) is answered after `n` × [`STEP`], at most [`MAX_DELAY`];
//! a success clears the peer's count. Every failure is counted in the audit log.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The delay added per failure in a row.
const STEP: Duration = Duration::from_millis(250);
/// The longest delay.
const MAX_DELAY: Duration = Duration::from_secs(5);
/// Failures older than this are forgotten.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Peers remembered at most (the oldest are dropped past this).
const MAX_PEERS: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct Throttle {
    failures: Mutex<HashMap<Option<IpAddr>, (u32, Instant)>>,
}

impl Throttle {
    /// Records a failure of `peer`; returns how long to wait before answering
    /// and how many failures in a row it has made.
    pub(crate) fn failed(&self, peer: Option<IpAddr>) -> (Duration, u32) {
        let mut map = self
            .failures
            .lock()
            .expect("no panics under the throttle lock");
        let now = Instant::now();
        map.retain(|_, (_, last)| now.duration_since(*last) < WINDOW);
        if map.len() >= MAX_PEERS
            && let Some(oldest) = map.iter().min_by_key(|(_, (_, t))| *t).map(|(k, _)| *k)
        {
            map.remove(&oldest);
        }
        let entry = map.entry(peer).or_insert((0, now));
        entry.0 = entry.0.saturating_add(1);
        entry.1 = now;
        let delay = STEP.saturating_mul(entry.0).min(MAX_DELAY);
        (delay, entry.0)
    }

    /// Clears `peer`'s failures after a successful login.
    pub(crate) fn succeeded(&self, peer: Option<IpAddr>) {
        self.failures
            .lock()
            .expect("no panics under the throttle lock")
            .remove(&peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_bounded_and_clears() {
        let t = Throttle::default();
        let peer = Some(IpAddr::from([127, 0, 0, 1]));
        let delays: Vec<(Duration, u32)> = (0..30).map(|_| t.failed(peer)).collect();
        assert_eq!(delays[0], (STEP, 1));
        assert_eq!(delays[1], (STEP * 2, 2));
        assert_eq!(delays[29], (MAX_DELAY, 30));
        assert_eq!(t.failed(None), (STEP, 1));
        t.succeeded(peer);
        assert_eq!(t.failed(peer), (STEP, 1));
    }
}
