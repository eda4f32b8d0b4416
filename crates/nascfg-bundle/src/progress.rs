//! The I/O shared by export, inspect and restore: the buffer size and the
//! progress reporting of a long read.

use std::io::{self, Read};

/// The buffer of a bundle's file reads and writes.
pub(crate) const IO_BUFFER: usize = 1 << 20;

/// Reports progress of a long export or restore: `(bytes done, bytes in all)`.
pub type ProgressFn<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Counts bytes read and reports them.
pub(crate) struct Progress<'a, R> {
    pub(crate) inner: R,
    pub(crate) done: u64,
    pub(crate) total: u64,
    pub(crate) report: Option<ProgressFn<'a>>,
}

impl<R: Read> Read for Progress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if let Some(report) = self.report {
            report(self.done, self.total);
        }
        Ok(n)
    }
}
