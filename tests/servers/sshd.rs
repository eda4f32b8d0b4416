//! OpenSSH's sshd with password and public-key login, and the internal SFTP server.

use std::path::PathBuf;
use std::process::Command;

use super::{
    Process, TEST_PASSWORD, TEST_USER, ensure_test_user, free_port, open_tempdir, write_file,
};

/// An sshd on loopback that lets [`TEST_USER`] in with [`TEST_PASSWORD`] or
/// with the key pair it generated (more keys can be authorized).
#[derive(Debug)]
pub struct Sshd {
    /// The port.
    pub port: u16,
    /// The login name.
    pub user: String,
    /// The login password.
    pub password: String,
    /// An authorized key pair: the OpenSSH private key (PEM text).
    pub private_key_pem: String,
    /// Its public key line.
    pub public_key: String,
    /// The server's host key (an OpenSSH public key line, without comment).
    pub host_key: String,
    authorized_keys: PathBuf,
    _process: Process,
    _dir: tempfile::TempDir,
}

impl Sshd {
    /// Starts sshd on a free loopback port.
    pub fn start() -> Sshd {
        ensure_test_user();
        std::fs::create_dir_all("/run/sshd").expect("create /run/sshd (privilege separation)");
        let dir = open_tempdir("nascfg-sshd-");
        let host_key = dir.path().join("ssh_host_ed25519_key");
        keygen(&host_key);
        let client_key = dir.path().join("client_key");
        keygen(&client_key);
        let public_key = std::fs::read_to_string(client_key.with_extension("pub"))
            .expect("read client public key");
        let authorized_keys = dir.path().join("authorized_keys");
        write_file(&authorized_keys, &public_key, 0o644);
        let port = free_port();
        let config = dir.path().join("sshd_config");
        write_file(
            &config,
            &format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nPidFile {pid}\nAuthorizedKeysFile {ak}\n\
                 StrictModes no\nUsePAM no\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\nPermitRootLogin no\nAllowUsers {TEST_USER}\nMaxAuthTries 6\n\
                 Subsystem sftp internal-sftp\nLogLevel INFO\n",
                hk = host_key.display(),
                pid = dir.path().join("sshd.pid").display(),
                ak = authorized_keys.display(),
            ),
            0o600,
        );
        let mut cmd = Command::new("/usr/sbin/sshd");
        cmd.arg("-D").arg("-e").arg("-f").arg(&config);
        let mut process = Process::spawn("sshd", cmd, &dir.path().join("sshd.log"));
        process.wait_ready(port, Some("SSH-"));
        let host_key_line =
            std::fs::read_to_string(host_key.with_extension("pub")).expect("read host key");
        let host_key_line = host_key_line
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        Sshd {
            port,
            user: TEST_USER.to_owned(),
            password: TEST_PASSWORD.to_owned(),
            private_key_pem: std::fs::read_to_string(&client_key).expect("read client key"),
            public_key: public_key.trim().to_owned(),
            host_key: host_key_line,
            authorized_keys,
            _process: process,
            _dir: dir,
        }
    }

    /// Authorizes one more public key (an OpenSSH line); sshd reads the file at each login.
    pub fn authorize(&self, public_key_line: &str) {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.authorized_keys)
            .expect("open authorized_keys");
        writeln!(file, "{}", public_key_line.trim()).expect("append authorized key");
    }
}

/// `ssh-keygen -t ed25519` into `path` (and `path.pub`), no passphrase.
fn keygen(path: &std::path::Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "", "-f"])
        .arg(path)
        .status()
        .expect("run ssh-keygen");
    assert!(status.success(), "ssh-keygen failed");
}
