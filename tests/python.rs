//! The reference SLIP-39 implementation, PyPI `shamir-mnemonic` 0.3.0
//! (installed by .ci/setup), run as `python3 -c`: the library tests
//! (it/slip39.rs) and the CLI's share files (it/seed_shares.rs) are checked
//! against it. Shares and secrets go to python on stdin, never as arguments.

use std::io::Write;
use std::process::{Command, Stdio};

/// Checks the reference's version first, so a wrong install is named; then
/// imports it as `shamir_mnemonic` (and `sys`).
pub const SHAMIR_PRELUDE: &str = "
import sys, importlib.metadata
assert importlib.metadata.version('shamir-mnemonic') == '0.3.0', importlib.metadata.version('shamir-mnemonic')
import shamir_mnemonic
";

/// Runs a python program with `input` on stdin; returns its stdout. Panics
/// with python's stderr when it fails.
pub fn python(program: &str, input: &str) -> String {
    let mut child = Command::new("python3")
        .args(["-c", program])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (installed by .ci/setup)");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("python reads its input");
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("python prints UTF-8")
}

/// Bytes as lowercase hex, as python's `bytes.hex()` prints them.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
