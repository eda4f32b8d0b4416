//! The one loader of seed files: the box's `secret-seed`, a kept or rotated
//! one, a `--seed-file`. Every caller gets the same three failures.

use std::io::Read;
use std::path::Path;

use nascfg_crypto::Seed;
use nascfg_crypto::zeroize::Zeroizing;

use crate::datadir::{DataDir, WriteGuard};
use crate::error::Error;

/// Why a seed file cannot be used (never any of its bytes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedProblem {
    /// There is no such file.
    #[error("the file does not exist")]
    Missing,
    /// The file exists but cannot be read (permissions, a directory, an I/O error).
    #[error("{reason}")]
    Unreadable {
        /// What the operating system said.
        reason: String,
    },
    /// The file is not exactly 32 bytes long.
    #[error("the secret seed must be exactly 32 bytes, but this one has {len} bytes")]
    WrongLength {
        /// Its length (at least 33 when it is longer: no more is read).
        len: u64,
    },
}

/// Reads the seed file at `path`: exactly 32 bytes, reading at most 33
/// whatever the file claims. Failures are [`Error::SeedFile`].
pub fn load_seed(path: &Path) -> Result<Seed, Error> {
    read_seed(path).map_err(|problem| Error::SeedFile {
        path: path.to_path_buf(),
        problem,
    })
}

/// Like [`load_seed`], but a missing file is `None`.
fn load_seed_if_present(path: &Path) -> Result<Option<Seed>, Error> {
    match read_seed(path) {
        Ok(seed) => Ok(Some(seed)),
        Err(SeedProblem::Missing) => Ok(None),
        Err(problem) => Err(Error::SeedFile {
            path: path.to_path_buf(),
            problem,
        }),
    }
}

/// The loader itself.
pub(crate) fn read_seed(path: &Path) -> Result<Seed, SeedProblem> {
    let unreadable = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => SeedProblem::Missing,
        _ => SeedProblem::Unreadable {
            reason: e.to_string(),
        },
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    let mut bytes = Zeroizing::new(Vec::with_capacity(33));
    file.take(33).read_to_end(&mut bytes).map_err(unreadable)?;
    if bytes.len() != 32 {
        return Err(SeedProblem::WrongLength {
            len: len.max(bytes.len() as u64),
        });
    }
    Ok(Seed::from_bytes(&bytes).expect("exactly 32 bytes were checked just above"))
}

impl DataDir {
    /// This box's seed (`None` when it has none yet), read under the lock:
    /// while the caller holds `guard`, no `seed rotate` can replace it, so a
    /// decision made on it (which restore case applies) still holds when the
    /// caller installs.
    pub fn seed(&self, guard: &WriteGuard) -> Result<Option<Seed>, Error> {
        guard.check(self);
        load_seed_if_present(&self.seed_path())
    }
}
