//! [`Progress`]: how a transfer reports its bytes to whoever shows them.

/// The transfers a push or pull runs, one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// Sending a new bundle.
    Uploading,
    /// Fetching a bundle.
    Downloading,
    /// Fetching the newest bundle to compare it (`if_changed`).
    ReadingNewest,
}

impl Transfer {
    /// What a progress bar says: `uploading`, `downloading`,
    /// `reading the newest bundle`.
    pub fn label(self) -> &'static str {
        match self {
            Transfer::Uploading => "uploading",
            Transfer::Downloading => "downloading",
            Transfer::ReadingNewest => "reading the newest bundle",
        }
    }
}

/// Told about every transfer: `start`, any number of `advance`, then
/// `finish` (also when the transfer failed).
pub trait Progress {
    /// A transfer begins.
    fn start(&self, transfer: Transfer);
    /// `done` bytes of `total` so far (`total` grows with `done` when the
    /// size is not known ahead, as in an upload).
    fn advance(&self, done: u64, total: u64);
    /// The transfer ended.
    fn finish(&self);
}

/// Shows nothing (the web UI, tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: Transfer) {}
    fn advance(&self, _: u64, _: u64) {}
    fn finish(&self) {}
}

/// A writer that tells `progress` how many bytes went through.
pub(crate) struct Counting<'a, W: std::io::Write> {
    pub(crate) inner: W,
    pub(crate) done: u64,
    pub(crate) total: u64,
    pub(crate) progress: &'a dyn Progress,
}

impl<W: std::io::Write> std::io::Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.done += n as u64;
        self.progress.advance(self.done, self.total.max(self.done));
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Runs `work` as one `transfer`: `finish` is called whatever it returns.
pub(crate) fn transfer<T>(progress: &dyn Progress, what: Transfer, work: impl FnOnce() -> T) -> T {
    progress.start(what);
    let out = work();
    progress.finish();
    out
}
