//! `DataDir::restore_staged`: a plan made once under the guard, carried out
//! by the store (strip, prove, install), or refused with nothing changed.

use nascfg_store::{DataDir, Error, RestorePlan, StagedRestore, Store, Unopenable, check_database};

use crate::{secret, store_with, temp_dir};

/// What a test's restore fails with.
#[derive(Debug)]
enum Refused {
    Store(Error),
    Unopenable(Unopenable),
}

impl From<Error> for Refused {
    fn from(e: Error) -> Self {
        Refused::Store(e)
    }
}

impl From<Unopenable> for Refused {
    fn from(u: Unopenable) -> Self {
        Refused::Unopenable(u)
    }
}

/// Which seed the plan brings.
#[derive(Debug, Clone, Copy)]
enum Brings {
    Nothing,
    TheDatabasesSeed,
}

/// What the restore does.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Installs (or, in a dry run, would): whether a seed comes with the
    /// database, whether its credentials then need their secrets re-entered.
    Installs { seed: bool, needs_secrets: bool },
    /// Refused: the box's seed is not the database's.
    SeedMismatch,
    /// Refused: no seed at all opens the sealed values.
    Unopenable,
}

struct Case {
    name: &'static str,
    /// The box has a data directory with a store (else none yet).
    has_store: bool,
    brings: Brings,
    strip_secrets: bool,
    dry_run: bool,
    expect: Expect,
}

const CASES: &[Case] = &[
    Case {
        name: "the database's seed comes with it",
        has_store: true,
        brings: Brings::TheDatabasesSeed,
        strip_secrets: false,
        dry_run: false,
        expect: Expect::Installs {
            seed: true,
            needs_secrets: false,
        },
    },
    Case {
        name: "a dry run changes nothing",
        has_store: true,
        brings: Brings::TheDatabasesSeed,
        strip_secrets: false,
        dry_run: true,
        expect: Expect::Installs {
            seed: true,
            needs_secrets: false,
        },
    },
    Case {
        name: "secrets stripped",
        has_store: true,
        brings: Brings::Nothing,
        strip_secrets: true,
        dry_run: false,
        expect: Expect::Installs {
            seed: false,
            needs_secrets: true,
        },
    },
    Case {
        name: "the box's seed does not open the sealed values",
        has_store: true,
        brings: Brings::Nothing,
        strip_secrets: false,
        dry_run: false,
        expect: Expect::SeedMismatch,
    },
    Case {
        name: "no seed opens the sealed values",
        has_store: false,
        brings: Brings::Nothing,
        strip_secrets: false,
        dry_run: false,
        expect: Expect::Unopenable,
    },
];

#[test]
fn the_store_carries_out_the_plan_it_is_given() {
    for case in CASES {
        let (ta, from) = temp_dir();
        let (_tb, to) = temp_dir();
        let source = store_with(&from, 2);
        let snap = ta.path().join("snap.db");
        source.snapshot_to(&snap).unwrap();
        let seed = source.seed().unwrap().clone();
        drop(source);
        let box_seed = case.has_store.then(|| {
            drop(store_with(&to, 1));
            std::fs::read(to.seed_path()).unwrap()
        });
        let (info, opened) = check_database(&snap, Some(&seed)).unwrap();
        let result = to.restore_staged(
            StagedRestore {
                db_path: &snap,
                info: &info,
                opened,
                syncing: None,
            },
            case.dry_run,
            |this_box| {
                assert_eq!(this_box.seed().is_some(), case.has_store, "{}", case.name);
                Ok::<_, Refused>(RestorePlan {
                    case: case.name,
                    seed: match case.brings {
                        Brings::Nothing => None,
                        Brings::TheDatabasesSeed => Some(seed.clone()),
                    },
                    strip_secrets: case.strip_secrets,
                })
            },
        );
        let unchanged = |to: &DataDir| match &box_seed {
            Some(box_seed) => {
                assert_eq!(
                    &std::fs::read(to.seed_path()).unwrap(),
                    box_seed,
                    "{}",
                    case.name
                );
                let store = Store::open(to).unwrap();
                assert_eq!(store.list_credentials().unwrap().len(), 1, "{}", case.name);
            }
            None => assert!(!to.path().exists(), "{}", case.name),
        };
        match (case.expect, result) {
            (Expect::Unopenable, Err(Refused::Unopenable(left))) => {
                assert_eq!((left.credentials, left.keypairs), (2, 0), "{}", case.name);
                unchanged(&to);
            }
            (Expect::SeedMismatch, Err(Refused::Store(Error::SeedMismatch { database, .. }))) => {
                assert_eq!(database, seed.fingerprint(), "{}", case.name);
                unchanged(&to);
            }
            (
                Expect::Installs {
                    seed: installs_seed,
                    needs_secrets,
                },
                Ok(done),
            ) => {
                assert_eq!(done.case, case.name);
                assert_eq!(done.installs_seed, installs_seed, "{}", case.name);
                if case.dry_run {
                    assert!(done.installed.is_none(), "{}", case.name);
                    unchanged(&to);
                    continue;
                }
                let installed = done.installed.unwrap();
                assert!(installed.previous_db.is_some(), "{}", case.name);
                assert_eq!(
                    installed.previous_seed.is_some(),
                    installs_seed,
                    "{}",
                    case.name
                );
                let mut store = Store::open(&to).unwrap();
                let listed = store.list_credentials().unwrap();
                assert_eq!(listed.len(), 2, "{}", case.name);
                assert!(
                    listed.iter().all(|c| c.needs_secrets == needs_secrets),
                    "{}",
                    case.name
                );
                if !needs_secrets {
                    assert_eq!(
                        secret(&store.credential("cred-1").unwrap(), "secret_access_key"),
                        "secret-1-xyzzy",
                        "{}",
                        case.name
                    );
                }
            }
            (expect, result) => panic!("{}: expected {expect:?}, got {result:?}", case.name),
        }
    }
}
