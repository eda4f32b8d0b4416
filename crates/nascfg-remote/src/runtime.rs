//! The small tokio runtime the async engines (OpenDAL, russh) run in, and the
//! overall deadline every call of a command is bounded by.

use std::future::Future;

use nascfg_net::Deadline;

use crate::error::{Error, Result};

/// A current-thread runtime and the command's deadline.
pub(crate) struct Runner {
    runtime: tokio::runtime::Runtime,
    deadline: Deadline,
    /// `CRED:PATH`, for messages.
    pub(crate) location: crate::location::Location,
}

impl Runner {
    pub(crate) fn new(
        deadline: std::time::Duration,
        location: &crate::location::Location,
    ) -> Result<Runner> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::service(
                    "start",
                    location.to_string(),
                    format!("cannot start the async runtime: {e}"),
                )
            })?;
        Ok(Runner {
            runtime,
            deadline: Deadline::after(deadline),
            location: location.clone(),
        })
    }

    /// Runs `work` to completion, or fails with `TimedOut` at the deadline.
    pub(crate) fn run<T>(
        &self,
        operation: &'static str,
        name: Option<&str>,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let timed_out = || Error::TimedOut {
            operation,
            location: self.at(name),
            seconds: self.deadline.limit().as_secs(),
        };
        let remaining = self.deadline.remaining().ok_or_else(timed_out)?;
        self.runtime
            .block_on(async { tokio::time::timeout(remaining, work).await })
            .map_err(|_| timed_out())?
    }

    /// `CRED:PATH` or `CRED:PATH/NAME`.
    pub(crate) fn at(&self, name: Option<&str>) -> String {
        match name {
            Some(n) => self.location.join(n),
            None => self.location.to_string(),
        }
    }

    /// The deadline's time left (zero once passed).
    pub(crate) fn remaining(&self) -> std::time::Duration {
        self.deadline.remaining().unwrap_or_default()
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        // Nothing of ours still runs; do not wait for a DNS lookup in the background.
        let runtime = std::mem::replace(
            &mut self.runtime,
            tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("an empty current-thread runtime builds"),
        );
        runtime.shutdown_background();
    }
}

/// A temporary name beside `name` that no listing takes for a bundle:
/// `.NAME.partial-<random>`.
pub(crate) fn partial_name(name: &str) -> String {
    let mut random = [0u8; 6];
    getrandom::getrandom(&mut random).expect("the OS random source works");
    format!(".{name}.partial-{}", hex::encode(random))
}
