//! StrictModes (issue 30.4, 25.21): a data directory, `config.db` or
//! `secret-seed` another user owns or may write is refused, a symbolic link
//! for either file is refused, and nothing is changed on a refusal; one that
//! others may only read is made private, and the change is returned.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nascfg_store::{DataDir, Error, Store, Tightened, UnsafeReason};

use crate::{store_with, temp_dir};

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Every entry of the directory with its mode and contents: what a refusal must leave alone.
fn state(dir: &DataDir) -> Vec<(PathBuf, u32, Vec<u8>)> {
    let mut out = vec![(dir.path().to_owned(), mode(dir.path()), Vec::new())];
    let mut entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let meta = std::fs::symlink_metadata(&p).unwrap();
        let contents = if meta.is_file() {
            std::fs::read(&p).unwrap()
        } else {
            Vec::new()
        };
        out.push((p.clone(), mode(&p), contents));
    }
    out
}

/// A set-up data directory (one credential), then `spoil` applied: the check
/// and `Store::open` must both refuse with `expected`, and change nothing.
fn refused(spoil: impl Fn(&DataDir), expected: impl Fn(&Path, &UnsafeReason) -> bool) {
    let (_t, dir) = temp_dir();
    drop(store_with(&dir, 1));
    spoil(&dir);
    let before = state(&dir);
    for err in [dir.check().unwrap_err(), Store::open(&dir).unwrap_err()] {
        match &err {
            Error::Unsafe { path, reason } => {
                assert!(expected(path, reason), "{err}");
                let message = err.to_string();
                assert!(message.contains(&path.display().to_string()), "{message}");
                assert!(err.hint().unwrap().contains("Nothing was changed"));
            }
            other => panic!("expected a StrictModes refusal, got {other}"),
        }
    }
    assert!(dir.lock().is_err());
    assert_eq!(before, state(&dir), "a refusal changed the data directory");
}

#[test]
fn a_group_writable_directory_is_refused() {
    refused(
        |dir| chmod(dir.path(), 0o770),
        |path, reason| {
            path.ends_with("data") && *reason == UnsafeReason::WritableByOthers { mode: 0o770 }
        },
    );
}

#[test]
fn a_world_writable_database_or_seed_is_refused() {
    refused(
        |dir| chmod(&dir.db_path(), 0o606),
        |path, reason| {
            path.ends_with("config.db") && *reason == UnsafeReason::WritableByOthers { mode: 0o606 }
        },
    );
    refused(
        |dir| chmod(&dir.seed_path(), 0o620),
        |path, reason| {
            path.ends_with("secret-seed")
                && *reason == UnsafeReason::WritableByOthers { mode: 0o620 }
        },
    );
    let (_t, dir) = temp_dir();
    drop(store_with(&dir, 1));
    chmod(&dir.db_path(), 0o666);
    let err = dir.check().unwrap_err();
    assert!(
        err.hint().unwrap().contains("chmod go-w"),
        "{:?}",
        err.hint()
    );
}

/// Only root can give a file away; the CI runs the tests as root.
fn give_away(path: &Path) -> bool {
    match std::os::unix::fs::chown(path, Some(65534), None) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            eprintln!("not root: the foreign-owner cases cannot be made here");
            false
        }
        Err(e) => panic!("chown: {e}"),
    }
}

#[test]
fn a_foreign_owner_is_refused() {
    for target in ["dir", "config.db", "secret-seed"] {
        let (_t, dir) = temp_dir();
        drop(store_with(&dir, 1));
        let path = match target {
            "dir" => dir.path().to_owned(),
            "config.db" => dir.db_path(),
            _ => dir.seed_path(),
        };
        if !give_away(&path) {
            return;
        }
        let before = state(&dir);
        let err = Store::open(&dir).unwrap_err();
        assert!(
            matches!(&err, Error::Unsafe { path: p, reason: UnsafeReason::ForeignOwner { owner: 65534, .. } } if *p == path),
            "{target}: {err}"
        );
        assert!(err.to_string().contains("uid 65534"), "{err}");
        assert!(err.hint().unwrap().contains("chown"), "{:?}", err.hint());
        assert_eq!(
            before,
            state(&dir),
            "{target}: a refusal changed the data directory"
        );
    }
}

#[test]
fn a_symlinked_seed_or_database_is_refused() {
    for name in ["secret-seed", "config.db"] {
        refused(
            |dir| {
                let real = dir.path().parent().unwrap().join(format!("real-{name}"));
                std::fs::rename(dir.path().join(name), &real).unwrap();
                std::os::unix::fs::symlink(&real, dir.path().join(name)).unwrap();
            },
            |path, reason| path.ends_with(name) && *reason == UnsafeReason::Symlink,
        );
    }
}

#[test]
fn a_directory_in_place_of_the_seed_is_refused() {
    refused(
        |dir| {
            std::fs::remove_file(dir.seed_path()).unwrap();
            std::fs::create_dir(dir.seed_path()).unwrap();
        },
        |path, reason| path.ends_with("secret-seed") && *reason == UnsafeReason::NotAFile,
    );
}

#[test]
fn a_readable_directory_and_files_are_made_private_with_a_notice() {
    let (_t, dir) = temp_dir();
    drop(store_with(&dir, 1));
    chmod(dir.path(), 0o755);
    chmod(&dir.db_path(), 0o644);
    let tightened = dir.check().unwrap();
    assert_eq!(
        tightened,
        [
            Tightened {
                path: dir.path().to_owned(),
                from: 0o755,
                to: 0o700
            },
            Tightened {
                path: dir.db_path(),
                from: 0o644,
                to: 0o600
            },
        ]
    );
    assert!(
        tightened[0].to_string().contains("0755 -> 0700"),
        "{}",
        tightened[0]
    );
    assert_eq!(mode(dir.path()), 0o700);
    assert_eq!(mode(&dir.db_path()), 0o600);
    assert_eq!(dir.check().unwrap(), []);
    // Store::open checks too (and makes private what it finds readable).
    chmod(dir.path(), 0o750);
    let mut store = Store::open(&dir).unwrap();
    assert_eq!(mode(dir.path()), 0o700);
    assert_eq!(
        crate::secret(&store.credential("cred-0").unwrap(), "secret_access_key"),
        "secret-0-xyzzy"
    );
}

#[test]
fn a_directory_that_does_not_exist_passes_and_is_created_private() {
    let (_t, dir) = temp_dir();
    assert_eq!(dir.check().unwrap(), []);
    drop(Store::open(&dir).unwrap());
    assert_eq!(mode(dir.path()), 0o700);
}
