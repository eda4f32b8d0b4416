//! `cargo xtask`: the project's own automation.
//!
//! - `cargo xtask setup`: installs what the tests need (Debian packages, Azurite, oidc-provider, cargo-fuzz).
//! - `cargo xtask ci`: setup, then exactly what CI checks: fmt, clippy (which also compiles the
//!   benchmarks), tests, docs, fuzz targets (built and run briefly); each step's time at the end.
//! - `cargo xtask fuzz [SECONDS]`: writes the seed corpora, then runs every fuzz
//!   target for a while from its corpus (`fuzz/corpus/<target>/`) with its
//!   dictionary (`fuzz/dict/<target>.dict`).
//! - `cargo xtask fuzz-corpus`: writes the seed corpora only.
//! - `cargo xtask bench [--big]`: nascfg side by side with tar and rclone
//!   (export, restore, bundle size, import; medians, ratios, peak memory);
//!   `--big` adds a 4 GiB store; then `backup push` against `rclone copyto` of
//!   the same bundle to s3s-fs (`--bench remote` of nascfg-tests); then the TrueNAS-compatible API
//!   under load (`--bench api`: a query of 10,000 credentials, 50 clients). The verification benchmark is
//!   `cargo bench -p nascfg-tests --bench verify`.
//! - `cargo xtask dist`: the release binary, its shell completions and its man page
//!   under `target/dist/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("setup") => setup(&root),
        Some("ci") => ci(&root),
        Some("fuzz-corpus") => fuzz_corpus(&root),
        Some("fuzz") => {
            let secs = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(60);
            let mut steps = Steps::default();
            let result = fuzz_run(&root, secs, &mut steps);
            steps.print();
            result
        }
        Some("bench") => bench(&args[1..]),
        Some("demo") => demo(&root),
        Some("dist") => dist(&root),
        _ => {
            bail!("usage: cargo xtask ci|setup|fuzz [SECONDS]|fuzz-corpus|bench [--big]|demo|dist")
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The cargo target directory: `$CARGO_TARGET_DIR` (relative to the root) or `target/`.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root.join(dir))
        .unwrap_or_else(|| root.join("target"))
}

fn run(program: &str, args: &[&str]) -> Result<()> {
    run_with_env(program, args, &[])
}

fn run_with_env(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<()> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .status()
        .with_context(|| format!("cannot run {program}"))?;
    if !status.success() {
        bail!("{program} {} failed with {status}", args.join(" "));
    }
    Ok(())
}

/// `cargo xtask bench [--big] [--only WORDS]`: crates/nascfg-cli/benches/nascfg.rs,
/// which runs the shipped binary against `tar` and `rclone` on the same files
/// and prints a table of medians and ratios; then tests/benches/remote.rs,
/// `backup push` against `rclone copyto` to the same S3 server; then
/// tests/benches/api.rs, the API's query and load figures. `--only`
/// (comma-separated: `import`, `export`, `restore`, `remote`, `api`) runs only those
/// rows (it sets `NASCFG_BENCH_ONLY`), to iterate on one of them.
fn bench(args: &[String]) -> Result<()> {
    let mut cargo = vec!["bench", "-p", "nascfg-cli", "--bench", "nascfg", "--"];
    let mut only: Option<String> = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--big" => cargo.push("--big"),
            "--only" => match rest.next() {
                Some(words) => only = Some(words.clone()),
                None => {
                    bail!(
                        "cargo xtask bench: --only needs a value (import,export,restore,remote,api)"
                    )
                }
            },
            other => bail!("cargo xtask bench: unknown argument {other:?} (--big, --only WORDS)"),
        }
    }
    let only = only.or_else(|| std::env::var("NASCFG_BENCH_ONLY").ok());
    let wants = |word: &str| {
        only.as_deref()
            .is_none_or(|o| o.trim().is_empty() || o.split(',').any(|w| w.trim() == word))
    };
    let env: Vec<(&str, &str)> = only
        .as_deref()
        .map(|o| ("NASCFG_BENCH_ONLY", o))
        .into_iter()
        .collect();
    if ["import", "export", "restore"].iter().any(|w| wants(w)) {
        run_with_env("cargo", &cargo, &env)?;
    }
    if wants("remote") {
        run(
            "cargo",
            &["bench", "-p", "nascfg-tests", "--bench", "remote"],
        )?;
    }
    if wants("api") {
        run("cargo", &["bench", "-p", "nascfg-tests", "--bench", "api"])?;
    }
    Ok(())
}

fn setup(root: &Path) -> Result<()> {
    run("bash", &[&root.join(".ci/setup").to_string_lossy()])
}

/// `cargo xtask ci`: every check CI makes, each step timed; the times are
/// printed at the end (also when a step fails), so a slow CI shows where.
///
/// The benches are not built in release here: `clippy --all-targets` already
/// compiles them (a second, release build of the workspace cost CI minutes and
/// checked nothing more).
fn ci(root: &Path) -> Result<()> {
    let mut steps = Steps::default();
    let result = ci_steps(root, &mut steps);
    steps.print();
    result
}

fn ci_steps(root: &Path, steps: &mut Steps) -> Result<()> {
    steps.time("setup", || setup(root))?;
    steps.time("fmt", || run("cargo", &["fmt", "--all", "--", "--check"]))?;
    steps.time("clippy", || {
        run(
            "cargo",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--locked",
                "--",
                "-D",
                "warnings",
            ],
        )
    })?;
    steps.time("test", || {
        run("cargo", &["test", "--workspace", "--locked"])
    })?;
    steps.time("doc", || {
        run_with_env(
            "cargo",
            &["doc", "--workspace", "--no-deps", "--locked"],
            &[("RUSTDOCFLAGS", "-D warnings")],
        )
    })?;
    fuzz_run(root, 10, steps)
}

/// How long each step of `cargo xtask ci` took.
#[derive(Default)]
struct Steps {
    done: Vec<(String, std::time::Duration, bool)>,
}

impl Steps {
    fn time<T>(&mut self, name: &str, step: impl FnOnce() -> Result<T>) -> Result<T> {
        let start = std::time::Instant::now();
        let result = step();
        self.done
            .push((name.to_owned(), start.elapsed(), result.is_ok()));
        result
    }

    fn print(&self) {
        let total: std::time::Duration = self.done.iter().map(|(_, d, _)| *d).sum();
        eprintln!("\nci steps (wall time):");
        for (name, took, ok) in &self.done {
            let status = if *ok { "" } else { "  FAILED" };
            eprintln!("  {name:<24} {:>8.1} s{status}", took.as_secs_f64());
        }
        eprintln!("  {:<24} {:>8.1} s", "total", total.as_secs_f64());
    }
}

/// The completion scripts `cargo xtask dist` writes: shell and file name
/// (the names each shell looks for, as clap_complete's `Shell::file_name` gives them).
const COMPLETIONS: &[(&str, &str)] = &[
    ("bash", "nascfg.bash"),
    ("zsh", "_nascfg"),
    ("fish", "nascfg.fish"),
    ("elvish", "nascfg.elv"),
    ("powershell", "_nascfg.ps1"),
];

/// `cargo xtask dist`: builds the release binary (default features: no test
/// hooks) and lays out what a package needs under `target/dist/`: `nascfg`,
/// `completions/` (one script per shell) and `man/nascfg.1`, the last two
/// printed by the built binary itself, so they match it.
fn dist(root: &Path) -> Result<()> {
    run(
        "cargo",
        &[
            "build",
            "--release",
            "--locked",
            "-p",
            "nascfg-cli",
            "--bin",
            "nascfg",
        ],
    )?;
    let target = target_dir(root);
    let bin = target.join("release/nascfg");
    let dist = target.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist)
            .with_context(|| format!("cannot remove the old {}", dist.display()))?;
    }
    std::fs::create_dir_all(dist.join("completions"))?;
    std::fs::create_dir_all(dist.join("man"))?;
    std::fs::copy(&bin, dist.join("nascfg"))
        .with_context(|| format!("cannot copy {}", bin.display()))?;
    for (shell, file) in COMPLETIONS {
        let script = output_of(&bin, &["completions", shell])?;
        std::fs::write(dist.join("completions").join(file), script)?;
    }
    std::fs::write(dist.join("man/nascfg.1"), output_of(&bin, &["man"])?)?;
    eprintln!(
        "wrote {}: nascfg, completions/, man/nascfg.1",
        dist.display()
    );
    Ok(())
}

/// Runs `bin ARGS` and returns its standard output; fails unless it exits 0
/// with some output.
fn output_of(bin: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new(bin)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    if !out.status.success() || out.stdout.is_empty() {
        bail!(
            "nascfg {} failed with {}: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out.stdout)
}

fn fuzz_targets(root: &Path) -> Result<Vec<String>> {
    let mut targets = Vec::new();
    for entry in std::fs::read_dir(root.join("fuzz/fuzz_targets"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs")
            && let Some(stem) = path.file_stem()
        {
            targets.push(stem.to_string_lossy().into_owned());
        }
    }
    targets.sort();
    Ok(targets)
}

/// `cargo xtask fuzz-corpus`: writes each target's seed corpus under
/// `fuzz/corpus/<target>/`: inputs that pass the formats' front checks (the
/// golden bundles, TrueNAS backups, sealed values under the target's key,
/// credential documents, rclone.conf files), built and checked by the test
/// `fuzz_corpus` (tests/it/fuzz_corpus.rs), so they stay valid as the
/// formats change. Needs what the tests need (sqlite3, from `.ci/setup`).
fn fuzz_corpus(root: &Path) -> Result<()> {
    let out = root.join("fuzz/corpus");
    run_with_env(
        "cargo",
        &[
            "test",
            "--locked",
            // The workspace's features, as the test step builds them: with
            // `-p nascfg-tests` alone cargo unifies fewer features and
            // rebuilds some forty crates (two minutes of CI).
            "--workspace",
            "--test",
            "it",
            "fuzz_corpus::",
        ],
        &[("NASCFG_WRITE_FUZZ_CORPUS", &out.to_string_lossy())],
    )
}

/// Builds the fuzz targets, writes the seed corpora, and runs each target
/// for `seconds` from its corpus with its dictionary.
fn fuzz_run(root: &Path, seconds: u32, steps: &mut Steps) -> Result<()> {
    steps.time("fuzz corpus", || fuzz_corpus(root))?;
    let fuzz_dir = root.join("fuzz");
    std::env::set_current_dir(&fuzz_dir)?;
    steps.time("fuzz build", || {
        run("cargo", &["fuzz", "build", "--sanitizer", "none"])
    })?;
    let max_time = format!("-max_total_time={seconds}");
    for target in fuzz_targets(root)? {
        let corpus = format!("corpus/{target}");
        std::fs::create_dir_all(fuzz_dir.join(&corpus))?;
        let dict = format!("dict/{target}.dict");
        let mut args = vec![
            "fuzz",
            "run",
            "--sanitizer",
            "none",
            &target,
            &corpus,
            "--",
            &max_time,
        ];
        let dict_arg = format!("-dict={dict}");
        if fuzz_dir.join(&dict).exists() {
            args.push(&dict_arg);
        }
        steps.time(&format!("fuzz {target}"), || run("cargo", &args))?;
    }
    std::env::set_current_dir(root)?;
    Ok(())
}

/// `cargo xtask demo`: builds nascfg and runs the main job end to end on
/// throwaway data directories: credentials on an old box, a backup with the
/// seed and a passphrase, a new box restored from it, its secrets opened.
fn demo(root: &Path) -> Result<()> {
    run(
        "cargo",
        &["build", "--quiet", "-p", "nascfg-cli", "--bin", "nascfg"],
    )?;
    let bin = target_dir(root).join("debug/nascfg");
    let work = std::env::temp_dir().join(format!("nascfg-demo-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let result = demo_steps(&bin, &work);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn demo_steps(bin: &Path, work: &Path) -> Result<()> {
    let old = work.join("old-box");
    let new = work.join("new-box");
    let other = work.join("other-box");
    let bundle = work.join("old-box.tar.gz.age");
    let plain = work.join("old-box-no-seed.tar.gz");
    let nascfg = |dir: &Path, args: &[&str], expect_ok: bool| -> Result<()> {
        println!(
            "\n$ nascfg --data-dir {} {}",
            dir.file_name().and_then(|n| n.to_str()).unwrap_or(""),
            args.join(" ")
        );
        let status = Command::new(bin)
            .env_remove("NASCFG_DATA_DIR")
            .env("NASCFG_DEMO_PASSPHRASE", "correct horse battery staple")
            .arg("--data-dir")
            .arg(dir)
            .args(args)
            .status()
            .with_context(|| format!("cannot run {}", bin.display()))?;
        if status.success() != expect_ok {
            bail!("nascfg {} exited with {status}", args.join(" "));
        }
        Ok(())
    };
    let bundle_s = bundle.to_string_lossy().into_owned();
    let plain_s = plain.to_string_lossy().into_owned();
    println!("# The old box: two credentials with secrets and an SSH key pair.");
    nascfg(&old, &["init"], true)?;
    nascfg(
        &old,
        &[
            "cred",
            "add",
            "offsite",
            "--provider",
            "S3",
            "--set",
            "access_key_id=AKIAIOSFODNN7EXAMPLE",
            "--set",
            "secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ],
        true,
    )?;
    nascfg(&old, &["keypair", "generate", "nas-key"], true)?;
    nascfg(
        &old,
        &[
            "cred",
            "add",
            "home",
            "--provider",
            "SFTP",
            "--set",
            "host=sftp.example.com",
            "--set",
            "user=backup",
            "--set",
            "pass=hunter2",
            "--set",
            "private_key=nas-key",
        ],
        true,
    )?;
    nascfg(&old, &["cred", "list"], true)?;
    println!(
        "\n# A backup with the seed, protected by a passphrase (from $NASCFG_DEMO_PASSPHRASE)."
    );
    nascfg(
        &old,
        &[
            "backup",
            "export",
            "--include-seed",
            "--passphrase-env",
            "NASCFG_DEMO_PASSPHRASE",
            "-o",
            &bundle_s,
        ],
        true,
    )?;
    println!("\n# The new box: check the bundle, restore it, open a secret.");
    nascfg(
        &new,
        &[
            "backup",
            "inspect",
            &bundle_s,
            "--passphrase-env",
            "NASCFG_DEMO_PASSPHRASE",
        ],
        true,
    )?;
    nascfg(
        &new,
        &[
            "backup",
            "restore",
            &bundle_s,
            "--passphrase-env",
            "NASCFG_DEMO_PASSPHRASE",
        ],
        true,
    )?;
    nascfg(&new, &["cred", "list"], true)?;
    nascfg(&new, &["cred", "show", "offsite", "--reveal"], true)?;
    println!(
        "\n# Without the seed, a restore onto another box is refused before anything is lost."
    );
    nascfg(&old, &["backup", "export", "--quiet", "-o", &plain_s], true)?;
    nascfg(&other, &["init", "--quiet"], true)?;
    nascfg(&other, &["backup", "restore", &plain_s], false)?;
    println!("\ndemo done: the new box has every credential with every secret.");
    Ok(())
}
