//! Failpoints for crash tests: `NASCFG_FAILPOINT=<name>` makes the process abort
//! at that point, as a crash would. Unset (always, in production) they do nothing.

/// Aborts the process if `NASCFG_FAILPOINT` names this point.
pub(crate) fn failpoint(name: &str) {
    if let Some(v) = std::env::var_os("NASCFG_FAILPOINT")
        && v == name
    {
        std::process::abort();
    }
}
