//! A push in the background: its progress, as nascfg-backup reports it, and
//! what it found, kept for the session until the page takes it.

use std::sync::{Arc, Mutex};

use nascfg_backup::{Progress, Transfer};

pub(crate) struct PushedView {
    pub(crate) location: String,
    pub(crate) name: String,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    pub(crate) contents: String,
    pub(crate) engine: &'static str,
}

pub(crate) struct RowView {
    pub(crate) created: String,
    pub(crate) host: String,
    pub(crate) size: u64,
    pub(crate) encrypted: bool,
    pub(crate) seed: &'static str,
    pub(crate) name: String,
}

pub(crate) struct ListingView {
    pub(crate) location: String,
    pub(crate) credential: String,
    pub(crate) path: String,
    pub(crate) rows: Vec<RowView>,
}

/// What the form said, echoed back (never a passphrase).
#[derive(Default, Clone)]
pub(crate) struct Echo {
    pub(crate) credential: String,
    pub(crate) path: String,
    pub(crate) include_seed: bool,
    pub(crate) if_changed: bool,
}

/// What a request found, for the page.
#[derive(Default)]
pub(crate) struct Found {
    pub(crate) push_error: Option<String>,
    pub(crate) unchanged: Option<String>,
    pub(crate) pushed: Option<PushedView>,
    pub(crate) notes: Vec<String>,
    pub(crate) list_error: Option<String>,
    pub(crate) listing: Option<ListingView>,
    pub(crate) restore_error: Option<String>,
}

/// A push running for a session, and then its result until the page takes it.
pub(crate) struct PushJob {
    pub(crate) echo: Echo,
    pub(crate) state: Mutex<JobState>,
}

nascfg_credentials::redacted_debug!(PushJob { .. });

#[derive(Default)]
pub(crate) struct JobState {
    pub(crate) transfer: Option<Transfer>,
    pub(crate) done: u64,
    pub(crate) total: u64,
    pub(crate) result: Option<Found>,
}

impl PushJob {
    pub(crate) fn state(&self) -> std::sync::MutexGuard<'_, JobState> {
        self.state.lock().expect("no panics under the lock")
    }
}

/// The job's progress, as nascfg-backup reports it.
pub(crate) struct JobProgress(pub(crate) Arc<PushJob>);

impl Progress for JobProgress {
    fn start(&self, transfer: Transfer) {
        let mut s = self.0.state();
        s.transfer = Some(transfer);
        s.done = 0;
        s.total = 0;
    }
    fn advance(&self, done: u64, total: u64) {
        let mut s = self.0.state();
        s.done = done;
        s.total = total;
    }
    fn finish(&self) {
        self.0.state().transfer = None;
    }
}
