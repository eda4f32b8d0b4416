//! Drives the reference `age` tool (Debian package `age`) non-interactively.
//!
//! `age` reads passphrases only from a terminal, so it runs under a
//! pseudo-terminal made by a small python3 driver (`pty.fork`) that types the
//! passphrase whenever `age` prompts for one. The passphrase travels in an
//! environment variable, never on a command line.

use std::{
    ffi::OsStr,
    fs,
    path::Path,
    process::{Command, Stdio},
};

/// The pseudo-terminal driver: runs argv[1:] on a pty, answers every
/// "...passphrase...:" prompt with $NASCFG_AGE_PASSPHRASE, gives up after
/// 120 s, and exits with the child's status (the transcript goes to stderr).
const DRIVER: &str = r#"
import os, pty, re, select, sys, time
pw = os.environ["NASCFG_AGE_PASSPHRASE"].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
transcript = b""
answered = 0
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.5)
    if not ready:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    transcript += chunk
    prompts = len(re.findall(rb"(?i)passphrase[^:\n]*:", transcript))
    while answered < prompts:
        os.write(fd, pw + b"\r")
        answered += 1
else:
    os.kill(pid, 9)
    sys.stderr.write("age did not finish within 120 s\n")
_, status = os.waitpid(pid, 0)
sys.stderr.write(transcript.decode("utf-8", "replace").replace(pw.decode("utf-8", "replace"), "<passphrase>"))
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else 1)
"#;

/// Runs `age ARGS` on a pseudo-terminal, typing `passphrase` at each prompt.
/// `Err` carries the exit status and age's terminal transcript.
fn run_age<I, S>(args: I, passphrase: &str) -> Result<(), String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new("python3")
        .arg("-c")
        .arg(DRIVER)
        .arg("age")
        .args(args)
        .env("NASCFG_AGE_PASSPHRASE", passphrase)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run python3 (needed to drive age on a pty): {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "age failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// `age -d` of `file` with `passphrase`; `Err` holds age's complaint
/// (e.g. "incorrect passphrase").
pub fn try_decrypt_with_passphrase(file: &Path, passphrase: &str) -> Result<Vec<u8>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = dir.path().join("plaintext");
    run_age(
        [
            OsStr::new("-d"),
            OsStr::new("-o"),
            out.as_os_str(),
            file.as_os_str(),
        ],
        passphrase,
    )?;
    fs::read(&out).map_err(|e| format!("age wrote no output: {e}"))
}

/// `age -d` of `file` with `passphrase`: the plaintext. Panics when age fails.
pub fn decrypt_with_passphrase(file: &Path, passphrase: &str) -> Vec<u8> {
    try_decrypt_with_passphrase(file, passphrase).unwrap_or_else(|e| panic!("{e}"))
}

/// `age -p` of `input` with `passphrase` (age's own work factor, 2^18): the
/// age file's bytes. Panics when age fails.
pub fn encrypt_with_passphrase(input: &[u8], passphrase: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let plain = dir.path().join("plaintext");
    let out = dir.path().join("encrypted.age");
    fs::write(&plain, input).unwrap_or_else(|e| panic!("write {}: {e}", plain.display()));
    run_age(
        [
            OsStr::new("-p"),
            OsStr::new("-o"),
            out.as_os_str(),
            plain.as_os_str(),
        ],
        passphrase,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    fs::read(&out).unwrap_or_else(|e| panic!("age wrote no output: {e}"))
}

/// Runs `program ARGS` on a pseudo-terminal (so it may prompt), typing
/// `passphrase` at each "...passphrase...:" prompt: how a person answers
/// nascfg's prompt for an encrypted OpenSSH identity. Returns the exit code
/// and the terminal transcript (the passphrase replaced by `<passphrase>`).
pub fn run_on_pty<I, S>(program: &Path, args: I, passphrase: &str) -> (i32, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new("python3")
        .arg("-c")
        .arg(DRIVER)
        .arg(program)
        .args(args)
        .env("NASCFG_AGE_PASSPHRASE", passphrase)
        .env_remove("NASCFG_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 (needed for a pty): {e}"));
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
