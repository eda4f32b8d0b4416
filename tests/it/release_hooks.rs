//! The shipped binary (built without features) has no test hooks: no endpoint option in its help,
//! and `NASCFG_VERIFY_ENDPOINT` cannot send an OAuth credential's refresh token and client secret
//! to another host. The test build (feature `test-endpoints`) is checked the same way, to show the
//! checks can fail.

// Test helpers panic on purpose: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::Read as _;
use std::net::TcpListener;
use std::path::Path;

use nascfg_tests::cli::{Nascfg, Run, nascfg_bin, nascfg_default_bin};

const REFRESH: &str = "REFRESH-release-hooks-9c1d-d1st1nct";
const CLIENT_SECRET: &str = "CLIENT-release-hooks-77e0-d1st1nct";

/// Which build a case runs, and whether its test hooks should be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Build {
    /// `cargo build`: what ships.
    Default,
    /// `cargo build --features test-endpoints`: what the other end-to-end tests run.
    TestEndpoints,
}

impl Build {
    fn bin(self) -> &'static Path {
        match self {
            Build::Default => nascfg_default_bin(),
            Build::TestEndpoints => nascfg_bin(),
        }
    }
}

fn run(nascfg: &Nascfg, build: Build, envs: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = nascfg.cmd_of(build.bin());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.args(args).output().unwrap().into()
}

#[track_caller]
fn check_help(build: Build, args: &[&str], shows_hooks: bool) {
    let nascfg = Nascfg::new();
    let help = run(&nascfg, build, &[], args);
    assert_eq!(help.code, 0, "{}", help.transcript());
    for hook in ["endpoint-override", "NASCFG_VERIFY_ENDPOINT"] {
        assert_eq!(
            help.stdout.contains(hook),
            shows_hooks,
            "{build:?} nascfg {args:?}: {hook}\n{}",
            help.stdout
        );
    }
}

#[test]
fn help_shows_no_endpoint_option_in_the_default_build() {
    check_help(Build::Default, &["--help"], false);
    check_help(Build::Default, &["cred", "--help"], false);
    check_help(Build::Default, &["cred", "verify", "--help"], false);
    check_help(Build::Default, &["cred", "add", "--help"], false);
    check_help(Build::Default, &["cred", "update", "--help"], false);
    // The same check finds the option where it is.
    check_help(Build::TestEndpoints, &["cred", "verify", "--help"], true);
    // Not hidden but absent: the default build refuses the option as a usage error.
    let nascfg = Nascfg::new();
    let given = run(
        &nascfg,
        Build::Default,
        &[],
        &[
            "cred",
            "verify",
            "x",
            "--endpoint-override",
            "http://127.0.0.1:9/",
        ],
    );
    assert_eq!(given.code, 2, "{}", given.transcript());
}

/// Runs `cred verify` of a Dropbox credential whose access token has expired (so the refresh token
/// and client secret are posted to the token endpoint) with `NASCFG_VERIFY_ENDPOINT` naming a
/// loopback listener; answers what reached the listener, if anything.
fn verify_with_endpoint_variable(build: Build) -> Option<String> {
    let nascfg = Nascfg::new();
    let token = serde_json::json!({
        "access_token": "ACCESS-release-hooks-d1st1nct",
        "token_type": "bearer",
        "refresh_token": REFRESH,
        "expiry": "2021-06-01T12:00:00Z",
    });
    let token_file = nascfg.write_file("token.json", token.to_string());
    nascfg.ok(&[
        "cred",
        "add",
        "box-of-secrets",
        "--provider",
        "DROPBOX",
        "--set",
        "client_id=nascfg-release-hooks.apps",
        "--set",
        &format!("client_secret={CLIENT_SECRET}"),
        "--set",
        &format!("token=@{token_file}"),
    ]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}/", listener.local_addr().unwrap());
    // Nobody answers on the listener: the test build's request waits for its 1 s deadline. The
    // default build goes to Dropbox's real host instead, which without a network fails at once.
    let verified = run(
        &nascfg,
        build,
        &[("NASCFG_VERIFY_ENDPOINT", &endpoint)],
        &[
            "cred",
            "verify",
            "box-of-secrets",
            "--timeout",
            "1",
            "--connect-timeout",
            "1",
        ],
    );
    assert_eq!(verified.code, 1, "{build:?}: {}", verified.transcript());
    // The command has exited: a connection it made is complete and waits in the backlog.
    listener.set_nonblocking(true).unwrap();
    match listener.accept() {
        Ok((mut stream, _)) => {
            stream.set_nonblocking(true).unwrap();
            let mut request = Vec::new();
            // The client has closed; what it sent is still buffered (read up to end or WouldBlock).
            let _ = stream.read_to_end(&mut request);
            Some(String::from_utf8_lossy(&request).into_owned())
        }
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
        Err(e) => panic!("accept on the loopback listener: {e}"),
    }
}

#[test]
fn endpoint_variable_is_ignored_by_the_default_build() {
    assert_eq!(
        verify_with_endpoint_variable(Build::Default),
        None,
        "the default build connected to NASCFG_VERIFY_ENDPOINT"
    );
    // The test build does what the default build must not: it posts the secrets to the listener.
    let request = verify_with_endpoint_variable(Build::TestEndpoints)
        .expect("the test build did not connect to NASCFG_VERIFY_ENDPOINT");
    assert!(request.starts_with("POST /oauth2/token"), "{request}");
    assert!(
        request.contains(REFRESH) && request.contains(CLIENT_SECRET),
        "{request}"
    );
}
