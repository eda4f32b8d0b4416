//! The box's secret seed: 32 random bytes in a 0600 file.

use std::{fmt, fs::File, io::Read, os::unix::fs::PermissionsExt, path::Path};

use rand_core::{OsRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{Error, Fingerprint, secret_file::write_secret_file};

/// Length of a seed in bytes.
pub(crate) const SEED_LEN: usize = 32;

/// The box's secret seed: every sealing key is derived from it.
///
/// Zeroized on drop. `Debug` shows only the fingerprint; there is no
/// `Display`. The bytes leave only through [`Seed::expose_bytes`] (to write
/// them into a bundle or an export) and [`Seed::write_to`].
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Seed {
    bytes: [u8; SEED_LEN],
}

impl Seed {
    /// A new seed: 32 bytes from the operating system's random generator.
    pub fn generate() -> Seed {
        let mut bytes = [0u8; SEED_LEN];
        OsRng.fill_bytes(&mut bytes);
        Seed { bytes }
    }

    /// A seed from its bytes; exactly 32 of them, else [`Error::SeedLength`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Seed, Error> {
        let bytes: [u8; SEED_LEN] = bytes.try_into().map_err(|_| Error::SeedLength {
            len: bytes.len() as u64,
        })?;
        Ok(Seed { bytes })
    }

    /// Reads a seed file (exactly 32 bytes).
    pub fn load(path: &Path) -> Result<Seed, Error> {
        Seed::load_checked(path).map(|(seed, _warning)| seed)
    }

    /// Reads a seed file, and returns a warning when the file can be read by
    /// its group or by others (mode & 0o077 != 0).
    pub fn load_checked(path: &Path) -> Result<(Seed, Option<String>), Error> {
        let io = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        let mode = meta.permissions().mode();
        // Read at most one byte more than a seed, whatever the file claims.
        let mut buf = Zeroizing::new(Vec::with_capacity(SEED_LEN + 1));
        file.take(SEED_LEN as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(io)?;
        if buf.len() != SEED_LEN {
            return Err(Error::SeedLength {
                len: meta.len().max(buf.len() as u64),
            });
        }
        let seed = Seed::from_bytes(&buf)?;
        let warning = (mode & 0o077 != 0).then(|| {
            format!(
                "the secret seed {} can be read by other users (mode {:04o}); run: chmod 600 {}",
                path.display(),
                mode & 0o7777,
                path.display()
            )
        });
        Ok((seed, warning))
    }

    /// Writes the seed atomically to `path` with mode 0600
    /// (see [`write_secret_file`]).
    pub fn write_to(&self, path: &Path) -> Result<(), Error> {
        write_secret_file(path, &self.bytes).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })
    }

    /// The seed's public fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(self)
    }

    /// The raw bytes, only to write them into a bundle or a seed export.
    pub fn expose_bytes(&self) -> &[u8; SEED_LEN] {
        &self.bytes
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Seed")
            .field("fingerprint", &self.fingerprint().to_string())
            .finish_non_exhaustive()
    }
}
