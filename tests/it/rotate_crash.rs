//! `seed rotate` killed at any point leaves a store whose secrets all open with
//! the seed on disk: at every failpoint, and by kill -9 at random moments.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use nascfg_tests::cli::{Nascfg, nascfg_bin};
use rand_core::RngCore;

const CREDS: usize = 6;

fn template() -> Nascfg {
    let n = Nascfg::new();
    for i in 0..CREDS {
        n.ok(&[
            "cred",
            "add",
            &format!("c{i}"),
            "--provider",
            "ftp",
            "--set",
            "host=h",
            "--set",
            "user=u",
            "--set",
            &format!("pass=pw-{i}-secret"),
        ]);
    }
    n.ok(&["keypair", "generate", "k"]);
    n
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Every secret opens with the seed on disk, the database and the seed agree,
/// and a further rotation works.
fn check(n: &Nascfg, what: &str) {
    let fp = n.json(&["seed", "fingerprint"]);
    assert_eq!(fp["matches"], true, "{what}: {fp}");
    for i in 0..CREDS {
        let c = n.json(&["cred", "show", &format!("c{i}"), "--reveal"]);
        assert_eq!(c["provider"]["pass"], format!("pw-{i}-secret"), "{what}");
    }
    assert!(
        !n.data_dir().join("secret-seed.new").exists(),
        "{what}: stale secret-seed.new"
    );
}

#[test]
fn rotate_survives_every_failpoint() {
    let t = template();
    for point in [
        "rotate-after-new-seed",
        "rotate-before-commit",
        "rotate-after-commit",
        "rotate-after-keep",
        "rotate-after-rename",
    ] {
        let n = Nascfg::new();
        copy_dir(t.data_dir(), n.data_dir());
        let run = n
            .cmd()
            .env("NASCFG_FAILPOINT", point)
            .args(["seed", "rotate"])
            .output()
            .unwrap();
        assert!(!run.status.success(), "{point}: the failpoint did not fire");
        check(&n, point);
        // The recovered store rotates again.
        n.ok(&["seed", "rotate"]);
        check(&n, point);
    }
}

/// Recovery itself interrupted (after the commit, during the finishing rename).
#[test]
fn interrupted_recovery_is_recovered() {
    let t = template();
    let n = Nascfg::new();
    copy_dir(t.data_dir(), n.data_dir());
    let run = n
        .cmd()
        .env("NASCFG_FAILPOINT", "rotate-after-commit")
        .args(["seed", "rotate"])
        .output()
        .unwrap();
    assert!(!run.status.success());
    let run = n
        .cmd()
        .env("NASCFG_FAILPOINT", "rotate-recover-before-rename")
        .args(["cred", "list"])
        .output()
        .unwrap();
    assert!(!run.status.success());
    check(&n, "recovery interrupted");
}

#[test]
fn rotate_survives_kill_at_random_moments() {
    let t = template();
    // How long an undisturbed rotation takes, to spread the kills over it.
    let probe = Nascfg::new();
    copy_dir(t.data_dir(), probe.data_dir());
    let start = std::time::Instant::now();
    probe.ok(&["seed", "rotate"]);
    let span = start.elapsed().as_micros().max(1000) as u64;
    let mut rng = rand_core::OsRng;
    let mut killed = 0;
    for trial in 0..45 {
        let n = Nascfg::new();
        copy_dir(t.data_dir(), n.data_dir());
        let mut child = std::process::Command::new(nascfg_bin())
            .arg("--data-dir")
            .arg(n.data_dir())
            .args(["seed", "rotate"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let delay = rng.next_u64() % (span + span / 4);
        std::thread::sleep(std::time::Duration::from_micros(delay));
        if child.kill().is_ok() {
            killed += 1;
        }
        let _ = child.wait();
        check(&n, &format!("trial {trial}, killed after {delay} µs"));
    }
    assert!(killed > 0);
}
