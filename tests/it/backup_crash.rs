//! `backup restore` killed at any moment leaves the old state or the new one,
//! each with a matching seed: at every install failpoint (abort) and by
//! kill -9 at random moments, 55 trials in all.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::Path;

use nascfg_tests::cli::{Nascfg, nascfg_bin};
use rand_core::RngCore;

const OLD: usize = 3;
const NEW: usize = 4;

fn make_box(prefix: &str, count: usize) -> Nascfg {
    let n = Nascfg::new();
    for i in 0..count {
        n.ok(&[
            "cred",
            "add",
            &format!("{prefix}{i}"),
            "--provider",
            "ftp",
            "--set",
            "host=h",
            "--set",
            "user=u",
            "--set",
            &format!("pass=pw-{prefix}{i}"),
        ]);
    }
    n
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The box holds exactly the old or exactly the new credentials, and every
/// secret opens with the seed on disk. Returns true for the new state.
fn check(n: &Nascfg, what: &str) -> bool {
    let list = n.json(&["cred", "list"]);
    let names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    let old: Vec<String> = (0..OLD).map(|i| format!("old{i}")).collect();
    let new: Vec<String> = (0..NEW).map(|i| format!("new{i}")).collect();
    let is_new = if names == new {
        true
    } else {
        assert_eq!(names, old, "{what}: a mixture");
        false
    };
    for name in &names {
        let c = n.json(&["cred", "show", name, "--reveal"]);
        assert_eq!(c["provider"]["pass"], format!("pw-{name}"), "{what}");
    }
    assert_eq!(n.json(&["seed", "fingerprint"])["matches"], true, "{what}");
    is_new
}

struct Setup {
    old: Nascfg,
    new: Nascfg,
    with_seed: String,
    without_seed: String,
}

fn setup() -> Setup {
    let old = make_box("old", OLD);
    let new = make_box("new", NEW);
    let with_seed = new.tmp().join("with-seed.tar.gz");
    let without_seed = new.tmp().join("no-seed.tar.gz");
    new.ok(&[
        "backup",
        "export",
        "--include-seed",
        "-o",
        with_seed.to_str().unwrap(),
    ]);
    new.ok(&["backup", "export", "-o", without_seed.to_str().unwrap()]);
    Setup {
        with_seed: with_seed.to_string_lossy().into_owned(),
        without_seed: without_seed.to_string_lossy().into_owned(),
        old,
        new,
    }
}

impl Setup {
    fn args(&self, trial: usize) -> Vec<String> {
        let mut args = vec!["backup".to_owned(), "restore".to_owned()];
        if trial.is_multiple_of(2) {
            args.push(self.with_seed.clone());
        } else {
            args.push(self.without_seed.clone());
            args.push("--seed-file".into());
            args.push(
                self.new
                    .data_dir()
                    .join("secret-seed")
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        args
    }
}

#[test]
fn restore_survives_every_failpoint() {
    let s = setup();
    let mut trial = 0;
    for point in [
        "install-after-stage-db",
        "install-before-commit",
        "install-after-commit",
        "install-after-keep-db",
        "install-before-unmark",
    ] {
        for _ in 0..2 {
            let n = Nascfg::new();
            copy_dir(s.old.data_dir(), n.data_dir());
            let run = n
                .cmd()
                .env("NASCFG_FAILPOINT", point)
                .args(s.args(trial))
                .output()
                .unwrap();
            assert!(!run.status.success(), "{point}: the failpoint did not fire");
            let is_new = check(&n, point);
            // Before the commit marker: the old state; after it: the new one.
            let committed = !matches!(point, "install-after-stage-db" | "install-before-commit");
            assert_eq!(is_new, committed, "{point}");
            // The recovered box restores again.
            n.ok(&s.args(trial).iter().map(String::as_str).collect::<Vec<_>>());
            assert!(check(&n, point));
            trial += 1;
        }
    }
}

#[test]
fn restore_survives_kill_at_random_moments() {
    let s = setup();
    let probe = Nascfg::new();
    copy_dir(s.old.data_dir(), probe.data_dir());
    let start = std::time::Instant::now();
    probe.ok(&s.args(0).iter().map(String::as_str).collect::<Vec<_>>());
    let span = start.elapsed().as_micros().max(1000) as u64;
    let mut rng = rand_core::OsRng;
    let (mut old, mut new) = (0, 0);
    for trial in 0..45 {
        let n = Nascfg::new();
        copy_dir(s.old.data_dir(), n.data_dir());
        let mut child = std::process::Command::new(nascfg_bin())
            .arg("--data-dir")
            .arg(n.data_dir())
            .args(s.args(trial))
            .env_remove("NASCFG_FAILPOINT")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let delay = rng.next_u64() % (span + span / 4);
        std::thread::sleep(std::time::Duration::from_micros(delay));
        let _ = child.kill();
        let _ = child.wait();
        if check(&n, &format!("trial {trial}, killed after {delay} µs")) {
            new += 1;
        } else {
            old += 1;
        }
    }
    assert_eq!(old + new, 45);
}
