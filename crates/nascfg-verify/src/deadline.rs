//! The overall time bound of one verification.

use std::time::{Duration, Instant};

/// When a verification must have finished: started at `start`, allowed `limit`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    start: Instant,
    limit: Duration,
}

impl Deadline {
    /// A deadline `limit` from now.
    pub(crate) fn after(limit: Duration) -> Deadline {
        Deadline {
            start: Instant::now(),
            limit,
        }
    }

    /// The time left, or `None` once the deadline has passed.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.limit
            .checked_sub(self.start.elapsed())
            .filter(|d| !d.is_zero())
    }

    /// The time left, or the `timed out after N s` failure.
    pub(crate) fn remaining_or_fail(&self) -> Result<Duration, crate::Failure> {
        self.remaining().ok_or_else(|| self.timed_out())
    }

    /// The smaller of the time left and `other` (at least one millisecond).
    pub(crate) fn cap(&self, other: Duration) -> Duration {
        self.remaining()
            .unwrap_or_default()
            .min(other)
            .max(Duration::from_millis(1))
    }

    /// The overall limit.
    pub(crate) fn limit(&self) -> Duration {
        self.limit
    }

    /// The failure reported when the deadline passes: `timed out after 30 s`.
    pub(crate) fn timed_out(&self) -> crate::Failure {
        crate::Failure::new(timed_out_text(self.limit))
    }
}

/// `timed out after 30 s` (sub-second limits are shown in milliseconds).
pub(crate) fn timed_out_text(limit: Duration) -> String {
    if limit.subsec_millis() == 0 || limit.as_secs() >= 10 {
        format!("timed out after {} s", limit.as_secs())
    } else {
        format!("timed out after {} ms", limit.as_millis())
    }
}

/// Runs a blocking check on its own thread and waits for it at most until the
/// deadline: a peer that stalls inside a library call we cannot interrupt
/// still cannot hold the caller past the deadline. The abandoned thread ends
/// on its own once its socket timeouts (set to the time left) fire.
pub(crate) fn run_bounded<T: Send + 'static>(
    deadline: &Deadline,
    work: impl FnOnce() -> Result<T, crate::Failure> + Send + 'static,
) -> Result<T, crate::Failure> {
    let remaining = deadline.remaining_or_fail()?;
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("nascfg-verify".to_owned())
        .spawn(move || {
            let _ = tx.send(work());
        })
        .map_err(|e| crate::Failure::new(format!("cannot start the check: {e}")))?;
    match rx.recv_timeout(remaining) {
        Ok(result) => result,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(deadline.timed_out()),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            Err(crate::Failure::new("the check stopped unexpectedly"))
        }
    }
}

/// Connects to `host:port` (every resolved address in turn) within the
/// connect timeout and the time left, and sets read/write timeouts to the
/// time left. Errors read `connection refused`, `connect timed out after 15 s`, ...
pub(crate) fn connect_tcp(
    host: &str,
    port: u16,
    connect_timeout: Duration,
    deadline: &Deadline,
) -> Result<std::net::TcpStream, crate::Failure> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| crate::Failure::with_detail(format!("cannot resolve {host}"), e.to_string()))?
        .collect();
    let mut last = crate::Failure::new(format!("cannot resolve {host}"));
    for addr in addrs {
        let remaining = deadline.remaining_or_fail()?;
        let limit = remaining.min(connect_timeout);
        match std::net::TcpStream::connect_timeout(&addr, limit) {
            Ok(stream) => {
                let left = deadline.remaining_or_fail()?;
                stream
                    .set_read_timeout(Some(left))
                    .and_then(|()| stream.set_write_timeout(Some(left)))
                    .map_err(|e| crate::Failure::new(format!("cannot set timeouts: {e}")))?;
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                last = if limit < remaining {
                    crate::Failure::with_detail(
                        format!("connect {}", timed_out_text(connect_timeout)),
                        format!("{addr}: {e}"),
                    )
                } else {
                    deadline.timed_out()
                };
            }
            Err(e) => {
                last = crate::Failure::with_detail(
                    crate::http::io_excerpt(&e),
                    format!("{addr}: {e}"),
                );
            }
        }
    }
    Err(last)
}
