//! Real servers started on loopback for the tests: sshd, vsftpd, nginx (WebDAV, HTTP), Azurite, s3s-fs,
//! oidc-provider (an OAuth 2.0 authorization server, with a [`Browser`] to walk its login pages),
//! a silent listener that accepts connections and never answers, and a proxy that cuts a
//! connection mid-upload ([`CutProxy`]).
//!
//! Each `start()` picks free loopback ports, writes its configuration into its own temporary directory,
//! polls for readiness with a deadline, and kills the server on `Drop`. They run as root in CI;
//! sshd and vsftpd log in the local user [`TEST_USER`], created on first use (see [`ensure_test_user`]).
//!
//! ```no_run
//! let sshd = nascfg_tests::servers::Sshd::start();
//! println!("sftp://{}@127.0.0.1:{} password {}", sshd.user, sshd.port, sshd.password);
//! let silent = nascfg_tests::servers::Silent::start();
//! let _ = silent.port; // accepts TCP connections, never sends a byte
//! ```

mod azurite;
mod cut;
mod ftp;
mod nginx;
mod oidc;
mod s3;
mod silent;
mod sshd;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use azurite::Azurite;
pub use cut::CutProxy;
pub use ftp::Vsftpd;
pub use nginx::{HttpServer, WebDav};
pub use oidc::{
    Browser, CLIENT_ID, CLIENT_SECRET, Consent, HttpAnswer, OAuthProvider, OIDC_LOGIN,
    OIDC_PASSWORD, OidcServer, form_encode, http_get, http_post_form, http_request, percent_encode,
    query_of, wait_for,
};
pub use s3::S3Server;
pub use silent::{Silent, closed_port};
pub use sshd::Sshd;

/// The local user sshd and vsftpd log in (created with `useradd` when absent).
pub const TEST_USER: &str = "nascfgtest";
/// The password of [`TEST_USER`] (set with `chpasswd`).
pub const TEST_PASSWORD: &str = "Nascfg-test-Pw-71";

/// How long a server may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A free TCP port on 127.0.0.1 (the OS picks it; the listener is closed again).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    listener.local_addr().expect("local address").port()
}

/// Makes sure [`TEST_USER`] exists with [`TEST_PASSWORD`] and a home directory.
/// Needs root (as in CI); `.ci/setup` does the same.
pub fn ensure_test_user() {
    static DONE: Mutex<bool> = Mutex::new(false);
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    if *done {
        return;
    }
    let exists = Command::new("id")
        .arg(TEST_USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !exists.map(|s| s.success()).unwrap_or(false) {
        let status = Command::new(sbin("useradd"))
            .args(["--create-home", "--shell", "/bin/bash", TEST_USER])
            .status()
            .expect("run useradd (the servers' tests need root)");
        assert!(status.success(), "useradd {TEST_USER} failed");
    }
    // Always (re)set the password, so a user left by someone else works too.
    let mut child = Command::new(sbin("chpasswd"))
        .stdin(Stdio::piped())
        .spawn()
        .expect("run chpasswd");
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().expect("chpasswd stdin");
        writeln!(stdin, "{TEST_USER}:{TEST_PASSWORD}").expect("write to chpasswd");
    }
    assert!(
        child.wait().expect("wait for chpasswd").success(),
        "chpasswd failed"
    );
    let home = format!("/home/{TEST_USER}");
    let _ = std::fs::create_dir_all(&home);
    let _ = std::fs::write(format!("{home}/hello.txt"), "hello\n");
    *done = true;
}

/// `/usr/sbin/NAME` when it exists (root's PATH may lack /usr/sbin), else `NAME`.
fn sbin(name: &str) -> String {
    let path = format!("/usr/sbin/{name}");
    if Path::new(&path).exists() {
        path
    } else {
        name.to_owned()
    }
}

/// A child process killed (and reaped) on drop.
#[derive(Debug)]
struct Process {
    name: &'static str,
    child: Child,
    log: std::path::PathBuf,
}

impl Process {
    /// Starts `cmd` with stdout/stderr to `log`.
    fn spawn(name: &'static str, mut cmd: Command, log: &Path) -> Process {
        let out = std::fs::File::create(log).expect("create server log");
        let err = out.try_clone().expect("clone log handle");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e} (is it installed? run .ci/setup)"));
        Process {
            name,
            child,
            log: log.to_path_buf(),
        }
    }

    /// Waits until `127.0.0.1:port` accepts a connection (and, when
    /// `banner` is given, sends a first line starting with it).
    fn wait_ready(&mut self, port: u16, banner: Option<&str>) {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!("{} exited early ({status}):\n{log}", self.name);
            }
            if let Ok(mut stream) = TcpStream::connect_timeout(
                &([127, 0, 0, 1], port).into(),
                Duration::from_millis(500),
            ) {
                match banner {
                    None => return,
                    Some(prefix) => {
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut buf = [0u8; 64];
                        if let Ok(n) = stream.read(&mut buf)
                            && buf[..n].starts_with(prefix.as_bytes())
                        {
                            return;
                        }
                    }
                }
            }
            if start.elapsed() > READY_TIMEOUT {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!(
                    "{} did not become ready on port {port} within {READY_TIMEOUT:?}:\n{log}",
                    self.name
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `contents` to `path` with `mode`.
fn write_file(path: &Path, contents: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A temporary directory readable by everyone (servers drop privileges).
fn open_tempdir(prefix: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("create a temporary directory");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod tempdir");
    dir
}
