//! Azurite, Microsoft's Azure Storage emulator (blob service only), from `.ci/node`.

use std::path::PathBuf;
use std::process::Command;

use super::{Process, free_port, open_tempdir};

/// Azurite's well-known development account.
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
/// Azurite's well-known development key (public, from Microsoft's documentation).
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// An Azurite blob service on loopback.
#[derive(Debug)]
pub struct Azurite {
    /// The port.
    pub port: u16,
    /// The account name (`devstoreaccount1`).
    pub account: String,
    /// The account key (the well-known one).
    pub key: String,
    /// The blob endpoint, `http://127.0.0.1:PORT/devstoreaccount1`.
    pub endpoint: String,
    _process: Process,
    _dir: tempfile::TempDir,
}

impl Azurite {
    /// Starts `azurite-blob` (installed by `.ci/setup`) on a free loopback port, in memory.
    pub fn start() -> Azurite {
        let bin = azurite_bin();
        let dir = open_tempdir("nascfg-azurite-");
        let port = free_port();
        let mut cmd = Command::new(&bin);
        cmd.args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .args([
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--loose",
                "--silent",
            ])
            .current_dir(dir.path());
        let mut process = Process::spawn("azurite", cmd, &dir.path().join("azurite.log"));
        process.wait_ready(port, None);
        Azurite {
            port,
            account: AZURITE_ACCOUNT.to_owned(),
            key: AZURITE_KEY.to_owned(),
            endpoint: format!("http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"),
            _process: process,
            _dir: dir,
        }
    }

    /// Creates the container `name` (Create Container, signed with the account's Shared Key):
    /// what a user does once in the portal before pointing backups at it.
    pub fn create_container(&self, name: &str) {
        use base64::Engine as _;
        use hmac::{Hmac, Mac};
        let date = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
            ))
            .expect("format the date");
        let version = "2021-12-02";
        // VERB, then eleven standard headers (all empty: Content-Length 0 is signed as empty),
        // the x-ms-* headers, and the resource (the account, then the URL's path, then the query).
        let string_to_sign = format!(
            "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n\
             /{account}/{account}/{name}\nrestype:container",
            account = self.account
        );
        let key = base64::engine::general_purpose::STANDARD
            .decode(&self.key)
            .expect("the account key is base64");
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("HMAC takes any key");
        mac.update(string_to_sign.as_bytes());
        let signature =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let authorization = format!("SharedKey {}:{signature}", self.account);
        let answer = super::http_request(
            "PUT",
            &format!("{}/{name}?restype=container", self.endpoint),
            &[
                ("x-ms-date", &date),
                ("x-ms-version", version),
                ("authorization", &authorization),
                ("content-length", "0"),
            ],
            None,
        )
        .unwrap_or_else(|e| panic!("create container {name}: {e}"));
        assert_eq!(
            answer.status, 201,
            "create container {name}: {}",
            answer.body
        );
    }
}

fn azurite_bin() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin = root.join(".ci/node/node_modules/.bin/azurite-blob");
    assert!(
        bin.exists(),
        "{} is missing: run `bash .ci/setup`",
        bin.display()
    );
    bin
}
