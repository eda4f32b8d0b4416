//! Runs the `nascfg` binary on a throwaway data directory.
//!
//! ```no_run
//! let nascfg = nascfg_tests::cli::Nascfg::new();
//! nascfg.ok(&["init"]);
//! let list = nascfg.json(&["cred", "list"]);
//! assert_eq!(list, serde_json::json!([]));
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Mutex, OnceLock, PoisonError};

/// The `nascfg` binary the tests run: built with the feature `test-endpoints` (endpoint overrides,
/// failpoints), once per test process (a no-op when fresh), in the same target directory and profile
/// as the running test, and copied to `target/<profile>/nascfg-test-endpoints`.
pub fn nascfg_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_nascfg(&["--features", "test-endpoints"], "nascfg-test-endpoints"))
}

/// The `nascfg` binary as shipped (no features): what `cargo build` gives, to show that the test
/// hooks are not in it. Built like [`nascfg_bin`] and copied to `target/<profile>/nascfg-default`.
pub fn nascfg_default_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_nascfg(&[], "nascfg-default"))
}

/// Builds the binary with `features` and copies it to `name` beside it. Both builds write
/// `target/<profile>/nascfg`, so a build and its copy run under one lock: a test never runs the
/// other build's binary.
fn build_nascfg(features: &[&str], name: &str) -> PathBuf {
    static BUILD: Mutex<()> = Mutex::new(());
    let _build = BUILD.lock().unwrap_or_else(PoisonError::into_inner);
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/it-xxxx
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("the test binary lies in target/<profile>/deps");
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("debug")
        .to_owned();
    let target_dir = profile_dir
        .parent()
        .map(Path::to_path_buf)
        .expect("the profile directory lies in the target directory");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.args([
        "build",
        "--quiet",
        "-p",
        "nascfg-cli",
        "--bin",
        "nascfg",
        "--target-dir",
    ])
    .arg(&target_dir)
    .args(features);
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    let status = cmd.status().expect("run cargo build for the nascfg binary");
    assert!(status.success(), "cargo build of the nascfg binary failed");
    // Copy, then rename into place: another test process may be running the old copy.
    let built = profile_dir.join("nascfg");
    let copy = profile_dir.join(name);
    let partial = profile_dir.join(format!("{name}.{}.partial", std::process::id()));
    std::fs::copy(&built, &partial).expect("copy the nascfg binary");
    std::fs::rename(&partial, &copy).expect("move the nascfg binary copy into place");
    copy
}

/// What one run of `nascfg` did.
#[derive(Debug)]
pub struct Run {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// `stdout` and `stderr` in one text for a snapshot: `exit: N`, then both streams.
    pub fn transcript(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A `nascfg` with its own data directory in a temporary directory.
#[derive(Debug)]
pub struct Nascfg {
    tmp: tempfile::TempDir,
    data_dir: PathBuf,
}

impl Default for Nascfg {
    fn default() -> Self {
        Nascfg::new()
    }
}

impl Nascfg {
    /// A fresh temporary directory; the data directory is `<tmp>/data` (not created yet).
    pub fn new() -> Nascfg {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data_dir = tmp.path().join("data");
        Nascfg { tmp, data_dir }
    }

    /// A new box (`init`) with one S3 credential `name` whose secret access
    /// key is `secret`: the box most bundle tests start from.
    pub fn with_s3_credential(name: &str, secret: &str) -> Nascfg {
        let n = Nascfg::new();
        n.ok(&["init"]);
        n.ok(&[
            "cred",
            "add",
            name,
            "--provider",
            "S3",
            "--set",
            "access_key_id=AKIAIOSFODNN7EXAMPLE",
            "--set",
            &format!("secret_access_key={secret}"),
        ]);
        n
    }

    /// The temporary directory (for files the test writes).
    pub fn tmp(&self) -> &Path {
        self.tmp.path()
    }

    /// The data directory passed with `--data-dir`.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A command running `nascfg --data-dir <data dir>`, with NASCFG_* variables cleared
    /// and no terminal on standard input.
    pub fn cmd(&self) -> assert_cmd::Command {
        self.cmd_of(nascfg_bin())
    }

    /// [`Nascfg::cmd`] running the binary at `bin` (e.g. [`nascfg_default_bin`]).
    pub fn cmd_of(&self, bin: &Path) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(bin);
        cmd.env_remove("NASCFG_DATA_DIR")
            .env_remove("NASCFG_FAILPOINT")
            .env_remove("NASCFG_FAILPOINT_DIR")
            .env_remove("NASCFG_VERIFY_ENDPOINT")
            .env("HOME", self.tmp.path())
            .env("XDG_DATA_HOME", self.tmp.path().join("xdg"))
            .arg("--data-dir")
            .arg(&self.data_dir)
            .write_stdin(Vec::new());
        cmd
    }

    /// Runs `nascfg ARGS` with empty standard input.
    pub fn run(&self, args: &[&str]) -> Run {
        self.cmd().args(args).output().expect("run nascfg").into()
    }

    /// Runs `nascfg ARGS` with `stdin` as standard input.
    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.cmd()
            .args(args)
            .write_stdin(stdin.as_bytes().to_vec())
            .output()
            .expect("run nascfg")
            .into()
    }

    /// Runs `nascfg ARGS`, asserts exit 0, returns standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(run.code, 0, "nascfg {args:?} failed:\n{}", run.transcript());
        run.stdout
    }

    /// Runs `nascfg --json ARGS`, asserts exit 0, parses standard output.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("nascfg {args:?}: not JSON ({e}):\n{out}"))
    }

    /// Runs `nascfg ARGS`, asserts exit 1, returns the run.
    pub fn fail(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(
            run.code,
            1,
            "nascfg {args:?} should fail with 1:\n{}",
            run.transcript()
        );
        run
    }

    /// Writes a file in the temporary directory and returns its path as text.
    pub fn write_file(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.tmp.path().join(name);
        std::fs::write(&path, contents).expect("write test file");
        path.to_string_lossy().into_owned()
    }

    /// insta settings that replace this run's temporary paths, timestamps,
    /// fingerprints and key material with placeholders. Use as
    /// `nascfg.settings().bind(|| insta::assert_snapshot!(...))`.
    pub fn settings(&self) -> insta::Settings {
        let mut s = insta::Settings::clone_current();
        let tmp = self.tmp.path().to_string_lossy().into_owned();
        s.add_filter(&regex_escape(&tmp), "[TMP]");
        s.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TIME]");
        s.add_filter(r"old-\d{8}T\d{6}Z(-\d+)?", "old-[STAMP]");
        s.add_filter(r"nfp1:[0-9a-z]{4}(-[0-9a-z]{4})*", "[SEED-FP]");
        s.add_filter(r"SHA256:[A-Za-z0-9+/=]{43}", "[KEY-FP]");
        s.add_filter(
            r"(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+) AAAA[A-Za-z0-9+/=]+",
            "$1 [PUBLIC-KEY]",
        );
        s
    }
}

fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Every file under `dir` (recursively) with its SHA-256 in hex: a data directory's state, to show
/// a refused or failed command changed nothing.
pub fn tree(dir: &Path) -> BTreeMap<String, String> {
    use sha2::{Digest as _, Sha256};
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.expect("a readable directory entry").path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap_or_default();
                out.insert(
                    p.display().to_string(),
                    format!("{:x}", Sha256::digest(bytes)),
                );
            }
        }
    }
    out
}
