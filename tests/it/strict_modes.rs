//! StrictModes for the data directory through the binary (issue 30.4, 25.21):
//! a group-writable directory is refused with the path, the mode and the
//! command that fixes it, and nothing is written; a merely readable one is
//! made private with a `notice:` line; a symlinked seed is refused.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::os::unix::fs::PermissionsExt;

use nascfg_tests::cli::{Nascfg, tree};

fn chmod(p: &std::path::Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn a_group_writable_data_directory_is_refused_and_left_alone() {
    let n = Nascfg::new();
    n.ok(&["init"]);
    chmod(n.data_dir(), 0o775);
    let before = tree(n.data_dir());
    let run = n.fail(&["cred", "list"]);
    assert_eq!(before, tree(n.data_dir()));
    assert_eq!(mode(n.data_dir()), 0o775);
    let data = n.data_dir().display().to_string();
    for expected in [
        format!("error: refused: {data}: its group or others can write it (mode 0775)"),
        format!("hint: `chmod go-w {data}`"),
        "Nothing was changed".to_owned(),
    ] {
        assert!(
            run.stderr.contains(&expected),
            "no {expected:?} in:\n{}",
            run.transcript()
        );
    }
}

#[test]
fn a_readable_data_directory_is_made_private_with_a_notice() {
    let n = Nascfg::new();
    n.ok(&["init"]);
    chmod(n.data_dir(), 0o755);
    let run = n.run(&["cred", "list"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(mode(n.data_dir()), 0o700);
    assert_eq!(
        run.stderr,
        format!(
            "notice: made {} private (mode 0755 -> 0700): other users could read it\n",
            n.data_dir().display()
        )
    );
    // Once private, no notice.
    assert_eq!(n.run(&["cred", "list"]).stderr, "");
}

#[test]
fn a_symlinked_seed_is_refused() {
    let n = Nascfg::new();
    n.ok(&["init"]);
    let real = n.tmp().join("elsewhere-seed");
    std::fs::rename(n.data_dir().join("secret-seed"), &real).unwrap();
    std::os::unix::fs::symlink(&real, n.data_dir().join("secret-seed")).unwrap();
    let before = tree(n.data_dir());
    let run = n.fail(&["seed", "fingerprint"]);
    assert!(
        run.stderr.contains("secret-seed") && run.stderr.contains("symbolic link"),
        "{}",
        run.transcript()
    );
    assert_eq!(before, tree(n.data_dir()));
}
