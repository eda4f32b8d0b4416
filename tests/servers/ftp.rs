//! vsftpd for local users on a high port.

use std::process::Command;

use super::{
    Process, TEST_PASSWORD, TEST_USER, ensure_test_user, free_port, open_tempdir, write_file,
};

/// A vsftpd on loopback that lets [`TEST_USER`] in with [`TEST_PASSWORD`]
/// (plain FTP, passive mode).
#[derive(Debug)]
pub struct Vsftpd {
    /// The control port.
    pub port: u16,
    /// The login name.
    pub user: String,
    /// The login password.
    pub password: String,
    _process: Process,
    _dir: tempfile::TempDir,
}

impl Vsftpd {
    /// Starts vsftpd on a free loopback port.
    pub fn start() -> Vsftpd {
        Self::start_with(false)
    }

    /// Starts vsftpd that offers (and requires) explicit TLS (`AUTH TLS`) with
    /// a self-signed certificate, which no web PKI client trusts.
    pub fn start_with_tls() -> Vsftpd {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Vsftpd {
        ensure_test_user();
        let dir = open_tempdir("nascfg-vsftpd-");
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).expect("create secure_chroot_dir");
        let port = free_port();
        let pasv = free_port();
        let ssl = if tls {
            let cert = dir.path().join("cert.pem");
            let key = dir.path().join("key.pem");
            let status = Command::new("openssl")
                .args([
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "1",
                    "-subj",
                    "/CN=127.0.0.1",
                    "-keyout",
                ])
                .arg(&key)
                .arg("-out")
                .arg(&cert)
                .stderr(std::process::Stdio::null())
                .status()
                .expect("run openssl");
            assert!(status.success(), "openssl req failed");
            format!(
                "ssl_enable=YES\nrsa_cert_file={}\nrsa_private_key_file={}\nforce_local_logins_ssl=YES\n\
                 force_local_data_ssl=YES\nssl_tlsv1=YES\nssl_sslv2=NO\nssl_sslv3=NO\nrequire_ssl_reuse=NO\n",
                cert.display(),
                key.display()
            )
        } else {
            "ssl_enable=NO\n".to_owned()
        };
        let config = dir.path().join("vsftpd.conf");
        write_file(
            &config,
            &format!(
                "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port={port}\nbackground=NO\n\
                 anonymous_enable=NO\nlocal_enable=YES\nwrite_enable=YES\nchroot_local_user=NO\n\
                 pasv_enable=YES\npasv_min_port={pasv}\npasv_max_port={pasv}\npasv_address=127.0.0.1\n\
                 seccomp_sandbox=NO\nsecure_chroot_dir={empty}\npam_service_name=vsftpd\n\
                 userlist_enable=NO\ndelay_failed_login=0\nxferlog_enable=NO\n\
                 allow_writeable_chroot=YES\nftpd_banner=nascfg test FTP\n{ssl}",
                empty = empty.display(),
            ),
            0o600,
        );
        let mut cmd = Command::new("/usr/sbin/vsftpd");
        cmd.arg(&config);
        let mut process = Process::spawn("vsftpd", cmd, &dir.path().join("vsftpd.log"));
        process.wait_ready(port, Some("220"));
        Vsftpd {
            port,
            user: TEST_USER.to_owned(),
            password: TEST_PASSWORD.to_owned(),
            _process: process,
            _dir: dir,
        }
    }
}
