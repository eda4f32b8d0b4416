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
    let _ = std::fs::remove_dir_all(&work);
}
