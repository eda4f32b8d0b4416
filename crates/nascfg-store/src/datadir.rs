//! The data directory: where it is, its files, the writer lock, and the
//! crash-safe installation of a restored database (a redo journal).

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nascfg_crypto::Seed;

use crate::error::{Error, io};
use crate::failpoint::failpoint;

const DB_FILE: &str = "config.db";
const SEED_FILE: &str = "secret-seed";
const LOCK_FILE: &str = "lock";
const STAGED_DB: &str = "config.db.restore";
const STAGED_SEED: &str = "secret-seed.restore";
const INSTALL_MARKER: &str = "install.commit";
pub(crate) const NEW_SEED: &str = "secret-seed.new";

/// A box's data directory: `config.db`, `secret-seed`, the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    path: PathBuf,
}

/// The held writer lock (an exclusive `flock` on `lock`) of one data directory;
/// released on drop.
///
/// Every multi-step change takes it as an argument ([`DataDir::install`],
/// [`Store::rotate_seed`](crate::Store::rotate_seed),
/// [`Store::in_transaction`](crate::Store::in_transaction)): holding one is the
/// proof that no other nascfg process changes the directory meanwhile. The lock
/// is not reentrant (a second `flock` from the same process waits forever), so
/// take it once per change and hand the guard down; functions that take a guard
/// never lock again.
#[derive(Debug)]
pub struct WriteGuard {
    _file: File,
    dir: PathBuf,
}

impl WriteGuard {
    /// Panics when this guard is not the lock of `dir`: passing another data
    /// directory's guard is a bug, not an input error.
    pub(crate) fn check(&self, dir: &DataDir) {
        assert!(
            self.dir == dir.path,
            "the write guard of {} was passed for {}",
            self.dir.display(),
            dir.path.display()
        );
    }
}

/// What [`DataDir::install`] did: where the previous files were kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The previous `config.db`, kept as `config.db.old-<timestamp>`.
    pub previous_db: Option<PathBuf>,
    /// The previous `secret-seed`, kept as `secret-seed.old-<timestamp>` (only when a seed was installed).
    pub previous_seed: Option<PathBuf>,
}

/// A checked database for [`DataDir::install`], and what becomes of the caller's file.
#[derive(Debug, Clone, Copy)]
pub enum StagedDb<'a> {
    /// Copied page by page: the caller keeps its file.
    Copy(&'a Path),
    /// A file the caller made (mode 0600, a single file with no `-wal` beside it) and
    /// gives up: fsynced and moved into this directory when both are on one
    /// filesystem, which spares copying it, else copied.
    Take(&'a Path),
}

impl DataDir {
    /// The data directory to use: `explicit` (from `--data-dir` or `NASCFG_DATA_DIR`), else
    /// `$XDG_DATA_HOME/nascfg`, else `~/.local/share/nascfg`.
    pub fn resolve(explicit: Option<&Path>) -> Result<DataDir, Error> {
        if let Some(p) = explicit {
            return Ok(DataDir::new(p.to_path_buf()));
        }
        if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            let xdg = PathBuf::from(xdg);
            if xdg.is_absolute() {
                return Ok(DataDir::new(xdg.join("nascfg")));
            }
        }
        match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => Ok(DataDir::new(
                PathBuf::from(home).join(".local/share/nascfg"),
            )),
            None => Err(Error::NoDataDir),
        }
    }

    /// A data directory at `path` (nothing is created yet).
    pub fn new(path: PathBuf) -> DataDir {
        DataDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `config.db`.
    pub fn db_path(&self) -> PathBuf {
        self.path.join(DB_FILE)
    }

    /// `secret-seed`.
    pub fn seed_path(&self) -> PathBuf {
        self.path.join(SEED_FILE)
    }

    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Creates the directory (mode 0700) if it does not exist; an existing
    /// one must pass [`DataDir::check`] (StrictModes).
    pub(crate) fn create(&self) -> Result<bool, Error> {
        if self.path.is_dir() {
            // What it tightened is the front end's to show, from its own
            // call of `check` before: here the check is enforced.
            self.check()?;
            return Ok(false);
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.path)
            .map_err(io(&self.path))?;
        fs::set_permissions(&self.path, fs::Permissions::from_mode(0o700))
            .map_err(io(&self.path))?;
        Ok(true)
    }

    /// Takes the exclusive writer lock (blocking until other nascfg processes
    /// release it), creating the directory if needed; an existing one must
    /// pass [`DataDir::check`] first.
    ///
    /// Not reentrant: [`Store::open`](crate::Store::open) and the store's
    /// single-change methods (`add_credential`, ...) take it themselves, so do
    /// not call them while holding a guard; use the guard-taking forms
    /// ([`Store::open_locked`](crate::Store::open_locked),
    /// [`Store::in_transaction`](crate::Store::in_transaction)) instead.
    pub fn lock(&self) -> Result<WriteGuard, Error> {
        self.create()?;
        let path = self.file(LOCK_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(io(&path))?;
        file.lock().map_err(io(&path))?;
        Ok(WriteGuard {
            _file: file,
            dir: self.path.clone(),
        })
    }

    /// Installs `staged` (and `seed`, when given) as this box's database (and seed),
    /// atomically and crash-safely, keeping the previous files as `*.old-<timestamp>`.
    ///
    /// The staged database must already be checked (see `inspect_database`). After a
    /// crash at any instant, the next `Store::open` finds either the old state or the
    /// new one. `guard` is this directory's lock, held by the caller since it decided
    /// what to install.
    pub fn install(
        &self,
        guard: &WriteGuard,
        staged: StagedDb<'_>,
        seed: Option<&Seed>,
    ) -> Result<Installed, Error> {
        guard.check(self);
        // Finish or undo an earlier interrupted install first.
        self.recover_install(guard)?;
        let target = self.file(STAGED_DB);
        remove_if_exists(&target)?;
        let (path, take) = match staged {
            StagedDb::Copy(path) => (path, false),
            StagedDb::Take(path) => (path, true),
        };
        // Across file systems a Take is copied, as a Copy is.
        let moved = take && move_database(path, &target)?;
        if !moved {
            copy_database(path, &target)?;
        }
        failpoint("install-after-stage-db");
        if let Some(seed) = seed {
            nascfg_crypto::write_secret_file(&self.file(STAGED_SEED), seed.expose_bytes())
                .map_err(io(self.file(STAGED_SEED)))?;
        }
        failpoint("install-before-commit");
        let stamp = unique_stamp(self);
        let old_db = self
            .db_path()
            .exists()
            .then(|| self.file(&format!("{DB_FILE}.old-{stamp}")));
        let old_seed = (seed.is_some() && self.seed_path().exists())
            .then(|| self.file(&format!("{SEED_FILE}.old-{stamp}")));
        let marker = serde_json::json!({
            "stamp": stamp,
            "seed": seed.is_some(),
        });
        nascfg_crypto::write_secret_file(&self.file(INSTALL_MARKER), marker.to_string().as_bytes())
            .map_err(io(self.file(INSTALL_MARKER)))?;
        failpoint("install-after-commit");
        self.roll_forward(&stamp)?;
        Ok(Installed {
            previous_db: old_db,
            previous_seed: old_seed,
        })
    }

    /// Completes an install whose commit marker exists, or removes the staged
    /// files of one that never committed.
    pub(crate) fn recover_install(&self, guard: &WriteGuard) -> Result<(), Error> {
        guard.check(self);
        let marker = self.file(INSTALL_MARKER);
        match fs::read(&marker) {
            Ok(bytes) => {
                let stamp = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| v.get("stamp").and_then(|s| s.as_str()).map(str::to_owned))
                    .filter(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
                    .unwrap_or_else(|| unique_stamp(self));
                self.roll_forward(&stamp)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                remove_if_exists(&self.file(STAGED_DB))?;
                remove_if_exists(&self.file(STAGED_SEED))?;
                Ok(())
            }
            Err(e) => Err(Error::Io {
                path: marker,
                source: e,
            }),
        }
    }

    /// Idempotent: every step checks whether it was already done.
    fn roll_forward(&self, stamp: &str) -> Result<(), Error> {
        let staged_db = self.file(STAGED_DB);
        if staged_db.exists() {
            let live = self.db_path();
            if live.exists() {
                checkpoint_and_drop_wal(&live)?;
                let old = self.file(&format!("{DB_FILE}.old-{stamp}"));
                if !old.exists() {
                    keep_copy(&live, &old)?;
                }
            }
            failpoint("install-after-keep-db");
            fs::rename(&staged_db, &live).map_err(io(&live))?;
            sync_dir(&self.path)?;
        }
        let staged_seed = self.file(STAGED_SEED);
        if staged_seed.exists() {
            let live = self.seed_path();
            if live.exists() {
                let old = self.file(&format!("{SEED_FILE}.old-{stamp}"));
                if !old.exists() {
                    keep_copy(&live, &old)?;
                }
            }
            fs::rename(&staged_seed, &live).map_err(io(&live))?;
            sync_dir(&self.path)?;
        }
        failpoint("install-before-unmark");
        remove_if_exists(&self.file(INSTALL_MARKER))?;
        sync_dir(&self.path)
    }
}

/// Copies a (possibly WAL-mode) SQLite database through SQLite's backup API into
/// a fresh single file, mode 0600, fsynced.
fn copy_database(from: &Path, to: &Path) -> Result<(), Error> {
    let src = crate::schema::open_untrusted(from)?;
    create_private_file(to)?;
    {
        let mut dst = rusqlite::Connection::open(to)?;
        let backup = rusqlite::backup::Backup::new(&src, &mut dst)
            .map_err(|e| crate::schema::map_open_error(from, e))?;
        backup
            .run_to_completion(256, std::time::Duration::ZERO, None)
            .map_err(|e| crate::schema::map_open_error(from, e))?;
        drop(backup);
        dst.pragma_update(None, "journal_mode", "DELETE")?;
    }
    File::open(to).and_then(|f| f.sync_all()).map_err(io(to))?;
    Ok(())
}

/// Moves a database file the caller gives up to `to`, durably: its contents
/// are fsynced first (the rename is made durable by the install's later
/// directory syncs, as a copy's creation is). `false` when the two are on
/// different filesystems (nothing moved: copy it).
fn move_database(from: &Path, to: &Path) -> Result<bool, Error> {
    File::open(from)
        .and_then(|f| f.sync_all())
        .map_err(io(from))?;
    match fs::rename(from, to) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => Ok(false),
        Err(e) => Err(Error::Io {
            path: to.to_path_buf(),
            source: e,
        }),
    }
}

/// Creates an empty file with mode 0600 (so SQLite's -wal/-shm inherit 0600).
pub(crate) fn create_private_file(path: &Path) -> Result<(), Error> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(io(path))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io(path))
}

/// Moves everything from the live database's WAL into the database file and
/// removes the -wal/-shm files, so that replacing the file loses nothing and
/// leaves no WAL of the old database beside the new one.
fn checkpoint_and_drop_wal(db: &Path) -> Result<(), Error> {
    let wal = sidecar(db, "-wal");
    let shm = sidecar(db, "-shm");
    if wal.exists()
        && let Ok(conn) = rusqlite::Connection::open(db)
    {
        let _ = conn.busy_timeout(std::time::Duration::from_secs(10));
        // A damaged old database must not block the install; its file is kept as is.
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        let _ = conn.pragma_update(None, "journal_mode", "DELETE");
    }
    remove_if_exists(&wal)?;
    remove_if_exists(&shm)
}

pub(crate) fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Keeps `from` as `to`: a hard link when possible, else a copy; synced.
pub(crate) fn keep_copy(from: &Path, to: &Path) -> Result<(), Error> {
    if fs::hard_link(from, to).is_err() {
        let bytes = fs::read(from).map_err(io(from))?;
        nascfg_crypto::write_secret_file(to, &bytes).map_err(io(to))?;
    }
    if let Some(dir) = to.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

pub(crate) fn remove_if_exists(path: &Path) -> Result<(), Error> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// Keeps the current seed file as `secret-seed.old-<timestamp>`, unless an
/// identical copy is already kept. Returns where it is.
pub(crate) fn keep_old_seed(dir: &DataDir) -> Result<Option<PathBuf>, Error> {
    let seed_path = dir.seed_path();
    let bytes = match std::fs::read(&seed_path) {
        Ok(b) => zeroize::Zeroizing::new(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::Io {
                path: seed_path,
                source: e,
            });
        }
    };
    if let Ok(entries) = std::fs::read_dir(dir.path()) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with("secret-seed.old-")
                && let Ok(other) = std::fs::read(entry.path())
            {
                let other = zeroize::Zeroizing::new(other);
                if *other == *bytes {
                    return Ok(Some(entry.path()));
                }
            }
        }
    }
    let stamp = unique_stamp(dir);
    let kept = dir.file(&format!("secret-seed.old-{stamp}"));
    nascfg_crypto::write_secret_file(&kept, &bytes).map_err(io(&kept))?;
    Ok(Some(kept))
}

/// A UTC timestamp for `*.old-<timestamp>` names, unique within the directory.
pub(crate) fn unique_stamp(dir: &DataDir) -> String {
    let now = time::OffsetDateTime::now_utc();
    let base = now
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("a date-time has every part the format names");
    let taken = |s: &str| {
        dir.file(&format!("{DB_FILE}.old-{s}")).exists()
            || dir.file(&format!("{SEED_FILE}.old-{s}")).exists()
    };
    if !taken(&base) {
        return base;
    }
    (1..)
        .map(|n| format!("{base}-{n}"))
        .find(|s| !taken(s))
        .expect("the directory holds finitely many files, so a suffix is free")
}
