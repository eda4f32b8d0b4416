//! Writing files that hold secrets.

use std::{
    fs::{self, File, OpenOptions},
    io::{self, Write},
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
};

use rand_core::{OsRng, RngCore};

/// Writes `contents` to `path` atomically with mode 0600.
///
/// A temporary file is created in the same directory with mode 0600 (never
/// wider, even for an instant), written, fsynced, renamed over `path`, and then
/// the directory is fsynced, so after a crash `path` holds either the old
/// contents or the new ones. Every crate that writes a secret file uses this.
pub fn write_secret_file(path: &Path, contents: &[u8]) -> io::Result<()> {
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
        fs::rename(&tmp, path)
    })();
    if let Err(err) = result {
        let _ = fs::remove_file(&tmp);
        return Err(err);
    }
    File::open(&dir)?.sync_all()
}
