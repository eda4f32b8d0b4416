//! Seed files in every form `nascfg seed export` writes (`load_seed_file`),
//! and `DataDir::import_seed` (issue 25.1).

use std::io::Write;
use std::path::Path;

use nascfg_crypto::secrecy::SecretString;
use nascfg_crypto::{Seed, WorkFactor};
use nascfg_store::{Error, SeedImportCase, SeedProblem, Store, load_seed_file};

use crate::{s3, secret, store_with, temp_dir};

fn age_file(path: &Path, plain: &[u8], pass: &str) {
    let pass = SecretString::from(pass.to_owned());
    let mut w =
        nascfg_crypto::encrypt_with_passphrase(&pass, WorkFactor::new(10), Vec::new()).unwrap();
    w.write_all(plain).unwrap();
    std::fs::write(path, w.finish().unwrap()).unwrap();
}

fn load(path: &Path, pass: Option<&str>) -> Result<Seed, Error> {
    load_seed_file(path, || {
        Ok::<_, Error>(pass.map(|p| SecretString::from(p.to_owned())))
    })
}

fn problem(result: Result<Seed, Error>) -> SeedProblem {
    match result {
        Err(Error::SeedFile { problem, .. }) => problem,
        other => panic!("expected a seed file problem, got {other:?}"),
    }
}

#[test]
fn every_form_of_a_seed_export_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = Seed::generate();
    let raw = tmp.path().join("raw");
    std::fs::write(&raw, seed.expose_bytes()).unwrap();
    let aged = tmp.path().join("seed.age");
    age_file(&aged, seed.expose_bytes(), "pw");
    // A raw file never asks for a passphrase.
    let loaded = load_seed_file(&raw, || -> Result<Option<SecretString>, Error> {
        panic!("asked for a passphrase for a raw seed")
    })
    .unwrap();
    assert_eq!(loaded.fingerprint(), seed.fingerprint());
    assert_eq!(
        load(&aged, Some("pw")).unwrap().fingerprint(),
        seed.fingerprint()
    );
}

#[test]
fn a_seed_file_that_does_not_load_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let aged = tmp.path().join("seed.age");
    age_file(&aged, Seed::generate().expose_bytes(), "pw");
    assert_eq!(problem(load(&aged, None)), SeedProblem::PassphraseRequired);
    assert_eq!(
        problem(load(&aged, Some("other"))),
        SeedProblem::WrongPassphrase
    );
    let short = tmp.path().join("short.age");
    age_file(&short, &[7; 31], "pw");
    assert!(matches!(
        problem(load(&short, Some("pw"))),
        SeedProblem::Damaged { .. }
    ));
    let junk = tmp.path().join("junk");
    std::fs::write(&junk, [1u8; 214]).unwrap();
    assert_eq!(
        problem(load(&junk, None)),
        SeedProblem::WrongLength { len: 214 }
    );
    let huge = tmp.path().join("huge");
    std::fs::write(&huge, vec![0u8; 1 << 20]).unwrap();
    assert!(
        matches!(problem(load(&huge, None)), SeedProblem::WrongLength { len } if len <= 16 * 1024 + 1)
    );
    assert_eq!(
        problem(load(&tmp.path().join("absent"), None)),
        SeedProblem::Missing
    );
    // Each says what to do.
    let err = load(&aged, None).unwrap_err();
    assert!(
        err.hint().unwrap().contains("--seed-passphrase-file"),
        "{:?}",
        err.hint()
    );
}

#[test]
fn import_on_a_box_without_a_store() {
    let (_t, dir) = temp_dir();
    let seed = Seed::generate();
    let guard = dir.lock().unwrap();
    let done = dir.import_seed(&guard, &seed).unwrap();
    drop(guard);
    assert_eq!(done.case, SeedImportCase::EmptyStore);
    assert_eq!(done.previous_seed, None);
    let store = Store::open(&dir).unwrap();
    assert_eq!(store.seed_fingerprint().unwrap(), seed.fingerprint());
    assert_eq!(store.fingerprint().unwrap(), Some(seed.fingerprint()));
}

#[test]
fn import_on_an_empty_store_keeps_the_old_seed() {
    let (_t, dir) = temp_dir();
    drop(store_with(&dir, 0));
    let old = std::fs::read(dir.seed_path()).unwrap();
    let seed = Seed::generate();
    let guard = dir.lock().unwrap();
    let done = dir.import_seed(&guard, &seed).unwrap();
    assert_eq!(done.case, SeedImportCase::EmptyStore);
    assert_eq!(std::fs::read(done.previous_seed.unwrap()).unwrap(), old);
    assert_eq!(
        dir.import_seed(&guard, &seed).unwrap().case,
        SeedImportCase::AlreadyInstalled
    );
    drop(guard);
    let mut store = Store::open(&dir).unwrap();
    assert_eq!(store.fingerprint().unwrap(), Some(seed.fingerprint()));
    store
        .add_credential(&s3("new", "sealed-under-the-import"))
        .unwrap();
    assert_eq!(
        secret(&store.credential("new").unwrap(), "secret_access_key"),
        "sealed-under-the-import"
    );
}

#[test]
fn import_puts_back_the_seed_a_store_is_sealed_under() {
    let (_t, dir) = temp_dir();
    drop(store_with(&dir, 2));
    let seed = nascfg_store::load_seed(&dir.seed_path()).unwrap();
    Seed::generate().write_to(&dir.seed_path()).unwrap();
    let guard = dir.lock().unwrap();
    let done = dir.import_seed(&guard, &seed).unwrap();
    drop(guard);
    assert_eq!(done.case, SeedImportCase::SealedUnderIt);
    assert!(done.previous_seed.is_some());
    let mut store = Store::open(&dir).unwrap();
    assert_eq!(
        secret(&store.credential("cred-1").unwrap(), "secret_access_key"),
        "secret-1-xyzzy"
    );
}

#[test]
fn import_of_another_seed_on_a_store_with_credentials_is_refused() {
    let (_t, dir) = temp_dir();
    drop(store_with(&dir, 1));
    let before: Vec<_> = [dir.db_path(), dir.seed_path()]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let guard = dir.lock().unwrap();
    let err = dir.import_seed(&guard, &Seed::generate()).unwrap_err();
    drop(guard);
    assert!(
        matches!(
            err,
            Error::SeedImportRefused {
                credentials: 1,
                keypairs: 0,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.hint().unwrap().contains("nothing was changed"));
    let after: Vec<_> = [dir.db_path(), dir.seed_path()]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert_eq!(before, after);
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".old-")
        })
        .count();
    assert_eq!(kept, 0);
}
