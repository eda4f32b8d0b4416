//! The one loader of seed files: the box's `secret-seed`, a kept or rotated
//! one ([`load_seed`]), and a `--seed-file` in any form `nascfg seed export`
//! writes ([`load_seed_file`]). Every caller gets the same failures.

use std::io::Read;
use std::path::Path;

use nascfg_crypto::Seed;
use nascfg_crypto::secrecy::SecretString;
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
    /// The file is a passphrase-protected seed export and no passphrase was given.
    #[error("the seed file is passphrase-protected and no passphrase was given")]
    PassphraseRequired,
    /// The passphrase does not open the passphrase-protected seed export.
    #[error("the passphrase does not open the seed file")]
    WrongPassphrase,
    /// A passphrase-protected file that is damaged, or holds something else
    /// than a seed.
    #[error("the passphrase-protected seed file cannot be read: {reason}")]
    Damaged {
        /// What is wrong (never a byte of the seed).
        reason: String,
    },
}

impl SeedProblem {
    /// What to do about it, for [`Error::hint`](crate::Error::hint).
    pub(crate) fn hint(&self) -> &'static str {
        match self {
            SeedProblem::Missing
            | SeedProblem::Unreadable { .. }
            | SeedProblem::WrongLength { .. } => {
                "a seed file is what `nascfg seed export` wrote (passphrase-protected or raw) or a box's \
                 32-byte secret-seed; put back the box's seed (from a `nascfg seed export` or a kept \
                 secret-seed.old-* file); nothing was changed"
            }
            SeedProblem::PassphraseRequired => {
                "give the seed file's passphrase with --seed-passphrase-file FILE or --seed-passphrase-env VAR \
                 (or run on a terminal to be asked); nothing was changed"
            }
            SeedProblem::WrongPassphrase => {
                "check the seed file's passphrase (the one `nascfg seed export` was given); nothing was changed"
            }
            SeedProblem::Damaged { .. } => {
                "the seed file is damaged or not a `nascfg seed export`; use another copy; nothing was changed"
            }
        }
    }
}

/// The largest seed file read: a raw seed is 32 bytes and a
/// passphrase-protected one (age, one scrypt stanza) about 200.
const MAX_SEED_FILE: u64 = 16 * 1024;

/// Reads a seed file in any form `nascfg seed export` writes: the raw 32
/// bytes (`--no-passphrase`, or a box's own `secret-seed`) or a
/// passphrase-protected age file. `passphrase` is called only for the
/// latter; `Ok(None)` from it is [`SeedProblem::PassphraseRequired`].
/// Failures of the file are [`Error::SeedFile`]; at most 16 KiB is read.
pub fn load_seed_file<E: From<Error>>(
    path: &Path,
    passphrase: impl FnOnce() -> Result<Option<SecretString>, E>,
) -> Result<Seed, E> {
    let fail = |problem| {
        E::from(Error::SeedFile {
            path: path.to_path_buf(),
            problem,
        })
    };
    let file = std::fs::File::open(path).map_err(|e| fail(unreadable(e)))?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_SEED_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(unreadable(e)))?;
    if !nascfg_crypto::is_passphrase_protected(&bytes) {
        return Seed::from_bytes(&bytes).map_err(|_| {
            fail(SeedProblem::WrongLength {
                len: bytes.len() as u64,
            })
        });
    }
    let Some(pass) = passphrase()? else {
        return Err(fail(SeedProblem::PassphraseRequired));
    };
    let reader = nascfg_crypto::decrypt_with_passphrase(&pass, &bytes[..]).map_err(|e| {
        fail(match e {
            nascfg_crypto::Error::WrongPassphrase => SeedProblem::WrongPassphrase,
            other => SeedProblem::Damaged {
                reason: other.to_string(),
            },
        })
    })?;
    let mut plain = Zeroizing::new(Vec::with_capacity(33));
    reader.take(33).read_to_end(&mut plain).map_err(|e| {
        fail(SeedProblem::Damaged {
            reason: e.to_string(),
        })
    })?;
    Seed::from_bytes(&plain).map_err(|_| {
        fail(SeedProblem::Damaged {
            reason: format!(
                "it holds {} bytes, not a 32-byte seed",
                if plain.len() > 32 {
                    "more than 32".to_owned()
                } else {
                    plain.len().to_string()
                }
            ),
        })
    })
}

/// Reads the seed file at `path`: exactly 32 bytes, reading at most 33
/// whatever the file claims. Failures are [`Error::SeedFile`].
pub fn load_seed(path: &Path) -> Result<Seed, Error> {
    read_seed(path).map_err(|problem| Error::SeedFile {
        path: path.to_path_buf(),
        problem,
    })
}

/// The box's own `secret-seed` (never through a symbolic link), a missing
/// file as `None`.
fn load_box_seed_if_present(path: &Path) -> Result<Option<Seed>, Error> {
    match read_box_seed(path) {
        Ok(seed) => Ok(Some(seed)),
        Err(SeedProblem::Missing) => Ok(None),
        Err(problem) => Err(Error::SeedFile {
            path: path.to_path_buf(),
            problem,
        }),
    }
}

fn unreadable(e: std::io::Error) -> SeedProblem {
    match e.kind() {
        std::io::ErrorKind::NotFound => SeedProblem::Missing,
        _ => SeedProblem::Unreadable {
            reason: e.to_string(),
        },
    }
}

/// The loader of a seed file the user names (`--seed-file`, a kept one).
pub(crate) fn read_seed(path: &Path) -> Result<Seed, SeedProblem> {
    read_seed_from(std::fs::File::open(path).map_err(unreadable)?)
}

/// The loader of the box's own `secret-seed`: a symbolic link is not
/// followed (`O_NOFOLLOW`), it is unreadable ([`DataDir::check`] refuses it
/// first with a clear error; this is the backstop).
pub(crate) fn read_box_seed(path: &Path) -> Result<Seed, SeedProblem> {
    read_seed_from(crate::permissions::open_nofollow(path).map_err(unreadable)?)
}

fn read_seed_from(file: std::fs::File) -> Result<Seed, SeedProblem> {
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
        load_box_seed_if_present(&self.seed_path())
    }
}
