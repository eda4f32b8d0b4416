//! StrictModes for the data directory, as OpenSSH checks `~/.ssh`: a
//! directory or file another user owns, or that its group or others may
//! write, could hold another user's store and seed (every secret added
//! afterwards would be theirs to read), so it is refused; one that others
//! may only read is made private, with a notice. `config.db` and
//! `secret-seed` are never followed through a symbolic link.

use std::fmt;
use std::fs::{self, Metadata};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::datadir::DataDir;
use crate::error::{Error, io};

/// The files of a data directory the check covers: the database (with the
/// WAL files SQLite keeps beside it) and the seed.
const CHECKED_FILES: [&str; 4] = ["config.db", "config.db-wal", "config.db-shm", "secret-seed"];

/// Why a data directory, or a file in it, is refused (see [`DataDir::check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsafeReason {
    /// Owned by another user than the one running nascfg (root is trusted, as OpenSSH trusts it).
    ForeignOwner {
        /// The owner's uid.
        owner: u32,
        /// The effective uid of this process.
        uid: u32,
    },
    /// Its group or others may write it (`mode & 0o022`).
    WritableByOthers {
        /// Its permission bits.
        mode: u32,
    },
    /// `config.db` or `secret-seed` is a symbolic link.
    Symlink,
    /// `config.db` or `secret-seed` is a directory, a device, a FIFO or a socket.
    NotAFile,
}

impl UnsafeReason {
    /// The command (or step) that fixes it for `path`.
    pub(crate) fn fix(&self, path: &Path) -> String {
        let p = shell_quote(path);
        match self {
            UnsafeReason::ForeignOwner { uid, .. } => format!(
                "if it is yours, take it back as root: `chown {uid} {p}`; if you did not put it there, \
                 someone else may have: move the data directory away and restore a backup. Nothing was changed"
            ),
            UnsafeReason::WritableByOthers { .. } => format!(
                "`chmod go-w {p}` (nascfg keeps its directory 0700 and its files 0600), then check that \
                 what is inside is yours. Nothing was changed"
            ),
            UnsafeReason::Symlink => format!(
                "put the file itself in place of the link, e.g. `cp --remove-destination \"$(readlink -f {p})\" {p}`, \
                 and check it is yours. Nothing was changed"
            ),
            UnsafeReason::NotAFile => {
                format!("move {p} away (it should be a file nascfg wrote). Nothing was changed")
            }
        }
    }
}

impl fmt::Display for UnsafeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnsafeReason::ForeignOwner { owner, uid } => write!(
                f,
                "it is owned by uid {owner}, not by you (uid {uid}) or root: another user could have put \
                 their own store or seed there"
            ),
            UnsafeReason::WritableByOthers { mode } => write!(
                f,
                "its group or others can write it (mode {mode:04o}): another user could put their own \
                 store or seed in place"
            ),
            UnsafeReason::Symlink => f.write_str(
                "it is a symbolic link, which nascfg never follows for its database or seed",
            ),
            UnsafeReason::NotAFile => f.write_str("it is not a regular file"),
        }
    }
}

/// A permission [`DataDir::check`] made private: others could read it, none
/// could write it. A front end shows it as a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tightened {
    /// The directory or file.
    pub path: PathBuf,
    /// Its permission bits before.
    pub from: u32,
    /// Its permission bits now (0700 for the directory, 0600 for a file).
    pub to: u32,
}

impl fmt::Display for Tightened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "made {} private (mode {:04o} -> {:04o}): other users could read it",
            self.path.display(),
            self.from,
            self.to
        )
    }
}

impl DataDir {
    /// StrictModes: refuses ([`Error::Unsafe`]) an existing data directory, or
    /// a `config.db` (and its WAL files) or `secret-seed` in it, owned by
    /// another user than this process's (or root), or writable by group or
    /// others; refuses either file as a symbolic link or anything but a
    /// regular file. Every check comes before any change: on a refusal
    /// nothing was changed. Then a directory or file that others may only
    /// read is made private (0700, 0600), and each such change is returned,
    /// for the front end to show as a notice (the store prints nothing).
    ///
    /// A directory that does not exist yet passes (it is created 0700).
    /// [`DataDir::lock`] runs this check too, so no store is opened in an
    /// unsafe directory; a front end calls it first to show what it changed.
    pub fn check(&self) -> Result<Vec<Tightened>, Error> {
        let uid = rustix::process::geteuid().as_raw();
        let dir_meta = match fs::metadata(self.path()) {
            Ok(meta) if meta.is_dir() => meta,
            // Not there yet (created 0700), or not a directory (creating it fails).
            Ok(_) => return Ok(Vec::new()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(self.path())(e)),
        };
        let mut plan = Vec::new();
        if let Some(t) = judge(self.path(), &dir_meta, uid, 0o700)? {
            plan.push(t);
        }
        for name in CHECKED_FILES {
            let path = self.file(name);
            let meta = match fs::symlink_metadata(&path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(&path)(e)),
            };
            let refuse = |reason| Error::Unsafe {
                path: path.clone(),
                reason,
            };
            if meta.file_type().is_symlink() {
                return Err(refuse(UnsafeReason::Symlink));
            }
            if !meta.is_file() {
                return Err(refuse(UnsafeReason::NotAFile));
            }
            if let Some(t) = judge(&path, &meta, uid, 0o600)? {
                plan.push(t);
            }
        }
        for t in &plan {
            fs::set_permissions(&t.path, fs::Permissions::from_mode(t.to)).map_err(io(&t.path))?;
        }
        Ok(plan)
    }
}

/// Refuses a foreign owner or a group/other-writable mode; a mode others may
/// only read is to become `private`.
fn judge(path: &Path, meta: &Metadata, uid: u32, private: u32) -> Result<Option<Tightened>, Error> {
    let owner = meta.uid();
    if owner != uid && owner != 0 {
        return Err(Error::Unsafe {
            path: path.to_path_buf(),
            reason: UnsafeReason::ForeignOwner { owner, uid },
        });
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(Error::Unsafe {
            path: path.to_path_buf(),
            reason: UnsafeReason::WritableByOthers { mode },
        });
    }
    Ok((mode & 0o077 != 0).then(|| Tightened {
        path: path.to_path_buf(),
        from: mode,
        to: private,
    }))
}

/// Opens `path` for reading without following a symbolic link in its last
/// component (`O_NOFOLLOW`: a link is an error, never its target).
pub(crate) fn open_nofollow(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
}

/// `path` as one shell word (single-quoted unless it is plain).
fn shell_quote(path: &Path) -> String {
    let s = path.display().to_string();
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c));
    if plain {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
