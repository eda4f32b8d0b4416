//! `cargo xtask`: the project's own automation.
//!
//! - `cargo xtask setup`: installs what the tests need (Debian packages, Azurite, cargo-fuzz).
//! - `cargo xtask ci`: setup, then exactly what CI checks: fmt, clippy, tests, docs,
//!   fuzz targets (built and run briefly), benchmarks (built).
//! - `cargo xtask fuzz [SECONDS]`: runs every fuzz target for a while.
//! - `cargo xtask bench`: runs the benchmarks.

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
        Some("fuzz") => {
            let secs = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(60);
            fuzz_run(&root, secs)
        }
        Some("bench") => run("cargo", &["bench", "--workspace"]),
        _ => bail!("usage: cargo xtask ci|setup|fuzz [SECONDS]|bench"),
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
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

fn setup(root: &Path) -> Result<()> {
    run("bash", &[&root.join(".ci/setup").to_string_lossy()])
}

fn ci(root: &Path) -> Result<()> {
    setup(root)?;
    run("cargo", &["fmt", "--all", "--", "--check"])?;
    run(
        "cargo",
        &["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"],
    )?;
    run("cargo", &["test", "--workspace", "--locked"])?;
    run_with_env(
        "cargo",
        &["doc", "--workspace", "--no-deps", "--locked"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    run("cargo", &["bench", "--workspace", "--no-run", "--locked"])?;
    fuzz_run(root, 10)
}

fn fuzz_targets(root: &Path) -> Result<Vec<String>> {
    let mut targets = Vec::new();
    for entry in std::fs::read_dir(root.join("fuzz/fuzz_targets"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            if let Some(stem) = path.file_stem() {
                targets.push(stem.to_string_lossy().into_owned());
            }
        }
    }
    targets.sort();
    Ok(targets)
}

fn fuzz_run(root: &Path, seconds: u32) -> Result<()> {
    let fuzz_dir = root.join("fuzz");
    std::env::set_current_dir(&fuzz_dir)?;
    run("cargo", &["fuzz", "build", "--sanitizer", "none"])?;
    let max_time = format!("-max_total_time={seconds}");
    for target in fuzz_targets(root)? {
        run(
            "cargo",
            &["fuzz", "run", "--sanitizer", "none", &target, "--", &max_time],
        )?;
    }
    std::env::set_current_dir(root)?;
    Ok(())
}
