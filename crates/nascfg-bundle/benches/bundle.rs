//! Export and restore of a big config database against GNU `tar -czf` /
//! `tar -xzf` of the same file, side by side: medians, ratios, peak memory.
//!
//! `NASCFG_BENCH_MB` sets the database size (default 256), `NASCFG_BENCH_RUNS`
//! the runs per measurement (default 5). Every run happens in a child process
//! (this binary re-executed with `--child`), which reports its own peak
//! resident memory (VmHWM); tar's runs go through `/usr/bin/time -v` when it
//! is installed.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use nascfg_bundle::{ExportOptions, RestoreOptions};
use nascfg_credentials::{Credential, ProviderKind};
use nascfg_store::{DataDir, Store};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Child mode: `--child export DATA OUT` or `--child restore BUNDLE DATA`;
/// prints `<seconds> <peak KiB>`.
fn child(args: &[String]) {
    let start = Instant::now();
    match args[0].as_str() {
        "export" => {
            let store = Store::open(&DataDir::new(PathBuf::from(&args[1]))).unwrap();
            let options = ExportOptions {
                include_seed: true,
                ..Default::default()
            };
            nascfg_bundle::export(&store, Path::new(&args[2]), &options).unwrap();
        }
        "restore" => {
            let dir = DataDir::new(PathBuf::from(&args[2]));
            nascfg_bundle::restore(&dir, Path::new(&args[1]), &RestoreOptions::default()).unwrap();
        }
        other => panic!("unknown child mode {other}"),
    }
    println!("{} {}", start.elapsed().as_secs_f64(), vm_hwm_kib());
}

/// A data directory whose database is about `mb` MiB: a few real
/// credentials, then rows of credential-like JSON text with random tokens.
fn make_database(dir: &DataDir, mb: u64) {
    let mut store = Store::open(dir).unwrap();
    for i in 0..20 {
        let mut attrs = serde_json::Map::new();
        attrs.insert("access_key_id".into(), format!("AKIA{i:016}").into());
        attrs.insert("secret_access_key".into(), format!("secret/{i:034}").into());
        store
            .add_credential(&Credential::new(&format!("s3-{i}"), ProviderKind::S3, attrs).unwrap())
            .unwrap();
    }
    drop(store);
    let mut conn = rusqlite::Connection::open(dir.db_path()).unwrap();
    conn.execute_batch("CREATE TABLE bench_filler(id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut token = |n: usize| -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ALPHABET[(state % 64) as usize] as char
            })
            .collect()
    };
    let target = mb << 20;
    let mut id = 0u64;
    while std::fs::metadata(dir.db_path())
        .map(|m| m.len())
        .unwrap_or(0)
        < target
    {
        let tx = conn.transaction().unwrap();
        {
            let mut stmt = tx
                .prepare("INSERT INTO bench_filler(id, body) VALUES (?1, ?2)")
                .unwrap();
            for _ in 0..2000 {
                id += 1;
                let body = format!(
                    "{{\"name\": \"remote-{id}\", \"provider\": {{\"type\": \"S3\", \"endpoint\": \"https://s3.eu-west-1.example.com\", \
                     \"region\": \"eu-west-1\", \"access_key_id\": \"AKIA{}\", \"token\": \"{}\", \"note\": \"{}\"}}}}",
                    token(16),
                    token(40),
                    "nightly offsite copy of the pool ".repeat(4)
                );
                stmt.execute(rusqlite::params![id as i64, body]).unwrap();
            }
        }
        tx.commit().unwrap();
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
}

struct Sample {
    secs: f64,
    peak_kib: Option<u64>,
}

fn run_child(args: &[&str]) -> Sample {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .arg("--child")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    Sample {
        secs: parts.next().unwrap().parse().unwrap(),
        peak_kib: parts.next().and_then(|v| v.parse().ok()),
    }
}

fn run_tar(args: &[&str]) -> Sample {
    let time = Path::new("/usr/bin/time");
    let start = Instant::now();
    let out = if time.exists() {
        Command::new(time)
            .arg("-v")
            .arg("tar")
            .args(args)
            .output()
            .unwrap()
    } else {
        Command::new("tar").args(args).output().unwrap()
    };
    let secs = start.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "tar failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peak_kib = String::from_utf8_lossy(&out.stderr).lines().find_map(|l| {
        l.trim()
            .strip_prefix("Maximum resident set size (kbytes):")
            .and_then(|v| v.trim().parse().ok())
    });
    Sample { secs, peak_kib }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn summarize(samples: &[Sample]) -> (f64, Option<u64>) {
    let peak = samples.iter().filter_map(|s| s.peak_kib).max();
    (median(samples.iter().map(|s| s.secs).collect()), peak)
}

fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
        .unwrap_or_else(|| "n/a".into())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        child(&args[pos + 1..]);
        return;
    }
    let mb = env_u64("NASCFG_BENCH_MB", 256);
    let runs = env_u64("NASCFG_BENCH_RUNS", 5).max(1) as usize;
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::new(tmp.path().join("data"));
    eprintln!("building a {mb} MiB config database ...");
    make_database(&data, mb);
    let db_size = std::fs::metadata(data.db_path()).unwrap().len();
    let data_s = data.path().to_str().unwrap().to_owned();
    let mut ours_export = Vec::new();
    let mut tar_export = Vec::new();
    let mut ours_restore = Vec::new();
    let mut tar_restore = Vec::new();
    let bundle = tmp.path().join("bundle.tar.gz");
    let tgz = tmp.path().join("tar.tar.gz");
    for run in 0..runs {
        eprintln!("run {}/{runs}", run + 1);
        let _ = std::fs::remove_file(&bundle);
        ours_export.push(run_child(&["export", &data_s, bundle.to_str().unwrap()]));
        let _ = std::fs::remove_file(&tgz);
        tar_export.push(run_tar(&[
            "-czf",
            tgz.to_str().unwrap(),
            "-C",
            &data_s,
            "config.db",
            "secret-seed",
        ]));

        let target = tmp.path().join(format!("restore-{run}"));
        ours_restore.push(run_child(&[
            "restore",
            bundle.to_str().unwrap(),
            target.to_str().unwrap(),
        ]));
        std::fs::remove_dir_all(&target).unwrap();
        let untar = tmp.path().join(format!("untar-{run}"));
        std::fs::create_dir(&untar).unwrap();
        tar_restore.push(run_tar(&[
            "-xzf",
            tgz.to_str().unwrap(),
            "-C",
            untar.to_str().unwrap(),
        ]));
        std::fs::remove_dir_all(&untar).unwrap();
    }
    // GNU tar reads our bundle: one ordinary gzip member, the members in order.
    let list = Command::new("tar")
        .arg("-tzf")
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(list.status.success(), "tar cannot read the bundle");
    assert_eq!(
        String::from_utf8_lossy(&list.stdout),
        "manifest.json\nconfig.db\nsecret-seed\n"
    );
    let bundle_size = std::fs::metadata(&bundle).unwrap().len();
    let tgz_size = std::fs::metadata(&tgz).unwrap().len();
    let (oe, oe_peak) = summarize(&ours_export);
    let (te, te_peak) = summarize(&tar_export);
    let (or, or_peak) = summarize(&ours_restore);
    let (tr, tr_peak) = summarize(&tar_restore);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "bundle benchmark: config.db {:.1} MiB, {runs} runs each, medians",
        db_size as f64 / 1048576.0
    )
    .unwrap();
    writeln!(
        out,
        "{:<34} {:>9} {:>12} {:>8}",
        "", "median", "peak RSS", "vs tar"
    )
    .unwrap();
    writeln!(
        out,
        "{:<34} {:>8.3}s {:>12} {:>7.2}x",
        "nascfg export (snapshot+hash+gz)",
        oe,
        mib(oe_peak),
        oe / te
    )
    .unwrap();
    writeln!(
        out,
        "{:<34} {:>8.3}s {:>12} {:>8}",
        "tar -czf",
        te,
        mib(te_peak),
        "1.00x"
    )
    .unwrap();
    writeln!(
        out,
        "{:<34} {:>8.3}s {:>12} {:>7.2}x",
        "nascfg restore (every check+swap)",
        or,
        mib(or_peak),
        or / tr
    )
    .unwrap();
    writeln!(
        out,
        "{:<34} {:>8.3}s {:>12} {:>8}",
        "tar -xzf",
        tr,
        mib(tr_peak),
        "1.00x"
    )
    .unwrap();
    writeln!(
        out,
        "sizes: bundle {bundle_size} bytes, tar.gz {tgz_size} bytes"
    )
    .unwrap();
    writeln!(
        out,
        "goals: export <= 0.5x tar -czf: {}; restore <= 1.0x tar -xzf: {}; peak < 64 MiB: {}",
        if oe / te <= 0.5 { "met" } else { "NOT met" },
        if or / tr <= 1.0 { "met" } else { "NOT met" },
        if oe_peak.max(or_peak).is_some_and(|p| p < 64 * 1024) {
            "met"
        } else {
            "NOT met"
        },
    )
    .unwrap();
}
