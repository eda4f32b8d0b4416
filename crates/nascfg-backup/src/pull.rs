//! Pulling a bundle: into a private temporary file, or to a file of the
//! user's.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use nascfg_crypto::Identity;
use nascfg_crypto::secrecy::SecretString;
use nascfg_remote::Storage;
use sha2::Digest;

use crate::error::{Error, Result};
use crate::progress::{Counting, Progress, Transfer, transfer};

/// A private directory (0700) for a pulled bundle, removed on drop.
pub(crate) fn private_dir() -> Result<tempfile::TempDir> {
    Ok(tempfile::Builder::new().prefix("nascfg-pull-").tempdir()?)
}

/// Downloads object `name` into a new 0600 file `path` (which must not
/// exist), synced; returns its size.
pub fn download(
    storage: &Storage,
    name: &str,
    path: &Path,
    progress: &dyn Progress,
) -> Result<u64> {
    use std::os::unix::fs::OpenOptionsExt;
    let total = storage.stat(name)?;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    let mut out = Counting {
        inner: std::io::BufWriter::with_capacity(1 << 20, file),
        done: 0,
        total,
        progress,
    };
    let size = storage.get(name, &mut out)?;
    out.inner.flush()?;
    out.inner.get_ref().sync_all()?;
    Ok(size)
}

/// A bundle pulled into a private temporary file: `path` (0600, in a 0700
/// directory) lives as long as this value.
#[derive(Debug)]
pub struct Fetched {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Fetched {
    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file and the directory that keeps it (removed when dropped).
    pub fn into_parts(self) -> (tempfile::TempDir, PathBuf) {
        (self.dir, self.path)
    }
}

/// Pulls object `name` whole into a private temporary file, for inspect and
/// restore: nothing is checked here, the caller's inspection does that.
pub fn fetch(storage: &Storage, name: &str, progress: &dyn Progress) -> Result<Fetched> {
    let dir = private_dir()?;
    let path = dir.path().join(name);
    transfer(progress, Transfer::Downloading, || {
        download(storage, name, &path, progress)
    })?;
    Ok(Fetched { dir, path })
}

/// What [`pull`] does when its output exists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Overwrite {
    /// Refuse with `OutputExists` (checked first, and again, atomically, at
    /// the final link).
    #[default]
    Refuse,
    /// Replace it (an atomic rename over it).
    Replace,
}

/// What [`pull`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256 (hex).
    pub sha256: String,
    /// Whether it passed `backup inspect`'s checks (an encrypted bundle's
    /// need the passphrase, so it is written unchecked).
    pub checked: bool,
}

/// Pulls object `name` to `output`: downloaded beside it first, checked as
/// `backup inspect` checks where that needs no passphrase (a damaged object
/// is refused, not written), then given the name: an exclusive link
/// (never over a file) or a rename, as `overwrite` says.
pub fn pull(
    storage: &Storage,
    name: &str,
    output: &Path,
    overwrite: Overwrite,
    progress: &dyn Progress,
) -> Result<Pulled> {
    let location = storage.location().join(name);
    let refuse = overwrite == Overwrite::Refuse;
    if refuse && std::fs::symlink_metadata(output).is_ok() {
        return Err(nascfg_bundle::Error::OutputExists {
            path: output.to_path_buf(),
        }
        .into());
    }
    if !refuse {
        // --force replaces a file, never a device node, directory or link.
        nascfg_crypto::replaceable(output)?;
    }
    let dir_of_output = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let work = tempfile::Builder::new()
        .prefix(".nascfg-pull-")
        .tempdir_in(&dir_of_output)?;
    let temp = work.path().join("bundle");
    let size = transfer(progress, Transfer::Downloading, || {
        download(storage, name, &temp, progress)
    })?;
    // Checked as `backup inspect` checks it, unless the reading asks for a
    // passphrase or identities, which a pull does not take: an encrypted
    // bundle is written unchecked.
    let unopened = Unopened::default();
    let checked = match nascfg_bundle::inspect(&temp, &unopened, None) {
        Ok(_) => true,
        Err(_) if unopened.asked.get() => false,
        Err(source) => {
            return Err(Error::Damaged {
                location: location.clone(),
                source,
            });
        }
    };
    let sha256 = {
        let mut file = std::fs::File::open(&temp)?;
        let mut hasher = sha2::Sha256::new();
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
        hex::encode(hasher.finalize())
    };
    if refuse {
        std::fs::hard_link(&temp, output).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Bundle(nascfg_bundle::Error::OutputExists {
                    path: output.to_path_buf(),
                })
            } else {
                e.into()
            }
        })?;
    } else {
        std::fs::rename(&temp, output)?;
    }
    Ok(Pulled {
        size,
        sha256,
        checked,
    })
}

/// Answers nothing, and remembers whether the reading asked: it asks only
/// when the bundle is encrypted.
#[derive(Default)]
struct Unopened {
    asked: std::cell::Cell<bool>,
}

impl nascfg_bundle::Unlock for Unopened {
    fn request_passphrase(&self, _bundle: &Path) -> Option<SecretString> {
        self.asked.set(true);
        None
    }

    fn request_identities(&self, _bundle: &Path, _recipients: &[String]) -> Vec<Identity> {
        self.asked.set(true);
        Vec::new()
    }
}
