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
