//! What a new user trips over on the command line (issue 25, points 3, 9–17, 19; issue 30,
//! point 6): the schedule's units, the grammar (required arguments, timeouts, old spellings),
//! the remote name in `inspect`, empty secrets, lost private keys, `-q`, and errors with
//! `--json`.
#![allow(clippy::unwrap_used)] // tests may unwrap

use insta::assert_snapshot;
use nascfg_tests::cli::{Nascfg, Run, nascfg_bin};
use nascfg_tests::servers::S3Server;
use serde_json::Value;

/// Runs the binary with exactly `args` (no `--data-dir` added) and `env`, with no HOME and no
/// XDG variables: as a systemd service runs it.
fn run_bare(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = assert_cmd::Command::new(nascfg_bin());
    cmd.env_remove("NASCFG_DATA_DIR")
        .env_remove("HOME")
        .env_remove("XDG_DATA_HOME")
        .args(args)
        .write_stdin(Vec::new());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap().into()
}

/// The units block of docs/BACKUPS.md (the first ```ini block).
fn documented_units() -> String {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/BACKUPS.md"),
    )
    .unwrap();
    let start = doc.find("```ini\n").expect("BACKUPS.md shows the units") + "```ini\n".len();
    let len = doc[start..].find("```").unwrap();
    doc[start..start + len].to_owned()
}

/// The units as the doc shows them: the test binary's path and this user's name replaced
/// by the doc's.
fn as_documented(printed: &str) -> String {
    let exe = nascfg_bin().display().to_string();
    printed
        .replace(&exe, "/usr/local/bin/nascfg")
        .lines()
        .map(|l| {
            if l.starts_with("User=") {
                "User=root".to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn schedule_prints_units_for_its_data_dir_that_agree_with_the_doc() {
    let location = "offsite:nas-backups/nas1";
    // --data-dir and NASCFG_DATA_DIR give the same units; no HOME is needed; --print is optional.
    let by_flag = run_bare(
        &[
            "--data-dir",
            "/var/lib/nascfg",
            "backup",
            "schedule",
            "--location",
            location,
        ],
        &[],
    );
    assert_eq!(by_flag.code, 0, "{}", by_flag.transcript());
    let by_env = run_bare(
        &["backup", "schedule", "--print", "--location", location],
        &[("NASCFG_DATA_DIR", "/var/lib/nascfg")],
    );
    assert_eq!(by_env.code, 0, "{}", by_env.transcript());
    assert_eq!(by_flag.stdout, by_env.stdout);
    assert!(
        by_flag
            .stdout
            .contains("\nEnvironment=NASCFG_DATA_DIR=/var/lib/nascfg\n"),
        "{}",
        by_flag.stdout
    );
    assert!(by_flag.stdout.contains("\nUser="), "{}", by_flag.stdout);
    // Said plainly, in the unit and on standard error.
    assert!(by_flag.stdout.contains("WITHOUT its secrets"));
    assert!(
        by_flag.stderr.contains("WITHOUT the secret seed"),
        "{}",
        by_flag.stderr
    );
    assert_eq!(as_documented(&by_flag.stdout), documented_units());

    // A data directory with a space and a systemd specifier is quoted and escaped.
    let odd = run_bare(
        &["--data-dir", "/srv/nas cfg/100%", "backup", "schedule"],
        &[],
    );
    assert_eq!(odd.code, 0, "{}", odd.transcript());
    assert!(
        odd.stdout
            .contains("\nEnvironment=\"NASCFG_DATA_DIR=/srv/nas cfg/100%%\"\n"),
        "{}",
        odd.stdout
    );
}

/// A usage error: exit 2, and the transcript for a snapshot.
#[track_caller]
fn usage(n: &Nascfg, args: &[&str]) -> Run {
    let run = n.run(args);
    assert_eq!(run.code, 2, "{args:?}:\n{}", run.transcript());
    run
}

#[test]
fn required_arguments_are_shown_and_enforced() {
    let n = Nascfg::new();
    // Help shows NAME as required, with the --from-json / --provider alternatives.
    let help = n.ok(&["cred", "add", "--help"]);
    assert!(
        help.contains("nascfg cred add <NAME> --provider <TYPE>")
            && help.contains("nascfg cred add --from-json <FILE>"),
        "{help}"
    );
    let help = n.ok(&["cred", "verify", "--help"]);
    assert!(
        help.contains("nascfg cred verify <NAME>")
            && help.contains("nascfg cred verify --provider <TYPE>"),
        "{help}"
    );
    let runs = [
        ("cred_add_without_name", vec!["cred", "add"]),
        (
            "cred_add_without_provider",
            vec!["cred", "add", "x", "--set", "a=b"],
        ),
        ("cred_verify_without_name", vec!["cred", "verify"]),
        ("prune_without_keep", vec!["backup", "prune", "store:b/p"]),
    ];
    for (name, args) in runs {
        let run = usage(&n, &args);
        n.settings()
            .bind(|| assert_snapshot!(format!("usage_{name}"), run.transcript()));
    }
    // Any one --keep-* is enough (this one fails later: there is no such credential).
    for keep in [
        "--keep-last",
        "--keep-daily",
        "--keep-weekly",
        "--keep-monthly",
    ] {
        let run = n.run(&["backup", "prune", "store:b/p", keep, "2"]);
        assert_eq!(run.code, 1, "{keep}: {}", run.transcript());
        assert!(run.stderr.contains("store"), "{}", run.stderr);
    }
}

#[test]
fn a_huge_or_zero_duration_is_a_usage_error() {
    let n = Nascfg::new();
    let huge = "18446744073709551615";
    let cases: Vec<Vec<&str>> = vec![
        vec!["cred", "verify", "x", "--timeout", huge],
        vec!["cred", "verify", "x", "--connect-timeout", huge],
        vec!["cred", "verify", "x", "--timeout", "0"],
        vec!["cred", "verify", "x", "--timeout", "604801"],
        vec!["cred", "login", "x", "--timeout", huge],
        vec!["cred", "login", "x", "--connect-timeout", huge],
        vec!["cred", "login", "x", "--request-timeout", huge],
        vec!["cred", "login", "x", "--deadline", huge],
        vec!["authorize", "box", "--timeout", huge],
        vec!["backup", "list", "s:b", "--timeout", huge],
        vec!["backup", "push", "s:b", "--connect-timeout", huge],
        vec!["serve", "--timeout", huge],
    ];
    for args in cases {
        let run = usage(&n, &args);
        assert!(
            run.stderr.contains("invalid value") && !run.stderr.contains("panicked"),
            "{args:?}: {}",
            run.stderr
        );
    }
    // The longest allowed, and --deadline (the old name of --request-timeout), parse: these
    // fail later, for want of the credential.
    for args in [
        vec!["cred", "verify", "x", "--timeout", "604800"],
        vec![
            "cred",
            "login",
            "x",
            "--deadline",
            "20",
            "--timeout",
            "604800",
        ],
    ] {
        let run = n.run(&args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.transcript());
    }
}

#[test]
fn the_man_page_documents_timeouts_exit_statuses_and_error_kinds() {
    let n = Nascfg::new();
    // roff writes a hyphen as `\-`.
    let man = n.ok(&["man"]).replace("\\-", "-");
    for needle in [
        "TIMEOUTS",
        "request-timeout",
        "EXIT STATUS",
        "ERRORS WITH",
        "not-found",
        "invalid-credential",
        "wrong-passphrase",
        "usage",
    ] {
        assert!(man.contains(needle), "the man page lacks {needle}");
    }
}

#[test]
fn inspect_of_a_remote_bundle_names_the_remote_bundle() {
    let s = S3Server::start();
    let n = Nascfg::new();
    n.ok(&["init"]);
    n.ok(&[
        "cred",
        "add",
        "store",
        "--provider",
        "S3",
        "--set",
        &format!("access_key_id={}", s.access_key_id),
        "--set",
        &format!("secret_access_key={}", s.secret_access_key),
        "--set",
        &format!("endpoint={}", s.endpoint),
    ]);
    let pushed = n.json(&["backup", "push", "store:bucket1/nas1"]);
    let location = pushed["location"].as_str().unwrap().to_owned();
    assert!(
        location.starts_with("store:bucket1/nas1/nascfg-"),
        "{location}"
    );
    let shown = n.ok(&["backup", "inspect", &location]);
    let first = shown.lines().next().unwrap();
    assert_eq!(first, format!("bundle:        {location}"), "{shown}");
    assert!(!shown.contains("/tmp"), "{shown}");
    // prune with only --keep-daily (not --keep-last) runs.
    let pruned = n.json(&["backup", "prune", "store:bucket1/nas1", "--keep-daily", "1"]);
    assert_eq!(pruned["deleted"], serde_json::json!([]));
}

#[test]
fn an_empty_secret_shows_as_not_set() {
    let n = Nascfg::new();
    n.ok(&[
        "cred",
        "add",
        "anon",
        "--provider",
        "FTP",
        "--set",
        "host=h",
        "--set",
        "user=u",
        "--set",
        "pass=",
    ]);
    n.ok(&[
        "cred",
        "add",
        "full",
        "--provider",
        "FTP",
        "--set",
        "host=h",
        "--set",
        "user=u",
        "--set",
        "pass=hunter2",
    ]);
    let text = n.ok(&["cred", "show", "anon"]);
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("pass") && l.trim_end().ends_with("(not set)")),
        "{text}"
    );
    assert_eq!(n.json(&["cred", "show", "anon"])["provider"]["pass"], "");
    // A set one is still only starred.
    let text = n.ok(&["cred", "show", "full"]);
    assert!(
        text.contains("********") && !text.contains("hunter2"),
        "{text}"
    );
    assert_eq!(
        n.json(&["cred", "show", "full"])["provider"]["pass"],
        "********"
    );
}

/// A box with a key pair, exported without the seed and restored on a new box with
/// `--allow-lost-secrets` (`args` before `backup restore`): the new box and the restore run.
fn seedless_restore(args: &[&str]) -> (Nascfg, Run) {
    let a = Nascfg::new();
    a.ok(&["init"]);
    a.ok(&["keypair", "generate", "deploy"]);
    let bundle = a.tmp().join("b.tar.gz");
    a.ok(&["backup", "export", "-o", bundle.to_str().unwrap()]);
    let b = Nascfg::new();
    b.ok(&["init"]);
    let mut all = args.to_vec();
    all.extend([
        "backup",
        "restore",
        bundle.to_str().unwrap(),
        "--allow-lost-secrets",
    ]);
    let run = b.run(&all);
    (b, run)
}

#[test]
fn keypair_list_marks_a_lost_private_key_and_quiet_restore_prints_nothing() {
    let (b, run) = seedless_restore(&["-q"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(run.stdout, "", "-q printed the restore summary");
    let list = b.ok(&["keypair", "list"]);
    let row = list.lines().find(|l| l.starts_with("deploy")).unwrap();
    assert!(row.ends_with("private key lost: re-import"), "{list}");
    assert_eq!(b.json(&["keypair", "list"])[0]["needs_secrets"], true);
    // Without -q the summary is there.
    let (_, run) = seedless_restore(&[]);
    assert!(run.stdout.contains("restored"), "{}", run.transcript());
}

/// Runs `nascfg --json ARGS`, and parses the error object on standard error.
#[track_caller]
fn json_error(n: &Nascfg, args: &[&str], code: i32) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let run = n.run(&all);
    assert_eq!(run.code, code, "{args:?}: {}", run.transcript());
    let line = run.stderr.trim();
    assert_eq!(line.lines().count(), 1, "{args:?}: {}", run.stderr);
    let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert!(
        value["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{value}"
    );
    value
}

#[test]
fn with_json_an_error_is_a_json_object_with_a_stable_kind() {
    let n = Nascfg::new();
    n.ok(&["init"]);
    let not_a_bundle = n.write_file("notes.txt", "hello");
    let cases: Vec<(&str, Vec<&str>, i32)> = vec![
        ("not-found", vec!["cred", "show", "nope"], 1),
        (
            "invalid-credential",
            vec!["cred", "add", "x", "--provider", "sftp"],
            1,
        ),
        ("usage", vec!["cred", "add"], 2),
        ("usage", vec!["cred", "verify", "x", "--timeout", "0"], 2),
        ("usage", vec!["no-such-command"], 2),
        ("bundle", vec!["backup", "inspect", &not_a_bundle], 1),
        ("credential", vec!["providers", "show", "nope"], 1),
    ];
    for (kind, args, code) in &cases {
        let value = json_error(&n, args, *code);
        assert_eq!(value["error"]["kind"], *kind, "{args:?}: {value}");
        assert!(value["error"]["hint"].is_string(), "{args:?}: {value}");
    }
    n.settings().bind(|| {
        assert_snapshot!(
            "json_error_not_found",
            serde_json::to_string_pretty(&json_error(&n, &["cred", "show", "nope"], 1)).unwrap()
        )
    });
    // The same error without --json is text.
    let run = n.fail(&["cred", "show", "nope"]);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    // --json anywhere on a bad command line.
    let run = n.run(&["cred", "add", "--json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.trim_start().starts_with('{'), "{}", run.stderr);
}

#[test]
fn every_problem_of_a_credential_is_told_at_once() {
    let n = Nascfg::new();
    n.ok(&["init"]);
    let run = n.fail(&[
        "cred",
        "add",
        "x",
        "--provider",
        "sftp",
        "--set",
        "private_key=nokey",
    ]);
    for needle in [
        "host: field required",
        "user: field required",
        "private_key: no key pair named \"nokey\"",
        "--set host=VALUE --set user=VALUE",
    ] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    n.settings()
        .bind(|| assert_snapshot!("every_problem_at_once", run.transcript()));
    // A service-account key whose private_key only has the PEM markers is refused at save.
    let key = serde_json::json!({
        "type": "service_account", "project_id": "p1",
        "client_email": "a@p1.iam.gserviceaccount.com",
        "private_key": "-----BEGIN PRIVATE KEY-----\npaste your key here\n-----END PRIVATE KEY-----\n",
    });
    let file = n.write_file("sa.json", key.to_string());
    let run = n.fail(&[
        "cred",
        "add",
        "g",
        "--provider",
        "GOOGLE_CLOUD_STORAGE",
        "--set",
        &format!("service_account_credentials=@{file}"),
    ]);
    assert!(
        run.stderr
            .contains("\"private_key\" must be a PEM private key"),
        "{}",
        run.stderr
    );
    assert_eq!(
        n.json(&["cred", "list"]),
        serde_json::json!([]),
        "nothing was saved"
    );
}
