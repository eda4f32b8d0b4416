//! A backup is never overwritten without asking: `-o` onto an existing file
//! is refused unless `--force`, and default names never collide.
#![allow(clippy::unwrap_used)] // tests may unwrap

use nascfg_tests::cli::Nascfg;

fn box_with_a_credential() -> Nascfg {
    let a = Nascfg::new();
    a.ok(&["init", "--quiet"]);
    a.ok(&[
        "cred",
        "add",
        "offsite",
        "--provider",
        "S3",
        "--set",
        "access_key_id=AKIAIOSFODNN7EXAMPLE",
        "--set",
        "secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ]);
    a
}

#[test]
fn export_onto_an_existing_file_is_refused_and_leaves_it_untouched() {
    let a = box_with_a_credential();
    let out = a.write_file("precious.tar.gz", b"an older backup, not to be lost");
    let run = a.fail(&["backup", "export", "-o", &out]);
    assert!(
        run.stderr.contains("already exists"),
        "{}",
        run.transcript()
    );
    assert!(run.stderr.contains("--force"), "{}", run.transcript());
    assert_eq!(
        std::fs::read(&out).unwrap(),
        b"an older backup, not to be lost"
    );
    // Nothing half-written was left beside it.
    let names: Vec<String> = std::fs::read_dir(a.tmp())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".nascfg"))
        .collect();
    assert!(names.is_empty(), "left behind: {names:?}");
}

#[test]
fn force_replaces_the_file() {
    let a = box_with_a_credential();
    let out = a.write_file("old.tar.gz", b"an older backup");
    a.ok(&["backup", "export", "--force", "-o", &out]);
    let inspected = a.json(&["backup", "inspect", &out]);
    assert_eq!(
        inspected["manifest"]["counts"]["credentials"], 1,
        "{inspected}"
    );
}

#[test]
fn force_needs_an_output_file() {
    let a = box_with_a_credential();
    let run = a.run(&["backup", "export", "--force"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
}

#[test]
fn exports_in_the_same_second_keep_every_file() {
    let a = box_with_a_credential();
    let work = a.tmp().join("exports");
    std::fs::create_dir_all(&work).unwrap();
    for _ in 0..3 {
        let out = a
            .cmd()
            .current_dir(&work)
            .args(["backup", "export"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    for name in &names {
        assert!(
            name.starts_with("nascfg-") && name.ends_with(".tar.gz"),
            "{name}"
        );
        let path = work.join(name);
        a.ok(&["backup", "inspect", path.to_str().unwrap()]);
    }
}
