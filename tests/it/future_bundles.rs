//! A bundle name dated in the future decides nothing (issue 30 point 10): on s3s-fs, real
//! bundles pushed by this box and a 5-byte object named as this host's bundle of 2099. Before,
//! `prune --keep-last 1` kept the planted object as the newest and deleted every real bundle, and
//! `push --if-changed` compared against it.

// Test helpers panic on purpose: a panic is a failed test.
#![allow(clippy::unwrap_used)]

use nascfg_tests::cli::{Nascfg, Run};
use nascfg_tests::servers::S3Server;

fn run(n: &Nascfg, args: &[&str]) -> Run {
    n.cmd().args(args).output().unwrap().into()
}

#[test]
fn prune_and_push_if_changed_ignore_a_future_dated_name() {
    let s3 = S3Server::start();
    let n = Nascfg::new();
    n.ok(&["init"]);
    n.ok(&[
        "cred",
        "add",
        "store",
        "--provider",
        "S3",
        "--set",
        &format!("access_key_id={}", s3.access_key_id),
        "--set",
        &format!("secret_access_key={}", s3.secret_access_key),
        "--set",
        &format!("endpoint={}", s3.endpoint),
    ]);
    let at = "store:bucket1/nas1";
    let first = n.json(&["backup", "push", at]);
    let second = n.json(&["backup", "push", at]);
    let name_of = |pushed: &serde_json::Value| pushed["name"].as_str().unwrap().to_owned();
    let (first, second) = (name_of(&first), name_of(&second));
    // The planted object, named as this host's bundle.
    // The first bundle of an empty folder has no sequence number: nascfg-HOST-YYYYmmddTHHMMSSZ.tar.gz.
    let stem = first
        .strip_prefix("nascfg-")
        .unwrap()
        .strip_suffix(".tar.gz")
        .unwrap();
    let host = &stem[..stem.len() - "-20260101T000000Z".len()];
    let planted = format!("nascfg-{host}-20991231T235959Z.tar.gz");
    let dir = s3.root().join("bucket1").join("nas1");
    std::fs::write(dir.join(&planted), b"junk\n").unwrap();

    // `push --if-changed` compares against the real newest: nothing changed.
    let again = run(&n, &["--json", "backup", "push", at, "--if-changed"]);
    assert_eq!(again.code, 0, "{}", again.transcript());
    let again: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(again["pushed"], false, "{again}");
    assert!(
        again.to_string().contains(&second),
        "compared against another bundle than {second}: {again}"
    );

    let listed = n.json(&["backup", "list", at]);
    let future: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["future"] == true)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(future, [planted.as_str()], "{listed}");

    let pruned = run(&n, &["--json", "backup", "prune", at, "--keep-last", "1"]);
    assert_eq!(pruned.code, 0, "{}", pruned.transcript());
    let report: serde_json::Value = serde_json::from_str(&pruned.stdout).unwrap();
    assert_eq!(report["kept"][0]["name"], second.as_str(), "{report}");
    assert_eq!(report["kept"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["deleted"], serde_json::json!([first]), "{report}");
    assert_eq!(
        report["ignored_future"],
        serde_json::json!([planted]),
        "{report}"
    );
    assert!(
        pruned
            .stderr
            .contains("warning: ignored 1 bundle(s) dated more than 1 hour(s) in the future")
            && pruned.stderr.contains(&planted),
        "{}",
        pruned.transcript()
    );
    assert!(dir.join(&second).exists(), "the real newest was deleted");
    assert!(!dir.join(&first).exists(), "the older real bundle was kept");
    assert!(
        dir.join(&planted).exists(),
        "the planted object is not ours to delete"
    );

    // In text, the same.
    let text = n.ok(&["backup", "prune", at, "--keep-last", "1", "--dry-run"]);
    assert!(text.contains(&format!("keep    {second}")), "{text}");
    assert!(!text.contains(&format!("keep    {planted}")), "{text}");
}
