//! `backup push` against `rclone copyto` to the same S3 server (s3s-fs on
//! loopback, in this process as in the tests): the 50,000-credential store
//! (the WebDAV remotes of `crates/nascfg-cli/benches/nascfg.rs`, imported from
//! an rclone.conf) pushed by the shipped binary, which exports, uploads in one
//! stream and confirms size and SHA-256 (S3 checks a one-part upload against
//! the SHA-256 sent with it and gives it back; a larger one is read back),
//! against rclone uploading that store's bundle, already exported to a file,
//! with its default settings (rclone compares the MD5 the service answers).
//! The goal's row pushes that same file (`backup push --bundle FILE`: the
//! manifest checked, uploaded, confirmed) against rclone copying it; the second row is
//! the whole push with its export, and a third times `backup export` of the
//! same store alone: what push spends before the upload.
//!
//! Each pair runs back to back, alternating which goes first; medians of
//! `NASCFG_BENCH_RUNS` runs (default 5). `cargo xtask bench` runs it after the
//! export/restore benchmark; alone: `cargo bench -p nascfg-tests --bench remote`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use nascfg_tests::servers::S3Server;

const REMOTES: usize = 50_000;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `cmd` to success with its standard output thrown away; its wall seconds.
fn timed(mut cmd: Command) -> f64 {
    let start = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run the command");
    let secs = start.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    secs
}

/// An rclone.conf of `n` WebDAV remotes with obscured passwords (as the nascfg bench's).
fn write_rclone_conf(path: &Path, n: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        let pass = nascfg_interop::rclone::obscure(&format!("pw-{i:06}-Tr0ub4dor&3"));
        writeln!(
            out,
            "[dav-{i:06}]\ntype = webdav\nurl = https://dav{i}.example.com/remote.php/dav/files/u{i}\n\
             vendor = nextcloud\nuser = user{i}\npass = {pass}\n"
        )
        .unwrap();
    }
    out.flush().unwrap();
}

/// Runs `cmd` under GNU time: its wall seconds and peak RSS in KiB.
fn timed_rss(cmd: &Command, dir: &Path) -> (f64, u64) {
    let report = dir.join("rss.txt");
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped
        .args(["-f", "%M", "-o"])
        .arg(&report)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    let secs = timed(wrapped);
    let kib = std::fs::read_to_string(&report)
        .unwrap()
        .trim()
        .lines()
        .last()
        .unwrap()
        .parse()
        .unwrap();
    (secs, kib)
}

const FLEET_HOSTS: usize = 1_000;
const FLEET_BUNDLES: usize = 30;

/// The fleet view at scale: 1,000 hosts x 30 bundles (30,000 objects) in one folder of a
/// bucket on s3s-fs, written straight into its directory (s3s-fs keeps an object as a file;
/// 30,000 PUTs would time the server, not the listing). `status --all-hosts` and `list
/// --all-hosts` against `rclone lsjson -R` of the same folder; `prune --all-hosts --dry-run`
/// beside them. Medians of `runs`, with each side's peak RSS (GNU time's `%M`).
fn fleet(nascfg: &Path, work: &Path, runs: usize) {
    let data = work.join("store-fleet");
    let s3 = S3Server::start();
    let run = |args: &[&dyn AsRef<std::ffi::OsStr>]| {
        let mut cmd = Command::new(nascfg);
        cmd.arg("--data-dir").arg(&data);
        cmd.args(args.iter().map(|a| a.as_ref()));
        cmd
    };
    timed(run(&[&"init"]));
    timed(run(&[
        &"cred",
        &"add",
        &"bench",
        &"--provider",
        &"S3",
        &"--set",
        &format!("access_key_id={}", s3.access_key_id),
        &"--set",
        &format!("secret_access_key={}", s3.secret_access_key),
        &"--set",
        &format!("endpoint={}", s3.endpoint),
    ]));
    eprintln!("writing {FLEET_HOSTS} hosts x {FLEET_BUNDLES} bundles into s3s-fs's folder ...");
    let dir = s3.root().join("bucket1").join("fleet");
    std::fs::create_dir_all(&dir).unwrap();
    let now = time::OffsetDateTime::now_utc();
    for h in 0..FLEET_HOSTS {
        for b in 0..FLEET_BUNDLES {
            let t = now - time::Duration::hours(1 + 24 * b as i64);
            let name = format!(
                "nascfg-nas{h:04}-{:04}{:02}{:02}T{:02}{:02}{:02}Z.tar.gz.age",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            );
            std::fs::write(dir.join(name), [b'x'; 64]).unwrap();
        }
    }
    let rclone = || {
        let mut cmd = Command::new("rclone");
        cmd.env_remove("AWS_CA_BUNDLE")
            .args([
                "--config",
                "/dev/null",
                "lsjson",
                "-R",
                "S3BENCH:bucket1/fleet",
            ])
            .env("RCLONE_CONFIG_S3BENCH_TYPE", "s3")
            .env("RCLONE_CONFIG_S3BENCH_PROVIDER", "Other")
            .env("RCLONE_CONFIG_S3BENCH_ACCESS_KEY_ID", &s3.access_key_id)
            .env(
                "RCLONE_CONFIG_S3BENCH_SECRET_ACCESS_KEY",
                &s3.secret_access_key,
            )
            .env("RCLONE_CONFIG_S3BENCH_ENDPOINT", &s3.endpoint);
        cmd
    };
    let at = "bench:bucket1/fleet";
    let rows: [(&str, Command); 3] = [
        (
            "backup status --all-hosts",
            run(&[&"backup", &"status", &at, &"--all-hosts"]),
        ),
        (
            "backup list --all-hosts",
            run(&[&"backup", &"list", &at, &"--all-hosts"]),
        ),
        (
            "backup prune --all-hosts --keep-last 7 --keep-daily 14 --dry-run",
            run(&[
                &"backup",
                &"prune",
                &at,
                &"--all-hosts",
                &"--keep-last",
                &"7",
                &"--keep-daily",
                &"14",
                &"--dry-run",
            ]),
        ),
    ];
    eprintln!("fleet view vs rclone lsjson -R, {runs} runs ...");
    let mut ours: Vec<(Vec<f64>, u64)> = rows.iter().map(|_| (Vec::new(), 0)).collect();
    let (mut peer, mut peer_rss) = (Vec::new(), 0u64);
    for i in 0..runs {
        for (k, (_, cmd)) in rows.iter().enumerate() {
            let mut pair = [None, None];
            for first in [i % 2 == 0, i % 2 != 0] {
                if first {
                    pair[0] = Some(timed_rss(cmd, work));
                } else {
                    pair[1] = Some(timed_rss(&rclone(), work));
                }
            }
            let (secs, kib) = pair[0].unwrap();
            ours[k].0.push(secs);
            ours[k].1 = ours[k].1.max(kib);
            let (secs, kib) = pair[1].unwrap();
            peer.push(secs);
            peer_rss = peer_rss.max(kib);
        }
    }
    let peer = median(peer);
    println!(
        "\nnascfg fleet benchmark: medians of {runs} runs, {FLEET_HOSTS} hosts x {FLEET_BUNDLES} bundles = {} objects on s3s-fs",
        FLEET_HOSTS * FLEET_BUNDLES
    );
    println!("| operation | nascfg | peak RSS | peer | peer time | peer RSS | ratio | goal |");
    println!("|---|---|---|---|---|---|---|---|");
    for ((label, _), (times, rss)) in rows.iter().zip(ours) {
        let t = median(times);
        let ratio = t / peer;
        let met = ratio <= 1.0 && rss <= 64 * 1024;
        println!(
            "| {label} | {t:.3}s | {:.1} MiB | rclone lsjson -R of the same folder | {peer:.3}s | {:.1} MiB | {ratio:.2}x | <= 1.0x, <= 64 MiB {} |",
            rss as f64 / 1024.0,
            peer_rss as f64 / 1024.0,
            if met { "met" } else { "NOT met" }
        );
    }
    drop(s3);
}

fn main() {
    let runs = std::env::var("NASCFG_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5usize)
        .max(1);
    let nascfg = nascfg_tests::cli::nascfg_default_bin();
    let work = std::env::var_os("NASCFG_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")))
        .join("nascfg-bench-remote");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    // `-- fleet` runs only the fleet rows (`cargo bench -p nascfg-tests --bench remote -- fleet`).
    let only_fleet = std::env::args().any(|a| a == "fleet");
    if only_fleet {
        fleet(nascfg, &work, runs);
        let _ = std::fs::remove_dir_all(&work);
        return;
    }
    let data = work.join("store-50k");
    let run = |args: &[&dyn AsRef<std::ffi::OsStr>]| {
        let mut cmd = Command::new(nascfg);
        cmd.arg("--data-dir").arg(&data);
        cmd.args(args.iter().map(|a| a.as_ref()));
        cmd
    };

    eprintln!("writing and importing an rclone.conf of {REMOTES} WebDAV remotes ...");
    let conf = work.join("rclone.conf");
    write_rclone_conf(&conf, REMOTES);
    timed(run(&[&"import", &"rclone", &conf]));

    let s3 = S3Server::start();
    timed(run(&[
        &"cred",
        &"add",
        &"bench",
        &"--provider",
        &"S3",
        &"--set",
        &format!("access_key_id={}", s3.access_key_id),
        &"--set",
        &format!("secret_access_key={}", s3.secret_access_key),
        &"--set",
        &format!("endpoint={}", s3.endpoint),
    ]));
    let bundle = work.join("bundle.tar.gz");
    timed(run(&[&"backup", &"export", &"-o", &bundle]));
    let size = std::fs::metadata(&bundle).unwrap().len();

    eprintln!("push vs rclone copyto, {runs} runs ...");
    let (mut ours, mut peer, mut export) = (Vec::new(), Vec::new(), Vec::new());
    let (mut file_push, mut file_peer) = (Vec::new(), Vec::new());
    for i in 0..runs {
        // What push does before any byte leaves the box, for the breakdown.
        export.push(timed(run(&[
            &"backup",
            &"export",
            &"--force",
            &"-o",
            &work.join("again.tar.gz"),
        ])));
        let push = || timed(run(&[&"backup", &"push", &"bench:bucket1/nascfg"]));
        let copy = || {
            let mut cmd = Command::new("rclone");
            // As the product's rclone engine does: Debian's rclone 1.60 fails S3 with a
            // custom CA bundle from the environment.
            cmd.env_remove("AWS_CA_BUNDLE")
                .args(["--config", "/dev/null", "copyto"])
                .arg(&bundle)
                .arg(format!("S3BENCH:bucket1/rclone/bundle-{i}.tar.gz"))
                .env("RCLONE_CONFIG_S3BENCH_TYPE", "s3")
                .env("RCLONE_CONFIG_S3BENCH_PROVIDER", "Other")
                .env("RCLONE_CONFIG_S3BENCH_ACCESS_KEY_ID", &s3.access_key_id)
                .env(
                    "RCLONE_CONFIG_S3BENCH_SECRET_ACCESS_KEY",
                    &s3.secret_access_key,
                )
                .env("RCLONE_CONFIG_S3BENCH_ENDPOINT", &s3.endpoint);
            timed(cmd)
        };
        // The same file both ways: what the transport costs, the goal's comparison.
        let push_file = || {
            timed(run(&[
                &"backup",
                &"push",
                &"bench:bucket1/nascfg-file",
                &"--bundle",
                &bundle,
            ]))
        };
        if i % 2 == 0 {
            ours.push(push());
            peer.push(copy());
            file_push.push(push_file());
            file_peer.push(copy());
        } else {
            file_peer.push(copy());
            file_push.push(push_file());
            peer.push(copy());
            ours.push(push());
        }
    }
    let (ours, peer, export) = (median(ours), median(peer), median(export));
    let (file_push, file_peer) = (median(file_push), median(file_peer));
    let ratio = ours / peer;
    let file_ratio = file_push / file_peer;
    println!("\nnascfg remote benchmark: medians of {runs} runs, bundle {size} bytes");
    println!("| operation | nascfg | peer | peer time | ratio | goal |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| backup push --bundle FILE (check + upload, S3 checks its SHA-256), {REMOTES} credentials' bundle, s3s-fs | {file_push:.3}s | rclone copyto of the same file | {file_peer:.3}s | {file_ratio:.2}x | <= 1.0x {} |",
        if file_ratio <= 1.0 { "met" } else { "NOT met" }
    );
    println!(
        "| backup push (export + upload, S3 checks its SHA-256), {REMOTES} credentials, s3s-fs | {ours:.3}s | rclone copyto of the bundle file | {peer:.3}s | {ratio:.2}x | (export included) |"
    );
    println!(
        "| of which: backup export -o FILE of the same store (no upload) | {export:.3}s | | | | |"
    );
    drop(s3);
    fleet(nascfg, &work, runs);
    let _ = std::fs::remove_dir_all(&work);
}
