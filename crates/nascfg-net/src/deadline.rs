//! The overall time bound of one job (a verification, a login's token call).

use std::time::{Duration, Instant};

/// When a job must have finished: started at `start`, allowed `limit`.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    start: Instant,
    limit: Duration,
}

impl Deadline {
    /// A deadline `limit` from now.
    pub fn after(limit: Duration) -> Deadline {
        Deadline {
            start: Instant::now(),
            limit,
        }
    }

    /// The time left, or `None` once the deadline has passed.
    pub fn remaining(&self) -> Option<Duration> {
        self.limit
            .checked_sub(self.start.elapsed())
            .filter(|d| !d.is_zero())
    }

    /// The time left, or the `timed out after N s` failure.
    pub fn remaining_or_fail(&self) -> Result<Duration, crate::Error> {
        self.remaining().ok_or_else(|| self.timed_out())
    }

    /// The smaller of the time left and `other` (at least one millisecond).
    pub fn cap(&self, other: Duration) -> Duration {
        self.remaining()
            .unwrap_or_default()
            .min(other)
            .max(Duration::from_millis(1))
    }

    /// The overall limit.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// The failure reported when the deadline passes: `timed out after 30 s`.
    pub fn timed_out(&self) -> crate::Error {
        crate::Error::TimedOut { limit: self.limit }
    }
}

/// `timed out after 30 s` (sub-second limits are shown in milliseconds).
pub fn timed_out_text(limit: Duration) -> String {
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
pub fn run_bounded<T, E>(
    deadline: &Deadline,
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, E>
where
    T: Send + 'static,
    E: From<crate::Error> + Send + 'static,
{
    let remaining = deadline.remaining_or_fail()?;
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("nascfg-bounded".to_owned())
        .spawn(move || {
            let _ = tx.send(work());
        })
        .map_err(|e| crate::Error::Transport {
            excerpt: "cannot start the check".to_owned(),
            detail: e.to_string(),
        })?;
    match rx.recv_timeout(remaining) {
        Ok(result) => result,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(deadline.timed_out().into()),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(crate::Error::Transport {
            excerpt: "the check stopped unexpectedly".to_owned(),
            detail: "the worker thread ended without an answer".to_owned(),
        }
        .into()),
    }
}

/// Connects to `host:port` (every resolved address in turn) within the
/// connect timeout and the time left, and sets read/write timeouts to the
/// time left. Errors read `connection refused`, `connect timed out after 15 s`, ...
pub fn connect_tcp(
    host: &str,
    port: u16,
    connect_timeout: Duration,
    deadline: &Deadline,
) -> Result<std::net::TcpStream, crate::Error> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| crate::Error::Transport {
            excerpt: format!("cannot resolve {host}"),
            detail: e.to_string(),
        })?
        .collect();
    let mut last = crate::Error::Transport {
        excerpt: format!("cannot resolve {host}"),
        detail: "no address".to_owned(),
    };
    for addr in addrs {
        let remaining = deadline.remaining_or_fail()?;
        let limit = remaining.min(connect_timeout);
        match std::net::TcpStream::connect_timeout(&addr, limit) {
            Ok(stream) => {
                let left = deadline.remaining_or_fail()?;
                stream
                    .set_read_timeout(Some(left))
                    .and_then(|()| stream.set_write_timeout(Some(left)))
                    .map_err(|e| crate::Error::Transport {
                        excerpt: "cannot set timeouts".to_owned(),
                        detail: e.to_string(),
                    })?;
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
                    crate::Error::ConnectTimedOut {
                        limit: connect_timeout,
                        detail: format!("{addr}: {e}"),
                    }
                } else {
                    deadline.timed_out()
                };
            }
            Err(e) => {
                last = crate::Error::Transport {
                    excerpt: crate::http::io_excerpt(&e),
                    detail: format!("{addr}: {e}"),
                };
            }
        }
    }
    Err(last)
}
