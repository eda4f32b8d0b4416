//! nascfg against the tools a NAS admin would otherwise use, side by side in
//! one run: `backup export --include-seed` (and the same to an age recipient,
//! the unattended nightly bundle) vs `tar -czf` of config.db and the
//! seed, `backup restore` (every check) vs `tar -xzf` alone and vs `tar -xzf`
//! followed by `sqlite3 config.db 'PRAGMA integrity_check'` (the least a
//! careful person would do by hand), the bundle's size vs
//! the tar.gz, and `import rclone` vs `rclone config dump` of the same
//! rclone.conf (50,000 WebDAV remotes, obscured passwords).
//!
//! Every measurement runs the shipped binary (`nascfg`, default features) as
//! a child under `/usr/bin/time`, which reports its peak resident memory;
//! each pair runs back to back, alternating which goes first, and the table
//! shows medians of `NASCFG_BENCH_RUNS` runs (default 5) and their ratio.
//! Run it with `cargo xtask bench` (`--big` adds a 4 GiB store, for peak
//! memory, one run). `NASCFG_BENCH_DIR` puts the files elsewhere than the
//! target directory (they take about 4 times the store); `NASCFG_BENCH_MID_MB`
//! sets the middle store's size (default 256; 0 leaves it out);
//! `NASCFG_BENCH_BIN` measures another build of nascfg (a before/after
//! comparison: one run each); `NASCFG_BENCH_ONLY` runs only the rows whose operation name contains one
//! of its comma-separated words (`import`, `export`, `restore`), for
//! iterating on one of them (`cargo xtask bench --only restore` sets it).
//!
//! The stores: the 50,000 credentials imported from that rclone.conf (about
//! 19 MiB), and the same plus OpenStack Swift credentials with 60 KiB auth
//! tokens up to 256 MiB (and 4 GiB), written through the store's own batch
//! API, so every row is one `backup restore` accepts.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use nascfg_credentials::{Credential, ProviderKind};
use nascfg_store::{DataDir, Store};

/// The binary measured: this build's, or `NASCFG_BENCH_BIN` (another
/// build of nascfg, to compare two versions run for run on the same files).
fn nascfg_bin() -> String {
    std::env::var("NASCFG_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_nascfg").to_owned())
}
const REMOTES: usize = 50_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One run of a command: wall seconds and peak RSS (KiB).
#[derive(Clone, Copy)]
struct Sample {
    secs: f64,
    peak_kib: u64,
}

/// Runs `program args` under `/usr/bin/time -f %M` with its standard output
/// thrown away; panics (with its standard error) unless it succeeds.
fn measure(program: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Sample {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(program)
        .args(args.iter().map(|a| a.as_ref()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("/usr/bin/time runs (apt-get install time)");
    let secs = start.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{program} failed: {err}");
    let peak_kib = err
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("/usr/bin/time printed the peak RSS");
    Sample { secs, peak_kib }
}

fn nascfg(data: &Path, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Sample {
    let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"--data-dir", &data];
    all.extend_from_slice(args);
    measure(&nascfg_bin(), &all)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Medians and peaks of a pair of series.
struct Row {
    what: String,
    ours: f64,
    ours_peak: u64,
    peer_name: &'static str,
    peer: f64,
    peer_peak: u64,
    goal: f64,
}

fn row(what: &str, ours: &[Sample], peer_name: &'static str, peer: &[Sample], goal: f64) -> Row {
    Row {
        what: what.to_owned(),
        ours: median(ours.iter().map(|s| s.secs).collect()),
        ours_peak: ours.iter().map(|s| s.peak_kib).max().unwrap_or(0),
        peer_name,
        peer: median(peer.iter().map(|s| s.secs).collect()),
        peer_peak: peer.iter().map(|s| s.peak_kib).max().unwrap_or(0),
        goal,
    }
}

/// Runs `ours` and `peer` `runs` times each, alternating which goes first.
fn pair(
    runs: usize,
    mut ours: impl FnMut(usize) -> Sample,
    mut peer: impl FnMut(usize) -> Sample,
) -> (Vec<Sample>, Vec<Sample>) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for run in 0..runs {
        if run % 2 == 0 {
            a.push(ours(run));
            b.push(peer(run));
        } else {
            b.push(peer(run));
            a.push(ours(run));
        }
    }
    (a, b)
}

fn remove(path: &Path) {
    if path.is_dir() {
        std::fs::remove_dir_all(path).unwrap();
    } else if path.exists() {
        std::fs::remove_file(path).unwrap();
    }
}

/// An rclone.conf of `n` WebDAV remotes with obscured passwords.
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

/// A random-looking token of `n` characters (xorshift, deterministic).
fn token(state: &mut u64, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..n)
        .map(|_| {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            ALPHABET[(*state % 64) as usize] as char
        })
        .collect()
}

/// Copies `from`'s config.db and seed into `to`, then adds Swift credentials
/// with 60 KiB auth tokens until config.db is at least `bytes` long.
fn grow_store(from: &Path, to: &Path, bytes: u64) {
    std::fs::create_dir_all(to).unwrap();
    for file in ["config.db", "secret-seed"] {
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
    let dir = DataDir::new(to.to_path_buf());
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = 0usize;
    while std::fs::metadata(dir.db_path()).unwrap().len() < bytes {
        let mut store = Store::open(&dir).unwrap();
        let batch: Vec<Credential> = (0..500)
            .map(|_| {
                next += 1;
                let mut attrs = serde_json::Map::new();
                attrs.insert("user".into(), format!("tenant-user-{next}").into());
                attrs.insert("key".into(), token(&mut state, 40).into());
                attrs.insert("auth".into(), "https://keystone.example.com/v3".into());
                attrs.insert("auth_token".into(), token(&mut state, 60 * 1024).into());
                Credential::new(
                    &format!("swift-{next:07}"),
                    ProviderKind::OpenstackSwift,
                    attrs,
                )
                .expect("a valid Swift credential")
            })
            .collect();
        store.add_credentials(&batch).unwrap();
    }
}

struct Sizes {
    label: String,
    db: u64,
    bundle: u64,
    tgz: u64,
}

/// Whether the operation `what` is to be measured (`NASCFG_BENCH_ONLY`).
fn wanted(what: &str) -> bool {
    match std::env::var("NASCFG_BENCH_ONLY") {
        Ok(only) if !only.trim().is_empty() => only
            .split(',')
            .map(str::trim)
            .any(|w| !w.is_empty() && what.contains(w)),
        _ => true,
    }
}

/// Export and restore of the store in `data` against tar, `runs` times (an
/// export is made once, unmeasured, when only the restore is wanted).
fn bundle_rows(work: &Path, label: &str, data: &Path, runs: usize) -> (Vec<Row>, Sizes) {
    let bundle = work.join(format!("{label}.bundle.tar.gz"));
    let tgz = work.join(format!("{label}.tar.gz"));
    let mut rows = Vec::new();
    let export_runs = if wanted("export") { runs } else { 1 };
    let (ours, peer) = pair(
        export_runs,
        |_| {
            nascfg(
                data,
                &[
                    &"backup",
                    &"export",
                    &"--include-seed",
                    &"--force",
                    &"-o",
                    &bundle,
                ],
            )
        },
        |_| {
            remove(&tgz);
            measure(
                "tar",
                &[&"-czf", &tgz, &"-C", &data, &"config.db", &"secret-seed"],
            )
        },
    );
    if wanted("export") {
        rows.push(row(
            &format!("export, {label}"),
            &ours,
            "tar -czf",
            &peer,
            0.5,
        ));
    }
    let restored = work.join("restored");
    let untarred = work.join("untarred");
    let restore_runs = if wanted("restore") { runs } else { 0 };
    // The second peer: what a careful person does by hand, tar then SQLite's
    // own integrity check of the unpacked database (one of our checks).
    let mut checked = Vec::new();
    let (ours, peer) = pair(
        restore_runs,
        |_| {
            remove(&restored);
            let s = nascfg(&restored, &[&"backup", &"restore", &bundle]);
            remove(&restored);
            s
        },
        |_| {
            remove(&untarred);
            std::fs::create_dir(&untarred).unwrap();
            let s = measure("tar", &[&"-xzf", &tgz, &"-C", &untarred]);
            let c = measure(
                "sqlite3",
                &[&untarred.join("config.db"), &"PRAGMA integrity_check"],
            );
            checked.push(Sample {
                secs: s.secs + c.secs,
                peak_kib: s.peak_kib.max(c.peak_kib),
            });
            remove(&untarred);
            s
        },
    );
    if wanted("restore") {
        rows.push(row(
            &format!("restore, {label}"),
            &ours,
            "tar -xzf",
            &peer,
            1.2,
        ));
        rows.push(row(
            &format!("restore, {label}"),
            &ours,
            "tar -xzf; sqlite3 integrity_check",
            &checked,
            1.0,
        ));
    }
    let sizes = Sizes {
        label: label.to_owned(),
        db: std::fs::metadata(data.join("config.db")).unwrap().len(),
        bundle: std::fs::metadata(&bundle).unwrap().len(),
        tgz: std::fs::metadata(&tgz).unwrap().len(),
    };
    remove(&bundle);
    remove(&tgz);
    (rows, sizes)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1048576.0
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let big = args.iter().any(|a| a == "--big");
    let runs = env_usize("NASCFG_BENCH_RUNS", 5).max(1);
    let work = std::env::var_os("NASCFG_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")))
        .join("nascfg-bench");
    let mid_mb = env_usize("NASCFG_BENCH_MID_MB", 256) as u64;
    remove(&work);
    std::fs::create_dir_all(&work).unwrap();

    eprintln!("writing an rclone.conf of {REMOTES} WebDAV remotes ...");
    let conf = work.join("rclone.conf");
    write_rclone_conf(&conf, REMOTES);
    let small = work.join("store-50k");
    let setup = nascfg(&small, &[&"import", &"rclone", &conf]);
    eprintln!("imported them once ({:.2}s)", setup.secs);
    let listed = Command::new(nascfg_bin())
        .arg("--data-dir")
        .arg(&small)
        .args(["cred", "list"])
        .output()
        .unwrap();
    let count = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter(|l| l.contains("dav-"))
        .count();
    assert_eq!(count, REMOTES, "every remote imported");

    let mut rows = Vec::new();
    let mut sizes = Vec::new();
    let import_runs = if wanted("import") { runs } else { 0 };
    eprintln!("import vs rclone config dump, {import_runs} runs ...");
    let imported = work.join("store-import");
    let (ours, peer) = pair(
        import_runs,
        |_| {
            remove(&imported);
            nascfg(&imported, &[&"import", &"rclone", &conf])
        },
        |_| measure("rclone", &[&"--config", &conf, &"config", &"dump"]),
    );
    if wanted("import") {
        rows.push(row(
            &format!("import rclone, {REMOTES} remotes"),
            &ours,
            "rclone config dump",
            &peer,
            0.4,
        ));
    }
    remove(&imported);

    if !wanted("export") && !wanted("restore") {
        print_table(runs, &rows, &[]);
        remove(&work);
        return;
    }

    eprintln!("export/restore at {REMOTES} credentials, {runs} runs ...");
    let (r, s) = bundle_rows(&work, "50k creds", &small, runs);
    rows.extend(r);
    sizes.push(s);
    if wanted("export") {
        eprintln!("export to a recipient at {REMOTES} credentials, {runs} runs ...");
        rows.push(recipient_row(&work, &small, runs));
    }

    if mid_mb > 0 {
        eprintln!("building a {mid_mb} MiB store ...");
        let mid = work.join("store-mid");
        grow_store(&small, &mid, mid_mb << 20);
        eprintln!("export/restore at {mid_mb} MiB, {runs} runs ...");
        let (r, s) = bundle_rows(&work, &format!("{mid_mb} MiB"), &mid, runs);
        rows.extend(r);
        sizes.push(s);
        remove(&mid);
    }

    if big {
        eprintln!("building a 4 GiB store ...");
        let huge = work.join("store-4g");
        grow_store(&small, &huge, 4 << 30);
        eprintln!("export/restore at 4 GiB, 1 run ...");
        let (r, s) = bundle_rows(&work, "4 GiB", &huge, 1);
        rows.extend(r);
        sizes.push(s);
        remove(&huge);
    }

    print_table(runs, &rows, &sizes);
    remove(&work);
}

/// The unattended nightly export (issue 27): the seed included, encrypted to
/// one age recipient (a key `age-keygen` makes here), signed with the box's
/// key as every bundle is, against `tar -czf` of the same two files.
fn recipient_row(work: &Path, data: &Path, runs: usize) -> Row {
    let key = work.join("admin-identity.txt");
    remove(&key);
    let made = Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .expect("age-keygen runs (apt-get install age)");
    assert!(made.status.success(), "age-keygen failed");
    let text = std::fs::read_to_string(&key).unwrap();
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("age-keygen names the public key")
        .to_owned();
    let bundle = work.join("recipient.bundle.tar.gz.age");
    let tgz = work.join("recipient.tar.gz");
    let (ours, peer) = pair(
        runs,
        |_| {
            nascfg(
                data,
                &[
                    &"backup",
                    &"export",
                    &"--include-seed",
                    &"--recipient",
                    &recipient,
                    &"--force",
                    &"-o",
                    &bundle,
                ],
            )
        },
        |_| {
            remove(&tgz);
            measure(
                "tar",
                &[&"-czf", &tgz, &"-C", &data, &"config.db", &"secret-seed"],
            )
        },
    );
    remove(&bundle);
    remove(&tgz);
    remove(&key);
    row(
        &format!("export to a recipient, signed, {REMOTES} creds"),
        &ours,
        "tar -czf",
        &peer,
        0.5,
    )
}

fn print_table(runs: usize, rows: &[Row], sizes: &[Sizes]) {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\nnascfg benchmark: medians of {runs} runs (the 4 GiB rows: 1 run)"
    )
    .unwrap();
    writeln!(
        out,
        "| operation | nascfg | peak RSS | peer | peer time | peer peak RSS | ratio | goal |"
    )
    .unwrap();
    writeln!(out, "|---|---|---|---|---|---|---|---|").unwrap();
    let mut peak_ok = true;
    for r in rows {
        let ratio = r.ours / r.peer;
        if !r.what.starts_with("import") {
            peak_ok &= r.ours_peak <= 64 * 1024;
        }
        writeln!(
            out,
            "| {} | {:.3}s | {:.1} MiB | {} | {:.3}s | {:.1} MiB | {:.2}x | <= {:.1}x {} |",
            r.what,
            r.ours,
            r.ours_peak as f64 / 1024.0,
            r.peer_name,
            r.peer,
            r.peer_peak as f64 / 1024.0,
            ratio,
            r.goal,
            verdict(ratio <= r.goal),
        )
        .unwrap();
    }
    for s in sizes {
        let ratio = s.bundle as f64 / s.tgz as f64;
        writeln!(
            out,
            "| bundle size, {} (config.db {:.1} MiB) | {:.2} MiB | | tar.gz | {:.2} MiB | | {:.2}x | <= 1.0x {} |",
            s.label,
            mib(s.db),
            mib(s.bundle),
            mib(s.tgz),
            ratio,
            verdict(ratio <= 1.0),
        )
        .unwrap();
    }
    writeln!(
        out,
        "peak RSS of export and restore <= 64 MiB at every size: {}",
        verdict(peak_ok)
    )
    .unwrap();
}
