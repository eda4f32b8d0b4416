//! Several nascfg processes on one data directory lose no write.
#![allow(clippy::unwrap_used)]

use nascfg_tests::cli::Nascfg;

#[test]
fn sixteen_concurrent_adds_all_land() {
    let n = Nascfg::new();
    // No `init` first: the processes also race to create the data directory.
    let children: Vec<_> = (0..16)
        .map(|i| {
            let mut cmd = std::process::Command::new(nascfg_tests::cli::nascfg_bin());
            cmd.arg("--data-dir")
                .arg(n.data_dir())
                .args([
                    "cred",
                    "add",
                    &format!("cred-{i:02}"),
                    "--provider",
                    "ftp",
                    "--set",
                    "host=h",
                    "--set",
                    "user=u",
                ])
                .arg("--set")
                .arg(format!("pass=password-{i}"))
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let list = n.json(&["cred", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..16).map(|i| format!("cred-{i:02}")).collect();
    assert_eq!(names, expected);
    for i in [0, 7, 15] {
        let c = n.json(&["cred", "show", &format!("cred-{i:02}"), "--reveal"]);
        assert_eq!(c["provider"]["pass"], format!("password-{i}"));
    }
}

/// Polls `ready` until it holds, failing after a minute (`what` says what was awaited).
fn poll_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::yield_now();
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Whether process `pid` waits for the flock on the file with inode `ino`
/// (a blocked waiter shows in /proc/locks as `N: -> FLOCK ... PID MAJ:MIN:INODE ...`).
fn waits_for_lock(pid: u32, ino: u64) -> bool {
    let locks = std::fs::read_to_string("/proc/locks").unwrap();
    locks.lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.get(1) == Some(&"->")
            && fields.get(5) == Some(&pid.to_string().as_str())
            && fields
                .get(6)
                .is_some_and(|dev| dev.ends_with(&format!(":{ino}")))
    })
}

fn spawn(n: &Nascfg, args: &[&str], env: &[(&str, &std::path::Path)]) -> std::process::Child {
    let mut cmd = std::process::Command::new(nascfg_tests::cli::nascfg_bin());
    cmd.arg("--data-dir")
        .arg(n.data_dir())
        .args(args)
        .env_remove("NASCFG_FAILPOINT")
        .env_remove("NASCFG_FAILPOINT_DIR")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// A restore and a `seed rotate` interleaved: the restore pauses at a
/// failpoint (after its checks, holding the lock; or before taking it), a
/// rotation runs meanwhile, then the restore goes on. Whatever the order, the
/// box ends with a seed that opens every secret it holds.
#[test]
fn restore_and_seed_rotate_interleaved_always_open() {
    // (where the restore pauses, whether the rotation must wait for it, whether the restore succeeds)
    for (point, rotation_waits, restored) in [
        ("restore-after-checks", true, true),
        ("restore-before-lock", false, false),
    ] {
        let n = Nascfg::new();
        for i in 0..3 {
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
                &format!("pass=pw-{i}"),
            ]);
        }
        // A bundle without its seed: it restores only while this box's seed is the one.
        let bundle = n.tmp().join("plain.tar.gz");
        n.ok(&["backup", "export", "-o", bundle.to_str().unwrap()]);
        n.ok(&["cred", "delete", "c2"]);
        let pause = n.tmp().join("pause");
        std::fs::create_dir(&pause).unwrap();

        let failpoint = format!("{point}:pause");
        let restore = spawn(
            &n,
            &["backup", "restore", bundle.to_str().unwrap()],
            &[
                ("NASCFG_FAILPOINT", std::path::Path::new(&failpoint)),
                ("NASCFG_FAILPOINT_DIR", &pause),
            ],
        );
        poll_until(&format!("the restore to pause at {point}"), || {
            pause.join(format!("{point}.paused")).exists()
        });
        let mut rotate = Some(spawn(&n, &["seed", "rotate"], &[]));
        if rotation_waits {
            use std::os::unix::fs::MetadataExt;
            let ino = std::fs::metadata(n.data_dir().join("lock")).unwrap().ino();
            let pid = rotate.as_ref().unwrap().id();
            poll_until("seed rotate to wait for the restore's lock", || {
                waits_for_lock(pid, ino)
            });
        } else {
            let out = rotate.take().unwrap().wait_with_output().unwrap();
            assert!(out.status.success(), "{point}: rotate: {out:?}");
        }
        std::fs::write(pause.join(format!("{point}.resume")), b"").unwrap();
        let out = restore.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.success(), restored, "{point}: restore: {stderr}");
        if !restored {
            // Decided under the lock, after the rotation: the bundle's seed is
            // no longer this box's, so it refuses instead of installing a
            // database nothing here opens.
            assert!(
                stderr.contains("would lose the secrets"),
                "{point}: {stderr}"
            );
        }
        if let Some(rotate) = rotate {
            let out = rotate.wait_with_output().unwrap();
            assert!(out.status.success(), "{point}: rotate: {out:?}");
        }

        assert_eq!(n.json(&["seed", "fingerprint"])["matches"], true, "{point}");
        let expected = if restored { 3 } else { 2 };
        let list = n.json(&["cred", "list"]);
        assert_eq!(list.as_array().unwrap().len(), expected, "{point}: {list}");
        for i in 0..expected {
            let c = n.json(&["cred", "show", &format!("c{i}"), "--reveal"]);
            assert_eq!(c["provider"]["pass"], format!("pw-{i}"), "{point}");
        }
    }
}
