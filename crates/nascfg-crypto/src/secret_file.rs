//! Writing and reading files that hold secrets.

use std::{
    fs::{self, File, OpenOptions},
    io::{self, Read, Write},
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
};

use rand_core::{OsRng, RngCore};

/// Reads a small file that may hold a secret (a key, a seed, a share): at most
/// `limit` bytes, into memory reserved for the largest allowed file at once (so
/// growing never leaves a copy behind) and wiped when dropped. `Ok(None)` when
/// the file is larger than `limit` (it is not read further).
pub fn read_secret_file(
    path: &Path,
    limit: usize,
) -> io::Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
    let file = File::open(path)?;
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(limit.saturating_add(1)));
    file.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() <= limit).then_some(bytes))
}

/// Writes `contents` to `path` atomically with mode 0600.
///
/// A temporary file is created in the same directory with mode 0600 (never
/// wider, even for an instant), written, fsynced, renamed over `path`, and then
/// the directory is fsynced, so after a crash `path` holds either the old
/// contents or the new ones. Every crate that writes a secret file uses this.
pub fn write_secret_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_atomically(path, contents, |tmp, path| fs::rename(tmp, path))
}

/// What [`create_secret_file`] does when its path exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfExists {
    /// Leave it untouched and fail with [`io::ErrorKind::AlreadyExists`] (checked first, and
    /// again, atomically, by the final hard link).
    Refuse,
    /// Replace it, if it is a regular file (an atomic rename over it).
    Replace,
}

/// Whether `path` may be replaced by a new file: it does not exist, or it is a regular file.
/// A directory, a symbolic link, a device node, a FIFO or a socket is refused with
/// [`io::ErrorKind::InvalidInput`]: a user's `--force` means "replace my file", never "put a
/// file where /dev/sda or a link to elsewhere was".
pub fn replaceable(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_file() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it exists and is not a regular file (a directory, link or device), which is never replaced",
        )),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Writes `contents` to a new file at `path` with mode 0600, as [`write_secret_file`] does, but
/// an existing `path` is refused or replaced as `if_exists` says, and something that is not a
/// regular file is never replaced (see [`replaceable`]): the rule of every `-o FILE` output.
pub fn create_secret_file(path: &Path, contents: &[u8], if_exists: IfExists) -> io::Result<()> {
    match if_exists {
        IfExists::Refuse => {
            if fs::symlink_metadata(path).is_ok() {
                return Err(exists(path));
            }
            write_atomically(path, contents, |tmp, path| {
                fs::hard_link(tmp, path).map_err(|e| {
                    if e.kind() == io::ErrorKind::AlreadyExists {
                        exists(path)
                    } else {
                        e
                    }
                })?;
                fs::remove_file(tmp)
            })
        }
        IfExists::Replace => {
            replaceable(path)?;
            write_atomically(path, contents, |tmp, path| fs::rename(tmp, path))
        }
    }
}

fn exists(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{} already exists", path.display()),
    )
}

/// Writes a 0600 temporary file beside `path`, fsyncs it, hands it to `place` (which gives it
/// the final name), then fsyncs the directory. The temporary file never outlives a failure.
fn write_atomically(
    path: &Path,
    contents: &[u8],
    place: impl FnOnce(&Path, &Path) -> io::Result<()>,
) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".tmp-{}-{:016x}",
        std::process::id(),
        OsRng.next_u64()
    ));
    let tmp = dir.join(tmp_name);

    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        place(&tmp, path)
    })();
    if let Err(err) = result {
        let _ = fs::remove_file(&tmp);
        return Err(err);
    }
    File::open(&dir)?.sync_all()
}
