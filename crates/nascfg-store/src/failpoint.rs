//! Failpoints for crash and interleaving tests, compiled only with the cargo
//! feature `test-endpoints` (the shipped binary has none: without the feature
//! [`failpoint`] is an empty function and the environment is never read).
//!
//! `NASCFG_FAILPOINT=<name>` aborts the process at that point, as a crash
//! would. `NASCFG_FAILPOINT=<name>:pause` stops there instead: the process
//! creates `<name>.paused` in the directory `NASCFG_FAILPOINT_DIR` and waits
//! (holding whatever it holds, such as the writer lock) until a file
//! `<name>.resume` appears there; after a minute without one it aborts.

/// A named point where a test may crash or pause this process; a no-op
/// unless built with the feature `test-endpoints` and named by `NASCFG_FAILPOINT`.
#[cfg(feature = "test-endpoints")]
pub fn failpoint(name: &str) {
    let Some(value) = std::env::var_os("NASCFG_FAILPOINT") else {
        return;
    };
    let value = value.to_string_lossy();
    if value == name {
        std::process::abort();
    }
    if value.strip_suffix(":pause") == Some(name) {
        pause(name);
    }
}

/// A no-op: this build has no failpoints (feature `test-endpoints` is off).
#[cfg(not(feature = "test-endpoints"))]
#[inline(always)]
pub fn failpoint(_name: &str) {}

#[cfg(feature = "test-endpoints")]
fn pause(name: &str) {
    use std::time::{Duration, Instant};
    let Some(dir) = std::env::var_os("NASCFG_FAILPOINT_DIR") else {
        std::process::abort();
    };
    let dir = std::path::PathBuf::from(dir);
    if std::fs::write(dir.join(format!("{name}.paused")), b"").is_err() {
        std::process::abort();
    }
    let resume = dir.join(format!("{name}.resume"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !resume.exists() {
        if Instant::now() > deadline {
            std::process::abort();
        }
        // Polling a file the test creates; the test itself never sleeps to wait.
        std::thread::sleep(Duration::from_millis(5));
    }
}
