//! `backup status` (OK/WARNING/CRITICAL/UNKNOWN, text, JSON, Nagios, Prometheus), the push
//! record, `--ping-url`, `--host`/`--all-hosts` for push, list, status and prune, and the
//! status check of `schedule --print`, against s3s-fs and nginx's WebDAV on loopback. Bundles
//! are aged by their names, written straight into the servers' folders.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::Path;
use std::sync::{Arc, Mutex};

use nascfg_tests::cli::{Nascfg, Run};
use nascfg_tests::servers::{S3Server, WebDav};
use serde_json::Value;
use time::OffsetDateTime;

/// A secret of another credential on the box, which must never show anywhere.
const BOX_SECRET: &str = "Box-Secret-51c0-status-never-printed";

fn new_box(add: &[String]) -> Nascfg {
    let n = Nascfg::new();
    n.ok(&["init"]);
    let mut args = vec!["cred", "add", "store"];
    args.extend(add.iter().map(String::as_str));
    n.ok(&args);
    n.ok(&[
        "cred",
        "add",
        "extra",
        "--provider",
        "S3",
        "--set",
        "access_key_id=AKIAEXTRA0000000",
        "--set",
        &format!("secret_access_key={BOX_SECRET}"),
    ]);
    n
}

fn s3_add(s: &S3Server) -> Vec<String> {
    [
        "--provider",
        "S3",
        "--set",
        &format!("access_key_id={}", s.access_key_id),
        "--set",
        &format!("secret_access_key={}", s.secret_access_key),
        "--set",
        &format!("endpoint={}", s.endpoint),
    ]
    .map(str::to_owned)
    .to_vec()
}

fn webdav_add(w: &WebDav) -> Vec<String> {
    [
        "--provider",
        "WEBDAV",
        "--set",
        &format!("url={}", w.url),
        "--set",
        "vendor=OTHER",
        "--set",
        &format!("user={}", w.user),
        "--set",
        &format!("pass={}", w.password),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `nascfg-HOST-<now - hours>.tar.gz` (negative hours: in the future).
fn aged(host: &str, hours: i64) -> String {
    let t = OffsetDateTime::now_utc() - time::Duration::hours(hours);
    format!(
        "nascfg-{host}-{:04}{:02}{:02}T{:02}{:02}{:02}Z.tar.gz",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Writes bundles named `host` aged `hours` into `dir` (a server's folder); their names.
fn plant(dir: &Path, bundles: &[(&str, i64)]) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    bundles
        .iter()
        .map(|(host, hours)| {
            let name = aged(host, *hours);
            std::fs::write(dir.join(&name), b"not really a bundle").unwrap();
            name
        })
        .collect()
}

/// Runs `nascfg ARGS`, checks the exit code, and that no secret shows.
#[track_caller]
fn run(n: &Nascfg, args: &[&str], code: i32, secrets: &[&str]) -> Run {
    let r = n.run(args);
    assert_eq!(r.code, code, "nascfg {args:?}:\n{}", r.transcript());
    for s in secrets.iter().chain([&BOX_SECRET]) {
        assert!(
            !r.transcript().contains(s),
            "a secret leaked: {}",
            r.transcript()
        );
    }
    r
}

#[track_caller]
fn status_json(n: &Nascfg, args: &[&str], code: i32, secrets: &[&str]) -> Value {
    let mut all = vec!["--json", "backup", "status"];
    all.extend_from_slice(args);
    let r = run(n, &all, code, secrets);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.transcript()))
}

#[test]
fn status_levels_from_names_the_record_and_a_dead_server() {
    let s = S3Server::start();
    let a = new_box(&s3_add(&s));
    let secret_key = s.secret_access_key.clone();
    let secrets: &[&str] = &[&secret_key];
    let at = "store:bucket1/fleet";
    let dir = s.root().join("bucket1").join("fleet");
    plant(
        &dir,
        &[
            ("fresh", 1),
            ("fresh", 100),
            ("late", 30),
            ("old", 80),
            ("ahead", -48),
            ("ahead", 80),
        ],
    );
    std::fs::write(dir.join("notes.txt"), "not a bundle").unwrap();
    // Aged by name alone (no record of these hosts on this box).
    for (host, code, status) in [
        ("fresh", 0, "OK"),
        ("late", 1, "WARNING"),
        ("old", 2, "CRITICAL"),
        ("nobody", 2, "CRITICAL"),
        // A bundle dated in the future never counts as fresh.
        ("ahead", 2, "CRITICAL"),
    ] {
        let v = status_json(&a, &[at, "--host", host], code, secrets);
        assert_eq!(v["status"], status, "{host}: {v}");
        assert_eq!(v["destination_reachable"], true, "{v}");
    }
    let text = run(&a, &["backup", "status", at, "--host", "late"], 1, secrets);
    assert!(
        text.stdout
            .starts_with("WARNING: backups of late at store:bucket1/fleet"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("warning after 1d2h"),
        "{}",
        text.stdout
    );
    // The ages are the caller's.
    run(
        &a,
        &[
            "backup",
            "status",
            at,
            "--host",
            "late",
            "--warn-age",
            "31h",
        ],
        0,
        secrets,
    );
    run(
        &a,
        &["backup", "status", at, "--host", "late", "--max-age", "1d"],
        2,
        secrets,
    );
    let bad = run(
        &a,
        &["backup", "status", at, "--max-age", "soon"],
        2,
        secrets,
    );
    assert!(bad.stderr.contains("not an age"), "{}", bad.transcript());
    let nagios = run(
        &a,
        &["backup", "status", at, "--host", "old", "--nagios"],
        2,
        secrets,
    );
    assert!(
        nagios
            .stdout
            .starts_with("NASCFG BACKUP CRITICAL - old at store:bucket1/fleet: ")
            && nagios.stdout.contains("| age=")
            && nagios.stdout.lines().count() == 1,
        "{}",
        nagios.stdout
    );

    // This box pushes as nas9: the record says OK, and holds no secret.
    run(&a, &["backup", "push", at, "--host", "nas9"], 0, secrets);
    let v = status_json(&a, &[at, "--host", "nas9"], 0, secrets);
    assert_eq!(v["last_attempt"]["outcome"], "pushed", "{v}");
    assert_eq!(v["last_success"]["host"], "nas9", "{v}");
    assert_eq!(v["at_destination"]["bundles"], 1, "{v}");
    let record_path = a.data_dir().join("push-record.json");
    let record = std::fs::read_to_string(&record_path).unwrap();
    assert!(record.contains("\"store:bucket1/fleet\""), "{record}");
    for secret in [
        s.secret_access_key.as_str(),
        BOX_SECRET,
        s.access_key_id.as_str(),
        s.endpoint.as_str(),
    ] {
        assert!(!record.contains(secret), "{record}");
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&record_path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    // The record lost with the box: the destination still tells.
    std::fs::remove_file(&record_path).unwrap();
    let v = status_json(&a, &[at, "--host", "nas9"], 0, secrets);
    assert_eq!(v["last_attempt"], Value::Null, "{v}");
    run(&a, &["backup", "push", at, "--host", "nas9"], 0, secrets);

    // A push the server refuses (a wrong key) is recorded as failed; with no success and the
    // destination unreadable, status cannot tell.
    add_wrong_key(&a, &s);
    let wrong = run(
        &a,
        &["backup", "push", "wrong:bucket1/fleet", "--host", "nas9"],
        1,
        secrets,
    );
    assert!(wrong.stderr.contains("error:"), "{}", wrong.transcript());
    let v = status_json(&a, &["wrong:bucket1/fleet", "--host", "nas9"], 3, secrets);
    assert_eq!(v["status"], "UNKNOWN", "{v}");
    assert_eq!(v["last_attempt"]["outcome"], "failed", "{v}");
    assert_eq!(v["last_attempt"]["error_kind"], "service", "{v}");

    // The server dies: the record vouches for nas9 (WARNING); a box without a record cannot
    // tell (UNKNOWN).
    let add = s3_add(&s);
    drop(s);
    let dead = ["--connect-timeout", "2", "--timeout", "10"];
    let mut args = vec![at, "--host", "nas9"];
    args.extend_from_slice(&dead);
    let v = status_json(&a, &args, 1, secrets);
    assert_eq!(v["destination_reachable"], false, "{v}");
    let b = new_box(&add);
    let mut args = vec!["backup", "status", at];
    args.extend_from_slice(&dead);
    let r = run(&b, &args, 3, &[]);
    assert!(r.stdout.starts_with("UNKNOWN"), "{}", r.transcript());
}

/// Adds `wrong`: the server of `s` with a secret key it refuses.
fn add_wrong_key(a: &Nascfg, s: &S3Server) {
    a.ok(&[
        "cred",
        "add",
        "wrong",
        "--provider",
        "S3",
        "--set",
        &format!("access_key_id={}", s.access_key_id),
        "--set",
        "secret_access_key=Wrong-Secret-Key-0000000000000000000",
        "--set",
        &format!("endpoint={}", s.endpoint),
    ]);
}

/// Parses a textfile-collector file with prometheus_client's parser (the reference
/// implementation's): `name{labels} value` per sample, or the parser's complaint.
fn parse_prometheus(path: &Path) -> Result<Vec<String>, String> {
    let script = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
for family in text_string_to_metric_families(text):
    assert family.type == "gauge", family
    assert family.documentation, family
    for s in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
        print(f"{s.name}{{{labels}}} {s.value:.0f}")
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .expect("run python3 (.ci/setup installs prometheus_client)");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn all_hosts_flags_exactly_the_stale_hosts_on_webdav_with_prometheus() {
    let w = WebDav::start();
    let a = new_box(&webdav_add(&w));
    let secrets: &[&str] = &[&w.password];
    let at = "store:backups/fleet";
    // This box pushes first: nginx makes the folder (its worker's own), then the others'
    // bundles are planted in it.
    run(&a, &["backup", "push", at, "--host", "box-7"], 0, secrets);
    plant(
        &w.root().join("backups").join("fleet"),
        &[
            ("ok-1", 2),
            ("ok-1", 26 + 24),
            ("ok-2", 20),
            ("warn-1", 30),
            ("crit-1", 72),
            ("crit-1", 96),
            ("ahead-1", -30),
        ],
    );
    let v = status_json(&a, &[at, "--all-hosts"], 2, secrets);
    let levels: Vec<(String, String, u64)> = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["host"].as_str().unwrap().to_owned(),
                h["status"].as_str().unwrap().to_owned(),
                h["bundles"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, String, u64)> = [
        ("ahead-1", "CRITICAL", 1),
        ("box-7", "OK", 1),
        ("crit-1", "CRITICAL", 2),
        ("ok-1", "OK", 2),
        ("ok-2", "OK", 1),
        ("warn-1", "WARNING", 1),
    ]
    .iter()
    .map(|(h, s, n)| ((*h).to_owned(), (*s).to_owned(), *n))
    .collect();
    assert_eq!(levels, expected, "{v}");
    let text = run(&a, &["backup", "status", at, "--all-hosts"], 2, secrets);
    assert!(
        text.stdout
            .starts_with("CRITICAL: 6 host(s) at store:backups/fleet: 3 OK, 1 WARNING, 2 CRITICAL"),
        "{}",
        text.stdout
    );
    let nagios = run(
        &a,
        &["backup", "status", at, "--all-hosts", "--nagios"],
        2,
        secrets,
    );
    assert!(
        nagios.stdout.contains("stale: ahead-1, crit-1, warn-1 |"),
        "{}",
        nagios.stdout
    );
    // A generous limit: OK but for the host whose only bundle is dated in the future.
    run(
        &a,
        &["backup", "status", at, "--all-hosts", "--max-age", "5d"],
        2,
        secrets,
    );

    // The fleet's textfile, read by the real parser.
    let prom = a.tmp().join("nascfg.prom");
    run(
        &a,
        &[
            "backup",
            "status",
            at,
            "--all-hosts",
            "--prometheus",
            prom.to_str().unwrap(),
        ],
        2,
        secrets,
    );
    let samples = parse_prometheus(&prom).unwrap();
    assert!(
        samples.contains(
            &"nascfg_backup_bundles{destination=store:backups/fleet,host=crit-1} 2".to_owned()
        ),
        "{samples:?}"
    );
    let success = samples
        .iter()
        .filter(|s| s.starts_with("nascfg_backup_last_success_timestamp_seconds{"))
        .count();
    assert_eq!(success, 5, "ahead-1 has no fresh bundle: {samples:?}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&prom).unwrap().permissions().mode() & 0o777,
        0o644
    );
    let leftovers: Vec<_> = std::fs::read_dir(a.tmp())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".nascfg-status-")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // And the parser is strict: a broken file is refused.
    std::fs::write(&prom, "nascfg_backup_bundles{host=\"x} 1\n").unwrap();
    assert!(parse_prometheus(&prom).is_err());

    // list --all-hosts: one row per host, the host names escaped.
    let listed = a.json(&["backup", "list", at, "--all-hosts"]);
    assert_eq!(listed.as_array().unwrap().len(), 6, "{listed}");
    assert_eq!(listed[2]["host"], "crit-1");
    assert_eq!(listed[2]["bundles"], 2);
    let only = a.json(&["backup", "list", at, "--host", "ok-1"]);
    assert_eq!(only.as_array().unwrap().len(), 2, "{only}");

    // This box's textfile after its push: all six metrics, success 1.
    run(
        &a,
        &[
            "backup",
            "status",
            at,
            "--host",
            "box-7",
            "--prometheus",
            prom.to_str().unwrap(),
        ],
        0,
        secrets,
    );
    let samples = parse_prometheus(&prom).unwrap();
    let names: std::collections::BTreeSet<&str> = samples
        .iter()
        .map(|s| s.split('{').next().unwrap())
        .collect();
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        [
            "nascfg_backup_bundles",
            "nascfg_backup_last_attempt_timestamp_seconds",
            "nascfg_backup_last_bytes",
            "nascfg_backup_last_duration_seconds",
            "nascfg_backup_last_status",
            "nascfg_backup_last_success_timestamp_seconds",
        ],
        "{samples:?}"
    );
    assert!(
        samples.contains(
            &"nascfg_backup_last_status{destination=store:backups/fleet,host=box-7} 1".to_owned()
        ),
        "{samples:?}"
    );
    let text = std::fs::read_to_string(&prom).unwrap();
    assert!(
        !text.contains(&w.password) && !text.contains(BOX_SECRET),
        "{text}"
    );
}

/// A loopback HTTP server that records each request's path and body and answers 200.
struct PingServer {
    url: String,
    seen: Arc<Mutex<Vec<(String, String)>>>,
    server: Arc<tiny_http::Server>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PingServer {
    fn start() -> PingServer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (server, seen) = (server.clone(), seen.clone());
            std::thread::spawn(move || {
                for mut request in server.incoming_requests() {
                    let mut body = String::new();
                    let _ = request.as_reader().read_to_string(&mut body);
                    seen.lock().unwrap().push((request.url().to_owned(), body));
                    let _ = request.respond(tiny_http::Response::from_string("OK"));
                }
            })
        };
        PingServer {
            url: format!("http://127.0.0.1:{port}/ping/5e1f-check-uuid"),
            seen,
            server,
            thread: Some(thread),
        }
    }

    fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

impl Drop for PingServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn pings_start_success_and_fail_and_a_dead_ping_url_only_warns() {
    let s = S3Server::start();
    let a = new_box(&s3_add(&s));
    let secrets: &[&str] = &[&s.secret_access_key];
    let at = "store:bucket1/pinged";
    let ping = PingServer::start();
    run(
        &a,
        &["backup", "push", at, "--ping-url", &ping.url],
        0,
        secrets,
    );
    let seen = ping.take();
    let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        ["/ping/5e1f-check-uuid/start", "/ping/5e1f-check-uuid"],
        "{seen:?}"
    );
    assert!(
        seen[1].1.contains("pushed nascfg-") && seen[1].1.contains(at),
        "{seen:?}"
    );

    // A push that fails (a credential the server refuses): start, then fail.
    add_wrong_key(&a, &s);
    run(
        &a,
        &[
            "backup",
            "push",
            "wrong:bucket1/pinged",
            "--ping-url",
            &ping.url,
        ],
        1,
        secrets,
    );
    let seen = ping.take();
    let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        ["/ping/5e1f-check-uuid/start", "/ping/5e1f-check-uuid/fail"],
        "{seen:?}"
    );
    for (_, body) in &seen {
        for secret in [s.secret_access_key.as_str(), BOX_SECRET, "Wrong-Secret-Key"] {
            assert!(!body.contains(secret), "{body}");
        }
    }
    assert!(seen[1].1.contains("failed"), "{seen:?}");

    // Nothing listens on the ping URL: the push succeeds with warnings that do not show the
    // URL's path (healthchecks' check UUID is its capability).
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "http://127.0.0.1:{}/ping/dead-uuid-0001",
            l.local_addr().unwrap().port()
        )
    };
    let r = run(
        &a,
        &["backup", "push", at, "--ping-url", &dead],
        0,
        &["dead-uuid-0001"],
    );
    assert!(
        r.stderr
            .contains("warning: the start ping to http://127.0.0.1:"),
        "{}",
        r.transcript()
    );
    assert!(
        r.stderr.contains("warning: the success ping"),
        "{}",
        r.transcript()
    );
    // A malformed ping URL is a usage error before anything happens.
    let bad = run(
        &a,
        &["backup", "push", at, "--ping-url", "ftp://x/y"],
        2,
        secrets,
    );
    assert!(bad.stderr.contains("ping URL"), "{}", bad.transcript());
}

#[test]
fn host_keeps_histories_apart_and_prune_all_hosts_works_per_host() {
    let s = S3Server::start();
    let a = new_box(&s3_add(&s));
    let secrets: &[&str] = &[&s.secret_access_key];
    let at = "store:bucket1/shared";
    let dir = s.root().join("bucket1").join("shared");
    let names = plant(
        &dir,
        &[
            ("x", 1),
            ("x", 30),
            ("x", 60),
            ("y", 100),
            ("y", 200),
            ("y", 300),
        ],
    );

    // Two boxes' histories: an unchanged push of nas-a does not count for nas-b.
    run(
        &a,
        &["backup", "push", at, "--host", "nas-a", "--if-changed"],
        0,
        secrets,
    );
    let r = run(
        &a,
        &[
            "--json",
            "backup",
            "push",
            at,
            "--host",
            "nas-b",
            "--if-changed",
        ],
        0,
        secrets,
    );
    let pushed: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(pushed["pushed"], true, "{pushed}");
    assert!(
        pushed["name"]
            .as_str()
            .unwrap()
            .starts_with("nascfg-nas-b-"),
        "{pushed}"
    );
    let r = run(
        &a,
        &[
            "--json",
            "backup",
            "push",
            at,
            "--host",
            "nas-a",
            "--if-changed",
        ],
        0,
        secrets,
    );
    let again: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(again["pushed"], false, "{again}");
    let only_b = a.json(&["backup", "list", at, "--host", "nas-b"]);
    assert_eq!(only_b.as_array().unwrap().len(), 1, "{only_b}");
    let bad = run(
        &a,
        &["backup", "push", at, "--host", "no/slash"],
        2,
        secrets,
    );
    assert!(bad.stderr.contains("host name"), "{}", bad.transcript());

    // prune without --host touches only this box's bundles (none here).
    let plan = a.json(&["backup", "prune", at, "--keep-last", "1", "--dry-run"]);
    assert_eq!(plan["deleted"], serde_json::json!([]), "{plan}");
    // --host x: x's two older go, nothing of y's.
    let done = a.json(&["backup", "prune", at, "--keep-last", "1", "--host", "x"]);
    let deleted: Vec<&str> = done["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(deleted, [&names[1], &names[2]], "{done}");
    // --all-hosts: the policy per host, never a host's newest.
    let plan = a.json(&[
        "backup",
        "prune",
        at,
        "--keep-last",
        "1",
        "--all-hosts",
        "--dry-run",
    ]);
    let deleted: Vec<&str> = plan["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(deleted, [&names[4], &names[5]], "{plan}");
    let kept: Vec<&str> = plan["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        kept.len(),
        4,
        "nas-a, nas-b, x and y keep their newest: {plan}"
    );
    assert!(kept.contains(&names[3].as_str()), "{plan}");
    assert!(dir.join(&names[5]).exists(), "a dry run deleted");
}

#[test]
fn schedule_prints_the_ping_url_and_a_status_check() {
    let n = Nascfg::new();
    let out = n.ok(&[
        "backup",
        "schedule",
        "--print",
        "--location",
        "offsite:bucket/nas1",
        "--ping-url",
        "https://hc-ping.com/0b5e%20id",
        "--max-age",
        "2d",
    ]);
    assert!(
        out.contains("backup push offsite:bucket/nas1 --if-changed --passphrase-file /etc/nascfg/push-passphrase --ping-url \"https://hc-ping.com/0b5e%%20id\"\n"),
        "{out}"
    );
    assert!(
        out.contains("# /etc/systemd/system/nascfg-status.timer\n"),
        "{out}"
    );
    assert!(
        out.contains("backup status offsite:bucket/nas1 --max-age 2d\n"),
        "{out}"
    );
    let plain = n.ok(&["backup", "schedule", "--print"]);
    assert!(
        !plain.contains("--ping-url") && plain.contains("--max-age 2d2h"),
        "{plain}"
    );
}
